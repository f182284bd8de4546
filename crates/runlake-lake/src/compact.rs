//! Compaction: rewriting a table as one globally sorted run per partition.
//!
//! Conversion writes bounded-memory sorted runs, so a table's rows for one task (say) are
//! spread over one row group per run. Compaction reads the table, sorts it whole and writes it
//! back in large row groups, so readers touch as few row groups as possible. It holds the
//! table in memory (about three times its decoded size) and commits like any other write: a
//! version whose operation names every run of the table, so it conflicts with (and retries
//! after) any concurrent write to that table. A compacted table compacts to itself: running it
//! again commits nothing.

use std::collections::BTreeSet;

use arrow::array::AsArray;
use runlake_format::Table;

use crate::error::Result;
use crate::lake::{Lake, LakeConfig};
use crate::writer::CommitOutcome;

/// Rows per row group in compacted files.
const COMPACT_ROW_GROUP_ROWS: usize = 1 << 17;

/// Rewrites `table` as one sorted file per partition.
pub async fn compact(lake: &Lake, table: Table) -> Result<CommitOutcome> {
    let manifest = lake.latest().await?;
    // A single file may still hold several sorted runs, so only an empty table is skipped;
    // an already compact one is rewritten to identical bytes and commits nothing.
    if manifest.table(table).is_none_or(|t| t.files.is_empty()) {
        return Ok(CommitOutcome::default());
    }
    let batches = lake.read_table(&manifest, table).await?;
    let mut runs = BTreeSet::new();
    for b in &batches {
        if let Some(col) = b.column_by_name(table.run_column()) {
            runs.extend(col.as_string::<i32>().iter().flatten().map(str::to_owned));
        }
    }
    let whole = lake.with_config(LakeConfig {
        spill_rows: usize::MAX,
        file_rows: usize::MAX,
        row_group_rows: COMPACT_ROW_GROUP_ROWS,
        ..lake.config().clone()
    });
    let mut tx = whole.transaction("compact", table.name());
    // The rows are already in hand: replacing the table needs no second read of its files.
    tx.replace_table(table, runs);
    for b in batches {
        tx.append(table, b)?;
    }
    tx.commit().await
}
