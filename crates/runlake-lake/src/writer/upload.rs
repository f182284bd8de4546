//! Putting a data file into the store.

use std::io::Read;

use bytes::Bytes;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::error::{LakeError, Result, store_err};
use crate::lake::Lake;
use crate::writer::EncodedFile;

/// When a file goes up in parts, and how large the parts are.
#[derive(Debug, Clone, Copy)]
struct Parts {
    /// Files of at least this many bytes go up in parts.
    threshold: u64,
    size: usize,
}

const PARTS: Parts = Parts {
    threshold: 16 << 20,
    size: 8 << 20,
};

/// Where the bytes of a file being uploaded come from.
enum Source<'a> {
    Memory(Bytes),
    /// A local temporary file, read from its current position.
    File(&'a std::fs::File),
}

impl Source<'_> {
    /// The next `size` bytes (fewer at the end), or `None` when there are no more.
    fn next_part(&mut self, size: usize) -> std::io::Result<Option<Bytes>> {
        match self {
            Source::Memory(bytes) => {
                let n = size.min(bytes.len());
                Ok((n > 0).then(|| bytes.split_to(n)))
            }
            Source::File(file) => {
                let mut part = vec![0u8; size];
                let mut filled = 0;
                while filled < size {
                    let n = (&**file).read(&mut part[filled..])?;
                    if n == 0 {
                        break;
                    }
                    filled += n;
                }
                part.truncate(filled);
                Ok((filled > 0).then(|| Bytes::from(part)))
            }
        }
    }
}

/// Uploads a content-named file held in memory unless it is already there.
pub(crate) async fn upload_file(lake: &Lake, file: &EncodedFile) -> Result<()> {
    upload(lake, file, Source::Memory(file.bytes.clone()), PARTS).await
}

/// Uploads a content-named file from a local temporary file unless it is already there.
pub(crate) async fn upload_from_file(
    lake: &Lake,
    file: &EncodedFile,
    source: &std::fs::File,
) -> Result<()> {
    upload(lake, file, Source::File(source), PARTS).await
}

/// Puts a checked data file's bytes under its lake-relative path, unless a file is already there
/// (the name is the content's hash, so it holds the same bytes). Local lakes stage it under
/// `_runlake/staging` first, so an interrupted write never leaves a partial file in a table
/// folder. The path must be a data file path the format defines.
pub async fn put_data_file(lake: &Lake, rel: &str, bytes: Bytes) -> Result<()> {
    let parsed = runlake_format::layout::parse_data_file_path(rel)
        .map_err(|reason| LakeError::Task(format!("{}: {reason}", lake.display_path(rel))))?;
    let size = bytes.len() as u64;
    let file = EncodedFile {
        table: parsed.table,
        partition: parsed.partition.into_iter().collect(),
        path: rel.to_owned(),
        bytes,
        size,
        uploaded: false,
        page_crc32: None,
        writes: None,
        spilled: None,
        hash: parsed.hash,
        rows: 0,
        stats: Default::default(),
    };
    upload_file(lake, &file).await
}

/// Puts a committed file back when it is no longer in the store, from the bytes the writer
/// still holds. Returns whether it was missing.
pub(crate) async fn restore_if_missing(lake: &Lake, file: &EncodedFile) -> Result<bool> {
    let path = lake.path(&file.path);
    match lake.store().head(&path).await {
        Ok(_) => return Ok(false),
        Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(store_err(lake.display_path(&file.path))(e)),
    }
    if !file.bytes.is_empty() || file.size == 0 {
        upload_file(lake, file).await?;
    } else if let Some(spilled) = &file.spilled {
        let mut source: &std::fs::File = spilled;
        std::io::Seek::seek(&mut source, std::io::SeekFrom::Start(0))
            .map_err(|e| LakeError::Task(format!("temporary data file: {e}")))?;
        upload_from_file(lake, file, spilled).await?;
    } else {
        return Err(LakeError::Lost {
            paths: vec![lake.display_path(&file.path)],
        });
    }
    Ok(true)
}

/// An existing object under the same name holds the same bytes (the name is their hash), so
/// finding one is success.
async fn upload(
    lake: &Lake,
    file: &EncodedFile,
    mut source: Source<'_>,
    parts: Parts,
) -> Result<()> {
    let path = lake.path(&file.path);
    let display = lake.display_path(&file.path);
    let io = |e: std::io::Error| LakeError::Task(format!("{display}: {e}"));
    if let Some(root) = lake.local_dir() {
        let rel = file.path.clone();
        let size = file.size;
        let reader = match source {
            Source::Memory(bytes) => LocalSource::Memory(std::io::Cursor::new(bytes)),
            Source::File(f) => LocalSource::File(f.try_clone().map_err(io)?),
        };
        return tokio::task::spawn_blocking(move || write_local(&root, &rel, size, reader))
            .await
            .map_err(|e| LakeError::Task(e.to_string()))?
            .map_err(io);
    }
    if file.size < parts.threshold {
        let bytes = source.next_part(file.size as usize).map_err(io)?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        let payload = PutPayload::from(bytes.unwrap_or_default());
        return match lake.store().put_opts(&path, payload, opts).await {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(store_err(display)(e)),
        };
    }
    match lake.store().head(&path).await {
        Ok(meta) if meta.size == file.size => return Ok(()),
        Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(store_err(display)(e)),
    }
    // Multipart uploads cannot be conditional; an identical concurrent upload of the same
    // content-named file is harmless.
    let mut upload = lake
        .store()
        .put_multipart(&path)
        .await
        .map_err(store_err(display.clone()))?;
    loop {
        let part = match source.next_part(parts.size) {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                let _ = upload.abort().await;
                return Err(io(e));
            }
        };
        if let Err(e) = upload.put_part(PutPayload::from(part)).await {
            let _ = upload.abort().await;
            return Err(store_err(display)(e));
        }
    }
    upload.complete().await.map_err(store_err(display))?;
    Ok(())
}

