//! The continuous curve of a post-training run: its lineage chain's pretraining checkpoints
//! up to the parent step, then each post-training run's steps and evals, on one
//! cumulative-tokens axis.
//!
//! A pretraining checkpoint sits at its exported `tokens`, else its `tokens_expected`, else the
//! size's schedule at that step. Each post-training segment starts where its parent stopped:
//! the tokens at the parent step (by the schedule when the lake holds no checkpoint at exactly
//! that step), or the parent's last tokens when no step is recorded. A `resumed_from` run
//! continues the run it resumed; a `duplicate_of` run is a separate attempt and never drawn in
//! front of its namesake. Inside a run the axis uses
//! the logged `total_tokens`, else `step * tokens_per_step` from the run's metadata, else
//! stays flat; a counter that goes backwards (after a resume) never moves the axis back.
//! Evals without a step sit at the end of their run.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use runlake_format::Table;

use crate::datadecide::DataDecide;
use crate::error::{ReaderError, Result, arrow_err};
use crate::exec::gather;
use crate::expr::col;
use crate::scan::Scan;

/// An eval's step (if any) and value.
type StepValue = (Option<i64>, Option<f64>);

/// One point of the curve.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    segment: i32,
    phase: String,
    run_uid: String,
    kind: &'static str,
    step: Option<i64>,
    tokens: f64,
    train_loss: Option<f64>,
    value: Option<f64>,
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
        Field::new("task", DataType::Utf8, false),
        Field::new("metric", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
    ]))
}

async fn collect(scan: Scan) -> Result<RecordBatch> {
    let schema = scan.schema()?;
    gather(scan.execute().await?, &schema).await
}

/// The logged steps of one segment: a pretraining run's checkpoints, or a post-training run's
/// step log.
fn logged_steps(dd: &DataDecide, run: &str, is_root: bool) -> Scan {
    if is_root {
        dd.reader
            .scan(Table::PretrainCkpts)
            .filter(col("run_uid").eq(run))
            .select(["step", "tokens", "tokens_expected", "train_loss"])
    } else {
        dd.reader
            .scan(Table::PosttrainSteps)
            .filter(col("run_uid").eq(run).and(col("variant").eq(0i64)))
            .select(["step", "total_tokens", "train_loss"])
    }
}

fn f64_at(b: &RecordBatch, name: &str, i: usize) -> Option<f64> {
    let c = b.column_by_name(name)?;
    let c = c.as_primitive_opt::<Float64Type>()?;
    c.is_valid(i).then(|| c.value(i))
}

fn i64_at(b: &RecordBatch, name: &str, i: usize) -> Option<i64> {
    let c = b.column_by_name(name)?;
    let c = c.as_primitive_opt::<Int64Type>()?;
    c.is_valid(i).then(|| c.value(i))
}

fn str_at(b: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let c = b.column_by_name(name)?;
    let c = c.as_string_opt::<i32>()?;
    c.is_valid(i).then(|| c.value(i).to_owned())
}

impl DataDecide {
    /// The lineage chain of `run_uid`, root first: `(run, parent step used by the next run)`.
    async fn chain(&self, run_uid: &str) -> Result<Vec<(String, Option<i64>)>> {
        let parents = self.parents().await?;
        if !parents.contains_key(run_uid) {
            return Err(ReaderError::NoLineage {
                run: run_uid.to_owned(),
            });
        }
        let mut chain = vec![(run_uid.to_owned(), None)];
        let mut cur = run_uid.to_owned();
        while let Some((parent, step, _)) = parents.get(&cur) {
            if chain.iter().any(|(r, _)| r == parent) {
                return Err(ReaderError::LineageCycle {
                    run: run_uid.to_owned(),
                });
            }
            chain.push((parent.clone(), *step));
            cur = parent.clone();
        }
        // Each entry now holds the step of that run at which its child started.
        chain.reverse();
        Ok(chain)
    }

