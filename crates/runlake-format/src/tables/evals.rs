//! `evals`: one row per (run, step, task, source).

use arrow_schema::{DataType, Field};

use super::fields::*;

/// Metrics with their own Float64 column, named as OLMES names them. Any other metric goes to
/// `extra_metrics`.
pub const KNOWN_METRICS: &[&str] = &[
    "primary_metric",
    "correct_choice",
    "acc_raw",
    "acc_per_token",
    "acc_per_char",
    "acc_per_byte",
    "acc_uncond",
    "no_answer",
    "sum_logits_corr",
    "logits_per_token_corr",
    "logits_per_char_corr",
    "logits_per_byte_corr",
    "bits_per_byte_corr",
    "correct_prob",
    "correct_prob_per_token",
    "correct_prob_per_char",
    "correct_prob_per_byte",
    "margin",
    "margin_per_token",
    "margin_per_char",
    "margin_per_byte",
    "total_prob",
    "total_prob_per_token",
    "total_prob_per_char",
    "total_prob_per_byte",
    "uncond_correct_prob",
    "uncond_correct_prob_per_token",
    "uncond_correct_prob_per_char",
    "uncond_correct_prob_per_byte",
    "uncond_total_prob",
    "norm_correct_prob",
    "norm_correct_prob_per_token",
    "norm_correct_prob_per_char",
    "norm_correct_prob_per_byte",
    "perplexity",
];

pub(super) fn fields() -> Vec<Field> {
    let mut fields = vec![
        utf8_required("run_uid"),
        // pretrain | posttrain; the partition column.
        utf8_required("phase"),
        // Null when the eval is not tied to a training step (summaries, oe-eval dumps).
        int64("step"),
        // Canonical task name, e.g. `arc_challenge`, `mmlu_average`, `ppl_c4_en`.
        utf8_required("task"),
        // The task as the source spelled it, e.g. `arc_challenge:rc::olmes:full`.
        utf8("task_alias"),
        // e.g. `dd_hf_train`, `dd_hf_ppl`, `wandb_summary_nested`, `oe_eval_metrics_all`.
        utf8_required("source"),
        utf8("suite"),
        // Denormalised from the run so DataDecide-style selections need no join.
        utf8("recipe"),
        utf8("size"),
        utf8("seed"),
        // Which metric the task's policy names as primary, and its value.
        utf8("primary_metric_name"),
        float64("primary_score"),
        // True for rows computed by runlake (e.g. `mmlu_average`), not read from a source.
        boolean_required("derived"),
        int64("num_instances"),
    ];
    fields.extend(KNOWN_METRICS.iter().map(|m| float64(m)));
    fields.push(map("extra_metrics", DataType::Float64));
    // Task config and non-numeric details, as JSON text.
    fields.push(utf8("details_json"));
    fields
}
