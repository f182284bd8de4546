//! Each run's content hash: equal hashes mean equal rows, so a re-import of unchanged rows
//! writes nothing.

use runlake_format::ContentHash;

use super::RunOutput;
use super::cells::Cell;

/// Text hashed as it is written, never held whole. It passes through a buffer because the
/// hasher is fastest on many kilobytes at a time, and formatting writes a few bytes at a time.
struct HashText {
    hasher: blake3::Hasher,
    buffer: String,
}

impl HashText {
    const BUFFER: usize = 64 << 10;

    fn new() -> Self {
        Self {
            hasher: blake3::Hasher::new(),
            buffer: String::with_capacity(Self::BUFFER),
        }
    }

    fn finish(mut self) -> ContentHash {
        self.hasher.update(self.buffer.as_bytes());
        ContentHash::from_hasher(&self.hasher)
    }
}

impl std::fmt::Write for HashText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.buffer.len() + s.len() > Self::BUFFER {
            self.hasher.update(self.buffer.as_bytes());
            self.buffer.clear();
        }
        if s.len() > Self::BUFFER {
            self.hasher.update(s.as_bytes());
        } else {
            self.buffer.push_str(s);
        }
        Ok(())
    }
}

/// Hashes the run's rows as their debug text, in a format stored hashes depend on.
pub(super) fn finish_hash(run: &mut RunOutput) {
    use std::fmt::Write as _;
    let mut text = HashText::new();
    // Writing into a hasher cannot fail.
    let _ = write!(
        text,
        "{:?}{:?}{:?}{:?}",
        run.metadata, run.steps, run.evals, run.lineage
    );
    // Streamed steps are not held: their values enter through the digest of what was read,
    // with where each key goes.
    if let Some(s) = &run.stream {
        let _ = write!(
            text,
            "stream {} {} {} {:?}",
            s.training_type.as_str(),
            s.rows,
            s.digest,
            s.targets
        );
    }
    let hash = text.finish().to_hex();
    for row in run
        .metadata
        .iter_mut()
        .chain(&mut run.steps)
        .chain(&mut run.evals)
        .chain(&mut run.lineage)
    {
        row.shrink();
    }
    if let Some(meta) = &mut run.metadata
        && let Some(Cell::Str(extra)) = meta.get_mut("extra_json")
        && extra.ends_with('}')
    {
        extra.pop();
        let sep = if extra.ends_with('{') { "" } else { "," };
        extra.push_str(&format!("{sep}\"content_hash\":\"{hash}\"}}"));
    }
    run.content_hash = hash;
}
