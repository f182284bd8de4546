//! The sync itself: place the destination in the source's history, send the data files it
//! lacks, then create the manifests with put-if-absent, last.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use bytes::Bytes;
use runlake_format::layout::{VERSIONS_DIR, version_path};
use runlake_format::{DataFile, Manifest};
use runlake_lake::{Created, Lake, LakeError};

use crate::chain::{self, Entry, Relation};
use crate::divergence::{Divergence, VersionSummary};
use crate::error::{Result, SyncError};
use crate::merge::{self, Onto};
use crate::options::SyncOptions;
use crate::report::{PlannedFile, SyncOutcome, SyncReport};
use crate::transfer::{self, Tracker};

/// Brings `dst` up to `src`'s latest version.
///
/// The destination is read first (its latest manifest), the data files it lacks are sent, and
/// only then are the source's manifests created on it, oldest first, each with put-if-absent;
/// so at every moment the destination is a complete lake at some version. A sync that fails
/// or is killed leaves the files it sent, and the next run skips them.
///
/// When another writer creates a destination version first, the sync starts over from the new
/// destination state (up to `opts.max_attempts` times): it then fast-forwards, rebases (with
/// `opts.rebase`) or refuses as [`SyncError::Diverged`].
pub async fn sync(src: &Lake, dst: &Lake, opts: &SyncOptions) -> Result<SyncReport> {
    let started = Instant::now();
    let mut sent = Sent::default();
    for attempt in 1..=opts.max_attempts.max(1) {
        if let Some(mut report) = attempt_once(src, dst, opts, &mut sent).await? {
            // The destination's Delta logs come from its own manifests (after a rebase or a
            // forced sync its versions differ from the source's), written last.
            if !opts.dry_run {
                runlake_lake::delta::catch_up(dst).await?;
            }
            report.attempts = attempt;
            report.elapsed_ms = started.elapsed().as_millis() as u64;
            return Ok(report);
        }
    }
    Err(SyncError::Busy {
        destination: dst.location().to_owned(),
        attempts: opts.max_attempts.max(1),
    })
}

/// Counts that survive a lost race.
#[derive(Default)]
struct Sent {
    files: BTreeMap<String, u64>,
    skipped: BTreeMap<String, u64>,
    manifest_bytes: u64,
}

/// What one attempt will write.
struct Plan {
    outcome: SyncOutcome,
    /// Version files to create, oldest first, with their exact bytes.
    versions: Vec<(u64, Bytes)>,
    /// Data files the new versions need that the destination's latest does not reference,
    /// each with a version naming it.
    needed: Vec<(DataFile, u64)>,
}

