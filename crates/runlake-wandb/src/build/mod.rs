//! From records to rows of the four post-training tables.
//!
//! [`build`] takes everything read from the inputs plus what the lake already knows about runs
//! ([`KnownRun`]) and returns rows grouped per run, each group with a content hash so a caller
//! can skip runs whose rows would not change. Its only IO is reading again the config and
//! summary of records from their runs file, which a conversion does not hold between reading
//! and building (see `RunRecord::pack`).

mod batches;
mod cells;
mod evals;
mod hash;
pub mod lineage;
mod metadata;
mod oe_match;
mod steps;
mod streamed;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use runlake_format::RunUid;
use runlake_format::tables::TrainingType;

use crate::classify::classify;
use crate::coerce::TimePolicy;
use crate::error::{Result, WandbError};
use crate::gather::Rejection;
use crate::json::{Json, Object};
use crate::model::{HistoryRow, Inputs, RunRecord, ShortExport};
use crate::redact::Redactor;
use crate::runname::{self, RunName};
use crate::stream::{StreamPlan, StreamedFile};
use cells::{Cell, Row};
use hash::finish_hash;

pub use batches::Batches;
pub(crate) use batches::piece_batches;

/// Options of a conversion.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct BuildOptions {
    /// Keep email addresses, user and host names and home paths (dropped by default).
    pub keep_personal_data: bool,
    /// How to read timestamps without a zone.
    pub time: TimePolicy,
    /// The run (id, name or `wandb/...` uid) oe-eval folders belong to, instead of matching
    /// them by model path.
    pub oe_eval_run: Option<String>,
    /// Read every history row into memory, as for any other input, instead of streaming flat
    /// history Parquet files column by column. The results are the same; streaming is the
    /// fast way.
    #[serde(default)]
    pub row_wise_history: bool,
}

/// A run the lake already holds, as far as building needs to know it.
#[derive(Debug, Clone, Default)]
pub struct KnownRun {
    /// `wandb/<entity>/<project>/<run id>`.
    pub run_uid: String,
    /// Training type stored for it.
    pub training_type: String,
    /// Run name.
    pub name: Option<String>,
    /// Creation time, microseconds.
    pub created_at: Option<i64>,
    /// Final step.
    pub last_step: Option<i64>,
    /// Denormalised checkpoint fields.
    pub recipe: Option<String>,
    /// Size.
    pub size: Option<String>,
    /// Seed.
    pub seed: Option<String>,
    /// `output_dir` from its config, to match oe-eval model paths.
    pub output_dir: Option<String>,
}

impl KnownRun {
    /// The WandB run id: the last component of the uid.
    pub fn run_id(&self) -> Cow<'_, str> {
        match RunUid::parse(&self.run_uid) {
            Some(RunUid::Wandb { run_id, .. }) => Cow::Owned(run_id),
            _ => Cow::Borrowed(&self.run_uid),
        }
    }
}

/// A history step with more than one distinct logged row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepConflict {
    /// Run.
    pub run_uid: String,
    /// Step.
    pub step: i64,
    /// Distinct rows kept.
    pub variants: usize,
}

/// A metric whose nested and flat summary values differ.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvalConflict {
    /// Run.
    pub run_uid: String,
    /// Task as spelled in the summary.
    pub task: String,
    /// Metric.
    pub metric: String,
    /// Nested-shape value (authoritative).
    pub nested: f64,
    /// Flat-shape value.
    pub flat: f64,
}

/// How an oe-eval folder was attached to a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OeEvalMatch {
    /// The folder.
    pub folder: String,
    /// The run.
    pub run_uid: String,
    /// `explicit run` or the model path that matched.
    pub matched_by: String,
    /// Task rows produced.
    pub tasks: usize,
    /// Exact duplicate lines dropped.
    pub duplicate_lines: usize,
    /// Different lines for one task: `(task, kept, ignored)`.
    pub conflicting_lines: Vec<(String, String, String)>,
}

