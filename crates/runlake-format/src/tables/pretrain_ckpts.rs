//! `pretrain_ckpts`: one row per pretraining checkpoint.

use arrow_schema::Field;

use super::fields::*;

pub(super) fn fields() -> Vec<Field> {
    vec![
        utf8_required("run_uid"),
        int64_required("step"),
        utf8("recipe"),
        utf8("size"),
        utf8("seed"),
        // Tokens seen at this step as the source gave them.
        int64("tokens"),
        // FLOPs; exceeds i64 at the large sizes.
        float64("compute"),
        // `step * batch * 2048` from the size's schedule, kept beside `tokens` so a
        // disagreement is visible rather than silently corrected.
        int64("tokens_expected"),
        float64("learning_rate"),
        float64("cumulative_lr"),
        float64("train_loss"),
        utf8_required("source"),
        // Since schema version 2 (appended, so version 1 files read with these null).
        // Whether `tokens` / `compute` / `learning_rate` and `cumulative_lr` were computed from
        // the size's schedule (datadec's formulas) because the export did not give them.
        boolean("tokens_derived"),
        boolean("compute_derived"),
        boolean("lr_derived"),
    ]
}
