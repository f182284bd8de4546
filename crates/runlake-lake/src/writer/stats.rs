//! Per-file statistics written into the manifest, so readers prune without opening files.

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use runlake_format::{ColumnStats, StatValue};

use super::one_value::one_value;
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
                let (mn, mx) = string_min_max(col.as_string::<i32>());
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

/// The smallest and largest value. Key columns repeat a value over long stretches of rows
/// (a run's id over all its steps), so a value equal to the one before is passed over with one
/// comparison instead of two.
fn string_min_max(a: &StringArray) -> (Option<&str>, Option<&str>) {
    if let Some(v) = one_value(a) {
        return (Some(v), Some(v));
    }
    let mut it = a.iter().flatten();
    let Some(first) = it.next() else {
        return (None, None);
    };
    let (mut mn, mut mx, mut last) = (first, first, first);
    for v in it {
        if v == last {
            continue;
        }
        last = v;
        if v < mn {
            mn = v;
        } else if v > mx {
            mx = v;
        }
    }
    (Some(mn), Some(mx))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_min_max_is_the_minimum_and_maximum_of_every_value() {
        let words = ["b", "a", "", "ab", "ba", "é", "b", "zz", "a"];
        // Stretches of repeats, nulls and changes, from a fixed sequence of choices.
        let mut state = 7u64;
        for len in 0..60 {
            let values: Vec<Option<&str>> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let pick = (state >> 33) as usize;
                    (!pick.is_multiple_of(7)).then(|| words[pick % words.len()])
                })
                .collect();
            let a = StringArray::from(values.clone());
            let present = values.iter().flatten();
            let expected = (present.clone().min().copied(), present.max().copied());
            assert_eq!(string_min_max(&a), expected, "{values:?}");
        }
    }
}
