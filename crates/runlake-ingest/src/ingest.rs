//! The conversion itself: plan, read, stage everything in one transaction, commit once.

use std::path::PathBuf;

use runlake_lake::Lake;
use runlake_wandb::Gathered;

use crate::detect::{Plan, plan};
use crate::error::IngestError;
use crate::options::{Family, OnError, Options, Progress};
use crate::summary::Summary;

/// Converts `inputs` (files or folders of any supported kind) into `lake` as one version.
///
/// Either every input's rows are committed together, or nothing is and the error says why.
/// Converting the same inputs again commits nothing (`commit.version` is `None`).
pub async fn convert(
    lake: &Lake,
    inputs: &[PathBuf],
    opts: &Options,
) -> Result<Summary, IngestError> {
    let owned = inputs.to_vec();
    let forced = opts.kind;
    let plan = blocking(move || plan(&owned, forced)).await??;
    let mut summary = Summary {
        inputs: plan.inputs.clone(),
        ..Summary::default()
    };
    let Plan {
        pretraining,
        post_training,
        ..
    } = plan;
    let manifest = lake.latest().await?;
    // Post-training inputs are small: reading them first fails fast before the long
    // pretraining part.
    let gathered = if post_training.is_empty() {
        None
    } else {
        let opts = opts.clone();
        Some(blocking(move || read_post_training(&post_training, &opts)).await??)
    };

    let mut tx = lake.transaction(
        "convert",
        &format!("convert {} input(s)", summary.inputs.len()),
    );
    if !pretraining.is_empty() {
        let known = runlake_datadecide::known_checkpoints_at(lake, &manifest).await?;
        let dd_opts = runlake_datadecide::ConvertOptions {
            on_error: match opts.on_error {
                OnError::Fail => runlake_datadecide::OnError::Fail,
                OnError::Skip => runlake_datadecide::OnError::Skip,
            },
            kind: None,
            ..runlake_datadecide::ConvertOptions::default()
        };
        let progress = opts.progress.clone();
        let (back, converted) = blocking(move || {
            let report = |p: &runlake_datadecide::Progress| {
                if let Some(f) = &progress {
                    f(&Progress::Reading {
                        family: Family::Pretraining,
                        done: p.files_done,
                        total: p.files_total,
                        rows_read: p.rows_read,
                        rows_total: p.rows_total,
                    });
                }
            };
            let converted =
                runlake_datadecide::convert_into(&mut tx, &pretraining, dd_opts, known, &report);
            (tx, converted)
        })
        .await?;
        tx = back;
        summary.pretraining = Some(converted?);
    }
    if let Some(gathered) = gathered {
        opts.report(&Progress::Staging);
        let post = runlake_wandb::ConvertOptions {
            build: opts.post_training.clone(),
            on_error: match opts.on_error {
                OnError::Fail => runlake_wandb::OnError::Fail,
                OnError::Skip => runlake_wandb::OnError::Skip,
            },
            replace: opts.replace,
        };
        let view = runlake_wandb::LakeView::read(lake, &manifest).await?;
        let options = post.clone();
        let (back, planned) = blocking(move || {
            let planned = runlake_wandb::plan(gathered, &view, &options, &mut tx);
            (tx, planned)
        })
        .await?;
        tx = back;
        let planned = planned?;
        let stored = planned.stored(lake, &manifest).await?;
        let (back, staged) = blocking(move || {
            let staged = planned.apply(stored, &mut tx, &post);
            (tx, staged)
        })
        .await?;
        tx = back;
        summary.post_training = Some(staged?);
    }
    opts.report(&Progress::Committing);
    let outcome = tx.commit().await?;
    fill(&mut summary, outcome);
    Ok(summary)
}

/// Reads the post-training inputs in order, reporting each. Blocking.
fn read_post_training(
    inputs: &[(PathBuf, runlake_wandb::read::InputKind)],
    opts: &Options,
) -> Result<Gathered, IngestError> {
    let on_error = match opts.on_error {
        OnError::Fail => runlake_wandb::OnError::Fail,
        OnError::Skip => runlake_wandb::OnError::Skip,
    };
    let mut gathered = Gathered::default();
    let progress = |done: usize, g: &Gathered| {
        opts.report(&Progress::Reading {
            family: Family::PostTraining,
            done,
            total: inputs.len(),
            rows_read: (g.inputs.runs.len() + g.inputs.history.len()) as u64,
            rows_total: None,
        });
    };
    for (done, (path, kind)) in inputs.iter().enumerate() {
        progress(done, &gathered);
        gathered.read(path, kind, on_error)?;
    }
    progress(inputs.len(), &gathered);
    Ok(gathered)
}

/// Totals and rejections of both families in the shared shape; each family's details point at
/// the one commit.
fn fill(summary: &mut Summary, outcome: runlake_lake::CommitOutcome) {
    if let Some(pre) = &mut summary.pretraining {
        pre.commit = Some(runlake_datadecide::CommitSummary::from(&outcome));
    }
    if let Some(post) = &mut summary.post_training {
        post.commit = outcome.clone();
    }
    let pre = summary.pretraining.clone();
    let post = summary.post_training.clone();
    if let Some(pre) = pre {
        for (table, counts) in &pre.tables {
            summary.add_rows(table, counts.written);
        }
        for r in &pre.rejections {
            summary.reject(
                Family::Pretraining,
                r.at.clone(),
                r.field.clone(),
                r.message.clone(),
            );
        }
        // The details keep a bounded list; the total stays exact.
        summary.rejected_total += pre.rejected_total - pre.rejections.len() as u64;
    }
    if let Some(post) = post {
        for (table, rows) in &post.rows_written {
            summary.add_rows(table, *rows as u64);
        }
        for r in &post.rejections {
            summary.reject(
                Family::PostTraining,
                r.at.clone(),
                r.field.clone(),
                r.message.clone(),
            );
        }
    }
    summary.commit = outcome;
}

/// Runs blocking work (file reads, rayon parsing) off the runtime's worker threads.
async fn blocking<T, F>(work: F) -> Result<T, IngestError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => Err(IngestError::Interrupted(err.to_string())),
    }
}
