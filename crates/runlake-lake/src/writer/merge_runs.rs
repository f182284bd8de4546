//! Merging the sorted runs of a freshly written data file into sorted files.
//!
//! The writer appends each spilled buffer to its partition's file as a sorted run of row
//! groups, so memory stays bounded; but then one task's rows sit in a row group of every run,
//! and a narrow query pays each row group's fixed costs (and, on object storage, requests)
//! once per run. Before the file is hashed and uploaded, its runs are merged from the local
//! temporary file into new files whose row groups follow one order, as `compact` would make
//! them. Each run is read one row group at a time, a small batch per run, so memory is about
//! one compressed row group per run.
//!
//! A large file is merged as several files over disjoint ranges of the sort key, one thread
//! each: the merge is the one step of a conversion that can only start after the last input,
//! and splitting it keeps every core busy there. The ranges come from keys sampled while the
//! runs were written, so the split depends only on the rows, never on the machine.

use std::fs::File;

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take;
use arrow::row::{RowConverter, Rows};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use runlake_format::Table;

use crate::error::{LakeError, Result, arrow_err};
use crate::merge::interleave_picks;
use crate::order::{sort_key_columns, sort_key_converter};
use crate::writer::EncodedFile;
use crate::writer::encode::{FileBuilder, parquet_err};
use crate::writer::scratch_runs::{CURSOR_BYTES, CURSOR_ROWS, RunIndex, ScratchFile, ScratchRun};
use crate::writer::shared_file::SharedFile;
use crate::writer::staged::{StagedFile, TempFiles};

/// Bytes of picked rows held before they are written. A merge holds a batch of every run
/// ([`CURSOR_BYTES`] or [`CURSOR_ROWS`] at most, the rows also being the spacing of sampled
/// keys), so wide rows (a run's whole config and summary, tens of kilobytes each) are read a
/// few at a time.
const PICKED_BYTES: usize = 32 << 20;

/// The sort key of one row of a run, kept to split a merge into key ranges.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Sample {
    pub key: Vec<u8>,
    /// The run (appended chunk) the row is in, and its row number within the run.
    pub run: usize,
    pub row: usize,
}

/// The sort keys of every `CURSOR_ROWS`th row of `batch`, a sorted chunk of run `run` whose
/// first row is the run's row `first_row`.
pub(crate) fn sample_keys(
    table: Table,
    batch: &RecordBatch,
    run: usize,
    first_row: usize,
) -> Result<Vec<Sample>> {
    let rows: Vec<u32> = (0..batch.num_rows())
        .step_by(CURSOR_ROWS)
        .map(|r| r as u32)
        .collect();
    let indices = UInt32Array::from(rows.clone());
    let columns = sort_key_columns(table, batch)
        .map_err(LakeError::Task)?
        .iter()
        .map(|c| take(c.as_ref(), &indices, None))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(arrow_err("sampling sort keys"))?;
    let keys = sort_key_converter(table, table.sort_columns())?
        .convert_columns(&columns)
        .map_err(arrow_err("sampling sort keys"))?;
    Ok(rows
        .iter()
        .zip(keys.iter())
        .map(|(&row, key)| Sample {
            key: key.data().to_vec(),
            run,
            row: first_row + row as usize,
        })
        .collect())
}

/// A range of sort keys merged into one file: keys at least `lo` and below `hi`.
#[derive(Debug, Clone, Default)]
struct KeyRange {
    lo: Option<Vec<u8>>,
    hi: Option<Vec<u8>>,
}

