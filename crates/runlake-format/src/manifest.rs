//! The version manifest: a complete snapshot of every table at one version.

use std::collections::BTreeMap;

use arrow_schema::{DataType, Schema};
use serde::{Deserialize, Serialize};

use crate::hash::ContentHash;
use crate::tables::Table;

/// The `format` field of every manifest.
pub const FORMAT_NAME: &str = "runlake";
/// The format major version this code reads and writes. A reader refuses a larger major.
pub const FORMAT_MAJOR: u32 = 1;
/// The format minor version this code writes. Minor versions only add optional fields.
/// 1.1 added `self_blake3`, the hash of a manifest's own bytes; 1.2 appended columns to
/// `metadata` and `pretrain_ckpts` (their schema version 2), which older files lack; 1.3 added
/// the Delta Lake log beside each table and the manifest's `delta_log` switch.
pub const FORMAT_MINOR: u32 = 3;

/// `major.minor` of the on-disk format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatVersion {
    /// Incompatible changes.
    pub major: u32,
    /// Compatible additions.
    pub minor: u32,
}

impl FormatVersion {
    /// The version this code writes.
    pub const CURRENT: FormatVersion = FormatVersion {
        major: FORMAT_MAJOR,
        minor: FORMAT_MINOR,
    };
}

/// One dataset version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `runlake`.
    pub format: String,
    /// Format version of this manifest.
    pub format_version: FormatVersion,
    /// Random id fixed when the lake is created; sync refuses to mix lakes.
    pub lake_id: String,
    /// Version number: 0 for the empty lake made by `init`, then +1 per commit.
    pub version: u64,
    /// The version this one was built on, with the BLAKE3 of its exact manifest bytes.
    pub parent: Option<ParentRef>,
    /// Random id of the commit; how a writer recognises its own manifest after an ambiguous
    /// failure.
    pub commit_id: String,
    /// Commit time, milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Program and version that wrote the manifest.
    pub writer: String,
    /// What this version changed.
    pub operation: Operation,
    /// Every table's live state, keyed by table name.
    pub tables: BTreeMap<String, TableState>,
    /// Whether every table folder carries a Delta Lake log mirroring the versions (since 1.3;
    /// on unless the lake was created with it off, and stored only when off).
    #[serde(
        default = "delta_log_default",
        skip_serializing_if = "is_delta_log_default"
    )]
    pub delta_log: bool,
}

fn delta_log_default() -> bool {
    true
}

fn is_delta_log_default(on: &bool) -> bool {
    *on
}

/// Link to the parent manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    /// Parent version number.
    pub version: u64,
    /// BLAKE3 of the parent manifest's bytes.
    pub blake3: ContentHash,
}

/// What a commit did, kept for `log` and for deciding whether racing commits commute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// `init`, `append`, `upsert`, `replace`, `delete`, `rebase`, ... (free text for humans).
    pub kind: String,
    /// Free-form description, e.g. the convert inputs.
    #[serde(default)]
    pub description: String,
    /// Per table, the sorted run ids whose rows this commit added, replaced or removed.
    #[serde(default)]
    pub runs: BTreeMap<String, Vec<String>>,
    /// Paths of the data files this commit added.
    #[serde(default)]
    pub added_files: Vec<String>,
    /// Paths of the data files this commit removed from the live set.
    #[serde(default)]
    pub removed_files: Vec<String>,
    /// Rows added (in added files).
    #[serde(default)]
    pub rows_added: u64,
    /// Rows removed (in removed files).
    #[serde(default)]
    pub rows_removed: u64,
    /// Bytes added.
    #[serde(default)]
    pub bytes_added: u64,
}

/// A table's schema and live files at one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableState {
    /// Version of the table schema (see `spec/FORMAT.md`).
    pub schema_version: u32,
    /// The logical schema, partition columns included.
    pub schema: Vec<ColumnSpec>,
    /// Hive partition columns, outermost first.
    pub partition_columns: Vec<String>,
    /// Columns identifying a row.
    pub key_columns: Vec<String>,
    /// Row order inside every file.
    pub sort_columns: Vec<String>,
    /// Live data files, sorted by path.
    pub files: Vec<DataFile>,
}

impl TableState {
    /// An empty table with the schema this code defines.
    pub fn empty(table: Table) -> Self {
        let owned = |cols: &[&str]| cols.iter().map(|c| (*c).to_owned()).collect();
        Self {
            schema_version: table.schema_version(),
            schema: columns_of(&table.schema()),
            partition_columns: owned(table.partition_columns()),
            key_columns: owned(table.key_columns()),
            sort_columns: owned(table.sort_columns()),
            files: Vec::new(),
        }
    }

