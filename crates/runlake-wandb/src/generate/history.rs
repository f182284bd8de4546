//! History files: one row per logged step, one column per key any run of the file logged
//! (open-instruct's SFT and DPO keys), null where a run did not log it at that step.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::runs::RunSpec;
use super::{Rng, parquet_err, writer};
use crate::error::Result;

const ROWS_PER_GROUP: usize = 1 << 16;

/// Logged keys: which run type logs each.
const KEYS: [(&str, Logs); 23] = [
    ("learning_rate", Logs::Both),
    ("train_loss", Logs::Both),
    ("epoch", Logs::Both),
    ("grad_norm", Logs::Both),
    ("per_device_tps", Logs::Both),
    ("reserved_mem_GiB", Logs::Both),
    ("allocated_mem_GiB", Logs::Both),
    ("total_tokens", Logs::Sft),
    ("total_tokens_including_padding", Logs::Sft),
    ("per_device_tps_including_padding", Logs::Sft),
    ("total_pred_tokens", Logs::Sft),
    ("total_tokens_this_log_period", Logs::Sft),
    ("avg_tokens_per_batch", Logs::Sft),
    ("avg_tokens_per_batch_including_padding", Logs::Sft),
    ("avg_pred_tokens_per_batch", Logs::Sft),
    ("training_step", Logs::Dpo),
    ("logps/chosen", Logs::Dpo),
    ("logps/rejected", Logs::Dpo),
    ("rewards/chosen", Logs::Dpo),
    ("rewards/rejected", Logs::Dpo),
    ("rewards/average", Logs::Dpo),
    ("rewards/accuracy", Logs::Dpo),
    ("rewards/margin", Logs::Dpo),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Logs {
    Both,
    Sft,
    Dpo,
}

fn schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("step", DataType::Int64, false),
        Field::new("timestamp", DataType::Float64, true),
        Field::new("runtime", DataType::Float64, true),
    ];
    fields.extend(
        KEYS.iter()
            .map(|(k, _)| Field::new(*k, DataType::Float64, true)),
    );
    Arc::new(Schema::new(fields))
}

struct Group {
    run_id: StringBuilder,
    step: Int64Builder,
    timestamp: Float64Builder,
    runtime: Float64Builder,
    keys: Vec<Float64Builder>,
    rows: usize,
}

impl Group {
    fn new() -> Self {
        Self {
            run_id: StringBuilder::new(),
            step: Int64Builder::new(),
            timestamp: Float64Builder::new(),
            runtime: Float64Builder::new(),
            keys: KEYS.iter().map(|_| Float64Builder::new()).collect(),
            rows: 0,
        }
    }

    fn finish(
        &mut self,
        schema: &SchemaRef,
    ) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.run_id.finish()),
            Arc::new(self.step.finish()),
            Arc::new(self.timestamp.finish()),
            Arc::new(self.runtime.finish()),
        ];
        columns.extend(
            self.keys
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        self.rows = 0;
        RecordBatch::try_new(schema.clone(), columns)
    }
}

/// Writes the history of `specs` (in run order, steps ascending) to `path`; returns the rows.
pub(crate) fn write(path: &Path, specs: &[RunSpec], steps: usize) -> Result<u64> {
    let schema = schema();
    let mut w = writer(path, schema.clone())?;
    let mut group = Group::new();
    let mut rows = 0u64;
    for spec in specs {
        let mut rng = Rng::new(spec.stream, 0x4157);
        let seconds_per_step = 0.5 + 2.0 * rng.unit();
        let start_loss = if spec.dpo {
            std::f64::consts::LN_2
        } else {
            1.2 + rng.unit()
        };
        for i in 0..steps {
            let step = (i as u64 + 1) * spec.logging_steps;
            let progress = (i + 1) as f64 / steps as f64;
            let runtime = step as f64 * seconds_per_step + rng.unit();
            group.run_id.append_value(&spec.name);
            group.step.append_value(step as i64);
            group
                .timestamp
                .append_value(spec.created_at_s as f64 + 60.0 + runtime);
            group.runtime.append_value(runtime);
            for ((key, logs), b) in KEYS.iter().zip(&mut group.keys) {
                let logged = match logs {
                    Logs::Both => true,
                    Logs::Sft => !spec.dpo,
                    Logs::Dpo => spec.dpo,
                };
                // grad_norm is logged every tenth step only: history keys are sparse.
                if !logged || (*key == "grad_norm" && i % 10 != 9) {
                    b.append_null();
                    continue;
                }
                b.append_value(value(key, spec, &mut rng, i, progress, start_loss));
            }
            group.rows += 1;
            rows += 1;
            if group.rows == ROWS_PER_GROUP {
                let batch = group.finish(&schema).map_err(|e| parquet_err(path, &e))?;
                w.write(&batch).map_err(|e| parquet_err(path, &e))?;
            }
        }
    }
    if group.rows > 0 {
        let batch = group.finish(&schema).map_err(|e| parquet_err(path, &e))?;
        w.write(&batch).map_err(|e| parquet_err(path, &e))?;
    }
    w.close().map_err(|e| parquet_err(path, &e))?;
    Ok(rows)
}

fn value(key: &str, spec: &RunSpec, rng: &mut Rng, i: usize, progress: f64, start: f64) -> f64 {
    let noise = rng.unit() - 0.5;
    let tokens = (i as f64 + 1.0) * spec.logging_steps as f64 * 91_330.0;
    match key {
        "learning_rate" if spec.dpo && progress >= 1.0 => 0.0,
        "learning_rate" => spec.learning_rate * (1.0 - progress).max(0.0),
        // A rare NaN loss, as a diverging step logs.
        "train_loss" if rng.below(5_000) == 0 => f64::NAN,
        "train_loss" if spec.dpo && i == 0 => start,
        "train_loss" => start * (1.0 - 0.4 * progress) + 0.05 * noise,
        "epoch" => progress,
        "grad_norm" => 0.8 + noise,
        "per_device_tps" => 1_000.0 + 50.0 * noise,
        "per_device_tps_including_padding" => 2_100.0 + 80.0 * noise,
        "reserved_mem_GiB" => 61.5,
        "allocated_mem_GiB" => 48.0 + noise,
        "total_tokens" => tokens.round(),
        "total_tokens_including_padding" => (tokens * 2.08).round(),
        "total_pred_tokens" => (tokens * 0.6).round(),
        "total_tokens_this_log_period" => 91_330.0 * spec.logging_steps as f64,
        "avg_tokens_per_batch" => 1_427.0 + 30.0 * noise,
        "avg_tokens_per_batch_including_padding" => 2_969.0 + 30.0 * noise,
        "avg_pred_tokens_per_batch" => 856.0 + 20.0 * noise,
        "training_step" => (i + 1) as f64,
        "logps/chosen" => -1.4 - progress + 0.1 * noise,
        "logps/rejected" => -1.4 - 2.0 * progress + 0.1 * noise,
        "rewards/chosen" => 0.5 * progress + 0.05 * noise,
        "rewards/rejected" => -0.5 * progress + 0.05 * noise,
        "rewards/average" => 0.02 * noise,
        "rewards/accuracy" => (0.5 + 0.4 * progress + 0.2 * noise).clamp(0.0, 1.0),
        "rewards/margin" => progress + 0.05 * noise,
        _ => noise,
    }
}
