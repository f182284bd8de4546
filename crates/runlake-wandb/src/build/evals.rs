//! `evals` rows (phase `posttrain`) from WandB summaries and oe-eval folders.
//!
//! # Task names
//!
//! The canonical task is `runlake_vocab::task_name` of the spelling (`boolq:mc::olmes` →
//! `boolq:mc`, `arc_challenge:rc::olmes:full` → `arc_challenge`). The name as the source
//! spelled it (or its `task_config.metadata.alias`) is kept in `task_alias`.
//!
//! # The two summary shapes
//!
//! `oe_eval_metrics/<task>` dicts (written by oe-eval) and flat
//! `oe_eval_metrics/<task>/<metric>` scalars (written afterwards by a script, only where a key
//! was absent) describe one evaluation, so a task present in both shapes gives one row, source
//! `wandb_summary_nested`: nested values win, flat ones fill what the nested dict lacks. A flat
//! value that disagrees with the nested one is kept under `flat_conflicts` (metric → flat
//! value) in `details_json`, and the conversion report lists the pair. A task with flat keys
//! only gives a `wandb_summary_flat` row.

use runlake_format::tables::{KNOWN_METRICS, Phase};

use super::cells::{Cell, Row};
use super::{EvalConflict, Report};
use crate::coerce::{f64_lenient, i64_lenient};
use crate::json::{Json, Number, Object};
use crate::model::{OeEvalTask, RunRecord};
use crate::redact::Redactor;

const PREFIX: &str = "oe_eval_metrics/";

/// Denormalised run fields every eval row carries.
pub(super) struct EvalRun<'a> {
    pub run_uid: &'a str,
    pub recipe: Option<&'a str>,
    pub size: Option<&'a str>,
    pub seed: Option<&'a str>,
}

/// A task result about to become a row.
struct Parsed {
    raw_task: String,
    alias: Option<String>,
    source: &'static str,
    metrics: Vec<(String, f64)>,
    primary_score: Option<f64>,
    primary_metric_name: Option<String>,
    num_instances: Option<i64>,
    details: Object,
    is_suite: bool,
}

/// A metric or detail name as stored: names are logged text and may spell a user or a home
/// path as well as values do. The fixed metric names are left alone.
fn key_name(k: &str, redactor: &Redactor) -> String {
    if KNOWN_METRICS.contains(&k) {
        k.to_owned()
    } else {
        redactor.text(k).into_owned()
    }
}

fn split_metrics(obj: &Object, into: &mut Parsed, redactor: &Redactor) {
    for (k, v) in obj.iter() {
        match (k, v) {
            ("primary_score", _) if f64_lenient(v).is_some() => into.primary_score = f64_lenient(v),
            ("num_instances", _) if i64_lenient(v).is_some() => into.num_instances = i64_lenient(v),
            ("task_config", _) => {
                into.primary_metric_name = v
                    .get("primary_metric")
                    .and_then(Json::as_str)
                    .map(str::to_owned);
                if into.alias.is_none() {
                    into.alias = v
                        .get("metadata")
                        .and_then(|m| m.get("alias"))
                        .and_then(Json::as_str)
                        .map(str::to_owned);
                }
                into.details.push("task_config", redactor.json(v));
            }
            ("extra_metrics", Json::Object(inner)) => {
                let mut rest = Object::default();
                for (ik, iv) in inner.iter() {
                    match iv {
                        Json::Number(n) => into.metrics.push((key_name(ik, redactor), n.as_f64())),
                        other => rest.push(key_name(ik, redactor), redactor.json(other)),
                    }
                }
                if !rest.is_empty() {
                    into.details.push("extra_metrics", Json::Object(rest));
                }
            }
            (_, Json::Number(n)) => {
                if k.ends_with("_macro") || k.ends_with("_micro") {
                    into.is_suite = true;
                }
                into.metrics.push((key_name(k, redactor), n.as_f64()));
            }
            // Lenient: `"NaN"` and other numbers sent as strings.
            (_, Json::String(_)) if f64_lenient(v).is_some() => {
                into.metrics
                    .push((key_name(k, redactor), f64_lenient(v).unwrap_or(f64::NAN)));
            }
            (_, Json::Null) => {}
            _ => into.details.push(key_name(k, redactor), redactor.json(v)),
        }
    }
}

