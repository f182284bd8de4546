//! An object store that fails one chosen request, before or after performing it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// When the failing request fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// The request is not performed.
    Before,
    /// The request is performed, then reported as failed (the ambiguous case).
    After,
}

/// Wraps a store; request number `fail_at` (1-based) fails. `fail_at == 0` never fails.
#[derive(Debug)]
pub struct FaultyStore {
    inner: Arc<dyn ObjectStore>,
    fail_at: usize,
    mode: FaultMode,
    count: AtomicUsize,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn ObjectStore>, fail_at: usize, mode: FaultMode) -> Self {
        Self {
            inner,
            fail_at,
            mode,
            count: AtomicUsize::new(0),
        }
    }

    /// Requests seen so far.
    pub fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn tick(&self) -> bool {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        n == self.fail_at
    }

    fn injected() -> object_store::Error {
        object_store::Error::Generic {
            store: "faulty",
            source: "injected fault".into(),
        }
    }
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let fail = self.tick();
        if fail && self.mode == FaultMode::Before {
            return Err(Self::injected());
        }
        let r = self.inner.put_opts(location, payload, opts).await;
        if fail { Err(Self::injected()) } else { r }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        if self.tick() {
            return Err(Self::injected());
        }
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if self.tick() {
            return Err(Self::injected());
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        if self.tick() {
            return Box::pin(futures::stream::once(async { Err(Self::injected()) }));
        }
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        if self.tick() {
            return Box::pin(futures::stream::once(async { Err(Self::injected()) }));
        }
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        if self.tick() {
            return Err(Self::injected());
        }
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        if self.tick() {
            return Err(Self::injected());
        }
        self.inner.copy_opts(from, to, options).await
    }
}