    /// Total rows over live files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Total bytes over live files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// One column of a table schema, as written in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Type name: `utf8`, `int32`, `int64`, `float64`, `bool`, `timestamp[us, +00:00]`,
    /// `list<utf8>`, `map<utf8, utf8>`, `map<utf8, float64>`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Whether nulls are allowed.
    pub nullable: bool,
}

/// The manifest's column list for an Arrow schema.
pub fn columns_of(schema: &Schema) -> Vec<ColumnSpec> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnSpec {
            name: f.name().clone(),
            data_type: type_name(f.data_type()),
            nullable: f.is_nullable(),
        })
        .collect()
}

/// The spec's name for an Arrow type.
pub fn type_name(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "utf8".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::Float64 => "float64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Timestamp(unit, tz) => {
            let unit = match unit {
                arrow_schema::TimeUnit::Second => "s",
                arrow_schema::TimeUnit::Millisecond => "ms",
                arrow_schema::TimeUnit::Microsecond => "us",
                arrow_schema::TimeUnit::Nanosecond => "ns",
            };
            match tz {
                Some(tz) => format!("timestamp[{unit}, {tz}]"),
                None => format!("timestamp[{unit}]"),
            }
        }
        DataType::List(f) => format!("list<{}>", type_name(f.data_type())),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "map<{}, {}>",
                type_name(kv[0].data_type()),
                type_name(kv[1].data_type())
            ),
            other => format!("map<{other}>"),
        },
        other => other.to_string().to_lowercase(),
    }
}

/// One immutable Parquet file of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path relative to the lake root, e.g. `evals/phase=pretrain/<blake3>.parquet`.
    pub path: String,
    /// BLAKE3 of the file's bytes (also its name).
    pub blake3: ContentHash,
    /// Size in bytes.
    pub bytes: u64,
    /// Number of rows.
    pub rows: u64,
    /// Partition column values (decoded); null is JSON `null`.
    #[serde(default)]
    pub partition: BTreeMap<String, Option<String>>,
    /// Per-column statistics for the key and sort columns.
    #[serde(default)]
    pub stats: BTreeMap<String, ColumnStats>,
    /// The version that added this file.
    pub added_in_version: u64,
    /// CRC-32 of each page, index entry and footer piece, so partial reads are checked (see
    /// [`crate::checksums`]); absent in files written before format 1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_crc32: Option<String>,
}

/// Statistics of one column in one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// Smallest non-null value (JSON string or number); absent when all values are null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<StatValue>,
    /// Largest non-null value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<StatValue>,
    /// Number of nulls.
    pub null_count: u64,
}

/// A statistic value: strings compare bytewise, integers numerically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StatValue {
    /// An integer column's value.
    Int(i64),
    /// A string column's value.
    Str(String),
}

impl Manifest {
    /// The empty version 0 of a new lake.
    pub fn initial(lake_id: String, commit_id: String, created_at_ms: i64, writer: String) -> Self {
        Self {
            format: FORMAT_NAME.to_owned(),
            format_version: FormatVersion::CURRENT,
            lake_id,
            version: 0,
            parent: None,
            commit_id,
            created_at_ms,
            writer,
            operation: Operation {
                kind: "init".into(),
                ..Operation::default()
            },
            tables: Table::ALL
                .iter()
                .map(|t| (t.name().to_owned(), TableState::empty(*t)))
                .collect(),
            delta_log: true,
        }
    }

    /// The live state of a table.
    pub fn table(&self, table: Table) -> Option<&TableState> {
        self.tables.get(table.name())
    }

    /// Checks that every file path is a data file path the format defines (see
    /// [`crate::layout::parse_data_file_path`]), in the table that lists it, named by the hash
    /// recorded for it and in the partition recorded for it. A manifest that fails names
    /// something a reader, `gc` or `sync` must never touch.
    pub fn check_paths(&self) -> Result<(), ManifestError> {
        for (table, state) in &self.tables {
            for file in &state.files {
                let bad = |reason: String| ManifestError::BadPath {
                    path: file.path.clone(),
                    reason,
                };
                let parsed = crate::layout::parse_data_file_path(&file.path).map_err(bad)?;
                if parsed.table.name() != table {
                    return Err(bad(format!("it is listed in table {table}")));
                }
                if parsed.hash != file.blake3 {
                    return Err(bad(format!("its recorded BLAKE3 is {}", file.blake3)));
                }
                let recorded: Vec<(String, Option<String>)> = file
                    .partition
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let mut found = parsed.partition.clone();
                found.sort();
                if found != recorded {
                    return Err(bad("its folders differ from its recorded partition".into()));
                }
            }
        }
        Ok(())
    }

