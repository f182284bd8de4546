//! The names a datadec user types: its wide `full_eval` column names and metric families.
//!
//! Source: drothermel/datadec `src/datadec/constants.py` (`OLMES_TASKS`, `METRIC_NAMES`,
//! `PPL_NAME_MAP`, the recipe groups), `validation.py` (`METRIC_TYPES`) and `model_utils.py`
//! (`param_to_numeric`).

use crate::error::UnknownSpelling;
use crate::recipes::Recipe;
use crate::tasks::{METRIC_NAMES, MMLU_AVERAGE, PPL_SETS, PplSet, canonical_task};

/// datadec's `OLMES_TASKS`: the MMLU average and the 9 core tasks, in its order.
pub const OLMES_TASKS: [&str; 10] = [
    MMLU_AVERAGE,
    "arc_challenge",
    "arc_easy",
    "boolq",
    "csqa",
    "hellaswag",
    "openbookqa",
    "piqa",
    "socialiqa",
    "winogrande",
];

/// datadec's `metric_type`: a family of tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// The 11 perplexity sets.
    Ppl,
    /// [`OLMES_TASKS`].
    Olmes,
}

impl MetricType {
    /// Parses `ppl` or `olmes` (any case).
    pub fn parse(spelling: &str) -> Result<Self, UnknownSpelling> {
        match spelling.to_ascii_lowercase().as_str() {
            "ppl" => Ok(Self::Ppl),
            "olmes" => Ok(Self::Olmes),
            _ => Err(UnknownSpelling::new("metric type", spelling)),
        }
    }

    /// The canonical task names of the family.
    pub fn tasks(self) -> Vec<&'static str> {
        match self {
            Self::Ppl => PPL_SETS.iter().map(|p| p.task).collect(),
            Self::Olmes => OLMES_TASKS.to_vec(),
        }
    }
}

/// How the final checkpoint of a recipe x size is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FinalRule {
    /// datadec's (`df_utils.filter_by_max_step_to_use`, applied before it plots): only steps
    /// up to the size's `MAX_STEP_TO_USE` count, and the final step is the largest of them at
    /// which any seed has a value. Every seed is read at that one step; a seed without a value
    /// there is left out, never replaced by another step.
    #[default]
    MaxStepToUse,
    /// Each seed's own last step with a value. Seeds may then sit at different steps, which
    /// readers must show.
    PerSeedLast,
}

impl FinalRule {
    /// The rule's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FinalRule::MaxStepToUse => "max-step-to-use",
            FinalRule::PerSeedLast => "per-seed-last",
        }
    }
}

/// Splits a datadec wide column name into (canonical task, metric): `arc_challenge_acc_raw`
/// is (`arc_challenge`, `acc_raw`), `pile-valppl` is (`ppl_pile`, `perplexity`). `None` for
/// anything else, including a bare metric name.
pub fn wide_column(name: &str) -> Option<(&'static str, &'static str)> {
    if let Ok(set) = PplSet::parse(name)
        && name == set.full_eval_column
    {
        return Some((set.task, "perplexity"));
    }
    // The task must be a canonical name exactly; `arc_challenge_uncond_correct_prob` then has
    // one reading (`correct_prob` would leave `arc_challenge_uncond`, not a task).
    METRIC_NAMES.iter().find_map(|m| {
        let task = name.strip_suffix(m)?.strip_suffix('_')?;
        canonical_task(task)
            .ok()
            .filter(|t| *t == task)
            .map(|t| (t, *m))
    })
}

/// The datadec wide column of a canonical task's metric, the inverse of [`wide_column`]:
/// (`arc_challenge`, `acc_raw`) is `arc_challenge_acc_raw`, (`ppl_pile`, `perplexity`) is
/// `pile-valppl`.
pub fn wide_column_name(task: &str, metric: &str) -> String {
    if metric == "perplexity"
        && let Some(set) = PPL_SETS.iter().find(|p| p.task == task)
    {
        return set.full_eval_column.to_owned();
    }
    format!("{task}_{metric}")
}

/// The 4 Dolma1.7 ablations, which datadec's broader groups leave out.
const DOLMA_ABLATIONS: [&str; 4] = [
    "Dolma1.7 (no code)",
    "Dolma1.7 (no math, code)",
    "Dolma1.7 (no Reddit)",
    "Dolma1.7 (no Flan)",
];

/// The 3 DCLM/Dolma mixes.
const MIXES: [&str; 3] = [
    "DCLM-Baseline 25% / Dolma 75%",
    "DCLM-Baseline 50% / Dolma 50%",
    "DCLM-Baseline 75% / Dolma 25%",
];

