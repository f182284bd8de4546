//! Grouped aggregates, computed while the input streams (memory grows with the number of
//! groups, not rows).
//!
//! Missing values follow pandas: nulls, and NaN in float columns, are skipped by every
//! function; `std` is the sample standard deviation (ddof = 1) and is null below two values;
//! `first`/`last` are the first/last non-missing value in input order. Groups come out in
//! order of first appearance.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::row::SortField;
use futures::TryStreamExt;

use crate::error::{ReaderError, Result, arrow_err};
use crate::groups::Groups;
use crate::scan::{BatchStream, field_of};

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    /// Arithmetic mean.
    Mean,
    /// Sample standard deviation.
    Std,
    /// Number of non-missing values (or of rows, for [`Agg::count_rows`]).
    Count,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// First value in input order.
    First,
    /// Last value in input order.
    Last,
}

impl AggFunc {
    /// Lowercase name, used in default output names.
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Mean => "mean",
            AggFunc::Std => "std",
            AggFunc::Count => "count",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::First => "first",
            AggFunc::Last => "last",
        }
    }
}

/// One aggregate output column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agg {
    /// The function.
    pub func: AggFunc,
    /// Its input column; `None` counts rows.
    pub column: Option<String>,
    /// Output name; defaults to `<column>_<func>` (or `count` for row counts).
    pub alias: Option<String>,
}

impl Agg {
    fn of(func: AggFunc, column: &str) -> Self {
        Self {
            func,
            column: Some(column.to_owned()),
            alias: None,
        }
    }
    /// Mean of a numeric column.
    pub fn mean(column: &str) -> Self {
        Self::of(AggFunc::Mean, column)
    }
    /// Sample standard deviation of a numeric column.
    pub fn std(column: &str) -> Self {
        Self::of(AggFunc::Std, column)
    }
    /// Non-missing values of a column.
    pub fn count(column: &str) -> Self {
        Self::of(AggFunc::Count, column)
    }
    /// Rows per group.
    pub fn count_rows() -> Self {
        Self {
            func: AggFunc::Count,
            column: None,
            alias: None,
        }
    }
    /// Smallest value.
    pub fn min(column: &str) -> Self {
        Self::of(AggFunc::Min, column)
    }
    /// Largest value.
    pub fn max(column: &str) -> Self {
        Self::of(AggFunc::Max, column)
    }
    /// First non-missing value.
    pub fn first(column: &str) -> Self {
        Self::of(AggFunc::First, column)
    }
    /// Last non-missing value.
    pub fn last(column: &str) -> Self {
        Self::of(AggFunc::Last, column)
    }
    /// Names the output column.
    pub fn alias(mut self, name: &str) -> Self {
        self.alias = Some(name.to_owned());
        self
    }

    /// The output column's name.
    pub fn output_name(&self) -> String {
        match (&self.alias, &self.column) {
            (Some(a), _) => a.clone(),
            (None, Some(c)) => format!("{c}_{}", self.func.name()),
            (None, None) => "count".to_owned(),
        }
    }

