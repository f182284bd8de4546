//! Garbage collection: expiring old versions and deleting files nothing retained references.
//!
//! `gc` decides from validated manifests only. It reads the whole version chain first and, if
//! anything in the versions folder cannot be explained (garbage, a truncated or stray copy of a
//! manifest, a number beyond the chain, a broken link), changes nothing and names the files.
//!
//! Retained versions are the latest one and every version committed within the grace period.
//! Older versions are expired: their manifest is replaced by a tombstone that keeps the hash
//! chain checkable and stops the version number from being reused. A file is deleted only when
//! it is a content-named data file (or a staged upload of one) inside the table folder and
//! partition folders the format defines, no retained version references it, and it was last
//! modified before the grace period. On local lakes the folders are walked without following
//! links, so a link inside a table folder never leads gc out of the lake.
//!
//! Racing writers: see `spec/FORMAT.md`, section 9. While it deletes, gc holds a lease that
//! writers wait on before checking that their committed files are present (and putting back
//! any that are not); before each deletion gc also looks for versions committed since it read
//! the chain and spares the files they reference, so such repairs are rare.

use std::collections::{HashMap, HashSet};
use std::path::Path as FsPath;
use std::time::Duration;

use futures::StreamExt;
use object_store::ObjectStoreExt;
use runlake_format::layout::{is_staged_upload_name, parse_data_file_path};
use runlake_format::{ContentHash, FormatVersion, Table, Tombstone, VersionFile};
use serde::Serialize;

use crate::error::{LakeError, Result, store_err};
use crate::gc_lease::Lease;
use crate::lake::{Lake, now_ms};
use crate::versions::{StoredVersion, VersionLog};

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
    /// Staged uploads left by interrupted writers, deleted, with their sizes.
    pub deleted_staged: Vec<(String, u64)>,
    /// Files the latest version no longer lists, kept because a version committed within the
    /// grace period still does.
    pub kept_superseded_files: u64,
    /// Bytes of those files.
    pub kept_superseded_bytes: u64,
    /// Unreferenced files kept because they are younger than the grace period.
    pub kept_young_files: u64,
    /// Bytes of those files.
    pub kept_young_bytes: u64,
    /// When the first of the kept files becomes collectable (ms since the epoch).
    pub next_collectable_at_ms: Option<i64>,
    /// Files spared because a version committed while gc ran references them.
    pub spared_for_new_versions: u64,
    /// Links and other non-regular entries in table folders, left alone.
    pub skipped_links: Vec<String>,
}

/// One file gc may delete.
struct Candidate {
    /// Lake-relative path.
    rel: String,
    /// The content hash of the data file it is; `None` for staged uploads, which no version
    /// ever references.
    hash: Option<ContentHash>,
    size: u64,
    modified_ms: i64,
    staged: bool,
}

