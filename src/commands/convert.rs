use std::process::ExitCode;
use std::sync::Arc;

use runlake_lake::{Lake, StoreOptions};
use serde::Serialize;

use super::{CliError, CmdResult};
use crate::cli::{ConvertArgs, InputKindArg, OnError};
use crate::output::{print, print_json};
use crate::progress::ProgressLine;

/// Which converter takes an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Pretraining,
    PostTraining,
}

#[derive(Serialize, Default)]
struct Summary {
    lake: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pretraining: Option<runlake_datadecide::ConvertSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_training: Option<runlake_wandb::Summary>,
}

fn dd_kind(forced: Option<InputKindArg>) -> Option<runlake_datadecide::Kind> {
    use runlake_datadecide::Kind;
    match forced? {
        InputKindArg::DdEvalResults => Some(Kind::HfTrain),
        InputKindArg::DdMacroAvg => Some(Kind::HfMacroAvg),
        InputKindArg::DdPpl => Some(Kind::HfPpl),
        InputKindArg::DatadecFullEval => Some(Kind::FullEval),
        InputKindArg::Wandb | InputKindArg::OeEval => None,
    }
}

fn family_of(path: &std::path::Path, forced: Option<InputKindArg>) -> Result<Family, CliError> {
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "{}: no such file or folder",
            path.display()
        )));
    }
    match forced {
        Some(InputKindArg::Wandb | InputKindArg::OeEval) => return Ok(Family::PostTraining),
        Some(_) => return Ok(Family::Pretraining),
        None => {}
    }
    let pretraining = runlake_datadecide::detect_path(path);
    if pretraining.is_ok() {
        return Ok(Family::Pretraining);
    }
    match runlake_wandb::read::detect(path) {
        Ok(_) => Ok(Family::PostTraining),
        Err(post) => Err(CliError::Usage(format!(
            "{}: not a known export\n  as a DataDecide export: {}\n  as a WandB or oe-eval \
             export: {post}\n  (use --kind to force one)",
            path.display(),
            pretraining.err().unwrap_or_default()
        ))),
    }
}

pub async fn run(args: ConvertArgs) -> CmdResult {
    let mut pre = Vec::new();
    let mut post = Vec::new();
    for input in &args.inputs {
        match family_of(input, args.kind)? {
            Family::Pretraining => pre.push(input.clone()),
            Family::PostTraining => post.push(input.clone()),
        }
    }
    let options = StoreOptions {
        endpoint: args.endpoint.clone(),
    };
    let lake = Lake::open_or_create_with(&args.lake, &options).await?;
    let line = Arc::new(ProgressLine::new(!args.quiet && !args.json));
    let mut summary = Summary {
        lake: args.lake.clone(),
        ..Summary::default()
    };
    if !pre.is_empty() {
        let shown = Arc::clone(&line);
        let opts = runlake_datadecide::ConvertOptions {
            on_error: match args.on_error {
                OnError::Fail => runlake_datadecide::OnError::Fail,
                OnError::Skip => runlake_datadecide::OnError::Skip,
            },
            kind: dd_kind(args.kind),
            ..runlake_datadecide::ConvertOptions::default()
        };
        let progress = move |p: &runlake_datadecide::Progress| {
            let total = p.rows_total.map(|t| format!(" of {t}")).unwrap_or_default();
            shown.update(
                &format!(
                    "DataDecide: file {}/{}, {} rows read{total}",
                    p.files_done.min(p.files_total) + 1,
                    p.files_total,
                    p.rows_read
                ),
                false,
            );
        };
        summary.pretraining =
            Some(runlake_datadecide::convert_files(&lake, &pre, opts, &progress).await?);
    }
    if !post.is_empty() {
        let shown = Arc::clone(&line);
        let opts = runlake_wandb::ConvertOptions {
            build: runlake_wandb::BuildOptions {
                keep_personal_data: args.keep_personal_data,
                time: runlake_wandb::coerce::TimePolicy {
                    naive_offset_minutes: args.naive_offset_minutes,
                },
                oe_eval_run: args.run.clone(),
            },
            progress: Some(Arc::new(move |p: &runlake_wandb::Progress| {
                let text = match p {
                    runlake_wandb::Progress::Reading { path } => {
                        format!("reading {}", path.display())
                    }
                    runlake_wandb::Progress::Read {
                        runs,
                        history_rows,
                        oe_eval_folders,
                    } => format!(
                        "read {runs} runs, {history_rows} history rows, {oe_eval_folders} oe-eval folders"
                    ),
                    runlake_wandb::Progress::Committing { runs_written } => {
                        format!("committing {runs_written} runs")
                    }
                };
                shown.update(&text, false);
            })),
        };
        summary.post_training = Some(runlake_wandb::convert_paths(&lake, &post, &opts).await?);
    }
    line.finish();
    if args.json {
        print_json(&summary)?;
    } else {
        print(&render(&summary))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn render(summary: &Summary) -> String {
    let mut text = String::new();
    if let Some(p) = &summary.pretraining {
        text.push_str(&render_pretraining(p));
    }
    if let Some(p) = &summary.post_training {
        text.push_str(&format!(
            "post-training: {} runs read ({} new, {} replaced, {} unchanged)\n",
            p.runs,
            p.runs_new.len(),
            p.runs_replaced.len(),
            p.runs_unchanged.len()
        ));
        for (table, rows) in &p.rows_written {
            text.push_str(&format!("  {table:<16} {rows:>10} rows written\n"));
        }
        for warning in p.report.warnings() {
            text.push_str(&format!("  warning: {warning}\n"));
        }
        text.push_str(&match p.commit.version {
            Some(v) => format!("  committed version {v}\n"),
            None => "  nothing changed; no new version\n".to_owned(),
        });
    }
    text.push_str(&format!("lake: {}\n", summary.lake));
    text
}

fn render_pretraining(p: &runlake_datadecide::ConvertSummary) -> String {
    let mut text = format!(
        "DataDecide: {} files, {} rows read, {} rejected, {} schedule disagreements\n",
        p.files.len(),
        p.rows_read,
        p.rejected_total,
        p.schedule_disagreements_total,
    );
    for (table, counts) in &p.tables {
        let counts = serde_json::to_value(counts).unwrap_or_default();
        text.push_str(&format!("  {table:<16} {counts}\n"));
    }
    for r in p.rejections.iter().take(10) {
        let r = serde_json::to_value(r).unwrap_or_default();
        text.push_str(&format!("  rejected: {r}\n"));
    }
    text.push_str(&match p.commit.as_ref().and_then(|c| c.version) {
        Some(v) => format!("  committed version {v}\n"),
        None => "  nothing changed; no new version\n".to_owned(),
    });
    text
}
