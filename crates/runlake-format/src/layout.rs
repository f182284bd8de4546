//! Where things live inside a lake, relative to its root.

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

#[cfg(test)]
mod tests {
    use super::*;

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
