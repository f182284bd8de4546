//! Handing built rows to the transaction.
//!
//! Rows of runs new to the lake are appended: no stored row can share their keys, so the
//! commit need not look for rows they replace, and converting one more run reads none of the
//! files the table already has. Every other row is upserted.

use std::collections::{BTreeMap, HashSet};

use arrow::array::{Array, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::util::display::array_value_to_string;
use runlake_format::Table;
use runlake_format::tables::EVIDENCE_SAME_NAME;
use runlake_lake::Transaction;

use crate::build::{RunOutput, piece_batches};
use crate::error::{Result, WandbError};
use crate::lake_rows::str_at;
use crate::stream::StreamPlan;

fn arrow_err(table: Table) -> impl Fn(arrow::error::ArrowError) -> WandbError {
    move |source| WandbError::Arrow {
        table: table.name(),
        source,
    }
}

/// `batch` without the same-name link rows in `links` (`(child, earlier run)`).
pub(crate) fn without_links(
    batch: &RecordBatch,
    links: &HashSet<(String, String)>,
) -> Result<RecordBatch> {
    if links.is_empty() {
        return Ok(batch.clone());
    }
    let keep: BooleanArray = (0..batch.num_rows())
        .map(|i| {
            let link = str_at(batch, "evidence_source", i).as_deref() == Some(EVIDENCE_SAME_NAME);
            let pair = (
                str_at(batch, "child_run_uid", i).unwrap_or_default(),
                str_at(batch, "evidence_value", i).unwrap_or_default(),
            );
            Some(!(link && links.contains(&pair)))
        })
        .collect();
    filter_record_batch(batch, &keep).map_err(arrow_err(Table::Lineage))
}

/// Adds `batch` to `tx`: the rows of `new_runs` appended when their keys are distinct (as an
/// upsert would have kept them all), every other row upserted.
pub(crate) fn add(
    tx: &mut Transaction,
    table: Table,
    batch: RecordBatch,
    new_runs: &HashSet<String>,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let is_new: BooleanArray = (0..batch.num_rows())
        .map(|i| Some(str_at(&batch, table.run_column(), i).is_some_and(|r| new_runs.contains(&r))))
        .collect();
    // Usually every row is new, or none is: the batch goes on whole rather than copied.
    let (fresh, rest) = match is_new.true_count() {
        n if n == batch.num_rows() => (batch, RecordBatch::new_empty(table.schema())),
        0 => (RecordBatch::new_empty(table.schema()), batch),
        _ => {
            let fresh = filter_record_batch(&batch, &is_new).map_err(arrow_err(table))?;
            let not_new = arrow::compute::not(&is_new).map_err(arrow_err(table))?;
            let rest = filter_record_batch(&batch, &not_new).map_err(arrow_err(table))?;
            (fresh, rest)
        }
    };
    if fresh.num_rows() > 0 {
        if distinct_keys(table, &fresh)? {
            tx.append(table, fresh)?;
        } else {
            tx.upsert(table, fresh)?;
        }
    }
    if rest.num_rows() > 0 {
        tx.upsert(table, rest)?;
    }
    Ok(())
}

fn distinct_keys(table: Table, batch: &RecordBatch) -> Result<bool> {
    let columns: Vec<&arrow::array::ArrayRef> = table
        .key_columns()
        .iter()
        .filter_map(|c| batch.column_by_name(c))
        .collect();
    let mut seen = HashSet::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let mut key = String::new();
        for c in &columns {
            if c.is_null(i) {
                key.push('\u{1}');
            } else {
                key.push_str(&array_value_to_string(c, i).map_err(arrow_err(table))?);
            }
            key.push('\u{0}');
        }
        if !seen.insert(key) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Runs new to the lake, handed to the transaction a few at a time while later runs are still
/// being built, so the rows of a large export are never all held at once.
#[derive(Debug, Default)]
pub(crate) struct NewRuns {
    piece: Vec<RunOutput>,
    /// Every run staged, with where its record came in the inputs.
    pub uids: Vec<(usize, String)>,
    /// Their column-wise history plans, staged with the other runs' at the end.
    pub streams: Vec<StreamPlan>,
    /// Rows staged per table.
    pub rows_written: BTreeMap<String, usize>,
}

impl NewRuns {
    /// Runs converted together: enough for batches of useful size, few enough that their rows
    /// are a small part of a large conversion.
    const RUNS_PER_PIECE: usize = 64;

    /// Takes `run`, staging the piece it completes. Blocking when `tx` writes a full buffer.
    pub fn push(&mut self, mut run: RunOutput, tx: &mut Transaction) -> Result<()> {
        self.streams.extend(run.take_stream());
        self.uids.push((run.position, run.run_uid.clone()));
        self.piece.push(run);
        if self.piece.len() >= Self::RUNS_PER_PIECE {
            self.flush(tx)?;
        }
        Ok(())
    }

    /// Stages the runs taken since the last piece.
    pub fn flush(&mut self, tx: &mut Transaction) -> Result<()> {
        let mut piece = std::mem::take(&mut self.piece);
        // In run order the metadata and lineage rows arrive in their files' key order.
        piece.sort_by(|a, b| a.run_uid.cmp(&b.run_uid));
        let uids: HashSet<String> = piece.iter().map(|r| r.run_uid.clone()).collect();
        for (table, batch) in piece_batches(&piece)? {
            if let Some(batch) = batch {
                *self
                    .rows_written
                    .entry(table.name().to_owned())
                    .or_default() += batch.num_rows();
                add(tx, table, batch, &uids)?;
            }
        }
        Ok(())
    }
}
