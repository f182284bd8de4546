//! Finding the latest version.
//!
//! Stores that list in key order (S3, GCS, in-memory) return the newest manifest first, because
//! manifest names count down. Local folders list in no fixed order, so there the advisory hint
//! file is read and the versions after it are probed with HEAD until one is missing; without a
//! usable hint, one full listing is made. Either way the final answer is confirmed by probing
//! forward, so a stale hint or listing can only cost requests, never correctness.

use futures::StreamExt;
use object_store::{ObjectStoreExt, PutPayload};
use runlake_format::layout::{LATEST_HINT, VERSIONS_DIR, parse_version_file_name, version_path};

use crate::error::{Result, store_err};
use crate::lake::Lake;

/// The newest version present, or `None` for an empty location.
pub(crate) async fn latest_version(lake: &Lake) -> Result<Option<u64>> {
    let start = if lake.ordered_listing() {
        first_listed(lake).await?
    } else {
        match read_hint(lake).await {
            Some(v) if exists(lake, v).await? => Some(v),
            _ => list_all(lake).await?.last().copied(),
        }
    };
    let Some(mut v) = start else {
        return Ok(None);
    };
    while exists(lake, v + 1).await? {
        v += 1;
    }
    Ok(Some(v))
}

async fn first_listed(lake: &Lake) -> Result<Option<u64>> {
    let prefix = lake.path(VERSIONS_DIR);
    let mut listing = lake.store().list(Some(&prefix));
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(store_err(prefix.to_string()))?;
        if let Some(v) = meta.location.filename().and_then(parse_version_file_name) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Every version number, ascending.
pub(crate) async fn list_all(lake: &Lake) -> Result<Vec<u64>> {
    let prefix = lake.path(VERSIONS_DIR);
    let mut listing = lake.store().list(Some(&prefix));
    let mut out = Vec::new();
    while let Some(meta) = listing.next().await {
        let meta = match meta {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => break,
            Err(e) => return Err(store_err(prefix.to_string())(e)),
        };
        if let Some(v) = meta.location.filename().and_then(parse_version_file_name) {
            out.push(v);
        }
    }
    out.sort_unstable();
    Ok(out)
}

async fn exists(lake: &Lake, version: u64) -> Result<bool> {
    let path = lake.path(&version_path(version));
    match lake.store().head(&path).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(store_err(path.to_string())(e)),
    }
}

async fn read_hint(lake: &Lake) -> Option<u64> {
    let bytes = lake
        .store()
        .get(&lake.path(LATEST_HINT))
        .await
        .ok()?
        .bytes()
        .await
        .ok()?;
    std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
}

/// Best effort: the hint only saves requests, so a failure to write it is not an error.
pub(crate) async fn write_hint(lake: &Lake, version: u64) {
    let _ = lake
        .store()
        .put(
            &lake.path(LATEST_HINT),
            PutPayload::from(format!("{version}\n").into_bytes()),
        )
        .await;
}
