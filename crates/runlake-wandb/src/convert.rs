//! `runlake convert` for post-training inputs: read, build, and stage rows in a transaction.
//!
//! A run whose rows hash the same as the lake's copy is left alone. A run whose rows changed
//! has its rows replaced table by table, and only in the tables the inputs supply rows for:
//! an export without history leaves the run's stored steps alone. Replacing rows with fewer
//! (a shrink) is refused unless [`ConvertOptions::replace`] allows it. oe-eval rows added for a
//! run by an earlier conversion survive a newer WandB export of that run.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use arrow::array::RecordBatch;
use runlake_format::{Manifest, Table};
use runlake_lake::{CommitOutcome, Lake, Transaction};

use crate::build::{BuildOptions, Report, build_with};
use crate::error::{Result, WandbError};
use crate::gather::{Gathered, OnError, Rejection, gather};
use crate::stage::NewRuns;
use crate::stored::{Shrink, Stored, rows_per_run, stored_rows};
use crate::stream::{StreamPlan, StreamedFile};
use crate::view::{LakeView, stored_links};

/// The four tables a post-training conversion writes.
const TABLES: [Table; 4] = [
    Table::Metadata,
    Table::PosttrainSteps,
    Table::Evals,
    Table::Lineage,
];

/// Options of a post-training conversion.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// Building options (personal data, time policy, oe-eval run).
    pub build: BuildOptions,
    /// Stop at an input that cannot be read, or record it and convert the rest.
    pub on_error: OnError,
    /// Allow a re-import to leave a run with fewer rows in a table than the lake holds.
    pub replace: bool,
}

/// What a conversion did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Files read.
    pub files_read: Vec<PathBuf>,
    /// Runs in the inputs.
    pub runs: usize,
    /// Runs not yet in the lake.
    pub runs_new: Vec<String>,
    /// Runs whose rows changed and were replaced.
    pub runs_replaced: Vec<String>,
    /// Runs whose rows are already in the lake unchanged.
    pub runs_unchanged: Vec<String>,
    /// Lake runs that only received rows (oe-eval results, history) from these inputs.
    pub runs_extended: Vec<String>,
    /// Per table, replaced runs whose stored rows stay because the inputs supply none.
    pub rows_kept: BTreeMap<String, Vec<String>>,
    /// Tables of replaced runs left with fewer rows (allowed by `replace`).
    pub shrinks: Vec<Shrink>,
    /// Rows written per table.
    pub rows_written: BTreeMap<String, usize>,
    /// Inputs left out under [`OnError::Skip`].
    pub rejections: Vec<Rejection>,
    /// The commit.
    pub commit: CommitOutcome,
    /// What the conversion noticed.
    pub report: Report,
}

/// Converts post-training inputs (files or folders, kinds detected) into the lake as one
/// version.
pub async fn convert_paths(
    lake: &Lake,
    inputs: &[PathBuf],
    opts: &ConvertOptions,
) -> Result<Summary> {
    let gathered = gather(inputs, opts.on_error)?;
    let manifest = lake.latest().await?;
    let mut tx = lake.transaction(
        "convert",
        &format!("post-training conversion of {} input(s)", inputs.len()),
    );
    let mut summary = stage(lake, &manifest, &mut tx, gathered, opts).await?;
    summary.commit = tx.commit().await?;
    Ok(summary)
}

/// Builds the rows of `gathered` against the lake at `manifest` and adds them to `tx`
/// without committing it, so other rows can join the same version.
///
/// The steps are public for a caller that runs the CPU-bound ones off an async runtime:
/// [`LakeView::read`], [`plan`], [`Planned::stored`], [`Planned::apply`].
pub async fn stage(
    lake: &Lake,
    manifest: &Manifest,
    tx: &mut Transaction,
    gathered: Gathered,
    opts: &ConvertOptions,
) -> Result<Summary> {
    let view = LakeView::read(lake, manifest).await?;
    let planned = plan(gathered, &view, opts, tx)?;
    let stored = planned.stored(lake, manifest).await?;
    planned.apply(stored, tx, opts)
}

