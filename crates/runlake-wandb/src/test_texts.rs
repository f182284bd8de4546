//! Generated texts for tests that hold a fast path to a plain one.

use runlake_lake::testkit::Rng;

/// Up to `most` of `parts`, picked at random and joined.
pub(crate) fn joined(rng: &mut Rng, parts: &[&str], most: u64) -> String {
    (0..rng.below(most + 1))
        .map(|_| parts[rng.below(parts.len() as u64) as usize])
        .collect()
}
