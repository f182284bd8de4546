//! Sorted runs that a merge reads back once, kept in Arrow's IPC file format.
//!
//! A run in the scratch file is read exactly once, by the merge of the process that wrote it.
//! IPC stores arrays' buffers as they lie in memory, so writing a run is a copy and reading it
//! back one more; Parquet encoded every value on the way out (levels, plain encoding, pages)
//! and decoded it on the way in (padding nulls back), about a tenth of converting the
//! DataDecide split. Batches are cut to the size the merge holds of a run at a time, so it
//! reads whole batches and skips whole batches below its key range.

use std::fs::File;
use std::io::{BufReader, BufWriter};

use arrow::array::RecordBatch;
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use runlake_format::Table;

use crate::error::{LakeError, Result, arrow_err};
use crate::writer::shared_file::{At, SharedFile};
use crate::writer::transaction::batch_bytes;

/// Decoded bytes, and rows, of one batch of a run at most: what a merge holds of each run.
pub(crate) const CURSOR_BYTES: usize = 4 << 20;
pub(crate) const CURSOR_ROWS: usize = 4096;

/// The scratch file being written, one sorted run after another.
pub(crate) struct ScratchRuns {
    table: Table,
    partition_values: Vec<Option<String>>,
    writer: FileWriter<BufWriter<File>>,
    runs: RunIndex,
}

/// Where a scratch file's runs lie: run `i` is batches `run_ends[i - 1]..run_ends[i]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunIndex {
    pub run_ends: Vec<usize>,
    pub batch_rows: Vec<usize>,
    /// Decoded bytes of all batches, to size the merge's output batches.
    pub bytes: u64,
}

/// A finished scratch file and where its runs lie.
pub(crate) struct ScratchFile {
    pub file: File,
    pub runs: RunIndex,
}

impl ScratchRuns {
    pub(crate) fn new(
        table: Table,
        partition_values: &[Option<String>],
        file: File,
    ) -> Result<Self> {
        let writer = FileWriter::try_new_buffered(file, &table.file_schema())
            .map_err(arrow_err("starting a scratch file"))?;
        Ok(Self {
            table,
            partition_values: partition_values.to_vec(),
            writer,
            runs: RunIndex::default(),
        })
    }

    /// The table and partition values the runs belong to.
    pub(crate) fn slot(&self) -> (Table, &[Option<String>]) {
        (self.table, &self.partition_values)
    }

    /// Runs written so far.
    pub(crate) fn run_count(&self) -> usize {
        self.runs.run_ends.len()
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        self.runs.batch_rows.iter().map(|&r| r as u64).sum()
    }

    /// Appends one sorted chunk (file schema, batches in key order) as a run of its own.
    pub(crate) fn append(&mut self, chunk: &[RecordBatch]) -> Result<()> {
        for batch in chunk.iter().filter(|b| b.num_rows() > 0) {
            let rows = batch.num_rows();
            // The bytes of the rows, not of the buffers they may be sliced from: a few rows of a
            // decoded history batch would look a thousand times wider, and go a row at a time.
            let row_bytes = (batch_bytes(batch) / rows).max(1);
            let step = (CURSOR_BYTES / row_bytes).clamp(1, CURSOR_ROWS);
            for start in (0..rows).step_by(step) {
                let len = step.min(rows - start);
                self.writer
                    .write(&batch.slice(start, len))
                    .map_err(arrow_err("writing a scratch file"))?;
                self.runs.batch_rows.push(len);
                self.runs.bytes += (row_bytes * len) as u64;
            }
        }
        self.runs.run_ends.push(self.runs.batch_rows.len());
        Ok(())
    }

    /// Writes the file's footer (`into_inner` finishes the IPC file) and hands the file over.
    pub(crate) fn finish(self) -> Result<ScratchFile> {
        let file = self
            .writer
            .into_inner()
            .map_err(arrow_err("finishing a scratch file"))?
            .into_inner()
            .map_err(|e| LakeError::Task(format!("temporary data file: {}", e.error())))?;
        Ok(ScratchFile {
            file,
            runs: self.runs,
        })
    }
}

