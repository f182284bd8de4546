//! Arrow batches in the lake's logical schemas, built from the row model.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, BooleanBuilder, Float64Array, Float64Builder, Int64Array, Int64Builder,
    MapBuilder, MapFieldNames, RecordBatch, StringBuilder,
};
use arrow::buffer::NullBuffer;
use arrow::error::ArrowError;
use runlake_format::Table;
use runlake_format::tables::{Phase, TrainingType};

use crate::model::{CkptFacts, EvalRow, N_KNOWN, RunKey, Source, known_slot};

/// A builder of `extra_metrics` with room for `(rows, entries, bytes of keys)`.
fn map_builder(
    (rows, entries, key_bytes): (usize, usize, usize),
) -> MapBuilder<StringBuilder, Float64Builder> {
    // Field names as the format crate's `map()` declares them.
    let names = MapFieldNames {
        entry: "entries".into(),
        key: "keys".into(),
        value: "values".into(),
    };
    MapBuilder::with_capacity(
        Some(names),
        StringBuilder::with_capacity(entries, key_bytes),
        Float64Builder::with_capacity(entries),
        rows,
    )
}

/// Accumulates `evals` rows and turns them into batches of the table's schema, each in the
/// table's sort order (task, run, step, source).
///
/// Rows arrive checkpoint by checkpoint, every task of one before the next, but the table is
/// sorted by task first, so a batch in arrival order had to be sorted and copied whole by the
/// writer. The builder keeps each row's parts in plain vectors instead (its task and run as
/// numbers, the texts that follow from them written only at the end) and writes the arrays in
/// sort order when the batch is finished, so each value is copied once and the writer finds
/// the batch in order.
pub struct EvalsBuilder {
    keys: Vec<RowKey>,
    aliases: Vec<Option<String>>,
    primary_score: Vec<Option<f64>>,
    derived: Vec<bool>,
    known: Vec<FloatColumn>,
    /// Where each row's `extra_metrics` entries end in `extra`.
    extra_ends: Vec<usize>,
    extra: Vec<(Cow<'static, str>, Option<f64>)>,
    details_json: Vec<Option<String>>,
    /// Every task seen, numbered in the order first seen, with what its name puts in a row.
    tasks: Vec<(&'static str, TaskColumns)>,
    /// The number of each task name, by where the name lies in memory: rows name tasks by
    /// the vocabulary's own strings, so this hashes one word per row rather than the text.
    task_ids: foldhash::HashMap<(usize, usize), u32>,
    /// Every run seen, numbered in the order first seen, with its id.
    runs: Vec<(RunKey, String)>,
    run_ids: foldhash::HashMap<RunKey, u32>,
}

/// A row's place in the sort order: its task's and run's ranks, its step, its source.
type SortKey = (usize, usize, i64, &'static str);

/// A row's task and run (numbers into the builder's lists), step and source.
#[derive(Clone, Copy)]
struct RowKey {
    task: u32,
    run: u32,
    step: i64,
    source: Source,
}

/// A text column of `rows` rows, row `i` of it picked by `text(i)`, sized before it is filled.
fn texts<'a>(rows: usize, text: impl Fn(usize) -> Option<&'a str>) -> ArrayRef {
    let bytes = (0..rows).map(|i| text(i).map_or(0, str::len)).sum();
    let mut column = StringBuilder::with_capacity(rows, bytes);
    for i in 0..rows {
        column.append_option(text(i));
    }
    Arc::new(column.finish())
}

/// A float column filled row by row into plain vectors and made an array once per batch:
/// arrow's builder spent about 60 instructions on each optional value, and the 35 metric
/// columns take one per row. The array is the builder's: zero under a null, no null buffer
/// when nothing is null.
#[derive(Default)]
struct FloatColumn {
    values: Vec<f64>,
    valid: Vec<bool>,
    nulls: usize,
}

impl FloatColumn {
    fn push(&mut self, value: Option<f64>) {
        self.values.push(value.unwrap_or_default());
        self.valid.push(value.is_some());
        self.nulls += usize::from(value.is_none());
    }

    /// The rows so far, taken in `order`, as an array; the column starts again empty, with
    /// room for as many rows.
    fn finish(&mut self, order: &[usize]) -> Float64Array {
        let values: Vec<f64> = order.iter().map(|&i| self.values[i]).collect();
        let nulls =
            (self.nulls > 0).then(|| NullBuffer::from_iter(order.iter().map(|&i| self.valid[i])));
        self.values.clear();
        self.valid.clear();
        self.nulls = 0;
        Float64Array::new(values.into(), nulls)
    }
}

/// The columns a task decides: its suite and its primary metric (with that metric's column
/// when it has one).
#[derive(Clone, Copy)]
struct TaskColumns {
    suite: Option<&'static str>,
    primary: Option<(&'static str, Option<usize>)>,
}

impl TaskColumns {
    fn of(task: &str) -> Self {
        let primary = runlake_vocab::primary_policy(task)
            .ok()
            .map(|p| (p.metric, known_slot(p.metric)));
        Self {
            suite: suite_of(task),
            primary,
        }
    }
}

impl Default for EvalsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EvalsBuilder {
    pub fn new() -> Self {
        Self {
            keys: Vec::new(),
            aliases: Vec::new(),
            primary_score: Vec::new(),
            derived: Vec::new(),
            known: (0..N_KNOWN).map(|_| FloatColumn::default()).collect(),
            extra_ends: Vec::new(),
            extra: Vec::new(),
            details_json: Vec::new(),
            tasks: Vec::new(),
            task_ids: foldhash::HashMap::default(),
            runs: Vec::new(),
            run_ids: foldhash::HashMap::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn append(&mut self, row: &EvalRow) -> Result<(), ArrowError> {
        let next = u32::try_from(self.tasks.len()).unwrap_or(u32::MAX);
        let task = *self
            .task_ids
            .entry((row.task.as_ptr() as usize, row.task.len()))
            .or_insert_with(|| {
                self.tasks.push((row.task, TaskColumns::of(row.task)));
                next
            });
        let next = u32::try_from(self.runs.len()).unwrap_or(u32::MAX);
        let run = *self.run_ids.entry(row.run).or_insert_with(|| {
            self.runs.push((row.run, row.run.uid()));
            next
        });
        self.keys.push(RowKey {
            task,
            run,
            step: row.step,
            source: row.source,
        });
        self.aliases.push(row.task_alias.clone());
        let columns = self.tasks[task as usize].1;
        self.primary_score
            .push(columns.primary.and_then(|(metric, slot)| match slot {
                Some(i) => row.known[i],
                None => row.metric(metric),
            }));
        self.derived.push(row.derived);
        for (b, v) in self.known.iter_mut().zip(&row.known) {
            b.push(*v);
        }
        self.extra.extend(row.extra.iter().cloned());
        self.extra_ends.push(self.extra.len());
        self.details_json.push(row.details_json.clone());
        Ok(())
    }

    /// The rows in the table's sort order: by task, run id, step and source, each compared as
    /// the lake compares them (text by its bytes).
    fn order(&self) -> Vec<usize> {
        /// Ranks of `items` ordered by `text`, equal texts ranking equal.
        fn ranks<T>(items: &[T], text: impl Fn(&T) -> &str) -> Vec<usize> {
            let mut by_text: Vec<usize> = (0..items.len()).collect();
            by_text.sort_by(|&a, &b| text(&items[a]).cmp(text(&items[b])));
            let mut rank = vec![0; items.len()];
            for (place, pair) in by_text.windows(2).enumerate() {
                let same = text(&items[pair[0]]) == text(&items[pair[1]]);
                rank[pair[1]] = if same { rank[pair[0]] } else { place + 1 };
            }
            rank
        }
        let task_rank = ranks(&self.tasks, |(name, _)| name);
        let run_rank = ranks(&self.runs, |(_, uid)| uid);
        // Ranks of task and run, the step, the source's text; then the row, for one order.
        let mut keyed: Vec<(SortKey, usize)> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let key = (
                    task_rank[k.task as usize],
                    run_rank[k.run as usize],
                    k.step,
                    k.source.as_str(),
                );
                (key, i)
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    }

    /// Finishes the accumulated rows as one batch, in sort order, and resets the builder.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let order = self.order();
        let n = order.len();
        let keys: Vec<RowKey> = order.iter().map(|&i| self.keys[i]).collect();
        let task = |i: usize| &self.tasks[keys[i].task as usize];
        let run = |i: usize| &self.runs[keys[i].run as usize];
        let mut cols: Vec<ArrayRef> = vec![
            texts(n, |i| Some(run(i).1.as_str())),
            texts(n, |_| Some(Phase::Pretrain.as_str())),
            Arc::new(Int64Array::from_iter_values(keys.iter().map(|k| k.step))),
            texts(n, |i| Some(task(i).0)),
            texts(n, |i| self.aliases[order[i]].as_deref()),
            texts(n, |i| Some(keys[i].source.as_str())),
            texts(n, |i| task(i).1.suite),
            texts(n, |i| Some(run(i).0.recipe().slug)),
            texts(n, |i| Some(run(i).0.size().label)),
            texts(n, |i| Some(run(i).0.seed().slug)),
            texts(n, |i| task(i).1.primary.map(|(metric, _)| metric)),
            Arc::new(Float64Array::from_iter(
                order.iter().map(|&i| self.primary_score[i]),
            )),
            Arc::new(BooleanArray::from_iter(
                order.iter().map(|&i| Some(self.derived[i])),
            )),
            Arc::new(Int64Array::new_null(n)),
        ];
        cols.extend(
            self.known
                .iter_mut()
                .map(|b| Arc::new(b.finish(&order)) as ArrayRef),
        );
        let key_bytes = self.extra.iter().map(|(k, _)| k.len()).sum();
        let mut extra = map_builder((n, self.extra.len(), key_bytes));
        for &i in &order {
            let start = i.checked_sub(1).map_or(0, |p| self.extra_ends[p]);
            let entries = &self.extra[start..self.extra_ends[i]];
            for (k, v) in entries {
                extra.keys().append_value(k);
                extra.values().append_option(*v);
            }
            extra.append(!entries.is_empty())?;
        }
        cols.push(Arc::new(extra.finish()));
        cols.push(texts(n, |i| self.details_json[order[i]].as_deref()));
        self.keys.clear();
        self.aliases.clear();
        self.primary_score.clear();
        self.derived.clear();
        self.extra_ends.clear();
        self.extra.clear();
        self.details_json.clear();
        RecordBatch::try_new(Table::Evals.schema(), cols)
    }
}

fn suite_of(task: &str) -> Option<&'static str> {
    match runlake_vocab::task_kind(task) {
        Ok(runlake_vocab::TaskKind::MmluSubject | runlake_vocab::TaskKind::MmluAverage) => {
            Some("mmlu")
        }
        Ok(runlake_vocab::TaskKind::Core) => Some("olmes"),
        Ok(runlake_vocab::TaskKind::Perplexity) => Some("ppl"),
        _ => None,
    }
}

/// One `pretrain_ckpts` row.
#[derive(Debug, Clone, PartialEq)]
pub struct CkptRow {
    pub run: RunKey,
    pub step: i64,
    pub facts: CkptFacts,
    pub source: &'static str,
}

/// Builds the `pretrain_ckpts` batch. `tokens` is kept as the source gave it (checked
/// integral by the caller), `tokens_expected` comes from the size's schedule. Facts the export
/// did not give are derived as datadec derives them and flagged: tokens from the schedule,
/// compute as the export states it per token, `learning_rate` (datadec's `lr_at_step`) and
/// `cumulative_lr` from datadec's schedule.
pub fn ckpts_batch(rows: &[CkptRow]) -> Result<RecordBatch, ArrowError> {
    let mut uid = StringBuilder::new();
    let mut step = Int64Builder::new();
    let mut recipe = StringBuilder::new();
    let mut size = StringBuilder::new();
    let mut seed = StringBuilder::new();
    let mut tokens = Int64Builder::new();
    let mut compute = Float64Builder::new();
    let mut expected = Int64Builder::new();
    let mut lr = Float64Builder::new();
    let mut cum = Float64Builder::new();
    let mut loss = Float64Builder::new();
    let mut source = StringBuilder::new();
    let mut tokens_derived = BooleanBuilder::new();
    let mut compute_derived = BooleanBuilder::new();
    let mut lr_derived = BooleanBuilder::new();
    for r in rows {
        uid.append_value(r.run.uid());
        step.append_value(r.step);
        recipe.append_value(r.run.recipe().slug);
        size.append_value(r.run.size().label);
        seed.append_value(r.run.seed().slug);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "token counts are checked whole before this point"
        )]
        let given_tokens = r.facts.tokens.map(|t| t as i64);
        let size = r.run.size();
        let tps = i64::try_from(size.schedule().tokens_per_step).unwrap_or(i64::MAX);
        let schedule_tokens = r.step.saturating_mul(tps);
        expected.append_value(schedule_tokens);
        // A negative step has no place on the schedule: nothing is derived for it.
        let ustep = u64::try_from(r.step).ok();
        let placed = ustep.map(|_| schedule_tokens);
        tokens.append_option(given_tokens.or(placed));
        tokens_derived.append_option(ustep.map(|_| given_tokens.is_none()));
        let derived_compute = placed
            .and_then(|t| u64::try_from(t).ok())
            .map(|t| size.compute_at(t));
        compute.append_option(r.facts.compute.or(derived_compute));
        compute_derived.append_option(ustep.map(|_| r.facts.compute.is_none()));
        let config = size.model_config();
        lr.append_option(
            r.facts
                .learning_rate
                .or(ustep.map(|s| config.lr_at_step(s))),
        );
        cum.append_option(
            r.facts
                .cumulative_lr
                .or(ustep.map(|s| config.cumulative_lr(s))),
        );
        lr_derived.append_option(
            ustep.map(|_| r.facts.learning_rate.is_none() || r.facts.cumulative_lr.is_none()),
        );
        loss.append_null();
        source.append_value(r.source);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(uid.finish()),
        Arc::new(step.finish()),
        Arc::new(recipe.finish()),
        Arc::new(size.finish()),
        Arc::new(seed.finish()),
        Arc::new(tokens.finish()),
        Arc::new(compute.finish()),
        Arc::new(expected.finish()),
        Arc::new(lr.finish()),
        Arc::new(cum.finish()),
        Arc::new(loss.finish()),
        Arc::new(source.finish()),
        Arc::new(tokens_derived.finish()),
        Arc::new(compute_derived.finish()),
        Arc::new(lr_derived.finish()),
    ];
    RecordBatch::try_new(Table::PretrainCkpts.schema(), cols)
}

/// One pretraining run for `metadata`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub run: RunKey,
    pub extra_json: Option<String>,
}

