//! Lineage evidence and the resolved parent of a post-training run.
//!
//! One row per piece of evidence (`model_name_or_path`, `model_revision`, `run_name`,
//! `config:<key>`), each saying what it implies, plus one `resolved` row per relation.
//!
//! # Resolution rule
//!
//! 1. `model_name_or_path` naming another converted run's output folder makes that run the
//!    parent (`dpo_of` for a DPO child, else `finetune_of`); rule `post_training_output`. The
//!    whole path is matched (after normalising `//`, `.` and `..` segments and a trailing `/`)
//!    against the converted runs' `output_dir`, or as a folder inside one; a path segment equal
//!    to a converted run's id also matches. Run names may hold `/` or spaces, so no single path
//!    segment is taken for a run. A path that looks like a run's output folder but matches no
//!    converted run leaves the resolved parent null (rule `unmatched_post_training_output`):
//!    a uid is never made up from the path.
//! 2. Otherwise the parent is a pretraining checkpoint `dd/<recipe>/<size>/<seed>` at
//!    `parent_step`. Recipe and size come from the HF repo in `model_name_or_path`, else from
//!    the run name. Step and seed come from the first of: an explicit `model_revision` branch
//!    (`step6250-seed-small-aux-3`, rule `revision_branch`); an explicit run-name checkpoint
//!    (`-6250-2`, rule `run_name_checkpoint`; launch scripts wrote it while `model_revision`
//!    was routinely left at its default `main`); `main` in the revision or the name (final
//!    step, default seed, rule `main_revision`); `pretrain_steps` from the config when it fits
//!    the size (rule `config_pretrain_steps`); else the step stays null with the default seed
//!    (rule `size_only`).
//! 3. Without a recipe and size the resolved row has no parent (rule `unresolved`).
//!
//! Every evidence row whose implication differs from the resolved checkpoint is flagged
//! `conflict`, with the differing fields in `note` (so a note saying it differs always comes
//! with the flag); the resolved row is flagged when any is.
//! Runs sharing a name are linked: the later run (by `created_at`) points at the previous one,
//! `resumed_from` when its first logged step follows the previous run's last step (it continues
//! that run), else `duplicate_of` (a separate attempt from the same start, not a continuation).

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use runlake_format::tables::{
    EVIDENCE_CONFIG_PREFIX, EVIDENCE_MODEL_PATH, EVIDENCE_MODEL_REVISION, EVIDENCE_RESOLVED,
    EVIDENCE_RUN_NAME, EVIDENCE_SAME_NAME, Relation,
};

use super::cells::{Cell, Row};
use crate::coerce::{i64_lenient, string_lenient};
use crate::json::Object;
use crate::runname::RunName;
use runlake_vocab::{Recipe, Seed, Size};

static HF_CACHE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"models--([^/]+?)--([^/]+)(?:/snapshots/([0-9a-f]+))?").expect("static regex")
});
static DD_REPO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:allenai/)?DataDecide-(.+)-(\d+[MB])$").expect("static regex")
});
static REVISION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^step(\d+)(?:-unsharded-hf)?(?:-seed-([a-z0-9-]+))?$").expect("static regex")
});
static RUN_DIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{6}-\d{6}|\d{4}_\d{2}_\d{2}-\d{2}_\d{2}_\d{2})_").expect("static regex")
});

/// A pretraining checkpoint as (partly) stated by one piece of evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claim {
    /// HF recipe slug.
    pub recipe: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Step.
    pub step: Option<i64>,
    /// `main`: the final step of the size.
    pub final_step: bool,
    /// Seed slug.
    pub seed: Option<String>,
    /// A post-training parent run uid, found among the converted runs.
    pub post_run: Option<String>,
    /// Names a run's output folder that matches none of the converted runs.
    pub unmatched_run_dir: bool,
}

/// One piece of evidence.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// `model_name_or_path`, `model_revision`, `run_name`, `config:<key>`.
    pub source: String,
    /// The value as stated (personal data already removed).
    pub value: String,
    /// What it implies.
    pub claim: Claim,
    /// Extra explanation.
    pub note: Option<String>,
}

/// A resolved pretraining checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// HF recipe slug.
    pub recipe: String,
    /// Size.
    pub size: String,
    /// Seed slug.
    pub seed: String,
    /// Step, when known.
    pub step: Option<i64>,
}