/// The primary score as the source gave it, else the metric the task's policy names (the
/// source's own `primary_metric` first, then the project vocabulary's policy).
fn primary(task: &str, p: &Parsed) -> (Option<String>, Option<f64>) {
    if p.primary_score.is_some() {
        return (p.primary_metric_name.clone(), p.primary_score);
    }
    let name = p.primary_metric_name.clone().or_else(|| {
        runlake_vocab::primary_policy(task)
            .ok()
            .map(|policy| policy.metric.to_owned())
    });
    let score = name
        .as_deref()
        .and_then(|n| p.metrics.iter().find(|(k, _)| k == n).map(|(_, v)| *v));
    (name, score)
}

fn to_row(run: &EvalRun<'_>, p: Parsed, task: String) -> Row {
    let (primary_name, primary_score) = primary(&task, &p);
    let mut r = Row::default();
    r.str("run_uid", run.run_uid);
    r.str("phase", Phase::Posttrain.as_str());
    r.str("task", task);
    r.str("task_alias", p.alias.unwrap_or(p.raw_task));
    r.str("source", p.source);
    r.opt_str("recipe", run.recipe);
    r.opt_str("size", run.size);
    r.opt_str("seed", run.seed);
    r.opt_str("primary_metric_name", primary_name);
    r.opt_f64("primary_score", primary_score);
    r.set("derived", Cell::Bool(false));
    r.opt_i64("num_instances", p.num_instances);
    let mut extra = Vec::new();
    for (k, v) in p.metrics {
        match KNOWN_METRICS.iter().find(|m| **m == k) {
            Some(col) => r.set(col, Cell::F64(v)),
            None => extra.push((k, v)),
        }
    }
    if !extra.is_empty() {
        r.set("extra_metrics", Cell::MapF64(extra));
    }
    if !p.details.is_empty() {
        r.str("details_json", Json::Object(p.details).to_text());
    }
    r
}

fn empty(raw_task: &str, source: &'static str) -> Parsed {
    Parsed {
        raw_task: raw_task.to_owned(),
        alias: None,
        source,
        metrics: Vec::new(),
        primary_score: None,
        primary_metric_name: None,
        num_instances: None,
        details: Object::default(),
        is_suite: false,
    }
}

/// Rows from a run's summary (both shapes).
pub(super) fn summary_rows(
    run: &EvalRun<'_>,
    record: &RunRecord,
    redactor: &Redactor,
    report: &mut Report,
) -> Vec<Row> {
    let mut nested: Vec<Parsed> = Vec::new();
    let mut flat: Vec<Parsed> = Vec::new();
    for (key, value) in record.summary.iter() {
        let Some(rest) = key.strip_prefix(PREFIX) else {
            continue;
        };
        match (rest.split_once('/'), value) {
            (None, Json::Object(obj)) => {
                let mut p = empty(rest, "wandb_summary_nested");
                split_metrics(obj, &mut p, redactor);
                nested.push(p);
            }
            (split, v) => {
                let (task, metric) = split.unwrap_or((rest, "value"));
                let idx = match flat.iter().position(|p| p.raw_task == task) {
                    Some(i) => i,
                    None => {
                        flat.push(empty(task, "wandb_summary_flat"));
                        flat.len() - 1
                    }
                };
                let mut one = Object::default();
                one.push(metric, v.clone());
                split_metrics(&one, &mut flat[idx], redactor);
            }
        }
    }
    // Suites: a flat task is a suite when its nested twin is, or when it has macro/micro keys.
    for p in &mut flat {
        if nested
            .iter()
            .any(|n| n.raw_task == p.raw_task && n.is_suite)
        {
            p.is_suite = true;
        }
    }
    let mut flat_only = Vec::new();
    for f in flat {
        match nested.iter_mut().find(|n| n.raw_task == f.raw_task) {
            Some(n) => merge_flat(n, f, run.run_uid, report),
            None => flat_only.push(f),
        }
    }
    finish(run, nested.into_iter().chain(flat_only), report)
}

