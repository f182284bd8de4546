//! What two diverged histories changed, whether the changes commute, and how to say so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::chain::Entry;

/// One version on one side of a divergence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionSummary {
    /// Version number.
    pub version: u64,
    /// Operation kind (`convert`, `delete`, ...), or `expired` for a version gc removed.
    pub kind: String,
    /// The operation's description.
    pub description: String,
    /// Program that wrote it.
    pub writer: String,
    /// Per table, the runs it changed.
    pub runs: BTreeMap<String, Vec<String>>,
    /// Whether it changed data files without naming the runs (so it commutes with nothing).
    pub unattributed: bool,
}

impl VersionSummary {
    pub(crate) fn of(entry: &Entry) -> Self {
        match entry.live() {
            Some(m) => Self {
                version: entry.version,
                kind: m.operation.kind.clone(),
                description: m.operation.description.clone(),
                writer: m.writer.clone(),
                runs: m.operation.runs.clone(),
                unattributed: m.operation.runs.is_empty()
                    && !(m.operation.added_files.is_empty()
                        && m.operation.removed_files.is_empty()),
            },
            None => Self {
                version: entry.version,
                kind: "expired".into(),
                description: String::new(),
                writer: String::new(),
                runs: BTreeMap::new(),
                unattributed: true,
            },
        }
    }
}

/// Two histories that split after a common version.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    /// Source location.
    pub source: String,
    /// Destination location.
    pub destination: String,
    /// The last version both share, if any.
    pub base: Option<u64>,
    /// Versions only the source has, oldest first.
    pub source_only: Vec<VersionSummary>,
    /// Versions only the destination has, oldest first.
    pub destination_only: Vec<VersionSummary>,
    /// Why the two sides do not commute (empty when `--rebase` can replay the source's changes).
    pub conflicts: Vec<String>,
}

impl Divergence {
    pub(crate) fn new(
        source: &str,
        destination: &str,
        base: Option<u64>,
        source_only: Vec<VersionSummary>,
        destination_only: Vec<VersionSummary>,
    ) -> Self {
        let conflicts = conflicts(base, &source_only, &destination_only);
        Self {
            source: source.to_owned(),
            destination: destination.to_owned(),
            base,
            source_only,
            destination_only,
            conflicts,
        }
    }

    /// Whether the source's changes can be replayed on the destination.
    pub fn commutes(&self) -> bool {
        self.conflicts.is_empty()
    }
}

fn touched(side: &[VersionSummary]) -> BTreeMap<&str, BTreeMap<&str, u64>> {
    let mut out: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for s in side {
        for (table, runs) in &s.runs {
            for run in runs {
                out.entry(table.as_str())
                    .or_default()
                    .entry(run.as_str())
                    .or_insert(s.version);
            }
        }
    }
    out
}

fn conflicts(
    base: Option<u64>,
    source_only: &[VersionSummary],
    destination_only: &[VersionSummary],
) -> Vec<String> {
    let mut out = Vec::new();
    if base.is_none() {
        out.push("the two lakes share no version".to_owned());
        return out;
    }
    for (side, list) in [("source", source_only), ("destination", destination_only)] {
        for s in list.iter().filter(|s| s.unattributed) {
            out.push(format!(
                "{side} version {} ({}) changed files without naming the runs it touched",
                s.version, s.kind
            ));
        }
    }
    let (src, dst) = (touched(source_only), touched(destination_only));
    for (table, runs) in &src {
        let Some(theirs) = dst.get(table) else {
            continue;
        };
        let both: BTreeSet<_> = runs.keys().filter(|r| theirs.contains_key(*r)).collect();
        for run in both {
            out.push(format!(
                "run `{run}` of table {table} changed in source version {} and destination version {}",
                runs[run], theirs[run]
            ));
        }
    }
    out
}

fn write_side(f: &mut fmt::Formatter<'_>, label: &str, side: &[VersionSummary]) -> fmt::Result {
    writeln!(f, "  only in the {label}:")?;
    if side.is_empty() {
        writeln!(f, "    (nothing)")?;
    }
    for s in side {
        let runs: Vec<String> = s
            .runs
            .iter()
            .map(|(t, r)| format!("{t}: {}", r.join(", ")))
            .collect();
        write!(f, "    v{} {}", s.version, s.kind)?;
        if !s.description.is_empty() {
            write!(f, " \"{}\"", s.description)?;
        }
        if !runs.is_empty() {
            write!(f, " [{}]", runs.join("; "))?;
        }
        if !s.writer.is_empty() {
            write!(f, " by {}", s.writer)?;
        }
        writeln!(f)?;
    }
    Ok(())
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.base {
            Some(b) => writeln!(
                f,
                "{} has diverged from {}: both have version {b}, then each has versions the \
                 other lacks",
                self.destination, self.source
            )?,
            None => writeln!(
                f,
                "{} has diverged from {}: they share no version",
                self.destination, self.source
            )?,
        }
        write_side(f, "source", &self.source_only)?;
        write_side(f, "destination", &self.destination_only)?;
        if self.commutes() {
            writeln!(
                f,
                "The changes touch different runs: re-run with --rebase to add the source's \
                 changes as a new destination version on top of its own."
            )?;
        } else {
            writeln!(f, "--rebase cannot merge them:")?;
            for c in &self.conflicts {
                writeln!(f, "    {c}")?;
            }
        }
        write!(
            f,
            "Or re-run with --force to make the destination's latest version equal to the \
             source (its own versions stay in its history, readable with `runlake log`), or \
             sync the destination's changes into the source first (`runlake sync {} {}`) and \
             resolve there.",
            self.destination, self.source
        )
    }
}
