//! Where things live inside a lake, relative to its root.

use crate::hash::ContentHash;
use crate::partition::{decode_value, encode_value};
use crate::tables::Table;

/// Folder holding the lake's own bookkeeping.
pub const META_DIR: &str = "_runlake";
/// Folder of immutable version manifests.
pub const VERSIONS_DIR: &str = "_runlake/versions";
/// Advisory hint naming the latest version; never trusted without checking.
pub const LATEST_HINT: &str = "_runlake/_latest";

/// The manifest path of a version. Names count down from `u64::MAX` in 20 zero-padded digits,
/// so a lexicographic listing (S3, GCS, in-memory) returns the newest version first.
pub fn version_path(version: u64) -> String {
    format!("{VERSIONS_DIR}/{:020}.json", u64::MAX - version)
}

/// The version a manifest file name stands for, if it is one.
pub fn parse_version_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().map(|rev| u64::MAX - rev)
}

/// The path of a data file: `<table>/<partition dir>/<hash>.parquet`.
pub fn data_file_path(table: Table, partition_dir: &str, file_name: &str) -> String {
    if partition_dir.is_empty() {
        format!("{}/{file_name}", table.name())
    } else {
        format!("{}/{partition_dir}/{file_name}", table.name())
    }
}

/// A data file path taken apart: `<table>/<col>=<value>/.../<64 hex>.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFilePath {
    /// The table folder.
    pub table: Table,
    /// Decoded partition values, in the table's partition column order.
    pub partition: Vec<(String, Option<String>)>,
    /// The content hash the file is named by.
    pub hash: ContentHash,
}

/// Parses a lake-relative path as one of the data file paths the format defines, refusing
/// anything else: other folders (`_runlake/...`), `..`, absolute paths, empty segments,
/// partition folders that are not the table's columns in order or not canonically encoded,
/// and names that are not a lowercase hex BLAKE3 plus `.parquet`.
pub fn parse_data_file_path(rel: &str) -> Result<DataFilePath, String> {
    let mut segments: Vec<&str> = rel.split('/').collect();
    let name = segments.pop().unwrap_or_default();
    let Some((table, dirs)) = segments.split_first() else {
        return Err(format!("`{rel}` is not inside a table folder"));
    };
    let table: Table = table
        .parse()
        .map_err(|_| format!("`{rel}` is not inside a table folder"))?;
    let hash = parse_data_file_name(name)
        .ok_or_else(|| format!("`{rel}` is not named `<64 lowercase hex>.parquet`"))?;
    let columns = table.partition_columns();
    if dirs.len() != columns.len() {
        return Err(format!(
            "`{rel}` does not have the partition folders of table {table} ({})",
            columns.join(", ")
        ));
    }
    let mut partition = Vec::with_capacity(columns.len());
    for (dir, column) in dirs.iter().zip(columns) {
        let value = dir
            .strip_prefix(column)
            .and_then(|d| d.strip_prefix('='))
            .ok_or_else(|| format!("`{rel}`: folder `{dir}` is not `{column}=<value>`"))?;
        let decoded = decode_value(value).map_err(|e| format!("`{rel}`: {e}"))?;
        if encode_value(decoded.as_deref()) != value {
            return Err(format!(
                "`{rel}`: folder `{dir}` is not canonically encoded"
            ));
        }
        partition.push(((*column).to_owned(), decoded));
    }
    Ok(DataFilePath {
        table,
        partition,
        hash,
    })
}

/// The hash a data file is named by: exactly 64 lowercase hex digits, then `.parquet`.
pub fn parse_data_file_name(name: &str) -> Option<ContentHash> {
    let hex = name.strip_suffix(".parquet")?;
    let lowercase_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if hex.len() != 64 || !hex.bytes().all(lowercase_hex) {
        return None;
    }
    hex.parse().ok()
}

/// Whether a file name is what an interrupted local multipart upload of a data file leaves:
/// `<64 hex>.parquet#<n>`, staged next to its destination.
pub fn is_staged_upload_name(name: &str) -> bool {
    name.split_once('#').is_some_and(|(file, n)| {
        parse_data_file_name(file).is_some()
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    #[test]
    fn data_file_paths_are_exactly_the_formats() {
        let ok =
            parse_data_file_path(&format!("evals/phase=pretrain/{HASH}.parquet")).expect("valid");
        assert_eq!(ok.table, Table::Evals);
        assert_eq!(
            ok.partition,
            vec![("phase".into(), Some("pretrain".into()))]
        );
        assert!(parse_data_file_path(&format!("lineage/{HASH}.parquet")).is_ok());
        assert!(parse_data_file_path(&format!("evals/phase=a%2Fb/{HASH}.parquet")).is_ok());
        for bad in [
            format!("_runlake/versions/{HASH}.parquet"),
            "_runlake/versions/00000000000000000000.json".to_owned(),
            format!("../evals/phase=pretrain/{HASH}.parquet"),
            format!("/evals/phase=pretrain/{HASH}.parquet"),
            format!("evals/../phase=pretrain/{HASH}.parquet"),
            format!("evals/{HASH}.parquet"),
            format!("evals/phase=pretrain/x/{HASH}.parquet"),
            format!("evals/step=pretrain/{HASH}.parquet"),
            format!("evals/phase=a b/{HASH}.parquet"),
            format!("evals/phase=%61/{HASH}.parquet"),
            format!("lineage/phase=pretrain/{HASH}.parquet"),
            format!("lineage/{}.parquet", HASH.to_uppercase()),
            format!("lineage/{HASH}.parquet.tmp"),
            format!("lineage//{HASH}.parquet"),
            format!("lineage/{HASH}"),
            String::new(),
        ] {
            assert!(parse_data_file_path(&bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn staged_uploads_are_recognised() {
        assert!(is_staged_upload_name(&format!("{HASH}.parquet#1")));
        assert!(is_staged_upload_name(&format!("{HASH}.parquet#12")));
        assert!(!is_staged_upload_name(&format!("{HASH}.parquet")));
        assert!(!is_staged_upload_name(&format!("{HASH}.parquet#")));
        assert!(!is_staged_upload_name("notes.parquet#1"));
    }

    #[test]
    fn version_names_sort_newest_first_and_round_trip() {
        let names: Vec<_> = [0u64, 1, 9, 10, 12345]
            .iter()
            .map(|v| version_path(*v))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.reverse();
        assert_eq!(names, sorted);
        for v in [0u64, 1, 10, u64::MAX - 1] {
            let path = version_path(v);
            let name = path.rsplit('/').next().expect("file name");
            assert_eq!(parse_version_file_name(name), Some(v));
        }
        assert_eq!(parse_version_file_name("12.json"), None);
        assert_eq!(parse_version_file_name("0000000000000000000x.json"), None);
    }
}
