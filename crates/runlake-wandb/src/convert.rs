//! `runlake convert` for post-training inputs: read, build, and commit in one transaction.
//!
//! A run whose rows hash the same as the lake's copy is left alone; a run whose rows changed
//! has all of its rows deleted and rewritten in the same transaction, so readers see either
//! the old or the new export, never a mix. oe-eval rows added for a run by an earlier
//! conversion survive a newer WandB export of that run.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use runlake_format::Table;
use runlake_lake::{CommitOutcome, Lake};

use crate::build::{BuildOptions, Report, build};
use crate::error::{Result, WandbError};
use crate::lake_rows;
use crate::model::Inputs;
use crate::read;

/// Progress of a conversion, for a caller that shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Progress {
    /// An input is being read.
    Reading {
        /// The input.
        path: PathBuf,
    },
    /// Inputs read.
    Read {
        /// Runs read.
        runs: usize,
        /// History rows read.
        history_rows: usize,
        /// oe-eval folders read.
        oe_eval_folders: usize,
    },
    /// Rows built; committing.
    Committing {
        /// Runs whose rows are written.
        runs_written: usize,
    },
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Options of [`convert_paths`].
#[derive(Clone, Default)]
pub struct ConvertOptions {
    /// Building options (personal data, time policy, oe-eval run).
    pub build: BuildOptions,
    /// Called as the conversion proceeds.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ConvertOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvertOptions")
            .field("build", &self.build)
            .field("progress", &self.progress.is_some())
            .finish()
    }
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
    /// Rows written per table.
    pub rows_written: std::collections::BTreeMap<String, usize>,
    /// The commit.
    pub commit: CommitOutcome,
    /// What the conversion noticed.
    pub report: Report,
}

/// Converts post-training inputs (files or folders, kinds detected) into the lake.
pub async fn convert_paths(
    lake: &Lake,
    inputs: &[PathBuf],
    opts: &ConvertOptions,
) -> Result<Summary> {
    let progress = |p: Progress| {
        if let Some(f) = &opts.progress {
            f(&p);
        }
    };
    let mut read = Inputs::default();
    for path in inputs {
        progress(Progress::Reading { path: path.clone() });
        read::read_path(path, &mut read)?;
    }
    progress(Progress::Read {
        runs: read.runs.len(),
        history_rows: read.history.len(),
        oe_eval_folders: read.oe_eval.len(),
    });

    let manifest = lake.latest().await?;
    let meta = lake.read_table(&manifest, Table::Metadata).await?;
    let known_with_hash = lake_rows::known_runs(&meta);
    let known: Vec<_> = known_with_hash.iter().map(|(k, _)| k.clone()).collect();
    let built = build(&read, &known, &opts.build)?;

    let mut summary = Summary {
        files_read: read.files.clone(),
        runs: built.runs.iter().filter(|r| r.full).count(),
        ..Summary::default()
    };
    let mut write: HashSet<String> = HashSet::new();
    let mut replace: Vec<String> = Vec::new();
    for run in &built.runs {
        let stored = known_with_hash
            .iter()
            .find(|(k, _)| k.run_uid == run.run_uid);
        if !run.full {
            summary.runs_extended.push(run.run_uid.clone());
            write.insert(run.run_uid.clone());
            continue;
        }
        match stored {
            None => {
                summary.runs_new.push(run.run_uid.clone());
                write.insert(run.run_uid.clone());
            }
            Some((_, Some(h))) if *h == run.content_hash => {
                summary.runs_unchanged.push(run.run_uid.clone());
            }
            Some(_) => {
                summary.runs_replaced.push(run.run_uid.clone());
                replace.push(run.run_uid.clone());
                write.insert(run.run_uid.clone());
            }
        }
    }
    // Same-name links can belong to a run that did not change (an old run's new rerun); write
    // those the lake lacks.
    let links = built.same_name_links();
    let stored_links: HashSet<(String, String)> = if links.is_empty() {
        HashSet::new()
    } else {
        let lineage = lake.read_table(&manifest, Table::Lineage).await?;
        crate::chain::lineage_rows(&lineage)
            .into_iter()
            .filter(|r| r.evidence_source == "same_name")
            .map(|r| (r.child_run_uid, r.evidence_value))
            .collect()
    };
    let batches = built.batches_with(&|uid| write.contains(uid), &|child, earlier| {
        write.contains(child) || !stored_links.contains(&(child.to_owned(), earlier.to_owned()))
    })?;
    progress(Progress::Committing {
        runs_written: write.len(),
    });

    let mut tx = lake.transaction(
        "convert",
        &format!("post-training conversion of {} input(s)", inputs.len()),
    );
    if !replace.is_empty() {
        // oe-eval rows from earlier conversions are not in a WandB export; keep them.
        let kept = kept_oe_eval_rows(lake, &manifest, &replace, &batches.evals).await?;
        for table in [
            Table::Metadata,
            Table::PosttrainSteps,
            Table::Evals,
            Table::Lineage,
        ] {
            tx.delete_runs(table, replace.iter().cloned());
        }
        if let Some(kept) = kept {
            tx.upsert(Table::Evals, kept)?;
        }
    }
    // Unchanged runs are filtered out above; their same-name links are identical re-imports.
    let mut rows_written = std::collections::BTreeMap::new();
    for (table, batch) in [
        (Table::Metadata, batches.metadata),
        (Table::PosttrainSteps, batches.posttrain_steps),
        (Table::Evals, batches.evals),
        (Table::Lineage, batches.lineage),
    ] {
        rows_written.insert(table.name().to_owned(), batch.num_rows());
        if batch.num_rows() > 0 {
            tx.upsert(table, batch)?;
        }
    }
    summary.rows_written = rows_written;
    summary.commit = tx.commit().await?;
    summary.report = built.report;
    Ok(summary)
}

async fn kept_oe_eval_rows(
    lake: &Lake,
    manifest: &runlake_format::Manifest,
    runs: &[String],
    new_evals: &RecordBatch,
) -> Result<Option<RecordBatch>> {
    let mut new_keys = HashSet::new();
    for i in 0..new_evals.num_rows() {
        new_keys.insert((
            lake_rows::str_at(new_evals, "run_uid", i),
            lake_rows::str_at(new_evals, "task", i),
            lake_rows::str_at(new_evals, "source", i),
        ));
    }
    let mut kept = Vec::new();
    for b in lake.read_table(manifest, Table::Evals).await? {
        let mask: BooleanArray = (0..b.num_rows())
            .map(|i| {
                let run = lake_rows::str_at(&b, "run_uid", i);
                let source = lake_rows::str_at(&b, "source", i);
                let keep = run.as_ref().is_some_and(|r| runs.contains(r))
                    && source.as_deref().is_some_and(|s| s.starts_with("oe_eval"))
                    && !new_keys.contains(&(run, lake_rows::str_at(&b, "task", i), source));
                Some(keep)
            })
            .collect();
        let part = filter_record_batch(&b, &mask).map_err(|source| WandbError::Arrow {
            table: "evals",
            source,
        })?;
        if part.num_rows() > 0 {
            kept.push(part);
        }
    }
    if kept.is_empty() {
        return Ok(None);
    }
    let schema = kept[0].schema();
    arrow::compute::concat_batches(&schema, &kept)
        .map(Some)
        .map_err(|source| WandbError::Arrow {
            table: "evals",
            source,
        })
}
