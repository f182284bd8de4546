//! A local folder as an object store that reads regular files only.
//!
//! Opening a named pipe waits for a writer, and a device such as `/dev/zero` reads without end:
//! one left in a lake (at the next version's name, as `_runlake/_latest`, in place of a data
//! file), or a link to one, would hang every command that reads it. Reads of anything but a
//! regular file (or a link to one) are answered as not found, which is what such an entry is
//! to the lake; `verify` names it among the version files.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, Error, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

/// [`LocalFileSystem`], refusing to open what is not a regular file. Every
/// method the folder store implements its own way is passed to it (reading many ranges from one
/// open file, renaming in place), not left to the trait's generic version.
#[derive(Debug)]
pub(crate) struct LocalFiles {
    inner: Arc<LocalFileSystem>,
}

impl LocalFiles {
    pub(crate) fn new(inner: LocalFileSystem) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Not found when `location` exists and is neither a regular file nor a link to one.
    fn regular(&self, location: &Path) -> Result<()> {
        // The folder store's own mapping, so names it escapes are looked up as it opens them.
        let on_disk = self.inner.path_to_filesystem(location)?;
        // A stat, made in place: handing it to the blocking pool, as reads are, cost more than
        // the stat itself on every ranged read of a query.
        match std::fs::metadata(on_disk) {
            Ok(meta) if !meta.is_file() => Err(Error::NotFound {
                path: location.to_string(),
                source: "not a regular file (a folder, a pipe or a device)".into(),
            }),
            // Absent or unreadable: the store's own read says so.
            _ => Ok(()),
        }
    }
}

impl fmt::Display for LocalFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalFiles({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for LocalFiles {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.regular(location)?;
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.regular(location)?;
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.regular(from)?;
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}