async fn attempt_once(
    src: &Lake,
    dst: &Lake,
    opts: &SyncOptions,
    sent: &mut Sent,
) -> Result<Option<SyncReport>> {
    let src_top = latest(src).await?.ok_or_else(|| LakeError::NotALake {
        location: src.location().to_owned(),
        versions: VERSIONS_DIR,
    })?;
    let src_manifest = src_top
        .live()
        .cloned()
        .ok_or_else(|| SyncError::BrokenChain {
            path: src.display_path(&version_path(src_top.version)),
            reason: "the latest version is expired".into(),
        })?;
    // Below a lost version file the destination reads as the version before it: the versions
    // copied from there restore the lost file, and must then match those already present.
    let (dst_top, dst_lost) = dst.log().latest_below_lost().await?;
    let dst_top = dst_top.map(Entry::from);
    let report = |outcome, after: Option<u64>| SyncReport {
        source: src.location().to_owned(),
        destination: dst.location().to_owned(),
        outcome,
        dry_run: opts.dry_run,
        source_version: src_top.version,
        destination_before: dst_top.as_ref().map(|e| e.version),
        destination_after: after,
        versions_written: Vec::new(),
        files_sent: 0,
        bytes_sent: 0,
        files_skipped: 0,
        bytes_skipped: 0,
        manifest_bytes: 0,
        attempts: 0,
        elapsed_ms: 0,
        files: Vec::new(),
    };
    let plan = match &dst_top {
        None => fast_forward(src, &src_top, None, SyncOutcome::Created).await?,
        Some(d) => {
            let dm = d.live().ok_or_else(|| SyncError::BrokenChain {
                path: dst.display_path(&version_path(d.version)),
                reason: "the destination's latest version is expired".into(),
            })?;
            let relation = if dm.lake_id != src_manifest.lake_id {
                if !opts.force {
                    return Err(SyncError::DifferentLakes {
                        source_location: src.location().to_owned(),
                        source_id: src_manifest.lake_id.clone(),
                        destination: dst.location().to_owned(),
                        destination_id: dm.lake_id.clone(),
                    });
                }
                Relation::Diverged { base: None }
            } else {
                chain::relate(src, &src_top, dst, d).await?
            };
            match relation {
                Relation::Same => return Ok(Some(report(SyncOutcome::UpToDate, Some(d.version)))),
                Relation::Ahead if !opts.force => {
                    return Ok(Some(report(SyncOutcome::DestinationAhead, Some(d.version))));
                }
                Relation::Behind => {
                    fast_forward(src, &src_top, Some((d, dm)), SyncOutcome::FastForward).await?
                }
                Relation::Ahead => {
                    let base = Some(src_top.version);
                    diverged(src, &src_top, &src_manifest, dst, d, dm, base, opts).await?
                }
                Relation::Diverged { base } => {
                    diverged(src, &src_top, &src_manifest, dst, d, dm, base, opts).await?
                }
            }
        }
    };
    let candidates: Vec<DataFile> = plan.needed.iter().map(|(f, _)| f.clone()).collect();
    let (missing, present) = transfer::partition_present(dst, candidates, opts).await?;
    let before = dst_top.as_ref().map(|e| e.version);
    let mut out = report(
        plan.outcome,
        plan.versions.last().map(|(v, _)| *v).or(before),
    );
    out.versions_written = plan.versions.iter().map(|(v, _)| *v).collect();
    out.files = missing
        .iter()
        .map(|f| PlannedFile {
            path: f.path.clone(),
            bytes: f.bytes,
        })
        .collect();
    if dst_lost {
        restorable(dst, dst_top.as_ref().map(|d| d.version), &plan.versions).await?;
    }
    if opts.dry_run {
        out.destination_after = out.destination_before;
        out.files_sent = missing.len() as u64;
        out.bytes_sent = missing.iter().map(|f| f.bytes).sum();
        out.files_skipped = present.len() as u64;
        out.bytes_skipped = present.iter().map(|f| f.bytes).sum();
        out.manifest_bytes = plan.versions.iter().map(|(_, b)| b.len() as u64).sum();
        return Ok(Some(out));
    }
    for f in &present {
        if !sent.files.contains_key(&f.path) {
            sent.skipped.insert(f.path.clone(), f.bytes);
        }
    }
    let versions_of: BTreeMap<&str, u64> = plan
        .needed
        .iter()
        .map(|(f, v)| (f.path.as_str(), *v))
        .collect();
    let to_send: Vec<(DataFile, u64)> = missing
        .iter()
        .map(|f| {
            (
                f.clone(),
                versions_of.get(f.path.as_str()).copied().unwrap_or(0),
            )
        })
        .collect();
    let tracker = Tracker::new(&missing, opts);
    transfer::copy_all(src, dst, &to_send, opts, &tracker).await?;
    for f in &missing {
        sent.files.insert(f.path.clone(), f.bytes);
    }
    for (version, bytes) in &plan.versions {
        match create(dst, *version, bytes).await? {
            Created::Ours => sent.manifest_bytes += bytes.len() as u64,
            Created::Identical => {}
            Created::Taken => return Ok(None),
        }
    }
    if let Some((v, _)) = plan.versions.last() {
        dst.log().write_hint(*v).await;
    }
    out.files = sent
        .files
        .iter()
        .map(|(p, b)| PlannedFile {
            path: p.clone(),
            bytes: *b,
        })
        .collect();
    out.files_sent = sent.files.len() as u64;
    out.bytes_sent = sent.files.values().sum();
    out.files_skipped = sent.skipped.len() as u64;
    out.bytes_skipped = sent.skipped.values().sum();
    out.manifest_bytes = sent.manifest_bytes;
    Ok(Some(out))
}

