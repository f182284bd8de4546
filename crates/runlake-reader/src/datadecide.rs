//! The DataDecide-style questions: select recipes, sizes, seeds, steps or tokens, tasks and
//! metrics by name; average over seeds; compare post-training runs by hyperparameters (lineage
//! and curves are in their own files). Each answer is a lazy [`Scan`] or a record batch built
//! from scans.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, MapArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use runlake_format::Table;
use runlake_format::tables::{KNOWN_METRICS, Phase};

pub use runlake_vocab::{FinalRule, MetricType};

pub use crate::vocabulary::{CanonicalNames, KnownSpellings, Vocabulary};

use crate::agg::Agg;
use crate::error::{ReaderError, Result, arrow_err};
use crate::eval_sources::{one_pretrain_source, prefer_sources};
use crate::exec::gather;
use crate::expr::{Expr, col};
use crate::scan::{JoinKind, LakeReader, Scan, SortKey};

/// An inclusive range; either end may be open.
pub type Bounds = (Option<i64>, Option<i64>);

/// What to select; empty lists mean "all" (so does a list holding `all`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Data recipes. An entry that is not a known name but holds commas is read as a comma
    /// list (`C4,Dolma1.7`); a known name with commas (`Dolma1.7 (no math, code)`) stays whole.
    pub recipes: Vec<String>,
    /// Model sizes, in any case.
    pub sizes: Vec<String>,
    /// Seeds: names, slugs, or datadec's integer ordinals.
    pub seeds: Vec<String>,
    /// Tasks.
    pub tasks: Vec<String>,
    /// Metric columns of `evals` (default: `primary_score`), or datadec wide column names such
    /// as `arc_challenge_acc_raw` and `pile-valppl`, which also select their task.
    pub metrics: Vec<String>,
    /// datadec recipe groups and families (`dclm`, `base_recipes`, `best_ppl_performance`,
    /// ...; `runlake_vocab::recipe_group`), added to `recipes`.
    pub recipe_groups: Vec<String>,
    /// Recipes left out (after `recipes`), as datadec's `exclude`.
    pub exclude_recipes: Vec<String>,
    /// Sizes left out (after `sizes`).
    pub exclude_sizes: Vec<String>,
    /// Smallest and largest nominal parameter count, as datadec's `min_params`/`max_params`
    /// (`150M`, `1B` or a number; compared with the size's nominal count, 150M = 150e6).
    pub params: (Option<String>, Option<String>),
    /// Steps, inclusive.
    pub steps: Option<Bounds>,
    /// Tokens seen, inclusive (from `pretrain_ckpts`: the export's count, or the schedule's
    /// where the export gave none).
    pub tokens: Option<Bounds>,
}

/// How many rows of one eval source a selection holds, and how many of them answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUse {
    /// The `evals.source` value.
    pub source: String,
    /// Rows of the selection from this source.
    pub rows: u64,
    /// Of those, the rows kept as the answer (the others are shadowed by a preferred source).
    pub used: u64,
}

/// (recipe, size, task).
type Cell<'a> = (&'a str, &'a str, &'a str);

/// The columns that identify one pretraining eval row.
const EVAL_IDS: [&str; 6] = ["run_uid", "recipe", "size", "seed", "step", "task"];

/// The names after resolving spellings; empty lists mean "all".
struct Resolved {
    recipes: Vec<String>,
    sizes: Vec<String>,
    seeds: Vec<String>,
    tasks: Vec<String>,
    metrics: Vec<String>,
    exclude_recipes: Vec<String>,
    exclude_sizes: Vec<String>,
    /// The sizes within the parameter bounds, when bounds were given.
    param_sizes: Option<Vec<String>>,
}

