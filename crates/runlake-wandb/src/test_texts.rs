//! Generated texts for tests that hold a fast path to a plain one.

use runlake_lake::testkit::Rng;

/// Up to `most` of `parts`, picked at random and joined.
pub(crate) fn joined(rng: &mut Rng, parts: &[&str], most: u64) -> String {
    (0..rng.below(most + 1))
        .map(|_| parts[rng.below(parts.len() as u64) as usize])
        .collect()
}

/// Stretches shorter than, as long as and longer than a scanned word, and every byte that JSON
/// or a debug quote escapes: pieces for texts that test an escaping fast path.
pub(crate) const ESCAPE_PARTS: [&str; 12] = [
    "a",
    "abcdefgh",
    "abcdefghijklmnopq",
    "\"",
    "\\",
    "\t",
    "\n",
    "\r",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    " ",
];
