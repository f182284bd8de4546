//! Run records read again from their Parquet runs file as their runs are built, so a large
//! export's config and summary are held a small batch at a time rather than from reading on.
//!
//! Runs are built in reading order, so one cursor moving forward through the file serves
//! them; a record behind the cursor (a re-exported run whose later record wins) reopens it.

use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use super::legacy::legacy_run;
use super::parquet_io::{RUNS_BATCH, batch_rows, batches, guarded, unreadable};
use crate::error::{Result, WandbError};
use crate::json::Object;
use crate::model::{Origin, RunRecord, RunSource};

/// Reads records again by their [`Origin`] (file and 1-based row).
#[derive(Default)]
pub(crate) struct Reread {
    cursor: Option<Cursor>,
}

struct Cursor {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    /// Rows of the file before `rows`.
    before: usize,
    rows: Vec<Object>,
}

impl Reread {
    /// The record at `origin`, read again.
    pub(crate) fn record(&mut self, origin: &Origin) -> Result<RunRecord> {
        let path = origin.path.as_path();
        let row = origin.line;
        let reopen = match &self.cursor {
            Some(c) => c.path != path || row <= c.before,
            None => true,
        };
        if reopen {
            self.cursor = None;
            self.cursor = Some(Cursor::open(path)?);
        }
        let Some(cursor) = self.cursor.as_mut() else {
            return Err(gone(path, row));
        };
        while row > cursor.before + cursor.rows.len() {
            if !cursor.advance()? {
                return Err(gone(path, row));
            }
        }
        let obj = &cursor.rows[row - cursor.before - 1];
        legacy_run(obj, RunSource::WandbLegacyParquet, origin.clone())
    }
}

impl Cursor {
    fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            path: path.to_owned(),
            reader: batches(path, Some(RUNS_BATCH))?,
            before: 0,
            rows: Vec::new(),
        })
    }

    /// Moves to the next batch; false at the end of the file.
    fn advance(&mut self) -> Result<bool> {
        let path = self.path.clone();
        let next = guarded(&path, || match self.reader.next() {
            Some(batch) => batch.map(Some).map_err(|e| unreadable(&path, &e)),
            None => Ok(None),
        })?;
        let Some(batch) = next else {
            return Ok(false);
        };
        self.before += self.rows.len();
        self.rows.clear();
        batch_rows(&path, &batch, self.before, &mut self.rows)?;
        Ok(true)
    }
}

fn gone(path: &Path, row: usize) -> WandbError {
    WandbError::Parquet {
        path: path.to_owned(),
        reason: format!("the file changed during the conversion: row {row} is gone"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenerateOptions, generate};
    use crate::model::Inputs;

    fn read(path: &Path, pack: bool) -> Vec<RunRecord> {
        let mut inputs = Inputs {
            pack_runs: pack,
            ..Inputs::default()
        };
        crate::read::parquet_io::read_runs(path, &mut inputs).expect("read");
        inputs.runs
    }

    fn export(dir: &Path, runs: usize, first_run: usize) -> PathBuf {
        let opts = GenerateOptions {
            runs,
            steps: 2,
            first_run,
            ..GenerateOptions::default()
        };
        generate(dir, &opts).expect("generate").runs_file
    }

    #[test]
    fn records_read_again_in_any_order_equal_those_read_first() {
        let tmp = tempfile::tempdir().expect("tmp");
        // More rows than a batch, so the cursor moves and reopens.
        let file = export(tmp.path(), RUNS_BATCH * 2 + 5, 0);
        let whole = read(&file, false);
        let mut packed = read(&file, true);
        assert!(
            packed
                .iter()
                .all(|r| r.config.is_empty() && r.metadata.is_null())
        );
        // Runs are redacted by the values of every record before any is read again.
        let tokens =
            |runs: &[RunRecord]| crate::redact::Redactor::from_runs(runs).tokens().to_vec();
        assert!(!tokens(&whole).is_empty());
        assert_eq!(tokens(&packed), tokens(&whole));
        let mut order: Vec<usize> = (0..packed.len()).collect();
        // Forward, then a step back into an earlier batch, then the rest backwards.
        order.swap(3, RUNS_BATCH + 1);
        order[RUNS_BATCH + 10..].reverse();
        let mut reread = Reread::default();
        for i in order {
            packed[i].unpack(&mut |o| reread.record(o)).expect("unpack");
            assert_eq!(packed[i].config, whole[i].config, "row {i}");
            assert_eq!(packed[i].summary, whole[i].summary, "row {i}");
            assert_eq!(packed[i].metadata, whole[i].metadata, "row {i}");
            assert_eq!(packed[i].attrs, whole[i].attrs, "row {i}");
            assert!(!packed[i].config.is_empty());
        }
    }

    #[test]
    fn a_runs_file_changed_during_the_conversion_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().expect("tmp");
        let file = export(&tmp.path().join("a"), 6, 0);
        let mut packed = read(&file, true);
        // Fewer rows, and other runs in them.
        let other = export(&tmp.path().join("b"), 3, 100);
        std::fs::copy(&other, &file).expect("copy");
        let mut reread = Reread::default();
        let err = packed[5]
            .unpack(&mut |o| reread.record(o))
            .expect_err("row 6 is gone");
        assert!(err.to_string().contains("row 6 is gone"), "{err}");
        assert!(
            err.to_string().contains(&file.display().to_string()),
            "{err}"
        );
        let err = packed[0]
            .unpack(&mut |o| reread.record(o))
            .expect_err("another run");
        assert!(err.to_string().contains("the file changed"), "{err}");
    }
}
