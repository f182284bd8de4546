//! Deciding from value ranges alone whether a predicate can hold anywhere in a partition, a
//! file or a row group.
//!
//! Each node answers two questions: can it be true for some row, and can it be false for some
//! row (null is neither). `NOT` swaps them, which keeps pruning correct under SQL's
//! three-valued logic. Unknown ranges answer "yes" to both, so pruning only ever skips data
//! that cannot match.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use parquet::file::metadata::RowGroupMetaData;
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
