//! oe-eval / OLMES output folders.
//!
//! Precedence inside one folder: `metrics-all.jsonl` lines first (exact duplicate lines
//! dropped; a second, different line for the same task is reported and not used); then
//! `task-NNN-<task>-metrics.json` files for tasks the lines lack (older dumps have fewer
//! lines); then `metrics.json` entries for tasks neither has. The task-index prefix is never
//! used to join, since dumps reuse it across unrelated benchmarks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{field_err, jsonl, origin, read_text};
use crate::coerce::{f64_lenient, i64_lenient};
use crate::error::{Result, WandbError};
use crate::json::{self, Json, Number, Object};
use crate::model::{OeEvalDump, OeEvalFile, OeEvalTask, Origin};

/// The folder holding the result files: `dir` itself or its `eval_results/` child.
pub(crate) fn results_dir(dir: &Path) -> Option<PathBuf> {
    let has_results = |d: &Path| {
        d.join("metrics-all.jsonl").is_file()
            || d.join("metrics.json").is_file()
            || task_metric_files(d).is_ok_and(|f| !f.is_empty())
    };
    if has_results(dir) {
        return Some(dir.to_owned());
    }
    let nested = dir.join("eval_results");
    has_results(&nested).then_some(nested)
}

/// The `task-*-metrics.json` files of `dir` in name order, each file once (a task file linked
/// under a second name is not a second task).
fn task_metric_files(dir: &Path) -> Result<Vec<PathBuf>, runlake_walk::WalkError> {
    let mut out = runlake_walk::Walker::new().entries(dir)?;
    out.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("task-") && n.ends_with("-metrics.json"))
    });
    Ok(out)
}

/// Reads one oe-eval output folder (or its parent holding `eval_results/`).
pub fn read_oe_eval_folder(dir: &Path) -> Result<OeEvalDump> {
    let results = results_dir(dir).ok_or_else(|| WandbError::UnknownInput {
        path: dir.to_owned(),
    })?;
    let mut dump = OeEvalDump {
        folder: dir.to_owned(),
        ..OeEvalDump::default()
    };
    let mut seen_lines: HashSet<String> = HashSet::new();

    let all = results.join("metrics-all.jsonl");
    if all.is_file() {
        let text = read_text(&all)?;
        for item in jsonl(&all, &text) {
            let (line, value) = item?;
            let o = origin(&all, line);
            if !seen_lines.insert(value.to_canonical_text()) {
                dump.duplicate_lines += 1;
                continue;
            }
            let Json::Object(obj) = value else {
                return Err(field_err(&o, "task_name", "expected an object per line"));
            };
            note_model_path(&obj, &mut dump);
            let task = task_from_record(&obj, OeEvalFile::MetricsAll, o)?;
            add_task(&mut dump, task);
        }
    }

    for file in task_metric_files(&results).map_err(|e| WandbError::Io {
        path: e.path,
        source: e.source,
    })? {
        let o = origin(&file, 0);
        let obj = match parse_file(&file)? {
            Json::Object(obj) => obj,
            _ => return Err(field_err(&o, "task_name", "expected an object")),
        };
        note_model_path(&obj, &mut dump);
        let task = task_from_record(&obj, OeEvalFile::TaskMetrics, o)?;
        if !has_task(&dump, &task.task_name, task.alias.as_deref()) {
            dump.tasks.push(task);
        }
    }

    let summary = results.join("metrics.json");
    if summary.is_file() {
        read_metrics_json(&summary, &mut dump)?;
    }
    Ok(dump)
}

fn parse_file(path: &Path) -> Result<Json> {
    json::parse(&read_text(path)?).map_err(|source| WandbError::Json {
        path: path.to_owned(),
        line: 0,
        field: None,
        source,
    })
}

fn note_model_path(obj: &Object, dump: &mut OeEvalDump) {
    let Some(cfg) = obj.get("model_config") else {
        return;
    };
    for key in ["model_path", "model"] {
        if let Some(p) = cfg.get(key).and_then(Json::as_str)
            && !dump.model_paths.iter().any(|q| q == p)
        {
            dump.model_paths.push(p.to_owned());
        }
    }
}