    /// Every live data file with its table.
    pub fn all_files(&self) -> impl Iterator<Item = (&str, &DataFile)> {
        self.tables
            .iter()
            .flat_map(|(name, t)| t.files.iter().map(move |f| (name.as_str(), f)))
    }

    /// Serialises to the canonical bytes that are hashed and stored, ending with the
    /// `self_blake3` field that makes an edit of the stored bytes detectable.
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored {
            manifest: self,
            self_blake3: SELF_HASH_PLACEHOLDER,
        };
        let mut out = serde_json::to_vec_pretty(&stored).unwrap_or_default();
        out.push(b'\n');
        if let Some(at) = self_hash_offset(&out) {
            let hash = ContentHash::of(&out).to_hex();
            out[at..at + 64].copy_from_slice(hash.as_bytes());
        }
        out
    }
}

/// A manifest as stored: its fields, then the hash of the stored bytes taken with the hash's
/// own 64 digits written as zeros.
#[derive(Serialize)]
struct Stored<'a> {
    #[serde(flatten)]
    manifest: &'a Manifest,
    self_blake3: &'static str,
}

const SELF_HASH_PLACEHOLDER: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";
const SELF_HASH_KEY: &[u8] = b"\"self_blake3\": \"";

/// Where the 64 digits of the top-level `self_blake3` value start. The field is written last,
/// and a quote inside any JSON string is escaped, so the last unescaped `"self_blake3": "` is
/// the top-level field.
fn self_hash_offset(bytes: &[u8]) -> Option<usize> {
    let at = bytes
        .windows(SELF_HASH_KEY.len())
        .rposition(|w| w == SELF_HASH_KEY)?
        + SELF_HASH_KEY.len();
    (bytes.len() >= at + 64).then_some(at)
}

/// Checks stored manifest bytes against the `self_blake3` they carry.
fn check_self_hash(bytes: &[u8], recorded: ContentHash) -> Result<(), ManifestError> {
    let mismatch = |actual: Option<ContentHash>| ManifestError::SelfHashMismatch {
        recorded,
        actual: actual.map_or_else(|| "not computable".to_owned(), |h| h.to_hex()),
    };
    let at = self_hash_offset(bytes).ok_or_else(|| mismatch(None))?;
    if bytes[at..at + 64] != *recorded.to_hex().as_bytes() {
        return Err(mismatch(None));
    }
    let mut zeroed = bytes.to_vec();
    zeroed[at..at + 64].copy_from_slice(SELF_HASH_PLACEHOLDER.as_bytes());
    let actual = ContentHash::of(&zeroed);
    if actual == recorded {
        Ok(())
    } else {
        Err(mismatch(Some(actual)))
    }
}

/// Why manifest bytes cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON, or not the expected fields.
    #[error("manifest is not valid: {0}")]
    Invalid(#[from] serde_json::Error),
    /// Not a runlake manifest at all.
    #[error("not a runlake manifest (format is `{0}`)")]
    NotRunlake(String),
    /// Written by a newer, incompatible runlake.
    #[error(
        "the lake uses format version {found_major}.{found_minor}, but this runlake reads format \
         {supported} and older; upgrade runlake to read it"
    )]
    UnsupportedFormat {
        /// Major version found.
        found_major: u32,
        /// Minor version found.
        found_minor: u32,
        /// Largest major this code reads.
        supported: u32,
    },
    /// The version was expired by `gc`; only its tombstone is left.
    #[error("the version was expired by gc")]
    Expired,
    /// The bytes were changed after they were written.
    #[error(
        "the manifest was edited or corrupted after it was written: it records BLAKE3 \
         {recorded} of its own bytes, but they hash to {actual}"
    )]
    SelfHashMismatch {
        /// The hash the manifest records.
        recorded: ContentHash,
        /// What its bytes hash to.
        actual: String,
    },
    /// A version file whose content is another version's (a stray copy).
    #[error("the file holds version {found}, but its name is that of version {expected}")]
    Misplaced {
        /// The version the content names.
        found: u64,
        /// The version the file name stands for.
        expected: u64,
    },
    /// A valid version file that does not link to the version before it.
    #[error(
        "version {version} does not link to version {parent} (a stray or edited file at the \
         next version number; move it out of the versions folder if no runlake wrote it)"
    )]
    NotASuccessor {
        /// The version found.
        version: u64,
        /// The version it should link to.
        parent: u64,
    },
    /// The file of a version is absent while a later version of the same lake is present: a
    /// version file was lost (deleted, or left behind by a partial copy).
    #[error(
        "the file of version {version} is missing, but version {later} of the same lake \
         follows it: restore the file (from a copy or a sync destination of the lake); reading \
         an older version instead would hide the later ones"
    )]
    VersionMissing {
        /// The version whose file is absent.
        version: u64,
        /// The latest version present after it.
        later: u64,
    },
    /// A file path that is not one the format defines.
    #[error("the manifest lists `{path}`, which is not a data file path of the lake: {reason}")]
    BadPath {
        /// The listed path.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// A manifest of a format that records its own hash does not.
    #[error("the manifest has no `self_blake3` although its format ({0}) requires one")]
    MissingSelfHash(String),
    /// A file at a version's name larger than any manifest the lake writes.
    #[error(
        "the file is {size} bytes, more than a version file may be ({limit} at most): it is not \
         one, and is not read"
    )]
    TooLarge {
        /// Its size.
        size: u64,
        /// The largest version file read.
        limit: u64,
    },
}

