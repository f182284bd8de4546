//! Typed access to the columns of a source batch, whatever physical types the file used.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray, StringViewArray, StructArray,
};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::DataType;

/// A problem with a whole batch (a missing or uncastable column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnError {
    #[error("missing column `{0}`")]
    Missing(String),
    #[error("column `{column}` has type {found}, which cannot be read as {wanted}")]
    Type {
        column: String,
        found: String,
        wanted: &'static str,
    },
}

fn cast(
    batch: &RecordBatch,
    name: &str,
    to: &DataType,
    wanted: &'static str,
) -> Result<ArrayRef, ColumnError> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| ColumnError::Missing(name.to_owned()))?;
    if col.data_type() == to {
        return Ok(Arc::clone(col));
    }
    // Safe casts only: a value that does not convert is an error, never a silent null.
    let opts = CastOptions {
        safe: false,
        ..Default::default()
    };
    cast_with_options(col, to, &opts).map_err(|_| ColumnError::Type {
        column: name.to_owned(),
        found: col.data_type().to_string(),
        wanted,
    })
}

/// The column as UTF-8 strings.
pub fn strings(batch: &RecordBatch, name: &str) -> Result<StringArray, ColumnError> {
    let a = cast(batch, name, &DataType::Utf8, "text")?;
    Ok(a.as_string::<i32>().clone())
}

/// The column as f64 (integers, floats and numeric text all accepted).
pub fn floats(batch: &RecordBatch, name: &str) -> Result<Float64Array, ColumnError> {
    let a = cast(batch, name, &DataType::Float64, "a number")?;
    Ok(a.as_primitive::<arrow::datatypes::Float64Type>().clone())
}

/// An optional numeric column.
pub fn floats_opt(batch: &RecordBatch, name: &str) -> Result<Option<Float64Array>, ColumnError> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(_) => floats(batch, name).map(Some),
    }
}

/// An optional text column.
pub fn strings_opt(batch: &RecordBatch, name: &str) -> Result<Option<StringArray>, ColumnError> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(_) => strings(batch, name).map(Some),
    }
}

/// Reads a nullable f64 cell.
pub fn f64_at(a: &Float64Array, i: usize) -> Option<f64> {
    a.is_valid(i).then(|| a.value(i))
}

/// Reads a nullable text cell.
pub fn str_at(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

/// Reads a nullable text cell of a view array.
pub fn view_at(a: &StringViewArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

/// The `metrics` column: a dict repr/JSON string, or a struct of numbers.
pub enum MetricsColumn {
    /// Views, so text read as views from Parquet is parsed where the decoder left it.
    Text(StringViewArray),
    Struct {
        nulls: StructArray,
        fields: Vec<(String, Float64Array)>,
    },
}

impl MetricsColumn {
    pub fn from_batch(batch: &RecordBatch) -> Result<Self, ColumnError> {
        let col = batch
            .column_by_name("metrics")
            .ok_or_else(|| ColumnError::Missing("metrics".into()))?;
        if let Some(st) = col.as_struct_opt() {
            let mut fields = Vec::with_capacity(st.num_columns());
            for (f, a) in st.fields().iter().zip(st.columns()) {
                let opts = CastOptions {
                    safe: false,
                    ..Default::default()
                };
                let c = cast_with_options(a, &DataType::Float64, &opts).map_err(|_| {
                    ColumnError::Type {
                        column: format!("metrics.{}", f.name()),
                        found: a.data_type().to_string(),
                        wanted: "a number",
                    }
                })?;
                fields.push((
                    f.name().clone(),
                    c.as_primitive::<arrow::datatypes::Float64Type>().clone(),
                ));
            }
            return Ok(MetricsColumn::Struct {
                nulls: st.clone(),
                fields,
            });
        }
        let text = cast(batch, "metrics", &DataType::Utf8View, "text")?;
        Ok(MetricsColumn::Text(text.as_string_view().clone()))
    }
}
