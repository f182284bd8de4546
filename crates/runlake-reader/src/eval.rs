//! Evaluating predicates on record batches with Arrow kernels.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::AsArray;
use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, Scalar,
    StringArray,
};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::compute::kernels::{boolean, cmp};
use arrow::compute::{cast, is_not_null, is_null, take};
use arrow::datatypes::{DataType, Schema};
use arrow::error::ArrowError;

use crate::expr::{CmpOp, ColumnRef, Expr, Literal};

/// A predicate that does not fit a schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckError {
    pub(crate) message: String,
    pub(crate) span: Option<Range<usize>>,
}

/// How a literal meets a column of a given type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coercion {
    /// Compare as strings.
    Str,
    /// Compare as 64-bit integers.
    Int,
    /// Compare as 64-bit floats.
    Float,
    /// Compare as booleans.
    Bool,
}

/// How `lit` compares with a column of type `dt`, or why it cannot.
pub(crate) fn coercion(dt: &DataType, lit: &Literal) -> Result<Coercion, String> {
    let int_col = matches!(dt, DataType::Int32 | DataType::Int64);
    let float_col = matches!(dt, DataType::Float64 | DataType::Float32);
    match (lit, dt) {
        (Literal::Str(_), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => {
            Ok(Coercion::Str)
        }
        (Literal::Int(_), _) if int_col => Ok(Coercion::Int),
        (Literal::Float(_), _) if int_col => Ok(Coercion::Float),
        (Literal::Int(_) | Literal::Float(_), _) if float_col => Ok(Coercion::Float),
        (Literal::Bool(_), DataType::Boolean) => Ok(Coercion::Bool),
        (lit, dt) => Err(format!(
            "cannot compare a column of type {} with {}",
            crate::schema_util::type_label(dt),
            match lit {
                Literal::Str(_) => "a string",
                Literal::Int(_) | Literal::Float(_) => "a number",
                Literal::Bool(_) => "a boolean",
            }
        )),
    }
}

/// `"; did you mean `x`?"` as a parenthesis, which reads before the error's position.
fn aside(did_you_mean: &str) -> String {
    did_you_mean
        .strip_prefix("; ")
        .map_or_else(String::new, |d| format!(" ({d})"))
}

/// Checks that every column exists and every literal fits its column's type.
pub(crate) fn check(expr: &Expr, schema: &Schema) -> Result<(), CheckError> {
    let field = |c: &ColumnRef| {
        schema.field_with_name(&c.name).map_err(|_| CheckError {
            message: format!(
                "unknown column `{}`{}",
                c.name,
                aside(&runlake_format::suggest::did_you_mean(
                    &c.name,
                    schema.fields().iter().map(|f| f.name().as_str())
                ))
            ),
            span: c.span.clone(),
        })
    };
    let lit_ok = |c: &ColumnRef, dt: &DataType, lit: &Literal| {
        coercion(dt, lit).map(|_| ()).map_err(|m| CheckError {
            message: format!("{m} (column `{}`)", c.name),
            span: c.span.clone(),
        })
    };
    match expr {
        Expr::Compare { column, value, .. } => {
            let f = field(column)?;
            lit_ok(column, f.data_type(), value)
        }
        Expr::InList { column, values, .. } => {
            let f = field(column)?;
            values
                .iter()
                .try_for_each(|v| lit_ok(column, f.data_type(), v))
        }
        Expr::IsNull { column, .. } => field(column).map(|_| ()),
        Expr::And(a, b) | Expr::Or(a, b) => {
            check(a, schema)?;
            check(b, schema)
        }
        Expr::Not(a) => check(a, schema),
    }
}

fn column<'a>(batch: &'a RecordBatch, c: &ColumnRef) -> Result<&'a ArrayRef, ArrowError> {
    batch
        .column_by_name(&c.name)
        .ok_or_else(|| ArrowError::SchemaError(format!("unknown column `{}`", c.name)))
}

fn compare_one(array: &ArrayRef, op: CmpOp, lit: &Literal) -> Result<BooleanArray, ArrowError> {
    let how = coercion(array.data_type(), lit).map_err(ArrowError::InvalidArgumentError)?;
    let (left, right): (ArrayRef, ArrayRef) = match (how, lit) {
        (Coercion::Str, Literal::Str(s)) => (
            cast(array, &DataType::Utf8)?,
            Arc::new(StringArray::from(vec![s.as_str()])),
        ),
        (Coercion::Int, Literal::Int(i)) => match array.data_type() {
            DataType::Int32 => match i32::try_from(*i) {
                Ok(v) => (Arc::clone(array), Arc::new(Int32Array::from(vec![v]))),
                Err(_) => (
                    cast(array, &DataType::Int64)?,
                    Arc::new(Int64Array::from(vec![*i])),
                ),
            },
            _ => (Arc::clone(array), Arc::new(Int64Array::from(vec![*i]))),
        },
        (Coercion::Float, Literal::Int(i)) => (
            cast(array, &DataType::Float64)?,
            // Integers past 2^53 lose precision here, as in every engine comparing a float
            // column with an integer.
            Arc::new(Float64Array::from(vec![*i as f64])),
        ),
        (Coercion::Float, Literal::Float(x)) => (
            cast(array, &DataType::Float64)?,
            Arc::new(Float64Array::from(vec![*x])),
        ),
        (Coercion::Bool, Literal::Bool(b)) => {
            (Arc::clone(array), Arc::new(BooleanArray::from(vec![*b])))
        }
        _ => {
            return Err(ArrowError::InvalidArgumentError(
                "literal does not match its coercion".into(),
            ));
        }
    };
    let right = Scalar::new(right);
    match op {
        CmpOp::Eq => cmp::eq(&left, &right),
        CmpOp::NotEq => cmp::neq(&left, &right),
        CmpOp::Lt => cmp::lt(&left, &right),
        CmpOp::LtEq => cmp::lt_eq(&left, &right),
        CmpOp::Gt => cmp::gt(&left, &right),
        CmpOp::GtEq => cmp::gt_eq(&left, &right),
    }
}

