//! Readers for every post-training input kind, and detection of the kind from a path.

mod detect;
mod legacy;
mod oe_eval;
mod parquet_io;
mod reread;
mod v3;

use std::path::{Path, PathBuf};

pub use detect::{InputKind, detect};
pub use oe_eval::read_oe_eval_folder;
pub(crate) use parquet_io::{read_history_rows, unreadable};
pub(crate) use reread::Reread;

use crate::error::{RejectedRow, Result, RowProblem, WandbError};
use crate::json::{self, Json, Object};
use crate::model::{HistoryRow, Inputs, Origin};

/// Reads one input path (file or folder) of the given kind into `inputs`, every row into
/// memory.
pub fn read_input(path: &Path, kind: &InputKind, inputs: &mut Inputs) -> Result<()> {
    read_input_with(path, kind, inputs, false)
}

/// Reads one input like [`read_input`], except that flat history Parquet files are scanned
/// rather than held ([`Inputs::streamed`]); conversion reads their rows again when staging.
pub fn scan_input(path: &Path, kind: &InputKind, inputs: &mut Inputs) -> Result<()> {
    read_input_with(path, kind, inputs, true)
}

fn read_input_with(path: &Path, kind: &InputKind, inputs: &mut Inputs, stream: bool) -> Result<()> {
    match kind {
        InputKind::WandbV3 => v3::read_folder(path, inputs),
        InputKind::RunsJsonl => legacy::read_runs_jsonl(path, inputs),
        InputKind::HistoryJsonl => legacy::read_history_jsonl(path, inputs),
        InputKind::V3RunsJsonl => v3::read_runs_file(path, &v3::ExportDefaults::default(), inputs),
        InputKind::V3HistoryJsonl => v3::read_history_file(path, inputs),
        InputKind::RunsParquet => parquet_io::read_runs(path, inputs),
        InputKind::HistoryParquet if stream => parquet_io::scan_history(path, inputs),
        InputKind::HistoryParquet => parquet_io::read_history_rows(path, inputs),
        InputKind::OeEval => {
            let folder = if path.is_file() {
                path.parent().unwrap_or(path)
            } else {
                path
            };
            let dump = read_oe_eval_folder(folder)?;
            inputs.oe_eval.push(dump);
            Ok(())
        }
        InputKind::Folder(children) => {
            for (child, kind) in children {
                read_input_with(child, kind, inputs, stream)?;
            }
            Ok(())
        }
    }
}

/// Reads a path after detecting its kind.
pub fn read_path(path: &Path, inputs: &mut Inputs) -> Result<()> {
    let kind = detect(path)?;
    read_input(path, &kind, inputs)
}

pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| WandbError::Io {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let (line, column) = text_position(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
        WandbError::Utf8 {
            path: path.to_owned(),
            line,
            column,
        }
    })
}

/// The 1-based line and byte column just after `before`.
fn text_position(before: &[u8]) -> (usize, usize) {
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    (line, before.len() - line_start + 1)
}

/// Calls `f` with each non-blank line of the JSONL file at `path`, parsed leniently, with its
/// 1-based number and the byte it starts at. The file is read a line at a time, never whole.
pub(crate) fn each_jsonl_line(
    path: &Path,
    f: &mut dyn FnMut(usize, u64, Json) -> Result<()>,
) -> Result<()> {
    let io = |source| WandbError::Io {
        path: path.to_owned(),
        source,
    };
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let mut bytes = Vec::new();
    let (mut line, mut offset) = (0, 0u64);
    loop {
        bytes.clear();
        let n = std::io::BufRead::read_until(&mut reader, b'\n', &mut bytes).map_err(io)?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        let start = offset;
        offset += n as u64;
        let Some(value) = parse_line(path, line, &bytes)? else {
            continue;
        };
        f(line, start, value)?;
    }
}

/// One line of a JSONL file as read with its end: parsed, or `None` when blank.
pub(crate) fn parse_line(path: &Path, line: usize, bytes: &[u8]) -> Result<Option<Json>> {
    let text = std::str::from_utf8(bytes).map_err(|e| WandbError::Utf8 {
        path: path.to_owned(),
        line,
        column: e.valid_up_to() + 1,
    })?;
    // As `str::lines` splits: at `\n`, dropping a `\r` before it.
    let text = match text.strip_suffix('\n') {
        Some(t) => t.strip_suffix('\r').unwrap_or(t),
        None => text,
    };
    parse_text_line(path, line, text)
}

/// One line of JSONL text without its end: parsed, or `None` when blank.
fn parse_text_line(path: &Path, line: usize, text: &str) -> Result<Option<Json>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    json::parse(text)
        .map(Some)
        .map_err(|source| WandbError::Json {
            path: path.to_owned(),
            line,
            field: None,
            source,
        })
}

/// Non-blank lines of a JSONL text, parsed leniently, with 1-based line numbers.
pub(crate) fn jsonl<'a>(
    path: &'a Path,
    text: &'a str,
) -> impl Iterator<Item = Result<(usize, Json)>> + 'a {
    // Parsed a line at a time, so a large file is never held as values all at once.
    text.lines().enumerate().filter_map(move |(i, line)| {
        parse_text_line(path, i + 1, line)
            .transpose()
            .map(|v| v.map(|v| (i + 1, v)))
    })
}

