//! Delta log actions, built from manifests alone.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{DeltaError, table_id, table_relative_uri};
use crate::manifest::{DataFile, Manifest, StatValue, TableState};
use crate::tables::Table;

/// One line of a Delta commit file (or one row of a checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Provenance of the version: runlake's operation.
    CommitInfo(CommitInfo),
    /// The reader and writer versions the table needs.
    Protocol(Protocol),
    /// Table id, schema and partitioning.
    MetaData(MetaData),
    /// A data file that is live from this version on.
    Add(Add),
    /// A data file that is no longer live from this version on.
    Remove(Remove),
}

/// `commitInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    /// The manifest's `created_at_ms`.
    pub timestamp: i64,
    /// The manifest's operation kind (`convert`, `compact`, `sync`, ...).
    pub operation: String,
    /// The operation's description.
    pub operation_parameters: BTreeMap<String, String>,
    /// The manifest's writer.
    pub engine_info: String,
    /// Always false: a version may replace rows.
    pub is_blind_append: bool,
    /// The lake version this commit mirrors (equal to the Delta version).
    pub runlake_version: u64,
    /// The manifest's commit id.
    pub runlake_commit_id: String,
}

/// `protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Protocol {
    /// Lowest reader version.
    pub min_reader_version: i32,
    /// Lowest writer version.
    pub min_writer_version: i32,
}

/// `metaData.format`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Format {
    /// Always `parquet`.
    pub provider: String,
    /// Always empty.
    pub options: BTreeMap<String, String>,
}

/// `metaData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaData {
    /// Derived from the lake id and the table name.
    pub id: String,
    /// The table name.
    pub name: String,
    /// Parquet.
    pub format: Format,
    /// The schema as Delta schema JSON.
    pub schema_string: String,
    /// Partition columns, outermost first.
    pub partition_columns: Vec<String>,
    /// Always empty.
    pub configuration: BTreeMap<String, String>,
}

/// `add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Add {
    /// URI-encoded path relative to the table folder.
    pub path: String,
    /// Decoded partition values; null is JSON null.
    pub partition_values: BTreeMap<String, Option<String>>,
    /// Bytes.
    pub size: u64,
    /// The `created_at_ms` of the version that added the file.
    pub modification_time: i64,
    /// False only for compaction, which moves rows without changing them.
    pub data_change: bool,
    /// `numRecords`, `minValues`, `maxValues`, `nullCount` as JSON text.
    pub stats: String,
}

/// `remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remove {
    /// URI-encoded path relative to the table folder.
    pub path: String,
    /// The `created_at_ms` of the version that removed the file.
    pub deletion_timestamp: i64,
    /// As for `add`.
    pub data_change: bool,
    /// The fields below are filled.
    pub extended_file_metadata: bool,
    /// Decoded partition values.
    pub partition_values: BTreeMap<String, Option<String>>,
    /// Bytes.
    pub size: u64,
}

/// Compaction rewrites rows without changing them; every other operation changes data.
fn data_change(manifest: &Manifest) -> bool {
    manifest.operation.kind != "compact"
}

fn metadata(manifest: &Manifest, table: Table, state: &TableState) -> Result<MetaData, DeltaError> {
    Ok(MetaData {
        id: table_id(&manifest.lake_id, table),
        name: table.name().to_owned(),
        format: Format {
            provider: "parquet".to_owned(),
            options: BTreeMap::new(),
        },
        schema_string: super::delta_schema_string(table.name(), &state.schema)?,
        partition_columns: state.partition_columns.clone(),
        configuration: BTreeMap::new(),
    })
}

fn uri(table: Table, file: &DataFile) -> Result<String, DeltaError> {
    table_relative_uri(table, &file.path).ok_or_else(|| DeltaError::OutsideTable {
        path: file.path.clone(),
        table: table.name().to_owned(),
    })
}

fn partition_values(file: &DataFile) -> Result<BTreeMap<String, Option<String>>, DeltaError> {
    for (column, value) in &file.partition {
        if value.as_deref() == Some("") {
            return Err(DeltaError::EmptyPartitionValue {
                path: file.path.clone(),
                column: column.clone(),
            });
        }
    }
    Ok(file.partition.clone())
}

/// Delta `stats` from the manifest's statistics of the key and sort columns.
fn stats(file: &DataFile) -> String {
    let value = |v: &StatValue| match v {
        StatValue::Int(i) => Value::from(*i),
        StatValue::Str(s) => Value::from(s.as_str()),
    };
    let mut min = Map::new();
    let mut max = Map::new();
    let mut nulls = Map::new();
    for (column, s) in &file.stats {
        if file.partition.contains_key(column) {
            continue;
        }
        if let Some(v) = &s.min {
            min.insert(column.clone(), value(v));
        }
        if let Some(v) = &s.max {
            max.insert(column.clone(), value(v));
        }
        nulls.insert(column.clone(), Value::from(s.null_count));
    }
    let mut out = Map::new();
    out.insert("numRecords".into(), Value::from(file.rows));
    out.insert("minValues".into(), Value::Object(min));
    out.insert("maxValues".into(), Value::Object(max));
    out.insert("nullCount".into(), Value::Object(nulls));
    Value::Object(out).to_string()
}

