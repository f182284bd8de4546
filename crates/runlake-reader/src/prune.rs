//! Deciding from value ranges alone whether a predicate can hold anywhere in a partition, a
//! file or a row group.
//!
//! Each node answers two questions: can it be true for some row, and can it be false for some
//! row (null is neither). `NOT` swaps them, which keeps pruning correct under SQL's
//! three-valued logic. Unknown ranges answer "yes" to both, so pruning only ever skips data
//! that cannot match.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use parquet::arrow::arrow_reader::RowSelection;
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::statistics::Statistics;
use runlake_format::{ColumnStats, StatValue};

use crate::expr::{CmpOp, Expr, Literal};

/// A statistic's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bound {
    Int(i64),
    Str(String),
    Bool(bool),
}

/// What is known about one column over a set of rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ColumnRange {
    /// Lower bound of the non-null values (`exact` says whether it is attained).
    pub(crate) min: Option<Bound>,
    /// Upper bound of the non-null values.
    pub(crate) max: Option<Bound>,
    /// Whether `min` and `max` are actual values rather than bounds.
    pub(crate) exact: bool,
    pub(crate) null_count: Option<u64>,
    pub(crate) rows: Option<u64>,
}

impl ColumnRange {
    /// A column holding one value on every row (a partition column).
    pub(crate) fn constant(value: Option<&str>, rows: u64) -> Self {
        match value {
            Some(v) => Self {
                min: Some(Bound::Str(v.to_owned())),
                max: Some(Bound::Str(v.to_owned())),
                exact: true,
                null_count: Some(0),
                rows: Some(rows),
            },
            None => Self {
                min: None,
                max: None,
                exact: true,
                null_count: Some(rows),
                rows: Some(rows),
            },
        }
    }

    fn all_null(&self) -> bool {
        matches!((self.null_count, self.rows), (Some(n), Some(r)) if n == r && r > 0)
    }
}

fn cmp_bound(b: &Bound, lit: &Literal) -> Option<Ordering> {
    match (b, lit) {
        (Bound::Int(a), Literal::Int(v)) => Some(a.cmp(v)),
        // Integers beyond 2^53 may round; the comparison stays a bound test, and equality
        // pruning below requires exact bounds, so a rounding tie only keeps data.
        (Bound::Int(a), Literal::Float(v)) => (*a as f64).partial_cmp(v),
        (Bound::Str(a), Literal::Str(v)) => Some(a.as_str().cmp(v.as_str())),
        (Bound::Bool(a), Literal::Bool(v)) => Some(a.cmp(v)),
        _ => None,
    }
}

/// Answers for one column: `(may be true, may be false)`.
type Possible = (bool, bool);
const UNKNOWN: Possible = (true, true);

fn compare(range: &ColumnRange, op: CmpOp, v: &Literal) -> Possible {
    if range.all_null() {
        return (false, false);
    }
    let (Some(min), Some(max)) = (&range.min, &range.max) else {
        return UNKNOWN;
    };
    let (Some(lo), Some(hi)) = (cmp_bound(min, v), cmp_bound(max, v)) else {
        return UNKNOWN;
    };
    use Ordering::*;
    let inside = lo != Greater && hi != Less;
    let only_v = range.exact && lo == Equal && hi == Equal;
    match op {
        CmpOp::Eq => (inside, !only_v),
        CmpOp::NotEq => (!only_v, inside),
        CmpOp::Lt => (lo == Less, hi != Less),
        CmpOp::LtEq => (lo != Greater, hi == Greater),
        CmpOp::Gt => (hi == Greater, lo != Greater),
        CmpOp::GtEq => (hi != Less, lo == Less),
    }
}

