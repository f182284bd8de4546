//! Streams a file as Arrow batches on a reader thread, so decoding overlaps with parsing.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};

use crate::error::ConvertError;
use crate::jsonl;

/// Rows per Parquet batch and lines per JSONL chunk: enough to keep both cores parsing, few
/// enough that the four chunks in flight (read ahead, reading, parsing, consumed) stay small.
pub const CHUNK_ROWS: usize = 32_768;

/// One batch of a file: its rows, where each starts, and lines that were not JSON.
pub struct Chunk {
    pub batch: RecordBatch,
    /// Row number (0-based, Parquet) or line number (1-based, JSONL) of each batch row.
    pub row_numbers: RowNumbers,
    pub bad_lines: Vec<(u64, String)>,
}

pub enum RowNumbers {
    /// Consecutive rows starting here.
    From(u64),
    /// One number per row.
    Lines(Vec<u64>),
}

impl RowNumbers {
    pub fn get(&self, i: usize) -> u64 {
        match self {
            RowNumbers::From(start) => start + i as u64,
            RowNumbers::Lines(v) => v.get(i).copied().unwrap_or(0),
        }
    }
}

/// Whether a path is read as JSON Lines (by extension); anything else is Parquet.
pub fn is_jsonl(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "json" | "ndjson")
    )
}

/// Column names and, for Parquet, the row count, without reading the data.
pub fn peek(path: &Path) -> Result<(Vec<String>, Option<u64>), ConvertError> {
    let io = |source| ConvertError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    if is_jsonl(path) {
        let mut reader = BufReader::new(file);
        let mut first = String::new();
        let mut raw = Vec::new();
        while first.trim().is_empty() {
            raw.clear();
            if reader.read_until(b'\n', &mut raw).map_err(io)? == 0 {
                break;
            }
            // Only the column names matter here; reading the file reports a bad line by number.
            first = String::from_utf8_lossy(&raw).into_owned();
        }
        let chunk = jsonl::lines_to_batch(&[(1, first)])?;
        let cols = chunk
            .batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        return Ok((cols, None));
    }
    let pq = |source| ConvertError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?;
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).ok();
    let cols = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Ok((cols, rows))
}

/// Starts a reader thread; batches arrive on the receiver, at most two ahead of the consumer.
/// `views` reads Parquet `metrics` text as string views (see [`builder`]).
pub fn stream(
    path: PathBuf,
    views: bool,
) -> (Receiver<Result<Chunk, ConvertError>>, JoinHandle<()>) {
    let (tx, rx) = sync_channel(2);
    // Named after the file, so a panic message says which file was being read.
    let name = format!("read {}", path.display());
    let handle = std::thread::Builder::new().name(name).spawn(move || {
        let read = || {
            if is_jsonl(&path) {
                read_jsonl(&path, &tx)
            } else {
                read_parquet(&path, views, &tx)
            }
        };
        // A panic in the decoder would end this thread and close the channel, which the
        // consumer cannot tell from the end of the file: the rest of the file would be lost
        // without a word. It becomes an error naming the file instead.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
            .unwrap_or_else(|panic| Err(decoder_panicked(&path, panic.as_ref())));
        if let Err(e) = result {
            // The consumer may be gone already; then nobody needs the error.
            let _ = tx.send(Err(e));
        }
    });
    // `std::thread::spawn` panics the same way when the OS cannot start a thread.
    let handle = handle.expect("the OS starts a reader thread");
    (rx, handle)
}

type Tx = std::sync::mpsc::SyncSender<Result<Chunk, ConvertError>>;

fn decoder_panicked(path: &Path, panic: &(dyn std::any::Any + Send)) -> ConvertError {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    ConvertError::Unreadable {
        path: path.to_owned(),
        source: parquet::errors::ParquetError::General(format!(
            "the decoder failed on its contents ({detail})"
        )),
    }
}

