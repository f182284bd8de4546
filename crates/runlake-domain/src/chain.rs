//! The lineage chain of a post-training run: from the run, through the post-training runs it
//! was trained from or resumed, to the pretraining checkpoint at its root.
//!
//! One rule decides which parent a run continues ([`Parent`] of a link): the run it resumed
//! (a `resumed_from` same-name link), else its resolved parent. A `duplicate_of` link is a
//! rival attempt from the same start and is shown, never followed. The walk goes on while the
//! parent has lineage rows of its own (it is a converted post-training run); the first parent
//! without any is the root, the checkpoint the chain grew from.

use std::collections::{BTreeMap, HashSet};

use runlake_format::tables::{EVIDENCE_SAME_NAME, Relation};

/// One `lineage` row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineageRow {
    /// Child run.
    pub child_run_uid: String,
    /// Parent run (pretraining `dd/...` or post-training).
    pub parent_run_uid: Option<String>,
    /// Parent checkpoint step.
    pub parent_step: Option<i64>,
    /// The stored relation ([`Relation::parse`] reads it).
    pub relation: String,
    /// Where the evidence came from (`resolved`, `same_name`, `model_name_or_path`, ...).
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

impl LineageRow {
    /// The relation, when it is one the format knows.
    pub fn relation(&self) -> Option<Relation> {
        Relation::parse(&self.relation)
    }

    /// A link between two runs sharing a name (`resumed_from` or `duplicate_of`).
    pub fn is_same_name(&self) -> bool {
        self.evidence_source == EVIDENCE_SAME_NAME
    }

    /// The row naming the parent the evidence resolved to: flagged `resolved` and not a
    /// same-name link (conversion writes it with evidence source `resolved`).
    pub fn is_resolved_parent(&self) -> bool {
        self.resolved && !self.is_same_name()
    }
}

/// The parent a chain follows from a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Parent {
    /// The parent run.
    pub run_uid: String,
    /// The parent's step the child started from (for a resumed run, the step it stopped at).
    pub step: Option<i64>,
    /// How the child relates to it.
    pub relation: Relation,
}

/// The parent followed from a run, given that run's lineage rows: the run it resumed, else
/// its resolved parent. `None` when neither names a parent run.
pub fn parent_of<'r>(rows: impl IntoIterator<Item = &'r LineageRow>) -> Option<Parent> {
    let mut resolved = None;
    for r in rows {
        let (Some(parent), Some(relation)) = (&r.parent_run_uid, r.relation()) else {
            continue;
        };
        let found = Parent {
            run_uid: parent.clone(),
            step: r.parent_step,
            relation,
        };
        if r.is_same_name() && relation == Relation::ResumedFrom {
            return Some(found);
        }
        if r.is_resolved_parent() && relation.is_walked() && resolved.is_none() {
            resolved = Some(found);
        }
    }
    resolved
}

/// Lineage rows by child run.
fn by_child(rows: &[LineageRow]) -> BTreeMap<&str, Vec<&LineageRow>> {
    let mut out: BTreeMap<&str, Vec<&LineageRow>> = BTreeMap::new();
    for r in rows {
        out.entry(r.child_run_uid.as_str()).or_default().push(r);
    }
    out
}

/// Every run's followed parent, by child run (see [`parent_of`]).
pub fn parents(rows: &[LineageRow]) -> BTreeMap<String, Parent> {
    by_child(rows)
        .into_iter()
        .filter_map(|(child, mine)| parent_of(mine).map(|p| (child.to_owned(), p)))
        .collect()
}

/// One link of a chain: a run, the parent the chain follows from it and all its evidence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainLink {
    /// The run.
    pub child: String,
    /// Its resolved row (`None` when the lake has no resolved row for it).
    pub resolved: Option<LineageRow>,
    /// Evidence rows of the run toward its parent.
    pub evidence: Vec<LineageRow>,
    /// Same-name links of the run (`resumed_from` / `duplicate_of`).
    pub same_name: Vec<LineageRow>,
    /// The parent the chain follows from this run.
    pub parent: Option<Parent>,
}

/// A run's chain back to pretraining.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineageChain {
    /// The run asked about.
    pub run_uid: String,
    /// Links from the run to the oldest post-training run; the last link's parent is the
    /// root (a pretraining checkpoint) or missing.
    pub links: Vec<ChainLink>,
    /// The parents loop back to a run already walked (conversion never writes such rows);
    /// the walk stopped there.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub looped: bool,
}

/// One run of a chain in training order, with the step its successor started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRun {
    /// The run.
    pub run_uid: String,
    /// The root: the checkpoint's run the first post-training run grew from.
    pub is_root: bool,
    /// The step of this run the next run started from (`None` for the last run, or when no
    /// evidence states it).
    pub stop_step: Option<i64>,
}

/// Builds the chain of `run_uid` from lineage rows; `None` when the rows hold nothing about it.
pub fn walk(rows: &[LineageRow], run_uid: &str) -> Option<LineageChain> {
    let by_child = by_child(rows);
    by_child.get(run_uid)?;
    let mut links = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut current = run_uid.to_owned();
    let mut looped = false;
    while let Some((child, mine)) = by_child.get_key_value(current.as_str()) {
        if !seen.insert(child) {
            looped = true;
            break;
        }
        let parent = parent_of(mine.iter().copied());
        let next = parent.as_ref().map(|p| p.run_uid.clone());
        links.push(ChainLink {
            child: (*child).to_owned(),
            resolved: mine
                .iter()
                .find(|r| r.is_resolved_parent())
                .map(|r| (*r).clone()),
            evidence: mine
                .iter()
                .filter(|r| !r.resolved)
                .map(|r| (*r).clone())
                .collect(),
            same_name: mine
                .iter()
                .filter(|r| r.is_same_name())
                .map(|r| (*r).clone())
                .collect(),
            parent,
        });
        match next {
            Some(n) => current = n,
            None => break,
        }
    }
    Some(LineageChain {
        run_uid: run_uid.to_owned(),
        links,
        looped,
    })
}