/// Rows built and sorted into new, replaced, unchanged and extended runs; see [`plan`].
#[derive(Debug)]
pub struct Planned {
    summary: Summary,
    /// Runs whose stored rows are replaced.
    replace: Vec<String>,
    /// Runs whose rows are written (new, replaced or extended); narrowed to the new ones.
    new_runs: HashSet<String>,
    /// Same-name links of runs not written, written unless the lake holds them.
    unchanged_links: HashSet<(String, String)>,
    tables: [(Table, RecordBatch); 4],
    /// Step rows staged straight from the streamed history files.
    streams: Vec<StreamPlan>,
    streamed_files: Vec<StreamedFile>,
}

/// Builds the rows of `gathered` and decides what each run needs. CPU work, blocking when
/// `tx` writes a full buffer: the rows of runs new to the lake go to `tx` as they are built;
/// the rest wait for [`Planned::apply`], which decides against the lake's rows.
pub fn plan(
    gathered: Gathered,
    view: &LakeView,
    opts: &ConvertOptions,
    tx: &mut Transaction,
) -> Result<Planned> {
    let Gathered {
        inputs: mut read,
        mut rejections,
    } = gathered;
    let known: Vec<_> = view.known.iter().map(|(k, _)| k.clone()).collect();
    let files_read = std::mem::take(&mut read.files);
    // An oe-eval folder no run claims is one bad input: left out when inputs may be skipped.
    let skip = opts.on_error == OnError::Skip;
    let mut staged = NewRuns::default();
    let mut built = build_with(
        read,
        &known,
        &opts.build,
        skip,
        Some(&mut |run| staged.push(run, tx)),
    )?;
    staged.flush(tx)?;
    rejections.append(&mut built.unmatched_oe_eval);
    let mut summary = Summary {
        files_read,
        runs: built.runs.iter().filter(|r| r.full).count() + staged.uids.len(),
        rejections,
        rows_written: staged.rows_written,
        ..Summary::default()
    };
    let stored_hash: HashMap<&str, &Option<String>> = view
        .known
        .iter()
        .map(|(k, h)| (k.run_uid.as_str(), h))
        .collect();
    let mut write: HashSet<String> = staged.uids.iter().map(|(_, u)| u.clone()).collect();
    // New runs in input order, whether staged early or held for oe-eval results.
    let mut new_in_order = staged.uids;
    let mut replace: Vec<String> = Vec::new();
    for run in &built.runs {
        let stored = stored_hash.get(run.run_uid.as_str());
        if !run.full {
            summary.runs_extended.push(run.run_uid.clone());
            write.insert(run.run_uid.clone());
            continue;
        }
        match stored {
            None => {
                new_in_order.push((run.position, run.run_uid.clone()));
                write.insert(run.run_uid.clone());
            }
            Some(Some(h)) if *h == run.content_hash => {
                summary.runs_unchanged.push(run.run_uid.clone());
            }
            Some(_) => {
                summary.runs_replaced.push(run.run_uid.clone());
                replace.push(run.run_uid.clone());
                write.insert(run.run_uid.clone());
            }
        }
    }
    new_in_order.sort_by_key(|(position, _)| *position);
    summary.runs_new = new_in_order.into_iter().map(|(_, uid)| uid).collect();
    // Same-name links can belong to a run that did not change (an old run's new rerun); those
    // are written only where the lake lacks them, which `stored` finds out. Unchanged runs'
    // other rows are left out: identical re-imports.
    let unchanged_links: HashSet<(String, String)> = built
        .same_name_links()
        .into_iter()
        .filter(|(child, _)| !write.contains(child))
        .collect();
    let streamed_files = std::mem::take(&mut built.streamed_files);
    let (batches, mut streams, report) =
        built.into_batches(&|uid| write.contains(uid), &|_, _| true)?;
    streams.append(&mut staged.streams);
    summary.report = report;
    Ok(Planned {
        summary,
        replace,
        new_runs: write,
        unchanged_links,
        streams,
        streamed_files,
        tables: [
            (Table::Metadata, batches.metadata),
            (Table::PosttrainSteps, batches.posttrain_steps),
            (Table::Evals, batches.evals),
            (Table::Lineage, batches.lineage),
        ],
    })
}