impl Checkpoint {
    /// `dd/<recipe>/<size>/<seed>`.
    pub fn run_uid(&self) -> String {
        runlake_format::run_uid::datadecide(&self.recipe, &self.size, &self.seed)
    }
}

/// The lineage of one run.
#[derive(Debug, Clone)]
pub struct RunLineage {
    /// Evidence in a fixed order.
    pub evidence: Vec<Evidence>,
    /// The pretraining checkpoint at the root of the chain, as far as this run states it.
    pub checkpoint: Option<Checkpoint>,
    /// Rule that chose `checkpoint`.
    pub checkpoint_rule: &'static str,
    /// A post-training parent run uid, when `model_name_or_path` names a converted run.
    pub post_parent: Option<String>,
    /// `model_name_or_path` names a run's output folder that no converted run has.
    pub unmatched_post_parent: bool,
}

/// Where converted runs wrote their models: normalised `output_dir` and the run's uid and
/// creation time, to recognise a parent in a child's `model_name_or_path`.
///
/// Keyed by folder: a child's path is looked up folder by folder, from itself up, so a
/// conversion of many runs does not compare every child with every run's folder.
#[derive(Debug, Default)]
pub struct OutputDirs {
    dirs: HashMap<String, Vec<(String, Option<i64>)>>,
}

/// A path with `//`, `.` and a trailing `/` removed and `..` applied, so spellings of one
/// folder compare equal. Nothing else changes: `%`, spaces and `..` inside a name are kept.
pub fn normalise_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

impl OutputDirs {
    /// Records that run `uid` (created at `created_at`) wrote to `output_dir`.
    pub fn add(&mut self, output_dir: &str, uid: &str, created_at: Option<i64>) {
        let dir = normalise_path(output_dir);
        if dir.is_empty() || dir == "/" {
            return;
        }
        let runs = self.dirs.entry(dir).or_default();
        if !runs.iter().any(|(u, _)| u == uid) {
            runs.push((uid.to_owned(), created_at));
        }
    }

    /// The run whose output folder `path` is (or lies inside, the deepest folder winning),
    /// with a note when several runs wrote there (a failed run and its restart share a
    /// folder): the one created last wrote the model that remains.
    pub fn find(&self, path: &str) -> Option<(String, Option<String>)> {
        let want = normalise_path(path);
        // `want` itself, then each folder above it, deepest first.
        let above = want.rmatch_indices('/').map(|(i, _)| &want[..i]);
        let runs = std::iter::once(want.as_str())
            .chain(above)
            .find_map(|dir| self.dirs.get(dir))?;
        let mut hits: Vec<&(String, Option<i64>)> = runs.iter().collect();
        hits.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        let (uid, _) = hits.pop()?;
        let note = (!hits.is_empty()).then(|| {
            let others: Vec<&str> = hits.iter().map(|h| h.0.as_str()).collect();
            format!(
                "also the output folder of {} (created earlier); the latest run is taken",
                others.join(", ")
            )
        });
        Some((uid.clone(), note))
    }
}

