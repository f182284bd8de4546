//! `wandb_runs.parquet`: one row per run, the nested fields as JSON text (dr_wandb v0 style).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use runlake_vocab::{MMLU_SUBJECTS, OLMES_TASKS, RECIPES, SIZES, Seed};
use serde_json::{Map, Value, json};

use super::{Rng, parquet_err, writer};
use crate::error::Result;

const ENTITY: &str = "ml-moe";
const PROJECT: &str = "ft-scaling";
const MODELS: &str = "/weka/oe-training-default/ft-scaling/models";
const RUNS_PER_GROUP: usize = 100;
/// Metrics of each oe-eval task in the summary (nested and flat).
const EVAL_METRICS: [&str; 6] = [
    "acc_raw",
    "acc_per_char",
    "acc_per_token",
    "acc_uncond",
    "primary_score",
    "correct_choice",
];

/// What one run is: its parent checkpoint, type and hyperparameters.
#[derive(Debug, Clone)]
pub(crate) struct RunSpec {
    pub dpo: bool,
    pub name: String,
    pub recipe: usize,
    pub size: usize,
    pub seed: &'static Seed,
    pub ckpt_step: u64,
    pub learning_rate: f64,
    pub logging_steps: u64,
    /// Where the run wrote its model.
    pub output_dir: String,
    /// The model it started from: a checkpoint (HF cache path) or an SFT run's output folder.
    pub model_path: String,
    pub revision: String,
    pub created_at_s: i64,
    /// Random stream of the run's values.
    pub stream: u64,
}

/// Every third run of ten is a DPO run of the SFT run just before it.
fn is_dpo(index: usize) -> bool {
    matches!(index % 10, 3 | 6 | 9)
}

pub(crate) fn spec(seed: u64, index: usize) -> RunSpec {
    let stream = index as u64;
    if is_dpo(index) {
        let parent = spec(seed, index - 1);
        let mut rng = Rng::new(seed, stream);
        let lr = [2e-7, 5e-7, 1e-6][rng.below(3) as usize];
        let name = format!(
            "{}_sweep{index:05}_dpo_tune_cache_DD-{}-{}-{}-{}_--learning_rate={lr:e}",
            stamp(created(index)),
            RECIPES[parent.recipe].slug,
            SIZES[parent.size].label,
            parent.ckpt_step,
            parent.seed.ordinal,
        );
        return RunSpec {
            dpo: true,
            output_dir: format!("{MODELS}/{name}"),
            model_path: format!("{}/", parent.output_dir),
            revision: "main".into(),
            name,
            learning_rate: lr,
            logging_steps: 1,
            created_at_s: created(index),
            stream,
            ..parent
        };
    }
    let mut rng = Rng::new(seed, stream);
    let recipe = rng.below(RECIPES.len() as u64) as usize;
    let size = rng.below(SIZES.len() as u64) as usize;
    let seeds = Seed::for_size(&SIZES[size]);
    let ckpt_seed = &seeds[rng.below(seeds.len() as u64) as usize];
    let sched = SIZES[size].schedule();
    let ckpts = sched.final_step / sched.checkpoint_interval;
    let ckpt_step = (1 + rng.below(ckpts)) * sched.checkpoint_interval;
    let lr = [5e-6, 1e-5, 2e-5, 5e-5][rng.below(4) as usize];
    let name = format!(
        "{}_sweep{index:05}_finetune_DD-{}-{}-{ckpt_step}-{}_lr={lr:e}",
        stamp(created(index)),
        RECIPES[recipe].slug,
        SIZES[size].label,
        ckpt_seed.ordinal,
    );
    RunSpec {
        dpo: false,
        output_dir: format!("{MODELS}/{name}"),
        model_path: format!(
            "/weka/hf-cache/hub/models--allenai--DataDecide-{}-{}/snapshots/{:040x}",
            RECIPES[recipe].slug,
            SIZES[size].label,
            u128::from(rng.next()) << 32 | u128::from(rng.next() >> 32)
        ),
        revision: format!("step{ckpt_step}-seed-{}", ckpt_seed.slug),
        name,
        recipe,
        size,
        seed: ckpt_seed,
        ckpt_step,
        learning_rate: lr,
        logging_steps: [1, 5, 10][rng.below(3) as usize],
        created_at_s: created(index),
        stream,
    }
}

/// Creation time: runs start ten minutes apart from 2025-09-01.
fn created(index: usize) -> i64 {
    1_756_684_800 + 600 * index as i64
}

fn stamp(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%y%m%d-%H%M%S").to_string())
        .unwrap_or_default()
}

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

const COLUMNS: [&str; 12] = [
    "run_id",
    "run_name",
    "state",
    "project",
    "entity",
    "created_at",
    "config",
    "summary",
    "wandb_metadata",
    "system_metrics",
    "system_attrs",
    "sweep_info",
];

