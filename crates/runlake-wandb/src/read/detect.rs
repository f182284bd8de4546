//! Recognises an input's kind from its path and a peek at its content.

use std::path::{Path, PathBuf};

use runlake_walk::Walker;

use super::parquet_io::column_names;
use crate::error::{Result, WandbError};
use crate::json::{self, Json};

/// What an input path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// A dr_wandb v3 export folder (`manifest.json` + `runs.jsonl`/`history.jsonl`).
    WandbV3,
    /// A v3 `runs.jsonl` on its own (`{"run": {...}, "exported_at": ...}` lines).
    V3RunsJsonl,
    /// A v3 `history.jsonl` on its own (one row object per line).
    V3HistoryJsonl,
    /// dr_wandb v0 runs JSONL (one run object per line).
    RunsJsonl,
    /// dr_wandb v0 history JSONL (one JSON array of rows per line).
    HistoryJsonl,
    /// dr_wandb v0 runs Parquet with JSON-string columns.
    RunsParquet,
    /// History Parquet (flat metric columns or a JSON `metrics` column).
    HistoryParquet,
    /// An oe-eval output folder (or its parent holding `eval_results/`).
    OeEval,
    /// A folder of other inputs, each with its kind, in name order.
    Folder(Vec<(PathBuf, InputKind)>),
}

/// Detects the kind of `path`. Folders reached twice (through links, or a link to a folder
/// above) are looked at once, so link loops end.
pub fn detect(path: &Path) -> Result<InputKind> {
    let mut walker = Walker::new();
    walker.first_visit(path);
    detect_at(path, 0, &mut walker)
}

// Export trees are shallow (`dump/_eval_results/<model>/`); the bound keeps a mistaken
// argument such as `/` from walking a whole disk.
const MAX_DEPTH: usize = 4;

fn detect_at(path: &Path, depth: usize, walker: &mut Walker) -> Result<InputKind> {
    let unknown = || WandbError::UnknownInput {
        path: path.to_owned(),
    };
    if path.is_dir() {
        if path.join("manifest.json").is_file()
            && (path.join("runs.jsonl").is_file() || path.join("history.jsonl").is_file())
        {
            return Ok(InputKind::WandbV3);
        }
        if super::oe_eval::results_dir(path).is_some() {
            return Ok(InputKind::OeEval);
        }
        if depth >= MAX_DEPTH {
            return Err(unknown());
        }
        let entries = walker.entries(path).map_err(|e| WandbError::Io {
            path: e.path,
            source: e.source,
        })?;
        let mut children = Vec::new();
        for child in entries {
            let hidden = child
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden {
                continue;
            }
            match detect_at(&child, depth + 1, walker) {
                Ok(kind) => children.push((child, kind)),
                Err(WandbError::UnknownInput { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        if children.is_empty() {
            return Err(unknown());
        }
        // Runs before history, so history rows can be typed by their run.
        children.sort_by_key(|(p, k)| (kind_order(k), p.clone()));
        return Ok(InputKind::Folder(children));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.ends_with(".parquet") {
        let cols = column_names(path)?;
        let has = |c: &str| cols.iter().any(|x| x == c);
        if has("config") || has("summary") {
            return Ok(InputKind::RunsParquet);
        }
        if has("run_id") && (has("step") || has("_step")) {
            return Ok(InputKind::HistoryParquet);
        }
        return Err(unknown());
    }
    if name.ends_with(".jsonl") {
        return detect_jsonl(path).and_then(|k| k.ok_or_else(unknown));
    }
    Err(unknown())
}

fn kind_order(kind: &InputKind) -> u8 {
    match kind {
        InputKind::WandbV3 | InputKind::Folder(_) => 0,
        InputKind::V3RunsJsonl | InputKind::RunsJsonl | InputKind::RunsParquet => 1,
        InputKind::V3HistoryJsonl | InputKind::HistoryJsonl | InputKind::HistoryParquet => 2,
        InputKind::OeEval => 3,
    }
}

fn detect_jsonl(path: &Path) -> Result<Option<InputKind>> {
    let text = super::read_text(path)?;
    let Some((line_no, line)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Ok(None);
    };
    let value = json::parse(line).map_err(|source| WandbError::Json {
        path: path.to_owned(),
        line: line_no + 1,
        field: None,
        source,
    })?;
    Ok(match value {
        Json::Array(_) => Some(InputKind::HistoryJsonl),
        Json::Object(o) => {
            if o.get("run").is_some() {
                Some(InputKind::V3RunsJsonl)
            } else if o.get("task_name").is_some() {
                // A bare metrics-all.jsonl: its folder is the oe-eval output.
                Some(InputKind::OeEval)
            } else if o.get("run_id").is_some()
                && (o.get("config").is_some() || o.get("summary").is_some())
            {
                Some(InputKind::RunsJsonl)
            } else if o.get("run_id").is_some() {
                Some(InputKind::V3HistoryJsonl)
            } else {
                None
            }
        }
        _ => None,
    })
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/wandb/dr_wandb_v3/ft-scaling")
    }

    #[test]
    fn link_loops_end_and_a_folder_reachable_twice_is_one_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        symlink(fixture(), root.join("export")).expect("link");
        symlink("export", root.join("export-again")).expect("link");
        symlink(".", root.join("x")).expect("link");
        symlink(".", root.join("y")).expect("link");
        let kind = detect(root).expect("detect");
        assert_eq!(
            kind,
            InputKind::Folder(vec![(root.join("export"), InputKind::WandbV3)])
        );
    }

    #[test]
    fn a_file_reachable_twice_is_one_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::copy(fixture().join("runs.jsonl"), root.join("runs.jsonl")).expect("copy");
        std::fs::create_dir(root.join("more")).expect("mkdir");
        symlink("../runs.jsonl", root.join("more/same-runs.jsonl")).expect("link");
        let kind = detect(root).expect("detect");
        assert_eq!(
            kind,
            InputKind::Folder(vec![(root.join("runs.jsonl"), InputKind::V3RunsJsonl)])
        );
    }
}