    pub(crate) fn output_field(&self, input: &Schema) -> Result<Field> {
        let name = self.output_name();
        let Some(column) = &self.column else {
            return Ok(Field::new(name, DataType::Int64, false));
        };
        let dt = field_of(input, column, "an aggregate")?.data_type();
        let unsupported = || ReaderError::UnsupportedAggregate {
            function: self.func.name(),
            column: column.clone(),
            data_type: crate::schema_util::type_label(dt),
        };
        Ok(match self.func {
            AggFunc::Count => Field::new(name, DataType::Int64, false),
            AggFunc::Mean | AggFunc::Std => {
                if !dt.is_numeric() {
                    return Err(unsupported());
                }
                Field::new(name, DataType::Float64, true)
            }
            AggFunc::Min | AggFunc::Max | AggFunc::First | AggFunc::Last => {
                if value_kind(dt).is_none() {
                    return Err(unsupported());
                }
                Field::new(name, dt.clone(), true)
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Str,
    Bool,
}

/// How values of a type are held while aggregating; `None` for unsupported types.
fn value_kind(dt: &DataType) -> Option<Kind> {
    match dt {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::Timestamp(_, _) => Some(Kind::Int),
        DataType::Float32 | DataType::Float64 => Some(Kind::Float),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Kind::Str),
        DataType::Boolean => Some(Kind::Bool),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

#[derive(Debug, Clone)]
enum Acc {
    /// Welford's running mean and squared deviations.
    Moments {
        n: u64,
        mean: f64,
        m2: f64,
    },
    Count(i64),
    Pick(Option<Value>),
}

/// A column prepared for reading values by row.
enum Values {
    Int(Int64Array),
    Float(Float64Array),
    Str(StringArray),
    Bool(BooleanArray),
}

impl Values {
    fn new(array: &ArrayRef, kind: Kind) -> Result<Self> {
        let err = arrow_err("aggregating");
        Ok(match kind {
            Kind::Int => Values::Int(downcast::<Int64Array>(
                &cast(array, &DataType::Int64).map_err(arrow_err("aggregating"))?,
            )?),
            Kind::Float => Values::Float(downcast::<Float64Array>(
                &cast(array, &DataType::Float64).map_err(err)?,
            )?),
            Kind::Str => Values::Str(downcast::<StringArray>(
                &cast(array, &DataType::Utf8).map_err(err)?,
            )?),
            Kind::Bool => Values::Bool(downcast::<BooleanArray>(array)?),
        })
    }

    /// Whether row `i` holds a value (neither null nor NaN).
    fn present(&self, i: usize) -> bool {
        match self {
            Values::Int(a) => a.is_valid(i),
            Values::Float(a) => a.is_valid(i) && !a.value(i).is_nan(),
            Values::Str(a) => a.is_valid(i),
            Values::Bool(a) => a.is_valid(i),
        }
    }

    /// Row `i` as a float; means over integers are computed in floating point, as pandas does.
    fn number(&self, i: usize) -> Option<f64> {
        match self {
            Values::Int(a) => a.is_valid(i).then(|| a.value(i) as f64),
            Values::Float(a) => {
                let x = a.value(i);
                (a.is_valid(i) && !x.is_nan()).then_some(x)
            }
            _ => None,
        }
    }

    /// Row `i` as an owned value; only called for a value that is kept.
    fn value(&self, i: usize) -> Value {
        match self {
            Values::Int(a) => Value::Int(a.value(i)),
            Values::Float(a) => Value::Float(a.value(i)),
            Values::Str(a) => Value::Str(a.value(i).to_owned()),
            Values::Bool(a) => Value::Bool(a.value(i)),
        }
    }

    /// Whether row `i` replaces `current` as the `func` of its group, compared in place.
    fn replaces(&self, i: usize, current: Option<&Value>, func: AggFunc) -> bool {
        use std::cmp::Ordering;
        if !self.present(i) {
            return false;
        }
        let Some(current) = current else {
            return true;
        };
        let order = match (self, current) {
            (Values::Int(a), Value::Int(c)) => a.value(i).partial_cmp(c),
            (Values::Float(a), Value::Float(c)) => a.value(i).partial_cmp(c),
            (Values::Str(a), Value::Str(c)) => a.value(i).partial_cmp(c.as_str()),
            (Values::Bool(a), Value::Bool(c)) => a.value(i).partial_cmp(c),
            _ => None,
        };
        match func {
            AggFunc::Min => order == Some(Ordering::Less),
            AggFunc::Max => order == Some(Ordering::Greater),
            AggFunc::Last => true,
            _ => false,
        }
    }
}

fn downcast<T: Clone + 'static>(a: &ArrayRef) -> Result<T> {
    a.as_any()
        .downcast_ref::<T>()
        .cloned()
        .ok_or_else(|| ReaderError::Arrow {
            context: "aggregating".into(),
            source: arrow::error::ArrowError::CastError(format!(
                "unexpected array type {}",
                a.data_type()
            )),
        })
}

fn kind_for(agg: &Agg, dt: &DataType) -> Kind {
    match agg.func {
        AggFunc::Mean | AggFunc::Std => Kind::Float,
        _ => value_kind(dt).unwrap_or(Kind::Str),
    }
}

fn new_acc(agg: &Agg) -> Acc {
    match agg.func {
        AggFunc::Mean | AggFunc::Std => Acc::Moments {
            n: 0,
            mean: 0.0,
            m2: 0.0,
        },
        AggFunc::Count => Acc::Count(0),
        _ => Acc::Pick(None),
    }
}

fn welford(acc: &mut Acc, x: f64) {
    if let Acc::Moments { n, mean, m2 } = acc {
        *n += 1;
        let delta = x - *mean;
        *mean += delta / *n as f64;
        *m2 += delta * (x - *mean);
    }
}

/// Folds one batch into one aggregate's accumulators; `ids[i]` is the group of row `i`.
fn update(accs: &mut [Acc], func: AggFunc, values: Option<&Values>, ids: &[usize]) {
    let Some(v) = values else {
        for &g in ids {
            if let Acc::Count(c) = &mut accs[g] {
                *c += 1;
            }
        }
        return;
    };
    match func {
        AggFunc::Count => {
            for (i, &g) in ids.iter().enumerate() {
                if v.present(i)
                    && let Acc::Count(c) = &mut accs[g]
                {
                    *c += 1;
                }
            }
        }
        AggFunc::Mean | AggFunc::Std => match v {
            // The common case, a float column without nulls, reads the values slice directly.
            Values::Float(a) if a.null_count() == 0 => {
                for (&x, &g) in a.values().iter().zip(ids) {
                    if !x.is_nan() {
                        welford(&mut accs[g], x);
                    }
                }
            }
            _ => {
                for (i, &g) in ids.iter().enumerate() {
                    if let Some(x) = v.number(i) {
                        welford(&mut accs[g], x);
                    }
                }
            }
        },
        _ => {
            for (i, &g) in ids.iter().enumerate() {
                if let Acc::Pick(cur) = &mut accs[g]
                    && v.replaces(i, cur.as_ref(), func)
                {
                    *cur = Some(v.value(i));
                }
            }
        }
    }
}

fn finish(accs: &[Acc], func: AggFunc, field: &Field) -> Result<ArrayRef> {
    let array: ArrayRef = match func {
        AggFunc::Count => Arc::new(Int64Array::from_iter_values(accs.iter().map(|a| match a {
            Acc::Count(c) => *c,
            _ => 0,
        }))),
        AggFunc::Mean | AggFunc::Std => {
            Arc::new(Float64Array::from_iter(accs.iter().map(|a| match a {
                Acc::Moments { n, mean, m2 } => match func {
                    AggFunc::Mean => (*n > 0).then_some(*mean),
                    _ => (*n > 1).then(|| (*m2 / (*n - 1) as f64).sqrt()),
                },
                _ => None,
            })))
        }
        _ => {
            let picks = accs.iter().map(|a| match a {
                Acc::Pick(v) => v.clone(),
                _ => None,
            });
            let built: ArrayRef = match value_kind(field.data_type()) {
                Some(Kind::Int) => Arc::new(Int64Array::from_iter(picks.map(|v| match v {
                    Some(Value::Int(i)) => Some(i),
                    _ => None,
                }))),
                Some(Kind::Float) => Arc::new(Float64Array::from_iter(picks.map(|v| match v {
                    Some(Value::Float(x)) => Some(x),
                    _ => None,
                }))),
                Some(Kind::Bool) => Arc::new(BooleanArray::from_iter(picks.map(|v| match v {
                    Some(Value::Bool(b)) => Some(b),
                    _ => None,
                }))),
                _ => Arc::new(StringArray::from_iter(picks.map(|v| match v {
                    Some(Value::Str(s)) => Some(s),
                    _ => None,
                }))),
            };
            cast(&built, field.data_type()).map_err(arrow_err("aggregating"))?
        }
    };
    Ok(array)
}

pub(crate) async fn aggregate(
    mut input: BatchStream,
    input_schema: &Schema,
    keys: &[String],
    aggs: &[Agg],
    out_schema: &SchemaRef,
) -> Result<RecordBatch> {
    let key_fields: Vec<SortField> = keys
        .iter()
        .map(|k| {
            Ok(SortField::new(
                field_of(input_schema, k, "group_by")?.data_type().clone(),
            ))
        })
        .collect::<Result<_>>()?;
    let mut groups = Groups::new(key_fields)?;
    // One accumulator per group for each aggregate, so each folds a batch in one tight loop.
    let mut accs: Vec<Vec<Acc>> = aggs.iter().map(|_| Vec::new()).collect();
    let mut ids: Vec<usize> = Vec::new();
    let kinds: Vec<Option<Kind>> = aggs
        .iter()
        .map(|a| {
            a.column.as_ref().map(|c| {
                let dt = input_schema
                    .field_with_name(c)
                    .map(|f| f.data_type().clone())
                    .unwrap_or(DataType::Null);
                kind_for(a, &dt)
            })
        })
        .collect();
    while let Some(batch) = input.try_next().await? {
        let key_cols: Vec<ArrayRef> = keys
            .iter()
            .map(|k| batch.column_by_name(k).cloned())
            .collect::<Option<_>>()
            .ok_or_else(|| ReaderError::UnknownColumn {
                column: keys.join(", "),
                context: "group_by".into(),
                available: String::new(),
            })?;
        let values: Vec<Option<Values>> = aggs
            .iter()
            .zip(&kinds)
            .map(|(a, k)| match (&a.column, k) {
                (Some(c), Some(k)) => {
                    let col =
                        batch
                            .column_by_name(c)
                            .ok_or_else(|| ReaderError::UnknownColumn {
                                column: c.clone(),
                                context: "an aggregate".into(),
                                available: String::new(),
                            })?;
                    Values::new(col, *k).map(Some)
                }
                _ => Ok(None),
            })
            .collect::<Result<_>>()?;
        groups.assign(&key_cols, batch.num_rows(), &mut ids)?;
        for (acc, a) in accs.iter_mut().zip(aggs) {
            acc.resize_with(groups.count(), || new_acc(a));
        }
        for ((acc, a), v) in accs.iter_mut().zip(aggs).zip(&values) {
            update(acc, a.func, v.as_ref(), &ids);
        }
    }
    let mut columns: Vec<ArrayRef> = groups.key_columns()?;
    for (j, (a, per_group)) in aggs.iter().zip(&accs).enumerate() {
        columns.push(finish(per_group, a.func, out_schema.field(keys.len() + j))?);
    }
    RecordBatch::try_new_with_options(
        Arc::clone(out_schema),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(groups.count())),
    )
    .map_err(arrow_err("aggregating"))
}