fn possible(expr: &Expr, ranges: &dyn Fn(&str) -> Option<ColumnRange>) -> Possible {
    match expr {
        Expr::Compare { column, op, value } => match ranges(&column.name) {
            Some(r) => compare(&r, *op, value),
            None => UNKNOWN,
        },
        Expr::InList {
            column,
            values,
            negated,
        } => {
            let Some(r) = ranges(&column.name) else {
                return UNKNOWN;
            };
            if r.all_null() {
                return (false, false);
            }
            let t = values.iter().any(|v| compare(&r, CmpOp::Eq, v).0);
            // Only a single-valued range whose value is listed can never be outside the list.
            let single_listed = r.exact
                && r.min.is_some()
                && r.min == r.max
                && values
                    .iter()
                    .any(|v| r.min.as_ref().and_then(|m| cmp_bound(m, v)) == Some(Ordering::Equal));
            let f = !single_listed;
            if *negated { (f, t) } else { (t, f) }
        }
        Expr::IsNull { column, negated } => {
            let Some(r) = ranges(&column.name) else {
                return UNKNOWN;
            };
            let t = r.null_count.is_none_or(|n| n > 0);
            let f = match (r.null_count, r.rows) {
                (Some(n), Some(rows)) => n < rows,
                _ => true,
            };
            if *negated { (f, t) } else { (t, f) }
        }
        Expr::And(a, b) => {
            let (at, af) = possible(a, ranges);
            let (bt, bf) = possible(b, ranges);
            (at && bt, af || bf)
        }
        Expr::Or(a, b) => {
            let (at, af) = possible(a, ranges);
            let (bt, bf) = possible(b, ranges);
            (at || bt, af && bf)
        }
        Expr::Not(a) => {
            let (t, f) = possible(a, ranges);
            (f, t)
        }
    }
}

/// Whether some row described by `ranges` may satisfy `expr`.
pub(crate) fn may_match(expr: &Expr, ranges: &dyn Fn(&str) -> Option<ColumnRange>) -> bool {
    possible(expr, ranges).0
}

/// Ranges of a file from its manifest entry (partition values and key-column statistics).
pub(crate) fn file_ranges(
    partition: &BTreeMap<String, Option<String>>,
    stats: Option<&BTreeMap<String, ColumnStats>>,
    rows: u64,
    column: &str,
) -> Option<ColumnRange> {
    if let Some(v) = partition.get(column) {
        return Some(ColumnRange::constant(v.as_deref(), rows));
    }
    let s = stats?.get(column)?;
    let conv = |v: &StatValue| match v {
        StatValue::Int(i) => Bound::Int(*i),
        StatValue::Str(s) => Bound::Str(s.clone()),
    };
    Some(ColumnRange {
        min: s.min.as_ref().map(conv),
        max: s.max.as_ref().map(conv),
        exact: true,
        null_count: Some(s.null_count),
        rows: Some(rows),
    })
}

/// Ranges of a row group from its Parquet statistics.
pub(crate) fn row_group_range(rg: &RowGroupMetaData, column: &str) -> Option<ColumnRange> {
    let idx = rg.columns().iter().position(|c| {
        let parts = c.column_path().parts();
        parts.len() == 1 && parts[0] == column
    })?;
    let stats = rg.column(idx).statistics()?;
    let rows = u64::try_from(rg.num_rows()).ok();
    let null_count = stats.null_count_opt();
    let exact = stats.min_is_exact() && stats.max_is_exact();
    let (min, max) = match stats {
        Statistics::Boolean(s) => (
            s.min_opt().map(|v| Bound::Bool(*v)),
            s.max_opt().map(|v| Bound::Bool(*v)),
        ),
        Statistics::Int32(s) => (
            s.min_opt().map(|v| Bound::Int(i64::from(*v))),
            s.max_opt().map(|v| Bound::Int(i64::from(*v))),
        ),
        Statistics::Int64(s) => (
            s.min_opt().map(|v| Bound::Int(*v)),
            s.max_opt().map(|v| Bound::Int(*v)),
        ),
        Statistics::ByteArray(s) => {
            let text = |b: &parquet::data_type::ByteArray| {
                std::str::from_utf8(b.data())
                    .ok()
                    .map(|s| Bound::Str(s.to_owned()))
            };
            (s.min_opt().and_then(text), s.max_opt().and_then(text))
        }
        // Float statistics leave out NaN, which Arrow's comparisons order above every number,
        // so they cannot prune soundly; their null counts still can.
        _ => (None, None),
    };
    Some(ColumnRange {
        min,
        max,
        exact,
        null_count,
        rows,
    })
}

