//! The CRC-32 of every write a data file received, so its page checksums are found without
//! reading the file back once it is closed.
//!
//! A checksum unit (a page, an index, the footer) is cut where the file's own metadata says,
//! which is known only at the end. The Parquet writer sends a page's body in one write and
//! buffers the small pieces around it (headers, indexes, footer) into writes of a few
//! kilobytes, so every cut lies at the edge of a large write or inside a small one. The log
//! keeps each write's CRC, and the bytes of the small ones: a unit's CRC combines the CRCs of
//! the writes it covers whole and hashes the kept bytes of those it covers in part. A unit the
//! log cannot answer for (a cut inside a write whose bytes were not kept) is read from the
//! file.

/// Writes up to this size keep their bytes.
const KEEP_WRITE: usize = 64 << 10;

/// Kept bytes across one file, past which no more are kept (a file of many tiny pages would
/// otherwise be held whole).
const KEEP_TOTAL: usize = 16 << 20;

#[derive(Debug, Clone)]
struct Piece {
    start: u64,
    len: u64,
    crc: crc32fast::Hasher,
    bytes: Option<Box<[u8]>>,
}

/// The writes of one file, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteLog {
    pieces: Vec<Piece>,
    kept: usize,
    written: u64,
}

impl WriteLog {
    /// Notes the next `bytes` written.
    pub(crate) fn record(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(bytes);
        let keep = bytes.len() <= KEEP_WRITE && self.kept + bytes.len() <= KEEP_TOTAL;
        if keep {
            self.kept += bytes.len();
        }
        self.pieces.push(Piece {
            start: self.written,
            len: bytes.len() as u64,
            crc,
            bytes: keep.then(|| bytes.into()),
        });
        self.written += bytes.len() as u64;
    }

    /// Bytes kept.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.kept
    }

    /// The CRC of each unit starting at `starts` (ascending, distinct, the first 0) and
    /// ending at the next start or at `end`: `None` for a unit that begins or ends inside a
    /// write whose bytes were not kept (to be read from the file), and `None` for all when
    /// the starts or `end` do not describe what was written.
    pub(crate) fn unit_crcs(&self, starts: &[u64], end: u64) -> Option<Vec<Option<u32>>> {
        if end != self.written || starts.first().is_some_and(|s| *s != 0) {
            return None;
        }
        let mut crcs = Vec::with_capacity(starts.len());
        let mut at = 0;
        for (i, &s) in starts.iter().enumerate() {
            let e = starts.get(i + 1).copied().unwrap_or(end);
            if e <= s {
                return None;
            }
            // The first piece the unit touches: pieces before it ended at or before `s`.
            while self.pieces.get(at)?.start + self.pieces.get(at)?.len <= s {
                at += 1;
            }
            crcs.push(self.unit_crc(at, s, e));
        }
        Some(crcs)
    }

    /// The CRC of bytes `s..e`, from piece `first` (which holds byte `s`) on.
    fn unit_crc(&self, first: usize, s: u64, e: u64) -> Option<u32> {
        let mut unit = crc32fast::Hasher::new();
        for p in self.pieces.get(first..)? {
            let (from, to) = (s.max(p.start), e.min(p.start + p.len));
            if from == p.start && to == p.start + p.len {
                unit.combine(&p.crc);
            } else {
                let range =
                    usize::try_from(from - p.start).ok()?..usize::try_from(to - p.start).ok()?;
                unit.update(p.bytes.as_ref()?.get(range)?);
            }
            if to == e {
                return Some(unit.finalize());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Rng;

    fn log_of(writes: &[Vec<u8>]) -> (WriteLog, Vec<u8>) {
        let mut log = WriteLog::default();
        let mut all = Vec::new();
        for w in writes {
            log.record(w);
            all.extend_from_slice(w);
        }
        (log, all)
    }

    fn answered(all: &[u8], starts: &[u64]) -> Vec<Option<u32>> {
        expected(all, starts).into_iter().map(Some).collect()
    }

    fn expected(all: &[u8], starts: &[u64]) -> Vec<u32> {
        starts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let e = starts.get(i + 1).map_or(all.len(), |e| *e as usize);
                crc32fast::hash(&all[s as usize..e])
            })
            .collect()
    }

    #[test]
    fn units_over_kept_and_whole_writes_match_the_bytes_hashed_directly() {
        let mut rng = Rng::new(7);
        for _ in 0..300 {
            // Small writes with a large one here and there, as the Parquet writer makes them.
            let writes: Vec<Vec<u8>> = (0..1 + rng.below(12))
                .map(|_| {
                    let len = if rng.below(4) == 0 {
                        KEEP_WRITE + 1 + rng.below(5_000) as usize
                    } else {
                        rng.below(3_000) as usize
                    };
                    (0..len).map(|_| rng.below(256) as u8).collect()
                })
                .collect();
            let (log, all) = log_of(&writes);
            // Cuts at write edges always, and at random points inside small writes.
            let mut starts = vec![0u64];
            let mut at = 0u64;
            for w in &writes {
                if w.len() <= KEEP_WRITE && !w.is_empty() && rng.below(2) == 0 {
                    starts.push(at + rng.below(w.len() as u64));
                }
                at += w.len() as u64;
                if rng.below(2) == 0 {
                    starts.push(at);
                }
            }
            let end = all.len() as u64;
            starts.retain(|s| *s < end);
            starts.sort_unstable();
            starts.dedup();
            if end == 0 {
                continue;
            }
            assert_eq!(log.unit_crcs(&starts, end), Some(answered(&all, &starts)));
        }
    }

    #[test]
    fn a_cut_inside_a_large_write_leaves_its_units_to_the_file_and_a_wrong_end_all() {
        let big = vec![5u8; KEEP_WRITE + 10];
        let (log, all) = log_of(&[vec![1, 2, 3], big, vec![7, 8]]);
        let end = all.len() as u64;
        assert_eq!(log.unit_crcs(&[0, 3], end), Some(answered(&all, &[0, 3])));
        // The units on either side of the cut inside the large write have no answer; the
        // first, over the small write, still has.
        let cut = [0, 3, 100];
        let crcs = log.unit_crcs(&cut, end).expect("answers");
        assert_eq!(crcs, vec![Some(expected(&all, &cut)[0]), None, None]);
        assert_eq!(log.unit_crcs(&[0, 3], end - 1), None);
        assert_eq!(log.unit_crcs(&[0, 3], end + 1), None);
    }

    #[test]
    fn past_the_kept_total_small_writes_are_only_hashed() {
        let mut log = WriteLog::default();
        let chunk = vec![9u8; KEEP_WRITE];
        let mut all = Vec::new();
        for _ in 0..(KEEP_TOTAL / KEEP_WRITE + 2) {
            log.record(&chunk);
            all.extend_from_slice(&chunk);
        }
        assert!(log.kept <= KEEP_TOTAL);
        let end = all.len() as u64;
        // Whole writes still combine; a cut inside one not kept has no answer.
        let edges: Vec<u64> = (0..all.len() as u64).step_by(KEEP_WRITE).collect();
        assert_eq!(log.unit_crcs(&edges, end), Some(answered(&all, &edges)));
        let inside = vec![0, end - 10];
        assert_eq!(log.unit_crcs(&inside, end), Some(vec![None, None]));
    }
}
