//! Checking a batch against its table's schema.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use runlake_format::Table;

use crate::error::{LakeError, Result};

/// Returns `batch` with exactly `table`'s logical schema: columns are matched by name (any
/// order), types must be equal, and non-nullable columns must hold no nulls.
pub fn conform(table: Table, batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = table.schema();
    let err = |message: String| LakeError::Schema { table, message };
    let given = batch.schema();
    for f in given.fields() {
        if schema.index_of(f.name()).is_err() {
            return Err(err(format!("unexpected column `{}`", f.name())));
        }
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let idx = given
            .index_of(field.name())
            .map_err(|_| err(format!("missing column `{}`", field.name())))?;
        let column = batch.column(idx);
        if column.data_type() != field.data_type() {
            return Err(err(format!(
                "column `{}` has type {}, expected {}",
                field.name(),
                column.data_type(),
                field.data_type()
            )));
        }
        if !field.is_nullable() && column.null_count() > 0 {
            let row = (0..column.len()).find(|i| column.is_null(*i)).unwrap_or(0);
            return Err(err(format!(
                "column `{}` is required but row {row} is null",
                field.name()
            )));
        }
        columns.push(Arc::clone(column));
    }
    RecordBatch::try_new(schema, columns).map_err(|e| err(e.to_string()))
}
