//! `explain()`: the plan as indented text, with what pruning removes at each level.

use std::fmt::Write as _;

use futures::{StreamExt, TryStreamExt, stream};

use crate::error::Result;
use crate::scan::{LakeReader, Plan, ScanNode};
use crate::scan_exec::{open_file, prune_manifest, prune_row_groups};

fn list(cols: &[String]) -> String {
    cols.join(", ")
}

async fn explain_scan(
    reader: &LakeReader,
    node: &ScanNode,
    pad: &str,
    out: &mut String,
) -> Result<()> {
    let opts = reader.options();
    let schema = crate::plan_schema::scan_schema(node)?;
    let projection: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let _ = writeln!(
        out,
        "{pad}Scan: {} projection=[{}]",
        node.table,
        list(&projection)
    );
    if let Some(f) = &node.filter {
        let how = if opts.row_filter {
            "row filter in decoder"
        } else {
            "after decoding"
        };
        let _ = writeln!(out, "{pad}  filter: {f} ({how})");
    }
    if let Some(n) = node.limit {
        let _ = writeln!(out, "{pad}  limit: {n}");
    }
    let pruned = prune_manifest(reader, node)?;
    let _ = writeln!(
        out,
        "{pad}  partitions: {} of {} kept{}",
        pruned.partitions_kept,
        pruned.partitions_total,
        if opts.prune_partitions {
            ""
        } else {
            " (partition pruning off)"
        }
    );
    let _ = writeln!(
        out,
        "{pad}  files: {} of {} kept ({} pruned by partition, {} by manifest statistics){}",
        pruned.files.len(),
        pruned.files_total,
        pruned.files_total - pruned.files_in_partitions,
        pruned.files_in_partitions - pruned.files.len(),
        if opts.prune_files {
            ""
        } else {
            " (file pruning off)"
        }
    );
    let bytes: u64 = pruned.files.iter().map(|f| f.bytes).sum();
    let rows: u64 = pruned.files.iter().map(|f| f.rows).sum();
    let _ = writeln!(out, "{pad}  kept files hold {rows} rows in {bytes} bytes");
    let concurrency = opts.concurrency.max(1);
    let filter = node.filter.clone();
    // (row groups, kept row groups, rows in kept row groups, rows the page index keeps)
    let counts: Vec<(usize, usize, usize, usize)> = stream::iter(pruned.files)
        .map(|f| {
            let filter = filter.clone();
            async move {
                let (_, meta, file) = open_file(reader, f).await?;
                let kept = prune_row_groups(&meta, &file, filter.as_ref(), reader.options());
                let md = meta.metadata();
                let (mut rows, mut selected) = (0usize, 0usize);
                for &g in &kept {
                    let n = usize::try_from(md.row_group(g).num_rows()).unwrap_or(0);
                    rows += n;
                    selected += match filter.as_ref() {
                        Some(e) if reader.options().prune_pages => {
                            crate::prune::page_selection(md, g, e, &file.partition)
                                .map_or(n, |s| s.row_count())
                        }
                        _ => n,
                    };
                }
                Ok::<_, crate::error::ReaderError>((
                    md.row_groups().len(),
                    kept.len(),
                    rows,
                    selected,
                ))
            }
        })
        .buffered(concurrency)
        .try_collect()
        .await?;
    let total: usize = counts.iter().map(|c| c.0).sum();
    let kept: usize = counts.iter().map(|c| c.1).sum();
    let _ = writeln!(
        out,
        "{pad}  row groups: {kept} of {total} kept{}",
        if opts.prune_row_groups {
            ""
        } else {
            " (row-group pruning off)"
        }
    );
    let rows: usize = counts.iter().map(|c| c.2).sum();
    let selected: usize = counts.iter().map(|c| c.3).sum();
    let _ = writeln!(
        out,
        "{pad}  rows: {selected} of {rows} in kept row groups left after page-index pruning{}",
        if opts.prune_pages {
            ""
        } else {
            " (page pruning off)"
        }
    );
    if !opts.projection_pushdown {
        let _ = writeln!(
            out,
            "{pad}  projection pushdown off: every column is decoded"
        );
    }
    Ok(())
}

pub(crate) fn explain_into<'a>(
    reader: &'a LakeReader,
    plan: &'a Plan,
    depth: usize,
    out: &'a mut String,
) -> futures::future::BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        let pad = "  ".repeat(depth);
        match plan {
            Plan::Scan(node) => explain_scan(reader, node, &pad, out).await?,
            Plan::Filter { input, predicate } => {
                let _ = writeln!(out, "{pad}Filter: {predicate}");
                explain_into(reader, input, depth + 1, out).await?;
            }
            Plan::Project { input, columns } => {
                let _ = writeln!(out, "{pad}Project: [{}]", list(columns));
                explain_into(reader, input, depth + 1, out).await?;
            }
            Plan::Rename { input, from, to } => {
                let _ = writeln!(out, "{pad}Rename: {from} -> {to}");
                explain_into(reader, input, depth + 1, out).await?;
            }
            Plan::Limit { input, n } => {
                let _ = writeln!(out, "{pad}Limit: {n}");
                explain_into(reader, input, depth + 1, out).await?;
            }
            Plan::Sort { input, keys } => {
                let keys: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{} {}", k.column, if k.descending { "desc" } else { "asc" }))
                    .collect();
                let _ = writeln!(out, "{pad}Sort: [{}]", keys.join(", "));
                explain_into(reader, input, depth + 1, out).await?;
            }
            Plan::Join {
                left,
                right,
                on,
                kind,
            } => {
                let on: Vec<String> = on.iter().map(|(l, r)| format!("{l} = {r}")).collect();
                let _ = writeln!(
                    out,
                    "{pad}HashJoin: {kind:?} on [{}] (right side is built)",
                    on.join(", ")
                );
                explain_into(reader, left, depth + 1, out).await?;
                explain_into(reader, right, depth + 1, out).await?;
            }
            Plan::KeepMax {
                input,
                keys,
                column,
            } => {
                let _ = writeln!(out, "{pad}KeepMax: largest {column} by [{}]", list(keys));
                explain_into(reader, input, depth + 1, out).await?;
            }
            Plan::KeepPreferred {
                input,
                keys,
                column,
                preference,
            } => {
                let _ = writeln!(
                    out,
                    "{pad}KeepPreferred: first {column} of [{}, then others by name] by [{}]",
                    preference.join(" > "),
                    list(keys)
                );
                explain_into(reader, input, depth + 1, out).await?;
            }
            Plan::Aggregate { input, keys, aggs } => {
                let aggs: Vec<String> = aggs.iter().map(|a| a.output_name()).collect();
                let _ = writeln!(
                    out,
                    "{pad}Aggregate: by [{}] -> [{}]",
                    list(keys),
                    aggs.join(", ")
                );
                explain_into(reader, input, depth + 1, out).await?;
            }
        }
        Ok(())
    })
}

pub(crate) async fn explain(reader: &LakeReader, plan: &Plan) -> Result<String> {
    crate::plan_schema::schema_of(plan)?;
    let mut out = String::new();
    explain_into(reader, plan, 0, &mut out).await?;
    Ok(out)
}
