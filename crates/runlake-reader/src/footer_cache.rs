//! Parsed Parquet footers (with page indexes) of the files a reader has opened.
//!
//! Data files are named by the hash of their content and never rewritten, so a footer read
//! once stays true for as long as the file exists: a path is a complete cache key, and no
//! entry is ever stale. The cache is bounded by the footers' in-memory size; the oldest
//! entries leave first.

use std::collections::VecDeque;
use std::sync::Mutex;

use foldhash::{HashMap, HashMapExt};
use parquet::arrow::arrow_reader::ArrowReaderMetadata;

#[derive(Debug)]
pub(crate) struct FooterCache {
    budget: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    entries: HashMap<String, ArrowReaderMetadata>,
    /// Insertion order with each entry's size, for eviction.
    order: VecDeque<(String, usize)>,
    bytes: usize,
}

impl FooterCache {
    /// A cache holding at most `budget` bytes of parsed footers (0 disables it).
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            budget,
            state: Mutex::new(State {
                entries: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
            }),
        }
    }

    pub(crate) fn get(&self, path: &str) -> Option<ArrowReaderMetadata> {
        if self.budget == 0 {
            return None;
        }
        // A poisoned lock only means another query panicked mid-insert; the map is intact.
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.entries.get(path).cloned()
    }

    pub(crate) fn insert(&self, path: &str, meta: &ArrowReaderMetadata) {
        let size = meta.metadata().memory_size();
        if size > self.budget {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.entries.contains_key(path) {
            return;
        }
        while state.bytes + size > self.budget {
            let Some((old, old_size)) = state.order.pop_front() else {
                break;
            };
            state.entries.remove(&old);
            state.bytes -= old_size;
        }
        state.entries.insert(path.to_owned(), meta.clone());
        state.order.push_back((path.to_owned(), size));
        state.bytes += size;
    }

    /// Footers held and their size in bytes.
    pub(crate) fn usage(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.entries.len(), state.bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use bytes::Bytes;
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ArrowReaderOptions;

    use super::*;

    fn footer(rows: i64) -> ArrowReaderMetadata {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(Int64Array::from_iter_values(0..rows))],
        )
        .expect("batch");
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, schema, None).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        ArrowReaderMetadata::load(&Bytes::from(buf), ArrowReaderOptions::new()).expect("footer")
    }

    #[test]
    fn keeps_within_its_budget_dropping_the_oldest() {
        let meta = footer(10);
        let size = meta.metadata().memory_size();
        let cache = FooterCache::new(size * 2);
        cache.insert("a", &meta);
        cache.insert("b", &meta);
        assert_eq!(cache.usage(), (2, size * 2));
        cache.insert("c", &meta);
        assert_eq!(cache.usage(), (2, size * 2));
        assert!(cache.get("a").is_none(), "the oldest left");
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
        // Inserting a held path again neither duplicates nor evicts.
        cache.insert("c", &meta);
        assert_eq!(cache.usage(), (2, size * 2));
        assert!(cache.get("b").is_some());
    }

    #[test]
    fn a_zero_budget_holds_nothing() {
        let cache = FooterCache::new(0);
        cache.insert("a", &footer(3));
        assert_eq!(cache.usage(), (0, 0));
        assert!(cache.get("a").is_none());
    }
}
