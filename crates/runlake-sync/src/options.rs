//! What the caller can choose about a sync, and how it hears about progress.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Progress so far; `*_total` are the amounts this sync plans to send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Data files fully sent.
    pub files_done: u64,
    /// Data files to send.
    pub files_total: u64,
    /// Bytes sent (a large file counts part by part).
    pub bytes_done: u64,
    /// Bytes to send.
    pub bytes_total: u64,
}

/// Called from transfer tasks whenever files or bytes land; must be cheap and thread-safe.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// How to sync.
#[derive(Clone)]
pub struct SyncOptions {
    /// When the destination has diverged and the changes on both sides touch different runs,
    /// replay the source's changes as a new destination version.
    pub rebase: bool,
    /// When the destination has diverged (or holds another lake), write a new destination
    /// version whose tables equal the source's latest. Older destination versions stay.
    pub force: bool,
    /// Plan only: report what would move and change nothing.
    pub dry_run: bool,
    /// Files transferred at once.
    pub concurrency: usize,
    /// Files larger than this are sent with a multipart upload.
    pub multipart_threshold: u64,
    /// Part size of multipart uploads (S3 wants at least 5 MiB except for the last part).
    pub part_size: usize,
    /// At most this many candidate files are checked with HEAD; above it, the destination's
    /// table folders are listed instead (one request per thousand objects).
    pub head_limit: usize,
    /// Whole attempts when racing writers commit first.
    pub max_attempts: u32,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            rebase: false,
            force: false,
            dry_run: false,
            concurrency: 8,
            multipart_threshold: 32 << 20,
            part_size: 8 << 20,
            head_limit: 64,
            max_attempts: 6,
            progress: None,
        }
    }
}

impl fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncOptions")
            .field("rebase", &self.rebase)
            .field("force", &self.force)
            .field("dry_run", &self.dry_run)
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("part_size", &self.part_size)
            .field("head_limit", &self.head_limit)
            .field("max_attempts", &self.max_attempts)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}
