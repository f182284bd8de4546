//! Which run an oe-eval output folder belongs to (the one named by the options, or the one
//! its model path names most specifically), and its task rows added to that run's evals.

use std::borrow::Cow;
use std::collections::HashMap;

use runlake_format::tables::TrainingType;

use super::{BuildOptions, KnownRun, OeEvalMatch, Report, RunOutput};
use crate::error::{Result, WandbError};
use crate::model::{OeEvalDump, RunRecord};
use crate::redact::Redactor;

pub(super) fn match_oe_eval(
    dump: &OeEvalDump,
    order: &[String],
    records: &HashMap<String, &RunRecord>,
    known: &[KnownRun],
    opts: &BuildOptions,
    redactor: &Redactor,
) -> Result<(String, String)> {
    struct Candidate {
        uid: String,
        id: String,
        name: Option<String>,
        output_dir: Option<String>,
    }
    let mut candidates: Vec<Candidate> = order
        .iter()
        .map(|uid| {
            let r = records[uid];
            Candidate {
                uid: uid.clone(),
                id: r.run_id.clone(),
                name: r.name.clone(),
                output_dir: r.output_dir(),
            }
        })
        .collect();
    for k in known {
        if !candidates.iter().any(|c| c.uid == k.run_uid) {
            candidates.push(Candidate {
                uid: k.run_uid.clone(),
                id: k.run_id().into_owned(),
                name: k.name.clone(),
                output_dir: k.output_dir.clone(),
            });
        }
    }
    if let Some(want) = &opts.oe_eval_run {
        if let Some(c) = candidates
            .iter()
            .find(|c| c.uid == *want || c.id == *want || c.name.as_deref() == Some(want))
        {
            return Ok((c.uid.clone(), "explicit run".into()));
        }
        if want.starts_with("wandb/") {
            return Ok((want.clone(), "explicit run".into()));
        }
        return Err(WandbError::UnmatchedOeEval {
            path: dump.folder.clone(),
            model_path: format!("(explicit run {want} is not known)"),
        });
    }
    let folder = dump.folder.display().to_string();
    let raw: Vec<&str> = dump
        .model_paths
        .iter()
        .map(String::as_str)
        .chain([folder.as_str()])
        .collect();
    // The lake stores its runs' output folders redacted; the same path redacted can match.
    let redacted: Vec<String> = raw
        .iter()
        .map(|p| redactor.text(p))
        .filter_map(|p| match p {
            Cow::Owned(p) => Some(p),
            Cow::Borrowed(_) => None,
        })
        .collect();
    let paths: Vec<&str> = raw
        .into_iter()
        .chain(redacted.iter().map(String::as_str))
        .collect();
    // Most specific first: a run id in the path, then a run name, then an output folder.
    type Test = fn(&Candidate, &str, &[&str]) -> bool;
    let tiers: [(&str, Test); 3] = [
        ("run id", |c, _, segs| segs.contains(&c.id.as_str())),
        ("run name", |c, _, segs| {
            c.name.as_deref().is_some_and(|n| segs.contains(&n))
        }),
        ("output folder", |c, p, _| {
            c.output_dir.as_deref().is_some_and(|o| {
                let o = o.trim_end_matches('/');
                !o.is_empty() && (p.starts_with(o) || o.starts_with(p.trim_end_matches('/')))
            })
        }),
    ];
    for (what, test) in tiers {
        for p in &paths {
            let segments: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
            let hits: Vec<&Candidate> = candidates
                .iter()
                .filter(|c| test(c, p, &segments))
                .collect();
            if let [one] = hits.as_slice() {
                return Ok((one.uid.clone(), format!("{what} in the model path")));
            }
        }
    }
    Err(WandbError::UnmatchedOeEval {
        path: dump.folder.clone(),
        model_path: dump.model_paths.first().cloned().unwrap_or_default(),
    })
}
/// Adds the task rows of each matched folder (`(folder, run uid, how it was matched)`) to its
/// run's evals, with the checkpoint fields of the run's metadata row or of the lake's record.
/// A later folder for the same run and source replaces an earlier one's task.
pub(super) fn add_results(
    runs: &mut Vec<RunOutput>,
    matches: Vec<(usize, String, String)>,
    dumps: &[OeEvalDump],
    known: &[KnownRun],
    redactor: &Redactor,
    report: &mut Report,
) {
    for (d, uid, matched_by) in matches {
        let dump = &dumps[d];
        let (recipe, size, seed, tt) = match runs
            .iter()
            .find(|r| r.run_uid == uid)
            .and_then(|r| r.metadata.as_ref())
        {
            Some(m) => (
                super::cell_str(m, "recipe"),
                super::cell_str(m, "size"),
                super::cell_str(m, "seed"),
                super::cell_str(m, "training_type").unwrap_or_default(),
            ),
            None => {
                let k = known.iter().find(|k| k.run_uid == uid);
                (
                    k.and_then(|k| k.recipe.clone()),
                    k.and_then(|k| k.size.clone()),
                    k.and_then(|k| k.seed.clone()),
                    k.map(|k| k.training_type.clone()).unwrap_or_default(),
                )
            }
        };
        let eval_run = super::evals::EvalRun {
            run_uid: &uid,
            recipe: recipe.as_deref(),
            size: size.as_deref(),
            seed: seed.as_deref(),
        };
        let rows = super::evals::oe_eval_rows(&eval_run, &dump.tasks, redactor, report);
        report.oe_eval.push(OeEvalMatch {
            folder: dump.folder.display().to_string(),
            run_uid: uid.clone(),
            matched_by,
            tasks: rows.len(),
            duplicate_lines: dump.duplicate_lines,
            conflicting_lines: dump.conflicting_lines.clone(),
        });
        let tt = TrainingType::posttrain(&tt);
        let target = super::attach(runs, &uid, tt);
        // A later folder for the same run and source replaces an earlier one's task.
        for r in rows {
            let key = (r.get("task").cloned(), r.get("source").cloned());
            target
                .evals
                .retain(|e| (e.get("task").cloned(), e.get("source").cloned()) != key);
            target.evals.push(r);
        }
    }
}
