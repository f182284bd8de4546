//! Content hashes and the file names derived from them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A BLAKE3 hash of a file's exact bytes, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// Hashes a complete byte slice.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// Wraps a finished BLAKE3 hasher.
    pub fn from_hasher(hasher: &blake3::Hasher) -> Self {
        Self(*hasher.finalize().as_bytes())
    }

    /// The hash as lowercase hex.
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// The data file name for content with this hash.
    pub fn parquet_file_name(&self) -> String {
        format!("{}.parquet", self.to_hex())
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.to_hex())
    }
}

/// Text that is not a 64-digit hex BLAKE3 hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid BLAKE3 hash `{0}`: expected 64 hex digits")]
pub struct InvalidHash(pub String);

impl FromStr for ContentHash {
    type Err = InvalidHash;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        blake3::Hash::from_hex(s)
            .map(|h| Self(*h.as_bytes()))
            .map_err(|_| InvalidHash(s.to_owned()))
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_matches_blake3() {
        let h = ContentHash::of(b"abc");
        assert_eq!(
            h.to_hex(),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
        assert_eq!(h.to_hex().parse::<ContentHash>(), Ok(h));
        assert!("abc".parse::<ContentHash>().is_err());
        let json = serde_json::to_string(&h).expect("serialize");
        assert_eq!(
            serde_json::from_str::<ContentHash>(&json).expect("parse"),
            h
        );
    }
}
