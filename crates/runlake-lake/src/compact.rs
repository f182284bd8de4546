//! Compaction: rewriting a table as one globally sorted run per partition.
//!
//! Conversion writes bounded-memory sorted runs, so a table's rows for one task (say) are
//! spread over one row group per run. Compaction reads each partition's files once, checks
//! them against their hashes, merges their row groups (each one sorted) into one sorted stream
//! and writes it back in full row groups of the writer's size, small enough that a narrow
//! query decodes little and a wide one decodes row groups in parallel. It
//! holds about one partition's compressed bytes plus small decoded batches, not the decoded
//! table. It commits like any other write: a version whose operation names every run of the
//! table, so it conflicts with (and retries after) any concurrent write to that table. Files
//! record whether they are one sorted run, so compacting a compact table reads only footers
//! and commits nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::{ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use runlake_format::{DataFile, Table};

use crate::error::{LakeError, Result};
use crate::lake::{Lake, LakeConfig};
use crate::object_reader::StoreFileReader;
use crate::order::FileOrder;
use crate::writer::CommitOutcome;

/// Rows per row group in compacted files: the writer's default, so a fresh file whose runs were
/// merged counts as compact.
const COMPACT_ROW_GROUP_ROWS: usize = 1 << 15;

/// Rows per batch handed from the merge to the writer.
const MERGE_BATCH_ROWS: usize = 8192;

/// Rewrites `table` as one sorted file per partition.
pub async fn compact(lake: &Lake, table: Table) -> Result<CommitOutcome> {
    let manifest = lake.latest().await?;
    let Some(state) = manifest.table(table).filter(|t| !t.files.is_empty()) else {
        return Ok(CommitOutcome::default());
    };
    if already_compact(lake, &state.files).await? {
        return Ok(CommitOutcome::default());
    }
    let mut partitions: BTreeMap<_, Vec<DataFile>> = BTreeMap::new();
    for file in &state.files {
        partitions
            .entry(file.partition.clone())
            .or_default()
            .push(file.clone());
    }
    // Buffers of exactly one row group: the merged stream is sorted, so each buffer is the
    // next row group of one globally sorted run.
    let whole = lake.with_config(LakeConfig {
        spill_rows: COMPACT_ROW_GROUP_ROWS,
        file_rows: usize::MAX,
        row_group_rows: COMPACT_ROW_GROUP_ROWS,
        // The stream is already in order: merging its buffers again would only rewrite them.
        merge_runs: false,
        ..lake.config().clone()
    });
    let mut tx = whole.transaction("compact", table.name());
    // Every run the table holds is named by the rows appended below.
    tx.replace_table(table, std::iter::empty::<String>());
    for files in partitions.values() {
        let verified = verified_partition(lake, table, files).await?;
        crate::merge::merge_sorted(&verified, table, files, MERGE_BATCH_ROWS, |batch| {
            tx.append(table, batch)
        })
        .await?;
    }
    tx.commit().await
}

/// The partition's files, each read once and checked against its BLAKE3 (the rows written
/// back must be the committed ones), held in memory under their own paths for the merge. The
/// merge holds every row group of the partition at once anyway, so this adds only footers.
async fn verified_partition(lake: &Lake, table: Table, files: &[DataFile]) -> Result<Lake> {
    let verified = Arc::new(InMemory::new());
    for file in files {
        let display = lake.display_path(&file.path);
        let bytes = crate::verify::verified_bytes(lake, file)
            .await?
            .map_err(|problem| {
                LakeError::Task(format!("{display}: {problem}; not compacting {table}"))
            })?;
        verified
            .put(&lake.path(&file.path), PutPayload::from(bytes))
            .await
            .map_err(crate::error::store_err(display))?;
    }
    // Same root and location, so paths and error messages name the real files.
    Ok(Lake::from_store(
        verified,
        lake.root().clone(),
        lake.location(),
        true,
    ))
}

/// Whether compaction would write these files again: one file per partition, each recording
/// that it is one sorted run, in full row groups but the last. Only the footers are read.
async fn already_compact(lake: &Lake, files: &[DataFile]) -> Result<bool> {
    let mut partitions = BTreeSet::new();
    if !files.iter().all(|f| partitions.insert(&f.partition)) {
        return Ok(false);
    }
    for file in files {
        let mut reader =
            StoreFileReader::new(lake.store().clone(), lake.path(&file.path), file.bytes);
        let meta = ArrowReaderMetadata::load_async(&mut reader, ArrowReaderOptions::new())
            .await
            .map_err(|source| LakeError::Parquet {
                path: lake.display_path(&file.path),
                source,
            })?;
        let meta = meta.metadata();
        let full_groups = meta.row_groups().split_last().is_none_or(|(_, full)| {
            full.iter()
                .all(|g| g.num_rows() == COMPACT_ROW_GROUP_ROWS as i64)
        });
        if FileOrder::of(meta.file_metadata()) != FileOrder::File || !full_groups {
            return Ok(false);
        }
    }
    Ok(true)
}