/// Splits the keys into ranges of about `range_rows` rows each, at sampled keys.
fn key_ranges(samples: &mut [Sample], rows: u64, range_rows: u64) -> Vec<KeyRange> {
    let parts = rows.div_ceil(range_rows.max(1)).max(1) as usize;
    samples.sort();
    let mut bounds: Vec<Vec<u8>> = Vec::new();
    for i in 1..parts {
        let Some(sample) = samples.get(i * samples.len() / parts) else {
            break;
        };
        // A bound at the smallest key would leave the first range empty.
        let above_last = match bounds.last() {
            Some(last) => sample.key > *last,
            None => samples.first().is_some_and(|first| sample.key > first.key),
        };
        if above_last {
            bounds.push(sample.key.clone());
        }
    }
    let mut ranges = Vec::with_capacity(bounds.len() + 1);
    let mut lo = None;
    for bound in bounds {
        ranges.push(KeyRange {
            lo: lo.take(),
            hi: Some(bound.clone()),
        });
        lo = Some(bound);
    }
    ranges.push(KeyRange { lo, hi: None });
    ranges
}

/// A file of sorted runs to merge.
pub(crate) enum RunsFile {
    /// A Parquet file whose run `i` is row groups `run_ends[i - 1]..run_ends[i]`.
    Parquet { file: File, run_ends: Vec<usize> },
    /// A scratch file of runs.
    Scratch(ScratchFile),
}

/// Rewrites the runs of `files` (of `table`, with these partition values, holding runs
/// numbered across the files in order, of which `samples` were sampled) as sorted files of
/// about `range_rows` rows, over disjoint key ranges, with row groups of `row_group_rows`.
/// Rows with equal keys keep the order of their runs.
pub(crate) fn merge_runs(
    table: Table,
    partition_values: &[Option<String>],
    files: Vec<RunsFile>,
    mut samples: Vec<Sample>,
    temp: &TempFiles,
    row_group_rows: usize,
    range_rows: u64,
) -> Result<Vec<(EncodedFile, StagedFile)>> {
    let io = |e: std::io::Error| LakeError::Task(format!("temporary data file: {e}"));
    let mut sources = Vec::with_capacity(files.len());
    for runs in files {
        sources.push(match runs {
            RunsFile::Parquet { file, run_ends } => {
                let file = SharedFile::new(file).map_err(io)?;
                let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
                    .map_err(parquet_err(table))?;
                Source::Parquet {
                    file,
                    meta,
                    run_ends,
                }
            }
            RunsFile::Scratch(ScratchFile { file, runs }) => Source::Scratch {
                file: SharedFile::new(file).map_err(io)?,
                runs,
            },
        });
    }
    let rows: u64 = sources.iter().map(|s| s.size().1).sum();
    let ranges = key_ranges(&mut samples, rows, range_rows);
    let job = Job {
        table,
        partition_values,
        sources: &sources,
        samples: &samples,
        temp,
        row_group_rows,
    };
    let merged: Vec<Result<Option<(EncodedFile, StagedFile)>>> = if ranges.len() == 1 {
        vec![job.merge(&ranges[0])]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = ranges
                .iter()
                .map(|range| {
                    let job = &job;
                    s.spawn(move || job.merge(range))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(LakeError::Task("merging thread panicked".into())))
                })
                .collect()
        })
    };
    let mut out = Vec::with_capacity(merged.len());
    for file in merged {
        out.extend(file?);
    }
    Ok(out)
}

/// A file of runs, opened for reading.
enum Source {
    Parquet {
        file: SharedFile,
        meta: ArrowReaderMetadata,
        run_ends: Vec<usize>,
    },
    Scratch {
        file: SharedFile,
        runs: RunIndex,
    },
}

impl Source {
    /// Decoded bytes and rows of all its runs.
    fn size(&self) -> (u64, u64) {
        match self {
            // Row groups' sizes are their decoded sizes, whatever the compression.
            Source::Parquet { meta, .. } => {
                meta.metadata()
                    .row_groups()
                    .iter()
                    .fold((0, 0), |(b, r), g| {
                        (
                            b + u64::try_from(g.total_byte_size()).unwrap_or(0),
                            r + u64::try_from(g.num_rows()).unwrap_or(0),
                        )
                    })
            }
            Source::Scratch { runs, .. } => {
                (runs.bytes, runs.batch_rows.iter().map(|&r| r as u64).sum())
            }
        }
    }
}

