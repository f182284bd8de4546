//! runlake sync: moves a lake between local folders, S3 and GCS, incrementally and safely.
//!
//! Data files are content-named and immutable, and manifests chain by hash, so a sync is a set
//! difference plus an ordered copy: the data files the destination lacks go first, in
//! parallel, then the missing manifests are created byte for byte with put-if-absent. The
//! destination is a complete lake at every moment, an unchanged lake moves no data, and an
//! interrupted sync resumes by skipping what already landed. A destination that has diverged
//! is refused, or rebased when the changes touch different runs, or replaced when forced.

mod chain;
mod divergence;
mod error;
mod merge;
mod options;
mod report;
mod sync;
mod transfer;

pub use divergence::{Divergence, VersionSummary};
pub use error::{Result, SyncError};
pub use options::{Progress, ProgressFn, SyncOptions};
pub use report::{PlannedFile, SyncOutcome, SyncReport};
pub use sync::sync;