pub(crate) fn write(path: &Path, specs: &[RunSpec], steps: usize) -> Result<()> {
    let schema = Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let mut w = writer(path, schema.clone())?;
    for group in specs.chunks(RUNS_PER_GROUP) {
        let rows: Vec<[String; 12]> = group.iter().map(|s| row(s, steps)).collect();
        let columns: Vec<ArrayRef> = (0..COLUMNS.len())
            .map(|c| {
                Arc::new(
                    rows.iter()
                        .map(|r| Some(r[c].as_str()))
                        .collect::<StringArray>(),
                ) as ArrayRef
            })
            .collect();
        let batch =
            RecordBatch::try_new(schema.clone(), columns).map_err(|e| parquet_err(path, &e))?;
        w.write(&batch).map_err(|e| parquet_err(path, &e))?;
    }
    w.close().map_err(|e| parquet_err(path, &e))?;
    Ok(())
}

fn row(s: &RunSpec, steps: usize) -> [String; 12] {
    let mut rng = Rng::new(s.stream, 0xC0F1);
    let state = if rng.below(50) == 0 {
        "crashed"
    } else {
        "finished"
    };
    let last_step = s.logging_steps * steps as u64;
    let runtime = last_step as f64 * (0.5 + rng.unit());
    let metadata = json!({
        "args": ["--model_name_or_path", s.model_path, "--learning_rate", s.learning_rate.to_string()],
        "codePath": if s.dpo { "open_instruct/dpo_tune_cache.py" } else { "open_instruct/finetune.py" },
        "cpu_count": 64, "cudaVersion": "12.4", "email": "user1@example.invalid",
        "executable": "/weka/envs/oi/bin/python", "git": {"commit": format!("{:040x}", u128::from(rng.next())), "remote": "https://github.com/hadasah/open-instruct-fts.git"},
        "gpu": "NVIDIA H100 80GB HBM3", "gpu_count": 8, "host": "node-017", "os": "Linux-5.15.0",
        "program": "open_instruct/finetune.py", "python": "CPython 3.11.13", "root": "/weka/open-instruct-fts",
        "startedAt": iso(s.created_at_s), "username": "user1",
    });
    let system_metrics = json!({"system.cpu": 0.75, "system.memory": 41.2, "system.gpu.0.powerWatts": 402.1, "system.gpu.0.memoryAllocated": 71.3});
    let system_attrs = json!({
        "tags": tags(s), "historyLineCount": steps, "historyKeys": {"lastStep": last_step, "sets": []},
        "displayName": s.name, "jobType": null, "group": null, "notes": null, "readOnly": false,
        "user": {"name": "Example User", "username": "user1"},
    });
    [
        s.name.clone(),
        s.name.clone(),
        state.into(),
        PROJECT.into(),
        ENTITY.into(),
        iso(s.created_at_s),
        Value::Object(config(s, &mut rng)).to_string(),
        Value::Object(summary(s, &mut rng, last_step, runtime)).to_string(),
        metadata.to_string(),
        system_metrics.to_string(),
        system_attrs.to_string(),
        json!({"sweep_id": null, "sweep_url": null}).to_string(),
    ]
}

fn tags(s: &RunSpec) -> Vec<String> {
    let kind = if s.dpo { "dpo_tune_cache" } else { "finetune" };
    vec![kind.into(), SIZES[s.size].label.into(), "ptscale".into()]
}