/// datadec's named recipe groups other than its families, by display name: `BASE_RECIPES`,
/// the keys of `CUSTOM_RECIPE_FAMILIES`, `PPL_PERFORMANCE_RECIPE_CHUNKS` and
/// `OLMES_PERFORMANCE_RECIPE_CHUNKS` (`BASE_AND_QC` and `RECIPES_WITHOUT_ABLATIONS` are
/// every recipe but the Dolma ablations, and but the mixes too; see [`recipe_group`]).
pub static RECIPE_GROUPS: [(&str, &[&str]); 15] = [
    (
        "base_recipes",
        &[
            "C4",
            "Falcon",
            "Falcon+CC",
            "Dolma1.6++",
            "Dolma1.7",
            "FineWeb-Pro",
            "FineWeb-Edu",
            "DCLM-Baseline",
        ],
    ),
    ("core_datasets", &["C4", "Falcon", "Dolma1.6++"]),
    (
        "dolma17_variants",
        &[
            "Dolma1.7",
            "Dolma1.7 (no code)",
            "Dolma1.7 (no math, code)",
            "Dolma1.7 (no Reddit)",
            "Dolma1.7 (no Flan)",
        ],
    ),
    (
        "dclm_variants",
        &[
            "DCLM-Baseline",
            "DCLM-Baseline (QC 10%)",
            "DCLM-Baseline (QC 20%)",
            "DCLM-Baseline (QC 7%, FW3)",
            "DCLM-Baseline (QC 7%, FW2)",
            "DCLM-Baseline (QC FW 3%)",
            "DCLM-Baseline (QC FW 10%)",
        ],
    ),
    (
        "falcon_cc_variants",
        &[
            "Falcon+CC",
            "Falcon+CC (QC 10%)",
            "Falcon+CC (QC 20%)",
            "Falcon+CC (QC Orig 10%)",
            "Falcon+CC (QC Tulu 10%)",
        ],
    ),
    ("fineweb_variants", &["FineWeb-Pro", "FineWeb-Edu"]),
    (
        "mix_with_baselines",
        &[
            "Dolma1.7",
            "DCLM-Baseline 25% / Dolma 75%",
            "DCLM-Baseline 50% / Dolma 50%",
            "DCLM-Baseline 75% / Dolma 25%",
            "DCLM-Baseline",
        ],
    ),
    (
        "best_ppl_performance",
        &[
            "DCLM-Baseline 25% / Dolma 75%",
            "Dolma1.7 (no code)",
            "Dolma1.7",
            "Dolma1.7 (no Flan)",
            "DCLM-Baseline 50% / Dolma 50%",
            "Dolma1.6++",
            "Dolma1.7 (no Reddit)",
        ],
    ),
    (
        "good_ppl_performance",
        &[
            "DCLM-Baseline 75% / Dolma 25%",
            "Dolma1.7 (no math, code)",
            "Falcon+CC (QC Tulu 10%)",
            "Falcon+CC (QC 20%)",
            "Falcon+CC",
            "Falcon+CC (QC Orig 10%)",
        ],
    ),
    (
        "medium_ppl_performance",
        &[
            "DCLM-Baseline",
            "Falcon+CC (QC 10%)",
            "DCLM-Baseline (QC 20%)",
            "DCLM-Baseline (QC 7%, FW2)",
            "Falcon",
            "DCLM-Baseline (QC 10%)",
        ],
    ),
    (
        "poor_ppl_performance",
        &[
            "DCLM-Baseline (QC FW 10%)",
            "DCLM-Baseline (QC 7%, FW3)",
            "FineWeb-Edu",
            "FineWeb-Pro",
            "DCLM-Baseline (QC FW 3%)",
            "C4",
        ],
    ),
    (
        "best_olmes_performance",
        &[
            "DCLM-Baseline (QC 7%, FW2)",
            "DCLM-Baseline (QC FW 10%)",
            "DCLM-Baseline (QC 20%)",
            "DCLM-Baseline (QC 10%)",
            "Falcon+CC (QC Orig 10%)",
            "DCLM-Baseline (QC 7%, FW3)",
            "Falcon+CC (QC 10%)",
        ],
    ),
    (
        "good_olmes_performance",
        &[
            "FineWeb-Pro",
            "FineWeb-Edu",
            "DCLM-Baseline",
            "Falcon+CC (QC 20%)",
            "Falcon+CC (QC Tulu 10%)",
            "DCLM-Baseline (QC FW 3%)",
        ],
    ),
    (
        "medium_olmes_performance",
        &[
            "DCLM-Baseline 25% / Dolma 75%",
            "DCLM-Baseline 75% / Dolma 25%",
            "C4",
            "Dolma1.7 (no code)",
            "Dolma1.7 (no Reddit)",
            "Falcon",
        ],
    ),
    (
        "poor_olmes_performance",
        &[
            "Dolma1.7 (no math, code)",
            "Dolma1.7 (no Flan)",
            "DCLM-Baseline 50% / Dolma 50%",
            "Falcon+CC",
            "Dolma1.7",
            "Dolma1.6++",
        ],
    ),
];