/// Refuses to fill a destination's lost version file from the source unless every version file
/// the destination holds after `top` is the source's, byte for byte: otherwise the restored file
/// would not be the one they link to.
async fn restorable(dst: &Lake, top: Option<u64>, versions: &[(u64, Bytes)]) -> Result<()> {
    let (listed, _) = dst.log().listing().await?;
    for v in listed.into_iter().filter(|v| top.is_none_or(|t| *v > t)) {
        let theirs = versions.iter().find(|(s, _)| *s == v).map(|(_, b)| b);
        let same = match (dst.log().read(v).await, theirs) {
            (Ok(Some(found)), Some(bytes)) => found.bytes == *bytes,
            (Ok(None), _) => true,
            (Ok(Some(_)) | Err(LakeError::Manifest { .. }), _) => false,
            (Err(e), _) => return Err(e.into()),
        };
        if !same {
            return Err(SyncError::BrokenChain {
                path: dst.display_path(&version_path(v)),
                reason: "the destination lost an earlier version file, and this version is not \
                         the source's: the lost file cannot be restored from the source; restore \
                         it from a copy of the destination"
                    .into(),
            });
        }
    }
    Ok(())
}

/// The newest valid version, through the lake's version log (strays are never followed).
async fn latest(lake: &Lake) -> Result<Option<Entry>> {
    Ok(lake.log().latest().await?.map(Entry::from))
}

/// Copies the source's versions after the destination's latest (all of them for an empty
/// destination), checking that they chain.
async fn fast_forward(
    src: &Lake,
    src_top: &Entry,
    dst: Option<(&Entry, &Manifest)>,
    outcome: SyncOutcome,
) -> Result<Plan> {
    let first = dst.map_or(0, |(d, _)| d.version + 1);
    let mut prev = dst.map(|(d, _)| d.chain_hash);
    let mut entries = Vec::new();
    for v in first..=src_top.version {
        let e = if v == src_top.version {
            src_top.clone()
        } else {
            chain::read(src, v)
                .await?
                .ok_or_else(|| SyncError::BrokenChain {
                    path: src.display_path(&version_path(v)),
                    reason: format!("version {v} is missing"),
                })?
        };
        if let Some(m) = e.live() {
            let ok = match (&m.parent, prev) {
                (None, None) => v == 0,
                (Some(p), Some(h)) => p.version + 1 == v && p.blake3 == h,
                // A gc'd source may start with expired versions: nothing to compare then.
                (Some(p), None) => p.version + 1 == v && v == first && first > 0,
                (None, Some(_)) => false,
            };
            if !ok || m.version != v {
                return Err(SyncError::BrokenChain {
                    path: src.display_path(&version_path(v)),
                    reason: format!(
                        "version {v} does not link to version {}",
                        v.saturating_sub(1)
                    ),
                });
            }
        }
        prev = Some(e.chain_hash);
        entries.push(e);
    }
    let referenced = transfer::referenced(entries.iter().filter_map(|e| e.live()));
    let have: BTreeSet<(&str, u64)> = dst
        .map(|(_, m)| {
            m.all_files()
                .map(|(_, f)| (f.path.as_str(), f.bytes))
                .collect()
        })
        .unwrap_or_default();
    let needed = referenced
        .into_values()
        .filter(|(f, _)| !have.contains(&(f.path.as_str(), f.bytes)))
        .collect();
    Ok(Plan {
        outcome,
        versions: entries.into_iter().map(|e| (e.version, e.bytes)).collect(),
        needed,
    })
}

