//! Per-kind row parsers: one source row in, a checkpoint's facts and its eval rows out.
//!
//! Each `*Batch` holds the typed columns of one source batch; `row(i)` is pure and independent
//! of every other row, so rows parse in parallel.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use runlake_vocab::{DROP_METRICS, METRIC_NAMES, PPL_SETS, PplSet, Seed, Size, canonical_task};
use serde_json::Value;

use crate::columns::{self, ColumnError, MetricsColumn, f64_at, str_at, view_at};
use crate::model::{CkptFacts, EvalRow, RunKey, SlotCache, Source};
use crate::pyrepr;
use runlake_format::tables::KNOWN_METRICS;

/// Why one row was rejected: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct RowError {
    pub field: String,
    pub message: String,
}

impl RowError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What one source row contributes.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    pub run: RunKey,
    pub step: i64,
    pub ckpt: CkptFacts,
    pub evals: Vec<EvalRow>,
    /// Metric cells that were empty (null/NaN perplexities, all-NaN task groups), counted so
    /// nothing disappears unreported.
    pub empty_cells: u32,
    /// Run-level facts (chinchilla label, datadec model/dataset columns), shared by rows
    /// that repeat them.
    pub run_info: Option<Arc<RunInfo>>,
}

/// Run-level facts of one row, by column name, in column order.
pub type RunInfo = Vec<(String, Value)>;

fn required<'a>(a: &'a StringArray, i: usize, field: &str) -> Result<&'a str, RowError> {
    str_at(a, i).ok_or_else(|| RowError::new(field, "is null"))
}

fn run_key(params: &str, data: &str, seed: &str) -> Result<RunKey, RowError> {
    RunKey::parse(data, params, seed).map_err(|(field, e)| RowError::new(field, e.to_string()))
}

/// A step must be a whole, non-negative number, whatever type carried it.
pub fn integral(v: Option<f64>, field: &str) -> Result<i64, RowError> {
    let v = v.ok_or_else(|| RowError::new(field, "is null"))?;
    if !v.is_finite() || v < 0.0 || v.fract() != 0.0 || v > 9.0e15 {
        return Err(RowError::new(
            field,
            format!("{v} is not a whole non-negative number"),
        ));
    }
    // Checked above: whole and well inside i64.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "checked whole and in range above"
    )]
    Ok(v as i64)
}

/// Each row's `chinchilla` label as run facts, one shared value for a stretch of rows
/// repeating it; none for a batch without the column.
fn chinchilla_facts(labels: Option<&StringArray>) -> Vec<Option<Arc<RunInfo>>> {
    let Some(labels) = labels else {
        return Vec::new();
    };
    let mut facts: Vec<Option<Arc<RunInfo>>> = Vec::with_capacity(labels.len());
    let mut last: Option<(&str, Arc<RunInfo>)> = None;
    for i in 0..labels.len() {
        let Some(label) = str_at(labels, i) else {
            facts.push(None);
            continue;
        };
        let shared = match &last {
            Some((seen, info)) if *seen == label => Arc::clone(info),
            _ => {
                let info = Arc::new(vec![(
                    "chinchilla".to_owned(),
                    Value::String(label.to_owned()),
                )]);
                last = Some((label, Arc::clone(&info)));
                info
            }
        };
        facts.push(Some(shared));
    }
    facts
}

/// Columns of an eval-results batch (train split or macro_avg split).
pub struct EvalResultsBatch {
    source: Source,
    /// Parse `metrics` into owned pairs first, as the reference path does.
    reference: bool,
    params: StringArray,
    data: StringArray,
    seed: StringArray,
    step: Float64Array,
    task: StringArray,
    tokens: Option<Float64Array>,
    compute: Option<Float64Array>,
    /// Each row's chinchilla label as run facts; rows repeating the row before share them,
    /// rather than each allocating the same three values.
    chinchilla: Vec<Option<Arc<RunInfo>>>,
    metrics: MetricsColumn,
}

