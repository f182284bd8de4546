use std::process::ExitCode;

use runlake_lake::delta::catch_up;

use super::{CmdResult, open};
use crate::cli::DeltaArgs;
use crate::output::{human_bytes, print, print_json};

pub async fn run(args: DeltaArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let report = catch_up(&lake).await?;
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = match report.version {
        None => format!(
            "{}: the lake was created with --no-delta; it keeps no Delta log\n",
            lake.location()
        ),
        Some(v) => format!(
            "{}: every table's Delta log is at version {v} ({} commits and {} checkpoints \
             written, {})\n",
            lake.location(),
            report.commits_written,
            report.checkpoints_written,
            human_bytes(report.bytes_written)
        ),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
