//! Errors of the post-training converter. Bad input names the file, the line or row, and the
//! field.

use std::path::PathBuf;

/// What went wrong while reading or converting post-training data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WandbError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A text file holds bytes that are not UTF-8.
    #[error("{path}:{line}: not valid UTF-8 (from byte {column} of the line)")]
    Utf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based byte of that line where the invalid bytes start.
        column: usize,
    },
    /// A line or value is not JSON, even leniently.
    #[error("{path}:{line}: invalid JSON{}: {source}", field_suffix(.field))]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line (or row, for Parquet).
        line: usize,
        /// The field holding the JSON text, for JSON-in-a-column formats.
        field: Option<String>,
        /// Where the syntax broke.
        source: crate::json::JsonSyntaxError,
    },
    /// A record lacks a field or has one of the wrong kind.
    #[error("{path}:{line}: field `{field}`: {reason}")]
    Field {
        /// The file.
        path: PathBuf,
        /// 1-based line (or row).
        line: usize,
        /// The offending field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A record refused as a whole; a permissive caller may record it and read on.
    #[error(transparent)]
    Rejected(#[from] RejectedRow),
    /// A Parquet file could not be decoded.
    #[error("{path}: not a readable Parquet file: {reason}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The input's kind could not be recognised.
    #[error(
        "{path}: not a recognised post-training export (expected a dr_wandb v3 folder, \
         runs/history JSONL, runs/history Parquet, or an oe-eval output folder)"
    )]
    UnknownInput {
        /// The input.
        path: PathBuf,
    },
    /// An oe-eval folder that names no run of this conversion.
    #[error(
        "{path}: oe-eval results for model `{model_path}` match no converted run; \
         convert the run's WandB export with it (same command or before), or name the run with \
         `--run RUN` (its id, name or wandb/ENTITY/PROJECT/ID)"
    )]
    UnmatchedOeEval {
        /// The oe-eval folder.
        path: PathBuf,
        /// The model path the results were computed for.
        model_path: String,
    },
    /// A re-import would leave runs with fewer rows than the lake holds.
    #[error(
        "refusing to shrink stored runs (convert with --replace to allow it): {}",
        shrinks.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Shrink {
        /// Each run and table that would lose rows.
        shrinks: Vec<crate::stored::Shrink>,
    },
    /// Building an Arrow batch failed (a bug: schemas are fixed).
    #[error("building the `{table}` batch: {source}")]
    Arrow {
        /// The table.
        table: &'static str,
        /// The Arrow error.
        source: arrow::error::ArrowError,
    },
    /// Storage failed.
    #[error(transparent)]
    Lake(#[from] runlake_lake::LakeError),
    /// Reading the lake's rows failed.
    #[error(transparent)]
    Read(#[from] runlake_reader::ReaderError),
}

impl WandbError {
    /// The rejected record, when this error concerns one record only.
    pub fn rejected_row(&self) -> Option<&RejectedRow> {
        match self {
            WandbError::Rejected(r) => Some(r),
            _ => None,
        }
    }
}

/// A record that cannot be stored, named by file, line (or row) and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: field `{field}`: {problem}")]
pub struct RejectedRow {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (or row, for Parquet).
    pub line: usize,
    /// The offending field, as the file spells it.
    pub field: String,
    /// What is wrong with it.
    pub problem: RowProblem,
}

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowProblem {
    /// A history row without a step: every stored row is keyed by its step.
    #[error("missing; a history row needs a step")]
    MissingStep,
    /// A history row whose step is null.
    #[error("null; a history row needs a step")]
    NullStep,
    /// A negative step.
    #[error("negative step {0}")]
    NegativeStep(i64),
    /// A step that is not a whole number (`1.5`, `"abc"`, `true`).
    #[error("not an integer step: {0}")]
    NonIntegerStep(String),
}

fn field_suffix(field: &Option<String>) -> String {
    field
        .as_ref()
        .map(|f| format!(" in field `{f}`"))
        .unwrap_or_default()
}

/// Result alias for this crate.
pub type Result<T, E = WandbError> = std::result::Result<T, E>;