fn alias_of(task_config: &Json) -> Option<String> {
    task_config
        .get("metadata")
        .and_then(|m| m.get("alias"))
        .and_then(Json::as_str)
        .map(str::to_owned)
}

fn task_from_record(obj: &Object, file: OeEvalFile, o: Origin) -> Result<OeEvalTask> {
    let task_config = obj.get("task_config").cloned().unwrap_or(Json::Null);
    let task_name = match obj.get("task_name").and_then(Json::as_str) {
        Some(t) => t.to_owned(),
        None => task_config
            .get("task_name")
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| field_err(&o, "task_name", "missing"))?,
    };
    let metrics = match obj.get("metrics") {
        Some(Json::Object(m)) => m.clone(),
        None | Some(Json::Null) => Object::default(),
        Some(other) => {
            return Err(field_err(
                &o,
                "metrics",
                format!("expected an object, found {}", super::kind_name(other)),
            ));
        }
    };
    Ok(OeEvalTask {
        alias: alias_of(&task_config),
        task_idx: obj.get("task_idx").and_then(i64_lenient),
        num_instances: obj.get("num_instances").and_then(i64_lenient),
        task_name,
        metrics,
        task_config,
        file,
        origin: o,
    })
}

fn has_task(dump: &OeEvalDump, name: &str, alias: Option<&str>) -> bool {
    dump.tasks.iter().any(|t| {
        t.task_name == name
            || t.alias.as_deref() == Some(name)
            || alias.is_some_and(|a| t.task_name == a || t.alias.as_deref() == Some(a))
    })
}

fn add_task(dump: &mut OeEvalDump, task: OeEvalTask) {
    if let Some(kept) = dump.tasks.iter().find(|t| t.task_name == task.task_name) {
        dump.conflicting_lines.push((
            task.task_name.clone(),
            format!("{}:{}", kept.origin.path.display(), kept.origin.line),
            format!("{}:{}", task.origin.path.display(), task.origin.line),
        ));
        return;
    }
    dump.tasks.push(task);
}

fn read_metrics_json(path: &Path, dump: &mut OeEvalDump) -> Result<()> {
    let o = origin(path, 0);
    let Json::Object(obj) = parse_file(path)? else {
        return Err(field_err(&o, "all_primary_scores", "expected an object"));
    };
    note_model_path(&obj, dump);
    if let Some(Json::Array(tasks)) = obj.get("tasks") {
        for t in tasks {
            let Some(alias) = t.get("alias").and_then(Json::as_str) else {
                return Err(field_err(&o, "tasks.alias", "missing"));
            };
            if has_task(dump, alias, None) {
                continue;
            }
            let metrics = t
                .get("metrics")
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default();
            dump.tasks.push(OeEvalTask {
                task_name: alias.to_owned(),
                alias: Some(alias.to_owned()),
                task_idx: None,
                metrics,
                task_config: t.get("task_config").cloned().unwrap_or(Json::Null),
                num_instances: t.get("num_instances").and_then(i64_lenient),
                file: OeEvalFile::MetricsJson,
                origin: o.clone(),
            });
        }
    }
    if let Some(Json::Array(scores)) = obj.get("all_primary_scores") {
        for s in scores {
            let Some(text) = s.as_str() else {
                return Err(field_err(&o, "all_primary_scores", "expected strings"));
            };
            // `<alias>: <score>`; aliases contain `:` themselves, so split at the last `: `.
            let Some((alias, score)) = text.rsplit_once(": ") else {
                return Err(field_err(
                    &o,
                    "all_primary_scores",
                    format!("expected `<task>: <score>`, found {text:?}"),
                ));
            };
            let score = f64_lenient(&Json::String(score.to_owned())).ok_or_else(|| {
                field_err(
                    &o,
                    "all_primary_scores",
                    format!("not a number in {text:?}"),
                )
            })?;
            if has_task(dump, alias, None) {
                continue;
            }
            let mut metrics = Object::default();
            metrics.push("primary_score", Json::Number(Number::from_f64(score)));
            dump.tasks.push(OeEvalTask {
                task_name: alias.to_owned(),
                alias: Some(alias.to_owned()),
                task_idx: None,
                metrics,
                task_config: Json::Null,
                num_instances: None,
                file: OeEvalFile::MetricsJson,
                origin: o.clone(),
            });
        }
    }
    Ok(())
}
