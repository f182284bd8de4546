//! Which run an oe-eval output folder belongs to: the one named by the options, or the one
//! its model path names most specifically.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{BuildOptions, KnownRun};
use crate::coerce::string_lenient;
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
                output_dir: r.config.get("output_dir").and_then(string_lenient),
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
