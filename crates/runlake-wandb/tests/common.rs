//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::PathBuf;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};

pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every row of `batches` as its cells' text joined by `|`, sorted.
pub fn row_texts(batches: &[RecordBatch]) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            let cells: Vec<String> = b
                .columns()
                .iter()
                .map(|c| arrow::util::display::array_value_to_string(c, i).expect("cell"))
                .collect();
            out.push(cells.join("|"));
        }
    }
    out.sort();
    out
}

/// Index of the rows where every `(column, value)` string matches.
pub fn rows_where(b: &RecordBatch, conds: &[(&str, &str)]) -> Vec<usize> {
    (0..b.num_rows())
        .filter(|&i| conds.iter().all(|(c, v)| s(b, c, i).as_deref() == Some(*v)))
        .collect()
}

pub fn one(b: &RecordBatch, conds: &[(&str, &str)]) -> usize {
    let r = rows_where(b, conds);
    assert_eq!(r.len(), 1, "rows matching {conds:?}: {r:?}");
    r[0]
}

fn col<'a>(b: &'a RecordBatch, c: &str) -> &'a dyn Array {
    b.column_by_name(c)
        .unwrap_or_else(|| panic!("no column {c}"))
        .as_ref()
}

pub fn s(b: &RecordBatch, c: &str, i: usize) -> Option<String> {
    let a = col(b, c).as_string::<i32>();
    (!a.is_null(i)).then(|| a.value(i).to_owned())
}

pub fn i(b: &RecordBatch, c: &str, row: usize) -> Option<i64> {
    let a = col(b, c);
    match a.data_type() {
        DataType::Int32 => {
            (!a.is_null(row)).then(|| i64::from(a.as_primitive::<Int32Type>().value(row)))
        }
        DataType::Timestamp(..) => {
            (!a.is_null(row)).then(|| a.as_primitive::<TimestampMicrosecondType>().value(row))
        }
        _ => (!a.is_null(row)).then(|| a.as_primitive::<Int64Type>().value(row)),
    }
}

pub fn f(b: &RecordBatch, c: &str, row: usize) -> Option<f64> {
    let a = col(b, c).as_primitive::<Float64Type>();
    (!a.is_null(row)).then(|| a.value(row))
}

pub fn flag(b: &RecordBatch, c: &str, row: usize) -> bool {
    col(b, c).as_boolean().value(row)
}

/// `(key, value)` entries of a map cell, values rendered as text.
pub fn map(b: &RecordBatch, c: &str, row: usize) -> Vec<(String, String)> {
    let m = col(b, c).as_map();
    if m.is_null(row) {
        return Vec::new();
    }
    let entries = m.value(row);
    let keys = entries.column(0).as_string::<i32>();
    let values = entries.column(1);
    (0..entries.len())
        .map(|j| {
            let v = arrow::util::display::array_value_to_string(values, j).expect("value");
            (keys.value(j).to_owned(), v)
        })
        .collect()
}

/// Every text in a batch: string cells, list items and map keys and values.
pub fn all_text(b: &RecordBatch) -> String {
    let mut out = String::new();
    for c in b.columns() {
        if matches!(c.data_type(), DataType::Timestamp(..)) {
            continue;
        }
        for j in 0..c.len() {
            if let Ok(v) = arrow::util::display::array_value_to_string(c, j) {
                out.push_str(&v);
                out.push('\n');
            }
        }
    }
    out
}