/// Evaluates a predicate on every row (null where SQL says null).
pub(crate) fn evaluate(expr: &Expr, batch: &RecordBatch) -> Result<BooleanArray, ArrowError> {
    match expr {
        Expr::Compare {
            column: c,
            op,
            value,
        } => per_value(column(batch, c)?, |a| compare_one(a, *op, value)),
        Expr::InList {
            column: c,
            values,
            negated,
        } => per_value(column(batch, c)?, |a| in_list(a, values, *negated)),
        Expr::IsNull { column: c, negated } => {
            let array = column(batch, c)?;
            if *negated {
                is_not_null(array)
            } else {
                is_null(array)
            }
        }
        Expr::And(a, b) => boolean::and_kleene(&evaluate(a, batch)?, &evaluate(b, batch)?),
        Expr::Or(a, b) => boolean::or_kleene(&evaluate(a, batch)?, &evaluate(b, batch)?),
        Expr::Not(a) => boolean::not(&evaluate(a, batch)?),
    }
}

/// Evaluates a comparison of one column: on a dictionary column, once per distinct value,
/// then spread over the rows by their keys (a null key gives null, as a null value would).
fn per_value(
    array: &ArrayRef,
    test: impl Fn(&ArrayRef) -> Result<BooleanArray, ArrowError>,
) -> Result<BooleanArray, ArrowError> {
    let Some(dict) = array.as_any_dictionary_opt() else {
        return test(array);
    };
    let answers = test(dict.values())?;
    let spread = take(&answers, dict.keys(), None)?;
    spread
        .as_any()
        .downcast_ref::<BooleanArray>()
        .cloned()
        .ok_or_else(|| ArrowError::CastError("expected booleans".into()))
}

fn in_list(
    array: &ArrayRef,
    values: &[Literal],
    negated: bool,
) -> Result<BooleanArray, ArrowError> {
    // A hash set pays off beyond a handful of values; below that, one kernel per value.
    let set_hit = if values.len() > 8 {
        in_set(array, values)?
    } else {
        None
    };
    let hit = match set_hit {
        Some(hit) => hit,
        None => {
            let mut acc = BooleanArray::from(vec![false; array.len()]);
            for v in values {
                acc = boolean::or_kleene(&acc, &compare_one(array, CmpOp::Eq, v)?)?;
            }
            acc
        }
    };
    if negated { boolean::not(&hit) } else { Ok(hit) }
}

/// Membership in a long list of strings or integers through a hash set, rather than one
/// comparison per listed value. `None` when the list mixes kinds.
fn in_set(array: &ArrayRef, values: &[Literal]) -> Result<Option<BooleanArray>, ArrowError> {
    use foldhash::{HashSet, HashSetExt};
    // A null row stays null (SQL's `NULL IN (...)`), whatever the set holds.
    let with_nulls =
        |hits: BooleanBuffer, nulls: Option<&NullBuffer>| BooleanArray::new(hits, nulls.cloned());
    match coercion(array.data_type(), &values[0]) {
        Ok(Coercion::Str) => {
            let mut set: HashSet<&str> = HashSet::with_capacity(values.len());
            for v in values {
                let Literal::Str(s) = v else { return Ok(None) };
                set.insert(s.as_str());
            }
            let a = cast(array, &DataType::Utf8)?;
            let a = a
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| ArrowError::CastError("expected strings".into()))?;
            let hits = BooleanBuffer::collect_bool(a.len(), |i| set.contains(a.value(i)));
            Ok(Some(with_nulls(hits, a.nulls())))
        }
        Ok(Coercion::Int) => {
            let mut set: HashSet<i64> = HashSet::with_capacity(values.len());
            for v in values {
                let Literal::Int(i) = v else { return Ok(None) };
                set.insert(*i);
            }
            let a = cast(array, &DataType::Int64)?;
            let a = a
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| ArrowError::CastError("expected integers".into()))?;
            let hits = BooleanBuffer::collect_bool(a.len(), |i| set.contains(&a.value(i)));
            Ok(Some(with_nulls(hits, a.nulls())))
        }
        _ => Ok(None),
    }
}

