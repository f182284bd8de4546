//! `posttrain_steps`: dense post-training step logs, partitioned by training type.
//!
//! All training types share one file schema so that plain Parquet readers see one table; the
//! typed columns of a type are null for the others.

use arrow_schema::{DataType, Field};

use super::fields::*;
use super::kinds::TrainingType;

const ALL_POSTTRAIN: &[TrainingType] = &TrainingType::POSTTRAIN;
const DPO: &[TrainingType] = &[TrainingType::Dpo];

/// Typed step columns, as `(column, training types that log it)`.
pub const TYPED_STEP_COLUMNS: &[(&str, &[TrainingType])] = &[
    ("epoch", ALL_POSTTRAIN),
    ("learning_rate", ALL_POSTTRAIN),
    ("train_loss", ALL_POSTTRAIN),
    ("total_tokens", ALL_POSTTRAIN),
    ("per_device_tps", ALL_POSTTRAIN),
    ("grad_norm", ALL_POSTTRAIN),
    ("logps_chosen", DPO),
    ("logps_rejected", DPO),
    ("rewards_chosen", DPO),
    ("rewards_rejected", DPO),
    ("rewards_accuracy", DPO),
    ("rewards_margin", DPO),
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
