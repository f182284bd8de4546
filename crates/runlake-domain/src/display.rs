//! The text `runlake lineage` prints: each link's resolved parent with its rule, every piece
//! of evidence, and which same-name attempt the chain continues.

use std::fmt;

use runlake_format::tables::Relation;

use crate::chain::LineageChain;

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
                let which = if s.relation() == Some(Relation::ResumedFrom) {
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
        if self.looped {
            let pad = "  ".repeat(self.links.len() + 1);
            writeln!(
                f,
                "{pad}(the parents loop back to an earlier run; the walk stops here)"
            )?;
        }
        Ok(())
    }
}
