//! `posttrain_steps`: dense post-training step logs, partitioned by training type.
//!
//! All training types share one file schema so that plain Parquet readers see one table; the
//! typed columns of a type are null for the others.

use arrow_schema::{DataType, Field};

use super::fields::*;

/// Typed step columns, as `(column, training types that log it)`.
pub const TYPED_STEP_COLUMNS: &[(&str, &[&str])] = &[
    ("epoch", &["sft", "dpo", "other"]),
    ("learning_rate", &["sft", "dpo", "other"]),
    ("train_loss", &["sft", "dpo", "other"]),
    ("total_tokens", &["sft", "dpo", "other"]),
    ("per_device_tps", &["sft", "dpo", "other"]),
    ("grad_norm", &["sft", "dpo", "other"]),
    ("logps_chosen", &["dpo"]),
    ("logps_rejected", &["dpo"]),
    ("rewards_chosen", &["dpo"]),
    ("rewards_rejected", &["dpo"]),
    ("rewards_accuracy", &["dpo"]),
    ("rewards_margin", &["dpo"]),
];

pub(super) fn fields() -> Vec<Field> {
    let mut fields = vec![
        utf8_required("run_uid"),
        // sft | dpo | other; the partition column.
        utf8_required("training_type"),
        int64_required("step"),
        // 0 for the first distinct row logged at a step; 1, 2, ... for rows that disagree with
        // it. Conflicting rows are kept, never merged.
        Field::new("variant", DataType::Int32, false),
        boolean_required("conflict"),
        timestamp("timestamp"),
        float64("runtime_seconds"),
    ];
    fields.extend(TYPED_STEP_COLUMNS.iter().map(|(name, _)| float64(name)));
    // Numeric keys without a typed column, by their original name.
    fields.push(map("extra_metrics", DataType::Float64));
    // Everything else logged at the step (strings, nested values), as JSON text.
    fields.push(utf8("extra_json"));
    fields
}