/// Everything a conversion noticed that a reader of the lake should know.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Report {
    /// Identical re-exported history rows merged.
    pub duplicate_history_rows: usize,
    /// Steps with conflicting rows (all kept).
    pub conflicting_steps: Vec<StepConflict>,
    /// History rows of runs that neither the inputs nor the lake know (not stored).
    pub history_without_run: BTreeMap<String, usize>,
    /// Timestamps without a zone, read by the time policy.
    pub naive_timestamps: usize,
    /// Timestamps that could not be read (stored as null): `run field: reason`.
    pub unreadable_timestamps: Vec<String>,
    /// Nested vs flat summary disagreements.
    pub eval_shape_conflicts: Vec<EvalConflict>,
    /// Tasks kept under their raw name because the canonical one was taken.
    pub task_name_collisions: Vec<String>,
    /// oe-eval folders and the runs they were attached to.
    pub oe_eval: Vec<OeEvalMatch>,
    /// Runs read more than once; the later export wins: `run_uid`.
    pub superseded_records: Vec<String>,
    /// Lineage evidence that disagrees with the resolved parent: `run: source = value`.
    pub lineage_conflicts: Vec<String>,
    /// Exports holding fewer runs or history rows than their manifest promises.
    pub short_exports: Vec<ShortExport>,
}

impl Report {
    /// What a person running the conversion should be told, one sentence each.
    pub fn warnings(&self) -> Vec<String> {
        self.short_exports.iter().map(ToString::to_string).collect()
    }

    fn timestamp(&mut self, v: &Json, time: TimePolicy, run: &str, field: &str) -> Option<i64> {
        match crate::coerce::timestamp(v, time) {
            Ok(Some(ts)) => {
                if ts.naive {
                    self.naive_timestamps += 1;
                }
                Some(ts.micros)
            }
            Ok(None) => None,
            Err(reason) => {
                self.unreadable_timestamps
                    .push(format!("{run} {field}: {reason}"));
                None
            }
        }
    }
}

/// What a conversion produced for one run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The run.
    pub run_uid: String,
    /// True when the inputs held the run itself (not only oe-eval results for a lake run):
    /// its rows replace all of the run's rows.
    pub full: bool,
    /// Training type.
    pub training_type: String,
    /// Hash of every row below; equal hashes mean equal rows.
    pub content_hash: String,
    metadata: Option<Row>,
    steps: Vec<Row>,
    evals: Vec<Row>,
    lineage: Vec<Row>,
    /// History staged column-wise from the streamed files.
    stream: Option<StreamPlan>,
    /// Where the run's record came in the inputs (`usize::MAX` for a run only given rows).
    pub(crate) position: usize,
}

