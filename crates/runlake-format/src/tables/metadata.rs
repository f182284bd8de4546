//! `metadata`: one row per run, pretraining or post-training.

use arrow_schema::{DataType, Field};

use super::fields::*;

pub(super) fn fields() -> Vec<Field> {
    vec![
        utf8_required("run_uid"),
        // pretrain | posttrain; the partition column.
        utf8_required("phase"),
        // pretrain | sft | dpo | other
        utf8_required("training_type"),
        // Why the training type was chosen (config key, history keys, name).
        utf8("training_type_reason"),
        // Where the row came from, e.g. `dd_hf_train`, `wandb_v3`.
        utf8_required("source"),
        utf8("run_name"),
        utf8("entity"),
        utf8("project"),
        utf8("recipe"),
        utf8("size"),
        utf8("seed"),
        int64("seed_value"),
        int64("params_nominal"),
        int64("params_training"),
        int64("params_exact"),
        int64("batch_size"),
        int64("final_step"),
        int64("tokens_per_step"),
        utf8("state"),
        timestamp("created_at"),
        timestamp("updated_at"),
        float64("runtime_seconds"),
        string_list("tags"),
        // Typed core hyperparameters (post-training); null where not applicable.
        utf8("model_name_or_path"),
        utf8("model_revision"),
        float64("learning_rate"),
        float64("num_train_epochs"),
        int64("per_device_train_batch_size"),
        int64("gradient_accumulation_steps"),
        int64("effective_batch_size"),
        int64("max_seq_length"),
        float64("warmup_ratio"),
        float64("weight_decay"),
        utf8("lr_scheduler_type"),
        utf8("reduce_loss"),
        float64("dpo_beta"),
        utf8("dpo_loss_type"),
        float64("dpo_label_smoothing"),
        // Every config key flattened (`a.b.c`) to its JSON text: filterable without knowing
        // the key in advance.
        map("hparams", DataType::Utf8),
        // The original config and summary, losslessly, as JSON text.
        utf8("config_json"),
        utf8("summary_json"),
        // Anything else about the run worth keeping (attributes, system info), as JSON text.
        utf8("extra_json"),
        // Since schema version 2 (appended, so version 1 files read with these null).
        // A DataDecide size's model config as datadec derives it (`create_model_config`).
        int64("d_model"),
        int64("n_heads"),
        int64("n_layers"),
        int64("mlp_ratio"),
        int64("total_steps"),
        int64("warmup_steps"),
        int64("lr_decay_steps"),
        float64("lr_max"),
        float64("lr_final"),
        // A DataDecide recipe's features as datadec attaches them (`dataset_features.csv`).
        float64("total_tokens_billions"),
        float64("pct_code"),
        float64("pct_common_crawl"),
        float64("pct_social_media"),
        int64("mean_doc_length_tokens"),
        float64("duplicate_rate_pct"),
        int64("quality_filter_strength"),
        boolean("is_mixed_dataset"),
        int64("num_sources_mixed"),
        int64("educational_content_score"),
    ]
}
