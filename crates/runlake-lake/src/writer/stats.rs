//! Per-file statistics written into the manifest, so readers prune without opening files.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use runlake_format::{ColumnStats, StatValue};
use std::collections::BTreeMap;

/// Min, max and null count of each named column that is a string or an integer.
pub(crate) fn column_stats(batch: &RecordBatch, columns: &[&str]) -> BTreeMap<String, ColumnStats> {
    let mut out = BTreeMap::new();
    for name in columns {
        let Some(col) = batch.column_by_name(name) else {
            continue;
        };
        let (min, max) = match col.data_type() {
            DataType::Utf8 => {
                let a = col.as_string::<i32>();
                let mut it = a.iter().flatten();
                let first = it.next();
                let (mn, mx) = it.fold((first, first), |(mn, mx), v| {
                    (mn.map(|m| m.min(v)), mx.map(|m| m.max(v)))
                });
                (
                    mn.map(|s| StatValue::Str(s.to_owned())),
                    mx.map(|s| StatValue::Str(s.to_owned())),
                )
            }
            DataType::Int64 => {
                let a = col.as_primitive::<Int64Type>();
                (
                    arrow::compute::min(a).map(StatValue::Int),
                    arrow::compute::max(a).map(StatValue::Int),
                )
            }
            DataType::Int32 => {
                let a = col.as_primitive::<Int32Type>();
                (
                    arrow::compute::min(a).map(|v| StatValue::Int(v.into())),
                    arrow::compute::max(a).map(|v| StatValue::Int(v.into())),
                )
            }
            _ => continue,
        };
        out.insert(
            (*name).to_owned(),
            ColumnStats {
                min,
                max,
                null_count: col.null_count() as u64,
            },
        );
    }
    out
}

/// Widens `into` by `more`: the smallest minimum, the largest maximum, the sum of nulls.
pub(crate) fn merge_stats(
    into: &mut BTreeMap<String, ColumnStats>,
    more: BTreeMap<String, ColumnStats>,
) {
    for (name, s) in more {
        match into.get_mut(&name) {
            None => {
                into.insert(name, s);
            }
            Some(acc) => {
                acc.min = match (acc.min.take(), s.min) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                acc.max = match (acc.max.take(), s.max) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                acc.null_count += s.null_count;
            }
        }
    }
}