/// Where local writers stage data files, so a writer killed mid-write leaves nothing in a table
/// folder for plain Parquet readers to trip over.
pub(crate) const STAGING_DIR: &str = "_runlake/staging";

/// The bytes of a file going into a local lake.
enum LocalSource {
    Memory(std::io::Cursor<Bytes>),
    /// Copied file to file, which the kernel does without passing the bytes through this
    /// process (or, on file systems that share blocks, without copying them at all).
    File(std::fs::File),
}

/// Writes a content-named file of a local lake: into the staging folder first, then linked to its
/// name, which fails harmlessly when the name exists (the same bytes are there).
fn write_local(
    root: &std::path::Path,
    rel: &str,
    size: u64,
    reader: LocalSource,
) -> std::io::Result<()> {
    let dest = root.join(rel);
    if std::fs::symlink_metadata(&dest).is_ok() {
        return Ok(());
    }
    let staging = root.join(STAGING_DIR);
    std::fs::create_dir_all(&staging)?;
    let (mut out, tmp) = super::staged::create_staged(&staging)?;
    let written = (|| {
        let copied = match reader {
            LocalSource::Memory(mut bytes) => {
                std::io::copy(&mut (&mut bytes).take(size), &mut out)?
            }
            LocalSource::File(file) => std::io::copy(&mut file.take(size), &mut out)?,
        };
        if copied != size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{copied} of {size} bytes to write"),
            ));
        }
        super::staged::link_into_lake(root, rel, &tmp)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};

    use super::*;
    use crate::testkit::recording::RecordingStore;

    fn file_of(bytes: &[u8]) -> EncodedFile {
        let hash = runlake_format::ContentHash::of(bytes);
        EncodedFile {
            table: runlake_format::Table::Lineage,
            partition: Default::default(),
            path: format!("lineage/{}.parquet", hash.to_hex()),
            bytes: Bytes::copy_from_slice(bytes),
            size: bytes.len() as u64,
            uploaded: false,
            page_crc32: None,
            writes: None,
            spilled: None,
            hash,
            rows: 0,
            stats: Default::default(),
        }
    }

    async fn stored(lake: &Lake, file: &EncodedFile) -> Vec<u8> {
        let got = lake.store().get(&lake.path(&file.path)).await.expect("get");
        got.bytes().await.expect("bytes").to_vec()
    }

    #[tokio::test]
    async fn large_files_go_up_in_parts_from_memory_and_from_disk() {
        let content: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let parts = Parts {
            threshold: 100,
            size: 64,
        };
        for from_disk in [false, true] {
            let (recording, lake) = RecordingStore::lake();
            let file = file_of(&content);
            let mut temp = tempfile::tempfile().expect("temp");
            temp.write_all(&content).expect("write");
            temp.seek(SeekFrom::Start(0)).expect("seek");
            let source = if from_disk {
                Source::File(&temp)
            } else {
                Source::Memory(file.bytes.clone())
            };
            upload(&lake, &file, source, parts).await.expect("upload");
            assert_eq!(
                stored(&lake, &file).await,
                content,
                "from disk: {from_disk}"
            );
            let requests = recording.take();
            assert_eq!(RecordingStore::paths(&requests, "multipart").len(), 1);
            assert!(RecordingStore::paths(&requests, "put").is_empty());

            // Already there: one head request and nothing sent.
            upload(&lake, &file, Source::Memory(file.bytes.clone()), parts)
                .await
                .expect("second upload");
            let kinds: Vec<_> = recording.take().iter().map(|r| r.kind).collect();
            assert_eq!(kinds, ["head"]);
        }
    }

    #[tokio::test]
    async fn small_files_go_up_whole_and_an_existing_copy_is_success() {
        let (recording, lake) = RecordingStore::lake();
        let file = file_of(b"small content");
        let mut temp = tempfile::tempfile().expect("temp");
        temp.write_all(b"small content").expect("write");
        temp.seek(SeekFrom::Start(0)).expect("seek");
        upload_from_file(&lake, &file, &temp).await.expect("upload");
        upload_file(&lake, &file).await.expect("second upload");
        assert_eq!(stored(&lake, &file).await, b"small content");
        let requests = recording.take();
        assert_eq!(RecordingStore::paths(&requests, "put").len(), 2);
        assert!(RecordingStore::paths(&requests, "multipart").is_empty());
    }
}
