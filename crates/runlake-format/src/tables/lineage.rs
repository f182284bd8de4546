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
