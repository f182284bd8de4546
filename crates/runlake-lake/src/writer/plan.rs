//! Which live files a transaction's upserts and deletions touch, and what remains of them.

use std::collections::{BTreeSet, HashMap, HashSet};

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use runlake_format::{DataFile, StatValue, Table, TableState};

use crate::error::{Result, arrow_err};
use crate::lake::Lake;
use crate::writer::keys::{Fingerprint, FingerprintBuild, fingerprints};

/// What one table's change removes from a base version.
#[derive(Debug, Default)]
pub(crate) struct Removal {
    /// Live files that lose rows.
    pub removed: Vec<DataFile>,
    /// Rows of those files that stay, to be rewritten.
    pub remnants: Vec<RecordBatch>,
    /// Rows dropped from the live files.
    pub rows_dropped: u64,
}

/// The keys a transaction upserted into one table: whole-row checked (with each row's
/// fingerprint) and keys only.
pub(crate) struct UpsertedKeys<'a> {
    pub rows: &'a HashMap<Fingerprint, Fingerprint, FingerprintBuild>,
    pub distinct: &'a HashSet<Fingerprint, FingerprintBuild>,
}

impl UpsertedKeys<'_> {
    fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.distinct.is_empty()
    }

    fn contains(&self, key: &Fingerprint) -> bool {
        self.rows.contains_key(key) || self.distinct.contains(key)
    }
}

/// What a transaction asks of one table's existing rows.
pub(crate) struct Request<'a> {
    pub table: Table,
    pub keys: UpsertedKeys<'a>,
    pub deleted_runs: &'a BTreeSet<String>,
    pub runs: &'a BTreeSet<String>,
    pub new_paths: &'a HashSet<String>,
}

fn might_hold_runs(file: &DataFile, column: &str, runs: &BTreeSet<String>) -> bool {
    let Some(stats) = file.stats.get(column) else {
        return true;
    };
    match (&stats.min, &stats.max) {
        (Some(StatValue::Str(min)), Some(StatValue::Str(max))) => runs
            .range::<String, _>(min.clone()..=max.clone())
            .next()
            .is_some(),
        _ => true,
    }
}

/// Finds the rows of `state`'s files that the request replaces or deletes.
pub(crate) async fn plan_removal(
    lake: &Lake,
    state: &TableState,
    req: &Request<'_>,
) -> Result<Removal> {
    let mut out = Removal::default();
    if req.keys.is_empty() && req.deleted_runs.is_empty() {
        return Ok(out);
    }
    let run_col = req.table.run_column();
    let key_cols = req.table.key_columns();
    for file in &state.files {
        // Same name, same bytes: the transaction rewrote this file identically.
        if req.new_paths.contains(&file.path) || !might_hold_runs(file, run_col, req.runs) {
            continue;
        }
        let batches = lake.read_file(req.table, file).await?;
        let mut kept = Vec::new();
        let mut dropped = 0u64;
        for batch in &batches {
            let fps = fingerprints(batch, key_cols)?;
            let runs = batch
                .column_by_name(run_col)
                .map(|c| c.as_string::<i32>().clone());
            let keep: BooleanArray = (0..batch.num_rows())
                .map(|i| {
                    let by_key = req.keys.contains(&fps[i]);
                    let by_run = runs
                        .as_ref()
                        .is_some_and(|r| req.deleted_runs.contains(r.value(i)));
                    Some(!(by_key || by_run))
                })
                .collect();
            dropped += keep.false_count() as u64;
            kept.push(filter_record_batch(batch, &keep).map_err(arrow_err("dropping rows"))?);
        }
        if dropped > 0 {
            out.rows_dropped += dropped;
            out.removed.push(file.clone());
            out.remnants
                .extend(kept.into_iter().filter(|b| b.num_rows() > 0));
        }
    }
    Ok(out)
}
