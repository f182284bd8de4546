//! An object store that records every request it forwards, optionally slowed down.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// One request a store received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `get`, `head`, `put`, `multipart`, `delete`, `list` or `copy`.
    pub kind: &'static str,
    pub path: String,
    /// The range a `get` asked for.
    pub range: Option<GetRange>,
    /// Bytes a `get` returned (0 if it failed).
    pub bytes: u64,
}

/// Records every request, then forwards it.
#[derive(Debug)]
pub struct RecordingStore {
    inner: Arc<dyn ObjectStore>,
    log: Mutex<Vec<Request>>,
    /// Delay per request, so concurrent users interleave.
    delay: Duration,
}

impl RecordingStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Arc<Self> {
        Self::slow(inner, Duration::ZERO)
    }

    pub fn slow(inner: Arc<dyn ObjectStore>, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            inner,
            log: Mutex::new(Vec::new()),
            delay,
        })
    }

    fn note(&self, kind: &'static str, path: &Path) {
        self.push(Request {
            kind,
            path: path.to_string(),
            range: None,
            bytes: 0,
        });
    }

    fn push(&self, request: Request) {
        // A poisoned log only means a test already panicked.
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request);
    }

    async fn pause(&self) {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
    }

    /// A fresh in-memory lake whose every request is recorded here.
    pub fn lake() -> (Arc<Self>, crate::Lake) {
        let store = Self::new(Arc::new(object_store::memory::InMemory::new()));
        let lake = crate::Lake::from_store(store.clone(), Path::default(), "memory://", true);
        (store, lake)
    }

    /// The requests so far, emptying the log.
    pub fn take(&self) -> Vec<Request> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Paths of the `kind` requests among `requests`, sorted.
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

impl fmt::Display for RecordingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recording({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for RecordingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.note("put", location);
        self.pause().await;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.note("multipart", location);
        self.pause().await;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let kind = if options.head { "head" } else { "get" };
        let range = options.range.clone();
        self.pause().await;
        // Recorded once answered (a failed request too), so the returned length is known.
        let result = self.inner.get_opts(location, options).await;
        self.push(Request {
            kind,
            path: location.to_string(),
            range,
            bytes: result.as_ref().map_or(0, |r| r.range.end - r.range.start),
        });
        result
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.note("delete", &Path::default());
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.note("list", prefix.unwrap_or(&Path::default()));
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.note("list", prefix.unwrap_or(&Path::default()));
        self.pause().await;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.note("copy", to);
        self.pause().await;
        self.inner.copy_opts(from, to, options).await
    }
}
