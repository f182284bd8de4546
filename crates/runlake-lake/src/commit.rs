//! Creating manifest `v+1` with put-if-absent, and telling what happened when it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use runlake_format::{Manifest, VersionFile};

use crate::error::{LakeError, Result};
use crate::lake::Lake;
use crate::versions::Created;

/// The result of one attempt to create a version.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PutOutcome {
    /// Our manifest is version `v`.
    Committed,
    /// Another writer's manifest is version `v`.
    Taken,
}

/// Creates the manifest file of `manifest.version` if absent, through the version log. The
/// commit id is fresh per attempt, so finding identical bytes means our own earlier request
/// landed.
pub(crate) async fn put_manifest(lake: &Lake, manifest: &Manifest) -> Result<PutOutcome> {
    let bytes = Bytes::from(manifest.to_bytes());
    Ok(match lake.log().create(manifest.version, bytes).await? {
        Created::Ours | Created::Identical => PutOutcome::Committed,
        Created::Taken => PutOutcome::Taken,
    })
}

/// Exponential backoff with jitter, so racing writers spread out.
pub(crate) async fn backoff(lake: &Lake, attempt: u32) {
    let base = lake.config().backoff_base;
    let exp = base.saturating_mul(1u32 << attempt.min(8));
    let jitter = uuid::Uuid::new_v4().as_u128() as u64 % (exp.as_millis() as u64 + 1);
    tokio::time::sleep(exp / 2 + Duration::from_millis(jitter / 2)).await;
}

/// Checks that the versions committed after `base` touched none of the runs we touch.
/// Returns the first conflicting version with a reason.
pub(crate) async fn check_commutes(
    lake: &Lake,
    base: u64,
    latest: u64,
    ours: &BTreeMap<String, BTreeSet<String>>,
) -> Result<()> {
    for v in base + 1..=latest {
        let Some((VersionFile::Live(theirs), _, _)) = lake.version_file(v).await? else {
            continue;
        };
        for (table, runs) in &theirs.operation.runs {
            let Some(mine) = ours.get(table) else {
                continue;
            };
            if let Some(run) = runs.iter().find(|r| mine.contains(*r)) {
                return Err(LakeError::Conflict {
                    version: v,
                    reason: format!(
                        "it also changed run `{run}` in table {table} ({} by {})",
                        theirs.operation.kind, theirs.writer
                    ),
                });
            }
        }
    }
    Ok(())
}