fn add(table: Table, file: &DataFile, time: i64, data_change: bool) -> Result<Add, DeltaError> {
    Ok(Add {
        path: uri(table, file)?,
        partition_values: partition_values(file)?,
        size: file.bytes,
        modification_time: time,
        data_change,
        stats: stats(file),
    })
}

fn commit_info(manifest: &Manifest) -> CommitInfo {
    let mut parameters = BTreeMap::new();
    if !manifest.operation.description.is_empty() {
        parameters.insert(
            "description".to_owned(),
            manifest.operation.description.clone(),
        );
    }
    CommitInfo {
        timestamp: manifest.created_at_ms,
        operation: manifest.operation.kind.clone(),
        operation_parameters: parameters,
        engine_info: manifest.writer.clone(),
        is_blind_append: false,
        runlake_version: manifest.version,
        runlake_commit_id: manifest.commit_id.clone(),
    }
}

/// The actions of `table`'s Delta commit for `manifest.version`, given the table's state at
/// the version before (`None` for version 0): `commitInfo`; `protocol` and `metaData` at
/// version 0, `metaData` again whenever the schema or partitioning changed; a `remove` for
/// every file the version dropped and an `add` for every file it added. A version that did
/// not touch the table gives `commitInfo` alone.
pub fn commit_actions(
    table: Table,
    manifest: &Manifest,
    previous: Option<&TableState>,
) -> Result<Vec<Action>, DeltaError> {
    let empty = TableState::empty(table);
    let current = manifest.table(table).unwrap_or(&empty);
    let mut actions = vec![Action::CommitInfo(commit_info(manifest))];
    let schema_changed = previous.is_none_or(|p| {
        p.schema != current.schema || p.partition_columns != current.partition_columns
    });
    if previous.is_none() {
        actions.push(Action::Protocol(super::protocol_for(&current.schema)));
    }
    if schema_changed {
        actions.push(Action::MetaData(metadata(manifest, table, current)?));
    }
    let change = data_change(manifest);
    let before: BTreeMap<&str, &DataFile> = previous
        .map(|p| p.files.iter().map(|f| (f.path.as_str(), f)).collect())
        .unwrap_or_default();
    let after: BTreeMap<&str, &DataFile> =
        current.files.iter().map(|f| (f.path.as_str(), f)).collect();
    for (path, file) in &before {
        if !after.contains_key(path) {
            actions.push(Action::Remove(Remove {
                path: uri(table, file)?,
                deletion_timestamp: manifest.created_at_ms,
                data_change: change,
                extended_file_metadata: true,
                partition_values: partition_values(file)?,
                size: file.bytes,
            }));
        }
    }
    for (path, file) in &after {
        if !before.contains_key(path) {
            actions.push(Action::Add(add(
                table,
                file,
                manifest.created_at_ms,
                change,
            )?));
        }
    }
    Ok(actions)
}

