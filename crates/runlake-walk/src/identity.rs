//! What a path resolves to, so two spellings of one file compare equal.

use std::path::{Path, PathBuf};

/// The file a path names after following every link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum FileId {
    /// Device and inode: hard links and every link to the file share them.
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path, where inodes are not available.
    #[cfg_attr(unix, allow(dead_code))] // reason: the portable fallback is built only off Unix
    Canonical(PathBuf),
}

/// The target's identity; for a link that leads nowhere (dangling, or a loop of links), the
/// link's own, so listing its folder again does not return it again.
#[cfg(unix)]
pub(crate) fn file_id(path: &Path) -> std::io::Result<FileId> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).or_else(|_| std::fs::symlink_metadata(path))?;
    Ok(FileId::Inode(meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
pub(crate) fn file_id(path: &Path) -> std::io::Result<FileId> {
    let id = std::fs::canonicalize(path).or_else(|_| {
        std::fs::symlink_metadata(path)?;
        std::path::absolute(path)
    })?;
    Ok(FileId::Canonical(id))
}