/// What every range's merge reads.
struct Job<'a> {
    table: Table,
    partition_values: &'a [Option<String>],
    sources: &'a [Source],
    samples: &'a [Sample],
    temp: &'a TempFiles,
    row_group_rows: usize,
}

/// Reads one run's batches.
enum RunReader {
    Parquet(ParquetRecordBatchReader, Table),
    Scratch(ScratchRun),
}

impl Iterator for RunReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RunReader::Parquet(reader, table) => {
                Some(reader.next()?.map_err(|e| parquet_err(*table)(e.into())))
            }
            RunReader::Scratch(run) => run.next(),
        }
    }
}

/// One run being read: its current batch, that batch's sort keys, and the next row.
struct Run {
    reader: RunReader,
    keys: Rows,
    pos: usize,
    /// Index of the current batch in `sources`.
    source: usize,
}

impl Job<'_> {
    /// Merges the rows of `range` into one file, or none when it holds no rows.
    fn merge(&self, range: &KeyRange) -> Result<Option<(EncodedFile, StagedFile)>> {
        let table = self.table;
        let mut merge = Merge {
            table,
            converter: sort_key_converter(table, table.sort_columns())?,
            sources: Vec::new(),
            range,
        };
        let (bytes, rows) = self
            .sources
            .iter()
            .map(Source::size)
            .fold((0, 0), |(b, r), (sb, sr)| (b + sb, r + sr));
        let row_bytes = usize::try_from(bytes / rows.max(1)).unwrap_or(1).max(1);
        let cursor_rows = (CURSOR_BYTES / row_bytes).clamp(1, CURSOR_ROWS);
        let picked_rows = (PICKED_BYTES / row_bytes).clamp(1, self.row_group_rows.max(1));
        let readers = self.readers(range, cursor_rows)?;
        let mut runs: Vec<Run> = readers
            .into_iter()
            .map(|reader| Run {
                reader,
                keys: merge.converter.empty_rows(0, 0),
                pos: 0,
                source: 0,
            })
            .collect();

        let out = self.temp.kept()?;
        let mut builder = FileBuilder::new(table, self.partition_values, out, self.row_group_rows)?;
        let mut live: Vec<usize> = Vec::with_capacity(runs.len());
        for (i, run) in runs.iter_mut().enumerate() {
            if merge.settle(run)? {
                live.push(i);
            }
        }
        let mut picks: Vec<(usize, usize)> = Vec::with_capacity(picked_rows);
        // Rows written into the row group in progress.
        let mut group_rows = 0;
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
                runs[taker].pos += 1;
                if picks.len() >= picked_rows {
                    group_rows += picks.len();
                    let full = group_rows >= self.row_group_rows;
                    merge.flush(&mut picks, &mut runs, &live, &mut builder, full)?;
                    if full {
                        group_rows = 0;
                    }
                }
                if !merge.settle(&mut runs[taker])? {
                    live.retain(|&i| i != taker);
                    break;
                }
            }
        }
        merge.flush(&mut picks, &mut runs, &live, &mut builder, true)?;
        if builder.rows() == 0 {
            return Ok(None);
        }
        builder.finish().map(Some)
    }

    /// A reader of every run, from the row to start `range` at, decoding batches of
    /// `cursor_rows` rows where it decodes Parquet.
    fn readers(&self, range: &KeyRange, cursor_rows: usize) -> Result<Vec<RunReader>> {
        let table = self.table;
        let mut readers = Vec::new();
        let mut index = 0;
        for source in self.sources {
            match source {
                Source::Parquet {
                    file,
                    meta,
                    run_ends,
                } => {
                    let groups = meta.metadata().row_groups();
                    let mut start = 0;
                    for &end in run_ends {
                        if end > start {
                            let run_rows: usize = groups[start..end]
                                .iter()
                                .map(|g| g.num_rows() as usize)
                                .sum();
                            let skip = self.first_row(index, range).min(run_rows);
                            let selection = RowSelection::from(vec![
                                RowSelector::skip(skip),
                                RowSelector::select(run_rows - skip),
                            ]);
                            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
                                file.clone(),
                                meta.clone(),
                            )
                            .with_row_groups((start..end).collect())
                            .with_row_selection(selection)
                            .with_batch_size(cursor_rows)
                            .build()
                            .map_err(parquet_err(table))?;
                            readers.push(RunReader::Parquet(reader, table));
                        }
                        start = end;
                        index += 1;
                    }
                }
                Source::Scratch { file, runs } => {
                    for run in 0..runs.run_ends.len() {
                        let skip = self.first_row(index, range);
                        readers.push(RunReader::Scratch(ScratchRun::open(file, runs, run, skip)?));
                        index += 1;
                    }
                }
            }
        }
        Ok(readers)
    }

    /// The row of run `run` to start reading `range` from: the last sampled row below its
    /// lower bound, so at most `CURSOR_ROWS` rows are read only to be skipped.
    fn first_row(&self, run: usize, range: &KeyRange) -> usize {
        let Some(lo) = &range.lo else {
            return 0;
        };
        self.samples
            .iter()
            .filter(|s| s.run == run && s.key < *lo)
            .map(|s| s.row)
            .max()
            .unwrap_or(0)
    }
}

