//! The second read of streamed history files: `posttrain_steps` batches, column by column,
//! handed to the transaction as they are built.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Float64Builder, Int32Array, MapBuilder,
    RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray, new_null_array,
};
use arrow::compute::kernels::arity::unary;
use arrow::datatypes::{DataType, TimeUnit};
use runlake_format::Table;
use runlake_lake::Transaction;

use super::scan::{Columns, columns, open, segments, shape};
use super::{StreamPlan, StreamedFile, Target};
use crate::error::{Result, WandbError};

/// Reads the streamed files holding rows of `plans`' runs and adds those rows to `tx`.
/// Returns the rows added. Blocking: it reads files, and `tx` writes full buffers.
pub(crate) fn stage(
    files: &[StreamedFile],
    plans: &[StreamPlan],
    by_run_id: &HashMap<&str, usize>,
    tx: &mut Transaction,
) -> Result<u64> {
    let mut wanted: Vec<usize> = plans.iter().flat_map(|p| p.files.iter().copied()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut rows = 0;
    for f in wanted {
        let path = &files[f].path;
        let (schema, reader) = open(path)?;
        let shape = shape(&schema).ok_or_else(|| WandbError::Parquet {
            path: path.clone(),
            reason: "its columns changed since it was first read".into(),
        })?;
        let metric_names: Vec<&str> = shape.metrics.iter().map(|(_, k)| k.as_str()).collect();
        for batch in reader {
            let batch = batch.map_err(|e| WandbError::Parquet {
                path: path.clone(),
                reason: runlake_format::message::decoder_detail(&e.to_string()),
            })?;
            let cols = columns(path, &shape, &batch)?;
            for (start, end) in segments(&cols.run_id) {
                let Some(&p) = by_run_id.get(cols.run_id.value(start)) else {
                    continue;
                };
                let out = step_batch(&plans[p], &metric_names, &cols, start, end - start)?;
                rows += out.num_rows() as u64;
                tx.append(Table::PosttrainSteps, out)?;
            }
        }
    }
    Ok(rows)
}

/// NaN the way the row-wise reader spells it (`NaN` read back), whatever its payload.
fn canonical(a: &Float64Array) -> Float64Array {
    if a.values().iter().any(|v| v.is_nan()) {
        unary(a, |v| if v.is_nan() { f64::NAN } else { v })
    } else {
        a.clone()
    }
}

fn step_batch(
    plan: &StreamPlan,
    metric_names: &[&str],
    cols: &Columns,
    start: usize,
    n: usize,
) -> Result<RecordBatch> {
    let schema = Table::PosttrainSteps.schema();
    let targets: Vec<Option<&Target>> = metric_names.iter().map(|k| plan.targets.get(*k)).collect();
    let metric = |i: usize| canonical(&cols.metrics[i].slice(start, n));
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name().as_str();
        let col: ArrayRef = match name {
            "run_uid" => repeat(&plan.run_uid, n),
            "training_type" => repeat(plan.training_type.as_str(), n),
            "step" => Arc::new(cols.step.slice(start, n)),
            "variant" => Arc::new(Int32Array::from(vec![0; n])),
            "conflict" => Arc::new(BooleanArray::from(vec![false; n])),
            "timestamp" => {
                let tz = match field.data_type() {
                    DataType::Timestamp(TimeUnit::Microsecond, tz) => tz.clone(),
                    _ => None,
                };
                match &cols.timestamp {
                    Some(t) => Arc::new(
                        t.slice(start, n)
                            .iter()
                            .map(|v| v.and_then(|s| crate::coerce::epoch_micros(s).ok()))
                            .collect::<TimestampMicrosecondArray>()
                            .with_timezone_opt(tz),
                    ),
                    None => new_null_array(field.data_type(), n),
                }
            }
            "runtime_seconds" => match &cols.runtime {
                Some(r) => Arc::new(canonical(&r.slice(start, n))),
                None => new_null_array(field.data_type(), n),
            },
            "extra_metrics" => extra_metrics(&targets, n, &metric)?,
            _ => match targets
                .iter()
                .position(|t| *t == Some(&Target::Typed(typed_name(name))))
            {
                Some(i) => Arc::new(metric(i)),
                None => new_null_array(field.data_type(), n),
            },
        };
        columns.push(col);
    }
    RecordBatch::try_new(schema, columns).map_err(|source| WandbError::Arrow {
        table: "posttrain_steps",
        source,
    })
}

/// The `'static` name of a typed column (`Target::Typed` holds those).
fn typed_name(name: &str) -> &'static str {
    runlake_format::tables::TYPED_STEP_COLUMNS
        .iter()
        .find(|(c, _)| *c == name)
        .map_or("", |(c, _)| c)
}

fn repeat(value: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, n)))
}

fn extra_metrics(
    targets: &[Option<&Target>],
    n: usize,
    metric: &dyn Fn(usize) -> Float64Array,
) -> Result<ArrayRef> {
    let extra: Vec<(&str, Float64Array)> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Some(Target::Extra(k)) => Some((k.as_str(), metric(i))),
            _ => None,
        })
        .filter(|(_, a)| a.null_count() < a.len())
        .collect();
    let mut b = MapBuilder::new(
        Some(crate::build::map_field_names()),
        StringBuilder::new(),
        Float64Builder::new(),
    );
    let err = |source| WandbError::Arrow {
        table: "posttrain_steps",
        source,
    };
    for row in 0..n {
        let mut any = false;
        for (k, a) in &extra {
            if a.is_valid(row) {
                b.keys().append_value(k);
                b.values().append_value(a.value(row));
                any = true;
            }
        }
        b.append(any).map_err(err)?;
    }
    Ok(Arc::new(b.finish()))
}
