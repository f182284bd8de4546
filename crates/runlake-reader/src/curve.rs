//! The continuous curve of a post-training run, read from the lake: its lineage chain
//! (`runlake_domain::walk`), each run's checkpoints or steps and evals, placed on one
//! cumulative-tokens axis by `runlake_domain::build_curve` (whose docs give the rules).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use runlake_domain::{Curve, EvalValue, LoggedRow, SegmentInput};
use runlake_format::Table;
use runlake_format::tables::{KNOWN_METRICS, Phase, TYPED_STEP_COLUMNS};

use crate::datadecide::DataDecide;
use crate::error::{ReaderError, Result, arrow_err};
use crate::eval_sources::prefer_sources;
use crate::expr::col;
use crate::lineage::{collect, f64_at, i64_at, map_f64_at, str_at};

/// A run's name, training type and tokens per step, from `metadata`.
type RunFacts = (Option<String>, Option<String>, Option<i64>);

/// What a curve's `value` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurveValue {
    /// A metric of a task from `evals`: `primary_score` (also spelled `primary`), a metric
    /// column, or an `extra_metrics` key.
    Eval {
        /// The task, any spelling the vocabulary knows.
        task: String,
        /// The metric.
        metric: String,
    },
    /// A training-log column: `train_loss` (checkpoints and steps), or any other post-training
    /// step column or `extra_metrics` key.
    Train(String),
}

/// A chain's curve with what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainCurve {
    /// The run asked about.
    pub run_uid: String,
    /// The canonical task (`None` for a training column).
    pub task: Option<String>,
    /// The metric or training column of `value`.
    pub metric: String,
    /// The metric the task's policy names as primary, as the evals state it.
    pub primary_metric_name: Option<String>,
    /// The segments, points and notes.
    pub curve: Curve,
}

/// The curve's columns.
pub fn curve_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("segment", DataType::Int32, false),
        Field::new("phase", DataType::Utf8, false),
        Field::new("run_uid", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("step", DataType::Int64, true),
        Field::new("cumulative_tokens", DataType::Float64, false),
        Field::new("train_loss", DataType::Float64, true),
        Field::new("task", DataType::Utf8, true),
        Field::new("metric", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
    ]))
}

impl ChainCurve {
    /// The points as a record batch of [`curve_schema`].
    pub fn to_batch(&self) -> Result<RecordBatch> {
        let points = &self.curve.points;
        let n = points.len();
        let phase = |segment: usize| {
            self.curve
                .segments
                .get(segment)
                .map_or("", |s| s.phase.as_str())
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from_iter_values(
                points
                    .iter()
                    .map(|p| i32::try_from(p.segment).unwrap_or(i32::MAX)),
            )),
            Arc::new(StringArray::from_iter_values(
                points.iter().map(|p| phase(p.segment)),
            )),
            Arc::new(StringArray::from_iter_values(
                points.iter().map(|p| p.run_uid.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                points.iter().map(|p| p.kind.as_str()),
            )),
            Arc::new(Int64Array::from_iter(points.iter().map(|p| p.step))),
            Arc::new(Float64Array::from_iter_values(
                points.iter().map(|p| p.tokens),
            )),
            Arc::new(Float64Array::from_iter(points.iter().map(|p| p.train_loss))),
            Arc::new(StringArray::from(vec![self.task.as_deref(); n])),
            Arc::new(StringArray::from(vec![self.metric.as_str(); n])),
            Arc::new(Float64Array::from_iter(points.iter().map(|p| p.value))),
        ];
        RecordBatch::try_new(curve_schema(), columns).map_err(arrow_err("building the curve"))
    }
}

/// Whether `name` is a metric column of `evals` (`primary_score`, also spelled `primary`, or
/// one of the known metrics); any other name can only be an `extra_metrics` key.
pub fn is_metric(name: &str) -> bool {
    metric_column(name).is_some()
}

