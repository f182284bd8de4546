//! Shared helpers: lakes with synthetic runs, a request-recording store, table comparison.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod moto;

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use runlake_lake::testkit::{batch, canonical_rows};
use runlake_lake::verify::verify;
use runlake_lake::{Lake, Table};

/// A fresh in-memory lake (not yet initialised) named `name` in messages.
pub fn mem_lake(name: &str) -> (Arc<dyn ObjectStore>, Lake) {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let lake = Lake::from_store(Arc::clone(&store), Path::from("lake"), name, true);
    (store, lake)
}

/// The same store and prefix as `lake`, seen through `store`.
pub fn over(lake: &Lake, store: Arc<dyn ObjectStore>) -> Lake {
    Lake::from_store(
        store,
        lake.root().clone(),
        lake.location(),
        lake.ordered_listing(),
    )
}

/// Commits evals and metadata rows for `runs`; returns the new version.
pub async fn add_runs(lake: &Lake, runs: &[&str], seed: u64) -> u64 {
    let mut tx = lake.transaction("convert", &format!("runs {}", runs.join(",")));
    tx.upsert(Table::Evals, batch(Table::Evals, runs, 4, seed))
        .expect("evals");
    tx.upsert(Table::Metadata, batch(Table::Metadata, runs, 1, seed + 1))
        .expect("metadata");
    tx.commit()
        .await
        .expect("commit")
        .version
        .expect("a new version")
}

/// A source lake with version 0 and one version per run group.
pub async fn source(name: &str, groups: &[&[&str]]) -> (Arc<dyn ObjectStore>, Lake) {
    let (store, lake) = mem_lake(name);
    lake.init().await.expect("init");
    for (i, runs) in groups.iter().enumerate() {
        add_runs(&lake, runs, 10 * i as u64 + 1).await;
    }
    (store, lake)
}

/// Every table's rows at a version, canonicalised.
pub async fn rows_at(lake: &Lake, version: u64) -> Vec<(Table, Vec<String>)> {
    let m = lake.version(version).await.expect("version");
    let mut out = Vec::new();
    for t in Table::ALL {
        let batches = lake.read_table(&m, t).await.expect("read");
        out.push((t, canonical_rows(&batches)));
    }
    out
}

/// The exact bytes of a version's manifest.
pub async fn manifest_bytes(lake: &Lake, version: u64) -> Vec<u8> {
    lake.version_file(version)
        .await
        .expect("read")
        .expect("present")
        .2
        .to_vec()
}

/// Asserts a deep verify finds nothing wrong.
pub async fn assert_sound(lake: &Lake) {
    let report = verify(lake, true).await.expect("verify");
    assert!(report.is_sound(), "{:?}", report.problems);
}

/// One request a store received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub kind: &'static str,
    pub path: String,
}

/// Records every request, then forwards it.
#[derive(Debug)]
pub struct Recording {
    inner: Arc<dyn ObjectStore>,
    log: Mutex<Vec<Request>>,
    /// Delay per request, so concurrent syncs interleave.
    delay: std::time::Duration,
}

impl Recording {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Arc<Self> {
        Self::slow(inner, std::time::Duration::ZERO)
    }

    pub fn slow(inner: Arc<dyn ObjectStore>, delay: std::time::Duration) -> Arc<Self> {
        Arc::new(Self {
            inner,
            log: Mutex::new(Vec::new()),
            delay,
        })
    }

    fn note(&self, kind: &'static str, path: &Path) {
        self.log.lock().expect("log").push(Request {
            kind,
            path: path.to_string(),
        });
    }

    async fn pause(&self) {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
    }

    pub fn take(&self) -> Vec<Request> {
        std::mem::take(&mut *self.log.lock().expect("log"))
    }

    /// Paths written with `kind` among `requests`, sorted.
    pub fn paths(requests: &[Request], kind: &str) -> Vec<String> {
        let mut out: Vec<String> = requests
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.path.clone())
            .collect();
        out.sort();
        out
    }
}

impl fmt::Display for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recording({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Recording {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.note("put", location);
        self.pause().await;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.note("multipart", location);
        self.pause().await;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.note(if options.head { "head" } else { "get" }, location);
        self.pause().await;
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.note("delete", &Path::default());
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.note("list", prefix.unwrap_or(&Path::default()));
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.note("list", prefix.unwrap_or(&Path::default()));
        self.pause().await;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.note("copy", to);
        self.pause().await;
        self.inner.copy_opts(from, to, options).await
    }
}
