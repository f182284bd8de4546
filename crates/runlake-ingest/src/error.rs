//! Why a conversion committed nothing.

use std::path::PathBuf;

/// What stopped a conversion. Nothing of it was committed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// An input path does not exist.
    #[error("{}: no such file or folder", path.display())]
    Missing {
        /// The input.
        path: PathBuf,
    },
    /// An input is neither a DataDecide nor a post-training export.
    #[error(
        "{}: not a known export\n  as a DataDecide export: {pretraining}\n  as a WandB or \
         oe-eval export: {post_training}",
        path.display()
    )]
    UnknownInput {
        /// The input.
        path: PathBuf,
        /// Why it is not a DataDecide export.
        pretraining: String,
        /// Why it is not a post-training export.
        post_training: String,
    },
    /// A DataDecide input failed.
    #[error("{0}; nothing was committed")]
    Pretraining(#[from] runlake_datadecide::ConvertError),
    /// A WandB or oe-eval input failed, or a re-import would shrink stored runs.
    #[error("{0}; nothing was committed")]
    PostTraining(#[from] runlake_wandb::WandbError),
    /// A worker thread was cancelled (the runtime is shutting down).
    #[error("conversion interrupted: {0}; nothing was committed")]
    Interrupted(String),
    /// Storage failed.
    #[error(transparent)]
    Lake(#[from] runlake_lake::LakeError),
}
