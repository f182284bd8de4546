//! The lineage chain of a run back to pretraining, with the evidence for every link; what
//! `runlake lineage LAKE RUN` prints.

use std::fmt;

use arrow::array::RecordBatch;
use runlake_format::Table;
use runlake_format::tables::{EVIDENCE_RESOLVED, EVIDENCE_SAME_NAME, Relation};
use runlake_lake::Lake;

use crate::error::Result;
use crate::lake_rows::{bool_at, i64_at, str_at};

/// One `lineage` row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineageRow {
    /// Child run.
    pub child_run_uid: String,
    /// Parent run (pretraining `dd/...` or post-training).
    pub parent_run_uid: Option<String>,
    /// Parent checkpoint step.
    pub parent_step: Option<i64>,
    /// `finetune_of`, `dpo_of`, `resumed_from`, `duplicate_of`.
    pub relation: String,
    /// Where the evidence came from.
    pub evidence_source: String,
    /// The evidence.
    pub evidence_value: String,
    /// Disagrees with the resolved parent.
    pub conflict: bool,
    /// The resolved row.
    pub resolved: bool,
    /// Rule of the resolution.
    pub rule: Option<String>,
    /// Explanation.
    pub note: Option<String>,
}

/// Rows of `lineage` batches.
pub fn lineage_rows(batches: &[RecordBatch]) -> Vec<LineageRow> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            out.push(LineageRow {
                child_run_uid: str_at(b, "child_run_uid", i).unwrap_or_default(),
                parent_run_uid: str_at(b, "parent_run_uid", i),
                parent_step: i64_at(b, "parent_step", i),
                relation: str_at(b, "relation", i).unwrap_or_default(),
                evidence_source: str_at(b, "evidence_source", i).unwrap_or_default(),
                evidence_value: str_at(b, "evidence_value", i).unwrap_or_default(),
                conflict: bool_at(b, "conflict", i),
                resolved: bool_at(b, "resolved", i),
                rule: str_at(b, "rule", i),
                note: str_at(b, "note", i),
            });
        }
    }
    out
}

/// One link of a chain: a child, its resolved parent and all evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainLink {
    /// The child run.
    pub child: String,
    /// The resolved row (`None` when the lake has no lineage for the child).
    pub resolved: Option<LineageRow>,
    /// Evidence rows of the child toward its parent.
    pub evidence: Vec<LineageRow>,
    /// Same-name links of the child (`resumed_from` / `duplicate_of`).
    pub same_name: Vec<LineageRow>,
}

/// A run's chain back to pretraining.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineageChain {
    /// The run asked about (as resolved to a uid).
    pub run_uid: String,
    /// Links from the run to the root; the last link's parent is a pretraining checkpoint,
    /// or unresolved.
    pub links: Vec<ChainLink>,
}

/// The run uid a user's `run` argument names: a uid, or a run id / uid suffix.
fn resolve_uid(rows: &[LineageRow], run: &str) -> Option<String> {
    if rows.iter().any(|r| r.child_run_uid == run) {
        return Some(run.to_owned());
    }
    let suffix = format!("/{run}");
    let mut hits: Vec<&str> = rows
        .iter()
        .map(|r| r.child_run_uid.as_str())
        .filter(|c| c.ends_with(&suffix))
        .collect();
    hits.sort_unstable();
    hits.dedup();
    match hits.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    }
}

/// Builds the chain of `run` from lineage rows. A run `resumed_from` another continues it, so
/// the walk goes on through the resumed run; `duplicate_of` names a separate attempt from the
/// same start and is shown but never followed. Cycles (which conversion never writes) stop
/// the walk rather than loop.
pub fn chain_from_rows(rows: &[LineageRow], run: &str) -> Option<LineageChain> {
    let start = resolve_uid(rows, run)?;
    let mut links = Vec::new();
    let mut current = Some(start.clone());
    let mut seen = std::collections::HashSet::new();
    while let Some(child) = current.take() {
        if !seen.insert(child.clone()) {
            break;
        }
        let mine: Vec<&LineageRow> = rows.iter().filter(|r| r.child_run_uid == child).collect();
        let resolved = mine
            .iter()
            .find(|r| r.resolved && r.evidence_source == EVIDENCE_RESOLVED)
            .map(|r| (*r).clone());
        let evidence = mine
            .iter()
            .filter(|r| !r.resolved)
            .map(|r| (*r).clone())
            .collect();
        let same_name = mine
            .iter()
            .filter(|r| r.evidence_source == EVIDENCE_SAME_NAME)
            .map(|r| (*r).clone())
            .collect();
        let resumed = mine
            .iter()
            .find(|r| {
                r.evidence_source == EVIDENCE_SAME_NAME
                    && Relation::parse(&r.relation) == Some(Relation::ResumedFrom)
            })
            .and_then(|r| r.parent_run_uid.clone());
        current = resumed.or_else(|| {
            resolved
                .as_ref()
                .and_then(|r| r.parent_run_uid.clone())
                .filter(|p| p.starts_with("wandb/"))
        });
        links.push(ChainLink {
            child,
            resolved,
            evidence,
            same_name,
        });
    }
    Some(LineageChain {
        run_uid: start,
        links,
    })
}

/// The chain of `run` in the lake's latest version; `None` when the lake has no lineage for it.
pub async fn lineage_chain(lake: &Lake, run: &str) -> Result<Option<LineageChain>> {
    let manifest = lake.latest().await?;
    let batches = lake.read_table(&manifest, Table::Lineage).await?;
    Ok(chain_from_rows(&lineage_rows(&batches), run))
}

impl fmt::Display for LineageChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.run_uid)?;
        for (depth, link) in self.links.iter().enumerate() {
            let pad = "  ".repeat(depth + 1);
            match &link.resolved {
                Some(r) => {
                    let parent = r.parent_run_uid.as_deref().unwrap_or("(unresolved)");
                    let step = r
                        .parent_step
                        .map(|s| format!(" @ step {s}"))
                        .unwrap_or_default();
                    let flag = if r.conflict {
                        "  [conflicting evidence]"
                    } else {
                        ""
                    };
                    writeln!(f, "{pad}{} {parent}{step}{flag}", r.relation)?;
                    writeln!(f, "{pad}  rule: {}", r.rule.as_deref().unwrap_or("-"))?;
                }
                None => writeln!(f, "{pad}(no lineage recorded for {})", link.child)?,
            }
            for e in &link.evidence {
                let mark = if e.conflict { "!" } else { "-" };
                let implies = match (&e.parent_run_uid, e.parent_step) {
                    (Some(p), Some(s)) => format!(" => {p} @ {s}"),
                    (Some(p), None) => format!(" => {p}"),
                    (None, Some(s)) => format!(" => step {s}"),
                    (None, None) => String::new(),
                };
                writeln!(
                    f,
                    "{pad}  {mark} {}: {}{implies}",
                    e.evidence_source, e.evidence_value
                )?;
                if let Some(n) = &e.note {
                    writeln!(f, "{pad}      {n}")?;
                }
            }
            for s in &link.same_name {
                let which = if Relation::parse(&s.relation) == Some(Relation::ResumedFrom) {
                    "continued by this run"
                } else {
                    "a separate attempt, not a continuation: curves follow this run only"
                };
                writeln!(
                    f,
                    "{pad}  ~ {} {} ({}; {which})",
                    s.relation,
                    s.parent_run_uid.as_deref().unwrap_or("?"),
                    s.rule.as_deref().unwrap_or("-")
                )?;
            }
        }
        Ok(())
    }
}
