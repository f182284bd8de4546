//! OLMES tasks and metrics, the primary-metric policy, and the perplexity sets.

use std::sync::OnceLock;

use crate::error::UnknownSpelling;

/// The 9 core OLMES multiple-choice tasks with the metric their policy names as primary
/// (the newer datadec's recomputation table; it agrees with the `primary_metric` values in the
/// HF data).
pub const CORE_TASKS: [(&str, &str); 9] = [
    ("arc_challenge", "acc_uncond"),
    ("arc_easy", "acc_per_char"),
    ("boolq", "acc_raw"),
    ("csqa", "acc_uncond"),
    ("hellaswag", "acc_per_char"),
    ("openbookqa", "acc_uncond"),
    ("piqa", "acc_per_char"),
    ("socialiqa", "acc_per_char"),
    ("winogrande", "acc_raw"),
];

/// The mean over the 57 MMLU subjects, derived by the converter (the HF data has no such row).
pub const MMLU_AVERAGE: &str = "mmlu_average";

/// The 57 MMLU subject tasks, as the HF data names them.
pub const MMLU_SUBJECTS: [&str; 57] = [
    "mmlu_abstract_algebra",
    "mmlu_anatomy",
    "mmlu_astronomy",
    "mmlu_business_ethics",
    "mmlu_clinical_knowledge",
    "mmlu_college_biology",
    "mmlu_college_chemistry",
    "mmlu_college_computer_science",
    "mmlu_college_mathematics",
    "mmlu_college_medicine",
    "mmlu_college_physics",
    "mmlu_computer_security",
    "mmlu_conceptual_physics",
    "mmlu_econometrics",
    "mmlu_electrical_engineering",
    "mmlu_elementary_mathematics",
    "mmlu_formal_logic",
    "mmlu_global_facts",
    "mmlu_high_school_biology",
    "mmlu_high_school_chemistry",
    "mmlu_high_school_computer_science",
    "mmlu_high_school_european_history",
    "mmlu_high_school_geography",
    "mmlu_high_school_government_and_politics",
    "mmlu_high_school_macroeconomics",
    "mmlu_high_school_mathematics",
    "mmlu_high_school_microeconomics",
    "mmlu_high_school_physics",
    "mmlu_high_school_psychology",
    "mmlu_high_school_statistics",
    "mmlu_high_school_us_history",
    "mmlu_high_school_world_history",
    "mmlu_human_aging",
    "mmlu_human_sexuality",
    "mmlu_international_law",
    "mmlu_jurisprudence",
    "mmlu_logical_fallacies",
    "mmlu_machine_learning",
    "mmlu_management",
    "mmlu_marketing",
    "mmlu_medical_genetics",
    "mmlu_miscellaneous",
    "mmlu_moral_disputes",
    "mmlu_moral_scenarios",
    "mmlu_nutrition",
    "mmlu_philosophy",
    "mmlu_prehistory",
    "mmlu_professional_accounting",
    "mmlu_professional_law",
    "mmlu_professional_medicine",
    "mmlu_professional_psychology",
    "mmlu_public_relations",
    "mmlu_security_studies",
    "mmlu_sociology",
    "mmlu_us_foreign_policy",
    "mmlu_virology",
    "mmlu_world_religions",
];

/// The 28 metrics of datadec's `METRIC_NAMES`, in its order.
pub const METRIC_NAMES: [&str; 28] = [
    "correct_choice",
    "acc_raw",
    "acc_per_token",
    "acc_per_char",
    "acc_per_byte",
    "acc_uncond",
    "no_answer",
    "sum_logits_corr",
    "logits_per_token_corr",
    "logits_per_char_corr",
    "bits_per_byte_corr",
    "correct_prob",
    "correct_prob_per_token",
    "correct_prob_per_char",
    "margin",
    "margin_per_token",
    "margin_per_char",
    "total_prob",
    "total_prob_per_token",
    "total_prob_per_char",
    "uncond_correct_prob",
    "uncond_correct_prob_per_token",
    "uncond_correct_prob_per_char",
    "uncond_total_prob",
    "norm_correct_prob",
    "norm_correct_prob_per_token",
    "norm_correct_prob_per_char",
    "primary_metric",
];

/// Metrics datadec drops before pivoting. runlake keeps them (every metric the source had),
/// but they never feed a primary score.
pub const DROP_METRICS: [&str; 6] = [
    "predicted_index_raw",
    "predicted_index_per_token",
    "predicted_index_per_char",
    "predicted_index_per_byte",
    "predicted_index_uncond",
    "logits_per_byte_corr",
];

/// One perplexity validation set of the HF ppl-results data.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PplSet {
    /// `c4_en`, `dolma_common-crawl`, ...
    pub name: &'static str,
    /// The canonical task name in `evals`: `ppl_<name>`.
    pub task: &'static str,
    /// The HF ppl-results column: `eval/<name>-validation/Perplexity`.
    pub hf_column: &'static str,
    /// The datadec `full_eval` column: `<name>-valppl`.
    pub full_eval_column: &'static str,
}

macro_rules! ppl {
    ($name:literal) => {
        PplSet {
            name: $name,
            task: concat!("ppl_", $name),
            hf_column: concat!("eval/", $name, "-validation/Perplexity"),
            full_eval_column: concat!($name, "-valppl"),
        }
    };
}