/// The `evals` column of a metric, or `None` for an `extra_metrics` key.
fn metric_column(metric: &str) -> Option<&'static str> {
    match metric {
        "primary" | "primary_score" => Some("primary_score"),
        m => KNOWN_METRICS.iter().find(|k| **k == m).copied(),
    }
}

impl DataDecide {
    /// The continuous curve of a post-training run (a uid, run id or run name) for one task
    /// and metric (default `primary_score`; a metric column), ordered along the
    /// cumulative-tokens axis: see [`DataDecide::chain_curve`].
    pub async fn curve(&self, run: &str, task: &str, metric: Option<&str>) -> Result<RecordBatch> {
        let metric = metric.unwrap_or("primary_score");
        if !is_metric(metric) {
            return Err(ReaderError::UnknownName {
                kind: "metric",
                value: metric.to_owned(),
            });
        }
        let value = CurveValue::Eval {
            task: task.to_owned(),
            metric: metric.to_owned(),
        };
        self.chain_curve(run, &value).await?.to_batch()
    }

    /// The curve of a post-training run's lineage chain: the pretraining checkpoints of its
    /// root up to the step the chain starts from, then each post-training run's steps and
    /// evals, with `value` as asked. An unknown run or task is an error; so is a run without
    /// lineage (a pretraining run).
    pub async fn chain_curve(&self, run: &str, value: &CurveValue) -> Result<ChainCurve> {
        let (task, metric) = match value {
            CurveValue::Eval { task, metric } => {
                let task = self
                    .vocab
                    .task(task)
                    .ok_or_else(|| ReaderError::UnknownName {
                        kind: "task",
                        value: task.clone(),
                    })?;
                let metric: String =
                    metric_column(metric).map_or_else(|| metric.clone(), str::to_owned);
                (Some(task), metric)
            }
            CurveValue::Train(column) => (None, column.clone()),
        };
        let uid = self.resolve_run(run).await?;
        let rows = self.lineage_rows().await?;
        let chain = runlake_domain::walk(&rows, &uid)
            .ok_or_else(|| ReaderError::NoLineage { run: uid.clone() })?;
        if chain.looped {
            return Err(ReaderError::LineageCycle { run: uid });
        }
        let chain_runs = chain.runs();
        let runs: Vec<&str> = chain_runs.iter().map(|r| r.run_uid.as_str()).collect();
        let reader = &self.reader;
        // The chain's scans are independent: run them together rather than one by one.
        let meta = collect(
            reader
                .scan(Table::Metadata)
                .filter(col("run_uid").in_list(runs.iter().copied()))
                .select(["run_uid", "run_name", "training_type", "tokens_per_step"]),
        );
        let evals = async {
            match &task {
                Some(task) => {
                    let column = metric_column(&metric).unwrap_or("extra_metrics");
                    let scan = prefer_sources(
                        reader
                            .scan(Table::Evals)
                            .filter(
                                col("run_uid")
                                    .in_list(runs.iter().copied())
                                    .and(col("task").eq(task.as_str())),
                            )
                            .select([
                                "run_uid",
                                "step",
                                "task",
                                "source",
                                "primary_metric_name",
                                column,
                            ]),
                    )
                    .select(["run_uid", "step", "primary_metric_name", column]);
                    collect(scan).await.map(Some)
                }
                None => Ok(None),
            }
        };
        let step_column = match &task {
            None if TYPED_STEP_COLUMNS.iter().any(|(c, _)| *c == metric) => metric.as_str(),
            None => "extra_metrics",
            Some(_) => "train_loss",
        };
        let logged = futures::future::try_join_all(chain_runs.iter().map(|r| {
            let scan = if r.is_root {
                reader
                    .scan(Table::PretrainCkpts)
                    .filter(col("run_uid").eq(r.run_uid.as_str()))
                    .select(["step", "tokens", "tokens_expected", "train_loss"])
            } else {
                let mut columns = vec!["step", "total_tokens", "train_loss"];
                if !columns.contains(&step_column) {
                    columns.push(step_column);
                }
                reader
                    .scan(Table::PosttrainSteps)
                    .filter(
                        col("run_uid")
                            .eq(r.run_uid.as_str())
                            .and(col("variant").eq(0i64)),
                    )
                    .select(columns)
            };
            collect(scan)
        }));
        let (meta, evals, logged) = futures::future::try_join3(meta, evals, logged).await?;

        let mut about: HashMap<String, RunFacts> = HashMap::new();
        for i in 0..meta.num_rows() {
            if let Some(r) = str_at(&meta, "run_uid", i) {
                about.insert(
                    r,
                    (
                        str_at(&meta, "run_name", i),
                        str_at(&meta, "training_type", i),
                        i64_at(&meta, "tokens_per_step", i),
                    ),
                );
            }
        }
        let mut primary_metric_name = None;
        let mut evals_by_run: HashMap<String, Vec<EvalValue>> = HashMap::new();
        if let Some(evals) = &evals {
            for i in 0..evals.num_rows() {
                let Some(r) = str_at(evals, "run_uid", i) else {
                    continue;
                };
                primary_metric_name =
                    primary_metric_name.or_else(|| str_at(evals, "primary_metric_name", i));
                let value = match metric_column(&metric) {
                    Some(c) => f64_at(evals, c, i),
                    None => map_f64_at(evals, "extra_metrics", i, &metric),
                };
                evals_by_run.entry(r).or_default().push(EvalValue {
                    step: i64_at(evals, "step", i),
                    value,
                });
            }
        }

        let mut notes = chain.attempt_notes();
        let mut inputs = Vec::with_capacity(chain_runs.len());
        for (r, batch) in chain_runs.iter().zip(&logged) {
            let (run_name, training_type, tokens_per_step) =
                about.get(&r.run_uid).cloned().unwrap_or_default();
            let phase = training_type.unwrap_or_else(|| {
                // A run without metadata: the chain's position says what it is.
                if r.is_root {
                    Phase::Pretrain
                } else {
                    Phase::Posttrain
                }
                .as_str()
                .to_owned()
            });
            let train_value = |i: usize| -> Option<f64> {
                match (&task, r.is_root) {
                    (Some(_), _) => None,
                    (None, true) => (metric == "train_loss")
                        .then(|| f64_at(batch, "train_loss", i))
                        .flatten(),
                    (None, false) if step_column == "extra_metrics" => {
                        map_f64_at(batch, "extra_metrics", i, &metric)
                    }
                    (None, false) => f64_at(batch, step_column, i),
                }
            };
            if r.is_root && task.is_none() && metric != "train_loss" {
                notes.push(format!(
                    "pretraining checkpoints have no `{metric}`; pretraining part left out"
                ));
            }
            let rows = (0..batch.num_rows())
                .filter_map(|i| {
                    let step = i64_at(batch, "step", i)?;
                    let tokens = if r.is_root {
                        i64_at(batch, "tokens", i)
                            .or_else(|| i64_at(batch, "tokens_expected", i))
                            .map(|t| t as f64)
                    } else {
                        f64_at(batch, "total_tokens", i)
                    };
                    Some(LoggedRow {
                        step,
                        tokens,
                        train_loss: f64_at(batch, "train_loss", i),
                        value: train_value(i),
                    })
                })
                .collect();
            inputs.push(SegmentInput {
                run_uid: r.run_uid.clone(),
                phase,
                run_name,
                is_root: r.is_root,
                stop_step: r.stop_step,
                tokens_per_step: if r.is_root { None } else { tokens_per_step },
                rows,
                evals: evals_by_run.remove(&r.run_uid).unwrap_or_default(),
            });
        }
        let mut curve = runlake_domain::build_curve(&inputs);
        curve.notes.splice(0..0, notes);
        Ok(ChainCurve {
            run_uid: uid,
            task,
            metric,
            primary_metric_name,
            curve,
        })
    }
}