impl RunOutput {
    /// Row counts: metadata, posttrain_steps, evals, lineage.
    pub fn row_counts(&self) -> [usize; 4] {
        [
            usize::from(self.metadata.is_some()),
            self.steps.len() + self.stream.as_ref().map_or(0, |s| s.rows as usize),
            self.evals.len(),
            self.lineage.len(),
        ]
    }
    /// The column-wise history plan, taken out of the run.
    pub(crate) fn take_stream(&mut self) -> Option<StreamPlan> {
        self.stream.take()
    }
    /// `evals.source` values present.
    pub fn eval_sources(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .evals
            .iter()
            .filter_map(|r| match r.get("source") {
                Some(Cell::Str(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The result of [`build`].
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Per run, in input order.
    pub runs: Vec<RunOutput>,
    /// Same-name links (`resumed_from` / `duplicate_of`), possibly for runs already in the lake.
    same_name: Vec<Row>,
    /// History files read column-wise, for [`Built::into_batches`].
    pub(crate) streamed_files: Vec<StreamedFile>,
    /// oe-eval folders no run claims, left out (see [`build_with`]).
    pub(crate) unmatched_oe_eval: Vec<Rejection>,
    /// What was noticed.
    pub report: Report,
}

/// `wandb/<entity>/<project>/<run id>`, components escaped as `runlake_format::run_uid` says.
pub fn run_uid(entity: Option<&str>, project: Option<&str>, run_id: &str) -> String {
    runlake_format::run_uid::wandb(
        entity.unwrap_or("unknown-entity"),
        project.unwrap_or("unknown-project"),
        run_id,
    )
}

/// What building one run needs besides its record.
pub(crate) struct RunContext {
    pub run_uid: String,
    pub training_type: TrainingType,
    pub training_type_reason: String,
    pub name: RunName,
    pub lineage: lineage::RunLineage,
    pub last_step: Option<i64>,
}

impl RunContext {
    fn name_json(&self) -> Json {
        let n = &self.name;
        let mut o = Object::default();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                o.push(k, Json::String(v));
            }
        };
        put("run_type", n.run_type.map(str::to_owned));
        put("form", n.form.map(str::to_owned));
        put("timestamp", n.timestamp.clone());
        put("exp_name", n.exp_name.clone());
        put("recipe", n.recipe.clone());
        put("size", n.size.clone());
        put("step", n.step.clone());
        put("seed", n.seed.clone());
        put("lr", n.lr.clone());
        put("parent_lr", n.parent_lr.clone());
        put("comparison_size", n.comparison_size.clone());
        put("comparison_metric", n.comparison_metric.clone());
        put(
            "finetune_tokens_per_epoch",
            n.finetune_tokens_per_epoch.map(|v| v.to_string()),
        );
        put("finetune_epochs", n.finetune_epochs.map(|v| v.to_string()));
        put("finetune_tokens", n.finetune_tokens.map(|v| v.to_string()));
        Json::Object(o)
    }
}

fn newer(a: &RunRecord, b: &RunRecord) -> bool {
    // Later export wins; within one export the later line does.
    let key = |r: &RunRecord| {
        crate::coerce::timestamp(&r.exported_at, TimePolicy::default())
            .ok()
            .flatten()
            .map(|t| t.micros)
    };
    key(b) >= key(a)
}

/// Builds the rows of every run in `inputs`. An oe-eval folder no run claims is an error.
pub fn build(inputs: Inputs, known: &[KnownRun], opts: &BuildOptions) -> Result<Built> {
    build_with(inputs, known, opts, false, None)
}

/// Takes each run new to the lake as soon as its rows are complete, so a large conversion
/// need not hold every run's rows until the last is built.
pub(crate) type NewRunSink<'a> = &'a mut dyn FnMut(RunOutput) -> Result<()>;

/// Like [`build`]; with `skip_unmatched`, an oe-eval folder no run claims is left out and
/// named in [`Built::unmatched_oe_eval`] instead.
///
/// The inputs are consumed as the runs are built: a run's parsed config and summary, the
/// bulk of a large export, are dropped once its rows exist, so the two are never all held at
/// once.
///
/// With `new_runs`, a run the lake does not know and no oe-eval folder belongs to is handed
/// to it, hash finished, once built, and left out of [`Built::runs`]: nothing built later can
/// change its rows. Every other run may still gain rows or need a decision against the lake.
pub(crate) fn build_with(
    inputs: Inputs,
    known: &[KnownRun],
    opts: &BuildOptions,
    skip_unmatched: bool,
    mut new_runs: Option<NewRunSink<'_>>,
) -> Result<Built> {
    let Inputs {
        mut runs,
        history: history_rows,
        oe_eval,
        files: _,
        short_exports,
        streamed,
        streamed_runs,
        streamed_at: _,
        pack_runs: _,
        hold_history: _,
    } = inputs;
    let mut report = Report {
        short_exports,
        ..Report::default()
    };

    // One record per run uid, by its index in `runs`.
    let mut order: Vec<String> = Vec::new();
    let mut records: HashMap<String, usize> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        let uid = run_uid(r.entity.as_deref(), r.project.as_deref(), &r.run_id);
        match records.get(&uid) {
            Some(&prev) => {
                report.superseded_records.push(uid.clone());
                if newer(&runs[prev], r) {
                    records.insert(uid, i);
                }
            }
            None => {
                order.push(uid.clone());
                records.insert(uid, i);
            }
        }
    }
    let redactor = if opts.keep_personal_data {
        Redactor::keep_all()
    } else {
        Redactor::from_runs(records.values().map(|&i| &runs[i]))
    };

    // Run id → uid, from the inputs first, then the lake.
    let mut uid_of_id: HashMap<String, String> = HashMap::new();
    for k in known {
        uid_of_id.insert(k.run_id().into_owned(), k.run_uid.clone());
    }
    for uid in &order {
        uid_of_id.insert(runs[records[uid]].run_id.clone(), uid.clone());
    }
    // Where every converted run wrote its model, to find parents by their whole path.
    let mut outputs = lineage::OutputDirs::default();
    for k in known {
        if let Some(dir) = &k.output_dir {
            outputs.add(dir, &k.run_uid, k.created_at);
        }
    }
    for uid in &order {
        let r = &runs[records[uid]];
        if let Some(dir) = r.output_dir() {
            let created = crate::coerce::timestamp(&r.created_at, opts.time)
                .ok()
                .flatten()
                .map(|t| t.micros);
            outputs.add(&dir, uid, created);
        }
    }

    // Which run each oe-eval folder belongs to, decided while every config is at hand.
    let mut oe_matches: Vec<(usize, String, String)> = Vec::new();
    let mut unmatched_oe_eval = Vec::new();
    {
        let by_uid: HashMap<String, &RunRecord> = records
            .iter()
            .map(|(uid, &i)| (uid.clone(), &runs[i]))
            .collect();
        for (d, dump) in oe_eval.iter().enumerate() {
            match oe_match::match_oe_eval(dump, &order, &by_uid, known, opts, &redactor) {
                Ok((uid, matched_by)) => oe_matches.push((d, uid, matched_by)),
                Err(err @ WandbError::UnmatchedOeEval { .. }) if skip_unmatched => {
                    unmatched_oe_eval.push(Rejection::of(&err, &dump.folder));
                }
                Err(err) => return Err(err),
            }
        }
    }

    let split = {
        let claimed: HashSet<&str> = order
            .iter()
            .map(|u| runs[records[u]].run_id.as_str())
            .collect();
        let known_ids: HashSet<String> = known.iter().map(|k| k.run_id().into_owned()).collect();
        streamed::split(
            &history_rows,
            &streamed_runs,
            &streamed,
            &claimed,
            &known_ids,
            opts.row_wise_history,
        )?
    };
    let mut history: HashMap<&str, Vec<&HistoryRow>> = HashMap::new();
    if split.rows.is_empty() {
        for h in &history_rows {
            history.entry(h.run_id.as_str()).or_default().push(h);
        }
    } else {
        let mut all: Vec<(streamed::Order, &HistoryRow)> = history_rows
            .iter()
            .enumerate()
            .map(|(i, h)| ((i, 1, 0, 0), h))
            .chain(split.rows.iter().map(|(o, h)| (*o, h)))
            .collect();
        all.sort_by_key(|(o, _)| *o);
        for (_, h) in all {
            history.entry(h.run_id.as_str()).or_default().push(h);
        }
    }
    let mut streamed_left = split.streamed;
    // Runs that may still gain rows after the loop (oe-eval results, history of lake runs).
    let held: HashSet<&str> = known
        .iter()
        .map(|k| k.run_uid.as_str())
        .chain(oe_matches.iter().map(|(_, uid, _)| uid.as_str()))
        .collect();

    let mut outputs_built = Vec::new();
    let mut named = Vec::new();
    let mut reread = crate::read::Reread::default();
    for (position, uid) in order.iter().enumerate() {
        runs[records[uid]]
            .unpack(&mut |origin, source, offset| reread.record(origin, source, offset))?;
        let rec = &runs[records[uid]];
        let hist = take_history(
            &mut history,
            &rec.run_id,
            rec.entity.as_deref(),
            rec.project.as_deref(),
        );
        let raw_name = rec.name.clone().unwrap_or_else(|| rec.run_id.clone());
        let name = runname::parse(&raw_name);
        // The first run read with an id takes its streamed rows, as it takes row-wise ones.
        let stream = streamed_left.remove(rec.run_id.as_str());
        let mut keys: Vec<&str> = hist
            .iter()
            .flat_map(|h| h.metrics.iter().map(|(k, _)| k))
            .chain(
                stream
                    .iter()
                    .flat_map(|s| s.keys.iter().map(String::as_str)),
            )
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let class = classify(
            &rec.config,
            keys.iter().copied(),
            &rec.summary,
            &name,
            &raw_name,
        );
        let lin = lineage::gather(
            &rec.config,
            &name,
            &raw_name,
            &|s| redactor.text(s).into_owned(),
            &outputs,
            &|id| uid_of_id.get(id).cloned(),
        );
        let steps_known: Vec<i64> = hist
            .iter()
            .map(|h| h.step)
            .chain(stream.iter().flat_map(|s| [s.first_step, s.last_step]))
            .collect();
        let ctx = RunContext {
            run_uid: uid.clone(),
            training_type: class.training_type,
            training_type_reason: class.reason,
            name,
            lineage: lin,
            last_step: steps_known.iter().max().copied(),
        };
        named.push(lineage::NamedRun {
            run_uid: uid.clone(),
            name: raw_name.clone(),
            created_at: crate::coerce::timestamp(&rec.created_at, opts.time)
                .ok()
                .flatten()
                .map(|t| t.micros),
            first_step: steps_known.iter().min().copied(),
            last_step: ctx.last_step.or_else(|| {
                rec.summary
                    .get("_step")
                    .and_then(crate::coerce::i64_lenient)
            }),
        });

        let step_rows = steps::rows(
            uid,
            ctx.training_type,
            &hist,
            &redactor,
            opts.time,
            &mut report,
        );
        let stream = stream.map(|s| streamed::plan(s, uid, ctx.training_type, &redactor));
        let cp = ctx.lineage.checkpoint.as_ref();
        let eval_run = evals::EvalRun {
            run_uid: uid,
            recipe: cp.map(|c| c.recipe.as_str()),
            size: cp.map(|c| c.size.as_str()),
            seed: cp.map(|c| c.seed.as_str()),
        };
        let eval_rows = evals::summary_rows(&eval_run, rec, &redactor, &mut report);
        let lineage_rows = lineage::rows(uid, &ctx.lineage, ctx.training_type == TrainingType::Dpo);
        for e in &ctx.lineage.evidence {
            if lineage::is_conflict(e) {
                report
                    .lineage_conflicts
                    .push(format!("{uid}: {} = {}", e.source, e.value));
            }
        }
        let meta = metadata::row(rec, &ctx, &redactor, opts.time, &mut report);
        // Everything of the record is in its rows now.
        let rec = &mut runs[records[uid]];
        rec.config = Object::default();
        rec.summary = Object::default();
        rec.metadata = Json::Null;
        rec.attrs = Object::default();
        let mut out = RunOutput {
            run_uid: uid.clone(),
            full: true,
            training_type: ctx.training_type.as_str().to_owned(),
            content_hash: String::new(),
            metadata: Some(meta),
            steps: step_rows,
            evals: eval_rows,
            lineage: lineage_rows,
            stream,
            position,
        };
        match new_runs.as_mut() {
            Some(sink) if !held.contains(uid.as_str()) => {
                finish_hash(&mut out);
                sink(out)?;
            }
            _ => outputs_built.push(out),
        }
    }

    // History of runs without a record in the inputs.
    let mut unclaimed: Vec<(&str, Vec<&HistoryRow>)> = history.into_iter().collect();
    unclaimed.sort_by_key(|(id, _)| *id);
    for (run_id, mut rows) in unclaimed {
        // Several lake runs may share a run id across entities and projects.
        for k in known {
            let (entity, project) = match RunUid::parse(&k.run_uid) {
                Some(RunUid::Wandb {
                    entity,
                    project,
                    run_id: id,
                }) if id == run_id => (entity, project),
                _ => continue,
            };
            let mine = take_rows(&mut rows, Some(&entity), Some(&project));
            if mine.is_empty() {
                continue;
            }
            let tt = TrainingType::posttrain(&k.training_type);
            let step_rows = steps::rows(&k.run_uid, tt, &mine, &redactor, opts.time, &mut report);
            attach(&mut outputs_built, &k.run_uid, tt)
                .steps
                .extend(step_rows);
        }
        if !rows.is_empty() {
            report
                .history_without_run
                .insert(run_id.to_owned(), rows.len());
        }
    }
    for (run_id, rows) in split.unclaimed {
        *report.history_without_run.entry(run_id).or_default() += rows;
    }

    oe_match::add_results(
        &mut outputs_built,
        oe_matches,
        &oe_eval,
        known,
        &redactor,
        &mut report,
    );

    // Same-name links among the converted runs and the lake's.
    for k in known {
        if !named.iter().any(|n| n.run_uid == k.run_uid)
            && let Some(name) = &k.name
        {
            named.push(lineage::NamedRun {
                run_uid: k.run_uid.clone(),
                name: name.clone(),
                created_at: k.created_at,
                first_step: None,
                last_step: k.last_step,
            });
        }
    }
    let same_name = lineage::same_name_rows(&named);

    for run in &mut outputs_built {
        finish_hash(run);
    }
    Ok(Built {
        runs: outputs_built,
        same_name,
        streamed_files: streamed,
        unmatched_oe_eval,
        report,
    })
}

/// The history rows of one run: its run id, and the entity and project of its export when
/// the rows name them.
fn take_history<'a>(
    history: &mut HashMap<&str, Vec<&'a HistoryRow>>,
    run_id: &str,
    entity: Option<&str>,
    project: Option<&str>,
) -> Vec<&'a HistoryRow> {
    let Some(rows) = history.get_mut(run_id) else {
        return Vec::new();
    };
    let mine = take_rows(rows, entity, project);
    if rows.is_empty() {
        history.remove(run_id);
    }
    mine
}