/// Gathers the evidence of a run. `outputs` are the converted runs' output folders (this
/// conversion and the lake) and `uid_of_id` maps a converted run's id to its uid; both are
/// used to recognise a post-training parent in `model_name_or_path`.
pub fn gather(
    config: &Object,
    name: &RunName,
    raw_name: &str,
    redact: &dyn Fn(&str) -> String,
    outputs: &OutputDirs,
    uid_of_id: &dyn Fn(&str) -> Option<String>,
) -> RunLineage {
    let mut evidence = Vec::new();
    if let Some(path) = config.get("model_name_or_path").and_then(string_lenient) {
        evidence.push(path_evidence(&path, redact(&path), outputs, uid_of_id));
    }
    if let Some(rev) = config.get("model_revision").and_then(string_lenient) {
        let mut claim = Claim::default();
        let mut note = None;
        if rev == "main" {
            claim.final_step = true;
            claim.seed = Some("default".into());
        } else if let Some(c) = REVISION.captures(&rev) {
            claim.step = c.get(1).and_then(|m| m.as_str().parse().ok());
            claim.seed = c
                .get(2)
                .and_then(|m| seed_slug(m.as_str()))
                .map(str::to_owned);
        } else {
            note = Some("not a DataDecide revision".into());
        }
        evidence.push(Evidence {
            source: EVIDENCE_MODEL_REVISION.into(),
            value: redact(&rev),
            claim,
            note,
        });
    }
    if name.recipe.is_some() || name.size.is_some() {
        let mut claim = Claim {
            recipe: name
                .recipe
                .as_deref()
                .and_then(recipe_slug)
                .map(str::to_owned),
            size: name.size.as_deref().and_then(size_label).map(str::to_owned),
            ..Claim::default()
        };
        match name.step.as_deref() {
            Some("main") => claim.final_step = true,
            Some(s) => claim.step = s.trim_start_matches("step").parse().ok(),
            None => {}
        }
        claim.seed = match name.seed.as_deref() {
            Some(s) => match s.parse::<i64>() {
                Ok(ord) => Seed::from_ordinal(ord).ok().map(|s| s.slug.to_owned()),
                Err(_) => seed_slug(s).map(str::to_owned),
            },
            None if claim.final_step => Some("default".into()),
            None => None,
        };
        let mut notes = Vec::new();
        if claim.recipe.is_none() {
            notes.push(format!(
                "unknown recipe spelling {:?}",
                name.recipe.as_deref().unwrap_or("")
            ));
        }
        if name.is_dpo {
            notes.push("a DPO name states the checkpoint its SFT parent started from".to_owned());
        }
        evidence.push(Evidence {
            source: EVIDENCE_RUN_NAME.into(),
            value: raw_name.to_owned(),
            claim,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        });
    }
    for key in ["pretrain_steps", "model_pretrain_steps"] {
        if let Some(v) = config.get(key) {
            let Some(text) = string_lenient(v) else {
                continue;
            };
            evidence.push(Evidence {
                source: format!("{EVIDENCE_CONFIG_PREFIX}{key}"),
                value: text,
                claim: Claim {
                    step: i64_lenient(v),
                    ..Claim::default()
                },
                note: None,
            });
        }
    }
    if let Some(v) = config.get("model_size")
        && let Some(text) = string_lenient(v)
    {
        evidence.push(Evidence {
            source: format!("{EVIDENCE_CONFIG_PREFIX}model_size"),
            value: text,
            claim: Claim::default(),
            note: None,
        });
    }
    resolve(evidence, config)
}

fn path_evidence(
    path: &str,
    shown: String,
    outputs: &OutputDirs,
    uid_of_id: &dyn Fn(&str) -> Option<String>,
) -> Evidence {
    let mut claim = Claim::default();
    let mut note = None;
    let repo = HF_CACHE
        .captures(path)
        .map(|c| {
            if let Some(sha) = c.get(3) {
                note = Some(format!(
                    "HF cache snapshot {}: the revision is not recoverable from a commit sha",
                    sha.as_str()
                ));
            }
            format!("{}/{}", &c[1], &c[2])
        })
        .or_else(|| DD_REPO.is_match(path).then(|| path.to_owned()));
    if let Some(repo) = repo {
        if let Some(c) = DD_REPO.captures(&repo) {
            claim.recipe = recipe_slug(&c[1]).map(str::to_owned);
            claim.size = size_label(&c[2]).map(str::to_owned);
        } else {
            note = Some(format!("HF repo {repo} is not a DataDecide checkpoint"));
        }
    } else if let Some((uid, also)) = outputs.find(path).or_else(|| outputs.find(&shown)) {
        // Another converted run's output folder, matched as a whole path (runs read back from
        // the lake have their output folder stored with personal data removed).
        claim.post_run = Some(uid);
        note = also;
    } else {
        // A segment equal to a converted run's id (WandB ids hold no `/`).
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if let Some(uid) = segments.iter().rev().find_map(|s| uid_of_id(s)) {
            claim.post_run = Some(uid);
        } else if segments.iter().any(|s| RUN_DIR.is_match(s)) {
            claim.unmatched_run_dir = true;
            note = Some(
                "names a run's output folder, but no converted run has that output_dir".into(),
            );
        } else {
            note = Some("names neither a DataDecide checkpoint nor a run".into());
        }
    }
    Evidence {
        source: EVIDENCE_MODEL_PATH.into(),
        value: shown,
        claim,
        note,
    }
}