/// The recipes of a datadec group or family: a family key of `DATA_RECIPE_FAMILIES`
/// (`dolma17`, `dclm`, `mix`, ...), `base_and_qc`, `recipes_without_ablations`, or a name of
/// [`RECIPE_GROUPS`]. In the group's order.
pub fn recipe_group(name: &str) -> Result<Vec<&'static Recipe>, UnknownSpelling> {
    let all = Recipe::all();
    let by_display = |names: &[&str]| -> Vec<&'static Recipe> {
        names
            .iter()
            .filter_map(|n| all.iter().find(|r| r.display == *n))
            .collect()
    };
    let out: Vec<&'static Recipe> = match name {
        "base_and_qc" => all
            .iter()
            .filter(|r| !DOLMA_ABLATIONS.contains(&r.display))
            .collect(),
        "recipes_without_ablations" => all
            .iter()
            .filter(|r| !DOLMA_ABLATIONS.contains(&r.display) && !MIXES.contains(&r.display))
            .collect(),
        _ => match RECIPE_GROUPS.iter().find(|(g, _)| *g == name) {
            Some((_, names)) => by_display(names),
            None => all.iter().filter(|r| r.family == name).collect(),
        },
    };
    if out.is_empty() {
        return Err(UnknownSpelling::new("recipe group", name));
    }
    Ok(out)
}

/// A parameter count as datadec's `param_to_numeric` reads it: `150M` is 150e6, `1B` is 1e9,
/// a bare number is itself (case-insensitive suffix).
pub fn param_count(spelling: &str) -> Result<f64, UnknownSpelling> {
    let s = spelling.trim();
    let (digits, scale) = match s.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('M') => (&s[..s.len() - 1], 1e6),
        Some('B') => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    digits
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v * scale)
        .ok_or_else(|| UnknownSpelling::new("parameter count", spelling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_columns_split_into_task_and_metric() {
        assert_eq!(
            wide_column("arc_challenge_acc_raw"),
            Some(("arc_challenge", "acc_raw"))
        );
        assert_eq!(
            wide_column("arc_challenge_uncond_correct_prob"),
            Some(("arc_challenge", "uncond_correct_prob"))
        );
        assert_eq!(
            wide_column("mmlu_average_primary_metric"),
            Some(("mmlu_average", "primary_metric"))
        );
        assert_eq!(wide_column("pile-valppl"), Some(("ppl_pile", "perplexity")));
        assert_eq!(wide_column("acc_raw"), None);
        assert_eq!(wide_column("arc_challenge"), None);
        assert_eq!(wide_column("arc_challeng_acc_raw"), None);
    }

    #[test]
    fn wide_names_invert_the_split() {
        for name in [
            "arc_challenge_acc_raw",
            "arc_challenge_uncond_correct_prob",
            "mmlu_average_primary_metric",
            "pile-valppl",
            "dolma_common-crawl-valppl",
        ] {
            let (task, metric) = wide_column(name).expect(name);
            assert_eq!(wide_column_name(task, metric), name);
        }
        // Not a perplexity metric: the plain `<task>_<metric>` spelling.
        assert_eq!(
            wide_column_name("ppl_pile", "primary_score"),
            "ppl_pile_primary_score"
        );
    }

    #[test]
    fn recipe_groups_resolve_to_every_listed_recipe() {
        for (name, displays) in &RECIPE_GROUPS {
            let got = recipe_group(name).expect("group");
            assert_eq!(got.len(), displays.len(), "{name}");
        }
        let slugs = |name: &str| -> Vec<&str> {
            recipe_group(name)
                .expect("group")
                .iter()
                .map(|r| r.slug)
                .collect()
        };
        assert_eq!(slugs("fineweb"), ["fineweb-pro", "fineweb-edu"]);
        assert_eq!(recipe_group("dclm").expect("family").len(), 7);
        assert_eq!(recipe_group("base_and_qc").expect("group").len(), 21);
        assert_eq!(
            recipe_group("recipes_without_ablations")
                .expect("group")
                .len(),
            18
        );
        // The four performance buckets of each kind cover all 25 recipes.
        for kind in ["ppl", "olmes"] {
            let n: usize = ["best", "good", "medium", "poor"]
                .iter()
                .map(|b| {
                    recipe_group(&format!("{b}_{kind}_performance"))
                        .expect("bucket")
                        .len()
                })
                .sum();
            assert_eq!(n, 25, "{kind}");
        }
        assert!(recipe_group("dolma").is_err());
    }

    #[test]
    fn parameter_counts_read_as_datadec_reads_them() {
        assert_eq!(param_count("150M"), Ok(150e6));
        assert_eq!(param_count("1b"), Ok(1e9));
        assert_eq!(param_count("530000000"), Ok(530e6));
        assert!(param_count("big").is_err());
        assert!(param_count("-4M").is_err());
    }

    #[test]
    fn metric_types_name_datadec_families() {
        assert_eq!(MetricType::parse("PPL"), Ok(MetricType::Ppl));
        assert_eq!(MetricType::Ppl.tasks().len(), 11);
        assert_eq!(MetricType::Olmes.tasks()[0], "mmlu_average");
        assert!(MetricType::parse("mmlu").is_err());
    }
}
