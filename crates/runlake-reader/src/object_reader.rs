//! An [`AsyncFileReader`] over `object_store` that fetches only the byte ranges the Parquet
//! decoder asks for (the footer, then the column chunks of the projected columns).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

/// Requests and bytes fetched from the store, shared by every reader of one query.
#[derive(Debug, Default)]
pub struct IoCounters {
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl IoCounters {
    fn add(&self, ranges: usize, bytes: u64) {
        self.requests.fetch_add(ranges as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Byte ranges requested so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Bytes fetched so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// Reads one Parquet object whose size is known (from the manifest), so no `HEAD` is needed.
#[derive(Debug, Clone)]
pub struct StoreFileReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
    footer_hint: Option<usize>,
    io: Arc<IoCounters>,
}

impl StoreFileReader {
    /// A reader of `path` (of `size` bytes) in `store`.
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64) -> Self {
        Self {
            store,
            path,
            size,
            footer_hint: None,
            io: Arc::default(),
        }
    }

    /// Fetch this many bytes from the end of the file at once when reading the footer, saving
    /// a round trip when the metadata fits.
    pub fn with_footer_hint(mut self, hint: Option<usize>) -> Self {
        self.footer_hint = hint;
        self
    }

    /// Count requests and bytes into shared counters.
    pub fn with_counters(mut self, io: Arc<IoCounters>) -> Self {
        self.io = io;
        self
    }

    fn wrap(&self, e: object_store::Error) -> ParquetError {
        ParquetError::General(format!("reading {}: {e}", self.path))
    }
}

impl AsyncFileReader for StoreFileReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        async move {
            let bytes = self
                .store
                .get_range(&self.path, range)
                .await
                .map_err(|e| self.wrap(e))?;
            self.io.add(1, bytes.len() as u64);
            Ok(bytes)
        }
        .boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, Result<Vec<Bytes>>> {
        async move {
            let out = self
                .store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(|e| self.wrap(e))?;
            self.io
                .add(ranges.len(), out.iter().map(|b| b.len() as u64).sum());
            Ok(out)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, Result<Arc<ParquetMetaData>>> {
        async move {
            let reader = ParquetMetaDataReader::new()
                .with_metadata_options(options.map(|o| o.metadata_options().clone()))
                .with_prefetch_hint(self.footer_hint);
            let size = self.size;
            let metadata = reader.load_and_finish(&mut *self, size).await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}