    /// The continuous curve of a post-training run for one task and metric (default
    /// `primary_score`), ordered along the cumulative-tokens axis. See the module docs.
    pub async fn curve(
        &self,
        run_uid: &str,
        task: &str,
        metric: Option<&str>,
    ) -> Result<RecordBatch> {
        let metric = metric.unwrap_or("primary_score").to_owned();
        if metric != "primary_score"
            && !runlake_format::tables::KNOWN_METRICS.contains(&metric.as_str())
        {
            return Err(ReaderError::UnknownName {
                kind: "metric",
                value: metric,
            });
        }
        let chain = self.chain(run_uid).await?;
        let runs: Vec<&str> = chain.iter().map(|c| c.0.as_str()).collect();
        let reader = &self.reader;
        // The chain's scans are independent: run them together rather than one by one.
        let meta = collect(
            reader
                .scan(Table::Metadata)
                .filter(col("run_uid").in_list(runs.iter().copied()))
                .select(["run_uid", "training_type", "tokens_per_step"]),
        );
        let evals = collect(
            crate::datadecide::prefer_sources(
                reader
                    .scan(Table::Evals)
                    .filter(
                        col("run_uid")
                            .in_list(runs.iter().copied())
                            .and(col("task").eq(task)),
                    )
                    .select(["run_uid", "step", "task", "source", &metric]),
            )
            .select(["run_uid", "step", &metric]),
        );
        let logged = futures::future::try_join_all(
            chain
                .iter()
                .enumerate()
                .map(|(segment, (run, _))| collect(logged_steps(self, run, segment == 0))),
        );
        let (meta, evals, logged) = futures::future::try_join3(meta, evals, logged).await?;
        let mut types: HashMap<String, (String, Option<i64>)> = HashMap::new();
        for i in 0..meta.num_rows() {
            if let (Some(r), Some(t)) = (
                str_at(&meta, "run_uid", i),
                str_at(&meta, "training_type", i),
            ) {
                types.insert(r, (t, i64_at(&meta, "tokens_per_step", i)));
            }
        }
        let mut evals_by_run: HashMap<String, Vec<StepValue>> = HashMap::new();
        for i in 0..evals.num_rows() {
            if let Some(r) = str_at(&evals, "run_uid", i) {
                evals_by_run
                    .entry(r)
                    .or_default()
                    .push((i64_at(&evals, "step", i), f64_at(&evals, &metric, i)));
            }
        }

        let mut points: Vec<Point> = Vec::new();
        let mut offset = 0.0f64;
        for (segment, ((run, stop_step), batch)) in chain.iter().zip(&logged).enumerate() {
            let segment = i32::try_from(segment).unwrap_or(i32::MAX);
            let is_root = segment == 0;
            let (phase, tokens_per_step) = match types.get(run) {
                Some((t, tps)) => (t.clone(), *tps),
                None if is_root => ("pretrain".to_owned(), None),
                None => ("posttrain".to_owned(), None),
            };
            // (step, tokens within the run, train loss)
            let mut steps: Vec<(i64, Option<f64>, Option<f64>)> = Vec::new();
            if is_root {
                for i in 0..batch.num_rows() {
                    if let Some(s) = i64_at(batch, "step", i) {
                        let t = i64_at(batch, "tokens", i)
                            .or_else(|| i64_at(batch, "tokens_expected", i))
                            .or_else(|| runlake_vocab::scheduled_tokens(run, s));
                        steps.push((s, t.map(|t| t as f64), f64_at(batch, "train_loss", i)));
                    }
                }
            } else {
                for i in 0..batch.num_rows() {
                    if let Some(s) = i64_at(batch, "step", i) {
                        let t = f64_at(batch, "total_tokens", i)
                            .or_else(|| tokens_per_step.map(|tps| (s as f64) * tps as f64));
                        steps.push((s, t, f64_at(batch, "train_loss", i)));
                    }
                }
            }
            steps.sort_by_key(|s| s.0);
            if let Some(stop) = stop_step {
                steps.retain(|s| s.0 <= *stop);
            }
            let run_evals = evals_by_run.remove(run).unwrap_or_default();
            let stepped: BTreeMap<i64, Option<f64>> = run_evals
                .iter()
                .filter_map(|(s, v)| s.map(|s| (s, *v)))
                .collect();
            let mut within = 0.0f64;
            let mut axis: Vec<(i64, f64)> = Vec::new();
            for (s, t, loss) in &steps {
                within = within.max(t.unwrap_or(within));
                let at = offset + within;
                axis.push((*s, at));
                let kind = if is_root { "checkpoint" } else { "step" };
                let value = if is_root {
                    stepped.get(s).copied().flatten()
                } else {
                    None
                };
                points.push(Point {
                    segment,
                    phase: phase.clone(),
                    run_uid: run.clone(),
                    kind,
                    step: Some(*s),
                    tokens: at,
                    train_loss: *loss,
                    value,
                });
            }
            let mut end = offset + within;
            // The child starts at the checkpoint it was trained from, even when the lake holds
            // only neighbouring checkpoints of the pretraining run.
            if is_root
                && let Some(stop) = stop_step
                && !steps.iter().any(|s| s.0 == *stop)
                && let Some(t) = runlake_vocab::scheduled_tokens(run, *stop)
            {
                end = t as f64;
            }
            if !is_root {
                for (s, v) in &run_evals {
                    // Evals at a logged step sit at that step; others at the run's end.
                    let at = s
                        .and_then(|s| axis.iter().rev().find(|(a, _)| *a <= s).map(|(_, t)| *t))
                        .unwrap_or(end);
                    if s.is_some_and(|s| stop_step.is_some_and(|stop| s > stop)) {
                        continue;
                    }
                    points.push(Point {
                        segment,
                        phase: phase.clone(),
                        run_uid: run.clone(),
                        kind: "eval",
                        step: *s,
                        tokens: at,
                        train_loss: None,
                        value: *v,
                    });
                }
            }
            offset = end;
        }
        // Evals sit among the steps of their segment by tokens.
        points.sort_by(|a, b| {
            a.segment
                .cmp(&b.segment)
                .then(a.tokens.total_cmp(&b.tokens))
                .then((a.kind == "eval").cmp(&(b.kind == "eval")))
                .then(a.step.cmp(&b.step))
        });
        let n = points.len();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from_iter_values(
                points.iter().map(|p| p.segment),
            )),
            Arc::new(StringArray::from_iter_values(
                points.iter().map(|p| p.phase.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                points.iter().map(|p| p.run_uid.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(points.iter().map(|p| p.kind))),
            Arc::new(Int64Array::from_iter(points.iter().map(|p| p.step))),
            Arc::new(Float64Array::from_iter_values(
                points.iter().map(|p| p.tokens),
            )),
            Arc::new(Float64Array::from_iter(points.iter().map(|p| p.train_loss))),
            Arc::new(StringArray::from(vec![task; n])),
            Arc::new(StringArray::from(vec![metric.as_str(); n])),
            Arc::new(Float64Array::from_iter(points.iter().map(|p| p.value))),
        ];
        RecordBatch::try_new(curve_schema(), columns).map_err(arrow_err("building the curve"))
    }
}
