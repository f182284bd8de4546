//! The lake entry point: convert inputs inside one transaction and commit it.

use std::path::PathBuf;

use runlake_lake::Lake;

use crate::error::ConvertError;
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
    let mut summary = {
        let mut conv = Converter::new(opts, &mut sink, progress);
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
