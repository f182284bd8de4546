//! datadec's `full_eval` shape: one row per checkpoint, one column per task x metric.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, UInt32Array};
use arrow::compute::{cast, concat_batches, take};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use runlake_vocab::wide_column_name;

use crate::error::{ReaderError, Result, arrow_err};

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| ReaderError::UnknownColumn {
            column: name.to_owned(),
            context: "the rows to widen".to_owned(),
            available: batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Pivots rows of [`crate::DataDecide::select`] (or `final_rows`), one per (run, step, task),
/// into one row per (run, step) as datadec's `full_eval`: the columns before `task` once, then
/// one float64 column per metric x task that has a value (`arc_challenge_acc_raw`,
/// `pile-valppl`; metric-major as datadec's `pivot_task_metrics_to_columns`, tasks sorted).
/// `source` is dropped: each cell came from its checkpoint's preferred source. Rows are sorted
/// by `run_uid`, `step`.
pub fn widen(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let batch = concat_batches(schema, batches).map_err(arrow_err("widening"))?;
    let task_at = schema.index_of("task").map_err(|_| missing_task())?;
    let source_at = schema.index_of("source").ok();
    let ids: Vec<usize> = (0..task_at).collect();
    let metrics: Vec<usize> = (task_at + 1..schema.fields().len())
        .filter(|i| Some(*i) != source_at)
        .collect();
    let runs = column(&batch, "run_uid")?.as_string::<i32>().clone();
    let steps = column(&batch, "step")?.as_primitive::<Int64Type>().clone();
    let tasks = batch.column(task_at).as_string::<i32>().clone();

    // Checkpoint -> its first row; (checkpoint, task) -> the row holding that task.
    let mut first: BTreeMap<(String, Option<i64>), u32> = BTreeMap::new();
    let mut cell: BTreeMap<((String, Option<i64>), String), usize> = BTreeMap::new();
    let mut task_names: BTreeSet<String> = BTreeSet::new();
    for i in 0..batch.num_rows() {
        let key = (
            runs.value(i).to_owned(),
            steps.is_valid(i).then(|| steps.value(i)),
        );
        let row = u32::try_from(i).unwrap_or(u32::MAX);
        first.entry(key.clone()).or_insert(row);
        if tasks.is_valid(i) {
            task_names.insert(tasks.value(i).to_owned());
            cell.insert((key, tasks.value(i).to_owned()), i);
        }
    }
    let order: Vec<(String, Option<i64>)> = first.keys().cloned().collect();
    let picks = UInt32Array::from(first.values().copied().collect::<Vec<_>>());

    let mut fields: Vec<Field> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for &i in &ids {
        fields.push(schema.field(i).clone());
        columns.push(take(batch.column(i), &picks, None).map_err(arrow_err("widening"))?);
    }
    for &m in &metrics {
        let values = cast(batch.column(m), &DataType::Float64).map_err(arrow_err("widening"))?;
        let values = values.as_primitive::<Float64Type>();
        let metric = schema.field(m).name();
        for task in &task_names {
            let col: Float64Array = order
                .iter()
                .map(|k| {
                    cell.get(&(k.clone(), task.clone()))
                        .filter(|&&r| values.is_valid(r))
                        .map(|&r| values.value(r))
                })
                .collect();
            // As pandas' pivot_table, a task x metric without any value has no column.
            if col.null_count() == col.len() {
                continue;
            }
            fields.push(Field::new(
                wide_column_name(task, metric),
                DataType::Float64,
                true,
            ));
            columns.push(Arc::new(col));
        }
    }
    RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(order.len())),
    )
    .map_err(arrow_err("widening"))
}

fn missing_task() -> ReaderError {
    ReaderError::UnknownColumn {
        column: "task".to_owned(),
        context: "the rows to widen".to_owned(),
        available: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, StringArray};

    use super::*;

    #[test]
    fn metric_major_columns_and_empty_ones_dropped() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("run_uid", DataType::Utf8, false),
            Field::new("step", DataType::Int64, true),
            Field::new("task", DataType::Utf8, false),
            Field::new("source", DataType::Utf8, false),
            Field::new("acc_raw", DataType::Float64, true),
            Field::new("perplexity", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["b", "a", "a", "b"])),
                Arc::new(Int64Array::from(vec![1, 1, 1, 1])),
                Arc::new(StringArray::from(vec![
                    "ppl_pile", "piqa", "ppl_pile", "piqa",
                ])),
                Arc::new(StringArray::from(vec!["s"; 4])),
                Arc::new(Float64Array::from(vec![None, Some(0.5), None, Some(0.6)])),
                Arc::new(Float64Array::from(vec![Some(20.0), None, Some(10.0), None])),
            ],
        )
        .expect("batch");
        let wide = widen(&schema, &[batch]).expect("wide");
        let out = wide.schema();
        let names: Vec<&str> = out.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["run_uid", "step", "piqa_acc_raw", "pile-valppl"]);
        let runs = wide.column(0).as_string::<i32>();
        assert_eq!((runs.value(0), runs.value(1)), ("a", "b"));
        let acc = wide.column(2).as_primitive::<Float64Type>();
        let ppl = wide.column(3).as_primitive::<Float64Type>();
        assert_eq!((acc.value(0), ppl.value(0)), (0.5, 10.0));
        assert_eq!((acc.value(1), ppl.value(1)), (0.6, 20.0));
    }
}
