//! Hive-style partition folder names (`key=value`) that are safe for any value.
//!
//! Every byte outside `[A-Za-z0-9_-]` is percent-encoded (uppercase hex), so an encoded segment
//! never contains `/`, `.`, `:`, `=`, `%`-ambiguity or spaces, and `.`/`..` cannot appear as a
//! segment. Two values that percent-encoding alone cannot spell get reserved tokens that no
//! encoded value can collide with: the empty string is `%`, and null is
//! `__HIVE_DEFAULT_PARTITION__` (Hive's own spelling; a literal value starting with `__` has its
//! underscores encoded).

use std::fmt::Write as _;

/// Hive's spelling of a null partition value.
pub const NULL_SEGMENT: &str = "__HIVE_DEFAULT_PARTITION__";
const EMPTY_SEGMENT: &str = "%";

/// A partition value that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid partition value encoding `{segment}`: {reason}")]
pub struct PartitionDecodeError {
    /// The offending encoded text.
    pub segment: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Encodes one partition value into a folder-name-safe string.
pub fn encode_value(value: Option<&str>) -> String {
    let Some(value) = value else {
        return NULL_SEGMENT.to_owned();
    };
    if value.is_empty() {
        return EMPTY_SEGMENT.to_owned();
    }
    let bytes = value.as_bytes();
    let leading_underscores = bytes.starts_with(b"__");
    let mut out = String::with_capacity(value.len());
    for (i, &b) in bytes.iter().enumerate() {
        let reserved_prefix = leading_underscores && i < 2;
        if is_plain(b) && !reserved_prefix {
            out.push(b as char);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes what [`encode_value`] produced.
pub fn decode_value(segment: &str) -> Result<Option<String>, PartitionDecodeError> {
    let err = |reason| PartitionDecodeError {
        segment: segment.to_owned(),
        reason,
    };
    if segment == NULL_SEGMENT {
        return Ok(None);
    }
    if segment == EMPTY_SEGMENT {
        return Ok(Some(String::new()));
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .ok_or_else(|| err("truncated escape"))?;
                let hex = std::str::from_utf8(hex).map_err(|_| err("bad escape"))?;
                let b = u8::from_str_radix(hex, 16).map_err(|_| err("bad escape"))?;
                out.push(b);
                i += 3;
            }
            b if is_plain(b) => {
                out.push(b);
                i += 1;
            }
            _ => return Err(err("unescaped byte")),
        }
    }
    String::from_utf8(out)
        .map(Some)
        .map_err(|_| err("not UTF-8"))
}

/// The relative folder for a set of partition values, e.g. `phase=pretrain`.
pub fn partition_dir(values: &[(String, Option<String>)]) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_value(v.as_deref())))
        .collect::<Vec<_>>()
        .join("/")
}

/// Splits a partition folder (as produced by [`partition_dir`]) back into values.
pub fn parse_partition_dir(
    dir: &str,
) -> Result<Vec<(String, Option<String>)>, PartitionDecodeError> {
    if dir.is_empty() {
        return Ok(Vec::new());
    }
    dir.split('/')
        .map(|seg| {
            let (k, v) = seg.split_once('=').ok_or_else(|| PartitionDecodeError {
                segment: seg.to_owned(),
                reason: "missing `=`",
            })?;
            Ok((k.to_owned(), decode_value(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hazards_are_encoded() {
        assert_eq!(encode_value(Some("pretrain")), "pretrain");
        assert_eq!(encode_value(Some("..")), "%2E%2E");
        assert_eq!(encode_value(Some("a/b")), "a%2Fb");
        assert_eq!(encode_value(Some("")), "%");
        assert_eq!(encode_value(None), NULL_SEGMENT);
        assert_eq!(
            encode_value(Some(NULL_SEGMENT)),
            "%5F%5FHIVE_DEFAULT_PARTITION__"
        );
        assert_eq!(
            decode_value("%5F%5FHIVE_DEFAULT_PARTITION__"),
            Ok(Some(NULL_SEGMENT.to_owned()))
        );
    }

    #[test]
    fn bad_segments_are_refused() {
        assert!(decode_value("a%2").is_err());
        assert!(decode_value("a%zz").is_err());
        assert!(decode_value("a b").is_err());
        assert!(decode_value("%FF").is_err());
    }

    proptest! {
        #[test]
        fn any_value_round_trips_to_a_safe_segment(value in proptest::option::of(".*")) {
            let encoded = encode_value(value.as_deref());
            prop_assert!(!encoded.is_empty());
            prop_assert!(encoded != "." && encoded != "..");
            prop_assert!(encoded.bytes().all(|b| is_plain(b) || b == b'%'));
            prop_assert_eq!(decode_value(&encoded), Ok(value.clone()));
            let dir = partition_dir(&[("k".to_owned(), value.clone())]);
            prop_assert_eq!(dir.matches('/').count(), 0);
            prop_assert_eq!(parse_partition_dir(&dir), Ok(vec![("k".to_owned(), value)]));
        }

        #[test]
        fn hazard_heavy_values_round_trip(value in "[/.:=% _\\-a-zé😀]{0,12}") {
            let encoded = encode_value(Some(&value));
            prop_assert_eq!(decode_value(&encoded), Ok(Some(value)));
        }
    }
}