/// One run of a scratch file, read a batch at a time from its first row at or after `skip`.
pub(crate) struct ScratchRun {
    reader: FileReader<BufReader<At>>,
    /// Batches of the run still to read.
    left: usize,
    /// Rows still to skip at the start of the next batch.
    skip: usize,
}

impl ScratchRun {
    /// Run `run` of the scratch file `file`, whose runs lie as `index` says, without its
    /// first `skip` rows.
    pub(crate) fn open(
        file: &SharedFile,
        index: &RunIndex,
        run: usize,
        mut skip: usize,
    ) -> Result<Self> {
        let start = run.checked_sub(1).map_or(0, |r| index.run_ends[r]);
        let end = index.run_ends[run];
        let mut first = start;
        while first < end && skip >= index.batch_rows[first] {
            skip -= index.batch_rows[first];
            first += 1;
        }
        let mut reader = FileReader::try_new(file.reader_at(0), None)
            .map_err(arrow_err("opening a scratch file"))?;
        if first < end {
            reader
                .set_index(first)
                .map_err(arrow_err("reading a scratch file"))?;
        }
        Ok(Self {
            reader,
            left: end - first,
            skip,
        })
    }
}

impl Iterator for ScratchRun {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let batch = match self.reader.next()? {
            Ok(batch) => batch,
            Err(e) => return Some(Err(arrow_err("reading a scratch file")(e))),
        };
        let skip = std::mem::take(&mut self.skip).min(batch.num_rows());
        Some(Ok(batch.slice(skip, batch.num_rows() - skip)))
    }
}

#[cfg(test)]
mod tests {
    use arrow::compute::concat_batches;

    use super::*;
    use crate::testkit::batch;

    /// `rows_per_run` rows of each of `runs` runs of the `evals` file schema.
    fn chunk(runs: usize, rows_per_run: usize, seed: u64) -> RecordBatch {
        let names: Vec<String> = (0..runs).map(|r| format!("run-{r}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let rows = batch(Table::Evals, &names, rows_per_run, seed);
        let schema = Table::Evals.file_schema();
        let keep: Vec<usize> = schema
            .fields()
            .iter()
            .map(|f| rows.schema().index_of(f.name()).expect("file column"))
            .collect();
        rows.project(&keep).expect("file schema")
    }

    /// An empty scratch file of `evals` runs.
    fn scratch() -> ScratchRuns {
        let file = tempfile::tempfile().expect("tempfile");
        ScratchRuns::new(Table::Evals, &[Some("pretrain".into())], file).expect("scratch")
    }

    #[test]
    fn rows_sliced_from_a_large_batch_are_written_at_their_own_width() {
        let mut scratch = scratch();
        let wide = chunk(20, 2_000, 4);
        scratch.append(&[wide.slice(100, 300)]).expect("append");
        let ScratchFile { runs: index, .. } = scratch.finish().expect("finish");
        assert_eq!(index.batch_rows, vec![300]);
    }

    #[test]
    fn runs_read_back_as_written_from_any_row() {
        let mut scratch = scratch();
        let runs = [
            vec![chunk(5, 2_000, 1), chunk(1, 3, 2)],
            vec![],
            vec![chunk(1, 1, 3)],
        ];
        for run in &runs {
            scratch.append(run).expect("append");
        }
        assert_eq!(scratch.run_count(), 3);
        assert_eq!(scratch.rows(), 10_004);
        let ScratchFile { file, runs: index } = scratch.finish().expect("finish");
        assert!(index.batch_rows.iter().all(|&r| r <= CURSOR_ROWS));
        let file = SharedFile::new(file).expect("shared");
        for (i, run) in runs.iter().enumerate() {
            let schema = Table::Evals.file_schema();
            let want = concat_batches(&schema, run).expect("concat");
            for skip in [0, 1, 4095, 4096, 4097, 10_002, 10_003, 20_000] {
                let got: Vec<RecordBatch> = ScratchRun::open(&file, &index, i, skip)
                    .expect("open")
                    .collect::<Result<_>>()
                    .expect("read");
                let got = concat_batches(&schema, &got).expect("concat");
                let skip = skip.min(want.num_rows());
                assert_eq!(
                    got,
                    want.slice(skip, want.num_rows() - skip),
                    "run {i} from {skip}"
                );
            }
        }
    }
}