fn read_parquet(path: &Path, views: bool, tx: &Tx) -> Result<(), ConvertError> {
    let pq = |source| ConvertError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(|source| ConvertError::Io {
        path: path.to_owned(),
        source,
    })?;
    let builder = if views {
        builder(path, file)?
    } else {
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?
    };
    let reader = builder.with_batch_size(CHUNK_ROWS).build().map_err(pq)?;
    let mut start = 0u64;
    for batch in reader {
        let batch =
            batch.map_err(|e| pq(parquet::errors::ParquetError::ArrowError(e.to_string())))?;
        let n = batch.num_rows() as u64;
        let chunk = Chunk {
            batch,
            row_numbers: RowNumbers::From(start),
            bad_lines: Vec::new(),
        };
        start += n;
        if tx.send(Ok(chunk)).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// A reader that decodes the `metrics` text as string views into the decompressed pages:
/// the longest column of the train split is then neither copied nor held twice.
fn builder(path: &Path, file: File) -> Result<ParquetRecordBatchReaderBuilder<File>, ConvertError> {
    let pq = |source| ConvertError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let plain = ParquetRecordBatchReaderBuilder::try_new(file.try_clone().map_err(|source| {
        ConvertError::Io {
            path: path.to_owned(),
            source,
        }
    })?)
    .map_err(pq)?;
    let schema = plain.schema();
    let is_text = |f: &Field| matches!(f.data_type(), DataType::Utf8 | DataType::LargeUtf8);
    if !schema
        .fields()
        .iter()
        .any(|f| f.name() == "metrics" && is_text(f))
    {
        return Ok(plain);
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == "metrics" && is_text(f) {
                f.as_ref().clone().with_data_type(DataType::Utf8View)
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let hinted = Schema::new_with_metadata(fields, schema.metadata().clone());
    let options = ArrowReaderOptions::new().with_schema(Arc::new(hinted));
    // A file whose other columns the hint cannot describe is read as it is.
    Ok(ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).unwrap_or(plain))
}

fn read_jsonl(path: &Path, tx: &Tx) -> Result<(), ConvertError> {
    let io = |source| ConvertError::Io {
        path: path.to_owned(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut lines = Vec::with_capacity(CHUNK_ROWS);
    let mut not_text = Vec::new();
    let send = |lines: &mut Vec<(u64, String)>,
                not_text: &mut Vec<(u64, String)>|
     -> Result<bool, ConvertError> {
        let chunk = jsonl::lines_to_batch(lines)?;
        lines.clear();
        let mut bad_lines = chunk.bad_lines;
        if !not_text.is_empty() {
            bad_lines.append(not_text);
            bad_lines.sort_by_key(|(line, _)| *line);
        }
        Ok(tx
            .send(Ok(Chunk {
                batch: chunk.batch,
                row_numbers: RowNumbers::Lines(chunk.line_numbers),
                bad_lines,
            }))
            .is_ok())
    };
    let mut raw = Vec::new();
    let mut number = 0u64;
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw).map_err(io)? == 0 {
            break;
        }
        number += 1;
        match line_text(std::mem::take(&mut raw)) {
            Ok(text) => lines.push((number, text)),
            Err(reason) => not_text.push((number, reason)),
        }
        if lines.len() + not_text.len() == CHUNK_ROWS && !send(&mut lines, &mut not_text)? {
            return Ok(());
        }
    }
    if !lines.is_empty() || !not_text.is_empty() {
        send(&mut lines, &mut not_text)?;
    }
    Ok(())
}

/// One line without its line ending, or why it is not text.
fn line_text(mut raw: Vec<u8>) -> Result<String, String> {
    if raw.last() == Some(&b'\n') {
        raw.pop();
        if raw.last() == Some(&b'\r') {
            raw.pop();
        }
    }
    String::from_utf8(raw).map_err(|e| {
        format!(
            "not valid UTF-8 (from byte {} of the line)",
            e.utf8_error().valid_up_to() + 1
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_text_strips_endings_and_names_the_first_bad_byte() {
        assert_eq!(line_text(b"{}\r\n".to_vec()), Ok("{}".to_owned()));
        assert_eq!(line_text(b"{}".to_vec()), Ok("{}".to_owned()));
        assert_eq!(
            line_text(b"{\"a\": \"\xff\"}\n".to_vec()),
            Err("not valid UTF-8 (from byte 8 of the line)".to_owned())
        );
    }
}
