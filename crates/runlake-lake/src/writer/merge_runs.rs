//! Merging the sorted runs of a freshly written data file into one sorted run.
//!
//! The writer appends each spilled buffer to its partition's file as a sorted run of row
//! groups, so memory stays bounded; but then one task's rows sit in a row group of every run,
//! and a narrow query pays each row group's fixed costs (and, on object storage, requests)
//! once per run. Before the file is hashed and uploaded, its runs are merged from the local
//! temporary file into a new one whose row groups follow one order, as `compact` would make
//! it. Each run is read one row group at a time, a small batch per run, so memory is about
//! one compressed row group per run.

use std::fs::File;

use arrow::array::RecordBatch;
use arrow::row::{RowConverter, Rows};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use runlake_format::Table;

use crate::error::{LakeError, Result, arrow_err};
use crate::merge::interleave_picks;
use crate::order::{sort_key_columns, sort_key_converter};
use crate::writer::EncodedFile;
use crate::writer::encode::{FileBuilder, parquet_err};

/// Rows each run decodes at a time.
const CURSOR_ROWS: usize = 4096;

/// One run being read: its current batch, that batch's sort keys, and the next row.
struct Run {
    reader: ParquetRecordBatchReader,
    keys: Rows,
    pos: usize,
    /// Index of the current batch in `sources`.
    source: usize,
}

/// Rewrites `file` (of `table`, with these partition values, written as runs ending at the
/// row groups `run_ends`) as one sorted run with row groups of `row_group_rows`. Rows with
/// equal keys keep the order of their runs.
pub(crate) fn merge_runs(
    table: Table,
    partition_values: &[Option<String>],
    file: &File,
    run_ends: &[usize],
    row_group_rows: usize,
) -> Result<(EncodedFile, File)> {
    let io = |e: std::io::Error| LakeError::Task(format!("temporary data file: {e}"));
    let meta =
        ArrowReaderMetadata::load(file, ArrowReaderOptions::new()).map_err(parquet_err(table))?;
    let converter = sort_key_converter(table, table.sort_columns())?;
    let mut runs = Vec::with_capacity(run_ends.len());
    let mut start = 0;
    for &end in run_ends {
        if end > start {
            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
                file.try_clone().map_err(io)?,
                meta.clone(),
            )
            .with_row_groups((start..end).collect())
            .with_batch_size(CURSOR_ROWS)
            .build()
            .map_err(parquet_err(table))?;
            runs.push(Run {
                reader,
                keys: converter.empty_rows(0, 0),
                pos: 0,
                source: 0,
            });
        }
        start = end;
    }

    let out = tempfile::tempfile().map_err(io)?;
    let mut builder = FileBuilder::new(table, partition_values, out, row_group_rows)?;
    let mut merge = Merge {
        table,
        converter,
        sources: Vec::new(),
    };
    let mut live: Vec<usize> = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter_mut().enumerate() {
        if merge.advance(run)? {
            live.push(i);
        }
    }
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(row_group_rows);
    while !live.is_empty() {
        // The run with the smallest next key (the earliest run among equal ones), and the
        // next smallest key, up to which it can be taken without looking again.
        let mut best = 0;
        for j in 1..live.len() {
            if runs[live[j]].key() < runs[live[best]].key() {
                best = j;
            }
        }
        let next = (0..live.len())
            .filter(|&j| j != best)
            .min_by(|&a, &b| runs[live[a]].key().cmp(runs[live[b]].key()));
        let (taker, bound) = match next {
            Some(j) => (live[best], Some(live[j])),
            None => (live[best], None),
        };
        loop {
            let run = &runs[taker];
            let within = match bound {
                None => true,
                Some(b) => {
                    let (mine, theirs) = (run.key(), runs[b].key());
                    mine < theirs || (mine == theirs && taker < b)
                }
            };
            if !within {
                break;
            }
            picks.push((run.source, run.pos));
            let run = &mut runs[taker];
            run.pos += 1;
            if picks.len() >= row_group_rows {
                merge.flush(&mut picks, &mut runs, &live, &mut builder)?;
            }
            let run = &mut runs[taker];
            if run.pos == run.keys.num_rows() && !merge.advance(run)? {
                live.retain(|&i| i != taker);
                break;
            }
        }
    }
    merge.flush(&mut picks, &mut runs, &live, &mut builder)?;
    builder.finish()
}

impl Run {
    fn key(&self) -> &[u8] {
        self.keys.row(self.pos).data()
    }
}

struct Merge {
    table: Table,
    converter: RowConverter,
    /// Batches picks point into: the current batch of every run, and earlier ones still
    /// picked from.
    sources: Vec<RecordBatch>,
}

impl Merge {
    /// Moves `run` to its next non-empty batch; `false` once it is done.
    fn advance(&mut self, run: &mut Run) -> Result<bool> {
        for batch in run.reader.by_ref() {
            let batch = batch.map_err(|e| parquet_err(self.table)(e.into()))?;
            if batch.num_rows() == 0 {
                continue;
            }
            let columns = sort_key_columns(self.table, &batch).map_err(LakeError::Task)?;
            run.keys = self
                .converter
                .convert_columns(&columns)
                .map_err(arrow_err("encoding sort keys"))?;
            run.pos = 0;
            run.source = self.sources.len();
            self.sources.push(batch);
            return Ok(true);
        }
        Ok(false)
    }

    /// Writes the picked rows as one chunk, then keeps only the batches runs still read.
    fn flush(
        &mut self,
        picks: &mut Vec<(usize, usize)>,
        runs: &mut [Run],
        live: &[usize],
        builder: &mut FileBuilder<File>,
    ) -> Result<()> {
        if picks.is_empty() {
            return Ok(());
        }
        let mut live_runs: Vec<&mut Run> = runs
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| live.contains(i))
            .map(|(_, r)| r)
            .collect();
        let out = interleave_picks(
            &mut self.sources,
            picks,
            live_runs.iter_mut().map(|r| &mut r.source),
        )?;
        builder.append(&out)?;
        Ok(())
    }
}
