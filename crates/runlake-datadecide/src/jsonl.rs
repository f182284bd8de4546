//! JSON Lines chunks into Arrow batches with one column per key, so JSONL and Parquet inputs
//! share every parser after this point.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::error::ArrowError;
use serde_json::{Map, Value};

/// A chunk of lines turned into a batch, with the line number of each batch row and the lines
/// that were not JSON objects.
pub struct JsonChunk {
    pub batch: RecordBatch,
    pub line_numbers: Vec<u64>,
    pub bad_lines: Vec<(u64, String)>,
}

/// Converts `(line number, text)` pairs. A key whose values are all numbers becomes Float64;
/// anything else becomes text (objects as their JSON text, e.g. a `metrics` dict).
pub fn lines_to_batch(lines: &[(u64, String)]) -> Result<JsonChunk, ArrowError> {
    let mut rows: Vec<Map<String, Value>> = Vec::with_capacity(lines.len());
    let mut line_numbers = Vec::with_capacity(lines.len());
    let mut bad_lines = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut key_index: HashMap<String, usize> = HashMap::new();
    for (n, text) in lines {
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Map<String, Value>>(text) {
            Ok(obj) => {
                for k in obj.keys() {
                    if !key_index.contains_key(k) {
                        key_index.insert(k.clone(), keys.len());
                        keys.push(k.clone());
                    }
                }
                rows.push(obj);
                line_numbers.push(*n);
            }
            Err(e) => bad_lines.push((*n, format!("not a JSON object: {e}"))),
        }
    }
    let mut fields = Vec::with_capacity(keys.len());
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(keys.len());
    for k in &keys {
        let numeric = rows
            .iter()
            .filter_map(|r| r.get(k))
            .all(|v| v.is_number() || v.is_null());
        if numeric {
            let mut b = Float64Builder::with_capacity(rows.len());
            for r in &rows {
                b.append_option(r.get(k).and_then(Value::as_f64));
            }
            fields.push(Field::new(k, DataType::Float64, true));
            cols.push(Arc::new(b.finish()));
        } else {
            let mut b = StringBuilder::new();
            for r in &rows {
                match r.get(k) {
                    None | Some(Value::Null) => b.append_null(),
                    Some(Value::String(s)) => b.append_value(s),
                    Some(other) => b.append_value(other.to_string()),
                }
            }
            fields.push(Field::new(k, DataType::Utf8, true));
            cols.push(Arc::new(b.finish()));
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = if cols.is_empty() {
        RecordBatch::try_new_with_options(
            schema,
            cols,
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows.len())),
        )?
    } else {
        RecordBatch::try_new(schema, cols)?
    };
    Ok(JsonChunk {
        batch,
        line_numbers,
        bad_lines,
    })
}
