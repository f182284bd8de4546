//! Which eval source answers when several report the same run and step.

use std::collections::BTreeMap;

use crate::data::EvalRow;

/// One eval row per step: when several sources report the same step, the first source in the
/// spec's precedence (`runlake_vocab::EVAL_SOURCE_PRECEDENCE`) wins and the others are noted.
pub(crate) fn pick_sources<'r>(
    rows: impl Iterator<Item = &'r EvalRow>,
    notes: &mut Vec<String>,
) -> Vec<&'r EvalRow> {
    let mut by_step: BTreeMap<(String, Option<i64>), Vec<&EvalRow>> = BTreeMap::new();
    for r in rows {
        by_step
            .entry((r.run_uid.clone(), r.step))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for ((run, step), mut rows) in by_step {
        // The spec's total precedence over eval sources, as the reader applies it.
        rows.sort_by(|a, b| {
            runlake_vocab::source_rank(&a.source).cmp(&runlake_vocab::source_rank(&b.source))
        });
        if rows.len() > 1 {
            let others: Vec<&str> = rows[1..].iter().map(|r| r.source.as_str()).collect();
            notes.push(format!(
                "{run} step {}: several sources; used {}, not {}",
                step.map_or("none".to_owned(), |s| s.to_string()),
                rows[0].source,
                others.join(", ")
            ));
        }
        out.push(rows[0]);
    }
    out
}