/// The rows of a row group whose pages may hold matches, from the page index (column index
/// and offset index). The row group is cut at every page boundary of every column the filter
/// reads; each piece is kept when the filter may match given its pages' ranges. `None` when
/// the index is missing or nothing can be skipped.
pub(crate) fn page_selection(
    meta: &ParquetMetaData,
    group: usize,
    filter: &Expr,
    partition: &BTreeMap<String, Option<String>>,
) -> Option<RowSelection> {
    let rg = meta.row_group(group);
    let rows = usize::try_from(rg.num_rows()).ok()?;
    let index = meta.page_index_for_row_group(group);
    // Per filter column: (first row of each page, range of each page).
    let mut columns: Vec<(String, Vec<usize>, Vec<ColumnRange>)> = Vec::new();
    for c in filter.columns() {
        if partition.contains_key(&c.name) {
            continue;
        }
        let Some(leaf) = rg.columns().iter().position(|m| {
            let parts = m.column_path().parts();
            parts.len() == 1 && parts[0] == c.name
        }) else {
            continue;
        };
        let (Some(ci), Some(oi)) = (index.column_index(leaf), index.offset_index(leaf)) else {
            continue;
        };
        let starts: Vec<usize> = oi
            .page_locations()
            .iter()
            .map(|p| usize::try_from(p.first_row_index).unwrap_or(0))
            .collect();
        let n = starts.len();
        if n == 0 || u64::try_from(n).ok() != Some(ci.num_pages()) {
            continue;
        }
        let ranges = (0..n)
            .map(|i| {
                let end = starts.get(i + 1).copied().unwrap_or(rows);
                page_range(ci, i, (end - starts[i]) as u64)
            })
            .collect();
        columns.push((c.name.clone(), starts, ranges));
    }
    if columns.is_empty() {
        return None;
    }
    let mut cuts: Vec<usize> = columns.iter().flat_map(|c| c.1.iter().copied()).collect();
    cuts.push(rows);
    cuts.sort_unstable();
    cuts.dedup();
    let mut keep: Vec<std::ops::Range<usize>> = Vec::new();
    for w in cuts.windows(2) {
        let (start, end) = (w[0], w[1]);
        let ranges = |name: &str| -> Option<ColumnRange> {
            if let Some(v) = partition.get(name) {
                return Some(ColumnRange::constant(v.as_deref(), (end - start) as u64));
            }
            let (_, starts, ranges) = columns.iter().find(|c| c.0 == name)?;
            let page = starts.partition_point(|&s| s <= start).checked_sub(1)?;
            let mut r = ranges[page].clone();
            // The piece is only part of the page: its null count is unknown.
            if r.rows != Some((end - start) as u64) {
                r.null_count = r.null_count.filter(|&n| n == 0);
                r.rows = None;
            }
            Some(r)
        };
        if may_match(filter, &ranges) {
            match keep.last_mut() {
                Some(last) if last.end == start => last.end = end,
                _ => keep.push(start..end),
            }
        }
    }
    if keep.len() == 1 && keep[0] == (0..rows) {
        return None;
    }
    Some(RowSelection::from_consecutive_ranges(
        keep.into_iter(),
        rows,
    ))
}