impl EvalResultsBatch {
    pub fn new(batch: &RecordBatch, source: Source, reference: bool) -> Result<Self, ColumnError> {
        Ok(Self {
            source,
            reference,
            params: columns::strings(batch, "params")?,
            data: columns::strings(batch, "data")?,
            seed: columns::strings(batch, "seed")?,
            step: columns::floats(batch, "step")?,
            task: columns::strings(batch, "task")?,
            tokens: columns::floats_opt(batch, "tokens")?,
            compute: columns::floats_opt(batch, "compute")?,
            chinchilla: chinchilla_facts(columns::strings_opt(batch, "chinchilla")?.as_ref()),
            metrics: MetricsColumn::from_batch(batch)?,
        })
    }

    /// Row `i`; `slots` carries metric slots from row to row of one parsing job.
    pub fn row(&self, i: usize, slots: &mut SlotCache) -> Result<SourceRow, RowError> {
        let run = run_key(
            required(&self.params, i, "params")?,
            required(&self.data, i, "data")?,
            required(&self.seed, i, "seed")?,
        )?;
        let step = integral(f64_at(&self.step, i), "step")?;
        let raw_task = required(&self.task, i, "task")?;
        let task = canonical_task(raw_task).map_err(|e| RowError::new("task", e.to_string()))?;
        let mut eval = EvalRow::new(run, step, task, self.source);
        if raw_task != task {
            eval.task_alias = Some(raw_task.to_owned());
        }
        match &self.metrics {
            MetricsColumn::Text(a) => {
                let text = view_at(a, i).ok_or_else(|| RowError::new("metrics", "is null"))?;
                let bad = |e: pyrepr::ReprError| RowError::new("metrics", e.to_string());
                if self.reference {
                    for (k, v) in pyrepr::parse_metrics(text).map_err(bad)? {
                        eval.set_metric(&k, v);
                    }
                } else {
                    let mut position = 0;
                    pyrepr::parse_metrics_each(text, |k, v| {
                        eval.set_metric_at(slots, position, k, v);
                        position += 1;
                    })
                    .map_err(bad)?;
                }
            }
            MetricsColumn::Struct { nulls, fields } => {
                if nulls.is_null(i) {
                    return Err(RowError::new("metrics", "is null"));
                }
                for (k, a) in fields {
                    if a.is_valid(i) {
                        eval.set_metric(k, Some(a.value(i)));
                    }
                }
            }
        }
        let ckpt = CkptFacts {
            tokens: self.tokens.as_ref().and_then(|a| f64_at(a, i)),
            compute: self.compute.as_ref().and_then(|a| f64_at(a, i)),
            ..Default::default()
        };
        let run_info = self.chinchilla.get(i).cloned().flatten();
        Ok(SourceRow {
            run,
            step,
            ckpt,
            evals: vec![eval],
            empty_cells: 0,
            run_info,
        })
    }
}

/// Columns of a ppl-results batch: one column per perplexity set, any subset of them.
pub struct PplBatch {
    params: StringArray,
    data: StringArray,
    seed: StringArray,
    step: Float64Array,
    sets: Vec<(&'static PplSet, Float64Array)>,
}

/// Columns of a ppl-results file that carry no data: the pandas index.
const PPL_IGNORED: &[&str] = &["params", "data", "seed", "step", "__index_level_0__"];

impl PplBatch {
    pub fn new(batch: &RecordBatch) -> Result<Self, ColumnError> {
        let mut sets = Vec::new();
        for f in batch.schema().fields() {
            let name = f.name();
            if PPL_IGNORED.contains(&name.as_str()) {
                continue;
            }
            let set = PplSet::parse(name).map_err(|_| ColumnError::Type {
                column: name.clone(),
                found: "an unknown column".into(),
                wanted: "a perplexity set `eval/<set>-validation/Perplexity`",
            })?;
            sets.push((set, columns::floats(batch, name)?));
        }
        Ok(Self {
            params: columns::strings(batch, "params")?,
            data: columns::strings(batch, "data")?,
            seed: columns::strings(batch, "seed")?,
            step: columns::floats(batch, "step")?,
            sets,
        })
    }