async fn side(lake: &Lake, from: u64, to: u64) -> Result<Vec<VersionSummary>> {
    let mut out = Vec::new();
    for v in from..=to {
        if let Some(e) = chain::read(lake, v).await? {
            out.push(VersionSummary::of(&e));
        }
    }
    Ok(out)
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are the two lakes' tops, already read"
)]
async fn diverged(
    src: &Lake,
    src_top: &Entry,
    src_manifest: &Manifest,
    dst: &Lake,
    dst_top: &Entry,
    dst_manifest: &Manifest,
    base: Option<u64>,
    opts: &SyncOptions,
) -> Result<Plan> {
    let first = base.map_or(0, |b| b + 1);
    let source_only = if first <= src_top.version {
        side(src, first, src_top.version).await?
    } else {
        Vec::new()
    };
    let destination_only = side(dst, first, dst_top.version).await?;
    let mut divergence = Divergence::new(
        src.location(),
        dst.location(),
        base,
        source_only,
        destination_only,
    );
    let refuse = |d: Divergence| Err(SyncError::Diverged(Box::new(d)));
    let base_manifest = match base {
        Some(b) => base_manifest(src, dst, b).await?,
        None => None,
    };
    let onto = onto(
        src,
        src_top,
        dst_top,
        dst_manifest,
        base,
        &divergence,
        opts.force,
    );
    if !opts.force
        && let Some(b) = &base_manifest
        && let Ok(m) = merge::rebased(b, src_manifest, &onto)
        && m.tables == dst_manifest.tables
    {
        // The destination already holds every change of the source (an earlier rebase).
        return Ok(Plan {
            outcome: SyncOutcome::DestinationAhead,
            versions: Vec::new(),
            needed: Vec::new(),
        });
    }
    if !opts.force && !opts.rebase {
        return refuse(divergence);
    }
    let (manifest, outcome) = if opts.force {
        (merge::forced(src_manifest, &onto), SyncOutcome::Forced)
    } else {
        if !divergence.commutes() {
            return refuse(divergence);
        }
        let Some(base_manifest) = base_manifest else {
            divergence
                .conflicts
                .push("the common version was expired by gc on both sides".into());
            return refuse(divergence);
        };
        match merge::rebased(&base_manifest, src_manifest, &onto) {
            Ok(m) => (m, SyncOutcome::Rebased),
            Err(conflicts) => {
                divergence.conflicts.extend(conflicts);
                return refuse(divergence);
            }
        }
    };
    let have: BTreeSet<&str> = dst_manifest
        .all_files()
        .map(|(_, f)| f.path.as_str())
        .collect();
    let needed = manifest
        .all_files()
        .filter(|(_, f)| !have.contains(f.path.as_str()))
        .map(|(_, f)| (f.clone(), src_top.version))
        .collect();
    // Rebased files carry the destination's version numbers; the source names them by path.
    let needed = needed_from_source(needed, src_manifest);
    Ok(Plan {
        outcome,
        versions: vec![(manifest.version, Bytes::from(manifest.to_bytes()))],
        needed,
    })
}

fn onto<'a>(
    src: &Lake,
    src_top: &Entry,
    dst_top: &Entry,
    dst_manifest: &'a Manifest,
    base: Option<u64>,
    divergence: &Divergence,
    force: bool,
) -> Onto<'a> {
    let mut runs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let sides = if force {
        vec![&divergence.source_only, &divergence.destination_only]
    } else {
        vec![&divergence.source_only]
    };
    for s in sides.into_iter().flatten() {
        for (t, r) in &s.runs {
            runs.entry(t.clone()).or_default().extend(r.iter().cloned());
        }
    }
    Onto {
        dst: dst_manifest,
        dst_hash: dst_top.chain_hash,
        commit_id: uuid::Uuid::new_v4().to_string(),
        now_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
        writer: format!("runlake {}", env!("CARGO_PKG_VERSION")),
        description: match base {
            Some(b) => format!(
                "sync from {} (versions {}..={} after common version {b})",
                src.location(),
                b + 1,
                src_top.version
            ),
            None => format!("sync from {} (version {})", src.location(), src_top.version),
        },
        runs: runs
            .into_iter()
            .map(|(t, r)| (t, r.into_iter().collect()))
            .collect(),
    }
}

/// The source's own entries for the files to send, so hashes are checked against the source.
fn needed_from_source(needed: Vec<(DataFile, u64)>, src: &Manifest) -> Vec<(DataFile, u64)> {
    let by_path: BTreeMap<&str, &DataFile> =
        src.all_files().map(|(_, f)| (f.path.as_str(), f)).collect();
    needed
        .into_iter()
        .map(|(f, v)| match by_path.get(f.path.as_str()) {
            Some(s) => ((*s).clone(), v),
            None => (f, v),
        })
        .collect()
}

async fn base_manifest(src: &Lake, dst: &Lake, base: u64) -> Result<Option<Manifest>> {
    for lake in [src, dst] {
        if let Some(e) = chain::read(lake, base).await?
            && let Some(m) = e.live()
        {
            return Ok(Some(m.clone()));
        }
    }
    Ok(None)
}

/// Creates a version file with put-if-absent through the destination's version log, which
/// never overwrites one.
async fn create(dst: &Lake, version: u64, bytes: &Bytes) -> Result<Created> {
    Ok(dst.log().create(version, bytes.clone()).await?)
}
