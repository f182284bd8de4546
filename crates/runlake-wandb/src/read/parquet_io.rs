//! dr_wandb v0 Parquet exports: runs with JSON-string columns (`config`, `summary`,
//! `wandb_metadata`, `system_metrics`, `system_attrs`, `sweep_info`) and history with one
//! column per metric (or a JSON `metrics` column).

use std::fs::File;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type, Int32Type, Int64Type, UInt64Type};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use runlake_format::message::decoder_detail;

use super::{history_row, legacy::legacy_run, origin};
use crate::error::{Result, WandbError};
use crate::json::{Json, Number, Object};
use crate::model::{Inputs, RunSource};

/// Column names of a Parquet file, without reading its data.
pub(crate) fn column_names(path: &Path) -> Result<Vec<String>> {
    let builder = open(path)?;
    Ok(builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect())
}

fn open(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|source| WandbError::Io {
        path: path.to_owned(),
        source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(path, &e))
}

/// Rows of a runs file decoded at a time: each holds a run's config and summary text, often
/// tens of kilobytes, and the parsed rows of a batch are held together.
pub(crate) const RUNS_BATCH: usize = 64;

fn rows(path: &Path) -> Result<Vec<Object>> {
    let mut out = Vec::new();
    each_row(path, None, &mut |_, row| {
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` with every row (its 1-based number and its cells) one record batch at a time, so
/// a large file's rows are never all held.
fn each_row(
    path: &Path,
    batch_size: Option<usize>,
    f: &mut dyn FnMut(usize, Object) -> Result<()>,
) -> Result<()> {
    guarded(path, || decode_rows(path, batch_size, f))
}

/// Runs `decode`, turning a panic of the decoder into an error naming `path`: damaged pages
/// can make it panic deep inside instead of returning an error, and that is a damaged input,
/// reported as such, not a crash.
pub(crate) fn guarded<T>(path: &Path, decode: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(WandbError::Parquet {
            path: path.to_owned(),
            reason: format!("the decoder failed on its contents ({detail})"),
        })
    })
}

/// A reader of `path`'s record batches, `batch_size` rows each when given.
pub(crate) fn batches(path: &Path, batch_size: Option<usize>) -> Result<ParquetRecordBatchReader> {
    let mut builder = open(path)?;
    if let Some(n) = batch_size {
        builder = builder.with_batch_size(n);
    }
    builder.build().map_err(|e| unreadable(path, &e))
}

fn decode_rows(
    path: &Path,
    batch_size: Option<usize>,
    f: &mut dyn FnMut(usize, Object) -> Result<()>,
) -> Result<()> {
    let reader = batches(path, batch_size)?;
    let mut seen = 0;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(path, &e))?;
        let mut rows = Vec::with_capacity(batch.num_rows());
        batch_rows(path, &batch, seen, &mut rows)?;
        for row in rows {
            seen += 1;
            f(seen, row)?;
        }
    }
    Ok(())
}

pub(crate) fn unreadable(path: &Path, e: &dyn std::error::Error) -> WandbError {
    WandbError::Parquet {
        path: path.to_owned(),
        reason: decoder_detail(&e.to_string()),
    }
}

/// Appends the rows of `batch`, which follow `before` rows of the file, to `out`.
pub(crate) fn batch_rows(
    path: &Path,
    batch: &RecordBatch,
    before: usize,
    out: &mut Vec<Object>,
) -> Result<()> {
    let schema = batch.schema();
    let first = out.len();
    out.extend((0..batch.num_rows()).map(|_| Object::default()));
    for (col, field) in batch.columns().iter().zip(schema.fields()) {
        for (i, row) in out[first..].iter_mut().enumerate() {
            let v = cell(col.as_ref(), i).map_err(|reason| WandbError::Field {
                path: path.to_owned(),
                line: before + i + 1,
                field: field.name().clone(),
                reason,
            })?;
            row.push(field.name().clone(), v);
        }
    }
    Ok(())
}

fn cell(col: &dyn Array, i: usize) -> std::result::Result<Json, String> {
    if col.is_null(i) {
        return Ok(Json::Null);
    }
    Ok(match col.data_type() {
        DataType::Utf8 => Json::String(col.as_string::<i32>().value(i).to_owned()),
        DataType::LargeUtf8 => Json::String(col.as_string::<i64>().value(i).to_owned()),
        DataType::Utf8View => Json::String(col.as_string_view().value(i).to_owned()),
        DataType::Int64 => Json::Number(Number::from_i64(col.as_primitive::<Int64Type>().value(i))),
        DataType::Int32 => Json::Number(Number::from_i64(i64::from(
            col.as_primitive::<Int32Type>().value(i),
        ))),
        DataType::UInt64 => {
            let v = col.as_primitive::<UInt64Type>().value(i);
            Json::Number(
                i64::try_from(v)
                    .map(Number::from_i64)
                    .unwrap_or_else(|_| Number::from_f64(v as f64)),
            )
        }
        DataType::Float64 => {
            Json::Number(Number::from_f64(col.as_primitive::<Float64Type>().value(i)))
        }
        DataType::Float32 => Json::Number(Number::from_f64(f64::from(
            col.as_primitive::<Float32Type>().value(i),
        ))),
        DataType::Boolean => Json::Bool(col.as_boolean().value(i)),
        DataType::Null => Json::Null,
        other => {
            let text = arrow::util::display::array_value_to_string(col, i)
                .map_err(|e| format!("cannot read a {other} value: {e}"))?;
            Json::String(text)
        }
    })
}

pub(crate) fn read_runs(path: &Path, inputs: &mut Inputs) -> Result<()> {
    each_row(path, Some(RUNS_BATCH), &mut |line, row| {
        let run = legacy_run(&row, RunSource::WandbLegacyParquet, origin(path, line))?;
        // The file can be read again when the run is built (`read::Reread`).
        inputs.add_run(run, 0);
        Ok(())
    })?;
    inputs.files.push(path.to_owned());
    Ok(())
}

/// Scans a history file for streaming, or reads its rows when it cannot be streamed.
pub(crate) fn scan_history(path: &Path, inputs: &mut Inputs) -> Result<()> {
    // A file the scan cannot read (or whose decoder panics on damaged pages) goes to the
    // row-wise reader, which reports it as it always has.
    let mut scanned = Inputs {
        hold_history: inputs.hold_history,
        ..Inputs::default()
    };
    let scan = std::panic::AssertUnwindSafe(|| crate::stream::scan::scan(path, &mut scanned));
    if let Ok(Ok(true)) = std::panic::catch_unwind(scan) {
        inputs.hold_history = scanned.hold_history;
        inputs.extend(scanned);
        return Ok(());
    }
    read_history_rows(path, inputs)
}

/// Reads every row of a history file into memory.
pub(crate) fn read_history_rows(path: &Path, inputs: &mut Inputs) -> Result<()> {
    for (i, row) in rows(path)?.into_iter().enumerate() {
        // Null cells in a wide history table mean "not logged at this step", not a logged null.
        let row = Object(row.0.into_iter().filter(|(_, v)| !v.is_null()).collect());
        inputs.history.push(history_row(&row, origin(path, i + 1))?);
    }
    inputs.files.push(path.to_owned());
    Ok(())
}
