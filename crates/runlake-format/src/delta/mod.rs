//! The Delta Lake view of a lake: each table folder also holds a `_delta_log/` whose version N
//! lists exactly the files runlake's manifest N lists for that table.
//!
//! The log is derived, never authoritative: every action comes from manifests alone (times
//! from `created_at_ms`, the table id from the lake id, `commitInfo` from the operation), so
//! the same manifests always give the same bytes and `verify` can compare them. This module is
//! the pure model (paths, schema, actions); writing and checking the files is the engine's.

mod actions;
mod schema;

pub use actions::{Action, Add, CommitInfo, Format, MetaData, Protocol, Remove};
pub use actions::{checkpoint_actions, commit_actions, commit_bytes};
pub use schema::{delta_schema_string, protocol_for};

use crate::tables::Table;

/// The log folder inside each table folder.
pub const DELTA_LOG_DIR: &str = "_delta_log";

/// A checkpoint is written at every version that is a multiple of this, as Delta writers do.
pub const CHECKPOINT_INTERVAL: u64 = 10;

/// Lake-relative path of a table's commit file for `version`.
pub fn commit_path(table: Table, version: u64) -> String {
    format!("{}/{DELTA_LOG_DIR}/{version:020}.json", table.name())
}

/// Lake-relative path of a table's single-file checkpoint at `version`.
pub fn checkpoint_path(table: Table, version: u64) -> String {
    format!(
        "{}/{DELTA_LOG_DIR}/{version:020}.checkpoint.parquet",
        table.name()
    )
}

/// Lake-relative path of a table's `_last_checkpoint` pointer.
pub fn last_checkpoint_path(table: Table) -> String {
    format!("{}/{DELTA_LOG_DIR}/_last_checkpoint", table.name())
}

/// The version a file name in `_delta_log/` is the JSON commit of, if it is one.
pub fn parse_commit_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The version a file name in `_delta_log/` is the checkpoint of, if it is one.
pub fn parse_checkpoint_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".checkpoint.parquet")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// `add.path` and `remove.path` for a lake-relative data file path: relative to the table
/// folder and URI-encoded, as Delta readers decode it. Partition folders hold literal `%XX`
/// escapes (the only characters besides `[A-Za-z0-9_=/.-]`), so encoding `%` as `%25` is the
/// whole of it: a reader decodes the path back to the folder's real name.
pub fn table_relative_uri(table: Table, lake_path: &str) -> Option<String> {
    let inside = lake_path
        .strip_prefix(table.name())
        .and_then(|p| p.strip_prefix('/'))?;
    Some(inside.replace('%', "%25"))
}

/// The Delta table id of a table: a UUID-shaped name derived from the lake id and the table
/// name, so every writer and every rebuild of the log agree on it.
pub fn table_id(lake_id: &str, table: Table) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"runlake delta table id\0");
    hasher.update(lake_id.as_bytes());
    hasher.update(b"\0");
    hasher.update(table.name().as_bytes());
    let bytes = hasher.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes.as_bytes()[..16]);
    // Version 8 (custom) and the RFC 4122 variant, so tools that parse the id accept it.
    id[6] = (id[6] & 0x0f) | 0x80;
    id[8] = (id[8] & 0x3f) | 0x80;
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Why a table cannot be shown as a Delta table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    /// A column type with no Delta counterpart in this mapping.
    #[error("table {table}: column `{column}` has type `{data_type}`, which has no Delta type")]
    UnsupportedType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The manifest's type name.
        data_type: String,
    },
    /// A partition value Delta cannot keep apart from null.
    #[error(
        "{path}: partition column `{column}` holds an empty string, which Delta readers read as \
         null"
    )]
    EmptyPartitionValue {
        /// The data file.
        path: String,
        /// The partition column.
        column: String,
    },
    /// A manifest lists a file outside the table's folder.
    #[error("{path} is not inside table folder {table}")]
    OutsideTable {
        /// The listed path.
        path: String,
        /// The table.
        table: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_delta_names() {
        assert_eq!(
            commit_path(Table::Evals, 7),
            "evals/_delta_log/00000000000000000007.json"
        );
        assert_eq!(
            checkpoint_path(Table::Lineage, 10),
            "lineage/_delta_log/00000000000000000010.checkpoint.parquet"
        );
        assert_eq!(parse_commit_name("00000000000000000007.json"), Some(7));
        assert_eq!(parse_commit_name("7.json"), None);
        assert_eq!(
            parse_checkpoint_name("00000000000000000020.checkpoint.parquet"),
            Some(20)
        );
        assert_eq!(parse_checkpoint_name("00000000000000000020.json"), None);
    }

    #[test]
    fn escapes_survive_one_decoding() {
        let lake_path = "metadata/phase=a%2Fb%20c/x.parquet";
        let uri = table_relative_uri(Table::Metadata, lake_path).expect("inside");
        assert_eq!(uri, "phase=a%252Fb%2520c/x.parquet");
        assert_eq!(uri.replace("%25", "%"), "phase=a%2Fb%20c/x.parquet");
        assert_eq!(table_relative_uri(Table::Evals, lake_path), None);
    }

    #[test]
    fn table_ids_are_stable_distinct_uuids() {
        let a = table_id("lake-1", Table::Evals);
        assert_eq!(a, table_id("lake-1", Table::Evals));
        assert_ne!(a, table_id("lake-1", Table::Metadata));
        assert_ne!(a, table_id("lake-2", Table::Evals));
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&a[14..15], "8");
    }
}
