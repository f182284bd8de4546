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
use parquet::arrow::async_reader::{AsyncFileReader, MetadataFetch};
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

/// Gaps between wanted ranges up to this size are fetched with them, by default: a request to an object
/// store costs a round trip (tens of milliseconds), in which it could have sent far more
/// bytes than this, while a large gap is a column the query did not ask for.
pub const GAP_READ_THROUGH: u64 = 64 * 1024;

/// Sorted union of ranges, merging those at most `gap` apart.
fn merge_close(ranges: &[Range<u64>], gap: u64) -> Vec<Range<u64>> {
    let mut sorted: Vec<Range<u64>> = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(gap) => last.end = last.end.max(r.end),
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
    gap: u64,
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
            gap: GAP_READ_THROUGH,
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

    /// Fetch ranges at most `gap` bytes apart in one request, with the bytes between them.
    pub fn with_read_through_gap(mut self, gap: u64) -> Self {
        self.gap = gap;
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
            // Close ranges are merged, distant ones never: the store's own coalescing would
            // also fetch megabytes of columns the query did not ask for.
            let merged = merge_close(&ranges, self.gap);
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
            let size = self.size;
            let tail = match self.footer_hint {
                Some(hint) => Some(self.fetch_tail(hint).await?),
                None => None,
            };
            let mut reader = ParquetMetaDataReader::new()
                .with_metadata_options(options.map(|o| o.metadata_options().clone()))
                .with_prefetch_hint(tail.as_ref().map(|t| t.len()));
            if let Some(o) = options {
                reader = reader
                    .with_column_index_policy(o.column_index_policy())
                    .with_offset_index_policy(o.offset_index_policy());
            }
            let metadata = match tail {
                Some(bytes) => {
                    let fetch = Tail {
                        start: size - bytes.len() as u64,
                        bytes,
                        reader: self,
                    };
                    reader.load_and_finish(fetch, size).await?
                }
                None => reader.load_and_finish(&mut *self, size).await?,
            };
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

/// The largest end of a file fetched in one request for its footer and page indexes.
const MAX_TAIL: u64 = 4 << 20;

impl StoreFileReader {
    /// The end of the file holding the footer and, usually, the page indexes written just
    /// before it: `hint` bytes or a 512th of the file (their size grows with the file's row
    /// groups and pages), and once more when the footer says it is longer, with room for
    /// page indexes twice its size. One request in the common case, two at most.
    async fn fetch_tail(&mut self, hint: usize) -> Result<Bytes> {
        let size = self.size;
        let first = (hint as u64).max(size / 512).min(MAX_TAIL).min(size);
        let tail = self.fetch_unchecked(size - first..size).await?;
        let footer = tail
            .len()
            .checked_sub(8)
            .and_then(|at| tail.get(at..at + 4))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes);
        let tail = match footer {
            Some(len) if u64::from(len) + 8 > first => {
                let want = (3 * (u64::from(len) + 8)).min(size);
                let head = self.fetch_unchecked(size - want..size - first).await?;
                let mut whole = Vec::with_capacity(want as usize);
                whole.extend_from_slice(&head);
                whole.extend_from_slice(&tail);
                Bytes::from(whole)
            }
            _ => tail,
        };
        self.verify(size - tail.len() as u64, &tail)?;
        Ok(tail)
    }

    /// One ranged read, counted; the caller checks it against the checksums.
    async fn fetch_unchecked(&self, range: Range<u64>) -> Result<Bytes> {
        let bytes = self
            .store
            .get_range(&self.path, range)
            .await
            .map_err(|e| self.wrap(e))?;
        self.io.add(1, bytes.len() as u64);
        Ok(bytes)
    }
}

/// Serves the metadata reader from the fetched end of the file, and anything before it from
/// the store.
struct Tail<'a> {
    reader: &'a mut StoreFileReader,
    start: u64,
    bytes: Bytes,
}

impl MetadataFetch for Tail<'_> {
    fn fetch(&mut self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        if range.start >= self.start {
            let from = (range.start - self.start) as usize;
            let to = (range.end - self.start) as usize;
            if let Some(bytes) =
                (from <= to && to <= self.bytes.len()).then(|| self.bytes.slice(from..to))
            {
                return futures::future::ready(Ok(bytes)).boxed();
            }
        }
        self.reader.get_bytes(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    /// Asks for overlapping, touching, close and distant ranges; each comes back exactly, and
    /// only the merged ranges 10..50 and the distant one are fetched.
    async fn fetches_close_ranges_together(store: Arc<dyn ObjectStore>, one_call: bool) {
        let path = Path::from("f");
        let far = 50 + GAP_READ_THROUGH as usize + 1;
        let data: Vec<u8> = (0..far + 10).map(|i| i as u8).collect();
        store.put(&path, data.clone().into()).await.expect("put");
        let io = Arc::new(IoCounters::default());
        let mut r = StoreFileReader::new(store, path, data.len() as u64)
            .with_counters(Arc::clone(&io))
            .with_ranges_in_one_call(one_call);
        let got = r
            .get_byte_ranges(vec![
                40..50,
                10..20,
                20..25,
                12..14,
                far as u64..far as u64 + 5,
            ])
            .await
            .expect("ranges");
        assert_eq!(got[0].as_ref(), &data[40..50]);
        assert_eq!(got[1].as_ref(), &data[10..20]);
        assert_eq!(got[2].as_ref(), &data[20..25]);
        assert_eq!(got[3].as_ref(), &data[12..14]);
        assert_eq!(got[4].as_ref(), &data[far..far + 5]);
        assert_eq!((io.requests(), io.bytes()), (2, 45), "one call: {one_call}");
    }

    #[tokio::test]
    async fn close_ranges_are_fetched_together_and_distant_ones_apart() {
        fetches_close_ranges_together(Arc::new(InMemory::new()), false).await;
    }

    #[tokio::test]
    async fn a_local_folder_serves_all_ranges_in_one_call() {
        for one_call in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let local =
                object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("local");
            fetches_close_ranges_together(Arc::new(local), one_call).await;
        }
    }
}
