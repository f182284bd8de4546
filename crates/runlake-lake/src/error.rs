//! Errors of the storage engine. Every variant names the path or table it is about.

use runlake_format::{ManifestError, Table};

/// Anything that can go wrong opening, reading or writing a lake.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// The object store failed on a path.
    #[error("{path}: {source}")]
    Store {
        /// The object the request was for.
        path: String,
        /// What the store said.
        #[source]
        source: object_store::Error,
    },
    /// The location string cannot be turned into a store.
    #[error("invalid lake location `{location}`: {reason}")]
    InvalidLocation {
        /// What the user gave.
        location: String,
        /// Why it is not usable.
        reason: String,
    },
    /// No lake at the location.
    #[error(
        "{location}: not a runlake lake (no {versions} folder); create one with `runlake init`"
    )]
    NotALake {
        /// Where we looked.
        location: String,
        /// The folder that is missing.
        versions: &'static str,
    },
    /// `create` found an existing lake.
    #[error("{location}: a lake already exists here")]
    AlreadyExists {
        /// Where.
        location: String,
    },
    /// A requested version does not exist or has been expired by `gc`.
    #[error("{location}: version {version} {reason}")]
    NoSuchVersion {
        /// The lake.
        location: String,
        /// The version asked for.
        version: u64,
        /// `does not exist` or `was expired by gc`.
        reason: &'static str,
    },
    /// A manifest cannot be used.
    #[error("{path}: {source}")]
    Manifest {
        /// The manifest path.
        path: String,
        /// What is wrong.
        #[source]
        source: ManifestError,
    },
    /// A batch does not match its table's schema.
    #[error("table {table}: {message}")]
    Schema {
        /// The table written to.
        table: Table,
        /// What does not match.
        message: String,
    },
    /// Two rows with the same key but different values in one transaction.
    #[error("table {table}: two different rows share the key {key}")]
    DuplicateKey {
        /// The table.
        table: Table,
        /// The key, rendered.
        key: String,
    },
    /// A racing commit changed the same runs.
    #[error(
        "commit conflict at version {version}: {reason}; re-run the command to apply it on top \
         of the new version"
    )]
    Conflict {
        /// The version another writer committed first.
        version: u64,
        /// What both changed.
        reason: String,
    },
    /// Retries ran out while other writers kept winning.
    #[error("gave up after {attempts} commit attempts: other writers kept committing first")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
    },
    /// A Parquet file cannot be written or read.
    #[error("{path}: {source}")]
    Parquet {
        /// The data file.
        path: String,
        /// The decoder's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// An Arrow compute or layout error.
    #[error("{context}: {source}")]
    Arrow {
        /// What was being done.
        context: String,
        /// Arrow's error.
        #[source]
        source: arrow::error::ArrowError,
    },
    /// Committed data files vanished (a concurrent `gc`) and the writer no longer holds their
    /// bytes to put them back.
    #[error(
        "the commit landed, but {} of its data files disappeared afterwards and cannot be put \
         back from here: {}; run the same command again to restore them (files are named by \
         their content, so the same input writes them again)",
        paths.len(),
        paths.join(", ")
    )]
    Lost {
        /// The missing files.
        paths: Vec<String>,
    },
    /// `gc` found something in the lake it cannot explain and changed nothing.
    #[error("gc changed nothing: {}", problems.join("; "))]
    GcRefused {
        /// Each problem, naming its file.
        problems: Vec<String>,
    },
    /// A table cannot be shown as a Delta table, or its Delta log cannot be written.
    #[error("{path}: {source}")]
    Delta {
        /// The Delta log file being written.
        path: String,
        /// Why.
        #[source]
        source: runlake_format::delta::DeltaError,
    },
    /// A version landed, but the Delta log could not follow it.
    #[error(
        "version {version} is committed, but the Delta log could not be brought up to it: \
         {source}; `runlake delta` (or the next commit) writes it"
    )]
    DeltaBehind {
        /// The committed version.
        version: u64,
        /// Why the log could not be written.
        #[source]
        source: Box<LakeError>,
    },
    /// A background encoding task died.
    #[error("background task failed: {0}")]
    Task(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = LakeError> = std::result::Result<T, E>;

pub(crate) fn store_err(path: impl Into<String>) -> impl FnOnce(object_store::Error) -> LakeError {
    let path = path.into();
    move |source| LakeError::Store { path, source }
}

pub(crate) fn arrow_err(
    context: impl Into<String>,
) -> impl FnOnce(arrow::error::ArrowError) -> LakeError {
    let context = context.into();
    move |source| LakeError::Arrow { context, source }
}