/// The 11 perplexity sets, in datadec's `PPL_NAME_MAP` order.
pub static PPL_SETS: [PplSet; 11] = [
    ppl!("wikitext_103"),
    ppl!("pile"),
    ppl!("c4_en"),
    ppl!("m2d2_s2orc"),
    ppl!("ice"),
    ppl!("dolma_wiki"),
    ppl!("dolma_stack"),
    ppl!("dolma_reddit"),
    ppl!("dolma_pes2o"),
    ppl!("dolma_common-crawl"),
    ppl!("dolma_books"),
];

impl PplSet {
    /// Looks a set up by its name, task, HF column or full_eval column.
    pub fn parse(spelling: &str) -> Result<&'static PplSet, UnknownSpelling> {
        PPL_SETS
            .iter()
            .find(|p| {
                p.name == spelling
                    || p.task == spelling
                    || p.hf_column == spelling
                    || p.full_eval_column == spelling
            })
            .ok_or_else(|| UnknownSpelling::new("perplexity set", spelling))
    }
}

/// What kind of task a canonical task name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// One of the 9 core OLMES tasks.
    Core,
    /// One of the 57 MMLU subjects.
    MmluSubject,
    /// `mmlu_average`, derived from the subjects.
    MmluAverage,
    /// An aggregate of the HF macro_avg split: `mmlu`, `olmes_10_macro_avg`.
    MacroAverage,
    /// A perplexity set (`ppl_<set>`).
    Perplexity,
}

/// Which metric gives a task's primary score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrimaryPolicy {
    /// The metric named as primary, e.g. `acc_uncond`. For macro averages it is
    /// `primary_metric`: the source's own primary value, as no per-metric policy exists.
    pub metric: &'static str,
}

/// The canonical name of a task as any source spells it, the one rule for every stored and
/// asked-for task: the evaluation regime after `::` (`::olmes`, `::tulu`, with any `:full`)
/// goes, and so do the default `rc` format and `full`; any other format stays, since it is
/// another evaluation of the task (`boolq:mc::olmes` → `boolq:mc`,
/// `arc_challenge:rc::olmes:full` → `arc_challenge`, `ifeval::tulu` → `ifeval`). Names
/// outside the vocabulary (chat evals) keep their normalised spelling; a spelling with nothing
/// left is kept as written.
pub fn task_name(spelling: &str) -> String {
    let head = spelling.split("::").next().unwrap_or(spelling);
    let parts: Vec<&str> = head
        .split(':')
        .filter(|p| !p.is_empty() && *p != "rc" && *p != "full")
        .collect();
    if parts.is_empty() {
        spelling.to_owned()
    } else {
        parts.join(":")
    }
}

/// The canonical task of a spelling ([`task_name`]), checked against the vocabulary: the core
/// OLMES tasks, the MMLU subjects and averages, the macro averages and the perplexity sets.
pub fn canonical_task(spelling: &str) -> Result<&'static str, UnknownSpelling> {
    entry(spelling).map(|e| e.name)
}

/// The kind of a canonical task name.
pub fn task_kind(task: &str) -> Result<TaskKind, UnknownSpelling> {
    entry(task).map(|e| e.kind)
}

/// The primary-metric policy of a task: the core table for core tasks, `acc_raw` for MMLU
/// (subjects, their average and the macro_avg `mmlu`), `perplexity` for perplexity sets.
pub fn primary_policy(task: &str) -> Result<PrimaryPolicy, UnknownSpelling> {
    entry(task).map(|e| e.policy)
}

/// What the vocabulary knows of one canonical task.
struct TaskEntry {
    name: &'static str,
    kind: TaskKind,
    policy: PrimaryPolicy,
}

/// Converters ask about the task of every row, so the answers are tabled once and found by
/// one hash lookup; a spelling without `:` is its own name and needs no normalising.
fn entry(spelling: &str) -> Result<&'static TaskEntry, UnknownSpelling> {
    static TABLE: OnceLock<foldhash::HashMap<&'static str, TaskEntry>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut map = foldhash::HashMap::default();
        let names = CORE_TASKS
            .iter()
            .map(|(t, _)| *t)
            .chain(MMLU_SUBJECTS)
            .chain([MMLU_AVERAGE, "mmlu", "olmes_10_macro_avg"])
            .chain(PPL_SETS.iter().map(|p| p.task));
        for name in names {
            let kind = kind_of(name);
            let policy = PrimaryPolicy {
                metric: policy_of(name, kind),
            };
            map.entry(name).or_insert(TaskEntry { name, kind, policy });
        }
        map
    });
    let found = if spelling.contains(':') {
        table.get(task_name(spelling).as_str())
    } else {
        table.get(spelling)
    };
    found.ok_or_else(|| UnknownSpelling::new("task", spelling))
}

fn kind_of(task: &str) -> TaskKind {
    if CORE_TASKS.iter().any(|(t, _)| *t == task) {
        TaskKind::Core
    } else if MMLU_SUBJECTS.contains(&task) {
        TaskKind::MmluSubject
    } else if task == MMLU_AVERAGE {
        TaskKind::MmluAverage
    } else if task.starts_with("ppl_") {
        TaskKind::Perplexity
    } else {
        TaskKind::MacroAverage
    }
}

fn policy_of(task: &str, kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Core => CORE_TASKS
            .iter()
            .find(|(t, _)| *t == task)
            .map_or("primary_metric", |(_, m)| *m),
        TaskKind::MmluSubject | TaskKind::MmluAverage => "acc_raw",
        TaskKind::MacroAverage if task == "mmlu" => "acc_raw",
        TaskKind::MacroAverage => "primary_metric",
        TaskKind::Perplexity => "perplexity",
    }
}