/// Moves the rows that may belong to `entity`/`project` out of `rows`, keeping their order.
fn take_rows<'a>(
    rows: &mut Vec<&'a HistoryRow>,
    entity: Option<&str>,
    project: Option<&str>,
) -> Vec<&'a HistoryRow> {
    let fits =
        |mine: Option<&str>, row: &Option<String>| row.as_deref().is_none_or(|r| Some(r) == mine);
    let (mine, rest) = std::mem::take(rows)
        .into_iter()
        .partition(|h| fits(entity, &h.entity) && fits(project, &h.project));
    *rows = rest;
    mine
}

fn cell_str(r: &Row, col: &str) -> Option<String> {
    match r.get(col) {
        Some(Cell::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

fn attach<'a>(runs: &'a mut Vec<RunOutput>, uid: &str, tt: TrainingType) -> &'a mut RunOutput {
    let idx = match runs.iter().position(|r| r.run_uid == uid) {
        Some(i) => i,
        None => {
            runs.push(RunOutput {
                run_uid: uid.to_owned(),
                full: false,
                training_type: tt.as_str().to_owned(),
                content_hash: String::new(),
                metadata: None,
                steps: Vec::new(),
                evals: Vec::new(),
                lineage: Vec::new(),
                stream: None,
                position: usize::MAX,
            });
            runs.len() - 1
        }
    };
    &mut runs[idx]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OeEvalDump;

    #[test]
    fn oe_eval_results_find_a_lake_run_by_its_redacted_output_folder() {
        let uid = run_uid(Some("e"), Some("p"), "r1");
        let known = [KnownRun {
            run_uid: uid.clone(),
            training_type: "sft".into(),
            output_dir: Some("/gscratch/<redacted>/<redacted>/out/sft-a".into()),
            ..KnownRun::default()
        }];
        let inputs = Inputs {
            oe_eval: vec![OeEvalDump {
                folder: "evals/dump".into(),
                model_paths: vec!["/gscratch/zlab/someone/out/sft-a/final".into()],
                ..OeEvalDump::default()
            }],
            ..Inputs::default()
        };
        let built = build(inputs, &known, &BuildOptions::default()).expect("build");
        assert_eq!(built.report.oe_eval[0].run_uid, uid);
        assert_eq!(
            built.report.oe_eval[0].matched_by,
            "output folder in the model path"
        );
    }
}
