//! Bringing every table's Delta log up to the lake's latest version.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::StreamExt;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use runlake_format::delta::{
    CHECKPOINT_INTERVAL, DELTA_LOG_DIR, checkpoint_actions, checkpoint_path, commit_actions,
    commit_bytes, commit_path, last_checkpoint_path, parse_checkpoint_name, parse_commit_name,
};
use runlake_format::{Manifest, Table, VersionFile};
use serde::Serialize;

use crate::error::{LakeError, Result, store_err};
use crate::lake::Lake;
use crate::versions::StoredVersion;

/// What [`catch_up`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeltaReport {
    /// The lake version every table's log now reaches; `None` when the lake has the log off.
    pub version: Option<u64>,
    /// JSON commit files written.
    pub commits_written: u64,
    /// Checkpoints written.
    pub checkpoints_written: u64,
    /// Bytes of everything written.
    pub bytes_written: u64,
}

/// Version files read once and shared by every table.
#[derive(Default)]
pub(crate) struct Versions {
    read: BTreeMap<u64, Option<StoredVersion>>,
    /// Every readable version is already in `read` (a checked chain): never read others.
    complete: bool,
}

impl Versions {
    pub(crate) fn insert(&mut self, stored: StoredVersion) {
        self.read.insert(stored.version, Some(stored));
    }

    /// The versions of a checked chain; any other version is taken as unreadable.
    pub(crate) fn of_chain(chain: &crate::versions::Chain) -> Self {
        let mut versions = Self {
            complete: true,
            ..Self::default()
        };
        for v in &chain.versions {
            versions.insert(v.clone());
        }
        versions
    }

    pub(crate) async fn get(
        &mut self,
        lake: &Lake,
        version: u64,
    ) -> Result<Option<&StoredVersion>> {
        if !self.complete && !self.read.contains_key(&version) {
            let found = lake.log().read(version).await?;
            self.read.insert(version, found);
        }
        Ok(self.read.get(&version).and_then(Option::as_ref))
    }

    pub(crate) async fn live(&mut self, lake: &Lake, version: u64) -> Result<Option<Manifest>> {
        Ok(self
            .get(lake, version)
            .await?
            .and_then(|v| v.live().cloned()))
    }

    /// The commit time of a version, from its manifest or its tombstone.
    async fn created_at(&mut self, lake: &Lake, version: u64) -> Result<Option<i64>> {
        Ok(self.get(lake, version).await?.map(|v| match &v.file {
            VersionFile::Live(m) => m.created_at_ms,
            VersionFile::Expired(t) => t.created_at_ms,
        }))
    }
}

/// The newest version a table's log holds (a JSON commit or a checkpoint). The log is
/// usually at `likely` or beyond, so only names from there on are listed first (one short
/// page on S3 and GCS however long the history); the whole log only when none is there.
pub(crate) async fn newest_logged(lake: &Lake, table: Table, likely: u64) -> Result<Option<u64>> {
    let (commits, checkpoints) = logged_from(lake, table, Some(likely)).await?;
    if let Some(v) = commits.into_iter().chain(checkpoints).max() {
        return Ok(Some(v));
    }
    let (commits, checkpoints) = logged(lake, table).await?;
    Ok(commits.into_iter().chain(checkpoints).max())
}

/// The versions of a table's JSON commits and of its checkpoints.
pub(crate) async fn logged(lake: &Lake, table: Table) -> Result<(Vec<u64>, Vec<u64>)> {
    logged_from(lake, table, None).await
}

/// Like [`logged`], only versions from `from` on when given (names count up).
async fn logged_from(lake: &Lake, table: Table, from: Option<u64>) -> Result<(Vec<u64>, Vec<u64>)> {
    let dir = format!("{}/{DELTA_LOG_DIR}", table.name());
    let prefix = Lake::object_path(&dir);
    let mut listing = match from {
        // Every name of version `from` or later sorts after this bare prefix of its name.
        Some(v) => lake
            .objects()
            .list_with_offset(Some(&prefix), &Lake::object_path(&format!("{dir}/{v:020}"))),
        None => lake.objects().list(Some(&prefix)),
    };
    let mut commits = Vec::new();
    let mut checkpoints = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = match meta {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => break,
            Err(e) => return Err(store_err(lake.display_path(&dir))(e)),
        };
        let Some(name) = meta.location.filename() else {
            continue;
        };
        if let Some(v) = parse_commit_name(name) {
            commits.push(v);
        } else if let Some(v) = parse_checkpoint_name(name) {
            checkpoints.push(v);
        }
    }
    commits.sort_unstable();
    checkpoints.sort_unstable();
    Ok((commits, checkpoints))
}

/// Writes every Delta commit and checkpoint the tables' logs lack, up to the lake's latest
/// version. Idempotent: files already there are left alone (the same manifests give the same
/// bytes), so racing callers agree. Does nothing when the lake has the log off.
pub async fn catch_up(lake: &Lake) -> Result<DeltaReport> {
    let Some(top) = lake.log().latest().await? else {
        return Err(lake.not_a_lake());
    };
    let Some(latest) = top.live().cloned() else {
        return Ok(DeltaReport::default());
    };
    let mut report = DeltaReport::default();
    if !latest.delta_log {
        return Ok(report);
    }
    let mut versions = Versions::default();
    versions.read.insert(top.version, Some(top));
    for table in Table::ALL {
        let likely = latest.version.saturating_sub(1);
        let from = newest_logged(lake, table, likely)
            .await?
            .map_or(0, |v| v + 1);
        for version in from..=latest.version {
            write_version(lake, table, version, &mut versions, &mut report).await?;
        }
    }
    report.version = Some(latest.version);
    Ok(report)
}

