//! The summary of a sync, serialisable for `--json`.

use serde::Serialize;

/// What the sync did to the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncOutcome {
    /// The destination already had the source's latest version.
    UpToDate,
    /// The destination had no lake; the source's versions were copied.
    Created,
    /// The source's newer versions were copied after the destination's latest.
    FastForward,
    /// The destination is ahead: its history contains the source's latest version.
    DestinationAhead,
    /// The source's changes were replayed as a new version on top of the destination's.
    Rebased,
    /// A new destination version now equals the source's latest.
    Forced,
}

/// A file a dry run would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    /// Lake-relative path.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The summary of one sync.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// Source location.
    pub source: String,
    /// Destination location.
    pub destination: String,
    /// What happened.
    pub outcome: SyncOutcome,
    /// Whether this was a dry run (then nothing was written and the counts are what would be).
    pub dry_run: bool,
    /// The source's latest version.
    pub source_version: u64,
    /// The destination's latest version before the sync, if it had a lake.
    pub destination_before: Option<u64>,
    /// The destination's latest version after the sync.
    pub destination_after: Option<u64>,
    /// Manifests written to the destination (versions copied, or the one rebased or forced).
    pub versions_written: Vec<u64>,
    /// Data files sent.
    pub files_sent: u64,
    /// Bytes of the data files sent.
    pub bytes_sent: u64,
    /// Needed files already at the destination (an earlier, interrupted sync sent them).
    pub files_skipped: u64,
    /// Bytes of the skipped files.
    pub bytes_skipped: u64,
    /// Bytes of the manifests written.
    pub manifest_bytes: u64,
    /// Whole attempts (more than one after racing writers committed first).
    pub attempts: u32,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// Files that would be sent (dry run) or were sent, sorted by path.
    pub files: Vec<PlannedFile>,
}
