//! Errors of a sync. Each names the lake, version or file it is about.

use runlake_format::ContentHash;
use runlake_lake::LakeError;

use crate::divergence::Divergence;

/// Anything that stops a sync. The destination is left readable at a version it had or a
/// version of the source whatever the error.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Opening, listing or reading a lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// The object store failed on one object.
    #[error("{path}: {source}")]
    Store {
        /// The object, as `location/relative-path`.
        path: String,
        /// What the store said.
        #[source]
        source: object_store::Error,
    },
    /// The two locations hold different lakes.
    #[error(
        "{destination} holds another lake (lake id {destination_id}) than {source_location} \
         (lake id {source_id}); sync only moves one lake between places. Use another \
         destination, or `--force` to make this destination's latest version equal to the source"
    )]
    DifferentLakes {
        /// The source location.
        source_location: String,
        /// Its lake id.
        source_id: String,
        /// The destination location.
        destination: String,
        /// Its lake id.
        destination_id: String,
    },
    /// The destination's latest version is not in the source's history.
    #[error("{0}")]
    Diverged(Box<Divergence>),
    /// A source file's bytes do not match its manifest; nothing of it was published.
    #[error(
        "{path}: the source file has {bytes} bytes hashing to {actual}, but its manifest says \
         {expected_bytes} bytes with BLAKE3 {expected}; run `runlake verify --deep` on the source"
    )]
    Corrupt {
        /// The source file.
        path: String,
        /// BLAKE3 the manifest names.
        expected: ContentHash,
        /// BLAKE3 of the bytes read.
        actual: ContentHash,
        /// Size the manifest names.
        expected_bytes: u64,
        /// Bytes read.
        bytes: u64,
    },
    /// A file the source's manifests reference is absent from the source.
    #[error(
        "{path}: referenced by source version {version} but missing; run `runlake verify` on the source"
    )]
    SourceMissing {
        /// The missing file.
        path: String,
        /// A version referencing it.
        version: u64,
    },
    /// The source's manifest chain is broken, so copying it would break the destination's.
    #[error("{path}: {reason}; run `runlake verify` on the source")]
    BrokenChain {
        /// The manifest.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The destination kept changing under us.
    #[error(
        "{destination}: other writers committed first {attempts} times in a row; nothing of \
         this sync is lost, re-run it"
    )]
    Busy {
        /// The destination.
        destination: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;

pub(crate) fn store_err(path: impl Into<String>) -> impl FnOnce(object_store::Error) -> SyncError {
    let path = path.into();
    move |source| SyncError::Store { path, source }
}
