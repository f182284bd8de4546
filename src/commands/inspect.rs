use std::process::ExitCode;

use runlake_format::TableState;
use serde::Serialize;

use super::{CmdResult, open, table};
use crate::cli::InspectArgs;
use crate::output::{human_bytes, human_time, print, print_json};

#[derive(Serialize)]
struct Summary<'a> {
    location: &'a str,
    version: u64,
    created_at_ms: i64,
    tables: Vec<TableSummary<'a>>,
    /// Data files on disk that the latest version does not list (latest version only).
    #[serde(skip_serializing_if = "Option::is_none")]
    files_not_live: Option<NotLive>,
}

/// Files beside the live ones, which plain Parquet readers of the table folders also see.
#[derive(Serialize)]
struct NotLive {
    /// `gc` would delete these now.
    collectable: usize,
    /// Kept for the grace period.
    kept: u64,
    /// When the first kept one becomes collectable (ms since the epoch).
    next_collectable_at_ms: Option<i64>,
}

#[derive(Serialize)]
struct TableSummary<'a> {
    name: &'a str,
    schema_version: u32,
    partition_columns: &'a [String],
    files: usize,
    rows: u64,
    bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a TableState>,
}

pub async fn run(args: InspectArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let manifest = match args.version {
        Some(v) => lake.version(v).await?,
        None => lake.latest().await?,
    };
    let only = args.table.as_deref().map(table).transpose()?;
    let tables: Vec<TableSummary<'_>> = manifest
        .tables
        .iter()
        .filter(|(name, _)| only.is_none_or(|t| t.name() == name.as_str()))
        .map(|(name, state)| TableSummary {
            name,
            schema_version: state.schema_version,
            partition_columns: &state.partition_columns,
            files: state.files.len(),
            rows: state.rows(),
            bytes: state.bytes(),
            detail: only.map(|_| state),
        })
        .collect();
    // What `gc` would do with the default grace period, without doing it; a lake whose
    // versions folder holds strays is reported by `verify`, so the count is just left out.
    let files_not_live = match args.version {
        Some(_) => None,
        None => runlake_lake::gc::gc(&lake, runlake_lake::gc::DEFAULT_GRACE, true)
            .await
            .ok()
            .map(|r| NotLive {
                collectable: r.deleted_files.len(),
                kept: r.kept_superseded_files + r.kept_young_files,
                next_collectable_at_ms: r.next_collectable_at_ms,
            }),
    };
    let summary = Summary {
        location: lake.location(),
        version: manifest.version,
        created_at_ms: manifest.created_at_ms,
        tables,
        files_not_live,
    };
    if args.json {
        print_json(&summary)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "{} at version {} ({})\n\n{:<16} {:>7} {:>12} {:>10}  partitioned by\n",
        summary.location,
        summary.version,
        human_time(summary.created_at_ms),
        "table",
        "files",
        "rows",
        "bytes"
    );
    for t in &summary.tables {
        text.push_str(&format!(
            "{:<16} {:>7} {:>12} {:>10}  {}\n",
            t.name,
            t.files,
            t.rows,
            human_bytes(t.bytes),
            t.partition_columns.join(", ")
        ));
        if let Some(state) = t.detail {
            text.push_str(&format!(
                "\nschema (version {}), key: {}, sorted by: {}\n",
                state.schema_version,
                state.key_columns.join(", "),
                state.sort_columns.join(", ")
            ));
            for c in &state.schema {
                let null = if c.nullable { "" } else { " not null" };
                text.push_str(&format!("  {:<32} {}{null}\n", c.name, c.data_type));
            }
            text.push_str("\nfiles\n");
            for f in &state.files {
                text.push_str(&format!(
                    "  {}  {:>9} rows  {:>10}  added in v{}\n",
                    f.path,
                    f.rows,
                    human_bytes(f.bytes),
                    f.added_in_version
                ));
            }
        }
    }
    if let Some(n) = &summary.files_not_live
        && n.collectable as u64 + n.kept > 0
    {
        let when = n
            .next_collectable_at_ms
            .map(|ms| format!(", the first of the kept ones from {}", human_time(ms)))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n{} data files on disk are not part of this version (superseded or not yet \
             committed): {} collectable by `runlake gc` now, {} kept for the grace period{when}. \
             Plain Parquet readers of the table folders count them too; read the live files \
             (`runlake files LAKE --table T`) instead.\n",
            n.collectable as u64 + n.kept,
            n.collectable,
            n.kept,
        ));
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
