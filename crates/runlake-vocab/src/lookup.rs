//! Spelling -> entry indexes, built once from the tables.

use std::collections::HashMap;

/// Maps every spelling of every entry to the entry's index. Two entries sharing a spelling is
/// a bug in the tables; the first one wins here and the crate's tests reject such a table.
pub(crate) fn index<'a, T>(
    entries: &'a [T],
    spellings: impl Fn(&'a T) -> Vec<&'a str>,
) -> HashMap<&'a str, usize> {
    let mut map = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        for s in spellings(entry) {
            map.entry(s).or_insert(i);
        }
    }
    map
}
