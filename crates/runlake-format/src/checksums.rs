//! Checksums of a data file's pieces, so a reader that fetches only some pages can still check
//! every byte it decodes.
//!
//! A data file is cut into consecutive *units* covering it from byte 0 to its end: each page
//! (dictionary and data pages), each column's column index and offset index, the Parquet footer
//! and its last 8 bytes, and whatever lies between. A Parquet reader fetches whole pages and
//! whole index entries, so every unit it decodes lies inside one fetched range and is checked;
//! units only partly fetched are not decoded. The manifest stores the units as
//! `page_crc32`: base64 of, per unit in file order, its length as a LEB128 varint and its CRC-32
//! (IEEE) as 4 little-endian bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The checked units of one data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitChecksums {
    /// Start offset of each unit, ascending; unit `i` ends where `i + 1` starts (the last at
    /// `end`).
    starts: Vec<u64>,
    crcs: Vec<u32>,
    end: u64,
}

/// A checked range whose bytes do not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bytes {start}..{end} do not match their recorded checksum")]
pub struct ChecksumMismatch {
    /// First byte of the unit.
    pub start: u64,
    /// One past its last byte.
    pub end: u64,
}

impl UnitChecksums {
    /// Computes the checksums of `bytes` cut at `bounds` (any order, duplicates allowed; offsets
    /// outside the file are ignored).
    pub fn compute(bytes: &[u8], bounds: impl IntoIterator<Item = u64>) -> Self {
        let end = bytes.len() as u64;
        let starts = Self::starts(bounds, end);
        let crcs = starts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let e = starts.get(i + 1).copied().unwrap_or(end);
                crc32fast::hash(&bytes[s as usize..e as usize])
            })
            .collect();
        Self { starts, crcs, end }
    }

    /// The start offsets of the units a file of `end` bytes cut at `bounds` has: 0 and every
    /// bound inside the file, sorted and distinct.
    pub fn starts(bounds: impl IntoIterator<Item = u64>, end: u64) -> Vec<u64> {
        let mut starts: Vec<u64> = bounds.into_iter().filter(|b| *b < end).collect();
        starts.push(0);
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// Units from their sorted, distinct start offsets (the first 0) and CRCs, for a file of
    /// `end` bytes; for writers that compute the CRCs while streaming.
    pub fn from_parts(starts: Vec<u64>, crcs: Vec<u32>, end: u64) -> Self {
        Self { starts, crcs, end }
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The manifest's text form.
    pub fn encode(&self) -> String {
        let mut out = Vec::with_capacity(self.starts.len() * 7);
        for (i, &s) in self.starts.iter().enumerate() {
            let e = self.starts.get(i + 1).copied().unwrap_or(self.end);
            let mut n = e - s;
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
            out.extend_from_slice(&self.crcs[i].to_le_bytes());
        }
        STANDARD.encode(out)
    }

    /// Parses the manifest's text form of a file of `file_len` bytes.
    pub fn decode(text: &str, file_len: u64) -> Result<Self, String> {
        let raw = STANDARD
            .decode(text)
            .map_err(|e| format!("page checksums are not base64: {e}"))?;
        let mut starts = Vec::new();
        let mut crcs = Vec::new();
        let mut at = 0u64;
        let mut i = 0;
        while i < raw.len() {
            let mut n = 0u64;
            let mut shift = 0;
            loop {
                let byte = *raw.get(i).ok_or("page checksums end inside a length")?;
                i += 1;
                if shift > 63 {
                    return Err("page checksums hold an oversized length".into());
                }
                n |= u64::from(byte & 0x7f) << shift;
                shift += 7;
                if byte & 0x80 == 0 {
                    break;
                }
            }
            let crc = raw
                .get(i..i + 4)
                .ok_or("page checksums end inside a checksum")?;
            i += 4;
            starts.push(at);
            crcs.push(u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]));
            at = at
                .checked_add(n)
                .ok_or("page checksums overflow the file size")?;
        }
        if at != file_len {
            return Err(format!(
                "page checksums cover {at} bytes, but the file has {file_len}"
            ));
        }
        Ok(Self {
            starts,
            crcs,
            end: file_len,
        })
    }

    /// Checks every unit lying wholly inside the fetched range that starts at `offset`.
    /// Returns how many units were checked.
    pub fn check(&self, offset: u64, bytes: &[u8]) -> Result<usize, ChecksumMismatch> {
        let stop = offset + bytes.len() as u64;
        let mut i = self.starts.partition_point(|&s| s < offset);
        let mut checked = 0;
        while i < self.starts.len() {
            let s = self.starts[i];
            let e = self.starts.get(i + 1).copied().unwrap_or(self.end);
            if e > stop {
                break;
            }
            let slice = &bytes[(s - offset) as usize..(e - offset) as usize];
            if crc32fast::hash(slice) != self.crcs[i] {
                return Err(ChecksumMismatch { start: s, end: e });
            }
            checked += 1;
            i += 1;
        }
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn whole_units_in_a_range_are_checked_and_a_flip_is_caught() {
        let bytes: Vec<u8> = (0..200u32).map(|i| (i * 31 % 251) as u8).collect();
        let sums = UnitChecksums::compute(&bytes, [4, 50, 120, 120, 190, 999]);
        assert_eq!(sums.len(), 5);
        let back = UnitChecksums::decode(&sums.encode(), 200).expect("decode");
        assert_eq!(back, sums);
        // 50..120 and 120..190 lie inside 40..195; 4..50 and 190..200 do not.
        assert_eq!(back.check(40, &bytes[40..195]), Ok(2));
        assert_eq!(back.check(0, &bytes), Ok(5));
        let mut bad = bytes.clone();
        bad[130] ^= 1;
        assert_eq!(
            back.check(40, &bad[40..195]),
            Err(ChecksumMismatch {
                start: 120,
                end: 190
            })
        );
        // A flip in a unit the range does not wholly hold is not decoded, so not checked.
        assert_eq!(back.check(125, &bad[125..150]), Ok(0));
        assert!(UnitChecksums::decode(&sums.encode(), 201).is_err());
        assert!(UnitChecksums::decode("!!", 200).is_err());
    }

    proptest! {
        #[test]
        fn any_cut_round_trips(len in 1usize..3000, cuts in proptest::collection::vec(0u64..4000, 0..40)) {
            let bytes = vec![7u8; len];
            let sums = UnitChecksums::compute(&bytes, cuts);
            prop_assert_eq!(UnitChecksums::decode(&sums.encode(), len as u64), Ok(sums.clone()));
            prop_assert_eq!(sums.check(0, &bytes), Ok(sums.len()));
        }

        #[test]
        fn decoding_garbage_never_panics(text in "[A-Za-z0-9+/=]{0,64}", len in 0u64..1000) {
            let _ = UnitChecksums::decode(&text, len);
        }
    }
}
