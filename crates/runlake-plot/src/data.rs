//! The rows the scaling and comparison plots read from a lake. This is the only file that reads
//! tables directly (the curve's points come from the reader's chain curve): plots are built
//! from these rows by pure functions, so a lazier reader can replace this file without changing
//! them.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, MapArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use runlake_format::tables::{KNOWN_METRICS, TYPED_STEP_COLUMNS};
use runlake_format::{Manifest, Table};
use runlake_lake::Lake;

use crate::error::{PlotError, Result};

/// A hyperparameter value: numbers compare as numbers, anything else as text.
#[derive(Debug, Clone, PartialEq)]
pub enum HValue {
    /// A number (typed column, or JSON number in `hparams`).
    Num(f64),
    /// Text (typed column, JSON string without its quotes, or other JSON as written).
    Text(String),
}

impl std::fmt::Display for HValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HValue::Num(v) => f.write_str(&crate::units::format_plain(*v)),
            HValue::Text(t) => f.write_str(t),
        }
    }
}

/// One `metadata` row, reduced to what plots use.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Run uid.
    pub run_uid: String,
    /// `pretrain` or `posttrain`.
    pub phase: String,
    /// `pretrain`, `sft`, `dpo`, `other`.
    pub training_type: String,
    /// Display name.
    pub run_name: Option<String>,
    /// Typed scalar columns (recipe, size, learning_rate, ...) by column name.
    pub typed: BTreeMap<String, HValue>,
    /// The flattened config (`hparams`), values decoded from their JSON text.
    pub hparams: BTreeMap<String, HValue>,
}

impl RunRow {
    /// A hyperparameter by name: a typed column first, then the `hparams` map.
    pub fn hparam(&self, key: &str) -> Option<&HValue> {
        self.typed.get(key).or_else(|| self.hparams.get(key))
    }
}

/// One `pretrain_ckpts` row.
#[derive(Debug, Clone, PartialEq)]
pub struct CkptRow {
    /// Run uid.
    pub run_uid: String,
    /// Step.
    pub step: i64,
    /// Canonical recipe.
    pub recipe: Option<String>,
    /// Size, e.g. `150M`.
    pub size: Option<String>,
    /// Seed name.
    pub seed: Option<String>,
    /// Tokens seen, as the source gave them.
    pub tokens: Option<i64>,
    /// Tokens from the size's schedule.
    pub tokens_expected: Option<i64>,
    /// FLOPs.
    pub compute: Option<f64>,
    /// Training loss.
    pub train_loss: Option<f64>,
}

/// One `posttrain_steps` row with the one value column asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    /// Run uid.
    pub run_uid: String,
    /// Step.
    pub step: i64,
    /// 0 for the first row at a step; conflicting rows count up.
    pub variant: i32,
    /// Post-training tokens so far.
    pub total_tokens: Option<f64>,
    /// The requested column's value.
    pub value: Option<f64>,
}

/// One `evals` row with the one metric asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    /// Run uid.
    pub run_uid: String,
    /// `pretrain` or `posttrain`.
    pub phase: String,
    /// Step, when the eval belongs to one.
    pub step: Option<i64>,
    /// Where the row came from.
    pub source: String,
    /// Canonical recipe.
    pub recipe: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Seed name.
    pub seed: Option<String>,
    /// The metric the task's policy names as primary.
    pub primary_metric_name: Option<String>,
    /// The requested metric's value.
    pub value: Option<f64>,
}

/// The lake at one version, read table by table.
#[derive(Debug)]
pub struct LakeData<'a> {
    lake: &'a Lake,
    manifest: Manifest,
}