fn resolve(mut evidence: Vec<Evidence>, config: &Object) -> RunLineage {
    let find = |src: &str| evidence.iter().find(|e| e.source == src).map(|e| &e.claim);
    let path = find("model_name_or_path").cloned().unwrap_or_default();
    let rev = find("model_revision").cloned();
    let name = find("run_name").cloned().unwrap_or_default();
    let post_parent = path.post_run.clone();
    let unmatched_post_parent = path.unmatched_run_dir;
    let recipe = path.recipe.clone().or(name.recipe.clone());
    let size = path.size.clone().or(name.size.clone());

    let (checkpoint, rule) = match (recipe, size) {
        (Some(recipe), Some(size)) => {
            let final_step = final_step(&size);
            let config_step = ["pretrain_steps", "model_pretrain_steps"]
                .iter()
                .find_map(|k| config.get(k).and_then(i64_lenient))
                .filter(|s| final_step.is_some_and(|f| *s <= f));
            let (step, seed, rule) = if let Some(r) = rev.as_ref().filter(|r| r.step.is_some()) {
                (r.step, r.seed.clone(), "revision_branch")
            } else if name.step.is_some() {
                (name.step, name.seed.clone(), "run_name_checkpoint")
            } else if rev.as_ref().is_some_and(|r| r.final_step) || name.final_step {
                (final_step, Some("default".to_owned()), "main_revision")
            } else if config_step.is_some() {
                (config_step, None, "config_pretrain_steps")
            } else {
                (None, None, "size_only")
            };
            let seed = seed.unwrap_or_else(|| "default".to_owned());
            (
                Some(Checkpoint {
                    recipe,
                    size,
                    seed,
                    step,
                }),
                rule,
            )
        }
        _ => (None, "unresolved"),
    };

    // Flag what disagrees with the checkpoint.
    if let Some(cp) = &checkpoint {
        let final_step = final_step(&cp.size);
        for e in &mut evidence {
            let c = &e.claim;
            let mut diffs = Vec::new();
            if c.recipe.as_ref().is_some_and(|r| *r != cp.recipe) {
                diffs.push(format!(
                    "recipe {}",
                    c.recipe.as_deref().unwrap_or_default()
                ));
            }
            if c.size.as_ref().is_some_and(|s| *s != cp.size) {
                diffs.push(format!("size {}", c.size.as_deref().unwrap_or_default()));
            }
            let step = if c.final_step { final_step } else { c.step };
            if let (Some(s), Some(want)) = (step, cp.step)
                && s != want
            {
                diffs.push(format!("step {s}"));
            }
            if let (Some(s), Some(f)) = (c.step, final_step)
                && s > f
            {
                diffs.push(format!(
                    "step {s} exceeds the final step {f} of {}",
                    cp.size
                ));
            }
            if c.seed.as_ref().is_some_and(|s| *s != cp.seed) {
                diffs.push(format!("seed {}", c.seed.as_deref().unwrap_or_default()));
            }
            if e.source == "config:model_size"
                && let Some(params) = e.value.trim().parse::<f64>().ok()
                && let Some(nominal) = nominal_params(&cp.size)
                && (params / nominal - 1.0).abs() > 0.2
            {
                diffs.push(format!("{params} parameters do not fit {}", cp.size));
            }
            if !diffs.is_empty() {
                let differs = format!("differs from the resolved checkpoint: {}", diffs.join(", "));
                e.note = Some(match e.note.take() {
                    Some(n) => format!("{n}; {differs}"),
                    None => differs,
                });
            }
        }
    }
    RunLineage {
        evidence,
        checkpoint,
        checkpoint_rule: rule,
        post_parent,
        unmatched_post_parent,
    }
}

fn nominal_params(size: &str) -> Option<f64> {
    let (n, unit) = size.split_at(size.len().checked_sub(1)?);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "M" => n * 1e6,
        "B" => n * 1e9,
        _ => return None,
    })
}

/// Whether the evidence disagrees with the resolved checkpoint (its note says so).
pub(crate) fn is_conflict(e: &Evidence) -> bool {
    e.note
        .as_deref()
        .is_some_and(|n| n.contains("differs from the resolved checkpoint"))
}