impl LineageChain {
    /// The checkpoint the chain grew from: the parent of its oldest run, when that parent has
    /// no lineage of its own.
    pub fn root(&self) -> Option<&Parent> {
        if self.looped {
            return None;
        }
        self.links.last()?.parent.as_ref()
    }

    /// One note per rival attempt of a chain's run (a `duplicate_of` link): curves follow the
    /// chain's run only, and say so.
    pub fn attempt_notes(&self) -> Vec<String> {
        self.links
            .iter()
            .flat_map(|link| {
                link.same_name
                    .iter()
                    .filter(|r| r.relation() == Some(Relation::DuplicateOf))
                    .filter_map(|r| r.parent_run_uid.as_deref())
                    .map(|other| {
                        format!(
                            "{other} is an earlier attempt under the same name as {}, not a \
                             continuation; the curve follows {} only",
                            link.child, link.child
                        )
                    })
            })
            .collect()
    }

    /// The chain's runs in training order: the root's run (when known), then each
    /// post-training run from the oldest to the run asked about.
    pub fn runs(&self) -> Vec<ChainRun> {
        let mut out = Vec::new();
        if let Some(root) = self.root() {
            out.push(ChainRun {
                run_uid: root.run_uid.clone(),
                is_root: true,
                stop_step: root.step,
            });
        }
        for (i, link) in self.links.iter().enumerate().rev() {
            // The younger run (one link closer to the start) started at this run's step.
            let stop_step = i
                .checked_sub(1)
                .and_then(|younger| self.links[younger].parent.as_ref())
                .and_then(|p| p.step);
            out.push(ChainRun {
                run_uid: link.child.clone(),
                is_root: false,
                stop_step,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlake_format::tables::EVIDENCE_RESOLVED;

    fn row(
        child: &str,
        parent: Option<&str>,
        step: Option<i64>,
        rel: &str,
        src: &str,
    ) -> LineageRow {
        LineageRow {
            child_run_uid: child.into(),
            parent_run_uid: parent.map(Into::into),
            parent_step: step,
            relation: rel.into(),
            evidence_source: src.into(),
            evidence_value: String::new(),
            conflict: false,
            resolved: src == EVIDENCE_RESOLVED || src == EVIDENCE_SAME_NAME,
            rule: None,
            note: None,
        }
    }

    #[test]
    fn resumed_runs_are_followed_duplicates_are_not() {
        let rows = vec![
            row(
                "b",
                Some("dd/x/4M/default"),
                Some(100),
                "finetune_of",
                "resolved",
            ),
            row(
                "c",
                Some("dd/x/4M/default"),
                Some(100),
                "finetune_of",
                "resolved",
            ),
            row("c", Some("b"), Some(7), "resumed_from", "same_name"),
            row(
                "d",
                Some("dd/x/4M/default"),
                Some(100),
                "finetune_of",
                "resolved",
            ),
            row("d", Some("c"), Some(9), "duplicate_of", "same_name"),
            row("e", Some("c"), None, "dpo_of", "resolved"),
            row("e", Some("b"), None, "dpo_of", "model_name_or_path"),
        ];
        let chain = walk(&rows, "e").expect("chain");
        let runs: Vec<(String, bool, Option<i64>)> = chain
            .runs()
            .into_iter()
            .map(|r| (r.run_uid, r.is_root, r.stop_step))
            .collect();
        assert_eq!(
            runs,
            vec![
                ("dd/x/4M/default".into(), true, Some(100)),
                ("b".into(), false, Some(7)),
                ("c".into(), false, None),
                ("e".into(), false, None),
            ]
        );
        assert_eq!(chain.links[0].evidence.len(), 1);
        let d = walk(&rows, "d").expect("chain");
        assert_eq!(d.links.len(), 1, "the duplicate's namesake is not walked");
        let notes = d.attempt_notes();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("c is an earlier attempt"), "{notes:?}");
        assert!(
            chain.attempt_notes().is_empty(),
            "a resumed run is a continuation"
        );
        assert_eq!(d.links[0].same_name.len(), 1);
        assert_eq!(d.root().map(|p| p.step), Some(Some(100)));
        let all = parents(&rows);
        assert_eq!(all["c"].run_uid, "b");
        assert_eq!(all["d"].relation, Relation::FinetuneOf);
        assert_eq!(walk(&rows, "dd/x/4M/default"), None);
    }

    #[test]
    fn unresolved_and_looping_chains_have_no_root() {
        let rows = vec![
            row("a", None, None, "finetune_of", "resolved"),
            row("p", Some("q"), None, "dpo_of", "resolved"),
            row("q", Some("p"), None, "dpo_of", "resolved"),
        ];
        let a = walk(&rows, "a").expect("chain");
        assert_eq!((a.links.len(), a.root()), (1, None));
        let p = walk(&rows, "p").expect("chain");
        assert!(p.looped);
        assert_eq!(p.links.len(), 2);
        assert_eq!(p.root(), None);
        assert!(p.runs().iter().all(|r| !r.is_root));
    }
}
