//! Garbage collection: expiring old versions and deleting files nothing retained references.
//!
//! Retained versions are the latest one and every version committed within the grace period.
//! Older versions are expired: their manifest is replaced by a tombstone that keeps the hash
//! chain checkable and stops the version number from being reused. A data file is deleted only
//! when no retained version references it *and* it was last modified before the grace period,
//! so files uploaded by a writer that has not committed yet survive.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use object_store::{ObjectStoreExt, PutPayload};
use runlake_format::layout::version_path;
use runlake_format::{ContentHash, FormatVersion, Table, Tombstone, VersionFile};
use serde::Serialize;

use crate::error::{Result, store_err};
use crate::lake::{Lake, now_ms};

/// Default grace period, as in Delta Lake's vacuum.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// What `gc` did (or would do, in a dry run).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GcReport {
    /// Whether anything was actually changed.
    pub dry_run: bool,
    /// Versions expired.
    pub expired_versions: Vec<u64>,
    /// Data files deleted, lake-relative, with their sizes.
    pub deleted_files: Vec<(String, u64)>,
    /// Unreferenced files kept because they are younger than the grace period.
    pub kept_young_files: u64,
}

/// Collects garbage older than `grace`.
pub async fn gc(lake: &Lake, grace: Duration, dry_run: bool) -> Result<GcReport> {
    let now = now_ms();
    let cutoff = now - grace.as_millis() as i64;
    let mut report = GcReport {
        dry_run,
        ..GcReport::default()
    };
    let versions = lake.list_versions().await?;
    let Some(&latest) = versions.last() else {
        return Err(lake.not_a_lake());
    };
    let mut referenced: HashSet<ContentHash> = HashSet::new();
    for &v in &versions {
        let Some((VersionFile::Live(m), hash, _)) = lake.version_file(v).await? else {
            continue;
        };
        if v == latest || m.created_at_ms >= cutoff {
            referenced.extend(m.all_files().map(|(_, f)| f.blake3));
            continue;
        }
        report.expired_versions.push(v);
        if !dry_run {
            let tomb = Tombstone {
                format: runlake_format::manifest::FORMAT_NAME.to_owned(),
                format_version: FormatVersion::CURRENT,
                version: v,
                expired: true,
                expired_at_ms: now,
                created_at_ms: m.created_at_ms,
                original_blake3: hash,
                commit_id: m.commit_id.clone(),
            };
            let rel = version_path(v);
            lake.store()
                .put(&lake.path(&rel), PutPayload::from(tomb.to_bytes()))
                .await
                .map_err(store_err(lake.display_path(&rel)))?;
        }
    }
    for table in Table::ALL {
        let prefix = lake.path(table.name());
        let mut listing = lake.store().list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = match meta {
                Ok(m) => m,
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(store_err(prefix.to_string())(e)),
            };
            // Only content-named data files are ours to delete; anything else is left alone.
            let Some(hash) = meta
                .location
                .filename()
                .and_then(|n| n.strip_suffix(".parquet"))
                .and_then(|h| h.parse::<ContentHash>().ok())
            else {
                continue;
            };
            if referenced.contains(&hash) {
                continue;
            }
            if meta.last_modified.timestamp_millis() >= cutoff {
                report.kept_young_files += 1;
                continue;
            }
            let rel = lake
                .relative(&meta.location)
                .unwrap_or_else(|| meta.location.to_string());
            if !dry_run {
                match lake.store().delete(&meta.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(store_err(lake.display_path(&rel))(e)),
                }
            }
            report.deleted_files.push((rel, meta.size));
        }
    }
    report.deleted_files.sort();
    Ok(report)
}
