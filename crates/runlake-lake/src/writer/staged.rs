//! Local files a transaction writes data files into before they are named.
//!
//! A file that may be kept is written, for a local lake, straight into the lake's staging
//! folder, so naming it is a link rather than a copy of every byte. A writer killed mid-write
//! leaves a `.tmp` file there that gc removes; a file the transaction drops (the first run of
//! a merged file) loses its staged name when it is dropped. Everything else, and every file
//! of a lake elsewhere, is an anonymous temporary file that vanishes with the process.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{LakeError, Result};

/// Where a transaction's possibly kept files are written.
#[derive(Debug, Clone, Default)]
pub(crate) struct TempFiles {
    /// The local lake's root, whose staging folder receives them.
    lake_root: Option<PathBuf>,
}

/// A data file being written, with its staged name when it has one.
pub(crate) struct StagedFile {
    pub file: File,
    staged: Option<StagedName>,
}

/// A staged file's name, removed when dropped: once linked into the lake, or when the
/// transaction does not keep the file.
struct StagedName(PathBuf);

impl Drop for StagedName {
    fn drop(&mut self) {
        // Already gone (a gc without grace) is fine; anything else is a leftover gc removes.
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_err(e: std::io::Error) -> LakeError {
    LakeError::Task(format!("cannot create a temporary data file: {e}"))
}

impl TempFiles {
    /// Files for a local lake at `lake_root` go to its staging folder; `None` writes them
    /// anonymously.
    pub(crate) fn new(lake_root: Option<PathBuf>) -> Self {
        Self { lake_root }
    }

    /// A file only this process reads, never named.
    pub(crate) fn scratch(&self) -> Result<File> {
        tempfile::tempfile().map_err(temp_err)
    }

    /// A file that may become a data file of the lake.
    pub(crate) fn kept(&self) -> Result<StagedFile> {
        let staging = self.lake_root.as_deref().and_then(real_staging_dir);
        let Some(dir) = staging else {
            return Ok(StagedFile {
                file: self.scratch()?,
                staged: None,
            });
        };
        let (file, path) = create_staged(&dir).map_err(temp_err)?;
        Ok(StagedFile {
            file,
            staged: Some(StagedName(path)),
        })
    }
}

/// The lake's staging folder, created when missing; `None` when it is not a folder of its own
/// (a link leading elsewhere, from which a link into the lake may not even be possible).
fn real_staging_dir(root: &Path) -> Option<PathBuf> {
    let dir = root.join(super::STAGING_DIR);
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::symlink_metadata(&dir)
        .is_ok_and(|m| m.file_type().is_dir())
        .then_some(dir)
}

/// Creates a new file under a random `.tmp` name in `dir` (which gc removes when a killed
/// writer leaves it). Created as any file of the process is, so the data file it becomes is
/// as readable as the lake's other files; temporary-file helpers make it private to the user.
pub(crate) fn create_staged(dir: &Path) -> std::io::Result<(File, PathBuf)> {
    let path = dir.join(format!("{}.tmp", uuid::Uuid::new_v4()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((file, path))
}

impl StagedFile {
    /// The staged name, when the file has one.
    pub(crate) fn staged_path(&self) -> Option<&Path> {
        self.staged.as_ref().map(|name| name.0.as_path())
    }

    /// The open file; its staged name, if any, goes with `self`.
    pub(crate) fn into_file(self) -> File {
        self.file
    }
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Gives a staged file its content name `rel` in the lake at `root`: a link, which fails
/// harmlessly when the name exists (the same bytes are there).
pub(crate) fn link_into_lake(root: &Path, rel: &str, staged: &Path) -> std::io::Result<()> {
    let dest = root.join(rel);
    if std::fs::symlink_metadata(&dest).is_ok() {
        return Ok(());
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::hard_link(staged, &dest) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}