impl<'a> LakeData<'a> {
    /// The lake's latest version.
    pub async fn latest(lake: &'a Lake) -> Result<LakeData<'a>> {
        Ok(LakeData {
            lake,
            manifest: lake.latest().await?,
        })
    }

    /// A given version.
    pub async fn at(lake: &'a Lake, version: u64) -> Result<LakeData<'a>> {
        Ok(LakeData {
            lake,
            manifest: lake.version(version).await?,
        })
    }

    async fn read(&self, table: Table) -> Result<Vec<RecordBatch>> {
        Ok(self.lake.read_table(&self.manifest, table).await?)
    }

    /// Every run.
    pub async fn runs(&self) -> Result<Vec<RunRow>> {
        let batches = self.read(Table::Metadata).await?;
        let mut out = Vec::new();
        for b in &batches {
            let c = Cols::new(b, Table::Metadata);
            let hparams = c.map("hparams")?;
            // Scalar columns that may serve as hyperparameters; JSON blobs and ids excluded.
            let skip = [
                "run_uid",
                "phase",
                "training_type_reason",
                "source",
                "config_json",
                "summary_json",
                "extra_json",
            ];
            let typed_cols: Vec<(String, &dyn Array)> = b
                .schema()
                .fields()
                .iter()
                .zip(b.columns())
                .filter(|(f, _)| !skip.contains(&f.name().as_str()))
                .filter(|(f, _)| {
                    matches!(
                        f.data_type(),
                        DataType::Utf8 | DataType::Int64 | DataType::Float64
                    )
                })
                .map(|(f, a)| (f.name().clone(), a.as_ref()))
                .collect();
            for i in 0..b.num_rows() {
                let mut typed = BTreeMap::new();
                for (name, a) in &typed_cols {
                    if let Some(v) = scalar(*a, i) {
                        typed.insert(name.clone(), v);
                    }
                }
                let mut hp = BTreeMap::new();
                if let Some(m) = hparams
                    && !m.is_null(i)
                {
                    let entry = m.value(i);
                    let keys = entry.column(0).as_string::<i32>();
                    let vals = entry.column(1).as_string_opt::<i32>();
                    for k in 0..entry.len() {
                        if let Some(vals) = vals
                            && !vals.is_null(k)
                        {
                            hp.insert(keys.value(k).to_owned(), decode_json_scalar(vals.value(k)));
                        }
                    }
                }
                out.push(RunRow {
                    run_uid: c.str_req("run_uid", i)?,
                    phase: c.str_req("phase", i)?,
                    training_type: c.str_req("training_type", i)?,
                    run_name: c.str("run_name", i)?,
                    typed,
                    hparams: hp,
                });
            }
        }
        Ok(out)
    }

    /// Every pretraining checkpoint.
    pub async fn ckpts(&self) -> Result<Vec<CkptRow>> {
        let batches = self.read(Table::PretrainCkpts).await?;
        let mut out = Vec::new();
        for b in &batches {
            let c = Cols::new(b, Table::PretrainCkpts);
            for i in 0..b.num_rows() {
                out.push(CkptRow {
                    run_uid: c.str_req("run_uid", i)?,
                    step: c.i64("step", i)?.unwrap_or_default(),
                    recipe: c.str("recipe", i)?,
                    size: c.str("size", i)?,
                    seed: c.str("seed", i)?,
                    tokens: c.i64("tokens", i)?,
                    tokens_expected: c.i64("tokens_expected", i)?,
                    compute: c.f64("compute", i)?,
                    train_loss: c.f64("train_loss", i)?,
                });
            }
        }
        Ok(out)
    }

    /// Every post-training step row, with `column` (a typed step column such as `train_loss`,
    /// or a key of `extra_metrics`) as the value.
    pub async fn steps(&self, column: &str) -> Result<Vec<StepRow>> {
        let batches = self.read(Table::PosttrainSteps).await?;
        let typed = TYPED_STEP_COLUMNS.iter().any(|(c, _)| *c == column);
        let mut out = Vec::new();
        for b in &batches {
            let c = Cols::new(b, Table::PosttrainSteps);
            let extra = c.map("extra_metrics")?;
            for i in 0..b.num_rows() {
                let value = if typed {
                    c.f64(column, i)?
                } else {
                    extra.and_then(|m| map_f64(m, i, column))
                };
                out.push(StepRow {
                    run_uid: c.str_req("run_uid", i)?,
                    step: c.i64("step", i)?.unwrap_or_default(),
                    variant: c.i32("variant", i)?.unwrap_or_default(),
                    total_tokens: c.f64("total_tokens", i)?,
                    value,
                });
            }
        }
        Ok(out)
    }

    /// Every eval row of `task`, with `metric` as the value: `primary` (the primary score), a
    /// metric column, or a key of `extra_metrics`.
    pub async fn evals(&self, task: &str, metric: &str) -> Result<Vec<EvalRow>> {
        let batches = self.read(Table::Evals).await?;
        let column = match metric {
            "primary" | "primary_score" => Some("primary_score"),
            m => KNOWN_METRICS.iter().find(|k| **k == m).copied(),
        };
        let mut out = Vec::new();
        for b in &batches {
            let c = Cols::new(b, Table::Evals);
            let extra = c.map("extra_metrics")?;
            for i in 0..b.num_rows() {
                if c.str("task", i)?.as_deref() != Some(task) {
                    continue;
                }
                let value = match column {
                    Some(col) => c.f64(col, i)?,
                    None => extra.and_then(|m| map_f64(m, i, metric)),
                };
                out.push(EvalRow {
                    run_uid: c.str_req("run_uid", i)?,
                    phase: c.str_req("phase", i)?,
                    step: c.i64("step", i)?,
                    source: c.str_req("source", i)?,
                    recipe: c.str("recipe", i)?,
                    size: c.str("size", i)?,
                    seed: c.str("seed", i)?,
                    primary_metric_name: c.str("primary_metric_name", i)?,
                    value,
                });
            }
        }
        Ok(out)
    }
}

/// Typed access to one batch's columns; a column of the wrong type is an error naming it.
struct Cols<'b> {
    batch: &'b RecordBatch,
    table: Table,
}

impl<'b> Cols<'b> {
    fn new(batch: &'b RecordBatch, table: Table) -> Self {
        Cols { batch, table }
    }