pub(crate) fn field_err(origin: &Origin, field: &str, reason: impl Into<String>) -> WandbError {
    WandbError::Field {
        path: origin.path.clone(),
        line: origin.line,
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A required string-ish id field (numbers are accepted by their spelling).
pub(crate) fn required_id(obj: &Object, key: &str, origin: &Origin) -> Result<String> {
    match obj.get(key) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Json::Number(n)) => Ok(n.raw().to_owned()),
        Some(other) => Err(field_err(
            origin,
            key,
            format!("expected a non-empty string, found {}", other.to_text()),
        )),
        None => Err(field_err(origin, key, "missing")),
    }
}

pub(crate) fn opt_string(obj: &Object, key: &str) -> Option<String> {
    match obj.get(key) {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.raw().to_owned()),
        _ => None,
    }
}

/// An object-valued field that may also arrive as a JSON string (dr_wandb v0 Parquet style).
pub(crate) fn object_field(obj: &Object, key: &str, origin: &Origin) -> Result<Object> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(Object::default()),
        Some(Json::Object(o)) => Ok(o.clone()),
        Some(Json::String(s)) => match json::parse(s) {
            Ok(Json::Object(o)) => Ok(o),
            Ok(Json::Null) => Ok(Object::default()),
            Ok(other) => Err(field_err(
                origin,
                key,
                format!("expected an object, found {}", kind_name(&other)),
            )),
            Err(source) => Err(WandbError::Json {
                path: origin.path.clone(),
                line: origin.line,
                field: Some(key.to_owned()),
                source,
            }),
        },
        Some(other) => Err(field_err(
            origin,
            key,
            format!("expected an object, found {}", kind_name(other)),
        )),
    }
}

/// Any JSON value that may also arrive as JSON text.
pub(crate) fn json_field(obj: &Object, key: &str, origin: &Origin) -> Result<Json> {
    match obj.get(key) {
        None => Ok(Json::Null),
        Some(Json::String(s)) if looks_like_json_container(s) => {
            json::parse(s).map_err(|source| WandbError::Json {
                path: origin.path.clone(),
                line: origin.line,
                field: Some(key.to_owned()),
                source,
            })
        }
        Some(v) => Ok(v.clone()),
    }
}

