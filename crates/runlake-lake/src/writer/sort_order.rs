//! The order of a buffer's rows by the table's sort columns, ascending with nulls first: the
//! order `lexsort_to_indices` gives, found by comparing integers instead of strings.
//!
//! Each sort column is first turned into ranks that order as its values do: a text column's
//! few distinct values (tasks, runs) are sorted once and every row gets its value's place, an
//! integer column its distance from the column's least value. A row's ranks, side by side,
//! usually fit one 128-bit key, and rows sort by that key alone; a buffer already in order
//! (history read run after run) is recognised in one pass.

use std::cmp::Ordering;
use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, AsArray, DynComparator, RecordBatch, make_comparator};
use arrow::compute::SortOptions;
use arrow::datatypes::{DataType, Int32Type, Int64Type};

/// Ranks of one column, one per row (null ranks 0, below every value), and the bits its
/// greatest rank needs.
struct Ranks {
    ranks: Vec<u64>,
    bits: u32,
}

impl Ranks {
    fn new(ranks: Vec<u64>) -> Self {
        let top = ranks.iter().copied().max().unwrap_or(0);
        Ranks {
            ranks,
            bits: u64::BITS - top.leading_zeros(),
        }
    }
}

/// The rows of `columns` in sort order, or `None` when they already are in it. `None` also
/// for columns of a type it does not rank; the caller sorts those itself.
pub(crate) fn sort_order(columns: &[ArrayRef]) -> Option<Option<Vec<u32>>> {
    let rows = columns.first().map_or(0, |c| c.len());
    let ranks: Vec<Ranks> = columns.iter().map(ranks).collect::<Option<_>>()?;
    if ranks.iter().map(|r| r.bits).sum::<u32>() <= u128::BITS {
        let keys: Vec<u128> = (0..rows)
            .map(|i| {
                ranks
                    .iter()
                    .fold(0u128, |key, r| (key << r.bits) | u128::from(r.ranks[i]))
            })
            .collect();
        if keys.windows(2).all(|w| w[0] <= w[1]) {
            return Some(None);
        }
        let mut keyed: Vec<(u128, u32)> = keys.into_iter().zip(0..rows as u32).collect();
        keyed.sort_unstable();
        return Some(Some(keyed.into_iter().map(|(_, i)| i).collect()));
    }
    let compare = |a: usize, b: usize| {
        ranks
            .iter()
            .map(|r| r.ranks[a].cmp(&r.ranks[b]))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    if (1..rows).all(|i| compare(i - 1, i).is_le()) {
        return Some(None);
    }
    let mut order: Vec<u32> = (0..rows as u32).collect();
    order.sort_by(|&a, &b| compare(a as usize, b as usize));
    Some(Some(order))
}

/// Whether the rows of `batches`, one after the other, are in ascending order of `columns`
/// (nulls first): the question [`sort_order`] answers, without joining the batches first.
/// Rows arrive in order whenever history is read run after run, so this usually compares
/// each row with the one before and stops there. `None` for columns it cannot compare.
pub(crate) fn in_order(batches: &[RecordBatch], columns: &[&str]) -> Option<bool> {
    let options = SortOptions {
        descending: false,
        nulls_first: true,
    };
    let keys = |b: &RecordBatch| -> Option<Vec<ArrayRef>> {
        columns
            .iter()
            .map(|c| b.column_by_name(c).cloned())
            .collect()
    };
    // The comparators of one batch's rows with each other, or with the next batch's.
    let comparators = |a: &[ArrayRef], b: &[ArrayRef]| -> Option<Vec<DynComparator>> {
        a.iter()
            .zip(b)
            .map(|(a, b)| make_comparator(a.as_ref(), b.as_ref(), options).ok())
            .collect()
    };
    let ordered = |cmp: &[DynComparator], i: usize, j: usize| {
        cmp.iter()
            .map(|c| c(i, j))
            .find(|o| o.is_ne())
            .is_none_or(Ordering::is_lt)
    };
    let mut before: Option<(Vec<ArrayRef>, usize)> = None;
    for batch in batches.iter().filter(|b| b.num_rows() > 0) {
        let here = keys(batch)?;
        if let Some((last, row)) = &before
            && !ordered(&comparators(last, &here)?, *row, 0)
        {
            return Some(false);
        }
        // A column holding one value in every row (a run's id, in a batch of one run's rows)
        // decides nothing between them.
        let varying: Vec<ArrayRef> = here
            .iter()
            .filter(|a| {
                a.as_string_opt::<i32>()
                    .is_none_or(|s| super::one_value::one_value(s).is_none())
            })
            .cloned()
            .collect();
        let within = comparators(&varying, &varying)?;
        if !(1..batch.num_rows()).all(|i| ordered(&within, i - 1, i)) {
            return Some(false);
        }
        before = Some((here, batch.num_rows() - 1));
    }
    Some(true)
}

fn ranks(column: &ArrayRef) -> Option<Ranks> {
    match column.data_type() {
        DataType::Utf8 => Some(text_ranks(column.as_string::<i32>().iter())),
        DataType::LargeUtf8 => Some(text_ranks(column.as_string::<i64>().iter())),
        DataType::Int64 => int_ranks(column.as_primitive::<Int64Type>().iter()),
        DataType::Int32 => int_ranks(
            column
                .as_primitive::<Int32Type>()
                .iter()
                .map(|v| v.map(i64::from)),
        ),
        _ => None,
    }
}

/// `None` when the values span every `i64`, leaving no rank for null.
fn int_ranks(values: impl Iterator<Item = Option<i64>> + Clone) -> Option<Ranks> {
    let least = values.clone().flatten().min().unwrap_or(0);
    let greatest = values.clone().flatten().max().unwrap_or(0);
    // A distance between two values fits in u64 whatever they are.
    let distance = |v: i64| (v as u64).wrapping_sub(least as u64);
    distance(greatest).checked_add(1)?;
    Some(Ranks::new(
        values.map(|v| v.map_or(0, |v| distance(v) + 1)).collect(),
    ))
}

fn text_ranks<'a>(values: impl Iterator<Item = Option<&'a str>> + Clone) -> Ranks {
    // Equal values come in stretches (a run's rows, a task's): one lookup per stretch.
    let mut place: HashMap<&str, u64, foldhash::fast::RandomState> = HashMap::default();
    let mut last = None;
    for v in values.clone().flatten() {
        if last != Some(v) {
            place.entry(v).or_insert(0);
            last = Some(v);
        }
    }
    let mut distinct: Vec<&str> = place.keys().copied().collect();
    distinct.sort_unstable();
    for (i, v) in distinct.into_iter().enumerate() {
        place.insert(v, i as u64 + 1);
    }
    let mut last: Option<(&str, u64)> = None;
    let ranks = values
        .map(|v| {
            let v = v?;
            match last {
                Some((l, r)) if l == v => Some(r),
                _ => {
                    let r = place.get(v).copied()?;
                    last = Some((v, r));
                    Some(r)
                }
            }
        })
        .map(|r| r.unwrap_or(0))
        .collect();
    Ranks::new(ranks)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, Int64Array, StringArray};
    use arrow::compute::{SortColumn, SortOptions, lexsort_to_indices, take};

    use super::*;
    use crate::testkit::Rng;

    fn sorted_by(columns: &[ArrayRef], order: &[u32]) -> Vec<ArrayRef> {
        let idx = arrow::array::UInt32Array::from(order.to_vec());
        columns
            .iter()
            .map(|c| take(c.as_ref(), &idx, None).expect("take"))
            .collect()
    }

    /// Random columns with nulls, repeats, negative and extreme integers, and texts that are
    /// prefixes of one another.
    fn columns(rng: &mut Rng, rows: usize) -> Vec<ArrayRef> {
        let words = ["", "a", "ab", "abc", "b", "task_10", "task_2", "Z", "é"];
        let texts: StringArray = (0..rows)
            .map(|_| match rng.below(10) {
                0 => None,
                _ => Some(words[rng.below(words.len() as u64) as usize]),
            })
            .collect();
        let ints: Int64Array = (0..rows)
            .map(|_| match rng.below(9) {
                0 => None,
                1 => Some(i64::MIN + 1),
                2 => Some(i64::MAX),
                3 => Some(i64::MAX - 1),
                _ => Some(rng.below(7) as i64 - 3),
            })
            .collect();
        let small: Int32Array = (0..rows).map(|_| Some(rng.below(3) as i32 - 1)).collect();
        vec![Arc::new(texts), Arc::new(ints), Arc::new(small)]
    }

    #[test]
    fn rows_come_in_the_order_lexsort_gives() {
        let mut rng = Rng::new(7);
        for case in 0..50 {
            let cols = columns(&mut rng, 1 + case * 7);
            let expected: Vec<SortColumn> = cols
                .iter()
                .map(|c| SortColumn {
                    values: Arc::clone(c),
                    options: Some(SortOptions {
                        descending: false,
                        nulls_first: true,
                    }),
                })
                .collect();
            let lex = lexsort_to_indices(&expected, None).expect("lexsort");
            let order = match sort_order(&cols).expect("ranked types") {
                Some(order) => order,
                None => (0..cols[0].len() as u32).collect(),
            };
            // Ties may come in any order; the sorted values may not.
            assert_eq!(
                sorted_by(&cols, &order),
                sorted_by(&cols, lex.values()),
                "case {case}"
            );
        }
    }

    #[test]
    fn rows_already_in_order_are_recognised_and_others_are_not() {
        let mut rng = Rng::new(8);
        let cols = columns(&mut rng, 300);
        let order = sort_order(&cols)
            .expect("ranked")
            .expect("random rows are out of order");
        let sorted = sorted_by(&cols, &order);
        assert_eq!(sort_order(&sorted), Some(None));
    }

    #[test]
    fn batches_in_order_are_told_apart_as_the_joined_keys_would_tell_them() {
        let mut rng = Rng::new(10);
        let names = ["t", "i", "s"];
        let schema = Arc::new(arrow::datatypes::Schema::new(
            names
                .iter()
                .zip(columns(&mut rng, 1))
                .map(|(n, c)| arrow::datatypes::Field::new(*n, c.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let (mut sorted_cases, mut unsorted_cases) = (0, 0);
        for case in 0..400 {
            let rows = 1 + rng.below(40) as usize;
            let mut cols = columns(&mut rng, rows);
            // Half the cases sorted, some of those with one pair of rows swapped.
            if case % 2 == 0
                && let Some(Some(mut order)) = sort_order(&cols)
            {
                if case % 4 == 0 && rows > 1 {
                    let at = rng.below(rows as u64 - 1) as usize;
                    order.swap(at, at + 1);
                }
                cols = sorted_by(&cols, &order);
            }
            let whole = RecordBatch::try_new(schema.clone(), cols.clone()).expect("batch");
            // Cut into batches of random sizes, empty ones included.
            let mut batches = Vec::new();
            let mut at = 0;
            while at < rows {
                let len = (rng.below(8) as usize).min(rows - at);
                batches.push(whole.slice(at, len));
                at += len;
            }
            let expected = sort_order(&cols).expect("ranked").is_none();
            assert_eq!(in_order(&batches, &names), Some(expected), "case {case}");
            if expected {
                sorted_cases += 1;
            } else {
                unsorted_cases += 1;
            }
        }
        assert!(sorted_cases > 50 && unsorted_cases > 50);
        let floats: ArrayRef = Arc::new(arrow::array::Float64Array::from(vec![1.0]));
        let other = RecordBatch::try_from_iter([("t", floats)]).expect("batch");
        assert_eq!(in_order(std::slice::from_ref(&other), &["missing"]), None);
        assert_eq!(in_order(&[], &names), Some(true));
    }

    #[test]
    fn other_types_and_integers_spanning_every_value_are_left_to_the_caller() {
        let floats: ArrayRef = Arc::new(arrow::array::Float64Array::from(vec![2.0, 1.0]));
        assert_eq!(sort_order(&[floats]), None);
        let span: ArrayRef = Arc::new(Int64Array::from(vec![Some(i64::MAX), None, Some(i64::MIN)]));
        assert_eq!(sort_order(&[span]), None);
    }

    #[test]
    fn keys_too_wide_for_one_integer_still_sort() {
        let mut rng = Rng::new(9);
        let wide: Vec<ArrayRef> = (0..3)
            .map(|_| -> ArrayRef {
                Arc::new(
                    (0..200)
                        .map(|_| Some(rng.below(3) as i64 * (i64::MAX / 2)))
                        .chain([Some(i64::MIN + 1)])
                        .collect::<Int64Array>(),
                )
            })
            .collect();
        let order = sort_order(&wide).expect("ranked").expect("out of order");
        let sorted = sorted_by(&wide, &order);
        let mut rows: Vec<Vec<i64>> = (0..201)
            .map(|i| {
                sorted
                    .iter()
                    .map(|c| c.as_primitive::<Int64Type>().value(i))
                    .collect()
            })
            .collect();
        let before = rows.clone();
        rows.sort();
        assert_eq!(rows, before);
    }
}