/// Folds a task's flat keys into its nested row: nested values win, flat ones fill gaps, and
/// disagreements are kept in `details_json` under `flat_conflicts` and in the report.
fn merge_flat(n: &mut Parsed, f: Parsed, run_uid: &str, report: &mut Report) {
    let mut conflicts = Object::default();
    let mut conflict = |metric: &str, nv: f64, fv: f64, conflicts: &mut Object| {
        conflicts.push(metric, Json::Number(Number::from_f64(fv)));
        report.eval_shape_conflicts.push(EvalConflict {
            run_uid: run_uid.to_owned(),
            task: n.raw_task.clone(),
            metric: metric.to_owned(),
            nested: nv,
            flat: fv,
        });
    };
    for (k, fv) in f.metrics {
        match n.metrics.iter().find(|(nk, _)| *nk == k) {
            Some((_, nv)) if !same(*nv, fv) => conflict(&k, *nv, fv, &mut conflicts),
            Some(_) => {}
            None => n.metrics.push((k, fv)),
        }
    }
    match (n.primary_score, f.primary_score) {
        (None, fv) => n.primary_score = fv,
        (Some(nv), Some(fv)) if !same(nv, fv) => {
            conflict("primary_score", nv, fv, &mut conflicts);
        }
        _ => {}
    }
    n.num_instances = n.num_instances.or(f.num_instances);
    n.primary_metric_name = n.primary_metric_name.take().or(f.primary_metric_name);
    n.alias = n.alias.take().or(f.alias);
    n.is_suite |= f.is_suite;
    for (k, v) in f.details.iter() {
        if n.details.get(k).is_none() {
            n.details.push(k, v.clone());
        }
    }
    if !conflicts.is_empty() {
        n.details.push("flat_conflicts", Json::Object(conflicts));
    }
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Rows from oe-eval task results.
pub(super) fn oe_eval_rows(
    run: &EvalRun<'_>,
    tasks: &[OeEvalTask],
    redactor: &Redactor,
    report: &mut Report,
) -> Vec<Row> {
    let parsed = tasks.iter().map(|t| {
        let mut p = empty(&t.task_name, t.file.as_str());
        p.alias = t.alias.clone();
        p.num_instances = t.num_instances;
        split_metrics(&t.metrics, &mut p, redactor);
        if !t.task_config.is_null() {
            p.primary_metric_name = t
                .task_config
                .get("primary_metric")
                .and_then(Json::as_str)
                .map(str::to_owned);
            p.details.push("task_config", redactor.json(&t.task_config));
        }
        if t.file == crate::model::OeEvalFile::MetricsAll && t.task_idx.is_none() {
            p.is_suite = true;
        }
        p
    });
    finish(run, parsed.collect::<Vec<_>>(), report)
}

/// Assigns canonical names (falling back to the raw spelling when two raw names of one
/// source would collide) and builds the rows.
fn finish(
    run: &EvalRun<'_>,
    parsed: impl IntoIterator<Item = Parsed>,
    report: &mut Report,
) -> Vec<Row> {
    let mut used: Vec<(String, &'static str)> = Vec::new();
    let mut out = Vec::new();
    for p in parsed {
        let mut task = runlake_vocab::task_name(&p.raw_task);
        if used.iter().any(|(t, s)| *t == task && *s == p.source) {
            report.task_name_collisions.push(format!(
                "{}: {} ({}) kept under its raw name",
                run.run_uid, p.raw_task, p.source
            ));
            task = p.raw_task.clone();
        }
        used.push((task.clone(), p.source));
        let suite = p.is_suite.then(|| task.clone());
        let mut r = to_row(run, p, task);
        r.opt_str("suite", suite);
        out.push(r);
    }
    out
}
