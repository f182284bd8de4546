//! The lake entry point: convert inputs inside one transaction and commit it.

use std::collections::HashMap;
use std::path::PathBuf;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};
use runlake_format::Table;
use runlake_lake::{Lake, Transaction};

use crate::error::ConvertError;
use crate::model::{CkptFacts, RunKey};
use crate::pipeline::{ConvertOptions, Converter, PlannedFile, plan_inputs};
use crate::summary::{CommitSummary, ConvertSummary, Progress};

/// Checkpoint facts the lake holds, keyed by run and step; see [`known_checkpoints`].
pub type KnownCheckpoints = HashMap<(RunKey, i64), CkptFacts>;

/// Converts DataDecide exports (files or folders) into `lake` as one atomic version.
///
/// Rows are upserted: converting the same inputs again commits nothing (`commit.version` is
/// `None`), and a corrected export of a run replaces that run's rows with equal keys.
/// `progress` is called after every input batch; it must be cheap. The reading and parsing
/// run on the calling task; `runlake_ingest::convert` runs them on blocking threads instead.
pub async fn convert_files(
    lake: &Lake,
    inputs: &[PathBuf],
    opts: ConvertOptions,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<ConvertSummary, ConvertError> {
    let plan = plan_inputs(inputs, opts.kind)?;
    let description = format!("convert {} DataDecide input(s)", inputs.len());
    let mut tx = lake.transaction("convert", &description);
    let known = known_checkpoints(lake).await?;
    let mut summary = convert_into(&mut tx, &plan, opts, known, progress)?;
    let outcome = tx.commit().await?;
    summary.commit = Some(CommitSummary::from(&outcome));
    Ok(summary)
}

/// Converts planned files into `tx` without committing it, so other rows can join the same
/// version. Blocking: it reads files and parses on rayon's threads.
pub fn convert_into(
    tx: &mut Transaction,
    plan: &[PlannedFile],
    opts: ConvertOptions,
    known: KnownCheckpoints,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<ConvertSummary, ConvertError> {
    // The pipeline deduplicates rows by key itself (a clash is its error, naming both rows), so
    // the transaction fingerprints keys only; the reference path keeps whole-row checks.
    let reference = opts.reference;
    let mut sink = |table, batch| {
        if reference {
            tx.upsert(table, batch)
        } else {
            tx.upsert_distinct(table, batch)
        }
        .map_err(ConvertError::Lake)
    };
    let mut conv = Converter::new(opts, &mut sink, progress);
    conv.know_checkpoints(known);
    conv.run_planned(plan)?;
    conv.finish()
}

/// The pretraining checkpoints the lake's latest version holds.
pub async fn known_checkpoints(lake: &Lake) -> Result<KnownCheckpoints, ConvertError> {
    known_checkpoints_at(lake, &lake.latest().await?).await
}

/// The pretraining checkpoints the lake holds at `manifest`, with their facts: a converted
/// checkpoint keeps any fact its input lacks.
pub async fn known_checkpoints_at(
    lake: &Lake,
    manifest: &runlake_format::Manifest,
) -> Result<KnownCheckpoints, ConvertError> {
    let mut known = HashMap::new();
    for batch in lake.read_table(manifest, Table::PretrainCkpts).await? {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .map(|c| c.as_string::<i32>().clone())
        };
        let float = |name: &str| {
            batch
                .column_by_name(name)
                .map(|c| c.as_primitive::<Float64Type>().clone())
        };
        let (Some(recipe), Some(size), Some(seed), Some(step), Some(tokens)) = (
            text("recipe"),
            text("size"),
            text("seed"),
            batch
                .column_by_name("step")
                .map(|c| c.as_primitive::<Int64Type>().clone()),
            batch
                .column_by_name("tokens")
                .map(|c| c.as_primitive::<Int64Type>().clone()),
        ) else {
            continue;
        };
        let (Some(compute), Some(lr), Some(cum_lr)) = (
            float("compute"),
            float("learning_rate"),
            float("cumulative_lr"),
        ) else {
            continue;
        };
        // Values an earlier conversion computed from the schedule are not facts of the export:
        // they are left out so a later export's own values win and the flags stay true.
        // Version 1 files have no flags; their values all came from exports.
        let flag = |name: &str| batch.column_by_name(name).map(|c| c.as_boolean().clone());
        let (tokens_derived, compute_derived, lr_derived) = (
            flag("tokens_derived"),
            flag("compute_derived"),
            flag("lr_derived"),
        );
        let derived = |f: &Option<arrow::array::BooleanArray>, i: usize| {
            f.as_ref().is_some_and(|a| a.is_valid(i) && a.value(i))
        };
        let opt = |a: &arrow::array::Float64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
        for i in 0..batch.num_rows() {
            if recipe.is_null(i) || size.is_null(i) || seed.is_null(i) {
                continue;
            }
            // Rows of runs outside the DataDecide vocabulary are not ours to merge.
            let Ok(run) = RunKey::parse(recipe.value(i), size.value(i), seed.value(i)) else {
                continue;
            };
            known.insert(
                (run, step.value(i)),
                CkptFacts {
                    tokens: (!tokens.is_null(i) && !derived(&tokens_derived, i))
                        .then(|| tokens.value(i) as f64),
                    compute: opt(&compute, i).filter(|_| !derived(&compute_derived, i)),
                    learning_rate: opt(&lr, i).filter(|_| !derived(&lr_derived, i)),
                    cumulative_lr: opt(&cum_lr, i).filter(|_| !derived(&lr_derived, i)),
                },
            );
        }
    }
    Ok(known)
}