/// The lineage rows of one run. `child_is_dpo` picks the relation toward a post-training
/// parent.
pub(crate) fn rows(child_uid: &str, lineage: &RunLineage, child_is_dpo: bool) -> Vec<Row> {
    let mut out = Vec::new();
    let post = lineage.post_parent.clone();
    let post_like = post.is_some() || lineage.unmatched_post_parent;
    let relation = if post_like && child_is_dpo {
        Relation::DpoOf
    } else {
        Relation::FinetuneOf
    }
    .as_str();
    let final_of = |size: &Option<String>| size.as_deref().and_then(final_step);
    for e in &lineage.evidence {
        let mut r = Row::default();
        r.str("child_run_uid", child_uid);
        r.str("relation", relation);
        r.str("evidence_source", e.source.clone());
        r.str("evidence_value", e.value.clone());
        if let Some(run) = &e.claim.post_run {
            r.str("parent_run_uid", run.clone());
        } else if let (Some(recipe), Some(size)) = (&e.claim.recipe, &e.claim.size) {
            let seed = e.claim.seed.clone().unwrap_or_else(|| "default".into());
            r.str(
                "parent_run_uid",
                runlake_format::run_uid::datadecide(recipe, size, &seed),
            );
        }
        let step = if e.claim.final_step {
            final_of(&e.claim.size).or_else(|| {
                lineage
                    .checkpoint
                    .as_ref()
                    .and_then(|c| final_step(&c.size))
            })
        } else {
            e.claim.step
        };
        r.opt_i64("parent_step", step);
        // The flag follows the note: evidence is a conflict exactly when it says it differs.
        r.set("conflict", Cell::Bool(is_conflict(e)));
        r.set("resolved", Cell::Bool(false));
        r.opt_str("note", e.note.clone());
        out.push(r);
    }
    let mut r = Row::default();
    r.str("child_run_uid", child_uid);
    r.str("relation", relation);
    r.str("evidence_source", EVIDENCE_RESOLVED);
    r.set("resolved", Cell::Bool(true));
    let any_conflict = lineage.evidence.iter().any(is_conflict);
    r.set("conflict", Cell::Bool(any_conflict));
    match (&post, &lineage.checkpoint) {
        (Some(p), _) => {
            r.str("parent_run_uid", p.clone());
            r.str("evidence_value", p.clone());
            r.str("rule", "post_training_output");
        }
        (None, _) if lineage.unmatched_post_parent => {
            // Never a uid made from the path: the parent is unknown until its run is converted.
            r.str("evidence_value", "");
            r.str("rule", "unmatched_post_training_output");
            r.str(
                "note",
                "model_name_or_path names a run's output folder that no converted run has",
            );
        }
        (None, Some(cp)) => {
            let uid = cp.run_uid();
            let value = match cp.step {
                Some(s) => format!("{uid}@{s}"),
                None => uid.clone(),
            };
            r.str("parent_run_uid", uid);
            r.opt_i64("parent_step", cp.step);
            r.str("evidence_value", value);
            r.str("rule", lineage.checkpoint_rule);
            if cp.step.is_none() {
                r.str("note", "no evidence states the checkpoint step");
            }
        }
        (None, None) => {
            r.str("evidence_value", "");
            r.str("rule", "unresolved");
            r.str("note", "no evidence names a recipe and size");
        }
    }
    out.push(r);
    out
}

/// The canonical recipe slug of a spelling in any case (`runlake_vocab`).
fn recipe_slug(raw: &str) -> Option<&'static str> {
    Recipe::parse_any_case(raw).ok().map(|r| r.slug)
}

/// The canonical size label of a spelling in any case (`530m` → `530M`).
fn size_label(raw: &str) -> Option<&'static str> {
    Size::parse_any_case(raw).ok().map(|s| s.label)
}

/// The canonical seed slug of a spelling (`small aux 3` → `small-aux-3`).
fn seed_slug(raw: &str) -> Option<&'static str> {
    Seed::parse_any_case(raw).ok().map(|s| s.slug)
}

/// The final pretraining step of a size (its `main` revision).
fn final_step(size: &str) -> Option<i64> {
    Size::parse(size)
        .ok()
        .and_then(|s| i64::try_from(s.final_step).ok())
}