/// What `gc` leaves in place of an expired version's manifest: enough to keep the hash chain
/// checkable and to stop a stale writer from re-creating the version number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Always `runlake`.
    pub format: String,
    /// Format version of the tombstone.
    pub format_version: FormatVersion,
    /// The expired version.
    pub version: u64,
    /// Always true; marks the file as a tombstone.
    pub expired: bool,
    /// When `gc` expired it.
    pub expired_at_ms: i64,
    /// When the version was committed.
    pub created_at_ms: i64,
    /// BLAKE3 of the original manifest bytes, so children's `parent.blake3` still verifies.
    pub original_blake3: ContentHash,
    /// The original commit id.
    pub commit_id: String,
}

impl Tombstone {
    /// Serialises to stored bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// A file in the versions folder: a live manifest or an expired version's tombstone.
#[derive(Debug, Clone, PartialEq)]
pub enum VersionFile {
    /// A readable version.
    Live(Box<Manifest>),
    /// A version expired by `gc`.
    Expired(Tombstone),
}

#[derive(Deserialize)]
struct Header {
    format: String,
    format_version: FormatVersion,
    #[serde(default)]
    expired: bool,
    #[serde(default)]
    self_blake3: Option<ContentHash>,
}

/// The first format that records `self_blake3` in every manifest.
const SELF_HASH_SINCE: FormatVersion = FormatVersion { major: 1, minor: 1 };

fn check_header(bytes: &[u8]) -> Result<Header, ManifestError> {
    let header: Header = serde_json::from_slice(bytes)?;
    if header.format != FORMAT_NAME {
        return Err(ManifestError::NotRunlake(header.format));
    }
    if header.format_version.major > FORMAT_MAJOR {
        return Err(ManifestError::UnsupportedFormat {
            found_major: header.format_version.major,
            found_minor: header.format_version.minor,
            supported: FORMAT_MAJOR,
        });
    }
    if !header.expired {
        let v = header.format_version;
        match header.self_blake3 {
            Some(recorded) => check_self_hash(bytes, recorded)?,
            None if (v.major, v.minor) >= (SELF_HASH_SINCE.major, SELF_HASH_SINCE.minor) => {
                return Err(ManifestError::MissingSelfHash(format!(
                    "{}.{}",
                    v.major, v.minor
                )));
            }
            None => {}
        }
    }
    Ok(header)
}

/// Parses a versions-folder file, telling live manifests from tombstones.
pub fn parse_version_file(bytes: &[u8]) -> Result<VersionFile, ManifestError> {
    if check_header(bytes)?.expired {
        Ok(VersionFile::Expired(serde_json::from_slice(bytes)?))
    } else {
        let manifest: Manifest = serde_json::from_slice(bytes)?;
        manifest.check_paths()?;
        Ok(VersionFile::Live(Box::new(manifest)))
    }
}

/// Parses manifest bytes, refusing a newer major format before looking at anything else.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let header = check_header(bytes)?;
    if header.expired {
        return Err(ManifestError::Expired);
    }
    let manifest: Manifest = serde_json::from_slice(bytes)?;
    manifest.check_paths()?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored bytes of an edited manifest with its self hash recomputed, as a newer writer
    /// would write them.
    fn restamp(mut v: serde_json::Value) -> Vec<u8> {
        v["self_blake3"] = SELF_HASH_PLACEHOLDER.into();
        let mut bytes = serde_json::to_vec_pretty(&v).expect("bytes");
        bytes.push(b'\n');
        let at = self_hash_offset(&bytes).expect("field");
        let hash = ContentHash::of(&bytes).to_hex();
        bytes[at..at + 64].copy_from_slice(hash.as_bytes());
        bytes
    }