/// About 500 keys: open-instruct arguments, the HF model config, and the lineage keys added
/// after the fact (`pretrain_*`, `model_*` as strings, `pretrain_eval_*`).
fn config(s: &RunSpec, rng: &mut Rng) -> Map<String, Value> {
    let size = &SIZES[s.size];
    let tokens = s.ckpt_step * size.batch_size * 2048;
    let mut c = Map::new();
    let mut put = |k: &str, v: Value| {
        c.insert(k.to_owned(), v);
    };
    put(
        "exp_name",
        json!(if s.dpo { "dpo_tune_cache" } else { "finetune" }),
    );
    put("run_name", json!(s.name));
    put("seed", json!(8));
    put("wandb_entity", json!(ENTITY));
    put("wandb_project_name", json!(PROJECT));
    put("wandb_tags", json!(tags(s).join(",")));
    put("report_to", json!(["wandb"]));
    put("with_tracking", json!(true));
    put("push_to_hub", json!(false));
    put("output_dir", json!(s.output_dir));
    put("timeout", json!(1800));
    put("model_name_or_path", json!(s.model_path));
    put("model_revision", json!(s.revision));
    put("tokenizer_name_or_path", json!(s.model_path));
    put("tokenizer_revision", json!(s.revision));
    put("use_slow_tokenizer", json!(true));
    put("add_bos", json!(false));
    put("learning_rate", json!(s.learning_rate));
    put("lr_scheduler_type", json!("linear"));
    put("warmup_ratio", json!(0.03));
    put("weight_decay", json!(0));
    put("num_train_epochs", json!(1));
    put("max_train_steps", Value::Null);
    put("per_device_train_batch_size", json!(4));
    put("gradient_accumulation_steps", json!(16));
    put("max_seq_length", json!(4096));
    put("clip_grad_norm", json!(-1));
    put("gradient_checkpointing", json!(true));
    put("use_flash_attn", json!(true));
    put("use_lora", json!(false));
    put("lora_rank", json!(64));
    put("lora_alpha", json!(16));
    put("lora_dropout", json!(0.1));
    put("use_qlora", json!(false));
    put("fused_optimizer", json!(true));
    put("use_8bit_optimizer", json!(false));
    put("use_liger_kernel", json!(false));
    put(
        "checkpointing_steps",
        json!(if rng.below(2) == 0 { "1000" } else { "epoch" }),
    );
    put("keep_last_n_checkpoints", json!(3));
    put("logging_steps", json!(s.logging_steps));
    put("resume_from_checkpoint", Value::Null);
    put(
        "dataset_mixer_list",
        json!(["allenai/tulu-3-sft-mixture", "1.0"]),
    );
    put("dataset_mixer_list_splits", json!(["train"]));
    put(
        "dataset_transform_fn",
        json!(["sft_tulu_tokenize_and_truncate_v1", "sft_tulu_filter_v1"]),
    );
    put("dataset_cache_mode", json!("local"));
    put("max_train_samples", json!(140_000));
    put("chat_template_name", json!("tulu"));
    put("hf_metadata_dataset", json!("allenai/tulu-3-evals"));
    if s.dpo {
        put("dpo_beta", json!(5));
        put("dpo_loss_type", json!("dpo_norm"));
        put("dpo_label_smoothing", json!(0.0));
    } else {
        put(
            "reduce_loss",
            json!(if rng.below(4) == 0 { "sum" } else { "mean" }),
        );
        put("sft_messages_key", json!("messages"));
    }
    // Arguments open-instruct grows with every version.
    for i in 0..80 {
        put(&format!("oi_arg_{i:02}"), json!(rng.below(1000)));
    }
    // The HF model config.
    put("architectures", json!(["OLMoForCausalLM"]));
    put("model_type", json!("olmo"));
    put("d_model", json!(64 * (4 + s.size)));
    put("torch_dtype", json!("bfloat16"));
    put("vocab_size", json!(50_280));
    for i in 0..55 {
        put(&format!("hf_config_{i:02}"), json!(rng.unit()));
    }
    // Lineage keys added later, in their messy types.
    put("model_size", json!(size.params_training.to_string()));
    put("model_pretrain_steps", json!(s.ckpt_step.to_string()));
    put("pretrain_steps", json!(s.ckpt_step));
    put("pretrain_tokens", json!(tokens));
    put(
        "pretrain_compute",
        json!(6.0 * size.params_training as f64 * tokens as f64),
    );
    for task in OLMES_TASKS {
        for metric in 0..30 {
            put(
                &format!("pretrain_eval_{task}_metric{metric:02}"),
                json!(rng.unit()),
            );
        }
    }
    c
}

/// About 370 keys: the run's final logged values and oe-eval results in both the nested
/// (`oe_eval_metrics/<task>`) and the flat (`oe_eval_metrics/<task>/<metric>`) shape.
fn summary(s: &RunSpec, rng: &mut Rng, last_step: u64, runtime: f64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("_runtime".into(), json!(runtime));
    m.insert("_step".into(), json!(last_step));
    m.insert("_timestamp".into(), json!(s.created_at_s as f64 + runtime));
    m.insert("_wandb".into(), json!({"runtime": runtime as i64}));
    // A finished DPO run logs its last learning rate as the integer 0.
    m.insert(
        "learning_rate".into(),
        if s.dpo {
            json!(0)
        } else {
            json!(s.learning_rate * 0.01)
        },
    );
    m.insert("train_loss".into(), json!(0.5 + rng.unit()));
    if s.dpo {
        m.insert("rewards/accuracy".into(), json!(0.5 + 0.4 * rng.unit()));
        m.insert("logps/chosen".into(), json!(-1.0 - rng.unit()));
    } else {
        m.insert("total_tokens".into(), json!(last_step * 91_330));
    }
    for (t, task) in OLMES_TASKS.iter().enumerate() {
        let mut nested = Map::new();
        for metric in EVAL_METRICS {
            let v = 0.2 + 0.6 * rng.unit();
            nested.insert(metric.into(), json!(v));
            m.insert(format!("oe_eval_metrics/{task}/{metric}"), json!(v));
        }
        nested.insert("num_instances".into(), json!(1000 + 17 * t));
        nested.insert(
            "task_config".into(),
            json!({"task_name": task, "primary_metric": "acc_uncond", "num_shots": 5,
                   "metadata": {"alias": format!("{task}:rc::olmes:full"), "regimes": ["OLMES-v0.1"]}}),
        );
        m.insert(format!("oe_eval_metrics/{task}"), Value::Object(nested));
    }
    // MMLU subjects in the flat shape only.
    for subject in MMLU_SUBJECTS {
        for metric in &EVAL_METRICS[..5] {
            m.insert(
                format!("oe_eval_metrics/mmlu_{subject}:mc::olmes/{metric}"),
                json!(0.2 + 0.5 * rng.unit()),
            );
        }
    }
    m
}
