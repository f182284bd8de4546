//! Reading many inputs into one [`Inputs`], where an input that fails to read either stops the
//! conversion or is recorded as a [`Rejection`] and left out whole.
//!
//! An input is read into its own [`Inputs`] first and merged only when it read cleanly, so a
//! skipped input contributes nothing. A folder's files are separate inputs: one bad file skips
//! that file, not its siblings.

use std::path::{Path, PathBuf};

use crate::error::{Result, WandbError};
use crate::model::Inputs;
use crate::read::{self, InputKind};

/// What to do with an input or record that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Stop with the error (the default).
    #[default]
    Fail,
    /// Record it as a rejection and go on without it.
    Skip,
}

/// Something left out under [`OnError::Skip`], with where and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// File, and line or row when known (`path:line`).
    pub at: String,
    /// The offending field, or `<file>` / `<folder>` when the whole input is left out.
    pub field: String,
    /// Why.
    pub message: String,
}

impl Rejection {
    /// Describes `err`, which arose reading `input`.
    pub fn of(err: &WandbError, input: &Path) -> Self {
        let at = |path: &Path, line: usize| {
            if line == 0 {
                path.display().to_string()
            } else {
                format!("{}:{line}", path.display())
            }
        };
        let whole = |path: &Path| {
            let field = if path.is_dir() { "<folder>" } else { "<file>" };
            (path.display().to_string(), field.to_owned())
        };
        let (at, field, message) = match err {
            WandbError::Json {
                path,
                line,
                field,
                source,
            } => (
                at(path, *line),
                field.clone().unwrap_or_else(|| "<line>".to_owned()),
                format!("invalid JSON: {source}"),
            ),
            WandbError::Field {
                path,
                line,
                field,
                reason,
            } => (at(path, *line), field.clone(), reason.clone()),
            WandbError::Utf8 { path, line, column } => (
                at(path, *line),
                "<line>".to_owned(),
                format!("not valid UTF-8 (from byte {column} of the line)"),
            ),
            WandbError::Io { path, .. }
            | WandbError::Parquet { path, .. }
            | WandbError::UnknownInput { path }
            | WandbError::UnmatchedOeEval { path, .. } => {
                let (at, field) = whole(path);
                (at, field, err.to_string())
            }
            _ => {
                let (at, field) = whole(input);
                (at, field, err.to_string())
            }
        };
        Self { at, field, message }
    }
}

/// Decoded streamed history a conversion keeps from its scan for staging, so a file within it is
/// decoded once. Past it, files are read again when staged, which keeps memory bounded.
pub const HELD_HISTORY_BYTES: usize = 256 << 20;

/// Everything read from the inputs of one conversion, and what was left out.
#[derive(Debug, Clone)]
pub struct Gathered {
    /// What was read.
    pub inputs: Inputs,
    /// What was left out under [`OnError::Skip`], in reading order.
    pub rejections: Vec<Rejection>,
}

impl Default for Gathered {
    fn default() -> Self {
        Self::holding(HELD_HISTORY_BYTES)
    }
}

impl Gathered {
    /// A gathering whose scans keep at most `bytes` of decoded history for staging (0: every
    /// streamed file is read again when staged).
    pub fn holding(bytes: usize) -> Self {
        Self {
            inputs: Inputs {
                hold_history: bytes,
                ..Inputs::default()
            },
            rejections: Vec::new(),
        }
    }

    /// Reads one input of a known kind. Blocking: it reads files.
    pub fn read(&mut self, path: &Path, kind: &InputKind, on_error: OnError) -> Result<()> {
        if let InputKind::Folder(children) = kind {
            for (child, kind) in children {
                self.read(child, kind, on_error)?;
            }
            return Ok(());
        }
        let mut one = Inputs {
            pack_runs: true,
            hold_history: self.inputs.hold_history,
            ..Inputs::default()
        };
        match read::scan_input(path, kind, &mut one) {
            Ok(()) => {
                self.inputs.hold_history = one.hold_history;
                self.merge(one);
                Ok(())
            }
            Err(err) => self.reject(err, path, on_error),
        }
    }

    /// Fails with `err`, or records it and carries on.
    pub fn reject(&mut self, err: WandbError, input: &Path, on_error: OnError) -> Result<()> {
        match on_error {
            OnError::Fail => Err(err),
            OnError::Skip => {
                self.rejections.push(Rejection::of(&err, input));
                Ok(())
            }
        }
    }

    fn merge(&mut self, one: Inputs) {
        self.inputs.extend(one);
    }
}

/// Detects and reads `inputs` (files or folders). Blocking: it reads files.
pub fn gather(inputs: &[PathBuf], on_error: OnError) -> Result<Gathered> {
    let mut gathered = Gathered::default();
    for path in inputs {
        match read::detect(path) {
            Ok(kind) => gathered.read(path, &kind, on_error)?,
            Err(err) => gathered.reject(err, path, on_error)?,
        }
    }
    Ok(gathered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_is_not_utf8_is_rejected_by_file_and_line() {
        let err = WandbError::Utf8 {
            path: "export/history.jsonl".into(),
            line: 2,
            column: 13,
        };
        let r = Rejection::of(&err, Path::new("export"));
        assert_eq!(r.at, "export/history.jsonl:2");
        assert_eq!(r.field, "<line>");
        assert_eq!(r.message, "not valid UTF-8 (from byte 13 of the line)");
    }

    #[test]
    fn an_export_shorter_than_its_manifest_is_reported_after_gathering() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("ft");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("manifest.json"),
            r#"{"entity":"e","project":"p","run_count":3}"#,
        )
        .expect("manifest");
        std::fs::write(
            dir.join("runs.jsonl"),
            "{\"run\":{\"run_id\":\"a\",\"config\":{}},\"exported_at\":\"2026-01-01T00:00:00Z\"}\n",
        )
        .expect("runs");
        let gathered = gather(std::slice::from_ref(&dir), OnError::Fail).expect("gather");
        assert_eq!(gathered.inputs.runs.len(), 1);
        let short: Vec<String> = gathered
            .inputs
            .short_exports
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            short,
            [format!(
                "{}: holds 1 runs, but {} promises 3",
                dir.join("runs.jsonl").display(),
                dir.join("manifest.json").display()
            )]
        );
    }
}
