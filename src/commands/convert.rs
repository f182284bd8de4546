use std::process::ExitCode;
use std::sync::Arc;

use runlake_lake::{Lake, StoreOptions};
use serde::Serialize;

use super::{CliError, CmdResult};
use crate::cli::{ConvertArgs, InputKindArg};
use crate::output::{print, print_json};
use crate::progress::ProgressLine;

/// Which converter takes an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    PostTraining,
}

#[derive(Serialize, Default)]
struct Summary {
    lake: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_training: Option<runlake_wandb::Summary>,
}

fn family_of(path: &std::path::Path, forced: Option<InputKindArg>) -> Result<Family, CliError> {
    match forced {
        Some(InputKindArg::Wandb | InputKindArg::OeEval) => return Ok(Family::PostTraining),
        Some(other) => {
            return Err(CliError::Usage(format!(
                "{}: --kind {other:?} is not supported by this build",
                path.display()
            )));
        }
        None => {}
    }
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "{}: no such file or folder",
            path.display()
        )));
    }
    runlake_wandb::read::detect(path)?;
    Ok(Family::PostTraining)
}

pub async fn run(args: ConvertArgs) -> CmdResult {
    let mut post = Vec::new();
    for input in &args.inputs {
        match family_of(input, args.kind)? {
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
        text.push_str(&match p.commit.version {
            Some(v) => format!("  committed version {v}\n"),
            None => "  nothing changed; no new version\n".to_owned(),
        });
    }
    text.push_str(&format!("lake: {}\n", summary.lake));
    text
}
