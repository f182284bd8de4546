//! The conversion summary (serialisable for `--json`) and progress reports.

use std::collections::BTreeMap;
use std::path::Path;

use runlake_format::Table;

use crate::kind::Kind;

/// How many rejection and disagreement messages are kept verbatim; the counts are exact.
pub const MAX_MESSAGES: usize = 200;

/// Row counts for one output table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TableCounts {
    /// Rows handed to the lake.
    pub written: u64,
    /// Exact duplicates dropped.
    pub deduplicated: u64,
    /// Rows rejected (bad values, or conflicting duplicates under `--on-error skip`).
    pub rejected: u64,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileSummary {
    pub path: String,
    pub kind: Kind,
    pub rows_read: u64,
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// File and row/line.
    pub at: String,
    pub field: String,
    pub message: String,
}

/// What a lake commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CommitSummary {
    /// The new version, or none when nothing changed.
    pub version: Option<u64>,
    pub rows_added: u64,
    pub rows_removed: u64,
    pub files_added: u64,
    pub bytes_added: u64,
}

impl From<&runlake_lake::CommitOutcome> for CommitSummary {
    fn from(outcome: &runlake_lake::CommitOutcome) -> Self {
        Self {
            version: outcome.version,
            rows_added: outcome.rows_added,
            rows_removed: outcome.rows_removed,
            files_added: outcome.files_added,
            bytes_added: outcome.bytes_added,
        }
    }
}

/// The result of a conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConvertSummary {
    pub files: Vec<FileSummary>,
    /// Source rows read, over all files.
    pub rows_read: u64,
    /// Per output table.
    pub tables: BTreeMap<String, TableCounts>,
    /// Rows computed by the converter (`mmlu_average`).
    pub derived_rows: u64,
    /// Metric cells with no value (null/NaN perplexities, absent columns, empty task groups).
    pub empty_cells: u64,
    pub rejected_total: u64,
    pub rejections: Vec<Rejection>,
    /// Checkpoints whose tokens or compute disagree with the schedule, or whose rows disagree.
    pub schedule_disagreements_total: u64,
    pub schedule_disagreements: Vec<String>,
    pub commit: Option<CommitSummary>,
}

impl ConvertSummary {
    pub fn table_mut(&mut self, table: Table) -> &mut TableCounts {
        self.tables.entry(table.name().to_owned()).or_default()
    }

    pub fn table(&self, table: Table) -> TableCounts {
        self.tables.get(table.name()).cloned().unwrap_or_default()
    }

    pub(crate) fn push_rejection(&mut self, r: Rejection) {
        self.rejected_total += 1;
        if self.rejections.len() < MAX_MESSAGES {
            self.rejections.push(r);
        }
    }

    pub(crate) fn push_disagreement(&mut self, msg: String) {
        self.schedule_disagreements_total += 1;
        if self.schedule_disagreements.len() < MAX_MESSAGES {
            self.schedule_disagreements.push(msg);
        }
    }

    pub(crate) fn add_file(&mut self, path: &Path, kind: Kind, rows_read: u64) {
        self.files.push(FileSummary {
            path: path.display().to_string(),
            kind,
            rows_read,
        });
    }
}

/// Progress of a conversion, reported after every input batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub rows_read: u64,
    /// Known when every input is Parquet (its footer has the row count).
    pub rows_total: Option<u64>,
}