/// Collects garbage older than `grace`.
pub async fn gc(lake: &Lake, grace: Duration, dry_run: bool) -> Result<GcReport> {
    let now = now_ms();
    let cutoff = now.saturating_sub(i64::try_from(grace.as_millis()).unwrap_or(i64::MAX));
    let mut report = GcReport {
        dry_run,
        ..GcReport::default()
    };
    let log = lake.log();
    let chain = log.chain().await?;
    if !chain.problems.is_empty() {
        return Err(LakeError::GcRefused {
            problems: chain
                .problems
                .iter()
                .map(|p| format!("{} {}", lake.display_path(&p.path), p.detail))
                .collect(),
        });
    }
    let (Some(latest), Some(top)) = (chain.latest, chain.versions.last()) else {
        return Err(lake.not_a_lake());
    };
    let mut top = top.clone();
    let mut referenced: HashSet<ContentHash> = HashSet::new();
    // Files only older retained versions still list: when each stops being retained.
    let mut held_until: HashMap<ContentHash, i64> = HashMap::new();
    let grace_ms = now.saturating_sub(cutoff);
    let mut tombstones = Vec::new();
    for stored in &chain.versions {
        let VersionFile::Live(m) = &stored.file else {
            continue;
        };
        if stored.version == latest || m.created_at_ms >= cutoff {
            referenced.extend(m.all_files().map(|(_, f)| f.blake3));
            if stored.version != latest {
                let until = m.created_at_ms.saturating_add(grace_ms);
                for (_, f) in m.all_files() {
                    let at = held_until.entry(f.blake3).or_insert(until);
                    *at = (*at).max(until);
                }
            }
            continue;
        }
        report.expired_versions.push(stored.version);
        tombstones.push(Tombstone {
            format: runlake_format::manifest::FORMAT_NAME.to_owned(),
            format_version: FormatVersion::CURRENT,
            version: stored.version,
            expired: true,
            expired_at_ms: now,
            created_at_ms: m.created_at_ms,
            original_blake3: stored.blake3,
            commit_id: m.commit_id.clone(),
        });
    }
    if !dry_run {
        // A Delta log left behind by a crash would still list files the latest version
        // dropped: bring it up first, so its newest version never names a deleted file.
        crate::delta::catch_up(lake).await?;
        for tombstone in &tombstones {
            log.expire(tombstone).await?;
        }
    }
    let candidates = match lake.local_dir() {
        Some(dir) => {
            let mut found = local_candidates(&dir, &mut report.skipped_links)?;
            found.extend(staging_leftovers(&dir)?);
            found
        }
        None => store_candidates(lake).await?,
    };
    let mut lease = if dry_run {
        None
    } else {
        Some(Lease::take(lake).await?)
    };
    // Versions committed between reading the chain and taking the lease are seen here.
    if lease.is_some() {
        top = newer_versions(&log, top, &mut referenced).await?;
    }
    if let Some(VersionFile::Live(m)) = chain.versions.last().map(|v| &v.file) {
        for (_, f) in m.all_files() {
            held_until.remove(&f.blake3);
        }
    }
    for c in candidates {
        if let Some(lease) = &mut lease {
            lease.beat().await?;
        }
        if let Some(until) = c.hash.and_then(|h| held_until.get(&h)) {
            report.kept_superseded_files += 1;
            report.kept_superseded_bytes += c.size;
            report.next_collectable_at_ms = Some(
                report
                    .next_collectable_at_ms
                    .map_or(*until, |at: i64| at.min(*until)),
            );
            continue;
        }
        if c.hash.is_some_and(|h| referenced.contains(&h)) {
            continue;
        }
        if c.modified_ms >= cutoff {
            report.kept_young_files += 1;
            report.kept_young_bytes += c.size;
            let due = c.modified_ms.saturating_add(now.saturating_sub(cutoff));
            report.next_collectable_at_ms = Some(
                report
                    .next_collectable_at_ms
                    .map_or(due, |at: i64| at.min(due)),
            );
            continue;
        }
        if !dry_run && !c.staged {
            // A writer may have committed a version referencing this file since the chain
            // was read; it could not be seen then.
            top = newer_versions(&log, top, &mut referenced).await?;
            if c.hash.is_some_and(|h| referenced.contains(&h)) {
                report.spared_for_new_versions += 1;
                continue;
            }
        }
        if !dry_run {
            delete(lake, &c.rel).await?;
        }
        if c.staged {
            report.deleted_staged.push((c.rel, c.size));
        } else {
            report.deleted_files.push((c.rel, c.size));
        }
    }
    if let Some(lease) = lease {
        lease.release().await?;
    }
    report.deleted_files.sort();
    report.deleted_staged.sort();
    Ok(report)
}

/// Follows the chain past `top`, adding the files of every new version to `referenced`.
async fn newer_versions(
    log: &VersionLog,
    mut top: StoredVersion,
    referenced: &mut HashSet<ContentHash>,
) -> Result<StoredVersion> {
    while let Some(next) = top.version.checked_add(1) {
        match log.read(next).await {
            Ok(Some(found)) if found.links_to(&top) => {
                if let Some(m) = found.live() {
                    referenced.extend(m.all_files().map(|(_, f)| f.blake3));
                }
                top = found;
            }
            Ok(_) | Err(LakeError::Manifest { .. }) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(top)
}

async fn delete(lake: &Lake, rel: &str) -> Result<()> {
    if let Some(dir) = lake.local_dir() {
        let path = dir.join(rel);
        // Checked again right before deleting: only a regular file, never a link.
        return match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() => match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(LakeError::Task(format!("{}: {e}", lake.display_path(rel)))),
            },
            _ => Ok(()),
        };
    }
    match lake.store().delete(&lake.path(rel)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(store_err(lake.display_path(rel))(e)),
    }
}

