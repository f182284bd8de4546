//! A lake handle: where it lives and how to reach its versions.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::ObjectStore;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use runlake_format::layout::VERSIONS_DIR;
use runlake_format::{ContentHash, Manifest, VersionFile};

use crate::error::{LakeError, Result};
use crate::location::{StoreOptions, resolve};
use crate::versions::{Created, VersionLog};
use crate::writer::Transaction;

/// Tunables of the engine; the defaults suit DataDecide-sized tables.
#[derive(Debug, Clone)]
pub struct LakeConfig {
    /// Commit attempts before giving up on a busy lake.
    pub max_commit_attempts: u32,
    /// First retry delay; doubles per attempt, with jitter.
    pub backoff_base: Duration,
    /// Rows buffered per table partition before they are sorted and written to its file.
    pub spill_rows: usize,
    /// Bytes buffered per table partition before they are written, whatever their rows:
    /// wide rows (a run's whole config and summary) fill memory long before `spill_rows`.
    pub spill_bytes: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Rows after which a data file is closed and a new one started.
    pub file_rows: usize,
    /// Merge the sorted runs a data file was written in (one per `spill_rows` buffer) into
    /// one before uploading it, so a new file reads as fast as a compacted one.
    pub merge_runs: bool,
}

impl Default for LakeConfig {
    fn default() -> Self {
        Self {
            max_commit_attempts: 12,
            backoff_base: Duration::from_millis(20),
            spill_rows: 1 << 17,
            spill_bytes: 64 << 20,
            row_group_rows: 1 << 15,
            file_rows: 1 << 21,
            merge_runs: true,
        }
    }
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn ObjectStore>,
    root: Path,
    /// The store seen from the lake's root: paths are lake-relative.
    objects: Arc<dyn ObjectStore>,
    location: String,
    ordered_listing: bool,
    /// The folder on this machine, when the store is a local folder opened from a location.
    local_dir: Option<std::path::PathBuf>,
    config: LakeConfig,
}

/// A handle on one lake. Cheap to clone; holds no version state.
#[derive(Debug, Clone)]
pub struct Lake {
    inner: Arc<Inner>,
}

/// A parsed manifest with the hash of its exact bytes.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The manifest.
    pub manifest: Manifest,
    /// BLAKE3 of the stored bytes.
    pub blake3: ContentHash,
}

impl Lake {
    /// A lake over an existing store and prefix.
    pub fn from_store(
        store: Arc<dyn ObjectStore>,
        root: Path,
        location: impl Into<String>,
        ordered_listing: bool,
    ) -> Self {
        let objects: Arc<dyn ObjectStore> = if root.as_ref().is_empty() {
            Arc::clone(&store)
        } else {
            Arc::new(PrefixStore::new(Arc::clone(&store), root.clone()))
        };
        Self {
            inner: Arc::new(Inner {
                store,
                root,
                objects,
                location: location.into(),
                ordered_listing,
                local_dir: None,
                config: LakeConfig::default(),
            }),
        }
    }

    /// A fresh lake in memory (for tests); it is created on first commit.
    pub fn in_memory() -> Self {
        Self::from_store(
            Arc::new(object_store::memory::InMemory::new()),
            Path::default(),
            "memory://",
            true,
        )
    }

