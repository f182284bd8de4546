//! The walker's error: which path could not be listed or examined, and why.

use std::path::PathBuf;

/// A path that could not be examined or listed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WalkError {
    /// The file or folder.
    pub path: PathBuf,
    /// What the file system said.
    #[source]
    pub source: std::io::Error,
}

impl WalkError {
    pub(crate) fn at(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> WalkError + '_ {
        move |source| WalkError {
            path: path.to_owned(),
            source,
        }
    }
}