impl Planned {
    /// Reads what the lake holds for the runs this conversion replaces (nothing when it
    /// replaces none).
    pub async fn stored(&self, lake: &Lake, manifest: &Manifest) -> Result<Stored> {
        let links = stored_links(lake, manifest, &self.unchanged_links).await?;
        if self.replace.is_empty() {
            return Ok(Stored {
                links,
                ..Stored::default()
            });
        }
        let runs: HashSet<String> = self.replace.iter().cloned().collect();
        let new_evals = &self.tables[2].1;
        let supplied = rows_per_run(Table::Evals, new_evals);
        let evals_replaced: HashSet<String> = self
            .replace
            .iter()
            .filter(|r| supplied.contains_key(*r))
            .cloned()
            .collect();
        // A run's metadata is one row, never a shrink.
        let stored = stored_rows(
            lake,
            manifest,
            &TABLES[1..],
            &runs,
            &evals_replaced,
            new_evals,
        )
        .await?;
        Ok(Stored { links, ..stored })
    }

    /// Adds the rows to `tx`: a replaced run's rows go only in the tables the inputs supply
    /// rows of it for, and a shrink is refused unless `opts.replace`. Blocking when `tx`
    /// writes a full buffer.
    pub fn apply(
        self,
        stored: Stored,
        tx: &mut Transaction,
        opts: &ConvertOptions,
    ) -> Result<Summary> {
        let Planned {
            mut summary,
            replace,
            mut new_runs,
            unchanged_links: _,
            mut tables,
            streams,
            streamed_files,
        } = self;
        tables[3].1 = crate::stage::without_links(&tables[3].1, &stored.links)?;
        let brand_new: HashSet<&String> = summary.runs_new.iter().collect();
        new_runs.retain(|r| brand_new.contains(r));
        let mut supplied: HashMap<Table, HashMap<String, usize>> = tables
            .iter()
            .map(|(t, b)| (*t, rows_per_run(*t, b)))
            .collect();
        let steps = supplied.entry(Table::PosttrainSteps).or_default();
        for s in &streams {
            *steps.entry(s.run_uid.clone()).or_default() += s.rows as usize;
        }
        let supplies = |t: Table, run: &str| {
            supplied
                .get(&t)
                .and_then(|runs| runs.get(run))
                .copied()
                .unwrap_or(0)
        };
        let kept = stored
            .kept_evals
            .as_ref()
            .map(|b| rows_per_run(Table::Evals, b))
            .unwrap_or_default();
        for run in &replace {
            for table in TABLES {
                let new_rows = supplies(table, run);
                if new_rows == 0 {
                    // The inputs say nothing about this table for the run: its rows stay.
                    if stored.count(table, run) > 0 {
                        summary
                            .rows_kept
                            .entry(table.name().to_owned())
                            .or_default()
                            .push(run.clone());
                    }
                    continue;
                }
                let kept_here = match table {
                    Table::Evals => kept.get(run).copied().unwrap_or(0),
                    _ => 0,
                };
                let after = new_rows + kept_here;
                let before = stored.count(table, run);
                if after < before {
                    summary.shrinks.push(Shrink {
                        run_uid: run.clone(),
                        table: table.name().to_owned(),
                        stored_rows: before,
                        new_rows: after,
                    });
                }
                tx.delete_runs(table, [run.clone()]);
            }
        }
        if !summary.shrinks.is_empty() && !opts.replace {
            return Err(WandbError::Shrink {
                shrinks: summary.shrinks,
            });
        }
        if let Some(kept) = stored.kept_evals {
            tx.upsert(Table::Evals, kept)?;
        }
        for (table, batch) in tables {
            *summary
                .rows_written
                .entry(table.name().to_owned())
                .or_default() += batch.num_rows();
            crate::stage::add(tx, table, batch, &new_runs)?;
        }
        if !streams.is_empty() {
            let by_run_id: HashMap<&str, usize> = streams
                .iter()
                .enumerate()
                .map(|(i, s)| (s.run_id.as_str(), i))
                .collect();
            let rows = crate::stream::steps::stage(streamed_files, &streams, &by_run_id, tx)?;
            *summary
                .rows_written
                .entry(Table::PosttrainSteps.name().to_owned())
                .or_default() += rows as usize;
        }
        Ok(summary)
    }
}
