//! dr_wandb v3 export folders: `manifest.json`, `state.json`, `runs.jsonl`, `history.jsonl`.

use std::path::Path;

use super::{history_row, jsonl, object_field, opt_string, origin, read_text, required_id};
use crate::error::{Result, WandbError};
use crate::json::{self, Json, Object};
use crate::model::{Inputs, RunRecord, RunSource};

/// Entity and project from the export manifest, used when a run record lacks them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExportDefaults {
    entity: Option<String>,
    project: Option<String>,
}

pub(crate) fn read_folder(dir: &Path, inputs: &mut Inputs) -> Result<()> {
    let manifest_path = dir.join("manifest.json");
    let manifest = json::parse(&read_text(&manifest_path)?).map_err(|source| WandbError::Json {
        path: manifest_path.clone(),
        line: 1,
        field: None,
        source,
    })?;
    inputs.files.push(manifest_path);
    let defaults = ExportDefaults {
        entity: manifest
            .get("entity")
            .and_then(Json::as_str)
            .map(str::to_owned),
        project: manifest
            .get("project")
            .and_then(Json::as_str)
            .map(str::to_owned),
    };
    let file = |key: &str, default: &str| {
        let name = manifest.get(key).and_then(Json::as_str).unwrap_or(default);
        // Paths in the manifest may be absolute paths of the exporting machine; only the file
        // name is meaningful once the folder has been copied.
        let name = Path::new(name).file_name().map(|n| n.to_owned());
        dir.join(name.unwrap_or_else(|| default.into()))
    };
    let runs = file("runs_path", "runs.jsonl");
    if runs.exists() {
        read_runs_file(&runs, &defaults, inputs)?;
    }
    let history = file("history_path", "history.jsonl");
    if history.exists() {
        read_history_file(&history, inputs)?;
    }
    Ok(())
}

pub(crate) fn read_runs_file(
    path: &Path,
    defaults: &ExportDefaults,
    inputs: &mut Inputs,
) -> Result<()> {
    let text = read_text(path)?;
    for (line, value) in jsonl(path, &text)? {
        let o = origin(path, line);
        let Json::Object(snapshot) = value else {
            return Err(super::field_err(&o, "run", "expected an object per line"));
        };
        let (run, exported_at) = match snapshot.get("run") {
            Some(Json::Object(run)) => (
                run.clone(),
                snapshot.get("exported_at").cloned().unwrap_or(Json::Null),
            ),
            _ => (snapshot, Json::Null),
        };
        inputs.runs.push(run_record(run, exported_at, defaults, o)?);
    }
    inputs.files.push(path.to_owned());
    Ok(())
}

fn run_record(
    mut run: Object,
    exported_at: Json,
    defaults: &ExportDefaults,
    o: crate::model::Origin,
) -> Result<RunRecord> {
    let run_id = required_id(&run, "run_id", &o).or_else(|_| required_id(&run, "id", &o))?;
    let config = object_field(&run, "config", &o)?;
    let summary = match run.get("summary_metrics") {
        Some(_) => object_field(&run, "summary_metrics", &o)?,
        None => object_field(&run, "summary", &o)?,
    };
    let tags = match run.get("tags") {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let record = RunRecord {
        name: opt_string(&run, "name").or_else(|| opt_string(&run, "display_name")),
        entity: opt_string(&run, "entity").or_else(|| defaults.entity.clone()),
        project: opt_string(&run, "project").or_else(|| defaults.project.clone()),
        state: opt_string(&run, "state"),
        created_at: run.get("created_at").cloned().unwrap_or(Json::Null),
        updated_at: run.get("updated_at").cloned().unwrap_or(Json::Null),
        tags,
        config,
        summary,
        metadata: run.get("metadata").cloned().unwrap_or(Json::Null),
        attrs: Object::default(),
        exported_at,
        source: RunSource::WandbV3,
        origin: o,
        run_id,
    };
    for key in [
        "run_id",
        "id",
        "name",
        "entity",
        "project",
        "state",
        "created_at",
        "updated_at",
        "tags",
        "config",
        "summary_metrics",
        "summary",
        "metadata",
    ] {
        run.remove(key);
    }
    Ok(RunRecord {
        attrs: run,
        ..record
    })
}

pub(crate) fn read_history_file(path: &Path, inputs: &mut Inputs) -> Result<()> {
    let text = read_text(path)?;
    for (line, value) in jsonl(path, &text)? {
        let o = origin(path, line);
        let Json::Object(row) = value else {
            return Err(super::field_err(
                &o,
                "run_id",
                "expected an object per line",
            ));
        };
        inputs.history.push(history_row(&row, o)?);
    }
    inputs.files.push(path.to_owned());
    Ok(())
}
