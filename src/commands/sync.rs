//! `runlake sync SRC DST`: bring a lake from one place to another.

use std::process::ExitCode;
use std::sync::Arc;

use runlake_lake::{Lake, LakeError, StoreOptions};
use runlake_sync::{Progress, SyncOptions, SyncOutcome, SyncReport, sync};

use super::CmdResult;
use crate::cli::SyncArgs;
use crate::output::{human_bytes, print, print_json};
use crate::progress::ProgressLine;

pub async fn run(args: SyncArgs) -> CmdResult {
    let options = StoreOptions {
        endpoint: args.endpoint.clone(),
    };
    let src = Lake::open_with(&args.source, &options).await?;
    let dst = match Lake::unchecked(&args.destination, &options, !args.dry_run) {
        Ok(lake) => lake,
        // A dry run creates nothing: a missing folder plans like an empty lake.
        Err(LakeError::NotALake { .. }) if args.dry_run => Lake::from_store(
            Arc::new(object_store::memory::InMemory::new()),
            object_store::path::Path::default(),
            args.destination.clone(),
            true,
        ),
        Err(e) => return Err(e.into()),
    };
    let line = Arc::new(ProgressLine::new(!args.json));
    let shown = Arc::clone(&line);
    let opts = SyncOptions {
        rebase: args.rebase,
        force: args.force,
        dry_run: args.dry_run,
        progress: Some(Arc::new(move |p: Progress| {
            let percent = (p.bytes_done * 100)
                .checked_div(p.bytes_total)
                .unwrap_or(100);
            shown.update(
                &format!(
                    "sending {}/{} files, {} of {} ({percent}%)",
                    p.files_done,
                    p.files_total,
                    human_bytes(p.bytes_done),
                    human_bytes(p.bytes_total)
                ),
                p.files_done == p.files_total,
            );
        })),
        ..SyncOptions::default()
    };
    let result = sync(&src, &dst, &opts).await;
    line.finish();
    let report = result?;
    if args.json {
        print_json(&report)?;
    } else {
        print(&summary(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(r: &SyncReport) -> String {
    let mut text = String::new();
    let versions = match (r.versions_written.first(), r.versions_written.last()) {
        (Some(a), Some(b)) if a == b => format!("version {a}"),
        (Some(a), Some(b)) => format!("versions {a}..={b}"),
        _ => String::new(),
    };
    let what = match r.outcome {
        SyncOutcome::UpToDate => format!("already at version {}", r.source_version),
        SyncOutcome::DestinationAhead => format!(
            "already holds every change of source version {} (it is at version {})",
            r.source_version,
            r.destination_after.unwrap_or_default()
        ),
        SyncOutcome::Created => format!("new lake with {versions}"),
        SyncOutcome::FastForward => format!("copied {versions}"),
        SyncOutcome::Rebased => format!("source changes replayed as {versions}"),
        SyncOutcome::Forced => format!("{versions} now equals source version {}", r.source_version),
    };
    if r.dry_run {
        for f in &r.files {
            text.push_str(&format!(
                "would send {} ({})\n",
                f.path,
                human_bytes(f.bytes)
            ));
        }
        text.push_str(&format!(
            "dry run: {} -> {}: would write {}; {} files, {} to send; {} already there\n",
            r.source,
            r.destination,
            if versions.is_empty() {
                "nothing".to_owned()
            } else {
                versions
            },
            r.files_sent,
            human_bytes(r.bytes_sent),
            r.files_skipped
        ));
        return text;
    }
    text.push_str(&format!(
        "{} -> {}: {what}\nsent {} files ({}), skipped {} already there ({}), in {:.1}s\n",
        r.source,
        r.destination,
        r.files_sent,
        human_bytes(r.bytes_sent),
        r.files_skipped,
        human_bytes(r.bytes_skipped),
        r.elapsed_ms as f64 / 1000.0
    ));
    text
}
