//! Reading versions with the hash their children link to, and placing the destination's latest
//! version relative to the source's history.

use bytes::Bytes;
use runlake_format::{ContentHash, Manifest, VersionFile};
use runlake_lake::{Lake, StoredVersion};

use crate::error::Result;

/// One stored version file.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The version number.
    pub version: u64,
    /// The hash a child's `parent.blake3` names: of the bytes for a live manifest, the
    /// original manifest's for a tombstone left by gc.
    pub chain_hash: ContentHash,
    /// The parsed file.
    pub file: VersionFile,
    /// The exact stored bytes, copied as they are so the chain's hashes hold.
    pub bytes: Bytes,
}

impl Entry {
    pub fn live(&self) -> Option<&Manifest> {
        match &self.file {
            VersionFile::Live(m) => Some(m),
            VersionFile::Expired(_) => None,
        }
    }
}

impl From<StoredVersion> for Entry {
    fn from(v: StoredVersion) -> Self {
        Self {
            version: v.version,
            chain_hash: v.chain_hash(),
            file: v.file,
            bytes: v.bytes,
        }
    }
}

/// Reads one version file through the version log; `None` when absent.
pub(crate) async fn read(lake: &Lake, version: u64) -> Result<Option<Entry>> {
    Ok(lake.log().read(version).await?.map(Entry::from))
}

/// Where the destination's latest version stands relative to the source's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Relation {
    /// Same version, same bytes.
    Same,
    /// The destination's latest is an earlier version of the source.
    Behind,
    /// The source's latest is an earlier version of the destination.
    Ahead,
    /// Histories split after `base` (`None`: no version in common).
    Diverged { base: Option<u64> },
}

/// Compares the chains, reading versions at or below both latest versions from the top down
/// until one matches.
pub(crate) async fn relate(
    src: &Lake,
    src_latest: &Entry,
    dst: &Lake,
    dst_latest: &Entry,
) -> Result<Relation> {
    let (s, d) = (src_latest.version, dst_latest.version);
    if s == d {
        if src_latest.chain_hash == dst_latest.chain_hash {
            return Ok(Relation::Same);
        }
    } else if d < s {
        if let Some(e) = read(src, d).await?
            && e.chain_hash == dst_latest.chain_hash
        {
            return Ok(Relation::Behind);
        }
    } else if let Some(e) = read(dst, s).await?
        && e.chain_hash == src_latest.chain_hash
    {
        return Ok(Relation::Ahead);
    }
    let mut v = s.min(d);
    while v > 0 {
        v -= 1;
        let (a, b) = (read(src, v).await?, read(dst, v).await?);
        if let (Some(a), Some(b)) = (a, b)
            && a.chain_hash == b.chain_hash
        {
            return Ok(Relation::Diverged { base: Some(v) });
        }
    }
    Ok(Relation::Diverged { base: None })
}
