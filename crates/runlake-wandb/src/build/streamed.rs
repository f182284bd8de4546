//! Which runs' history is streamed, and the row-wise rows of those that cannot be.

use std::collections::{BTreeMap, HashMap, HashSet};

use runlake_format::tables::TrainingType;

use super::steps::typed_column;
use crate::error::Result;
use crate::model::{HistoryRow, Inputs};
use crate::redact::Redactor;
use crate::stream::{StreamPlan, StreamedFile, StreamedRun, Target};

/// History rows in reading order: a row-wise row by its index, a streamed file's rows before
/// the row-wise row read after that file.
pub(super) type Order = (usize, u8, usize, usize);

/// Streamed runs split into those staged column-wise (by run id) and the history rows of the
/// others, read row-wise after all.
pub(super) struct Split<'a> {
    pub streamed: HashMap<&'a str, &'a StreamedRun>,
    pub rows: Vec<(Order, HistoryRow)>,
    /// Rows of runs nothing claims, by run id.
    pub unclaimed: BTreeMap<String, usize>,
}

/// Decides for every streamed run. `claimed` holds the run ids of the runs read; `known` those
/// of the lake's runs.
pub(super) fn split<'a>(
    history: &[HistoryRow],
    streamed_runs: &'a [StreamedRun],
    streamed: &[StreamedFile],
    claimed: &HashSet<&str>,
    known: &HashSet<String>,
    row_wise: bool,
) -> Result<Split<'a>> {
    let row_wise_ids: HashSet<&str> = history.iter().map(|h| h.run_id.as_str()).collect();
    let mut out = Split {
        streamed: HashMap::new(),
        rows: Vec::new(),
        unclaimed: BTreeMap::new(),
    };
    let mut read_again: HashSet<&str> = HashSet::new();
    for run in streamed_runs {
        let id = run.run_id.as_str();
        let mixed = row_wise_ids.contains(id);
        if claimed.contains(id) && run.increasing && !mixed && !row_wise {
            out.streamed.insert(id, run);
        } else if claimed.contains(id) || known.contains(id) || mixed {
            read_again.insert(id);
        } else {
            out.unclaimed.insert(run.run_id.clone(), run.rows as usize);
        }
    }
    if read_again.is_empty() {
        return Ok(out);
    }
    let mut files: Vec<usize> = streamed_runs
        .iter()
        .filter(|r| read_again.contains(r.run_id.as_str()))
        .flat_map(|r| r.files.iter().copied())
        .collect();
    files.sort_unstable();
    files.dedup();
    for f in files {
        let file = &streamed[f];
        let mut one = Inputs::default();
        crate::read::read_history_rows(&file.path, &mut one)?;
        for (i, row) in one.history.into_iter().enumerate() {
            if read_again.contains(row.run_id.as_str()) {
                out.rows.push(((file.position, 0, f, i), row));
            }
        }
    }
    Ok(out)
}

/// Where each key a streamed run logged goes.
pub(super) fn plan(
    run: &StreamedRun,
    run_uid: &str,
    training_type: TrainingType,
    redactor: &Redactor,
) -> StreamPlan {
    let targets = run
        .keys
        .iter()
        .map(|k| {
            let target = match typed_column(k, training_type) {
                Some(col) => Target::Typed(col),
                None => Target::Extra(redactor.text(k).into_owned()),
            };
            (k.clone(), target)
        })
        .collect();
    StreamPlan {
        run_id: run.run_id.clone(),
        run_uid: run_uid.to_owned(),
        training_type,
        rows: run.rows,
        files: run.files.clone(),
        targets,
        digest: run.digest(),
    }
}
