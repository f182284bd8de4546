//! Writing: validating batches, partitioning, sorting, encoding Parquet and committing.

mod checksums;
mod encode;
mod encoder;
mod keys;
mod merge_runs;
mod one_value;
mod open_file;
mod plan;
mod scratch_runs;
mod shared_file;
mod sort_order;
mod staged;
mod stats;
mod transaction;
mod upload;
mod validate;
mod write_log;

pub(crate) use encode::{EncodedFile, encode_partition, partition_of};
pub use encode::{ROW_GROUP_BYTES, writer_properties};
pub use transaction::{CommitOutcome, Transaction};
pub use upload::put_data_file;
pub(crate) use upload::{STAGING_DIR, upload_file};
pub use validate::conform;