/// What a table folder of a local lake holds that gc may delete, found without following links
/// (object_store's local listing follows them). Only regular files count; every link is
/// reported and left alone, and folders behind links are never entered.
fn local_candidates(root: &FsPath, links: &mut Vec<String>) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for table in Table::ALL {
        let mut stack = vec![table.name().to_owned()];
        while let Some(rel_dir) = stack.pop() {
            let dir = root.join(&rel_dir);
            let meta = match std::fs::symlink_metadata(&dir) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(LakeError::Task(format!("{}: {e}", dir.display()))),
            };
            if !meta.file_type().is_dir() {
                links.push(rel_dir);
                continue;
            }
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| LakeError::Task(format!("{}: {e}", dir.display())))?;
            for entry in entries {
                let entry =
                    entry.map_err(|e| LakeError::Task(format!("{}: {e}", dir.display())))?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let rel = format!("{rel_dir}/{name}");
                let meta = match entry.metadata() {
                    Ok(m) => m,
                    // A writer's upload in flight is renamed or removed between listing and
                    // looking: gone, so nothing to collect.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(LakeError::Task(format!("{}: {e}", entry.path().display())));
                    }
                };
                let kind = meta.file_type();
                if kind.is_symlink() {
                    links.push(rel);
                } else if kind.is_dir() {
                    stack.push(rel);
                } else if kind.is_file()
                    && let Some(c) = candidate(&rel, meta.len(), modified_ms(&meta))
                {
                    out.push(c);
                }
            }
        }
    }
    links.sort();
    Ok(out)
}

/// Files a local writer killed mid-write left in the staging folder.
fn staging_leftovers(root: &FsPath) -> Result<Vec<Candidate>> {
    let dir = root.join(crate::writer::STAGING_DIR);
    // A link standing for the staging folder (or `_runlake`) would lead gc out of the lake.
    let real_dir = |p: &FsPath| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_dir());
    if !real_dir(&root.join(runlake_format::layout::META_DIR)) || !real_dir(&dir) {
        return Ok(Vec::new());
    }
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LakeError::Task(format!("{}: {e}", dir.display()))),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if !meta.file_type().is_file() || !name.ends_with(".tmp") {
            continue;
        }
        out.push(Candidate {
            rel: format!("{}/{name}", crate::writer::STAGING_DIR),
            hash: None,
            size: meta.len(),
            modified_ms: modified_ms(&meta),
            staged: true,
        });
    }
    Ok(out)
}

fn modified_ms(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(i64::MAX, |d| {
            i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
        })
}

/// A deletable file: a data file at a path the format defines, or a staged upload of one.
fn candidate(rel: &str, size: u64, modified_ms: i64) -> Option<Candidate> {
    let (path, staged) = match rel.rsplit_once('/') {
        Some((_, name)) if is_staged_upload_name(name) => {
            (rel.split_once('#').map_or(rel, |(p, _)| p), true)
        }
        _ => (rel, false),
    };
    let parsed = parse_data_file_path(path).ok()?;
    Some(Candidate {
        rel: rel.to_owned(),
        hash: (!staged).then_some(parsed.hash),
        size,
        modified_ms,
        staged,
    })
}

async fn store_candidates(lake: &Lake) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for table in Table::ALL {
        let prefix = lake.path(table.name());
        let mut listing = lake.store().list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = match meta {
                Ok(m) => m,
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(store_err(prefix.to_string())(e)),
            };
            let Some(rel) = lake.relative(&meta.location) else {
                continue;
            };
            if let Some(c) = candidate(&rel, meta.size, meta.last_modified.timestamp_millis()) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    #[test]
    fn only_format_paths_are_candidates() {
        let ok = candidate(&format!("evals/phase=pretrain/{HASH}.parquet"), 1, 0);
        assert!(ok.is_some_and(|c| !c.staged));
        let staged = candidate(&format!("lineage/{HASH}.parquet#3"), 1, 0);
        assert!(staged.is_some_and(|c| c.staged));
        for rel in [
            format!("evals/{HASH}.parquet"),
            format!("evals/phase=pretrain/x/{HASH}.parquet"),
            format!("evals/phase=pretrain/{HASH}.parquet.keep"),
            "evals/phase=pretrain/notes.txt".to_owned(),
        ] {
            assert!(candidate(&rel, 1, 0).is_none(), "{rel}");
        }
    }
}
