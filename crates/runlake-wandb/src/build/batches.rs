//! From built rows to one batch per table.

use arrow::record_batch::RecordBatch;
use runlake_format::Table;

use super::cells::{self, Cell, Row};
use super::{Built, Report, RunOutput};
use crate::error::{Result, WandbError};
use crate::stream::StreamPlan;

/// Batches for the four tables.
#[derive(Debug, Clone)]
pub struct Batches {
    /// `metadata`.
    pub metadata: RecordBatch,
    /// `posttrain_steps`.
    pub posttrain_steps: RecordBatch,
    /// `evals`.
    pub evals: RecordBatch,
    /// `lineage`.
    pub lineage: RecordBatch,
}

/// The four tables, in the order [`table_rows`] gives their rows.
const TABLES: [Table; 4] = [
    Table::Metadata,
    Table::PosttrainSteps,
    Table::Evals,
    Table::Lineage,
];

/// The rows of `runs`, per table in the order of [`TABLES`].
fn table_rows<'a>(runs: &[&'a RunOutput]) -> [Vec<&'a Row>; 4] {
    [
        runs.iter().filter_map(|r| r.metadata.as_ref()).collect(),
        runs.iter().flat_map(|r| r.steps.iter()).collect(),
        runs.iter().flat_map(|r| r.evals.iter()).collect(),
        runs.iter().flat_map(|r| r.lineage.iter()).collect(),
    ]
}

/// A same-name link row as `(child, earlier run)`.
fn link_pair(row: &Row) -> Option<(&str, &str)> {
    match (row.get("child_run_uid"), row.get("evidence_value")) {
        (Some(Cell::Str(c)), Some(Cell::Str(v))) => Some((c, v)),
        _ => None,
    }
}

impl Built {
    /// Batches holding the rows of the runs `keep` accepts, plus every same-name link whose
    /// child it accepts.
    pub fn batches(&self, keep: impl Fn(&str) -> bool) -> Result<Batches> {
        self.batches_with(&keep, &|child, _| keep(child))
    }

    /// Batches holding the rows of the runs `keep` accepts, plus the same-name links
    /// `keep_link(child, earlier run)` accepts.
    pub fn batches_with(
        &self,
        keep: &dyn Fn(&str) -> bool,
        keep_link: &dyn Fn(&str, &str) -> bool,
    ) -> Result<Batches> {
        let runs: Vec<&RunOutput> = self.runs.iter().filter(|r| keep(&r.run_uid)).collect();
        let mut rows = table_rows(&runs);
        rows[3].extend(self.kept_links(keep_link));
        let [metadata, posttrain_steps, evals, lineage] = rows;
        Ok(Batches {
            metadata: cells::to_batch(Table::Metadata, &metadata)?,
            posttrain_steps: cells::to_batch(Table::PosttrainSteps, &posttrain_steps)?,
            evals: cells::to_batch(Table::Evals, &evals)?,
            lineage: cells::to_batch(Table::Lineage, &lineage)?,
        })
    }

    /// Like [`Built::batches_with`], but consumes the rows while it converts them, a few runs
    /// at a time, so a large conversion never holds every run both as rows and as columns.
    /// Also returns the column-wise history plans of the runs `keep` accepts.
    pub(crate) fn into_batches(
        mut self,
        keep: &dyn Fn(&str) -> bool,
        keep_link: &dyn Fn(&str, &str) -> bool,
    ) -> Result<(Batches, Vec<StreamPlan>, Report)> {
        /// Runs converted together: enough for batches of useful size, few enough that their
        /// rows and columns are a small part of the whole.
        const RUNS_PER_PIECE: usize = 64;
        let mut runs = std::mem::take(&mut self.runs);
        runs.retain(|r| keep(&r.run_uid));
        let streams: Vec<StreamPlan> = runs.iter_mut().filter_map(|r| r.stream.take()).collect();
        // In run order the metadata and lineage rows arrive in their files' key order, so the
        // writer keeps them as they come instead of sorting a copy of the whole table.
        runs.sort_by(|a, b| a.run_uid.cmp(&b.run_uid));
        let mut pieces: [Vec<RecordBatch>; 4] = Default::default();
        let mut runs = runs.into_iter().peekable();
        while runs.peek().is_some() {
            let piece: Vec<RunOutput> = runs.by_ref().take(RUNS_PER_PIECE).collect();
            for ((_, batch), out) in piece_batches(&piece)?.into_iter().zip(&mut pieces) {
                if let Some(batch) = batch {
                    out.push(batch);
                }
            }
        }
        let links: Vec<&Row> = self.kept_links(keep_link).collect();
        if !links.is_empty() {
            pieces[3].push(cells::to_batch(Table::Lineage, &links)?);
        }
        let [metadata, posttrain_steps, evals, lineage] = pieces;
        let batches = Batches {
            metadata: concat(Table::Metadata, metadata)?,
            posttrain_steps: concat(Table::PosttrainSteps, posttrain_steps)?,
            evals: concat(Table::Evals, evals)?,
            lineage: concat(Table::Lineage, lineage)?,
        };
        Ok((batches, streams, self.report))
    }

    /// The same-name link rows `keep_link(child, earlier run)` accepts.
    fn kept_links<'a>(
        &'a self,
        keep_link: &'a dyn Fn(&str, &str) -> bool,
    ) -> impl Iterator<Item = &'a Row> {
        self.same_name
            .iter()
            .filter(|r| link_pair(r).is_some_and(|(c, v)| keep_link(c, v)))
    }

    /// Same-name links as `(child, earlier run)`.
    pub fn same_name_links(&self) -> Vec<(String, String)> {
        self.same_name
            .iter()
            .filter_map(link_pair)
            .map(|(c, v)| (c.to_owned(), v.to_owned()))
            .collect()
    }
}

/// Per table, in the order of [`TABLES`], one batch of the rows of `runs` (none without rows).
pub(crate) fn piece_batches(runs: &[RunOutput]) -> Result<[(Table, Option<RecordBatch>); 4]> {
    let runs: Vec<&RunOutput> = runs.iter().collect();
    let mut out: [(Table, Option<RecordBatch>); 4] = TABLES.map(|t| (t, None));
    for ((table, rows), slot) in TABLES.into_iter().zip(table_rows(&runs)).zip(&mut out) {
        if !rows.is_empty() {
            slot.1 = Some(cells::to_batch(table, &rows)?);
        }
    }
    Ok(out)
}

/// One batch of `table` from the pieces.
fn concat(table: Table, pieces: Vec<RecordBatch>) -> Result<RecordBatch> {
    match pieces.as_slice() {
        [] => cells::to_batch::<Row>(table, &[]),
        [one] => Ok(one.clone()),
        _ => arrow::compute::concat_batches(&table.schema(), &pieces).map_err(|source| {
            WandbError::Arrow {
                table: table.name(),
                source,
            }
        }),
    }
}
