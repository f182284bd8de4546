//! Run records read again from their runs file as their runs are built, so a large export's
//! config and summary are held a record or a small batch at a time rather than from reading
//! on.
//!
//! A JSONL record is its line, read again from the byte it starts at. Parquet runs are built
//! in reading order, so one cursor moving forward through the file serves them; a record
//! behind the cursor (a re-exported run whose later record wins) reopens it.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use super::legacy::legacy_run;
use super::parquet_io::{RUNS_BATCH, batch_rows, batches, guarded, unreadable};
use crate::error::{Result, WandbError};
use crate::json::{Json, Object};
use crate::model::{Origin, RunRecord, RunSource};

/// Reads records again by their [`Origin`] (file and 1-based row or line).
#[derive(Default)]
pub(crate) struct Reread {
    cursor: Option<Cursor>,
    /// The JSONL file last read from.
    lines: Option<(PathBuf, BufReader<File>)>,
}

struct Cursor {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    /// Rows of the file before `rows`.
    before: usize,
    rows: Vec<Object>,
}

impl Reread {
    /// The record at `origin`, of format `source`, read again; `offset` is where its line
    /// starts in a JSONL file.
    pub(crate) fn record(
        &mut self,
        origin: &Origin,
        source: RunSource,
        offset: u64,
    ) -> Result<RunRecord> {
        match source {
            RunSource::WandbLegacyParquet => self.row(origin),
            RunSource::WandbV3 => {
                let line = self.line(origin, offset)?;
                // Entity and project defaults do not touch what is read again.
                super::v3::line_record(line, &Default::default(), origin.clone())
            }
            RunSource::WandbLegacyJsonl => {
                let line = self.line(origin, offset)?;
                super::legacy::line_record(line, origin.clone())
            }
        }
    }

    /// The JSONL line at `offset`, parsed.
    fn line(&mut self, origin: &Origin, offset: u64) -> Result<Json> {
        let path = origin.path.as_path();
        let io = |source| WandbError::Io {
            path: path.to_owned(),
            source,
        };
        if self.lines.as_ref().is_none_or(|(p, _)| p != path) {
            self.lines = Some((
                path.to_owned(),
                BufReader::new(File::open(path).map_err(io)?),
            ));
        }
        let Some((_, reader)) = self.lines.as_mut() else {
            return Err(gone(path, origin.line));
        };
        reader.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut bytes = Vec::new();
        reader.read_until(b'\n', &mut bytes).map_err(io)?;
        super::parse_line(path, origin.line, &bytes)?.ok_or_else(|| gone(path, origin.line))
    }

    /// The Parquet row at `origin`.
    fn row(&mut self, origin: &Origin) -> Result<RunRecord> {
        let path = origin.path.as_path();
        let row = origin.line;
        let reopen = match &self.cursor {
            Some(c) => c.path != path || row <= c.before,
            None => true,
        };
        if reopen {
            // The old cursor's rows go before the new one reads any.
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
        reason: format!("the file changed during the conversion: record {row} is gone"),
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
            packed[i]
                .unpack(&mut |o, s, at| reread.record(o, s, at))
                .expect("unpack");
            assert_eq!(packed[i].config, whole[i].config, "row {i}");
            assert_eq!(packed[i].summary, whole[i].summary, "row {i}");
            assert_eq!(packed[i].metadata, whole[i].metadata, "row {i}");
            assert_eq!(packed[i].attrs, whole[i].attrs, "row {i}");
            assert!(!packed[i].config.is_empty());
        }
    }

    fn testdata(path: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/wandb")
            .join(path)
    }

    #[test]
    fn jsonl_records_read_again_by_their_line_equal_those_read_first() {
        let tmp = tempfile::tempdir().expect("tmp");
        for (source, name) in [
            ("dr_wandb_v3/ft-scaling/runs.jsonl", "runs.jsonl"),
            ("legacy_v0/wandb_runs.jsonl", "wandb_runs.jsonl"),
        ] {
            // Windows line ends and blank lines move every record's offset.
            let text = std::fs::read_to_string(testdata(source)).expect("runs");
            let file = tmp.path().join(name);
            std::fs::write(&file, format!("\r\n{}", text.replace('\n', "\r\n\n"))).expect("write");
            let read = |pack: bool| {
                let mut inputs = Inputs {
                    pack_runs: pack,
                    ..Inputs::default()
                };
                let kind = if name == "runs.jsonl" {
                    crate::read::InputKind::V3RunsJsonl
                } else {
                    crate::read::InputKind::RunsJsonl
                };
                crate::read::scan_input(&file, &kind, &mut inputs).expect("read");
                inputs.runs
            };
            let whole = read(false);
            let mut packed = read(true);
            assert!(whole.len() > 1, "{source}");
            let mut reread = Reread::default();
            for i in (0..packed.len()).rev() {
                packed[i]
                    .unpack(&mut |o, s, at| reread.record(o, s, at))
                    .expect("unpack");
                assert!(!packed[i].config.is_empty(), "{source} {i}");
                assert_eq!(packed[i].config, whole[i].config, "{source} {i}");
                assert_eq!(packed[i].summary, whole[i].summary, "{source} {i}");
                assert_eq!(packed[i].metadata, whole[i].metadata, "{source} {i}");
                assert_eq!(packed[i].attrs, whole[i].attrs, "{source} {i}");
            }
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
            .unpack(&mut |o, s, at| reread.record(o, s, at))
            .expect_err("row 6 is gone");
        assert!(err.to_string().contains("record 6 is gone"), "{err}");
        assert!(
            err.to_string().contains(&file.display().to_string()),
            "{err}"
        );
        let err = packed[0]
            .unpack(&mut |o, s, at| reread.record(o, s, at))
            .expect_err("another run");
        assert!(err.to_string().contains("the file changed"), "{err}");
    }
}