/// The bytes of a commit file: one JSON object per line.
pub fn commit_bytes(actions: &[Action]) -> Vec<u8> {
    let mut out = Vec::new();
    for action in actions {
        // Serialising these plain structs cannot fail.
        if let Ok(line) = serde_json::to_vec(action) {
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
    }
    out
}

/// The state of `table` at `manifest.version` as a checkpoint holds it: `protocol`,
/// `metaData`, then an `add` per live file. `time_of` gives the `created_at_ms` of the version
/// that added a file (the `modificationTime` its commit wrote).
pub fn checkpoint_actions(
    table: Table,
    manifest: &Manifest,
    time_of: &dyn Fn(u64) -> Option<i64>,
) -> Result<Vec<Action>, DeltaError> {
    let empty = TableState::empty(table);
    let current = manifest.table(table).unwrap_or(&empty);
    let mut actions = vec![
        Action::Protocol(super::protocol_for(&current.schema)),
        Action::MetaData(metadata(manifest, table, current)?),
    ];
    for file in &current.files {
        let time = time_of(file.added_in_version).unwrap_or(manifest.created_at_ms);
        // Which operation added a file is not kept in the manifest; a checkpoint records
        // state, and readers ignore `dataChange` there.
        actions.push(Action::Add(add(table, file, time, true)?));
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::ContentHash;
    use crate::manifest::ColumnStats;

    fn file(path: &str, partition: Option<&str>, added: u64) -> DataFile {
        DataFile {
            path: path.to_owned(),
            blake3: ContentHash::of(path.as_bytes()),
            bytes: 100,
            rows: 3,
            partition: partition
                .map(|p| [("phase".to_owned(), Some(p.to_owned()))].into())
                .unwrap_or_default(),
            stats: [(
                "run_uid".to_owned(),
                ColumnStats {
                    min: Some(StatValue::Str("a".into())),
                    max: Some(StatValue::Str("b".into())),
                    null_count: 0,
                },
            )]
            .into(),
            added_in_version: added,
            page_crc32: None,
        }
    }

    fn manifest(version: u64, kind: &str, files: Vec<DataFile>) -> Manifest {
        let mut m = Manifest::initial("lake".into(), format!("c{version}"), 1000, "w".into());
        m.version = version;
        m.created_at_ms = 1000 + version as i64;
        m.operation.kind = kind.into();
        if let Some(t) = m.tables.get_mut("metadata") {
            t.files = files;
        }
        m
    }

    #[test]
    fn version_zero_then_diffs() {
        let v0 = manifest(0, "init", vec![]);
        let a = file("metadata/phase=a%2Fb/1.parquet", Some("a/b"), 1);
        let b = file("metadata/phase=x/2.parquet", Some("x"), 2);
        let v1 = manifest(1, "convert", vec![a.clone()]);
        let v2 = manifest(2, "compact", vec![b]);
        let first = commit_actions(Table::Metadata, &v0, None).expect("v0");
        assert!(matches!(first[1], Action::Protocol(_)));
        assert!(matches!(first[2], Action::MetaData(_)));
        assert_eq!(first.len(), 3);
        let second = commit_actions(Table::Metadata, &v1, v0.table(Table::Metadata)).expect("v1");
        let Action::Add(added) = &second[1] else {
            panic!("expected add, got {second:?}");
        };
        assert_eq!(added.path, "phase=a%252Fb/1.parquet");
        assert_eq!(added.modification_time, 1001);
        assert!(added.data_change);
        let stats: Value = serde_json::from_str(&added.stats).expect("json");
        assert_eq!(stats["numRecords"], 3);
        assert_eq!(stats["minValues"]["run_uid"], "a");
        let third = commit_actions(Table::Metadata, &v2, v1.table(Table::Metadata)).expect("v2");
        assert!(matches!(&third[1], Action::Remove(r) if !r.data_change));
        assert!(matches!(&third[2], Action::Add(a) if !a.data_change));
        let untouched =
            commit_actions(Table::Lineage, &v2, v1.table(Table::Lineage)).expect("lineage");
        assert_eq!(untouched.len(), 1);
        let text = String::from_utf8(commit_bytes(&second)).expect("utf8");
        assert!(text.starts_with("{\"commitInfo\":{\"timestamp\":1001,"));
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn a_schema_change_writes_metadata_again() {
        let mut older = manifest(1, "convert", vec![]);
        if let Some(t) = older.tables.get_mut("metadata") {
            t.schema.truncate(t.schema.len() - 3);
            t.schema_version = 1;
        }
        let newer = manifest(2, "convert", vec![]);
        let actions =
            commit_actions(Table::Metadata, &newer, older.table(Table::Metadata)).expect("v2");
        let Some(Action::MetaData(meta)) = actions.get(1) else {
            panic!("expected metaData, got {actions:?}");
        };
        let schema: Value = serde_json::from_str(&meta.schema_string).expect("json");
        let fields = schema["fields"].as_array().expect("fields");
        let current = newer.table(Table::Metadata).expect("table");
        assert_eq!(fields.len(), current.schema.len());
        assert_eq!(meta.id, table_id("lake", Table::Metadata));
        let same = commit_actions(Table::Metadata, &newer, newer.table(Table::Metadata))
            .expect("unchanged");
        assert_eq!(same.len(), 1, "no metaData without a change");
    }

    #[test]
    fn empty_partition_values_are_refused() {
        let m = manifest(
            1,
            "convert",
            vec![file("metadata/phase=%/1.parquet", Some(""), 1)],
        );
        let err = commit_actions(Table::Metadata, &m, None).expect_err("refused");
        assert!(err.to_string().contains("empty string"), "{err}");
    }

    #[test]
    fn checkpoints_time_files_by_the_version_that_added_them() {
        let m = manifest(
            10,
            "convert",
            vec![file("metadata/phase=x/1.parquet", Some("x"), 4)],
        );
        let actions =
            checkpoint_actions(Table::Metadata, &m, &|v| Some(v as i64 * 7)).expect("state");
        assert_eq!(actions.len(), 3);
        assert!(matches!(&actions[2], Action::Add(a) if a.modification_time == 28));
    }
}
