//! runlake storage: atomic, versioned commits of Parquet data files over `object_store`.
//!
//! A [`Lake`] is a folder (local, `s3://`, `gs://` or in memory) of content-named Parquet files
//! plus one immutable manifest per version. A [`Transaction`] writes rows for any tables and
//! commits them as a single new version with put-if-absent; [`verify`] and [`gc`] check and
//! clean a lake. See `spec/FORMAT.md` for the format itself.

mod commit;
pub mod compact;
pub mod delta;
mod error;
pub mod gc;
mod gc_lease;
mod lake;
mod local_files;
mod location;
mod merge;
pub mod object_reader;
mod order;
mod read;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod verify;
mod versions;
mod writer;

pub use error::{LakeError, Result};
pub use lake::{Lake, LakeConfig, Snapshot};
pub use location::StoreOptions;
pub use read::with_partition_columns;
pub use versions::{Chain, Created, LogProblem, LogProblemKind, StoredVersion, VersionLog};
pub use writer::{
    CommitOutcome, ROW_GROUP_BYTES, Transaction, conform, put_data_file, writer_properties,
};

pub use runlake_format::{Manifest, Table};
