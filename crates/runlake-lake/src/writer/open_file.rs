//! One table partition's data file while a transaction writes it, chunk by chunk.
//!
//! Rows often arrive in the table's order already: a run's logged steps, read run after run.
//! While every chunk continues the one before, the chunks are written straight into the kept
//! file, compressed and in full row groups, as if they were one chunk; nothing needs merging.
//! The first chunk that does not continue the order ends that: the chunks before it are closed
//! as one sorted run, the chunk and those after it go to a cheap scratch file (Arrow IPC, see
//! [`scratch_runs`](super::scratch_runs)) as runs of their own, and closing the file merges
//! them all.

use arrow::array::RecordBatch;
use runlake_format::Table;

use crate::error::Result;
use crate::writer::EncodedFile;
use crate::writer::encode::FileBuilder;
use crate::writer::merge_runs::{RunsFile, Sample, merge_runs, sample_keys};
use crate::writer::scratch_runs::ScratchRuns;
use crate::writer::staged::{StagedFile, TempFiles};

/// How a closed file's rows were written, and what is left to do with them.
pub(crate) enum Closed {
    /// The kept file.
    Done(EncodedFile, StagedFile),
    /// Sorted runs to merge into kept files.
    Runs {
        table: Table,
        values: Vec<Option<String>>,
        files: Vec<RunsFile>,
        samples: Vec<Sample>,
    },
}

impl Closed {
    /// The kept files: the file itself, or its runs merged into files of about `range_rows`
    /// rows with row groups of `row_group_rows`.
    pub(crate) fn into_files(
        self,
        temp: &TempFiles,
        row_group_rows: usize,
        range_rows: u64,
    ) -> Result<Vec<(EncodedFile, StagedFile)>> {
        match self {
            Closed::Done(encoded, file) => Ok(vec![(encoded, file)]),
            Closed::Runs {
                table,
                values,
                files,
                samples,
            } => merge_runs(
                table,
                &values,
                files,
                samples,
                temp,
                row_group_rows,
                range_rows,
            ),
        }
    }
}

pub(crate) enum OpenFile {
    /// Every chunk is a sorted run of row groups of the kept file (merging is off).
    Unmerged(FileBuilder<StagedFile>),
    /// Every chunk so far continued the one before: one sorted run, written as kept.
    InOrder {
        builder: FileBuilder<StagedFile>,
        /// Keys sampled from the run, in case a later chunk breaks the order.
        samples: Vec<Sample>,
    },
    /// A chunk broke the order: the chunks before it, closed as run 0, and the runs after it.
    Merging {
        first: RunsFile,
        first_rows: u64,
        scratch: ScratchRuns,
        samples: Vec<Sample>,
    },
}

impl OpenFile {
    pub(crate) fn new(
        table: Table,
        values: &[Option<String>],
        merge: bool,
        temp: &TempFiles,
        row_group_rows: usize,
    ) -> Result<Self> {
        let builder = FileBuilder::new(table, values, temp.kept()?, row_group_rows)?;
        Ok(if merge {
            OpenFile::InOrder {
                builder,
                samples: Vec::new(),
            }
        } else {
            OpenFile::Unmerged(builder)
        })
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        match self {
            OpenFile::Unmerged(builder) | OpenFile::InOrder { builder, .. } => builder.rows(),
            OpenFile::Merging {
                first_rows,
                scratch,
                ..
            } => first_rows + scratch.rows(),
        }
    }

    /// Adds one sorted chunk (file schema, batches in key order).
    pub(crate) fn append(self, chunk: &[RecordBatch], temp: &TempFiles) -> Result<Self> {
        let Some(head) = chunk.first() else {
            return Ok(self);
        };
        match self {
            OpenFile::Unmerged(mut builder) => {
                builder.append(chunk)?;
                Ok(OpenFile::Unmerged(builder))
            }
            OpenFile::InOrder {
                mut builder,
                mut samples,
            } => {
                let (table, _) = builder.slot();
                if builder.follows(head)? {
                    for batch in chunk {
                        let first_row = builder.rows() as usize;
                        samples.extend(sample_keys(table, batch, 0, first_row)?);
                        builder.write(batch)?;
                    }
                    return Ok(OpenFile::InOrder { builder, samples });
                }
                let values = builder.slot().1.to_vec();
                builder.end_run()?;
                let first_rows = builder.rows();
                let run_ends = builder.run_ends().to_vec();
                // Not kept after all: the merge reads it, and its staged name goes.
                let file = builder.finish()?.1.into_file();
                // The runs after the first are only read back once, by the merge.
                let scratch = ScratchRuns::new(table, &values, temp.scratch()?)?;
                let merging = OpenFile::Merging {
                    first: RunsFile::Parquet { file, run_ends },
                    first_rows,
                    scratch,
                    samples,
                };
                merging.append(chunk, temp)
            }
            OpenFile::Merging {
                first,
                first_rows,
                mut scratch,
                mut samples,
            } => {
                let (table, _) = scratch.slot();
                // Run 0 is the first file's; the scratch file's runs follow it.
                let run = 1 + scratch.run_count();
                let mut first_row = 0;
                for batch in chunk {
                    samples.extend(sample_keys(table, batch, run, first_row)?);
                    first_row += batch.num_rows();
                }
                scratch.append(chunk)?;
                Ok(OpenFile::Merging {
                    first,
                    first_rows,
                    scratch,
                    samples,
                })
            }
        }
    }

    /// Closes the file: kept as written, or its runs left to merge.
    pub(crate) fn close(self) -> Result<Closed> {
        match self {
            OpenFile::Unmerged(builder) | OpenFile::InOrder { builder, .. } => {
                let (encoded, file) = builder.finish()?;
                Ok(Closed::Done(encoded, file))
            }
            OpenFile::Merging {
                first,
                scratch,
                samples,
                ..
            } => {
                let (table, values) = scratch.slot();
                let (table, values) = (table, values.to_vec());
                Ok(Closed::Runs {
                    table,
                    values,
                    files: vec![first, RunsFile::Scratch(scratch.finish()?)],
                    samples,
                })
            }
        }
    }
}