    /// The same lake with other tunables.
    pub fn with_config(&self, config: LakeConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: Arc::clone(&self.inner.store),
                root: self.inner.root.clone(),
                objects: Arc::clone(&self.inner.objects),
                location: self.inner.location.clone(),
                ordered_listing: self.inner.ordered_listing,
                local_dir: self.inner.local_dir.clone(),
                config,
            }),
        }
    }

    /// Opens an existing lake.
    pub async fn open(location: &str) -> Result<Self> {
        Self::open_with(location, &StoreOptions::default()).await
    }

    /// Opens an existing lake with store options.
    pub async fn open_with(location: &str, options: &StoreOptions) -> Result<Self> {
        let lake = Self::unchecked(location, options, false)?;
        // A damaged log still opens, so `verify` and `log` can name what is wrong; reading the
        // latest version then fails with the same error.
        if !lake.log().exists().await? {
            return Err(lake.not_a_lake());
        }
        Ok(lake)
    }

    /// Creates a new, empty lake (version 0). Fails if one exists.
    pub async fn create(location: &str) -> Result<Self> {
        Self::create_with(location, &StoreOptions::default()).await
    }

    /// Creates a new lake with store options.
    pub async fn create_with(location: &str, options: &StoreOptions) -> Result<Self> {
        Self::create_with_delta(location, options, true).await
    }

    /// Creates a new lake, with or without the Delta Lake log beside each table (recorded in
    /// the manifest, so every later writer honours it).
    pub async fn create_with_delta(
        location: &str,
        options: &StoreOptions,
        delta_log: bool,
    ) -> Result<Self> {
        let lake = Self::unchecked(location, options, true)?;
        if lake.init_with(delta_log).await? {
            Ok(lake)
        } else {
            Err(LakeError::AlreadyExists {
                location: location.to_owned(),
            })
        }
    }

    /// Opens the lake, creating it when missing.
    pub async fn open_or_create(location: &str) -> Result<Self> {
        Self::open_or_create_with(location, &StoreOptions::default()).await
    }

    /// Opens or creates with store options.
    pub async fn open_or_create_with(location: &str, options: &StoreOptions) -> Result<Self> {
        let lake = Self::unchecked(location, options, true)?;
        lake.init().await?;
        Ok(lake)
    }

    /// A handle without checking that a lake exists.
    pub fn unchecked(location: &str, options: &StoreOptions, create_dir: bool) -> Result<Self> {
        let resolved = resolve(location, options, create_dir)?;
        let mut lake = Self::from_store(
            resolved.store,
            resolved.root,
            location,
            resolved.ordered_listing,
        );
        if let Some(inner) = Arc::get_mut(&mut lake.inner) {
            inner.local_dir = resolved.local_dir;
        }
        Ok(lake)
    }

    /// Writes version 0 if the lake has no version yet. Returns whether it did.
    pub async fn init(&self) -> Result<bool> {
        self.init_with(true).await
    }

    /// Writes version 0, with the Delta log on or off, if the lake has no version yet.
    pub async fn init_with(&self, delta_log: bool) -> Result<bool> {
        let log = self.log();
        if log.latest().await?.is_some() {
            return Ok(false);
        }
        let mut manifest = Manifest::initial(
            uuid::Uuid::new_v4().to_string(),
            uuid::Uuid::new_v4().to_string(),
            now_ms(),
            writer_name(),
        );
        manifest.delta_log = delta_log;
        match log.create(0, Bytes::from(manifest.to_bytes())).await? {
            Created::Ours => {
                log.write_hint(0).await;
                crate::delta::after_commit(self, 0).await?;
                Ok(true)
            }
            Created::Identical | Created::Taken => Ok(false),
        }
    }

    /// The lake's version log: the one way to list, read and create versions.
    pub fn log(&self) -> VersionLog {
        VersionLog::new(self.clone())
    }

    /// The store the lake lives in, unprefixed: only this crate joins lake paths to the root.
    pub(crate) fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner.store
    }

    /// The lake's prefix inside its store.
    pub(crate) fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The lake's objects, seen from its root: every path is lake-relative (see
    /// [`Lake::object_path`]). Versions are read and written only through [`Lake::log`].
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.inner.objects
    }

    /// The path in [`Lake::objects`] of a lake-relative path such as
    /// `evals/phase=pretrain/<hash>.parquet`.
    pub fn object_path(relative: &str) -> Path {
        // `parse` keeps partition folders' `%XX` escapes as they are; `child` would escape them
        // a second time.
        Path::parse(relative).unwrap_or_else(|_| {
            relative
                .split('/')
                .filter(|p| !p.is_empty())
                .fold(Path::default(), |path, part| path.join(part))
        })
    }

    /// The location as the user gave it.
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// Whether the lake is a folder on this machine.
    pub fn is_local(&self) -> bool {
        crate::location::is_local(&self.inner.location)
    }

    /// The lake's folder on this machine, for local lakes.
    pub(crate) fn local_dir(&self) -> Option<std::path::PathBuf> {
        self.inner.local_dir.clone()
    }

    /// Whether the store lists keys in order.
    pub fn ordered_listing(&self) -> bool {
        self.inner.ordered_listing
    }

    /// The engine's tunables.
    pub fn config(&self) -> &LakeConfig {
        &self.inner.config
    }

    /// The store path of a lake-relative path such as `evals/phase=pretrain/<hash>.parquet`.
    pub(crate) fn path(&self, relative: &str) -> Path {
        self.inner
            .root
            .parts()
            .chain(Self::object_path(relative).parts())
            .collect()
    }

    /// The lake-relative form of a store path under the root.
    pub(crate) fn relative(&self, path: &Path) -> Option<String> {
        let parts: Vec<_> = path.prefix_match(&self.inner.root)?.collect();
        Some(
            parts
                .iter()
                .map(|p| p.as_ref())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    pub(crate) fn not_a_lake(&self) -> LakeError {
        LakeError::NotALake {
            location: self.inner.location.clone(),
            versions: VERSIONS_DIR,
        }
    }

    /// The latest version, parsed.
    pub async fn latest(&self) -> Result<Manifest> {
        Ok(self.latest_snapshot().await?.manifest)
    }

    /// The latest version with the hash of its bytes. An in-memory lake is created on demand.
    pub async fn latest_snapshot(&self) -> Result<Snapshot> {
        let mut found = self.log().latest().await?;
        if found.is_none() && self.inner.location == "memory://" {
            self.init().await?;
            found = self.log().latest().await?;
        }
        match found {
            Some(v) => self.live(v),
            None => Err(self.not_a_lake()),
        }
    }

    /// A given version, parsed.
    pub async fn version(&self, version: u64) -> Result<Manifest> {
        Ok(self.snapshot(version).await?.manifest)
    }

    /// A given version with its hash; refuses expired versions and unknown formats.
    pub async fn snapshot(&self, version: u64) -> Result<Snapshot> {
        match self.log().read(version).await? {
            Some(v) => self.live(v),
            None => Err(LakeError::NoSuchVersion {
                location: self.inner.location.clone(),
                version,
                reason: "does not exist",
            }),
        }
    }

    fn live(&self, stored: crate::versions::StoredVersion) -> Result<Snapshot> {
        match stored.file {
            VersionFile::Live(manifest) => Ok(Snapshot {
                manifest: *manifest,
                blake3: stored.blake3,
            }),
            VersionFile::Expired(_) => Err(LakeError::NoSuchVersion {
                location: self.inner.location.clone(),
                version: stored.version,
                reason: "was expired by gc",
            }),
        }
    }

    /// Reads and checks one versions-folder file; `None` when absent.
    pub async fn version_file(
        &self,
        version: u64,
    ) -> Result<Option<(VersionFile, ContentHash, Bytes)>> {
        Ok(self
            .log()
            .read(version)
            .await?
            .map(|v| (v.file, v.blake3, v.bytes)))
    }

    /// Every version number named in the versions folder, ascending (one LIST). Use
    /// [`VersionLog::chain`] for the versions that are valid.
    pub async fn list_versions(&self) -> Result<Vec<u64>> {
        Ok(self.log().listing().await?.0)
    }

    /// A path for messages: the location joined with a lake-relative path.
    pub fn display_path(&self, relative: &str) -> String {
        format!("{}/{relative}", self.inner.location.trim_end_matches('/'))
    }

    /// Starts a transaction. `kind` names the operation in `log` (e.g. `convert`).
    pub fn transaction(&self, kind: &str, description: &str) -> Transaction {
        Transaction::new(self.clone(), kind, description)
    }
}

#[cfg(feature = "testkit")]
impl Lake {
    /// Test support: the unprefixed store, to wrap in a recording or failing one.
    pub fn raw_store(&self) -> &Arc<dyn ObjectStore> {
        &self.inner.store
    }

    /// Test support: the same lake (root, location, tunables) over `store`, which wraps this
    /// lake's raw store.
    pub fn over(&self, store: Arc<dyn ObjectStore>) -> Lake {
        Lake::from_store(
            store,
            self.inner.root.clone(),
            self.inner.location.clone(),
            self.inner.ordered_listing,
        )
        .with_config(self.inner.config.clone())
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn writer_name() -> String {
    format!("runlake {}", env!("CARGO_PKG_VERSION"))
}
