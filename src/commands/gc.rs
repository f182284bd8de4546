use std::process::ExitCode;

use runlake_lake::gc::gc;

use super::{CmdResult, open};
use crate::cli::GcArgs;
use crate::output::{human_bytes, human_time, print, print_json};

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
    for (path, bytes) in &report.deleted_staged {
        text.push_str(&format!(
            "{verb} {} ({}, an upload an interrupted writer left)\n",
            lake.display_path(path),
            human_bytes(*bytes)
        ));
    }
    for path in &report.skipped_links {
        text.push_str(&format!(
            "left alone {} (a link: gc never deletes through one)\n",
            lake.display_path(path)
        ));
    }
    let total: u64 = report.deleted_files.iter().map(|(_, b)| b).sum();
    // Staged uploads are counted apart: they never were files of any version.
    let staged = match report.deleted_staged.len() {
        0 => String::new(),
        n => format!(
            " and {n} staged uploads ({})",
            human_bytes(report.deleted_staged.iter().map(|(_, b)| b).sum())
        ),
    };
    text.push_str(&format!(
        "{} {} files ({}){staged}, {} {} versions\n",
        verb,
        report.deleted_files.len(),
        human_bytes(total),
        if args.dry_run {
            "would expire"
        } else {
            "expired"
        },
        report.expired_versions.len(),
    ));
    let kept = report.kept_superseded_files + report.kept_young_files;
    if kept > 0 {
        let when = report
            .next_collectable_at_ms
            .map(|ms| format!("; the first becomes collectable at {}", human_time(ms)))
            .unwrap_or_default();
        text.push_str(&format!(
            "kept {kept} superseded or uncommitted files ({}) for the grace period{when}; plain \
             Parquet readers of the table folders still see them until then (`runlake files` \
             lists the live ones)\n",
            human_bytes(report.kept_superseded_bytes + report.kept_young_bytes),
        ));
    }
    if report.spared_for_new_versions > 0 {
        text.push_str(&format!(
            "spared {} files a version committed while gc ran uses\n",
            report.spared_for_new_versions
        ));
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