    fn err(&self, column: &str, expected: &'static str) -> PlotError {
        PlotError::Column {
            table: self.table.name(),
            column: column.to_owned(),
            expected,
        }
    }

    fn col(&self, name: &str) -> Option<&'b dyn Array> {
        self.batch.column_by_name(name).map(|c| c.as_ref())
    }

    fn str(&self, name: &str, i: usize) -> Result<Option<String>> {
        let Some(c) = self.col(name) else {
            return Ok(None);
        };
        let a = c
            .as_string_opt::<i32>()
            .ok_or_else(|| self.err(name, "Utf8"))?;
        Ok((!a.is_null(i)).then(|| a.value(i).to_owned()))
    }

    fn str_req(&self, name: &str, i: usize) -> Result<String> {
        self.str(name, i)?
            .ok_or_else(|| self.err(name, "non-null Utf8"))
    }

    fn i64(&self, name: &str, i: usize) -> Result<Option<i64>> {
        let Some(c) = self.col(name) else {
            return Ok(None);
        };
        let a = c
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| self.err(name, "Int64"))?;
        Ok((!a.is_null(i)).then(|| a.value(i)))
    }

    fn i32(&self, name: &str, i: usize) -> Result<Option<i32>> {
        let Some(c) = self.col(name) else {
            return Ok(None);
        };
        let a = c
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| self.err(name, "Int32"))?;
        Ok((!a.is_null(i)).then(|| a.value(i)))
    }

    fn f64(&self, name: &str, i: usize) -> Result<Option<f64>> {
        let Some(c) = self.col(name) else {
            return Ok(None);
        };
        let a = c
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| self.err(name, "Float64"))?;
        Ok((!a.is_null(i)).then(|| a.value(i)))
    }

    fn map(&self, name: &str) -> Result<Option<&'b MapArray>> {
        let Some(c) = self.col(name) else {
            return Ok(None);
        };
        c.as_map_opt()
            .map(Some)
            .ok_or_else(|| self.err(name, "Map"))
    }
}

fn map_f64(m: &MapArray, i: usize, key: &str) -> Option<f64> {
    if m.is_null(i) {
        return None;
    }
    let entry = m.value(i);
    let keys = entry.column(0).as_string_opt::<i32>()?;
    let vals = entry.column(1).as_primitive_opt::<Float64Type>()?;
    (0..entry.len())
        .find(|k| keys.value(*k) == key)
        .and_then(|k| (!vals.is_null(k)).then(|| vals.value(k)))
}

fn scalar(a: &dyn Array, i: usize) -> Option<HValue> {
    if a.is_null(i) {
        return None;
    }
    if let Some(s) = a.as_string_opt::<i32>() {
        return Some(HValue::Text(s.value(i).to_owned()));
    }
    if let Some(v) = a.as_primitive_opt::<Int64Type>() {
        return Some(HValue::Num(v.value(i) as f64));
    }
    a.as_primitive_opt::<Float64Type>()
        .map(|v| HValue::Num(v.value(i)))
}

/// `hparams` values are JSON text: `5e-06` is a number, `"linear"` the string `linear`.
fn decode_json_scalar(text: &str) -> HValue {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Number(n)) => n
            .as_f64()
            .map_or_else(|| HValue::Text(text.to_owned()), HValue::Num),
        Ok(serde_json::Value::String(s)) => HValue::Text(s),
        _ => HValue::Text(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hparam_json_values_decode() {
        assert_eq!(decode_json_scalar("5e-06"), HValue::Num(5e-6));
        assert_eq!(
            decode_json_scalar("\"linear\""),
            HValue::Text("linear".into())
        );
        assert_eq!(decode_json_scalar("[1, 2]"), HValue::Text("[1, 2]".into()));
        assert_eq!(HValue::Num(5e-6).to_string(), "5e-6");
    }
}
