//! Which DataDecide export a file is, from its name and its columns.

use std::path::Path;

/// The input kinds the converter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// HF eval-results, train split (`metrics` as a Python repr or struct).
    HfTrain,
    /// HF eval-results, macro_avg split (`metrics` as JSON).
    HfMacroAvg,
    /// HF ppl-results (wide perplexity columns).
    HfPpl,
    /// datadec's `full_eval` table.
    FullEval,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::HfTrain => "hf_train",
            Kind::HfMacroAvg => "hf_macro_avg",
            Kind::HfPpl => "hf_ppl",
            Kind::FullEval => "full_eval",
        }
    }

    /// Parses a `--kind` value.
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::HfTrain, Kind::HfMacroAvg, Kind::HfPpl, Kind::FullEval]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

/// Decides the kind from the column names, using the file name only to break the one tie the
/// columns leave open (a train split without `tokens` looks like macro_avg).
pub fn detect(path: &Path, columns: &[String]) -> Result<Kind, String> {
    let has = |c: &str| columns.iter().any(|x| x == c);
    let name = path.to_string_lossy().to_ascii_lowercase();
    if columns
        .iter()
        .any(|c| c.starts_with("eval/") && c.ends_with("/Perplexity"))
    {
        return Ok(Kind::HfPpl);
    }
    if columns
        .iter()
        .any(|c| c.ends_with("-valppl") || c.ends_with("_primary_metric"))
    {
        return Ok(Kind::FullEval);
    }
    if has("metrics") && has("task") && has("params") && has("data") {
        if has("tokens") || has("chinchilla") || has("compute") {
            return Ok(Kind::HfTrain);
        }
        if name.contains("train") && !name.contains("macro") {
            return Ok(Kind::HfTrain);
        }
        return Ok(Kind::HfMacroAvg);
    }
    if name.contains("ppl") && has("params") && has("step") {
        return Ok(Kind::HfPpl);
    }
    Err(format!(
        "expected eval-results (params, data, seed, step, task, metrics), ppl-results \
         (eval/<set>-validation/Perplexity) or full_eval (<set>-valppl, <task>_<metric>) columns; \
         found {}",
        columns
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Whether every file under `path` (a file, or a folder searched recursively) is a DataDecide
/// export, and of which kinds; `Err` explains why not.
pub fn detect_path(path: &Path) -> Result<Vec<Kind>, String> {
    let files = crate::pipeline::expand_inputs(&[path.to_owned()]).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Err(format!("{}: no .parquet or .jsonl files", path.display()));
    }
    files
        .iter()
        .map(|f| {
            let (columns, _) = crate::read::peek(f).map_err(|e| e.to_string())?;
            detect(f, &columns).map_err(|e| format!("{}: {e}", f.display()))
        })
        .collect()
}