/// Builds the `metadata` batch: every column the schema has, pretraining ones filled from the
/// vocabulary, post-training ones null.
pub fn metadata_batch(rows: &[RunRow]) -> Result<RecordBatch, ArrowError> {
    use arrow::array::{ListBuilder, new_null_array};
    let schema = Table::Metadata.schema();
    let n = rows.len();
    let text = |f: &dyn Fn(&RunRow) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in rows {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    let int = |f: &dyn Fn(&RunRow) -> Option<i64>| -> ArrayRef {
        let mut b = Int64Builder::new();
        for r in rows {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    let float = |f: &dyn Fn(&RunRow) -> Option<f64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Float64Array>())
    };
    let features = |r: &RunRow| r.run.recipe().dataset_features();
    let i = |v: u64| i64::try_from(v).ok();
    let mut cols = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let col: ArrayRef = match field.name().as_str() {
            "run_uid" => text(&|r| Some(r.run.uid())),
            "phase" => text(&|_| Some(Phase::Pretrain.as_str().into())),
            "training_type" => text(&|_| Some(TrainingType::Pretrain.as_str().into())),
            "training_type_reason" => text(&|_| Some("DataDecide pretraining export".into())),
            "source" => text(&|_| Some("datadecide".into())),
            "run_name" => text(&|r| {
                let (rec, size, seed) = (r.run.recipe(), r.run.size(), r.run.seed());
                Some(format!(
                    "{}-{}-5xC-{}",
                    rec.internal[0], size.label, seed.value
                ))
            }),
            "project" => text(&|_| Some("DataDecide".into())),
            "recipe" => text(&|r| Some(r.run.recipe().slug.into())),
            "size" => text(&|r| Some(r.run.size().label.into())),
            "seed" => text(&|r| Some(r.run.seed().slug.into())),
            "seed_value" => int(&|r| Some(r.run.seed().value)),
            "params_nominal" => int(&|r| i(r.run.size().params_nominal)),
            "params_training" => int(&|r| i(r.run.size().params_training)),
            "params_exact" => int(&|r| r.run.size().params_exact.and_then(i)),
            "batch_size" => int(&|r| i(r.run.size().batch_size)),
            "final_step" => int(&|r| i(r.run.size().final_step)),
            "tokens_per_step" => int(&|r| i(r.run.size().schedule().tokens_per_step)),
            "d_model" => int(&|r| Some(i64::from(r.run.size().model_config().d_model))),
            "n_heads" => int(&|r| Some(i64::from(r.run.size().model_config().n_heads))),
            "n_layers" => int(&|r| Some(i64::from(r.run.size().model_config().n_layers))),
            "mlp_ratio" => int(&|r| Some(i64::from(r.run.size().model_config().mlp_ratio))),
            "total_steps" => int(&|r| i(r.run.size().model_config().total_steps)),
            "warmup_steps" => int(&|r| i(r.run.size().model_config().warmup_steps)),
            "lr_decay_steps" => int(&|r| i(r.run.size().model_config().lr_decay_steps)),
            "lr_max" => float(&|r| Some(r.run.size().model_config().lr_max)),
            "lr_final" => float(&|r| Some(r.run.size().model_config().lr_final)),
            "total_tokens_billions" => float(&|r| features(r).map(|f| f.total_tokens_billions)),
            "pct_code" => float(&|r| features(r).map(|f| f.pct_code)),
            "pct_common_crawl" => float(&|r| features(r).map(|f| f.pct_common_crawl)),
            "pct_social_media" => float(&|r| features(r).map(|f| f.pct_social_media)),
            "mean_doc_length_tokens" => int(&|r| features(r).map(|f| f.mean_doc_length_tokens)),
            "duplicate_rate_pct" => float(&|r| features(r).map(|f| f.duplicate_rate_pct)),
            "quality_filter_strength" => int(&|r| features(r).map(|f| f.quality_filter_strength)),
            "is_mixed_dataset" => Arc::new(
                rows.iter()
                    .map(|r| features(r).map(|f| f.is_mixed_dataset))
                    .collect::<BooleanArray>(),
            ),
            "num_sources_mixed" => int(&|r| features(r).map(|f| f.num_sources_mixed)),
            "educational_content_score" => {
                int(&|r| features(r).map(|f| f.educational_content_score))
            }
            "extra_json" => text(&|r| r.extra_json.clone()),
            "tags" => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for _ in rows {
                    b.append_null();
                }
                Arc::new(b.finish())
            }
            "hparams" => {
                let names = MapFieldNames {
                    entry: "entries".into(),
                    key: "keys".into(),
                    value: "values".into(),
                };
                let mut b =
                    MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new());
                for _ in rows {
                    b.append(false)?;
                }
                Arc::new(b.finish())
            }
            _ => new_null_array(field.data_type(), n),
        };
        cols.push(col);
    }
    RecordBatch::try_new(schema, cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_float_column_makes_the_array_arrows_builder_makes() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut column = FloatColumn::default();
        for (len, null_every) in [(0, 0), (1, 1), (5, 0), (300, 3), (64, 1), (1000, 7)] {
            let values: Vec<Option<f64>> = (0..len)
                .map(|i| {
                    let null = null_every > 0 && (i % null_every == 0 || next() % 5 == 0);
                    (!null).then(|| f64::from_bits(next() >> 2))
                })
                .collect();
            // Taken backwards, every third row first.
            let mut order: Vec<usize> = (0..len).rev().collect();
            order.sort_by_key(|i| i % 3 != 0);
            let mut builder = Float64Builder::new();
            for v in &values {
                column.push(*v);
            }
            for &i in &order {
                builder.append_option(values[i]);
            }
            // One column reused across batches, as the evals builder reuses it.
            assert_eq!(column.finish(&order), builder.finish(), "{len} rows");
        }
    }

    /// Row `i` of a few tasks and runs (sizes whose labels sort otherwise than the sizes).
    fn row(i: usize) -> EvalRow {
        let run = RunKey {
            recipe: (i % 3) as u8,
            size: (i % 5) as u8,
            seed: (i % 2) as u8,
        };
        let mut task = ["arc_easy", "mmlu_anatomy", "hellaswag"][i % 3];
        if i.is_multiple_of(5) {
            // The same name at another place in memory: one task all the same.
            task = Box::leak(task.to_owned().into_boxed_str());
        }
        let source = [Source::HfTrain, Source::HfMacroAvg][i % 2];
        let mut e = EvalRow::new(run, (i % 11) as i64, task, source);
        e.known[i % N_KNOWN] = Some(i as f64 / 7.0);
        if i.is_multiple_of(4) {
            e.set_metric(&format!("extra_{}", i % 9), Some(0.5));
            e.task_alias = Some(format!("alias {i}"));
        }
        if i.is_multiple_of(7) {
            e.details_json = Some(format!("{{\"i\":{i}}}"));
            e.derived = true;
        }
        e
    }

    #[test]
    fn a_batch_comes_out_as_the_writer_would_sort_its_rows() {
        let rows: Vec<EvalRow> = (0..300).rev().map(row).collect();
        let mut builder = EvalsBuilder::new();
        for r in &rows {
            builder.append(r).expect("append");
        }
        let got = builder.finish().expect("finish");
        // Each row alone, joined, then sorted as a writer sorts a batch out of order.
        let schema = Table::Evals.schema();
        let singles: Vec<RecordBatch> = rows
            .iter()
            .map(|r| {
                let mut one = EvalsBuilder::new();
                one.append(r).expect("append");
                one.finish().expect("one")
            })
            .collect();
        let all = arrow::compute::concat_batches(&schema, &singles).expect("concat");
        let columns: Vec<arrow::compute::SortColumn> = Table::Evals
            .sort_columns()
            .iter()
            .map(|c| arrow::compute::SortColumn {
                values: all.column_by_name(c).expect("sort column").clone(),
                options: Some(arrow::compute::SortOptions {
                    descending: false,
                    nulls_first: true,
                }),
            })
            .collect();
        let order = arrow::compute::lexsort_to_indices(&columns, None).expect("sort");
        let want = arrow::compute::take_record_batch(&all, &order).expect("take");
        assert_eq!(got, want);
    }

    #[test]
    fn a_builder_reused_across_batches_makes_what_a_new_one_makes() {
        let mut reused = EvalsBuilder::new();
        let mut start = 0;
        // A batch larger than the one before, then smaller, then empty of extras.
        for len in [10, 300, 7, 3] {
            let mut fresh = EvalsBuilder::new();
            for i in start..start + len {
                let r = if len == 3 {
                    EvalRow::new(row(i).run, 1, "boolq", crate::model::Source::HfTrain)
                } else {
                    row(i)
                };
                reused.append(&r).expect("append");
                fresh.append(&r).expect("append");
            }
            assert_eq!(
                reused.finish().expect("reused"),
                fresh.finish().expect("fresh"),
                "{len} rows from {start}"
            );
            start += len;
        }
    }
}
