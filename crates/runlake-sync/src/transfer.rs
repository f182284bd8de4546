//! Moving data files: which ones the destination lacks, and copying them with their hashes
//! checked before they become visible under their final names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStoreExt, WriteMultipart};
use runlake_format::{ContentHash, DataFile};
use runlake_lake::Lake;

use crate::error::{Result, SyncError, store_err};
use crate::options::{Progress, SyncOptions};

/// Splits `candidates` into (missing, present) at the destination. A file counts as present
/// when an object of its name and size exists: uploads become visible whole, and names are
/// content hashes, so such an object is the file.
pub(crate) async fn partition_present(
    dst: &Lake,
    candidates: Vec<DataFile>,
    opts: &SyncOptions,
) -> Result<(Vec<DataFile>, Vec<DataFile>)> {
    if candidates.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let sizes = if candidates.len() <= opts.head_limit {
        head_sizes(dst, &candidates, opts.concurrency).await?
    } else {
        list_sizes(dst, &candidates).await?
    };
    Ok(candidates
        .into_iter()
        .partition(|f| sizes.get(&f.path) != Some(&f.bytes)))
}

async fn head_sizes(
    dst: &Lake,
    files: &[DataFile],
    concurrency: usize,
) -> Result<HashMap<String, u64>> {
    let found: Vec<Option<(String, u64)>> = futures::stream::iter(files)
        .map(|f| async move {
            match dst.objects().head(&Lake::object_path(&f.path)).await {
                Ok(meta) => Ok(Some((f.path.clone(), meta.size))),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(store_err(dst.display_path(&f.path))(e)),
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn list_sizes(dst: &Lake, files: &[DataFile]) -> Result<HashMap<String, u64>> {
    let tables: BTreeSet<&str> = files
        .iter()
        .filter_map(|f| f.path.split('/').next())
        .collect();
    let wanted: HashMap<String, &str> = files
        .iter()
        .map(|f| (Lake::object_path(&f.path).to_string(), f.path.as_str()))
        .collect();
    let mut out = HashMap::new();
    for table in tables {
        let prefix = Lake::object_path(table);
        let mut listing = dst.objects().list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = match meta {
                Ok(m) => m,
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(store_err(dst.display_path(table))(e)),
            };
            if let Some(rel) = wanted.get(meta.location.as_ref()) {
                out.insert((*rel).to_owned(), meta.size);
            }
        }
    }
    Ok(out)
}

/// Shared progress counters.
pub(crate) struct Tracker {
    files: AtomicU64,
    bytes: AtomicU64,
    files_total: u64,
    bytes_total: u64,
    callback: Option<crate::options::ProgressFn>,
}

impl Tracker {
    pub fn new(files: &[DataFile], opts: &SyncOptions) -> Arc<Self> {
        Arc::new(Self {
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            files_total: files.len() as u64,
            bytes_total: files.iter().map(|f| f.bytes).sum(),
            callback: opts.progress.clone(),
        })
    }

    fn add(&self, files: u64, bytes: u64) {
        let files_done = self.files.fetch_add(files, Ordering::SeqCst) + files;
        let bytes_done = self.bytes.fetch_add(bytes, Ordering::SeqCst) + bytes;
        if let Some(cb) = &self.callback {
            cb(Progress {
                files_done,
                files_total: self.files_total,
                bytes_done,
                bytes_total: self.bytes_total,
            });
        }
    }
}

/// Copies every file, `concurrency` at a time. A failure stops the sync; files already copied
/// stay and are skipped by the next run.
pub(crate) async fn copy_all(
    src: &Lake,
    dst: &Lake,
    files: &[(DataFile, u64)],
    opts: &SyncOptions,
    tracker: &Arc<Tracker>,
) -> Result<()> {
    futures::stream::iter(files)
        .map(|(f, version)| copy_one(src, dst, f, *version, opts, tracker))
        .buffer_unordered(opts.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

async fn copy_one(
    src: &Lake,
    dst: &Lake,
    file: &DataFile,
    version: u64,
    opts: &SyncOptions,
    tracker: &Tracker,
) -> Result<()> {
    // Manifests are checked when read, so this cannot fail for a file of a parsed manifest;
    // it keeps the rule next to the copy: only data file paths the format defines.
    if let Err(reason) = runlake_format::layout::parse_data_file_path(&file.path) {
        return Err(SyncError::BrokenChain {
            path: src.display_path(&file.path),
            reason,
        });
    }
    let from = Lake::object_path(&file.path);
    let to = Lake::object_path(&file.path);
    let src_name = src.display_path(&file.path);
    let get = match src.objects().get(&from).await {
        Ok(r) => r,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(SyncError::SourceMissing {
                path: src_name,
                version,
            });
        }
        Err(e) => return Err(store_err(src_name)(e)),
    };
    if file.bytes <= opts.multipart_threshold || dst.is_local() {
        // Local folders take whole files through the lake's own writer, which stages them
        // outside the table folders; remote stores get large files in parts below.
        let bytes = get.bytes().await.map_err(store_err(src_name.clone()))?;
        check(file, &src_name, ContentHash::of(&bytes), bytes.len() as u64)?;
        runlake_lake::put_data_file(dst, &file.path, bytes).await?;
        tracker.add(1, file.bytes);
        return Ok(());
    }
    let upload = dst
        .objects()
        .put_multipart(&to)
        .await
        .map_err(store_err(dst.display_path(&file.path)))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, opts.part_size.max(1));
    let mut stream = get.into_stream();
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    let streamed: Result<()> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(store_err(src_name.clone()))?;
            hasher.update(&chunk);
            total += chunk.len() as u64;
            writer
                .wait_for_capacity(4)
                .await
                .map_err(store_err(dst.display_path(&file.path)))?;
            writer.write(&chunk);
            tracker.add(0, chunk.len() as u64);
        }
        check(file, &src_name, ContentHash::from_hasher(&hasher), total)
    }
    .await;
    if let Err(e) = streamed {
        // The upload never completes, so nothing appears under the file's name.
        let _ = writer.abort().await;
        return Err(e);
    }
    writer
        .finish()
        .await
        .map_err(store_err(dst.display_path(&file.path)))?;
    tracker.add(1, 0);
    Ok(())
}

fn check(file: &DataFile, src_name: &str, actual: ContentHash, bytes: u64) -> Result<()> {
    if actual == file.blake3 && bytes == file.bytes {
        return Ok(());
    }
    Err(SyncError::Corrupt {
        path: src_name.to_owned(),
        expected: file.blake3,
        actual,
        expected_bytes: file.bytes,
        bytes,
    })
}

/// Every data file referenced by the live manifests given, each with the first version naming
/// it, keyed by path.
pub(crate) fn referenced<'a>(
    manifests: impl IntoIterator<Item = &'a runlake_format::Manifest>,
) -> BTreeMap<String, (DataFile, u64)> {
    let mut out = BTreeMap::new();
    for m in manifests {
        for (_, f) in m.all_files() {
            out.entry(f.path.clone())
                .or_insert_with(|| (f.clone(), m.version));
        }
    }
    out
}
