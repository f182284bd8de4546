//! The runlake format model: table schemas, manifests, partition paths and content hashes.
//!
//! Pure code: nothing here touches a file system or a network. `spec/FORMAT.md` describes the
//! same model in prose for other implementations.

pub mod checksums;
pub mod delta;
pub mod hash;
pub mod layout;
pub mod manifest;
pub mod message;
pub mod partition;
pub mod run_uid;
pub mod suggest;
pub mod tables;

pub use hash::ContentHash;
pub use manifest::{
    ColumnSpec, ColumnStats, DataFile, FormatVersion, Manifest, ManifestError, Operation,
    ParentRef, StatValue, TableState, Tombstone, VersionFile, parse_manifest, parse_version_file,
};
pub use run_uid::RunUid;
pub use tables::Table;