fn looks_like_json_container(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

pub(crate) fn kind_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A history row in the dr_wandb shape `{run_id, step, timestamp, runtime, wandb_metadata,
/// metrics, extra}`. Rows exported straight from `scan_history` (`_step`, `_runtime`, ...
/// beside the metrics) are accepted as well.
pub(crate) fn history_row(obj: &Object, origin: Origin) -> Result<HistoryRow> {
    let run_id = required_id(obj, "run_id", &origin)?;
    let has_metrics = obj.get("metrics").is_some();
    let mut metrics = object_field(obj, "metrics", &origin)?;
    let mut extra = object_field(obj, "extra", &origin)?;
    if !has_metrics {
        // Flat row: every non-structural key is a metric, underscore keys are extra.
        for (k, v) in obj.iter() {
            if matches!(
                k,
                "run_id" | "step" | "timestamp" | "runtime" | "wandb_metadata" | "extra"
            ) || matches!(k, "_step" | "_runtime" | "_timestamp" | "_wandb")
            {
                continue;
            }
            if k.starts_with('_') {
                extra.push(k, v.clone());
            } else {
                metrics.push(k, v.clone());
            }
        }
    }
    let step = history_step(obj, has_metrics, &origin)?;
    let pick = |a: &str, b: &str| {
        obj.get(a)
            .filter(|v| !v.is_null())
            .or_else(|| obj.get(b))
            .cloned()
            .unwrap_or(Json::Null)
    };
    Ok(HistoryRow {
        run_id,
        entity: None,
        project: None,
        step,
        timestamp: pick("timestamp", "_timestamp"),
        runtime: pick("runtime", "_runtime"),
        metrics,
        extra,
        wandb_metadata: pick("wandb_metadata", "_wandb"),
        origin,
    })
}

/// The step of a history row: `step` in the dr_wandb shape, `_step` in a flat `scan_history`
/// row (either is read when the other is absent or null). Rows without a usable step are
/// rejected rather than dropped; `100.0` and `"100"` are read as 100.
fn history_step(obj: &Object, dr_wandb_shape: bool, origin: &Origin) -> Result<i64, RejectedRow> {
    let present = |k: &'static str| obj.get(k).filter(|v| !v.is_null()).map(|v| (k, v));
    let found = present("step").or_else(|| present("_step"));
    let reject = |field: &str, problem: RowProblem| RejectedRow {
        path: origin.path.clone(),
        line: origin.line,
        field: field.to_owned(),
        problem,
    };
    let Some((field, value)) = found else {
        let named = ["step", "_step"].into_iter().find(|k| obj.get(k).is_some());
        return Err(match named {
            Some(k) => reject(k, RowProblem::NullStep),
            None if dr_wandb_shape => reject("step", RowProblem::MissingStep),
            None => reject("_step", RowProblem::MissingStep),
        });
    };
    match crate::coerce::i64_lenient(value) {
        Some(step) if step >= 0 => Ok(step),
        Some(step) => Err(reject(field, RowProblem::NegativeStep(step))),
        None => Err(reject(field, RowProblem::NonIntegerStep(value.to_text()))),
    }
}

pub(crate) fn origin(path: &Path, line: usize) -> Origin {
    Origin {
        path: PathBuf::from(path),
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str) -> Result<HistoryRow> {
        let Json::Object(obj) = json::parse(text).expect("json") else {
            panic!("not an object: {text}")
        };
        history_row(&obj, origin(Path::new("export/history.jsonl"), 7))
    }

    fn rejected(text: &str) -> RejectedRow {
        match row(text) {
            Err(WandbError::Rejected(r)) => r,
            other => panic!("{text}: expected a rejected row, got {other:?}"),
        }
    }

    #[test]
    fn integral_steps_are_read() {
        for (text, step) in [
            (r#"{"run_id":"r","step":100,"metrics":{}}"#, 100),
            (r#"{"run_id":"r","step":100.0,"metrics":{}}"#, 100),
            (r#"{"run_id":"r","step":"12","metrics":{}}"#, 12),
            (r#"{"run_id":"r","step":0,"metrics":{}}"#, 0),
            (r#"{"run_id":"r","_step":5,"loss":1}"#, 5),
            // A null `step` beside a usable `_step` is no loss.
            (r#"{"run_id":"r","step":null,"_step":3,"loss":1}"#, 3),
        ] {
            assert_eq!(row(text).expect(text).step, step, "{text}");
        }
    }

    #[test]
    fn unusable_steps_reject_the_row_naming_file_line_and_field() {
        for (text, field, problem) in [
            (
                r#"{"run_id":"r","step":null,"metrics":{}}"#,
                "step",
                RowProblem::NullStep,
            ),
            (
                r#"{"run_id":"r","step":-1,"metrics":{}}"#,
                "step",
                RowProblem::NegativeStep(-1),
            ),
            (
                r#"{"run_id":"r","step":1.5,"metrics":{}}"#,
                "step",
                RowProblem::NonIntegerStep("1.5".into()),
            ),
            (
                r#"{"run_id":"r","step":"abc","metrics":{}}"#,
                "step",
                RowProblem::NonIntegerStep("\"abc\"".into()),
            ),
            (
                r#"{"run_id":"r","step":true,"metrics":{}}"#,
                "step",
                RowProblem::NonIntegerStep("true".into()),
            ),
            (
                r#"{"run_id":"r","metrics":{}}"#,
                "step",
                RowProblem::MissingStep,
            ),
            (
                r#"{"run_id":"r","_step":null,"loss":1}"#,
                "_step",
                RowProblem::NullStep,
            ),
            (
                r#"{"run_id":"r","_step":-3,"loss":1}"#,
                "_step",
                RowProblem::NegativeStep(-3),
            ),
            (
                r#"{"run_id":"r","loss":1}"#,
                "_step",
                RowProblem::MissingStep,
            ),
        ] {
            let r = rejected(text);
            assert_eq!(r.path, Path::new("export/history.jsonl"), "{text}");
            assert_eq!(r.line, 7, "{text}");
            assert_eq!(r.field, field, "{text}");
            assert_eq!(r.problem, problem, "{text}");
            let message = WandbError::from(r).to_string();
            assert!(
                message.starts_with(&format!("export/history.jsonl:7: field `{field}`: ")),
                "{message}"
            );
        }
    }

    #[test]
    fn a_bad_step_in_a_file_stops_the_read_with_its_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("history.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"run_id":"r","step":1,"metrics":{"loss":1}}"#,
                "\n\n",
                r#"{"run_id":"r","step":null,"metrics":{"loss":2}}"#,
                "\n"
            ),
        )
        .expect("write");
        let mut inputs = Inputs::default();
        let err = read_input(&path, &InputKind::V3HistoryJsonl, &mut inputs).expect_err("null");
        let r = err.rejected_row().expect("a rejected row");
        assert_eq!((r.path.as_path(), r.line), (path.as_path(), 3));
        assert_eq!(r.problem, RowProblem::NullStep);
    }

    #[test]
    fn text_position_counts_lines_and_bytes() {
        assert_eq!(text_position(b""), (1, 1));
        assert_eq!(text_position(b"ab"), (1, 3));
        assert_eq!(text_position(b"ab\n"), (2, 1));
        assert_eq!(text_position(b"{}\n{}\n{\"a\": \""), (3, 8));
    }

    #[test]
    fn invalid_utf8_names_the_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("history.jsonl");
        std::fs::write(&path, b"{\"run_id\": \"a\"}\n{\"run_id\": \"\xff\"}\n").expect("write");
        let err = read_path(&path, &mut Inputs::default()).expect_err("not UTF-8");
        assert_eq!(
            err.to_string(),
            format!(
                "{}:2: not valid UTF-8 (from byte 13 of the line)",
                path.display()
            )
        );
    }
}