    fn sample() -> Manifest {
        Manifest::initial("lake".into(), "c0".into(), 1, "runlake test".into())
    }

    #[test]
    fn round_trips_through_bytes() {
        let m = sample();
        let back = parse_manifest(&m.to_bytes()).expect("parse");
        assert_eq!(back, m);
        assert_eq!(back.tables.len(), 5);
        let evals = back.table(Table::Evals).expect("evals");
        assert_eq!(evals.partition_columns, vec!["phase"]);
        assert!(
            evals
                .schema
                .iter()
                .any(|c| c.name == "extra_metrics" && c.data_type == "map<utf8, float64>")
        );
    }

    #[test]
    fn the_delta_switch_is_stored_only_when_off() {
        let on = sample();
        assert!(!String::from_utf8_lossy(&on.to_bytes()).contains("delta_log"));
        let mut off = sample();
        off.delta_log = false;
        let bytes = off.to_bytes();
        assert!(String::from_utf8_lossy(&bytes).contains("\"delta_log\": false"));
        assert!(!parse_manifest(&bytes).expect("parse").delta_log);
        assert!(parse_manifest(&on.to_bytes()).expect("parse").delta_log);
    }

    #[test]
    fn newer_major_is_refused_with_a_clear_error() {
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_bytes()).expect("json");
        v["format_version"]["major"] = 2.into();
        v["some_future_field"] = "x".into();
        let err = parse_manifest(&serde_json::to_vec(&v).expect("bytes")).expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("format version 2."), "{msg}");
        assert!(msg.contains("upgrade runlake"), "{msg}");
    }

    #[test]
    fn tombstones_are_told_apart() {
        let t = Tombstone {
            format: FORMAT_NAME.into(),
            format_version: FormatVersion::CURRENT,
            version: 3,
            expired: true,
            expired_at_ms: 5,
            created_at_ms: 4,
            original_blake3: ContentHash::of(b"m"),
            commit_id: "c".into(),
        };
        assert_eq!(
            parse_version_file(&t.to_bytes()).expect("parse"),
            VersionFile::Expired(t.clone())
        );
        assert!(matches!(
            parse_manifest(&t.to_bytes()),
            Err(ManifestError::Expired)
        ));
        assert!(matches!(
            parse_version_file(&sample().to_bytes()),
            Ok(VersionFile::Live(_))
        ));
    }

    #[test]
    fn newer_minor_is_read() {
        let mut v: serde_json::Value = serde_json::from_slice(&sample().to_bytes()).expect("json");
        v["format_version"]["minor"] = 7.into();
        v["optional_addition"] = true.into();
        assert!(parse_manifest(&restamp(v)).is_ok());
    }

    #[test]
    fn an_edited_manifest_fails_its_self_hash() {
        let bytes = sample().to_bytes();
        assert!(parse_manifest(&bytes).is_ok());
        let text = String::from_utf8(bytes).expect("utf8");
        assert!(text.trim_end().ends_with('}'));
        assert!(text.contains("\"self_blake3\": \""));
        // An edit that keeps the JSON valid: a different writer name.
        let edited = text.replace("runlake test", "runlake tesT");
        let err = parse_manifest(edited.as_bytes()).expect_err("edited");
        assert!(
            matches!(err, ManifestError::SelfHashMismatch { .. }),
            "{err}"
        );
        // The field removed from a 1.1 manifest.
        let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
        v.as_object_mut().expect("object").remove("self_blake3");
        let err = parse_manifest(&serde_json::to_vec(&v).expect("bytes")).expect_err("no hash");
        assert!(matches!(err, ManifestError::MissingSelfHash(_)), "{err}");
        // A 1.0 manifest carries none and is still read.
        v["format_version"]["minor"] = 0.into();
        assert!(parse_manifest(&serde_json::to_vec(&v).expect("bytes")).is_ok());
    }

    #[test]
    fn a_value_that_mimics_the_field_cannot_move_it() {
        let mut m = sample();
        m.operation.description = "\"self_blake3\": \"0000\"".into();
        let bytes = m.to_bytes();
        assert_eq!(parse_manifest(&bytes).expect("parse"), m);
    }

    #[test]
    fn stat_values_keep_their_kind() {
        let s: ColumnStats =
            serde_json::from_str(r#"{"min": 3, "max": "b", "null_count": 0}"#).expect("stats");
        assert_eq!(s.min, Some(StatValue::Int(3)));
        assert_eq!(s.max, Some(StatValue::Str("b".into())));
    }
}
