//! `lineage`: one row per piece of evidence linking a run to its parent.

use arrow_schema::Field;

use super::fields::*;

pub(super) fn fields() -> Vec<Field> {
    vec![
        utf8_required("child_run_uid"),
        // A pretraining run (`dd/...`) with `parent_step`, or an earlier post-training run.
        utf8("parent_run_uid"),
        int64("parent_step"),
        // finetune_of | dpo_of | resumed_from | duplicate_of
        utf8_required("relation"),
        // model_name_or_path | model_revision | run_name | config:<key> | same_name | resolved
        utf8_required("evidence_source"),
        utf8_required("evidence_value"),
        // This evidence disagrees with the resolved parent.
        boolean_required("conflict"),
        // This row is the resolved parent (exactly one per child and relation).
        boolean_required("resolved"),
        // The rule that chose the resolved parent.
        utf8("rule"),
        utf8("note"),
    ]
}

/// How a child run relates to its parent (`relation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// Fine-tuned (SFT or other) from the parent's checkpoint.
    FinetuneOf,
    /// DPO-trained from the parent.
    DpoOf,
    /// Continues the parent, a run of the same name that stopped earlier.
    ResumedFrom,
    /// A separate attempt of the same name from the same start; not a continuation.
    DuplicateOf,
}

impl Relation {
    /// Every relation.
    pub const ALL: [Relation; 4] = [
        Relation::FinetuneOf,
        Relation::DpoOf,
        Relation::ResumedFrom,
        Relation::DuplicateOf,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::FinetuneOf => "finetune_of",
            Relation::DpoOf => "dpo_of",
            Relation::ResumedFrom => "resumed_from",
            Relation::DuplicateOf => "duplicate_of",
        }
    }

    /// The relation a stored spelling names.
    pub fn parse(text: &str) -> Option<Relation> {
        Relation::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether a chain walks through this link: training from the parent, or resuming it.
    /// A duplicate is a rival attempt, never a step toward pretraining.
    pub fn is_walked(self) -> bool {
        self != Relation::DuplicateOf
    }
}

impl serde::Serialize for Relation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `evidence_source` of the model path a run was trained from (`model_name_or_path`).
pub const EVIDENCE_MODEL_PATH: &str = "model_name_or_path";
/// `evidence_source` of the model revision a run was trained from.
pub const EVIDENCE_MODEL_REVISION: &str = "model_revision";
/// `evidence_source` of what a run's name states.
pub const EVIDENCE_RUN_NAME: &str = "run_name";
/// Prefix of the `evidence_source` of a config key (`config:<key>`).
pub const EVIDENCE_CONFIG_PREFIX: &str = "config:";
/// `evidence_source` of the one resolved row per child and relation.
pub const EVIDENCE_RESOLVED: &str = "resolved";
/// `evidence_source` of a link between runs sharing a name.
pub const EVIDENCE_SAME_NAME: &str = "same_name";

#[cfg(test)]
mod tests {
    use super::Relation;

    #[test]
    fn relations_round_trip_and_only_duplicates_are_not_walked() {
        for r in Relation::ALL {
            assert_eq!(Relation::parse(r.as_str()), Some(r));
            assert_eq!(r.is_walked(), r != Relation::DuplicateOf);
        }
        assert_eq!(Relation::parse("parent_of"), None);
    }
}
