use std::process::ExitCode;
use std::sync::Arc;

use runlake_ingest::{ForcedKind, Options, Progress};
use runlake_lake::{Lake, StoreOptions};
use serde::Serialize;

use super::{CliError, CmdResult};
use crate::cli::{ConvertArgs, InputKindArg, OnError};
use crate::output::{print, print_json};
use crate::progress::ProgressLine;

#[derive(Serialize)]
struct Shown<'a> {
    lake: &'a str,
    #[serde(flatten)]
    summary: &'a runlake_ingest::Summary,
}

/// The forced kind, found by the name clap gives the flag's value, so the command line and
/// the library accept the same names.
fn forced(kind: Option<InputKindArg>) -> Option<ForcedKind> {
    let value = clap::ValueEnum::to_possible_value(&kind?)?;
    ForcedKind::from_name(value.get_name()).ok()
}

pub async fn run(args: ConvertArgs) -> CmdResult {
    for input in &args.inputs {
        if !input.exists() {
            return Err(CliError::Usage(format!(
                "{}: no such file or folder",
                input.display()
            )));
        }
    }
    let store = StoreOptions {
        endpoint: args.endpoint.clone(),
    };
    let lake = Lake::open_or_create_with(&args.lake, &store).await?;
    let line = Arc::new(ProgressLine::new(!args.quiet && !args.json));
    let shown = Arc::clone(&line);
    let options = Options {
        on_error: match args.on_error {
            OnError::Fail => runlake_ingest::OnError::Fail,
            OnError::Skip => runlake_ingest::OnError::Skip,
        },
        kind: forced(args.kind),
        replace: args.replace,
        post_training: runlake_wandb::BuildOptions {
            keep_personal_data: args.keep_personal_data,
            time: runlake_wandb::coerce::TimePolicy {
                naive_offset_minutes: args.naive_offset_minutes,
            },
            oe_eval_run: args.run.clone(),
            ..runlake_wandb::BuildOptions::default()
        },
        progress: Some(Arc::new(move |p: &Progress| {
            shown.update(&p.to_string(), false)
        })),
    };
    let result = runlake_ingest::convert(&lake, &args.inputs, &options).await;
    line.finish();
    let summary = match result {
        Ok(summary) => summary,
        Err(e @ runlake_ingest::IngestError::UnknownInput { .. }) => {
            return Err(CliError::Usage(format!("{e}\n  (use --kind to force one)")));
        }
        Err(e) => return Err(e.into()),
    };
    let shown = Shown {
        lake: &args.lake,
        summary: &summary,
    };
    if args.json {
        print_json(&shown)?;
    } else {
        print(&super::convert_summary::render(&args.lake, &summary))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_flag_names_a_kind_of_the_library() {
        for kind in <InputKindArg as clap::ValueEnum>::value_variants() {
            assert!(forced(Some(*kind)).is_some(), "{kind:?}");
        }
        assert_eq!(
            <InputKindArg as clap::ValueEnum>::value_variants().len(),
            ForcedKind::NAMED.len()
        );
    }
}
