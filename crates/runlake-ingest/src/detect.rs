//! Deciding each input's kind once; the converters then read by that decision.

use std::path::{Path, PathBuf};

use runlake_datadecide::{PlannedFile, plan_inputs};
use runlake_wandb::read::InputKind;

use crate::error::IngestError;
use crate::options::{Family, ForcedKind};
use crate::summary::InputSummary;

/// Every input with its kind.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// DataDecide files, folders expanded.
    pub pretraining: Vec<PlannedFile>,
    /// Post-training inputs as given.
    pub post_training: Vec<(PathBuf, InputKind)>,
    /// One entry per input as given.
    pub inputs: Vec<InputSummary>,
}

/// Decides the kind of every input. Blocking: it peeks into files.
pub(crate) fn plan(inputs: &[PathBuf], forced: Option<ForcedKind>) -> Result<Plan, IngestError> {
    let mut plan = Plan::default();
    for path in inputs {
        if !path.exists() {
            return Err(IngestError::Missing { path: path.clone() });
        }
        match detect(path, forced)? {
            Detected::Pretraining(files) => {
                plan.inputs.push(InputSummary {
                    path: path.display().to_string(),
                    family: Family::Pretraining,
                    kind: kinds(&files),
                });
                plan.pretraining.extend(files);
            }
            Detected::PostTraining(kind) => {
                plan.inputs.push(InputSummary {
                    path: path.display().to_string(),
                    family: Family::PostTraining,
                    kind: post_kind_name(&kind).to_owned(),
                });
                plan.post_training.push((path.clone(), kind));
            }
        }
    }
    Ok(plan)
}

enum Detected {
    Pretraining(Vec<PlannedFile>),
    PostTraining(InputKind),
}

fn detect(path: &Path, forced: Option<ForcedKind>) -> Result<Detected, IngestError> {
    let one = vec![path.to_path_buf()];
    match forced {
        Some(ForcedKind::Pretraining(kind)) => {
            return Ok(Detected::Pretraining(plan_inputs(&one, Some(kind))?));
        }
        Some(ForcedKind::OeEval) => return Ok(Detected::PostTraining(InputKind::OeEval)),
        Some(ForcedKind::Wandb) => {
            return Ok(Detected::PostTraining(runlake_wandb::read::detect(path)?));
        }
        None => {}
    }
    let pretraining = match plan_inputs(&one, None) {
        Ok(files) if !files.is_empty() => return Ok(Detected::Pretraining(files)),
        Ok(_) => "no .parquet or .jsonl files".to_owned(),
        Err(e) => e.to_string(),
    };
    match runlake_wandb::read::detect(path) {
        Ok(kind) => Ok(Detected::PostTraining(kind)),
        Err(post) => Err(IngestError::UnknownInput {
            path: path.to_owned(),
            pretraining,
            post_training: post.to_string(),
        }),
    }
}

fn kinds(files: &[PlannedFile]) -> String {
    let mut names: Vec<&str> = files.iter().map(|f| f.kind.name()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

fn post_kind_name(kind: &InputKind) -> &'static str {
    match kind {
        InputKind::WandbV3 => "wandb_v3",
        InputKind::V3RunsJsonl => "wandb_v3_runs_jsonl",
        InputKind::V3HistoryJsonl => "wandb_v3_history_jsonl",
        InputKind::RunsJsonl => "wandb_runs_jsonl",
        InputKind::HistoryJsonl => "wandb_history_jsonl",
        InputKind::RunsParquet => "wandb_runs_parquet",
        InputKind::HistoryParquet => "wandb_history_parquet",
        InputKind::OeEval => "oe_eval",
        InputKind::Folder(_) => "folder",
    }
}