/// The DataDecide-style interface over one lake version.
#[derive(Debug, Clone)]
pub struct DataDecide {
    pub(crate) reader: LakeReader,
    pub(crate) vocab: Arc<dyn Vocabulary>,
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

/// Rows where any of `metrics` holds a number. Arrow orders NaN above +inf, so the upper
/// bound leaves NaN out: datadec's pandas treats NaN as missing.
fn has_value(metrics: &[String]) -> Expr {
    metrics
        .iter()
        .map(|m| col(m).is_not_null().and(col(m).lt_eq(f64::INFINITY)))
        .reduce(Expr::or)
        .unwrap_or_else(|| col("step").is_not_null())
}

/// Steps up to each size's `MAX_STEP_TO_USE` (rows of sizes the vocabulary lacks fall out).
/// A step of a plan applied to the preferred pretraining evals before the checkpoint join.
type EvalStep = Box<dyn FnOnce(Scan) -> Scan>;

fn within_max_step_to_use() -> Expr {
    runlake_vocab::Size::all()
        .iter()
        .map(|s| {
            col("size")
                .eq(s.label)
                .and(col("step").lt_eq(i64::try_from(s.max_step_to_use).unwrap_or(i64::MAX)))
        })
        .reduce(Expr::or)
        .unwrap_or_else(|| col("step").is_null())
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

    /// Canonical names; `all` anywhere in `names` selects everything (an empty list). With
    /// `comma_lists`, an unknown name holding commas is read as a comma list.
    fn canon(
        &self,
        kind: &'static str,
        names: &[String],
        comma_lists: bool,
        f: impl Fn(&dyn Vocabulary, &str) -> Option<String>,
    ) -> Result<Vec<String>> {
        if names.iter().any(|n| n.trim().eq_ignore_ascii_case("all")) {
            return Ok(Vec::new());
        }
        let mut out: Vec<String> = Vec::new();
        let unknown = |n: &str| ReaderError::UnknownName {
            kind,
            value: n.to_owned(),
        };
        for n in names {
            let found = match f(self.vocab.as_ref(), n) {
                Some(c) => vec![c],
                None if comma_lists && n.contains(',') => n
                    .split(',')
                    .map(|part| f(self.vocab.as_ref(), part.trim()).ok_or_else(|| unknown(n)))
                    .collect::<Result<_>>()?,
                None => return Err(unknown(n)),
            };
            for c in found {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// Metric columns, and the tasks that datadec wide names among them select.
    fn metrics_and_tasks(sel: &Selection) -> Result<(Vec<String>, Vec<String>)> {
        if sel.metrics.is_empty() {
            return Ok((vec!["primary_score".to_owned()], Vec::new()));
        }
        let mut metrics: Vec<String> = Vec::new();
        let mut tasks: Vec<String> = Vec::new();
        for m in &sel.metrics {
            let m = m.trim();
            let (metric, task) = if m == "primary_score" || KNOWN_METRICS.contains(&m) {
                (m, None)
            } else if let Some((task, metric)) = runlake_vocab::wide_column(m)
                && KNOWN_METRICS.contains(&metric)
            {
                (metric, Some(task))
            } else {
                return Err(ReaderError::UnknownName {
                    kind: "metric",
                    value: m.to_owned(),
                });
            };
            if !metrics.iter().any(|x| x == metric) {
                metrics.push(metric.to_owned());
            }
            if let Some(t) = task.filter(|t| !tasks.iter().any(|x| x == t)) {
                tasks.push(t.to_owned());
            }
        }
        Ok((metrics, tasks))
    }

    fn metrics(sel: &Selection) -> Result<Vec<String>> {
        Ok(Self::metrics_and_tasks(sel)?.0)
    }

    fn resolve(&self, sel: &Selection) -> Result<Resolved> {
        let (metrics, wide_tasks) = Self::metrics_and_tasks(sel)?;
        let mut tasks = self.canon("task", &sel.tasks, false, |v, n| v.task(n))?;
        // Wide names narrow to their tasks unless `all` tasks were asked for.
        let all_tasks = sel
            .tasks
            .iter()
            .any(|t| t.trim().eq_ignore_ascii_case("all"));
        if !all_tasks {
            for t in wide_tasks {
                if !tasks.contains(&t) {
                    tasks.push(t);
                }
            }
        }
        let mut recipes = self.canon("recipe", &sel.recipes, true, |v, n| v.recipe(n))?;
        let all_recipes = sel
            .recipes
            .iter()
            .any(|r| r.trim().eq_ignore_ascii_case("all"));
        for group in sel.recipe_groups.iter().filter(|_| !all_recipes) {
            let members = runlake_vocab::recipe_group(group.trim()).map_err(|_| {
                ReaderError::UnknownName {
                    kind: "recipe group",
                    value: group.clone(),
                }
            })?;
            for r in members {
                if !recipes.iter().any(|x| x == r.slug) {
                    recipes.push(r.slug.to_owned());
                }
            }
        }
        Ok(Resolved {
            param_sizes: param_sizes(&sel.params)?,
            recipes,
            sizes: self.canon("size", &sel.sizes, false, |v, n| v.size(n))?,
            seeds: self.canon("seed", &sel.seeds, false, |v, n| v.seed(n))?,
            tasks,
            metrics,
            exclude_recipes: self
                .canon("recipe", &sel.exclude_recipes, true, |v, n| v.recipe(n))?,
            exclude_sizes: self.canon("size", &sel.exclude_sizes, false, |v, n| v.size(n))?,
        })
    }

    /// Predicates on recipe, size, seed and step (shared by `evals` and `pretrain_ckpts`).
    fn run_filter(r: &Resolved, sel: &Selection) -> Vec<Expr> {
        let mut parts = Vec::new();
        for (column, values) in [
            ("recipe", &r.recipes),
            ("size", &r.sizes),
            ("seed", &r.seeds),
        ] {
            if !values.is_empty() {
                parts.push(col(column).in_list(values.iter().map(String::as_str)));
            }
        }
        if let Some(sizes) = &r.param_sizes {
            parts.push(col("size").in_list(sizes.iter().map(String::as_str)));
        }
        for (column, values) in [("recipe", &r.exclude_recipes), ("size", &r.exclude_sizes)] {
            if !values.is_empty() {
                parts.push(col(column).in_list(values.iter().map(String::as_str)).not());
            }
        }
        if let Some(b) = sel.steps.and_then(|b| bounds("step", b)) {
            parts.push(b);
        }
        parts
    }

    /// Pretraining evals of the selection, one row per (run, step, task):
    /// `run_uid, recipe, size, seed, step, tokens, tokens_derived, compute, compute_derived,
    /// tokens_expected, task, source, <metrics...>`, with `tokens` and `compute` as the export
    /// gave them or, flagged `*_derived`, as datadec derives them (perplexity-only checkpoints;
    /// null in lakes written before schema version 2, which show `tokens_expected` from the
    /// size's schedule). Where several
    /// sources hold a checkpoint's task, the row of the first source in
    /// [`runlake_vocab::EVAL_SOURCE_PRECEDENCE`] answers (`source` says which).
    pub fn select(&self, sel: &Selection) -> Result<Scan> {
        self.select_where(sel, None, None)
    }

    /// [`DataDecide::select`] with `evals_filter` applied to the evals before the source
    /// precedence and the checkpoint join. Only for filters every row of a checkpoint shares
    /// (run, size, step), so the precedence picks the same rows.
    /// `evals_then` narrows the preferred evals further before the join: only for steps that
    /// need no checkpoint column, so never together with token bounds.
    fn select_where(
        &self,
        sel: &Selection,
        evals_filter: Option<Expr>,
        evals_then: Option<EvalStep>,
    ) -> Result<Scan> {
        let r = self.resolve(sel)?;
        let mut evals = self.pretrain_evals(&r, sel, true, evals_filter)?;
        if let Some(then) = evals_then {
            evals = then(evals);
        }
        // Only steps narrow the checkpoints: their recipe/size/seed copies may be unfilled, and
        // the left join keeps every selected eval anyway.
        let ckpt_filter = sel.steps.and_then(|b| bounds("step", b));
        let mut ckpts = self.reader.scan(Table::PretrainCkpts).select([
            "run_uid",
            "step",
            "tokens",
            "tokens_derived",
            "compute",
            "compute_derived",
            "tokens_expected",
        ]);
        if let Some(f) = ckpt_filter {
            ckpts = ckpts.filter(f);
        }
        let mut joined = evals.join(
            ckpts,
            [("run_uid", "run_uid"), ("step", "step")],
            JoinKind::Left,
        );
        if let (Some(given), Some(expected)) = (
            sel.tokens.and_then(|b| bounds("tokens", b)),
            sel.tokens.and_then(|b| bounds("tokens_expected", b)),
        ) {
            // A checkpoint whose export gave no tokens (perplexity-only ones) is placed by its
            // size's schedule, as datadec derives tokens from the step. Lakes since schema
            // version 2 store that count in `tokens`; older ones leave it null.
            joined = joined.filter(
                col("tokens")
                    .is_not_null()
                    .and(given)
                    .or(col("tokens").is_null().and(expected)),
            );
        }
        let mut out: Vec<String> = [
            "run_uid",
            "recipe",
            "size",
            "seed",
            "step",
            "tokens",
            "tokens_derived",
            "compute",
            "compute_derived",
            "tokens_expected",
            "task",
            "source",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        out.extend(r.metrics);
        Ok(joined.select(out))
    }

    /// The selection averaged over seeds, like datadec's `mean_eval`: one row per
    /// (recipe, size, step, task) with `tokens`, `n_seeds` and `<metric>_mean`,
    /// `<metric>_std` (sample), `<metric>_count` per metric. Each seed counts once, from its
    /// preferred source.
    pub fn mean_over_seeds(&self, sel: &Selection) -> Result<Scan> {
        let metrics = Self::metrics(sel)?;
        let mut aggs = vec![
            Agg::max("tokens").alias("tokens"),
            Agg::count_rows().alias("n_seeds"),
        ];
        aggs.extend(metric_aggs(&metrics));
        Ok(self
            .select(sel)?
            .group_by(["recipe", "size", "step", "task"])
            .agg(aggs)
            .sort(["recipe", "size", "task", "step"]))
    }

    /// Pretraining evals of the selection, one per (run, step, task) with `preferred`:
    /// `run_uid, recipe, size, seed, step, task, source, <metrics...>`.
    fn pretrain_evals(
        &self,
        r: &Resolved,
        sel: &Selection,
        preferred: bool,
        extra: Option<Expr>,
    ) -> Result<Scan> {
        let mut filter = Self::run_filter(r, sel);
        filter.push(col("phase").eq(Phase::Pretrain.as_str()));
        filter.extend(extra);
        if !r.tasks.is_empty() {
            filter.push(col("task").in_list(r.tasks.iter().map(String::as_str)));
        }
        let mut cols: Vec<String> = EVAL_IDS.iter().map(|s| (*s).to_owned()).collect();
        cols.push("source".to_owned());
        cols.extend(r.metrics.iter().cloned());
        let scan = self
            .reader
            .scan(Table::Evals)
            .filter(Expr::all(filter).unwrap_or_else(|| col("phase").eq(Phase::Pretrain.as_str())))
            .select(cols);
        Ok(
            if preferred && !one_pretrain_source(self.reader.manifest()) {
                prefer_sources(scan)
            } else {
                scan
            },
        )
    }

    /// Per eval source: the selection's rows and how many of them answer it (the rest are
    /// shadowed by a preferred source), for `--verbose` and `explain`.
    pub async fn source_use(&self, sel: &Selection) -> Result<Vec<SourceUse>> {
        let r = self.resolve(sel)?;
        let count = |scan: Scan| async move {
            let scan = scan
                .group_by(["source"])
                .agg([Agg::count_rows().alias("rows")])
                .sort(["source"]);
            let schema = scan.schema()?;
            let batch = gather(scan.execute().await?, &schema).await?;
            let source = batch.column(0).as_string::<i32>();
            let rows = batch
                .column(1)
                .as_primitive::<arrow::datatypes::Int64Type>();
            Ok::<_, ReaderError>(
                (0..batch.num_rows())
                    .map(|i| {
                        (
                            source.value(i).to_owned(),
                            u64::try_from(rows.value(i)).unwrap_or(0),
                        )
                    })
                    .collect::<BTreeMap<String, u64>>(),
            )
        };
        let all = count(self.pretrain_evals(&r, sel, false, None)?).await?;
        let used = count(self.pretrain_evals(&r, sel, true, None)?).await?;
        let mut out: Vec<SourceUse> = all
            .into_iter()
            .map(|(source, rows)| SourceUse {
                used: used.get(&source).copied().unwrap_or(0),
                source,
                rows,
            })
            .collect();
        out.sort_by(|a, b| {
            runlake_vocab::source_rank(&a.source).cmp(&runlake_vocab::source_rank(&b.source))
        });
        Ok(out)
    }

    /// The selection's rows at each recipe x size x task's final checkpoint under `rule`, one
    /// per seed: the columns of [`DataDecide::select`].
    pub fn final_rows(&self, sel: &Selection, rule: FinalRule) -> Result<Scan> {
        let metrics = Self::metrics(sel)?;
        // The step bound is the same for every row of a checkpoint, so it is applied before
        // the join and the source precedence rather than after them.
        let bound = (rule == FinalRule::MaxStepToUse).then(within_max_step_to_use);
        let keys: &[&str] = match rule {
            FinalRule::MaxStepToUse => &["recipe", "size", "task"],
            FinalRule::PerSeedLast => &["run_uid", "task"],
        };
        let last = move |scan: Scan| scan.filter(has_value(&metrics)).keep_max(keys, "step");
        Ok(if sel.tokens.is_none() {
            // Picking the final rows needs eval columns only: joining the checkpoint table
            // after it joins a few rows per group instead of every step's.
            self.select_where(sel, bound, Some(Box::new(last)))?
        } else {
            last(self.select_where(sel, bound, None)?)
        })
    }

    /// Each recipe x size x task at its final checkpoint by datadec's rule
    /// ([`FinalRule::MaxStepToUse`]), averaged over seeds; see
    /// [`DataDecide::final_checkpoints_by`].
    pub fn final_checkpoints(&self, sel: &Selection) -> Result<Scan> {
        self.final_checkpoints_by(sel, FinalRule::MaxStepToUse)
    }

    /// Each recipe x size x task at its final checkpoint under `rule`, averaged over seeds:
    /// `recipe, size, task, step, min_step, tokens, n_seeds`, then `<metric>_mean`,
    /// `<metric>_std`, `<metric>_count` per metric. `step` is the step used (`min_step` is
    /// smaller only when per-seed-last finds seeds at different steps).
    pub fn final_checkpoints_by(&self, sel: &Selection, rule: FinalRule) -> Result<Scan> {
        let metrics = Self::metrics(sel)?;
        let mut aggs = vec![
            Agg::max("step").alias("step"),
            Agg::min("step").alias("min_step"),
            Agg::max("tokens").alias("tokens"),
            Agg::count_rows().alias("n_seeds"),
        ];
        aggs.extend(metric_aggs(&metrics));
        Ok(self
            .final_rows(sel, rule)?
            .group_by(["recipe", "size", "task"])
            .agg(aggs)
            .sort(["recipe", "size", "task"]))
    }

    /// What the final checkpoints under `rule` leave out or mix, one sentence each: with
    /// [`FinalRule::MaxStepToUse`], every seed that has no value at its group's final step
    /// (it is left out of the mean); with [`FinalRule::PerSeedLast`], every group whose seeds
    /// sit at different steps.
    pub async fn final_notes(&self, sel: &Selection, rule: FinalRule) -> Result<Vec<String>> {
        let metrics = Self::metrics(sel)?;
        let bound = (rule == FinalRule::MaxStepToUse).then(within_max_step_to_use);
        let candidates = self
            .select_where(sel, bound, None)?
            .filter(has_value(&metrics));
        let last = candidates
            .group_by(["recipe", "size", "task", "seed"])
            .agg([Agg::max("step").alias("last")])
            .sort(["recipe", "size", "task", "seed"]);
        let schema = last.schema()?;
        let batch = gather(last.execute().await?, &schema).await?;
        let text = |i: usize| batch.column(i).as_string::<i32>();
        let (recipe, size, task, seed) = (text(0), text(1), text(2), text(3));
        let step = batch
            .column(4)
            .as_primitive::<arrow::datatypes::Int64Type>();
        let mut groups: BTreeMap<Cell<'_>, Vec<(&str, i64)>> = BTreeMap::new();
        for i in 0..batch.num_rows() {
            groups
                .entry((recipe.value(i), size.value(i), task.value(i)))
                .or_default()
                .push((
                    if seed.is_null(i) { "?" } else { seed.value(i) },
                    step.value(i),
                ));
        }
        let mut notes = Vec::new();
        for ((recipe, size, task), seeds) in groups {
            let final_step = seeds.iter().map(|s| s.1).max().unwrap_or_default();
            let behind: Vec<String> = seeds
                .iter()
                .filter(|s| s.1 < final_step)
                .map(|(seed, last)| format!("{seed} (last value at step {last})"))
                .collect();
            if behind.is_empty() {
                continue;
            }
            notes.push(match rule {
                FinalRule::MaxStepToUse => format!(
                    "{recipe} {size} {task}: final step {final_step}; no value there for {}, \
                     left out of the mean",
                    behind.join(", ")
                ),
                FinalRule::PerSeedLast => format!(
                    "{recipe} {size} {task}: seeds at different steps, up to {final_step}; \
                     behind: {}",
                    behind.join(", ")
                ),
            });
        }
        Ok(notes)
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
        let tasks = self.canon("task", tasks, false, |v, n| v.task(n))?;
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
        let post = prefer_sources(
            self.reader
                .scan(Table::Evals)
                .filter(task_filter(Phase::Posttrain.as_str()))
                .select(["run_uid", "step", "task", "source", metric.as_str()]),
        )
        .select(["run_uid", "task", metric.as_str()]);
        let pre = prefer_sources(
            self.reader
                .scan(Table::Evals)
                .filter(task_filter(Phase::Pretrain.as_str()))
                .select(["run_uid", "step", "task", "source", metric.as_str()]),
        )
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
        let scores = prefer_sources(
            self.reader.scan(Table::Evals).filter(
                col("phase")
                    .eq(Phase::Posttrain.as_str())
                    .and(col("task").eq(task.as_str())),
            ),
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

/// The sizes whose nominal parameter count lies within `bounds` (`None` without bounds).
fn param_sizes(bounds: &(Option<String>, Option<String>)) -> Result<Option<Vec<String>>> {
    let parse = |b: &Option<String>| {
        b.as_deref()
            .map(|v| {
                runlake_vocab::param_count(v).map_err(|_| ReaderError::UnknownName {
                    kind: "parameter count",
                    value: v.to_owned(),
                })
            })
            .transpose()
    };
    let (lo, hi) = (parse(&bounds.0)?, parse(&bounds.1)?);
    if lo.is_none() && hi.is_none() {
        return Ok(None);
    }
    Ok(Some(
        runlake_vocab::Size::all()
            .iter()
            .filter(|s| {
                let n = s.params_nominal as f64;
                lo.is_none_or(|lo| n >= lo) && hi.is_none_or(|hi| n <= hi)
            })
            .map(|s| s.label.to_owned())
            .collect(),
    ))
}

/// Mean, sample std and count of each metric.
fn metric_aggs(metrics: &[String]) -> Vec<Agg> {
    metrics
        .iter()
        .flat_map(|m| [Agg::mean(m), Agg::std(m), Agg::count(m)])
        .collect()
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
