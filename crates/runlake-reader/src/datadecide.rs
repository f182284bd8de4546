//! The DataDecide-style questions: select recipes, sizes, seeds, steps or tokens, tasks and
//! metrics by name; average over seeds; compare post-training runs by hyperparameters; walk
//! lineage. Each answer is a lazy [`Scan`] or a record batch built from scans.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, Int64Array, MapArray, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema};
use runlake_format::Table;
use runlake_format::tables::KNOWN_METRICS;

use crate::agg::Agg;
use crate::error::{ReaderError, Result, arrow_err};
use crate::exec::gather;
use crate::expr::{Expr, col};
use crate::scan::{JoinKind, LakeReader, Scan, SortKey};

/// Turns user spellings into canonical names. Each method returns `None` for a spelling it
/// does not know.
pub trait Vocabulary: Send + Sync + std::fmt::Debug {
    /// A data recipe (`Dolma1.7`, `dolma17`, ...).
    fn recipe(&self, raw: &str) -> Option<String>;
    /// A model size (`150M`, `150m`, ...).
    fn size(&self, raw: &str) -> Option<String>;
    /// A seed (`default`, `small aux 2`, `small_aux_2`, ...).
    fn seed(&self, raw: &str) -> Option<String>;
    /// A task (`arc_challenge:rc::olmes:full`, `arc_challenge`, ...).
    fn task(&self, raw: &str) -> Option<String>;
}

/// The project's vocabulary (`runlake-vocab`): every spelling seen in the wild maps to the
/// canonical recipe slug, size label, seed slug and task name the lake stores.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownSpellings;

impl Vocabulary for KnownSpellings {
    fn recipe(&self, raw: &str) -> Option<String> {
        runlake_vocab::Recipe::parse(raw)
            .ok()
            .map(|r| r.slug.to_owned())
    }
    fn size(&self, raw: &str) -> Option<String> {
        runlake_vocab::Size::parse(raw)
            .ok()
            .map(|s| s.label.to_owned())
    }
    fn seed(&self, raw: &str) -> Option<String> {
        runlake_vocab::Seed::parse(raw)
            .ok()
            .map(|s| s.slug.to_owned())
    }
    fn task(&self, raw: &str) -> Option<String> {
        runlake_vocab::canonical_task(raw).ok().map(str::to_owned)
    }
}

/// Accepts every name as already canonical.
#[derive(Debug, Clone, Copy, Default)]
pub struct CanonicalNames;

