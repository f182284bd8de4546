//! Which eval source answers when several hold the same checkpoint and task.
//!
//! One checkpoint's evals can reach the lake from several exports (the HF eval-results and
//! datadec's `full_eval`, which datadec built from them; a post-training run's WandB summary
//! and its oe-eval folder). Readers show one answer per (run, step, task): the row of the
//! source ranked first here. The raw exports come before the tables derived from them, the
//! nested forms before the flattened copies of the same values.

/// The known `evals.source` values, most preferred first (the spec's precedence table).
pub const EVAL_SOURCE_PRECEDENCE: [&str; 9] = [
    "dd_hf_train",
    "dd_hf_macro_avg",
    "dd_hf_ppl",
    "datadec_full_eval",
    "oe_eval_metrics_all",
    "oe_eval_task_metrics",
    "oe_eval_metrics_json",
    "wandb_summary_nested",
    "wandb_summary_flat",
];

/// The sort key of a source under the precedence: its place in
/// [`EVAL_SOURCE_PRECEDENCE`], and any other value after all of them in byte order, so the
/// order is total and never depends on the order rows were read.
pub fn source_rank(source: &str) -> (usize, &str) {
    let place = EVAL_SOURCE_PRECEDENCE
        .iter()
        .position(|s| *s == source)
        .unwrap_or(EVAL_SOURCE_PRECEDENCE.len());
    (place, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_exports_win_and_unknown_sources_follow_in_byte_order() {
        let mut sources = vec![
            "zz_custom",
            "datadec_full_eval",
            "wandb_summary_flat",
            "aa_custom",
            "dd_hf_train",
        ];
        sources.sort_by_key(|s| source_rank(s));
        assert_eq!(
            sources,
            [
                "dd_hf_train",
                "datadec_full_eval",
                "wandb_summary_flat",
                "aa_custom",
                "zz_custom"
            ]
        );
    }
}
