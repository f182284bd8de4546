//! Writing and checking the Delta Lake log beside each table (`spec/FORMAT.md` section 13).
//!
//! The log follows the manifests and is never ahead of them: the commit of version N is
//! created (put-if-absent) only after manifest N landed. [`catch_up`] is the one code path that
//! writes it, called after every commit, by `sync` on the destination, by `gc` before it
//! deletes, and by `runlake delta`; it writes whatever the log lacks, so a crash between a
//! manifest and its Delta commit is repaired by the next call.

mod check;
mod checkpoint;
mod writer;

pub use check::{DeltaProblem, check, repair};
pub use writer::{DeltaReport, catch_up, rewrite_commit};

use crate::error::{LakeError, Result};
use crate::lake::Lake;

/// Catches the Delta logs up after version `version` landed. A failure is reported as the
/// log lagging behind a committed version, which the next commit or `runlake delta` repairs.
pub(crate) async fn after_commit(lake: &Lake, version: u64) -> Result<DeltaReport> {
    catch_up(lake)
        .await
        .map_err(|source| LakeError::DeltaBehind {
            version,
            source: Box::new(source),
        })
}
