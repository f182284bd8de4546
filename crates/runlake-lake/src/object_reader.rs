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
use runlake_format::checksums::UnitChecksums;

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

/// Sorted union of ranges, merging only those that overlap or touch.
fn merge_touching(ranges: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut sorted: Vec<Range<u64>> = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Reads one Parquet object whose size is known (from the manifest), so no `HEAD` is needed.
#[derive(Debug, Clone)]
pub struct StoreFileReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
    footer_hint: Option<usize>,
    io: Arc<IoCounters>,
    one_call: bool,
    checksums: Option<Arc<UnitChecksums>>,
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
            one_call: false,
            checksums: None,
        }
    }

    /// Check every page, index entry and footer piece that a fetch holds whole against these
    /// checksums (from the file's manifest entry).
    pub fn with_checksums(mut self, checksums: Option<Arc<UnitChecksums>>) -> Self {
        self.checksums = checksums;
        self
    }

    fn verify(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        match &self.checksums {
            Some(sums) => sums.check(offset, bytes).map(|_| ()).map_err(|m| {
                ParquetError::General(format!(
                    "{}: {m}; the data file is corrupt (`runlake verify --deep` checks every \
                     file)",
                    self.path
                ))
            }),
            None => Ok(()),
        }
    }

    /// Fetch this many bytes from the end of the file at once when reading the footer, saving
    /// a round trip when the metadata fits.
    pub fn with_footer_hint(mut self, hint: Option<usize>) -> Self {
        self.footer_hint = hint;
        self
    }

    /// Fetch a decoder request's ranges with one `get_ranges` call, for stores whose
    /// `get_ranges` reads exactly the ranges given (a local folder: one open file, one blocking
    /// task) rather than also the gaps between them.
    pub fn with_ranges_in_one_call(mut self, one_call: bool) -> Self {
        self.one_call = one_call;
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
                .get_range(&self.path, range.clone())
                .await
                .map_err(|e| self.wrap(e))?;
            self.io.add(1, bytes.len() as u64);
            self.verify(range.start, &bytes)?;
            Ok(bytes)
        }
        .boxed()
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, Result<Vec<Bytes>>> {
        async move {
            // Only touching ranges are merged: the store's own coalescing would also fetch the
            // gaps between them, which are the columns the query did not ask for.
            let merged = merge_touching(&ranges);
            let fetched = if self.one_call {
                self.store.get_ranges(&self.path, &merged).await
            } else {
                futures::future::try_join_all(
                    merged
                        .iter()
                        .map(|r| self.store.get_range(&self.path, r.clone())),
                )
                .await
            }
            .map_err(|e| self.wrap(e))?;
            self.io
                .add(merged.len(), fetched.iter().map(|b| b.len() as u64).sum());
            for (m, bytes) in merged.iter().zip(&fetched) {
                self.verify(m.start, bytes)?;
            }
            ranges
                .iter()
                .map(|r| {
                    let i = merged.partition_point(|m| m.end < r.end);
                    let m = merged
                        .get(i)
                        .filter(|m| m.start <= r.start && r.end <= m.end);
                    let m = m.ok_or_else(|| {
                        ParquetError::General(format!("range {r:?} was not fetched"))
                    })?;
                    let from = usize::try_from(r.start - m.start)
                        .map_err(|e| ParquetError::General(e.to_string()))?;
                    let to = usize::try_from(r.end - m.start)
                        .map_err(|e| ParquetError::General(e.to_string()))?;
                    Ok(fetched[i].slice(from..to))
                })
                .collect()
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, Result<Arc<ParquetMetaData>>> {
        async move {
            let mut reader = ParquetMetaDataReader::new()
                .with_metadata_options(options.map(|o| o.metadata_options().clone()))
                .with_prefetch_hint(self.footer_hint);
            if let Some(o) = options {
                reader = reader
                    .with_column_index_policy(o.column_index_policy())
                    .with_offset_index_policy(o.offset_index_policy());
            }
            let size = self.size;
            let metadata = reader.load_and_finish(&mut *self, size).await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    /// Asks for overlapping, touching and separate ranges; each comes back exactly, and only
    /// the merged ranges 10..25 and 40..50 are fetched.
    async fn fetches_without_gaps(store: Arc<dyn ObjectStore>, one_call: bool) {
        let path = Path::from("f");
        let data: Vec<u8> = (0..100u8).collect();
        store.put(&path, data.clone().into()).await.expect("put");
        let io = Arc::new(IoCounters::default());
        let mut r = StoreFileReader::new(store, path, 100)
            .with_counters(Arc::clone(&io))
            .with_ranges_in_one_call(one_call);
        let got = r
            .get_byte_ranges(vec![40..50, 10..20, 20..25, 12..14])
            .await
            .expect("ranges");
        assert_eq!(got[0].as_ref(), &data[40..50]);
        assert_eq!(got[1].as_ref(), &data[10..20]);
        assert_eq!(got[2].as_ref(), &data[20..25]);
        assert_eq!(got[3].as_ref(), &data[12..14]);
        assert_eq!((io.requests(), io.bytes()), (2, 25), "one call: {one_call}");
    }

    #[tokio::test]
    async fn ranges_are_fetched_without_gaps() {
        fetches_without_gaps(Arc::new(InMemory::new()), false).await;
    }

    #[tokio::test]
    async fn a_local_folder_serves_all_ranges_in_one_call() {
        for one_call in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let local =
                object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("local");
            fetches_without_gaps(Arc::new(local), one_call).await;
        }
    }
}
