//! dr_wandb v0 JSONL exports: `wandb_runs.jsonl` (one object per run) and
//! `wandb_history.jsonl` (one JSON array of rows per line).

use std::path::Path;

use super::{
    field_err, history_row, json_field, jsonl, object_field, opt_string, origin, read_text,
    required_id,
};
use crate::error::Result;
use crate::json::{Json, Object};
use crate::model::{Inputs, Origin, RunRecord, RunSource};

pub(crate) fn read_runs_jsonl(path: &Path, inputs: &mut Inputs) -> Result<()> {
    super::each_jsonl_line(path, &mut |line, offset, value| {
        let record = line_record(value, origin(path, line))?;
        inputs.add_run(record, offset);
        Ok(())
    })?;
    inputs.files.push(path.to_owned());
    Ok(())
}

/// The record of one `wandb_runs.jsonl` line.
pub(crate) fn line_record(value: Json, o: Origin) -> Result<RunRecord> {
    let Json::Object(obj) = value else {
        return Err(field_err(&o, "run_id", "expected an object per line"));
    };
    legacy_run(&obj, RunSource::WandbLegacyJsonl, o)
}

pub(crate) fn read_history_jsonl(path: &Path, inputs: &mut Inputs) -> Result<()> {
    let text = read_text(path)?;
    for item in jsonl(path, &text) {
        let (line, value) = item?;
        let rows = match value {
            Json::Array(rows) => rows,
            Json::Object(o) => vec![Json::Object(o)],
            other => {
                return Err(field_err(
                    &origin(path, line),
                    "run_id",
                    format!(
                        "expected an array of rows, found {}",
                        super::kind_name(&other)
                    ),
                ));
            }
        };
        for row in rows {
            let o = origin(path, line);
            let Json::Object(row) = row else {
                return Err(field_err(
                    &o,
                    "run_id",
                    "expected an object in the row array",
                ));
            };
            inputs.history.push(history_row(&row, o)?);
        }
    }
    inputs.files.push(path.to_owned());
    Ok(())
}

/// A run in the dr_wandb v0 record shape; JSON columns may be objects or JSON text.
pub(crate) fn legacy_run(obj: &Object, source: RunSource, o: Origin) -> Result<RunRecord> {
    let run_id = required_id(obj, "run_id", &o)?;
    let config = object_field(obj, "config", &o)?;
    let summary = object_field(obj, "summary", &o)?;
    let metadata = json_field(obj, "wandb_metadata", &o)?;
    let system_attrs = object_field(obj, "system_attrs", &o)?;
    let mut attrs = Object::default();
    for key in ["system_metrics", "sweep_info"] {
        let v = json_field(obj, key, &o)?;
        if !v.is_null() {
            attrs.push(key, v);
        }
    }
    let tags = match system_attrs.get("tags") {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let updated_at = obj
        .get("updated_at")
        .cloned()
        .or_else(|| system_attrs.get("updatedAt").cloned())
        .unwrap_or(Json::Null);
    if !system_attrs.is_empty() {
        attrs.push("system_attrs", Json::Object(system_attrs));
    }
    for (k, v) in obj.iter() {
        if !matches!(
            k,
            "run_id"
                | "run_name"
                | "state"
                | "project"
                | "entity"
                | "created_at"
                | "updated_at"
                | "config"
                | "summary"
                | "wandb_metadata"
                | "system_metrics"
                | "system_attrs"
                | "sweep_info"
        ) {
            attrs.push(k, v.clone());
        }
    }
    Ok(RunRecord {
        name: opt_string(obj, "run_name"),
        entity: opt_string(obj, "entity"),
        project: opt_string(obj, "project"),
        state: opt_string(obj, "state"),
        created_at: obj.get("created_at").cloned().unwrap_or(Json::Null),
        updated_at,
        tags,
        config,
        summary,
        metadata,
        attrs,
        exported_at: Json::Null,
        source,
        origin: o,
        run_id,
        packed: None,
    })
}
