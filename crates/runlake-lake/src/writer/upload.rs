//! Putting a data file into the store.

use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::error::{Result, store_err};
use crate::lake::Lake;
use crate::writer::EncodedFile;

/// Files above this size go up in parts.
const MULTIPART_THRESHOLD: usize = 16 << 20;
const PART_SIZE: usize = 8 << 20;

/// Uploads a content-named file unless it is already there. An existing object under the same
/// name holds the same bytes (the name is their hash), so `AlreadyExists` is success.
pub(crate) async fn upload_file(lake: &Lake, file: &EncodedFile) -> Result<()> {
    let path = lake.path(&file.path);
    let display = lake.display_path(&file.path);
    if file.bytes.len() < MULTIPART_THRESHOLD {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        return match lake
            .store()
            .put_opts(&path, PutPayload::from(file.bytes.clone()), opts)
            .await
        {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(store_err(display)(e)),
        };
    }
    match lake.store().head(&path).await {
        Ok(meta) if meta.size == file.bytes.len() as u64 => return Ok(()),
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
    for chunk in file.bytes.chunks(PART_SIZE) {
        let part = upload.put_part(PutPayload::from(file.bytes.slice_ref(chunk)));
        if let Err(e) = part.await {
            let _ = upload.abort().await;
            return Err(store_err(display)(e));
        }
    }
    upload.complete().await.map_err(store_err(display))?;
    Ok(())
}

/// Uploads a content-named file from a local temporary file, in parts when large.
pub(crate) async fn upload_from_file(
    lake: &Lake,
    file: &EncodedFile,
    source: &mut std::fs::File,
) -> Result<()> {
    use std::io::Read;
    let display = lake.display_path(&file.path);
    let io = |e: std::io::Error| crate::error::LakeError::Task(format!("{display}: {e}"));
    if file.size < MULTIPART_THRESHOLD as u64 {
        let mut bytes = Vec::with_capacity(file.size as usize);
        source.read_to_end(&mut bytes).map_err(io)?;
        let in_memory = EncodedFile {
            bytes: bytes::Bytes::from(bytes),
            ..file.clone()
        };
        return upload_file(lake, &in_memory).await;
    }
    let path = lake.path(&file.path);
    match lake.store().head(&path).await {
        Ok(meta) if meta.size == file.size => return Ok(()),
        Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => return Err(store_err(display)(e)),
    }
    let mut upload = lake
        .store()
        .put_multipart(&path)
        .await
        .map_err(store_err(display.clone()))?;
    loop {
        let mut part = vec![0u8; PART_SIZE];
        let mut filled = 0;
        while filled < PART_SIZE {
            let n = source.read(&mut part[filled..]).map_err(io)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        part.truncate(filled);
        if let Err(e) = upload.put_part(PutPayload::from(part)).await {
            let _ = upload.abort().await;
            return Err(store_err(display)(e));
        }
    }
    upload.complete().await.map_err(store_err(display))?;
    Ok(())
}
