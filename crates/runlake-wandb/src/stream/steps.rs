//! The second read of streamed history files: `posttrain_steps` batches, column by column,
//! handed to the transaction as they are built.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBufferBuilder, Float64Array, Int32Array, MapArray,
    RecordBatch, StringArray, StringBuilder, StructArray, TimestampMicrosecondArray,
    new_null_array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::compute::kernels::arity::unary;
use arrow::datatypes::{DataType, Field, TimeUnit};
use arrow::error::ArrowError;
use runlake_format::Table;
use runlake_lake::Transaction;

use super::scan::{Columns, columns, open_from, segments, shape};
use super::{StreamPlan, StreamedFile, Target};
use crate::error::{Result, WandbError};
use crate::read::unreadable;

/// Stages the rows of `plans`' runs from the streamed files holding them: the batches their
/// scan kept, or the files read again. Returns the rows added. Blocking: it reads files, and
/// `tx` writes full buffers.
pub(crate) fn stage(
    files: Vec<StreamedFile>,
    plans: &[StreamPlan],
    by_run_id: &HashMap<&str, usize>,
    tx: &mut Transaction,
) -> Result<u64> {
    let mut wanted = vec![false; files.len()];
    for f in plans.iter().flat_map(|p| p.files.iter()) {
        wanted[*f] = true;
    }
    let mut rows = 0;
    // Files not wanted drop here, and with them the batches they held.
    for file in files
        .into_iter()
        .zip(wanted)
        .filter_map(|(f, w)| w.then_some(f))
    {
        let path = file.path;
        let held = file.held;
        let first = held.batches.first().map(|b| b.schema().as_ref().clone());
        let kept = held.batches.into_iter().map(Ok);
        let (schema, batches): (_, Box<dyn Iterator<Item = Result<RecordBatch>>>) =
            match (held.whole, first) {
                (true, None) => continue,
                (true, Some(schema)) => (schema, Box::new(kept)),
                (false, _) => {
                    let (schema, reader) = open_from(&path, held.rows)?;
                    let named = path.clone();
                    let rest = reader.map(move |b| b.map_err(|e| unreadable(&named, &e)));
                    (schema, Box::new(kept.chain(rest)))
                }
            };
        let shape = shape(&schema).ok_or_else(|| WandbError::Parquet {
            path: path.clone(),
            reason: "its columns changed since it was first read".into(),
        })?;
        let metric_names: Vec<&str> = shape.metrics.iter().map(|(_, k)| k.as_str()).collect();
        for batch in batches {
            let cols = columns(&path, &shape, &batch?)?;
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
    // Without an early exit the search compiles to vector compares; most columns hold no NaN.
    if a.values().iter().fold(false, |seen, v| seen | v.is_nan()) {
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
            "run_uid" => repeat(&plan.run_uid, n)?,
            "training_type" => repeat(plan.training_type.as_str(), n)?,
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
            "extra_metrics" => extra_metrics(field, &targets, n, &metric)?,
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

/// `value` in each of `n` rows, its buffers sized once (built value by value, the bytes grew,
/// and were copied, a doubling at a time for every run's stretch of rows).
fn repeat(value: &str, n: usize) -> Result<ArrayRef> {
    // `new_repeated` panics past the offsets' range; a run's stretch never comes near it.
    let fits = value
        .len()
        .checked_mul(n)
        .is_some_and(|total| i32::try_from(total).is_ok());
    if !fits {
        return Err(WandbError::Arrow {
            table: "posttrain_steps",
            source: ArrowError::ComputeError("string column over 2 GiB".into()),
        });
    }
    Ok(Arc::new(StringArray::new_repeated(value, n)))
}

fn extra_metrics(
    field: &Field,
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
    let err = |source| WandbError::Arrow {
        table: "posttrain_steps",
        source,
    };
    let DataType::Map(entries, sorted) = field.data_type() else {
        return Err(err(ArrowError::SchemaError(format!(
            "`{}` is not a map",
            field.name()
        ))));
    };
    let DataType::Struct(entry_fields) = entries.data_type() else {
        return Err(err(ArrowError::SchemaError(
            "map entries are not a struct".into(),
        )));
    };
    // Built straight into the column buffers: a row's entries are the keys it logged, in
    // column order; a row that logged none is null.
    // Sized for every value present, so no buffer grows (and is copied) while rows are added.
    let present: usize = extra.iter().map(|(_, a)| a.len() - a.null_count()).sum();
    let key_len: usize = extra
        .iter()
        .map(|(k, a)| k.len() * (a.len() - a.null_count()))
        .sum();
    let too_large = || err(ArrowError::ComputeError("map column over 2 GiB".into()));
    if i32::try_from(key_len).is_err() || i32::try_from(present).is_err() {
        return Err(too_large());
    }
    let mut offsets: Vec<i32> = Vec::with_capacity(n + 1);
    // Keys are appended as the `&str` they are: built from raw buffers, their bytes were
    // checked to be UTF-8 once more.
    let mut keys = StringBuilder::with_capacity(present, key_len);
    let mut values: Vec<f64> = Vec::with_capacity(present);
    let mut present = BooleanBufferBuilder::new(n);
    offsets.push(0);
    for row in 0..n {
        let before = values.len();
        for (k, a) in &extra {
            if a.is_valid(row) {
                keys.append_value(k);
                values.push(a.value(row));
            }
        }
        offsets.push(i32::try_from(values.len()).map_err(|_| too_large())?);
        present.append(values.len() > before);
    }
    let keys = keys.finish();
    let values = Float64Array::from(values);
    let entry_array = StructArray::try_new(
        entry_fields.clone(),
        vec![Arc::new(keys), Arc::new(values)],
        None,
    )
    .map_err(err)?;
    let map = MapArray::try_new(
        Arc::clone(entries),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        entry_array,
        Some(NullBuffer::new(present.finish())),
        *sorted,
    )
    .map_err(err)?;
    Ok(Arc::new(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_builds_the_array_a_value_at_a_time_builds() {
        for value in ["", "a", "wandb/ml-moe/ft-scaling/run-0001", "é/ü"] {
            for n in [0, 1, 2, 7, 1000] {
                let built = repeat(value, n).expect("repeat");
                let expected = StringArray::from_iter_values(std::iter::repeat_n(value, n));
                assert_eq!(built.as_ref(), &expected as &dyn Array, "{value:?} x {n}");
            }
        }
    }
}
