//! The parallel half of a conversion: a file's chunks become parsed rows.
//!
//! Rows parse in parallel (rayon) chunk by chunk. By default the parsing of one chunk runs on
//! its own thread while the caller consumes the chunk before it, so the sequential half
//! (deduplication, Arrow building, the writer) never leaves a core idle; the reference path
//! parses and consumes in turn.

use std::path::Path;
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;

use crate::error::ConvertError;
use crate::kind::Kind;
use crate::model::{SlotCache, Source};
use crate::read::{self, Chunk, RowNumbers};
use crate::rows::{EvalResultsBatch, FullEvalBatch, PplBatch, RowError, SourceRow};

/// One chunk of a file, parsed.
pub struct Parsed {
    pub row_numbers: RowNumbers,
    pub bad_lines: Vec<(u64, String)>,
    /// Rows in the chunk (parsed or not).
    pub len: usize,
    /// Each row's parse, or why the chunk's columns cannot be read at all. Reported after
    /// `bad_lines`, which come first in the file.
    pub rows: Result<Vec<Result<SourceRow, RowError>>, ConvertError>,
}

/// Reads and parses `path`, handing each chunk to `consume` in file order.
pub fn each_chunk(
    path: &Path,
    kind: Kind,
    reference: bool,
    consume: &mut dyn FnMut(Parsed) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    let (rx, handle) = read::stream(path.to_owned(), !reference);
    let result = if reference {
        rx.into_iter()
            .try_for_each(|chunk| consume(parse_chunk(path, kind, chunk?, true)))
    } else {
        std::thread::scope(|s| {
            // One parsed chunk waits while the next one parses: memory holds at most two.
            let (tx, parsed) = sync_channel(1);
            s.spawn(move || {
                for chunk in rx {
                    let failed = chunk.is_err();
                    let next = chunk.map(|c| parse_chunk(path, kind, c, false));
                    // A closed channel means the consumer stopped at an error.
                    if tx.send(next).is_err() || failed {
                        return;
                    }
                }
            });
            parsed.into_iter().try_for_each(|p| consume(p?))
        })
    };
    // The reader thread ends once its channel closes or it has sent everything.
    let _ = handle.join();
    result
}

fn parse_chunk(path: &Path, kind: Kind, chunk: Chunk, reference: bool) -> Parsed {
    let col_err = |source| ConvertError::Column {
        path: path.to_owned(),
        source,
    };
    let batch = &chunk.batch;
    let n = batch.num_rows();
    let rows = match kind {
        Kind::HfTrain | Kind::HfMacroAvg => {
            let source = if kind == Kind::HfTrain {
                Source::HfTrain
            } else {
                Source::HfMacroAvg
            };
            EvalResultsBatch::new(batch, source, reference).map(|b| {
                (0..n)
                    .into_par_iter()
                    .with_min_len(1024)
                    .map_init(SlotCache::default, |slots, i| b.row(i, slots))
                    .collect()
            })
        }
        Kind::HfPpl => PplBatch::new(batch).map(|b| {
            (0..n)
                .into_par_iter()
                .with_min_len(1024)
                .map(|i| b.row(i))
                .collect()
        }),
        Kind::FullEval => FullEvalBatch::new(batch).map(|b| {
            (0..n)
                .into_par_iter()
                .with_min_len(8)
                .map(|i| b.row(i))
                .collect()
        }),
    };
    Parsed {
        row_numbers: chunk.row_numbers,
        bad_lines: chunk.bad_lines,
        len: n,
        rows: rows.map_err(col_err),
    }
}
