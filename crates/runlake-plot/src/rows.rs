//! Table rows written by hand as JSON lines, for fixture lakes: each line is one row, columns
//! left out are null. Used by the tests and the example data set under `testdata/plot/`.

use std::io::Cursor;

use arrow::array::RecordBatch;
use arrow::json::ReaderBuilder;
use runlake_format::Table;

use crate::error::{PlotError, Result};

/// Decodes JSON lines into one batch of `table`'s logical schema. `what` names the input in
/// errors (a file path); a bad line is reported with its number.
pub fn batch_from_json_lines(table: Table, text: &str, what: &str) -> Result<RecordBatch> {
    let schema = table.schema();
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut decoder = ReaderBuilder::new(schema.clone())
            .with_strict_mode(true)
            .build(Cursor::new(line.as_bytes()))
            .map_err(|e| bad(what, n + 1, e))?;
        match decoder.next() {
            Some(batch) => rows.push(batch.map_err(|e| bad(what, n + 1, e))?),
            None => return Err(bad(what, n + 1, "no row")),
        }
    }
    arrow::compute::concat_batches(&schema, &rows).map_err(|e| bad(what, 0, e))
}

fn bad(what: &str, line: usize, e: impl std::fmt::Display) -> PlotError {
    PlotError::Invalid(format!("{what}:{line}: {e}"))
}
