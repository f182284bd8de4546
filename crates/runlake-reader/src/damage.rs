//! Damaged data files end in an error naming the file, never in a panic or in missing rows.
//!
//! The Parquet decoder trusts the byte ranges a footer gives it: a negative offset, or a page
//! that starts before its column chunk, makes it panic (an assertion or an integer overflow)
//! instead of returning an error, so footers are checked here before anything is decoded from
//! them. Damaged page data can still make the decoder panic deep inside (definition levels
//! that run past their buffer); no check on our side can foresee that, so decoding runs under
//! [`guarded`], which turns the panic into an error. Without it, a panic in a spawned decoding
//! task would end that task's batches early and the query would return fewer rows, silently.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;

use crate::error::{ReaderError, Result};

/// Refuses a footer whose column chunks or pages lie outside the file or outside each other.
pub(crate) fn check_footer(meta: &ParquetMetaData, file_bytes: u64) -> Result<(), ParquetError> {
    for (g, group) in meta.row_groups().iter().enumerate() {
        if group.num_rows() < 0 {
            return Err(damaged(format!("row group {g} has a negative row count")));
        }
        let pages = meta.page_index_for_row_group(g);
        for (c, column) in group.columns().iter().enumerate() {
            let at = || format!("row group {g}, column {}", column.column_path());
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let (Ok(start), Ok(len)) = (
                u64::try_from(start),
                u64::try_from(column.compressed_size()),
            ) else {
                return Err(damaged(format!("{}: negative byte range", at())));
            };
            let end = start.saturating_add(len);
            if end > file_bytes || column.data_page_offset() < 0 {
                return Err(damaged(format!(
                    "{}: bytes {start}..{end} lie outside the file of {file_bytes} bytes",
                    at()
                )));
            }
            let Some(index) = pages.offset_index(c) else {
                continue;
            };
            for page in index.page_locations() {
                let page_start = u64::try_from(page.offset).unwrap_or(u64::MAX);
                let page_len = u64::try_from(page.compressed_page_size).unwrap_or(u64::MAX);
                if page_start < start || page_start.saturating_add(page_len) > end {
                    return Err(damaged(format!(
                        "{}: a page at byte {} lies outside its column chunk (bytes {start}..{end})",
                        at(),
                        page.offset
                    )));
                }
            }
        }
    }
    Ok(())
}

fn damaged(reason: String) -> ParquetError {
    ParquetError::General(format!("the footer is inconsistent: {reason}"))
}

/// Runs a decoding future; a panic inside it becomes an error naming the file.
pub(crate) async fn guarded<T>(path: &str, decode: impl Future<Output = Result<T>>) -> Result<T> {
    AssertUnwindSafe(decode)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(decoder_panicked(path, panic.as_ref())))
}

fn decoder_panicked(path: &str, panic: &(dyn Any + Send)) -> ReaderError {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    ReaderError::Parquet {
        path: path.to_owned(),
        source: ParquetError::General(format!("the decoder failed on its contents ({detail})")),
    }
}