/// The rows where the predicate is true (null counts as false).
pub(crate) fn filter_batch(expr: &Expr, batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let mask = evaluate(expr, batch)?;
    let mask = if mask.null_count() > 0 {
        boolean::and(&mask, &is_not_null(&mask)?)?
    } else {
        mask
    };
    arrow::compute::filter_record_batch(batch, &mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_predicate;
    use arrow::datatypes::Field;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("i", DataType::Int64, true),
            Field::new("f", DataType::Float64, true),
            Field::new("b", DataType::Boolean, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some("b"),
                    None,
                    Some("c"),
                ])),
                Arc::new(Int64Array::from(vec![Some(1), None, Some(3), Some(4)])),
                Arc::new(Float64Array::from(vec![
                    Some(0.5),
                    Some(1.5),
                    None,
                    Some(2.5),
                ])),
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    Some(false),
                    None,
                    Some(true),
                ])),
            ],
        )
        .expect("batch")
    }

    fn rows(text: &str) -> Vec<i64> {
        let b = batch();
        let e = parse_predicate(text).expect("parse");
        check(&e, &b.schema()).expect("check");
        let mask = evaluate(&e, &b).expect("eval");
        (0..b.num_rows())
            .filter(|&r| mask.is_valid(r) && mask.value(r))
            .map(|r| r as i64)
            .collect()
    }

    #[test]
    fn sql_null_semantics() {
        assert_eq!(rows("s = 'a'"), vec![0]);
        assert_eq!(rows("s != 'a'"), vec![1, 3]);
        assert_eq!(rows("NOT s = 'a'"), vec![1, 3]);
        assert_eq!(rows("i >= 3"), vec![2, 3]);
        assert_eq!(rows("i > 1.5"), vec![2, 3]);
        assert_eq!(rows("f <= 1.5"), vec![0, 1]);
        assert_eq!(rows("f < 2"), vec![0, 1]);
        assert_eq!(rows("s IN ('a', 'c')"), vec![0, 3]);
        assert_eq!(rows("s NOT IN ('a', 'c')"), vec![1]);
        assert_eq!(rows("i IS NULL"), vec![1]);
        assert_eq!(rows("s IS NOT NULL AND b = true"), vec![0, 3]);
        assert_eq!(rows("i = 1 OR i IS NULL"), vec![0, 1]);
        assert_eq!(rows("NOT (i = 1 OR b = false)"), vec![3]);
        // Long lists take the hash-set path and keep the same semantics.
        let long = "'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8'";
        assert_eq!(rows(&format!("s IN ('a', 'c', {long})")), vec![0, 3]);
        assert_eq!(rows(&format!("s NOT IN ('a', 'c', {long})")), vec![1]);
        assert_eq!(rows("i IN (3, 4, 5, 6, 7, 8, 9, 10, 11)"), vec![2, 3]);
        assert_eq!(rows("i NOT IN (3, 5, 6, 7, 8, 9, 10, 11, 12)"), vec![0, 3]);
    }

    #[test]
    fn dictionary_columns_answer_like_plain_ones() {
        use arrow::array::{DictionaryArray, Int32Array};
        use arrow::datatypes::Int32Type;
        let plain = batch();
        // The same strings as a dictionary with a null key and a null value.
        let dict = DictionaryArray::<Int32Type>::try_new(
            Int32Array::from(vec![Some(0), Some(1), None, Some(3)]),
            Arc::new(StringArray::from(vec![
                Some("a"),
                Some("b"),
                None,
                Some("c"),
            ])),
        )
        .expect("dictionary");
        let schema = Arc::new(Schema::new(vec![Field::new(
            "s",
            dict.data_type().clone(),
            true,
        )]));
        let dict = RecordBatch::try_new(schema, vec![Arc::new(dict)]).expect("batch");
        let long = "'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8'";
        for text in [
            "s = 'a'".to_owned(),
            "s != 'a'".to_owned(),
            "s > 'a'".to_owned(),
            "s IN ('a', 'c')".to_owned(),
            "s NOT IN ('a', 'c')".to_owned(),
            format!("s IN ('c', {long})"),
            format!("s NOT IN ('c', {long})"),
            "s IS NULL".to_owned(),
            "NOT s IS NOT NULL".to_owned(),
        ] {
            let e = parse_predicate(&text).expect("parse");
            assert_eq!(
                evaluate(&e, &dict).expect("dictionary"),
                evaluate(&e, &plain).expect("plain"),
                "{text}"
            );
        }
    }

    #[test]
    fn type_errors_name_the_column() {
        let b = batch();
        let e = parse_predicate("x = 1 AND s = 1").expect("parse");
        let err = check(&e, &b.schema()).expect_err("unknown");
        assert_eq!(err.message, "unknown column `x`");
        assert_eq!(err.span, Some(0..1));
        let e = parse_predicate("i = 'one'").expect("parse");
        let err = check(&e, &b.schema()).expect_err("type");
        assert_eq!(
            err.message,
            "cannot compare a column of type int64 with a string (column `i`)"
        );
    }
}
