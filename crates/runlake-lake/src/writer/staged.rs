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

use tempfile::TempPath;

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
    staged: Option<TempPath>,
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
        let Some(root) = &self.lake_root else {
            return Ok(StagedFile {
                file: self.scratch()?,
                staged: None,
            });
        };
        let dir = root.join(super::STAGING_DIR);
        std::fs::create_dir_all(&dir).map_err(temp_err)?;
        let (file, path) = tempfile::Builder::new()
            .prefix("w-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(temp_err)?
            .into_parts();
        Ok(StagedFile {
            file,
            staged: Some(path),
        })
    }
}

impl StagedFile {
    /// The staged name, when the file has one.
    pub(crate) fn staged_path(&self) -> Option<&Path> {
        self.staged.as_deref()
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
