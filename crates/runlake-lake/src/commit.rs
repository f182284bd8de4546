//! Creating manifest `v+1` with put-if-absent, and telling what happened when it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use runlake_format::layout::version_path;
use runlake_format::{Manifest, VersionFile, parse_manifest};

use crate::error::{LakeError, Result, store_err};
use crate::lake::Lake;

/// The result of one attempt to create a version.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PutOutcome {
    /// Our manifest is version `v`.
    Committed,
    /// Another writer's manifest is version `v`.
    Taken,
}

/// Creates the manifest file of `manifest.version` if absent. A failure whose outcome is unknown
/// (timeout, 5xx, reset) is resolved by reading the version back and comparing commit ids; if
/// nothing is there the same bytes are sent again, a bounded number of times.
pub(crate) async fn put_manifest(lake: &Lake, manifest: &Manifest) -> Result<PutOutcome> {
    let rel = version_path(manifest.version);
    let path = lake.path(&rel);
    let bytes = manifest.to_bytes();
    let mut last_error = None;
    for attempt in 0..lake.config().max_commit_attempts {
        if attempt > 0 {
            backoff(lake, attempt).await;
        }
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match lake
            .store()
            .put_opts(&path, PutPayload::from(bytes.clone()), opts)
            .await
        {
            Ok(_) => return Ok(PutOutcome::Committed),
            Err(object_store::Error::AlreadyExists { .. }) => {
                return resolve_existing(lake, manifest, &rel).await;
            }
            Err(e @ object_store::Error::NotImplemented { .. }) => {
                return Err(store_err(lake.display_path(&rel))(e));
            }
            Err(e) => match read_back(lake, manifest, &rel).await {
                Ok(Some(outcome)) => return Ok(outcome),
                Ok(None) | Err(_) => last_error = Some(e),
            },
        }
    }
    Err(match last_error {
        Some(e) => store_err(lake.display_path(&rel))(e),
        None => LakeError::RetriesExhausted {
            attempts: lake.config().max_commit_attempts,
        },
    })
}

async fn resolve_existing(lake: &Lake, ours: &Manifest, rel: &str) -> Result<PutOutcome> {
    // A retried request can find its own earlier, successful write.
    Ok(read_back(lake, ours, rel)
        .await?
        .unwrap_or(PutOutcome::Taken))
}

async fn read_back(lake: &Lake, ours: &Manifest, rel: &str) -> Result<Option<PutOutcome>> {
    let path = lake.path(rel);
    let bytes = match lake.store().get(&path).await {
        Ok(r) => r.bytes().await.map_err(store_err(lake.display_path(rel)))?,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(store_err(lake.display_path(rel))(e)),
    };
    let theirs = parse_manifest(&bytes).map_err(|source| LakeError::Manifest {
        path: lake.display_path(rel),
        source,
    });
    Ok(Some(match theirs {
        Ok(m) if m.commit_id == ours.commit_id => PutOutcome::Committed,
        _ => PutOutcome::Taken,
    }))
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