/// Writes a table's log entry for one version: its JSON commit when the version before is
/// readable (or this is version 0), a checkpoint of its whole state when it is not (the
/// version before was expired by gc), and a checkpoint every [`CHECKPOINT_INTERVAL`] versions.
async fn write_version(
    lake: &Lake,
    table: Table,
    version: u64,
    versions: &mut Versions,
    report: &mut DeltaReport,
) -> Result<()> {
    let Some(manifest) = versions.live(lake, version).await? else {
        // Expired: only its successors can be shown.
        return Ok(());
    };
    let previous = match version.checked_sub(1) {
        None => None,
        Some(p) => match versions.live(lake, p).await? {
            Some(m) => Some(m),
            None => {
                write_checkpoint(lake, table, &manifest, versions, report).await?;
                return Ok(());
            }
        },
    };
    let actions = commit_actions(
        table,
        &manifest,
        previous.as_ref().and_then(|m| m.table(table)),
    )
    .map_err(|source| delta_err(lake, table, version, source))?;
    let bytes = commit_bytes(&actions);
    if put_if_absent(lake, &commit_path(table, version), bytes.clone()).await? {
        report.commits_written += 1;
        report.bytes_written += bytes.len() as u64;
    }
    if version > 0 && version.is_multiple_of(CHECKPOINT_INTERVAL) {
        write_checkpoint(lake, table, &manifest, versions, report).await?;
    }
    Ok(())
}

/// The bytes of a table's checkpoint at a version.
pub(crate) async fn checkpoint_bytes(
    lake: &Lake,
    table: Table,
    manifest: &Manifest,
    versions: &mut Versions,
) -> Result<(Bytes, usize)> {
    let empty = runlake_format::TableState::empty(table);
    let state = manifest.table(table).unwrap_or(&empty);
    let mut times = BTreeMap::new();
    for file in &state.files {
        if let std::collections::btree_map::Entry::Vacant(e) = times.entry(file.added_in_version)
            && let Some(t) = versions.created_at(lake, file.added_in_version).await?
        {
            e.insert(t);
        }
    }
    let actions = checkpoint_actions(table, manifest, &|v| times.get(&v).copied())
        .map_err(|source| delta_err(lake, table, manifest.version, source))?;
    let rows = actions.len();
    let path = checkpoint_path(table, manifest.version);
    let bytes = super::checkpoint::encode(&actions).map_err(|source| LakeError::Parquet {
        path: lake.display_path(&path),
        source,
    })?;
    Ok((Bytes::from(bytes), rows))
}

async fn write_checkpoint(
    lake: &Lake,
    table: Table,
    manifest: &Manifest,
    versions: &mut Versions,
    report: &mut DeltaReport,
) -> Result<()> {
    let (bytes, rows) = checkpoint_bytes(lake, table, manifest, versions).await?;
    let len = bytes.len() as u64;
    if put_if_absent(
        lake,
        &checkpoint_path(table, manifest.version),
        bytes.to_vec(),
    )
    .await?
    {
        report.checkpoints_written += 1;
        report.bytes_written += len;
    }
    // The pointer only saves readers a listing; it is rewritten with each checkpoint.
    let pointer = format!(
        "{{\"version\":{},\"size\":{rows},\"sizeInBytes\":{len}}}\n",
        manifest.version
    );
    let rel = last_checkpoint_path(table);
    report.bytes_written += pointer.len() as u64;
    lake.objects()
        .put(
            &Lake::object_path(&rel),
            PutPayload::from(pointer.into_bytes()),
        )
        .await
        .map_err(store_err(lake.display_path(&rel)))?;
    Ok(())
}

/// Creates a log file unless one is there; returns whether this call created it. A file
/// already there is the same version's entry, derived from the same manifest.
async fn put_if_absent(lake: &Lake, rel: &str, bytes: Vec<u8>) -> Result<bool> {
    let opts = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    match lake
        .objects()
        .put_opts(&Lake::object_path(rel), PutPayload::from(bytes), opts)
        .await
    {
        Ok(_) => Ok(true),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
        Err(e) => Err(store_err(lake.display_path(rel))(e)),
    }
}

/// Replaces a table's JSON commit of `version` by the one its manifests give: the repair of a
/// commit file that disagrees with them (the manifests are the authority).
pub async fn rewrite_commit(lake: &Lake, table: Table, version: u64) -> Result<bool> {
    let mut versions = Versions::default();
    let Some(manifest) = versions.live(lake, version).await? else {
        return Ok(false);
    };
    let previous = match version.checked_sub(1) {
        None => None,
        Some(p) => match versions.live(lake, p).await? {
            Some(m) => Some(m),
            None => return Ok(false),
        },
    };
    let actions = commit_actions(
        table,
        &manifest,
        previous.as_ref().and_then(|m| m.table(table)),
    )
    .map_err(|source| delta_err(lake, table, version, source))?;
    let rel = commit_path(table, version);
    lake.objects()
        .put(
            &Lake::object_path(&rel),
            PutPayload::from(commit_bytes(&actions)),
        )
        .await
        .map_err(store_err(lake.display_path(&rel)))?;
    Ok(true)
}

fn delta_err(
    lake: &Lake,
    table: Table,
    version: u64,
    source: runlake_format::delta::DeltaError,
) -> LakeError {
    LakeError::Delta {
        path: lake.display_path(&commit_path(table, version)),
        source,
    }
}