impl Run {
    fn key(&self) -> &[u8] {
        self.keys.row(self.pos).data()
    }
}

struct Merge<'a> {
    table: Table,
    converter: RowConverter,
    /// Batches picks point into: the current batch of every run, and earlier ones still
    /// picked from.
    sources: Vec<RecordBatch>,
    range: &'a KeyRange,
}

impl Merge<'_> {
    /// Moves `run` to its next row within the range, reading its next batch when needed;
    /// `false` once it has no more.
    fn settle(&mut self, run: &mut Run) -> Result<bool> {
        loop {
            if run.pos >= run.keys.num_rows() {
                if !self.advance(run)? {
                    return Ok(false);
                }
                continue;
            }
            let key = run.key();
            if self.range.lo.as_deref().is_some_and(|lo| key < lo) {
                run.pos += 1;
                continue;
            }
            return Ok(self.range.hi.as_deref().is_none_or(|hi| key < hi));
        }
    }

    /// Moves `run` to its next non-empty batch; `false` once it is done.
    fn advance(&mut self, run: &mut Run) -> Result<bool> {
        for batch in run.reader.by_ref() {
            let batch = batch?;
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

    /// Writes the picked rows, ending the row group when `end_group`, then keeps only the
    /// batches runs still read.
    fn flush(
        &mut self,
        picks: &mut Vec<(usize, usize)>,
        runs: &mut [Run],
        live: &[usize],
        builder: &mut FileBuilder<StagedFile>,
        end_group: bool,
    ) -> Result<()> {
        if picks.is_empty() {
            if end_group {
                builder.end_run()?;
            }
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
        builder.write(&out)?;
        if end_group {
            builder.end_run()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(key: u8, run: usize, row: usize) -> Sample {
        Sample {
            key: vec![key],
            run,
            row,
        }
    }

    #[test]
    fn ranges_split_at_sampled_keys_and_never_start_empty() {
        let samples = vec![sample(5, 0, 0), sample(1, 1, 0), sample(9, 1, 4096)];
        let one = key_ranges(&mut samples.clone(), 100, 1000);
        assert_eq!(one.len(), 1);
        assert!(one[0].lo.is_none() && one[0].hi.is_none());

        let two = key_ranges(&mut samples.clone(), 100, 50);
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].hi.as_deref(), Some(&[5u8][..]));
        assert_eq!(two[1].lo.as_deref(), Some(&[5u8][..]));

        // Equal keys give one bound, and a bound never sits at the smallest key.
        let mut same = vec![sample(3, 0, 0), sample(3, 1, 0), sample(3, 2, 0)];
        assert_eq!(key_ranges(&mut same, 300, 100).len(), 1);
    }
}
