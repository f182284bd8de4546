use std::process::ExitCode;

use runlake_lake::gc::gc;

use super::{CmdResult, open};
use crate::cli::GcArgs;
use crate::output::{human_bytes, print, print_json};

pub async fn run(args: GcArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let report = gc(&lake, args.older_than, args.dry_run).await?;
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    let mut text = String::new();
    for (path, bytes) in &report.deleted_files {
        text.push_str(&format!(
            "{verb} {} ({})\n",
            lake.display_path(path),
            human_bytes(*bytes)
        ));
    }
    let total: u64 = report.deleted_files.iter().map(|(_, b)| b).sum();
    text.push_str(&format!(
        "{} {} files ({}), {} {} versions; kept {} unreferenced files younger than the grace period\n",
        verb,
        report.deleted_files.len(),
        human_bytes(total),
        if args.dry_run { "would expire" } else { "expired" },
        report.expired_versions.len(),
        report.kept_young_files
    ));
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