fn page_range(ci: &ColumnIndexMetaData, i: usize, rows: u64) -> ColumnRange {
    let null_count = ci.null_count(i).and_then(|n| u64::try_from(n).ok());
    let (min, max, exact) = match ci {
        ColumnIndexMetaData::BOOLEAN(x) => (
            x.min_value(i).map(|v| Bound::Bool(*v)),
            x.max_value(i).map(|v| Bound::Bool(*v)),
            true,
        ),
        ColumnIndexMetaData::INT32(x) => (
            x.min_value(i).map(|v| Bound::Int(i64::from(*v))),
            x.max_value(i).map(|v| Bound::Int(i64::from(*v))),
            true,
        ),
        ColumnIndexMetaData::INT64(x) => (
            x.min_value(i).map(|v| Bound::Int(*v)),
            x.max_value(i).map(|v| Bound::Int(*v)),
            true,
        ),
        ColumnIndexMetaData::BYTE_ARRAY(x) => {
            let text = |b: &[u8]| {
                std::str::from_utf8(b)
                    .ok()
                    .map(|s| Bound::Str(s.to_owned()))
            };
            // Page-index strings may be truncated: bounds, not values.
            (
                x.min_value(i).and_then(text),
                x.max_value(i).and_then(text),
                false,
            )
        }
        _ => (None, None, false),
    };
    let all_null = ci.is_null_page(i);
    ColumnRange {
        min,
        max,
        exact,
        null_count: if all_null { Some(rows) } else { null_count },
        rows: Some(rows),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_predicate;

    fn ints(min: i64, max: i64, nulls: u64, rows: u64) -> ColumnRange {
        ColumnRange {
            min: Some(Bound::Int(min)),
            max: Some(Bound::Int(max)),
            exact: true,
            null_count: Some(nulls),
            rows: Some(rows),
        }
    }

    fn may(text: &str, r: &ColumnRange) -> bool {
        let e = parse_predicate(text).expect("parse");
        may_match(&e, &|c| (c == "x").then(|| r.clone()))
    }

    #[test]
    fn ranges_decide_comparisons() {
        let r = ints(10, 20, 0, 100);
        assert!(may("x = 10", &r));
        assert!(!may("x = 9", &r));
        assert!(!may("x > 20", &r));
        assert!(may("x >= 20", &r));
        assert!(!may("x < 10", &r));
        assert!(may("x <= 10", &r));
        assert!(may("x != 10", &r));
        assert!(!may("NOT x <= 20", &r));
        assert!(may("NOT x < 20", &r));
        assert!(!may("x IN (1, 2, 30)", &r));
        assert!(may("x IN (1, 15)", &r));
        assert!(may("x > 9.5", &r));
        assert!(!may("x > 20.5", &r));
        assert!(!may("x IS NULL", &r));
        assert!(may("x IS NOT NULL", &r));
        assert!(may("x = 'a'", &r), "incomparable literal keeps data");
        assert!(may("y = 1", &r), "unknown column keeps data");
        let one = ints(7, 7, 0, 5);
        assert!(!may("x != 7", &one));
        assert!(!may("NOT x = 7", &one));
        assert!(!may("x NOT IN (7, 8)", &one));
        assert!(may("x NOT IN (8)", &one));
        let nulls = ints(7, 7, 5, 5);
        assert!(!may("x = 7", &nulls) && !may("NOT x = 7", &nulls));
        assert!(may("x IS NULL", &nulls) && !may("x IS NOT NULL", &nulls));
        let inexact = ColumnRange {
            exact: false,
            ..one.clone()
        };
        assert!(may("x != 7", &inexact));
    }

    #[test]
    fn partitions_are_constants() {
        let p = BTreeMap::from([("phase".to_owned(), Some("pretrain".to_owned()))]);
        let e = parse_predicate("phase = 'posttrain' OR phase IS NULL").expect("parse");
        assert!(!may_match(&e, &|c| file_ranges(&p, None, 3, c)));
        let e = parse_predicate("phase != 'posttrain'").expect("parse");
        assert!(may_match(&e, &|c| file_ranges(&p, None, 3, c)));
    }
}
