//! `metadata` rows for post-training runs.

use runlake_format::tables::{Phase, TrainingType};

use super::cells::{Cell, Row};
use super::{Report, RunContext};
use crate::coerce::{self, TimePolicy, f64_lenient, i64_lenient, string_lenient};
use crate::json::{Json, Object};
use crate::model::RunRecord;
use crate::redact::Redactor;

pub(super) fn row(
    run: &RunRecord,
    ctx: &RunContext,
    redactor: &Redactor,
    time: TimePolicy,
    report: &mut Report,
) -> Row {
    let cfg = &run.config;
    let get = |k: &str| cfg.get(k);
    let f = |k: &str| get(k).and_then(f64_lenient);
    let i = |k: &str| get(k).and_then(i64_lenient);
    let s = |k: &str| get(k).and_then(string_lenient);

    let mut r = Row::default();
    r.str("run_uid", ctx.run_uid.clone());
    r.str("phase", Phase::Posttrain.as_str());
    r.str("training_type", ctx.training_type.as_str());
    r.str("training_type_reason", ctx.training_type_reason.clone());
    r.str("source", run.source.as_str());
    r.opt_str("run_name", run.name.clone());
    r.opt_str("entity", run.entity.clone());
    r.opt_str("project", run.project.clone());
    if let Some(cp) = &ctx.lineage.checkpoint {
        r.str("recipe", cp.recipe.clone());
        r.str("size", cp.size.clone());
        r.str("seed", cp.seed.clone());
        r.opt_i64(
            "seed_value",
            runlake_vocab::Seed::parse(&cp.seed).ok().map(|s| s.value),
        );
    }
    r.opt_i64("params_training", i("model_size"));
    r.opt_str("state", run.state.clone());
    for (col, v) in [
        ("created_at", &run.created_at),
        ("updated_at", &run.updated_at),
    ] {
        if let Some(ts) = report.timestamp(v, time, &ctx.run_uid, col) {
            r.set(col, Cell::Ts(ts));
        }
    }
    let summary = &run.summary;
    r.opt_f64(
        "runtime_seconds",
        summary.get("_runtime").and_then(f64_lenient).or_else(|| {
            summary
                .get("_wandb")
                .and_then(|w| w.get("runtime"))
                .and_then(f64_lenient)
        }),
    );
    r.opt_i64(
        "final_step",
        summary
            .get("_step")
            .and_then(i64_lenient)
            .or(ctx.last_step)
            .or_else(|| {
                run.attrs
                    .get("history_keys")
                    .and_then(|h| h.get("lastStep"))
                    .and_then(i64_lenient)
            }),
    );
    r.set(
        "tags",
        Cell::List(
            run.tags
                .iter()
                .map(|t| redactor.text(t).into_owned())
                .collect(),
        ),
    );

    r.opt_str(
        "model_name_or_path",
        s("model_name_or_path").map(|p| redactor.text(&p).into_owned()),
    );
    r.opt_str("model_revision", s("model_revision"));
    r.opt_f64("learning_rate", f("learning_rate"));
    r.opt_f64("num_train_epochs", f("num_train_epochs"));
    let per_device = i("per_device_train_batch_size");
    let accumulation = i("gradient_accumulation_steps");
    r.opt_i64("per_device_train_batch_size", per_device);
    r.opt_i64("gradient_accumulation_steps", accumulation);
    // Per process: the process count is not in the config.
    r.opt_i64(
        "effective_batch_size",
        per_device
            .zip(accumulation)
            .and_then(|(a, b)| a.checked_mul(b)),
    );
    r.opt_i64("max_seq_length", i("max_seq_length"));
    r.opt_f64("warmup_ratio", f("warmup_ratio"));
    r.opt_f64("weight_decay", f("weight_decay"));
    r.opt_str("lr_scheduler_type", s("lr_scheduler_type"));
    r.opt_str("reduce_loss", s("reduce_loss"));
    if ctx.training_type == TrainingType::Dpo {
        r.opt_f64("dpo_beta", f("dpo_beta"));
        r.opt_str("dpo_loss_type", s("dpo_loss_type"));
        r.opt_f64("dpo_label_smoothing", f("dpo_label_smoothing"));
    }

    let config = Json::Object(redactor.object(cfg));
    let mut flat = Vec::new();
    coerce::flatten("", &config, &mut flat);
    let hparams = flat.into_iter().map(|(k, v)| (k, v.to_text())).collect();
    r.set("hparams", Cell::MapStr(hparams));
    r.str("config_json", config.to_text());
    r.str(
        "summary_json",
        Json::Object(redactor.object(summary)).to_text(),
    );

    let mut extra = Object::default();
    if !run.metadata.is_null() {
        extra.push("metadata", redactor.metadata(&run.metadata));
    }
    if !run.attrs.is_empty() {
        extra.push("attrs", redactor.metadata(&Json::Object(run.attrs.clone())));
    }
    if !run.exported_at.is_null() {
        extra.push("exported_at", run.exported_at.clone());
    }
    extra.push("run_name_parse", ctx.name_json());
    r.str("extra_json", Json::Object(extra).to_text());
    r
}
