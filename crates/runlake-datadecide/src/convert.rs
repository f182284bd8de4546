//! The lake entry point: convert inputs inside one transaction and commit it.

use std::collections::HashMap;
use std::path::PathBuf;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};
use runlake_format::Table;
use runlake_lake::Lake;

use crate::error::ConvertError;
use crate::model::{CkptFacts, RunKey};
use crate::pipeline::{ConvertOptions, Converter};
use crate::summary::{CommitSummary, ConvertSummary, Progress};

/// Converts DataDecide exports (files or folders) into `lake` as one atomic version.
///
/// Rows are upserted: converting the same inputs again commits nothing (`commit.version` is
/// `None`), and a corrected export of a run replaces that run's rows with equal keys.
/// `progress` is called after every input batch; it must be cheap.
pub async fn convert_files(
    lake: &Lake,
    inputs: &[PathBuf],
    opts: ConvertOptions,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<ConvertSummary, ConvertError> {
    let description = format!("convert {} DataDecide input(s)", inputs.len());
    let mut tx = lake.transaction("convert", &description);
    let mut sink = |table, batch| tx.upsert(table, batch).map_err(ConvertError::Lake);
    let known = known_checkpoints(lake).await?;
    let mut summary = {
        let mut conv = Converter::new(opts, &mut sink, progress);
        conv.know_checkpoints(known);
        conv.run(inputs)?;
        conv.finish()?
    };
    let outcome = tx.commit().await?;
    summary.commit = Some(CommitSummary {
        version: outcome.version,
        rows_added: outcome.rows_added,
        rows_removed: outcome.rows_removed,
        files_added: outcome.files_added,
        bytes_added: outcome.bytes_added,
    });
    Ok(summary)
}

/// The pretraining checkpoints the lake holds, with their facts.
async fn known_checkpoints(lake: &Lake) -> Result<HashMap<(RunKey, i64), CkptFacts>, ConvertError> {
    let manifest = lake.latest().await?;
    let mut known = HashMap::new();
    for batch in lake.read_table(&manifest, Table::PretrainCkpts).await? {
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
                    tokens: (!tokens.is_null(i)).then(|| tokens.value(i) as f64),
                    compute: opt(&compute, i),
                    learning_rate: opt(&lr, i),
                    cumulative_lr: opt(&cum_lr, i),
                },
            );
        }
    }
    Ok(known)
}
