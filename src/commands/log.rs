use std::process::ExitCode;

use runlake_format::VersionFile;
use serde::Serialize;

use super::{CmdResult, open};
use crate::cli::LogArgs;
use crate::output::{human_bytes, human_time, print, print_json};

#[derive(Serialize)]
struct Entry {
    version: u64,
    expired: bool,
    created_at_ms: i64,
    operation: String,
    description: String,
    writer: String,
    rows_added: u64,
    rows_removed: u64,
    files_added: usize,
    files_removed: usize,
    bytes_added: u64,
}

pub async fn run(args: LogArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let chain = lake.log().chain().await?;
    let mut entries = Vec::new();
    for stored in chain.versions.iter().rev() {
        let v = stored.version;
        entries.push(match &stored.file {
            VersionFile::Live(m) => Entry {
                version: v,
                expired: false,
                created_at_ms: m.created_at_ms,
                operation: m.operation.kind.clone(),
                description: m.operation.description.clone(),
                writer: m.writer.clone(),
                rows_added: m.operation.rows_added,
                rows_removed: m.operation.rows_removed,
                files_added: m.operation.added_files.len(),
                files_removed: m.operation.removed_files.len(),
                bytes_added: m.operation.bytes_added,
            },
            VersionFile::Expired(t) => Entry {
                version: v,
                expired: true,
                created_at_ms: t.created_at_ms,
                operation: "(expired by gc)".into(),
                description: String::new(),
                writer: String::new(),
                rows_added: 0,
                rows_removed: 0,
                files_added: 0,
                files_removed: 0,
                bytes_added: 0,
            },
        });
    }
    // Files that are not part of the chain are never listed as versions; they are named on
    // stderr so that stdout stays the log.
    for p in &chain.problems {
        eprintln!(
            "warning: {} {} (not listed; `runlake verify` checks the lake)",
            lake.display_path(&p.path),
            p.detail
        );
    }
    if args.json {
        print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "{:>7}  {:<23}  {:<12}  {:>12}  {:>12}  {:>10}  {}\n",
        "version", "time", "operation", "rows added", "rows removed", "bytes", "description"
    );
    for e in &entries {
        text.push_str(&format!(
            "{:>7}  {:<23}  {:<12}  {:>12}  {:>12}  {:>10}  {}\n",
            e.version,
            human_time(e.created_at_ms),
            e.operation,
            e.rows_added,
            e.rows_removed,
            human_bytes(e.bytes_added),
            e.description
        ));
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