    pub fn row(&self, i: usize) -> Result<SourceRow, RowError> {
        let run = run_key(
            required(&self.params, i, "params")?,
            required(&self.data, i, "data")?,
            required(&self.seed, i, "seed")?,
        )?;
        let step = integral(f64_at(&self.step, i), "step")?;
        let mut evals = Vec::with_capacity(self.sets.len());
        // Sets absent from the file count as empty too, so every row accounts for all 11.
        let mut empty = u32::try_from(PPL_SETS.len() - self.sets.len()).unwrap_or(0);
        empty += perplexities(
            &self.sets,
            i,
            (run, step),
            Source::HfPpl,
            &mut evals,
            |set| set.hf_column,
        );
        Ok(SourceRow {
            run,
            step,
            ckpt: CkptFacts::default(),
            evals,
            empty_cells: empty,
            run_info: None,
        })
    }
}

/// Adds row `i`'s perplexity of every set that has one, under the set's column name in this
/// source; returns how many sets were empty (null or NaN).
fn perplexities(
    sets: &[(&'static PplSet, Float64Array)],
    i: usize,
    (run, step): (RunKey, i64),
    source: Source,
    evals: &mut Vec<EvalRow>,
    alias: impl Fn(&PplSet) -> &'static str,
) -> u32 {
    let mut empty = 0;
    for (set, a) in sets {
        match f64_at(a, i) {
            Some(v) if !v.is_nan() => {
                let mut e = EvalRow::new(run, step, set.task, source);
                e.task_alias = Some(alias(set).to_owned());
                e.set_metric("perplexity", Some(v));
                evals.push(e);
            }
            _ => empty += 1,
        }
    }
    empty
}

/// Columns of datadec's wide `full_eval` table, classified once per file.
pub struct FullEvalBatch {
    params: StringArray,
    data: StringArray,
    seed: Float64Array,
    step: Float64Array,
    tokens: Option<Float64Array>,
    compute: Option<Float64Array>,
    lr: Option<Float64Array>,
    cumulative_lr: Option<Float64Array>,
    ppl: Vec<(&'static PplSet, Float64Array)>,
    tasks: Vec<(&'static str, Vec<(&'static str, Float64Array)>)>,
    others: Vec<(String, ArrayRef)>,
}

const FULL_EVAL_IDS: &[&str] = &[
    "params",
    "data",
    "seed",
    "step",
    "tokens",
    "compute",
    "lr_at_step",
    "cumulative_lr",
];

/// Splits a `full_eval` column name into (task, metric), longest task first.
fn task_metric(column: &str) -> Option<(&'static str, &'static str)> {
    let metrics = METRIC_NAMES
        .iter()
        .chain(DROP_METRICS.iter())
        .chain(KNOWN_METRICS.iter());
    let mut best: Option<(&'static str, &'static str)> = None;
    for m in metrics {
        if let Some(task) = column.strip_suffix(m).and_then(|t| t.strip_suffix('_'))
            && let Ok(t) = canonical_task(task)
            && t == task
            && best.is_none_or(|(b, _)| b.len() < t.len())
        {
            best = Some((t, m));
        }
    }
    best
}

impl FullEvalBatch {
    pub fn new(batch: &RecordBatch) -> Result<Self, ColumnError> {
        let mut ppl = Vec::new();
        let mut tasks: Vec<(&'static str, Vec<(&'static str, Float64Array)>)> = Vec::new();
        let mut others = Vec::new();
        for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
            let name = f.name().as_str();
            if FULL_EVAL_IDS.contains(&name) {
                continue;
            }
            if name.ends_with("-valppl") {
                let set = PplSet::parse(name).map_err(|_| ColumnError::Type {
                    column: name.to_owned(),
                    found: "an unknown perplexity set".into(),
                    wanted: "`<set>-valppl` for a known set",
                })?;
                ppl.push((set, columns::floats(batch, name)?));
            } else if let Some((task, metric)) = task_metric(name) {
                let values = columns::floats(batch, name)?;
                match tasks.iter_mut().find(|(t, _)| *t == task) {
                    Some((_, ms)) => ms.push((metric, values)),
                    None => tasks.push((task, vec![(metric, values)])),
                }
            } else {
                others.push((name.to_owned(), std::sync::Arc::clone(col)));
            }
        }
        Ok(Self {
            params: columns::strings(batch, "params")?,
            data: columns::strings(batch, "data")?,
            seed: columns::floats(batch, "seed")?,
            step: columns::floats(batch, "step")?,
            tokens: columns::floats_opt(batch, "tokens")?,
            compute: columns::floats_opt(batch, "compute")?,
            lr: columns::floats_opt(batch, "lr_at_step")?,
            cumulative_lr: columns::floats_opt(batch, "cumulative_lr")?,
            ppl,
            tasks,
            others,
        })
    }

    pub fn row(&self, i: usize) -> Result<SourceRow, RowError> {
        let size = Size::parse(required(&self.params, i, "params")?)
            .map_err(|e| RowError::new("params", e.to_string()))?;
        let recipe = runlake_vocab::Recipe::parse(required(&self.data, i, "data")?)
            .map_err(|e| RowError::new("data", e.to_string()))?;
        // full_eval stores old datadec's SEED_MAP ordinal (0 = default ... 4 = large aux 3).
        let ordinal = integral(f64_at(&self.seed, i), "seed")?;
        let seed = Seed::from_ordinal(ordinal).map_err(|e| RowError::new("seed", e.to_string()))?;
        let run = RunKey::new(recipe, size, seed);
        let step = integral(f64_at(&self.step, i), "step")?;
        let mut evals = Vec::new();
        let mut empty = perplexities(
            &self.ppl,
            i,
            (run, step),
            Source::FullEval,
            &mut evals,
            |set| set.full_eval_column,
        );
        for (task, metrics) in &self.tasks {
            let mut e = EvalRow::new(run, step, task, Source::FullEval);
            // datadec derives mmlu_average itself; it is not a measured task.
            e.derived = *task == runlake_vocab::MMLU_AVERAGE;
            for (m, a) in metrics {
                // A NaN cell in the pivot means the source had no value.
                if let Some(v) = f64_at(a, i).filter(|v| !v.is_nan()) {
                    e.set_metric(m, Some(v));
                }
            }
            if e.is_empty() {
                empty += 1;
            } else {
                evals.push(e);
            }
        }
        let info = self
            .others
            .iter()
            .map(|(name, a)| (name.clone(), cell_json(a.as_ref(), i)))
            .collect();
        Ok(SourceRow {
            run,
            step,
            ckpt: CkptFacts {
                tokens: self.tokens.as_ref().and_then(|a| f64_at(a, i)),
                compute: self.compute.as_ref().and_then(|a| f64_at(a, i)),
                learning_rate: self.lr.as_ref().and_then(|a| f64_at(a, i)),
                cumulative_lr: self.cumulative_lr.as_ref().and_then(|a| f64_at(a, i)),
            },
            evals,
            empty_cells: empty,
            run_info: Some(Arc::new(info)),
        })
    }
}

/// One cell as JSON, for run-level columns kept verbatim in `metadata.extra_json`.
fn cell_json(a: &dyn Array, i: usize) -> Value {
    use arrow::array::AsArray;
    use arrow::datatypes::{DataType, Float64Type, Int64Type};
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int64 => Value::from(a.as_primitive::<Int64Type>().value(i)),
        DataType::Float64 => serde_json::Number::from_f64(a.as_primitive::<Float64Type>().value(i))
            .map_or(Value::Null, Value::Number),
        DataType::Utf8 => Value::String(a.as_string::<i32>().value(i).to_owned()),
        _ => arrow::util::display::array_value_to_string(a, i).map_or(Value::Null, Value::String),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_chinchilla_labels_share_one_value_and_nulls_stay_none() {
        let labels = StringArray::from(vec![
            Some("5xC"),
            Some("5xC"),
            None,
            Some("5xC"),
            Some("1xC"),
        ]);
        let facts = chinchilla_facts(Some(&labels));
        let label = |i: usize| facts[i].as_deref().map(|info| info[0].clone());
        let five = Some(("chinchilla".to_owned(), Value::String("5xC".into())));
        assert_eq!(facts.len(), 5);
        assert_eq!(
            [label(0), label(1), label(3)],
            [five.clone(), five.clone(), five]
        );
        assert_eq!(label(2), None);
        assert_eq!(
            label(4),
            Some(("chinchilla".to_owned(), Value::String("1xC".into())))
        );
        let (first, second) = (facts[0].as_ref(), facts[1].as_ref());
        assert!(first.zip(second).is_some_and(|(a, b)| Arc::ptr_eq(a, b)));
        assert!(chinchilla_facts(None).is_empty());
    }
}
