//! The text summary of `convert`: one style for every kind of input, each warning on a line of
//! its own with a count and the first case, and `--json` named for the rest.

use std::fmt::Write as _;

use runlake_ingest::Summary;

/// How many rejected records are named one by one.
const SHOWN_REJECTIONS: usize = 10;

pub fn render(lake: &str, summary: &Summary) -> String {
    let mut text = format!("read: {}\n", read_line(summary));
    let changed = summary.commit.version.is_some();
    if changed {
        text.push_str("rows converted per table:\n");
        for (table, rows) in &summary.rows_written {
            let dropped = summary
                .pretraining
                .as_ref()
                .and_then(|p| p.tables.get(table))
                .map_or(0, |c| c.deduplicated);
            let note = if dropped > 0 {
                format!("  ({dropped} duplicate rows dropped)")
            } else {
                String::new()
            };
            let _ = writeln!(text, "  {table:<16} {rows:>9}{note}");
        }
    }
    let warnings = warnings(summary);
    if !warnings.is_empty() {
        text.push_str("warnings:\n");
        for w in &warnings {
            let _ = writeln!(text, "  {w}");
        }
    }
    let c = &summary.commit;
    match c.version {
        Some(v) => {
            let _ = writeln!(
                text,
                "committed version {v}: {} rows added, {} removed, {} files, {}",
                c.rows_added,
                c.rows_removed,
                c.files_added,
                crate::output::human_bytes(c.bytes_added)
            );
        }
        None => text
            .push_str("nothing changed: every row read is already in the lake; no new version\n"),
    }
    let _ = writeln!(text, "lake: {lake}  (`--json` gives every detail)");
    text
}

/// What was read, both families in one sentence.
fn read_line(summary: &Summary) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &summary.pretraining {
        parts.push(format!(
            "{} DataDecide {} ({} rows)",
            p.files.len(),
            plural(p.files.len(), "file", "files"),
            p.rows_read
        ));
    }
    if let Some(p) = &summary.post_training {
        let mut runs = vec![format!("{} new", p.runs_new.len())];
        for (n, what) in [
            (p.runs_replaced.len(), "replaced"),
            (p.runs_unchanged.len(), "unchanged"),
            (p.runs_extended.len(), "extended"),
        ] {
            if n > 0 {
                runs.push(format!("{n} {what}"));
            }
        }
        parts.push(format!(
            "{} post-training {} ({})",
            p.runs,
            plural(p.runs, "run", "runs"),
            runs.join(", ")
        ));
    }
    if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Every warning as one line: how many, then the first case.
fn warnings(summary: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |count: usize, what: &str, first: Option<String>| {
        if count > 0 {
            let first = first.map(|f| format!(" (first: {f})")).unwrap_or_default();
            out.push(format!("{what}: {count}{first}"));
        }
    };
    if let Some(p) = &summary.pretraining {
        add(
            usize::try_from(p.schedule_disagreements_total).unwrap_or(usize::MAX),
            "checkpoints disagreeing with the size's schedule",
            p.schedule_disagreements.first().cloned(),
        );
    }
    if let Some(p) = &summary.post_training {
        let r = &p.report;
        add(
            r.lineage_conflicts.len(),
            "lineage evidence disagreeing with the resolved parent",
            r.lineage_conflicts.first().cloned(),
        );
        add(
            r.eval_shape_conflicts.len(),
            "summary metrics differing between the nested and flat shapes, nested kept",
            r.eval_shape_conflicts.first().map(|e| {
                format!(
                    "{} {} {}: {} against {}",
                    e.run_uid, e.task, e.metric, e.nested, e.flat
                )
            }),
        );
        add(
            r.conflicting_steps.len(),
            "steps logged with conflicting rows, all kept",
            r.conflicting_steps
                .first()
                .map(|s| format!("{} step {}: {} rows", s.run_uid, s.step, s.variants)),
        );
        add(
            r.history_without_run.values().sum(),
            "history rows of runs neither the inputs nor the lake hold, not stored",
            r.history_without_run
                .keys()
                .next()
                .map(|k| format!("run `{k}`")),
        );
        add(
            r.unreadable_timestamps.len(),
            "unreadable timestamps, stored empty",
            r.unreadable_timestamps.first().cloned(),
        );
        add(
            r.naive_timestamps,
            "timestamps without a time zone, read with --naive-offset-minutes",
            None,
        );
        add(
            r.task_name_collisions.len(),
            "tasks kept under their raw name, the canonical one being taken",
            r.task_name_collisions.first().cloned(),
        );
        add(
            r.superseded_records.len(),
            "runs read more than once, the later export kept",
            r.superseded_records.first().cloned(),
        );
        let oe_conflicts: Vec<String> = r
            .oe_eval
            .iter()
            .flat_map(|m| {
                m.conflicting_lines
                    .iter()
                    .map(move |(task, _, _)| format!("{} task {task}", m.folder))
            })
            .collect();
        add(
            oe_conflicts.len(),
            "oe-eval tasks with differing result lines, the first kept",
            oe_conflicts.first().cloned(),
        );
        add(
            r.short_exports.len(),
            "exports holding less than their manifest promises",
            r.short_exports.first().map(ToString::to_string),
        );
        add(
            p.shrinks.len(),
            "stored runs shrunk by --replace",
            p.shrinks.first().map(ToString::to_string),
        );
        for (table, runs) in &p.rows_kept {
            add(
                runs.len(),
                &format!(
                    "replaced runs keeping their stored {table} rows, the inputs supplying none"
                ),
                runs.first().map(|r| format!("run `{r}`")),
            );
        }
    }
    for r in summary.rejections.iter().take(SHOWN_REJECTIONS) {
        out.push(format!(
            "rejected: {} field {}: {}",
            r.at, r.field, r.message
        ));
    }
    if summary.rejected_total > 0 {
        out.push(format!(
            "records rejected in all (--on-error skip): {}",
            summary.rejected_total
        ));
    }
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
