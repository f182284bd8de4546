//! Reading table folders through Delta readers (delta-rs, Polars) for the tests, with what each
//! read returned cast to the table's logical schema.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runlake_format::Table;

/// One read: a table folder's URI (a path or `s3://...`) and a version (`None`: the latest).
pub struct DeltaRead {
    /// The table read.
    pub table: Table,
    /// Folder or URI of the table.
    pub uri: String,
    /// Version to read, or the latest.
    pub version: Option<u64>,
}

/// Reads each of `reads` with `engine` (`deltalake` or `polars`) in one Python process.
/// Each result is the rows read, or the reader's error message.
pub fn read_delta(
    engine: &str,
    storage_options: &serde_json::Value,
    reads: &[DeltaRead],
    scratch: &Path,
) -> Vec<Result<Vec<RecordBatch>, String>> {
    let script = super::env::repo_root().join("tests/delta/read_delta.py");
    let outs: Vec<_> = (0..reads.len())
        .map(|i| scratch.join(format!("{engine}-{i}.parquet")))
        .collect();
    for out in &outs {
        let _ = std::fs::remove_file(out);
        let _ = std::fs::remove_file(out.with_extension("parquet.error"));
    }
    let args: Vec<String> = reads
        .iter()
        .zip(&outs)
        .map(|(r, out)| {
            let version = r.version.map_or("latest".to_owned(), |v| v.to_string());
            format!("{}:{version}:{}", r.uri, out.display())
        })
        .collect();
    let run = Command::new(super::env::python())
        .arg(script)
        .arg(engine)
        .arg(storage_options.to_string())
        .args(&args)
        .output()
        .expect("python runs");
    // A reader that aborts the process (as delta-rs does on some missing files) fails every
    // read it had not finished.
    let died = (!run.status.success()).then(|| {
        format!(
            "the {engine} process died ({}): {}",
            run.status,
            String::from_utf8_lossy(&run.stderr)
        )
    });
    reads
        .iter()
        .zip(&outs)
        .map(|(r, out)| {
            let error = out.with_extension("parquet.error");
            if error.exists() {
                return Err(std::fs::read_to_string(&error)
                    .unwrap_or_else(|e| format!("{}: {e}", error.display())));
            }
            if !out.exists() {
                return Err(died.clone().unwrap_or_else(|| "no output".to_owned()));
            }
            Ok(logical(r.table, out, engine))
        })
        .collect()
}

/// The rows of a Parquet file a reader wrote, cast to the table's logical schema.
pub fn logical(table: Table, file: &Path, engine: &str) -> Vec<RecordBatch> {
    let file = std::fs::File::open(file).expect("output");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let schema = table.schema();
    reader
        .map(|b| {
            let b = b.expect("batch");
            let columns: Vec<ArrayRef> = schema
                .fields()
                .iter()
                .map(|f| {
                    let c = b
                        .column_by_name(f.name())
                        .unwrap_or_else(|| panic!("{engine} lost column {} of {table}", f.name()));
                    cast(c, f.data_type()).expect("cast to the logical type")
                })
                .collect();
            RecordBatch::try_new(Arc::clone(&schema), columns).expect("batch")
        })
        .collect()
}
