//! History Parquet files converted column by column instead of row by row.
//!
//! A flat history file (one numeric column per logged key) is decoded once by [`scan`] while
//! the inputs are gathered, keeping per run what building needs (rows, step range, keys logged,
//! a digest of the values); [`steps`] hands `posttrain_steps` batches to the transaction when
//! the rows are staged. The scan keeps the decoded batches for staging while the conversion's
//! budget for them lasts ([`crate::Gathered`]); past it, files are read again when staged.
//! Memory is bounded by that budget and one record batch, whatever the number of rows.
//!
//! A run is streamed only when the column-wise rows are exactly what the row-wise reader
//! would build: its steps strictly increase in reading order (no repeated or conflicting
//! steps to merge) and no other input holds rows of it. Any other run, and every file whose
//! shape the column-wise reader does not handle, goes through the row-wise reader.

pub(crate) mod scan;
pub(crate) mod steps;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use arrow::array::RecordBatch;

/// A history file whose rows were not read into memory.
#[derive(Debug, Clone)]
pub struct StreamedFile {
    /// The file.
    pub path: PathBuf,
    /// How many row-wise history rows were read before it, to keep reading order when a run
    /// of it has to be read row-wise after all.
    pub position: usize,
    /// Leading batches the scan decoded, kept for staging (the very values digested).
    pub(crate) held: Held,
}

/// The first batches of a streamed file, kept from its scan.
#[derive(Debug, Clone, Default)]
pub(crate) struct Held {
    pub batches: Vec<RecordBatch>,
    /// Rows in `batches`.
    pub rows: usize,
    /// `batches` are the whole file: nothing is read again.
    pub whole: bool,
}

/// What a scan learned about one run's rows in streamed files.
#[derive(Debug, Clone)]
pub struct StreamedRun {
    /// The run id.
    pub run_id: String,
    /// Rows.
    pub rows: u64,
    /// Smallest step.
    pub first_step: i64,
    /// Largest step.
    pub last_step: i64,
    /// Steps strictly increase in reading order.
    pub increasing: bool,
    /// Keys with a value in at least one row.
    pub keys: BTreeSet<String>,
    /// Indexes into [`crate::model::Inputs::streamed`] of the files holding its rows.
    pub files: Vec<usize>,
    /// Digest of every value, in reading order.
    pub(crate) digest: blake3::Hasher,
}

impl StreamedRun {
    /// The hex digest of the run's values.
    pub fn digest(&self) -> String {
        self.digest.finalize().to_hex().to_string()
    }
}

/// Where a logged key goes in `posttrain_steps` for a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    /// A typed column.
    Typed(&'static str),
    /// An `extra_metrics` entry under this (redacted) name.
    Extra(String),
}

/// A streamed run as staged: its uid, type and where each key goes.
#[derive(Debug, Clone)]
pub(crate) struct StreamPlan {
    pub run_id: String,
    pub run_uid: String,
    pub training_type: runlake_format::tables::TrainingType,
    pub rows: u64,
    pub files: Vec<usize>,
    pub targets: BTreeMap<String, Target>,
    /// [`StreamedRun::digest`].
    pub digest: String,
}