/// A run's identity for same-name linking.
#[derive(Debug, Clone)]
pub struct NamedRun {
    /// Run uid.
    pub run_uid: String,
    /// Run name.
    pub name: String,
    /// Creation time, microseconds.
    pub created_at: Option<i64>,
    /// First logged step.
    pub first_step: Option<i64>,
    /// Last logged step.
    pub last_step: Option<i64>,
}

/// `resumed_from` / `duplicate_of` rows for runs sharing a name; rows belong to the later run.
pub(crate) fn same_name_rows(runs: &[NamedRun]) -> Vec<Row> {
    let mut by_name: std::collections::BTreeMap<&str, Vec<&NamedRun>> = Default::default();
    for r in runs {
        by_name.entry(r.name.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    for (name, mut group) in by_name {
        group.sort_by(|a, b| (a.created_at, &a.run_uid).cmp(&(b.created_at, &b.run_uid)));
        group.dedup_by(|a, b| a.run_uid == b.run_uid);
        for pair in group.windows(2) {
            let (earlier, later) = (pair[0], pair[1]);
            let resumed =
                matches!((later.first_step, earlier.last_step), (Some(f), Some(l)) if f > l);
            let mut r = Row::default();
            r.str("child_run_uid", later.run_uid.clone());
            r.str("parent_run_uid", earlier.run_uid.clone());
            r.opt_i64("parent_step", earlier.last_step);
            let relation = if resumed {
                Relation::ResumedFrom
            } else {
                Relation::DuplicateOf
            };
            r.str("relation", relation.as_str());
            r.str("evidence_source", EVIDENCE_SAME_NAME);
            r.str("evidence_value", earlier.run_uid.clone());
            r.set("conflict", Cell::Bool(false));
            r.set("resolved", Cell::Bool(true));
            r.str(
                "rule",
                if resumed {
                    "same name, created later, first step after the earlier run's last step"
                } else {
                    "same name, created later, logged steps overlap the earlier run's"
                },
            );
            r.str("note", format!("both runs are named {name:?}"));
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{OutputDirs, normalise_path};

    #[test]
    fn paths_normalise_without_touching_names() {
        assert_eq!(
            normalise_path("/weka//models/./a b/../run 100%..v2/"),
            "/weka/models/run 100%..v2"
        );
        assert_eq!(normalise_path("models/x"), "models/x");
    }

    #[test]
    fn output_folders_match_as_whole_paths() {
        let mut dirs = OutputDirs::default();
        dirs.add("/m/sft dolma/4M", "wandb/e/p/b", Some(2));
        dirs.add("/m/sft dolma/4M/", "wandb/e/p/a", Some(1));
        dirs.add("/m/other", "wandb/e/p/c", None);
        let (uid, note) = dirs.find("/m//sft dolma/4M/").expect("match");
        assert_eq!(uid, "wandb/e/p/b", "the later attempt wrote the model");
        assert!(note.is_some_and(|n| n.contains("wandb/e/p/a")));
        // A folder inside a run's output folder is that run's.
        assert_eq!(
            dirs.find("/m/other/final").map(|m| m.0).as_deref(),
            Some("wandb/e/p/c")
        );
        // The last segment alone is not a match.
        assert_eq!(dirs.find("/elsewhere/4M"), None);
        assert_eq!(dirs.find("/m/sft dolma/4M2"), None);
        // The deepest folder holding the path wins; relative folders match the same way.
        dirs.add("/m", "wandb/e/p/d", None);
        dirs.add("models/run", "wandb/e/p/e", None);
        let uid = |path: &str| dirs.find(path).map(|m| m.0);
        assert_eq!(uid("/m/other/final").as_deref(), Some("wandb/e/p/c"));
        assert_eq!(uid("/m/x/y").as_deref(), Some("wandb/e/p/d"));
        assert_eq!(uid("/m").as_deref(), Some("wandb/e/p/d"));
        assert_eq!(uid("models/run/step100").as_deref(), Some("wandb/e/p/e"));
        assert_eq!(uid("/models/run"), None);
        assert_eq!(uid("/"), None);
        assert_eq!(uid(""), None);
    }
}