impl Vocabulary for CanonicalNames {
    fn recipe(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
    fn size(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
    fn seed(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
    fn task(&self, raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }
}

/// A lineage edge seen from the parent: (child, parent step, relation).
type Edge<'a> = (&'a str, Option<i64>, &'a str);

/// An inclusive range; either end may be open.
pub type Bounds = (Option<i64>, Option<i64>);

/// What to select; empty lists mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Data recipes.
    pub recipes: Vec<String>,
    /// Model sizes.
    pub sizes: Vec<String>,
    /// Seeds.
    pub seeds: Vec<String>,
    /// Tasks.
    pub tasks: Vec<String>,
    /// Metric columns of `evals` (default: `primary_score`).
    pub metrics: Vec<String>,
    /// Steps, inclusive.
    pub steps: Option<Bounds>,
    /// Tokens seen, inclusive (from `pretrain_ckpts`).
    pub tokens: Option<Bounds>,
}

/// The DataDecide-style interface over one lake version.
#[derive(Debug, Clone)]
pub struct DataDecide {
    pub(crate) reader: LakeReader,
    vocab: Arc<dyn Vocabulary>,
}

fn bounds(column: &str, b: Bounds) -> Option<Expr> {
    Expr::all(
        [
            b.0.map(|lo| col(column).gt_eq(lo)),
            b.1.map(|hi| col(column).lt_eq(hi)),
        ]
        .into_iter()
        .flatten(),
    )
}

impl DataDecide {
    /// The interface over `reader`, resolving names with [`KnownSpellings`].
    pub fn new(reader: LakeReader) -> Self {
        Self {
            reader,
            vocab: Arc::new(KnownSpellings),
        }
    }

    /// Resolves spellings with `vocab`.
    pub fn with_vocabulary(mut self, vocab: Arc<dyn Vocabulary>) -> Self {
        self.vocab = vocab;
        self
    }

    /// The reader underneath.
    pub fn reader(&self) -> &LakeReader {
        &self.reader
    }

    fn canon(
        &self,
        kind: &'static str,
        names: &[String],
        f: impl Fn(&dyn Vocabulary, &str) -> Option<String>,
    ) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for n in names {
            let c = f(self.vocab.as_ref(), n).ok_or_else(|| ReaderError::UnknownName {
                kind,
                value: n.clone(),
            })?;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn metrics(sel: &Selection) -> Result<Vec<String>> {
        if sel.metrics.is_empty() {
            return Ok(vec!["primary_score".to_owned()]);
        }
        sel.metrics
            .iter()
            .map(|m| {
                let m = m.trim();
                if m == "primary_score" || KNOWN_METRICS.contains(&m) {
                    Ok(m.to_owned())
                } else {
                    Err(ReaderError::UnknownName {
                        kind: "metric",
                        value: m.to_owned(),
                    })
                }
            })
            .collect()
    }

    /// Predicates on recipe, size and seed (shared by `evals` and `pretrain_ckpts`).
    fn run_filter(&self, sel: &Selection) -> Result<Vec<Expr>> {
        let mut parts = Vec::new();
        let recipes = self.canon("recipe", &sel.recipes, |v, n| v.recipe(n))?;
        let sizes = self.canon("size", &sel.sizes, |v, n| v.size(n))?;
        let seeds = self.canon("seed", &sel.seeds, |v, n| v.seed(n))?;
        for (column, values) in [("recipe", recipes), ("size", sizes), ("seed", seeds)] {
            if !values.is_empty() {
                parts.push(col(column).in_list(values));
            }
        }
        if let Some(b) = sel.steps.and_then(|b| bounds("step", b)) {
            parts.push(b);
        }
        Ok(parts)
    }

    /// Pretraining evals of the selection, one row per (run, step, task):
    /// `run_uid, recipe, size, seed, step, tokens, task, <metrics...>`.
    pub fn select(&self, sel: &Selection) -> Result<Scan> {
        let metrics = Self::metrics(sel)?;
        let evals = self.pretrain_evals(sel, &metrics)?;
        // Only steps narrow the checkpoints: their recipe/size/seed copies may be unfilled, and
        // the left join keeps every selected eval anyway.
        let ckpt_filter = sel.steps.and_then(|b| bounds("step", b));
        let mut ckpts = self
            .reader
            .scan(Table::PretrainCkpts)
            .select(["run_uid", "step", "tokens"]);
        if let Some(f) = ckpt_filter {
            ckpts = ckpts.filter(f);
        }
        let mut joined = evals.join(
            ckpts,
            [("run_uid", "run_uid"), ("step", "step")],
            JoinKind::Left,
        );
        if let Some(b) = sel.tokens.and_then(|b| bounds("tokens", b)) {
            joined = joined.filter(b);
        }
        let mut out: Vec<String> = [
            "run_uid", "recipe", "size", "seed", "step", "tokens", "task",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        out.extend(metrics);
        Ok(joined.select(out))
    }

    /// The selection averaged over seeds, like datadec's `mean_eval`: one row per
    /// (recipe, size, step, task) with `tokens`, `n_seeds` and `<metric>_mean`,
    /// `<metric>_std` (sample), `<metric>_count` per metric.
    pub fn mean_over_seeds(&self, sel: &Selection) -> Result<Scan> {
        let metrics = Self::metrics(sel)?;
        let mut aggs = vec![
            Agg::max("tokens").alias("tokens"),
            Agg::count_rows().alias("n_seeds"),
        ];
        for m in &metrics {
            aggs.push(Agg::mean(m));
            aggs.push(Agg::std(m));
            aggs.push(Agg::count(m));
        }
        Ok(self
            .select(sel)?
            .group_by(["recipe", "size", "step", "task"])
            .agg(aggs)
            .sort(["recipe", "size", "task", "step"]))
    }

    /// Pretraining evals of the selection without tokens: `run_uid, recipe, size, seed, step,
    /// task, <metrics...>`.
    fn pretrain_evals(&self, sel: &Selection, metrics: &[String]) -> Result<Scan> {
        let tasks = self.canon("task", &sel.tasks, |v, n| v.task(n))?;
        let mut filter = self.run_filter(sel)?;
        filter.push(col("phase").eq("pretrain"));
        if !tasks.is_empty() {
            filter.push(col("task").in_list(tasks));
        }
        let mut cols: Vec<String> = ["run_uid", "recipe", "size", "seed", "step", "task"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        cols.extend(metrics.iter().cloned());
        Ok(self
            .reader
            .scan(Table::Evals)
            .filter(Expr::all(filter).unwrap_or_else(|| col("phase").eq("pretrain")))
            .select(cols))
    }

    /// Each recipe x size x task at its runs' final checkpoints (the last evaluated step of
    /// each run), averaged over seeds: `recipe, size, task, step, n_seeds`, then
    /// `<metric>_mean`, `<metric>_std`, `<metric>_count` per metric.
    pub fn final_checkpoints(&self, sel: &Selection) -> Result<Scan> {
        let metrics = Self::metrics(sel)?;
        let evals = self.pretrain_evals(sel, &metrics)?;
        let mut aggs = vec![
            Agg::max("step").alias("step"),
            Agg::count_rows().alias("n_seeds"),
        ];
        for m in &metrics {
            aggs.push(Agg::mean(m));
            aggs.push(Agg::std(m));
            aggs.push(Agg::count(m));
        }
        Ok(evals
            .keep_max(["run_uid", "task"], "step")
            .group_by(["recipe", "size", "task"])
            .agg(aggs)
            .sort(["recipe", "size", "task"]))
    }

    /// Post-training evals next to the pretraining evals of the checkpoint each run started
    /// from (through resolved lineage): `run_uid, parent_run_uid, parent_step, task,
    /// <metric>, parent_<metric>`. Only direct children of pretraining checkpoints match.
    pub fn with_parent_evals(&self, tasks: &[String], metric: &str) -> Result<Scan> {
        let metric = Self::metrics(&Selection {
            metrics: vec![metric.to_owned()],
            ..Selection::default()
        })?
        .remove(0);
        let tasks = self.canon("task", tasks, |v, n| v.task(n))?;
        let task_filter = |phase: &str| {
            let f = col("phase").eq(phase);
            if tasks.is_empty() {
                f
            } else {
                f.and(col("task").in_list(tasks.iter().map(String::as_str)))
            }
        };
        let edges = self
            .reader
            .scan(Table::Lineage)
            .filter(
                col("resolved")
                    .eq(true)
                    .and(col("parent_step").is_not_null()),
            )
            .select(["child_run_uid", "parent_run_uid", "parent_step"]);
        let post = self
            .reader
            .scan(Table::Evals)
            .filter(task_filter("posttrain"))
            .select(["run_uid", "task", metric.as_str()]);
        let pre = self
            .reader
            .scan(Table::Evals)
            .filter(task_filter("pretrain"))
            .select(["run_uid", "step", "task", metric.as_str()])
            .rename(&metric, &format!("parent_{metric}"));
        // The pretraining evals stream on the left so that the few (parent run, step, task)
        // keys of the built right side filter and prune their scan.
        let children = post.join(edges, [("run_uid", "child_run_uid")], JoinKind::Inner);
        Ok(pre
            .join(
                children,
                [
                    ("run_uid", "parent_run_uid"),
                    ("step", "parent_step"),
                    ("task", "task"),
                ],
                JoinKind::Inner,
            )
            .select([
                "run_uid_right".to_owned(),
                "parent_run_uid".to_owned(),
                "parent_step".to_owned(),
                "task".to_owned(),
                metric.clone(),
                format!("parent_{metric}"),
            ])
            .rename("run_uid_right", "run_uid")
            .sort(["run_uid", "task"]))
    }

    /// Resolved lineage edges: child -> (parent run, parent step, relation).
    pub(crate) async fn parents(&self) -> Result<HashMap<String, (String, Option<i64>, String)>> {
        let scan = self
            .reader
            .scan(Table::Lineage)
            .filter(col("resolved").eq(true))
            .select(["child_run_uid", "parent_run_uid", "parent_step", "relation"]);
        let schema = scan.schema()?;
        let batch = gather(scan.execute().await?, &schema).await?;
        let child = batch.column(0).as_string::<i32>();
        let parent = batch.column(1).as_string::<i32>();
        let step = batch
            .column(2)
            .as_primitive::<arrow::datatypes::Int64Type>();
        let relation = batch.column(3).as_string::<i32>();
        let mut out = HashMap::new();
        for i in 0..batch.num_rows() {
            if parent.is_null(i) {
                continue;
            }
            out.insert(
                child.value(i).to_owned(),
                (
                    parent.value(i).to_owned(),
                    step.is_valid(i).then(|| step.value(i)),
                    relation.value(i).to_owned(),
                ),
            );
        }
        Ok(out)
    }

    /// Every post-training run descending from `run_uid` (directly or through other
    /// post-training runs), breadth first: `run_uid, parent_run_uid, parent_step, relation,
    /// depth`. With `at_step`, only the lines starting at that checkpoint of `run_uid`.
    pub async fn descendants(&self, run_uid: &str, at_step: Option<i64>) -> Result<RecordBatch> {
        let parents = self.parents().await?;
        let mut children: BTreeMap<&str, Vec<Edge<'_>>> = BTreeMap::new();
        for (c, (p, s, r)) in &parents {
            children
                .entry(p.as_str())
                .or_default()
                .push((c.as_str(), *s, r.as_str()));
        }
        for list in children.values_mut() {
            list.sort();
        }
        let mut rows: Vec<(String, String, Option<i64>, String, i32)> = Vec::new();
        let mut queue: VecDeque<(&str, i32)> = VecDeque::from([(run_uid, 0)]);
        let mut seen: HashSet<&str> = HashSet::from([run_uid]);
        while let Some((node, depth)) = queue.pop_front() {
            for (c, s, r) in children.get(node).into_iter().flatten() {
                if depth == 0 && at_step.is_some() && *s != at_step {
                    continue;
                }
                if !seen.insert(c) {
                    continue;
                }
                rows.push((
                    (*c).to_owned(),
                    node.to_owned(),
                    *s,
                    (*r).to_owned(),
                    depth + 1,
                ));
                queue.push_back((c, depth + 1));
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("run_uid", DataType::Utf8, false),
            Field::new("parent_run_uid", DataType::Utf8, false),
            Field::new("parent_step", DataType::Int64, true),
            Field::new("relation", DataType::Utf8, false),
            Field::new("depth", DataType::Int32, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.0.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.1.as_str()),
            )),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.2))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.3.as_str()),
            )),
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.4))),
        ];
        RecordBatch::try_new(schema, columns).map_err(arrow_err("listing descendants"))
    }

    /// Post-training runs of one training type side by side: `run_uid, run_name`, the asked
    /// hyperparameters (typed `metadata` columns by name, any other name looked up in the
    /// flattened `hparams` map), then the run's last `metric` on `task` (null when the run
    /// has no such eval). Sorted by the metric, best first.
    pub async fn compare_runs(
        &self,
        training_type: &str,
        hparams: &[&str],
        task: &str,
        metric: &str,
    ) -> Result<RecordBatch> {
        let metric = Self::metrics(&Selection {
            metrics: vec![metric.to_owned()],
            ..Selection::default()
        })?
        .remove(0);
        let task = self
            .vocab
            .task(task)
            .ok_or_else(|| ReaderError::UnknownName {
                kind: "task",
                value: task.to_owned(),
            })?;
        let meta_schema = Table::Metadata.schema();
        let typed: Vec<&str> = hparams
            .iter()
            .copied()
            .filter(|h| meta_schema.index_of(h).is_ok())
            .collect();
        let mut meta_cols = vec!["run_uid", "run_name", "hparams"];
        meta_cols.extend(typed.iter().copied());
        meta_cols.dedup();
        let runs = self
            .reader
            .scan(Table::Metadata)
            .filter(col("training_type").eq(training_type))
            .select(&meta_cols);
        let scores = self
            .reader
            .scan(Table::Evals)
            .filter(
                col("phase")
                    .eq("posttrain")
                    .and(col("task").eq(task.as_str())),
            )
            .group_by(["run_uid"])
            .agg([Agg::last(&metric).alias(&metric)]);
        let joined = runs
            .join(scores, [("run_uid", "run_uid")], JoinKind::Left)
            .sort_by(vec![SortKey::desc(&metric), SortKey::asc("run_uid")]);
        let schema = joined.schema()?;
        let batch = gather(joined.execute().await?, &schema).await?;
        let map = batch
            .column_by_name("hparams")
            .and_then(|c| c.as_any().downcast_ref::<MapArray>().cloned());
        let mut fields = vec![
            Field::new("run_uid", DataType::Utf8, false),
            Field::new("run_name", DataType::Utf8, true),
        ];
        let mut columns: Vec<ArrayRef> =
            vec![Arc::clone(batch.column(0)), Arc::clone(batch.column(1))];
        for h in hparams {
            if let Some(c) = typed.contains(h).then(|| batch.column_by_name(h)).flatten() {
                fields.push(Field::new(*h, c.data_type().clone(), true));
                columns.push(Arc::clone(c));
            } else {
                fields.push(Field::new(*h, DataType::Utf8, true));
                columns.push(Arc::new(map_lookup(map.as_ref(), batch.num_rows(), h)));
            }
        }
        let score =
            batch
                .column_by_name(&metric)
                .cloned()
                .ok_or_else(|| ReaderError::UnknownColumn {
                    column: metric.clone(),
                    context: "the comparison".into(),
                    available: String::new(),
                })?;
        fields.push(Field::new(&metric, DataType::Float64, true));
        columns.push(score);
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(arrow_err("comparing runs"))
    }
}

/// The value of `key` in each row of a `map<utf8, utf8>` column.
fn map_lookup(map: Option<&MapArray>, rows: usize, key: &str) -> StringArray {
    let Some(map) = map else {
        return StringArray::from(vec![None::<&str>; rows]);
    };
    let keys = map.keys().as_string::<i32>();
    let values = map.values();
    let values = values.as_any().downcast_ref::<StringArray>();
    (0..rows)
        .map(|r| {
            if map.is_null(r) {
                return None;
            }
            let offsets = map.value_offsets();
            let (start, end) = (offsets[r] as usize, offsets[r + 1] as usize);
            (start..end).find(|&i| keys.value(i) == key).and_then(|i| {
                values
                    .filter(|v| v.is_valid(i))
                    .map(|v| v.value(i).to_owned())
            })
        })
        .collect()
}
