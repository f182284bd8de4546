//! Errors of the converter. Bad input always names the file, the row and the field.

use std::path::PathBuf;

use runlake_format::message::decoder_detail;

use crate::columns::ColumnError;
use crate::rows::RowError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {}", path.display(), decoder_detail(&source.to_string()))]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    /// An input that cannot be decoded as Parquet (damaged, truncated, or another format).
    #[error(
        "{}: not a readable Parquet file: {}",
        path.display(),
        decoder_detail(&source.to_string())
    )]
    Unreadable {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{}: {source}", path.display())]
    Column { path: PathBuf, source: ColumnError },
    #[error("{at}: {source}")]
    Row { at: String, source: RowError },
    #[error(
        "conflicting rows for {key}: {first} and {second} have the same key but different values"
    )]
    Conflict {
        key: String,
        first: String,
        second: String,
    },
    #[error("{}: cannot tell which DataDecide export this is: {reason}", path.display())]
    Detect { path: PathBuf, reason: String },
    #[error("building Arrow batches: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("writing to the lake: {0}")]
    Lake(#[from] runlake_lake::LakeError),
}
