//! dr_wandb v3 export folders: `manifest.json`, `state.json`, `runs.jsonl`, `history.jsonl`.

use std::collections::HashMap;
use std::path::Path;

use super::{history_row, jsonl, object_field, opt_string, origin, read_text, required_id};
use crate::error::{Result, WandbError};
use crate::json::{self, Json, Object};
use crate::model::{Inputs, RunRecord, RunSource, ShortExport};

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
    inputs.files.push(manifest_path.clone());
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
    let runs_before = inputs.runs.len();
    if runs.exists() {
        read_runs_file(&runs, &defaults, inputs)?;
    }
    let mut run_ids: Vec<&str> = inputs.runs[runs_before..]
        .iter()
        .map(|r| r.run_id.as_str())
        .collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    let runs_found = run_ids.len();
    let history = file("history_path", "history.jsonl");
    let history_before = inputs.history.len();
    if history.exists() {
        read_history_file(&history, inputs)?;
    }
    // A run id is unique only within its entity and project: the rows of this export belong
    // to this export's runs, not to a namesake in another export.
    let runs_read: HashMap<&str, &RunRecord> = inputs.runs[runs_before..]
        .iter()
        .map(|r| (r.run_id.as_str(), r))
        .collect();
    for row in &mut inputs.history[history_before..] {
        let run = runs_read.get(row.run_id.as_str());
        row.entity = run.map_or(defaults.entity.clone(), |r| r.entity.clone());
        row.project = run.map_or(defaults.project.clone(), |r| r.project.clone());
    }
    let history_found = inputs.history.len() - history_before;
    for (key, file, what, found) in [
        ("run_count", runs, "runs", runs_found),
        ("history_count", history, "history rows", history_found),
    ] {
        let promised = manifest.get(key).and_then(crate::coerce::i64_lenient);
        if let Some(promised) = promised.and_then(|n| u64::try_from(n).ok())
            && (found as u64) < promised
        {
            inputs.short_exports.push(ShortExport {
                manifest: manifest_path.clone(),
                file,
                what,
                promised,
                found,
            });
        }
    }
    Ok(())
}

pub(crate) fn read_runs_file(
    path: &Path,
    defaults: &ExportDefaults,
    inputs: &mut Inputs,
) -> Result<()> {
    super::each_jsonl_line(path, &mut |line, offset, value| {
        let record = line_record(value, defaults, origin(path, line))?;
        inputs.add_run(record, offset);
        Ok(())
    })?;
    inputs.files.push(path.to_owned());
    Ok(())
}

/// The record of one `runs.jsonl` line: a snapshot (`{"run": {...}, "exported_at": ...}`) or
/// a bare run.
pub(crate) fn line_record(
    value: Json,
    defaults: &ExportDefaults,
    o: crate::model::Origin,
) -> Result<RunRecord> {
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
    run_record(run, exported_at, defaults, o)
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
        packed: None,
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
    for item in jsonl(path, &text) {
        let (line, value) = item?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn export(dir: &Path, manifest: &str, runs: &[&str], history: Option<&[&str]>) {
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::write(dir.join("manifest.json"), manifest).expect("manifest");
        let lines = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
        std::fs::write(dir.join("runs.jsonl"), lines(runs)).expect("runs");
        if let Some(h) = history {
            std::fs::write(dir.join("history.jsonl"), lines(h)).expect("history");
        }
    }

    const RUN_A: &str =
        r#"{"run":{"run_id":"a","config":{}},"exported_at":"2026-01-01T00:00:00Z"}"#;
    const RUN_B: &str =
        r#"{"run":{"run_id":"b","config":{}},"exported_at":"2026-01-01T00:00:00Z"}"#;
    const ROW: &str = r#"{"run_id":"a","step":1,"metrics":{"loss":1}}"#;

    #[test]
    fn fewer_runs_or_rows_than_the_manifest_promises_are_reported() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("ft");
        export(
            &dir,
            r#"{"entity":"e","project":"p","run_count":3,"history_count":4}"#,
            &[RUN_A, RUN_B],
            None,
        );
        let mut inputs = Inputs::default();
        read_folder(&dir, &mut inputs).expect("read");
        assert_eq!(inputs.runs.len(), 2);
        let short: Vec<String> = inputs.short_exports.iter().map(|s| s.to_string()).collect();
        let (runs, history, manifest) = (
            dir.join("runs.jsonl"),
            dir.join("history.jsonl"),
            dir.join("manifest.json"),
        );
        assert_eq!(
            short,
            [
                format!(
                    "{}: holds 2 runs, but {} promises 3",
                    runs.display(),
                    manifest.display()
                ),
                format!(
                    "{}: holds 0 history rows, but {} promises 4",
                    history.display(),
                    manifest.display()
                ),
            ]
        );
        let built = crate::build(inputs, &[], &crate::BuildOptions::default()).expect("build");
        assert_eq!(built.report.warnings(), short);
    }

    #[test]
    fn a_complete_export_reports_nothing() {
        let tmp = tempfile::tempdir().expect("tmp");
        // A repeated snapshot line is one run, not two.
        export(
            tmp.path(),
            r#"{"entity":"e","project":"p","run_count":2,"history_count":1}"#,
            &[RUN_A, RUN_B, RUN_A],
            Some(&[ROW]),
        );
        let mut inputs = Inputs::default();
        read_folder(tmp.path(), &mut inputs).expect("read");
        assert_eq!(inputs.short_exports, []);
    }

    #[test]
    fn history_rows_carry_their_export_scope() {
        let tmp = tempfile::tempdir().expect("tmp");
        export(
            tmp.path(),
            r#"{"entity":"lab","project":"x/y"}"#,
            &[RUN_A],
            Some(&[ROW, r#"{"run_id":"zz","step":1,"metrics":{}}"#]),
        );
        let mut inputs = Inputs::default();
        read_folder(tmp.path(), &mut inputs).expect("read");
        for h in &inputs.history {
            assert_eq!(h.entity.as_deref(), Some("lab"));
            assert_eq!(h.project.as_deref(), Some("x/y"));
        }
    }
}
