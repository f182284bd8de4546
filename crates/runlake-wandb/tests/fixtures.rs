//! Conversion of the hand-written fixtures in `testdata/`, values asserted exactly.

mod common;

use common::*;
use runlake_wandb::model::Inputs;
use runlake_wandb::{BuildOptions, build, read};

const A: &str =
    "wandb/ml-moe/ft-scaling/250912-172812_match_150M_c4_finetune_100Mtx1_DD-d17-530M-6250-2";
const B: &str = "wandb/ml-moe/ft-scaling/2025_08_27-07_52_26_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default_--learning_rate=2e-07";
const C: &str = "wandb/ml-moe/ft-scaling/2025_08_21-15_03_00_test_finetune_DD-dolma1_7-4M_main_100M_toks_--learning_rate=5e-06";
const D: &str = "wandb/ml-moe/ft-scaling/2025_08_21-08_24_43_test_finetune_DD-dolma1_7-4M_main_1Mtx1_--learning_rate=5e-07";
const E: &str = "wandb/ml-moe/ft-scaling/250901-155734_test_finetune_DD-dclm-baseline-150M_Ft_learning_rate=5e-05";
const F: &str =
    "wandb/ml-moe/ft-scaling/2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default";
const G: &str = "wandb/ml-moe/ft-scaling/g7k2m9qa";

fn v3() -> runlake_wandb::build::Batches {
    let mut inputs = Inputs::default();
    read::read_path(
        &testdata().join("wandb/dr_wandb_v3/ft-scaling"),
        &mut inputs,
    )
    .expect("read");
    assert_eq!(inputs.runs.len(), 7);
    assert_eq!(inputs.history.len(), 34);
    build(inputs, &[], &BuildOptions::default())
        .expect("build")
        .batches(|_| true)
        .expect("batches")
}

#[test]
fn metadata_is_typed_and_classified() {
    let b = v3().metadata;
    assert_eq!(b.num_rows(), 7);
    let a = one(&b, &[("run_uid", A)]);
    assert_eq!(s(&b, "phase", a).as_deref(), Some("posttrain"));
    assert_eq!(s(&b, "training_type", a).as_deref(), Some("sft"));
    assert_eq!(
        s(&b, "training_type_reason", a).as_deref(),
        Some("config key reduce_loss")
    );
    assert_eq!(s(&b, "source", a).as_deref(), Some("wandb_v3"));
    assert_eq!(
        (
            s(&b, "recipe", a),
            s(&b, "size", a),
            s(&b, "seed", a),
            i(&b, "seed_value", a)
        ),
        (
            Some("dolma1_7".into()),
            Some("530M".into()),
            Some("small-aux-3".into()),
            Some(15)
        )
    );
    assert_eq!(i(&b, "params_training", a), Some(530_100_000));
    assert_eq!(i(&b, "created_at", a), Some(1_757_723_423_000_000));
    assert_eq!(i(&b, "final_step", a), Some(1000));
    assert_eq!(f(&b, "runtime_seconds", a), Some(21801.460057707));
    assert_eq!(f(&b, "learning_rate", a), Some(5e-06));
    assert_eq!(i(&b, "effective_batch_size", a), Some(64));
    assert_eq!(i(&b, "max_seq_length", a), Some(4096));
    assert_eq!(f(&b, "warmup_ratio", a), Some(0.03));
    assert_eq!(s(&b, "lr_scheduler_type", a).as_deref(), Some("linear"));
    assert_eq!(s(&b, "reduce_loss", a).as_deref(), Some("sum"));
    assert_eq!(f(&b, "dpo_beta", a), None);
    let hp = map(&b, "hparams", a);
    let get = |k: &str| hp.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    // Integers beyond i64 stay exact text; `{desc, value}` wrappers are unwrapped.
    assert_eq!(
        get("model_pretrain_compute").as_deref(),
        Some("\"168631869269606400000\"")
    );
    assert_eq!(
        get("pretrain_compute").as_deref(),
        Some("1.686318692696064e+20")
    );
    assert_eq!(
        get("tokenizer_name_or_path").as_deref(),
        Some("\"allenai/DataDecide-dolma1_7-530M\"")
    );
    assert_eq!(
        get("architectures").as_deref(),
        Some("[\"OLMoForCausalLM\"]")
    );
    let config = s(&b, "config_json", a).expect("config");
    assert!(config.contains("\"model_pretrain_compute\":\"168631869269606400000\""));
    assert!(config.contains("\"tokenizer_name_or_path\":{\"desc\":null,\"value\":"));

    let dpo = one(&b, &[("run_uid", B)]);
    assert_eq!(s(&b, "training_type", dpo).as_deref(), Some("dpo"));
    assert_eq!(
        s(&b, "training_type_reason", dpo).as_deref(),
        Some("config key dpo_beta")
    );
    assert_eq!(f(&b, "dpo_beta", dpo), Some(5.0));
    assert_eq!(s(&b, "dpo_loss_type", dpo).as_deref(), Some("dpo_norm"));
    assert_eq!(f(&b, "dpo_label_smoothing", dpo), Some(0.0));
    assert_eq!(i(&b, "effective_batch_size", dpo), Some(64));
    assert!(
        s(&b, "summary_json", dpo)
            .expect("summary")
            .contains("\"learning_rate\":0,")
    );

    let d = one(&b, &[("run_uid", D)]);
    assert_eq!(i(&b, "final_step", d), None);
    assert_eq!(f(&b, "runtime_seconds", d), Some(90.0));
    let e = one(&b, &[("run_uid", E)]);
    assert_eq!(f(&b, "learning_rate", e), None);
    assert_eq!(s(&b, "model_name_or_path", e), None);
    assert_eq!(s(&b, "training_type", e).as_deref(), Some("sft"));
    assert_eq!(i(&b, "params_training", e), Some(151_900_000));
    let fr = one(&b, &[("run_uid", F)]);
    assert_eq!(s(&b, "state", fr).as_deref(), Some("crashed"));
    let g = one(&b, &[("run_uid", G)]);
    assert_eq!(s(&b, "state", g).as_deref(), Some("failed"));
    assert_eq!(
        s(&b, "run_name", g),
        s(&b, "run_name", one(&b, &[("run_uid", C)]))
    );
}

#[test]
fn steps_dedup_flag_conflicts_and_keep_nan() {
    let b = v3().posttrain_steps;
    let a_rows = rows_where(&b, &[("run_uid", A)]);
    // 10 steps, the identical re-export at 500 merged, the conflicting 600 kept twice.
    assert_eq!(a_rows.len(), 11);
    let at600 = rows_where(&b, &[("run_uid", A)])
        .into_iter()
        .filter(|&r| i(&b, "step", r) == Some(600))
        .collect::<Vec<_>>();
    assert_eq!(at600.len(), 2);
    assert_eq!(i(&b, "variant", at600[0]), Some(0));
    assert_eq!(i(&b, "variant", at600[1]), Some(1));
    assert!(flag(&b, "conflict", at600[0]) && flag(&b, "conflict", at600[1]));
    assert_eq!(f(&b, "train_loss", at600[0]), Some(1.294));
    assert_eq!(f(&b, "train_loss", at600[1]), Some(1.5));
    let at500: Vec<_> = a_rows
        .iter()
        .filter(|&&r| i(&b, "step", r) == Some(500))
        .collect();
    assert_eq!(at500.len(), 1);
    assert!(!flag(&b, "conflict", *at500[0]));
    let first = a_rows[0];
    assert_eq!(i(&b, "step", first), Some(100));
    assert_eq!(i(&b, "timestamp", first), Some(1_757_725_657_000_000));
    assert_eq!(f(&b, "runtime_seconds", first), Some(4453.79));
    assert_eq!(f(&b, "per_device_tps", first), Some(1023.4));

    let fr = rows_where(&b, &[("run_uid", F)]);
    assert_eq!(fr.len(), 3);
    assert_eq!(i(&b, "timestamp", fr[1]), None);
    assert!(f(&b, "train_loss", fr[1]).expect("bare NaN").is_nan());
    assert!(f(&b, "train_loss", fr[2]).expect("string NaN").is_nan());
    assert_eq!(f(&b, "learning_rate", fr[2]), Some(f64::INFINITY));
    assert_eq!(f(&b, "grad_norm", fr[2]), Some(f64::NEG_INFINITY));
    assert_eq!(i(&b, "timestamp", fr[2]), Some(1_755_582_470_100_000));
    assert_eq!(
        s(&b, "extra_json", fr[2]).as_deref(),
        Some(r#"{"sent_as_string":["train_loss"],"extra":{"_custom":1}}"#)
    );

    let dpo = rows_where(&b, &[("run_uid", B)]);
    assert_eq!(dpo.len(), 5);
    assert_eq!(s(&b, "training_type", dpo[2]).as_deref(), Some("dpo"));
    assert_eq!(f(&b, "rewards_accuracy", dpo[2]), Some(0.5));
    assert_eq!(f(&b, "logps_chosen", dpo[2]), Some(-1.43));
    assert_eq!(
        map(&b, "extra_metrics", dpo[2]),
        vec![
            ("training_step".to_owned(), "3.0".to_owned()),
            ("rewards/average".to_owned(), "0.0".to_owned())
        ]
    );
    assert!(rows_where(&b, &[("run_uid", D)]).is_empty());
}

#[test]
fn evals_merge_both_summary_shapes() {
    let b = v3().evals;
    let nested = one(
        &b,
        &[
            ("run_uid", A),
            ("task", "arc_challenge"),
            ("source", "wandb_summary_nested"),
        ],
    );
    assert_eq!(
        s(&b, "task_alias", nested).as_deref(),
        Some("arc_challenge:rc::olmes:full")
    );
    assert_eq!(s(&b, "phase", nested).as_deref(), Some("posttrain"));
    assert_eq!(i(&b, "step", nested), None);
    assert_eq!(
        s(&b, "primary_metric_name", nested).as_deref(),
        Some("acc_uncond")
    );
    assert_eq!(f(&b, "primary_score", nested), Some(0.2721843003));
    assert_eq!(f(&b, "acc_uncond", nested), Some(0.2721843003));
    assert_eq!(f(&b, "no_answer", nested), Some(0.0));
    assert_eq!(i(&b, "num_instances", nested), Some(1172));
    assert_eq!(s(&b, "recipe", nested).as_deref(), Some("dolma1_7"));
    // The flat keys of the same task fill the nested row's gaps; the nested value wins where
    // they disagree, and the flat one is kept as a conflict.
    assert!(rows_where(&b, &[("run_uid", A), ("source", "wandb_summary_flat")]).is_empty());
    assert_eq!(f(&b, "correct_choice", nested), Some(1.523890785));
    assert_eq!(
        s(&b, "details_json", nested)
            .map(|d| d.ends_with(r#""flat_conflicts":{"acc_uncond":0.28}}"#)),
        Some(true)
    );
    let suite = one(
        &b,
        &[
            ("run_uid", A),
            ("task", "core_9mcqa"),
            ("source", "wandb_summary_nested"),
        ],
    );
    assert_eq!(s(&b, "suite", suite).as_deref(), Some("core_9mcqa"));
    assert_eq!(
        map(&b, "extra_metrics", suite),
        vec![
            ("acc_raw_macro".to_owned(), "0.3920652684".to_owned()),
            ("acc_raw_micro".to_owned(), "0.3907360406".to_owned())
        ]
    );
    // A flat `"NaN"` string fills the nested dict's gap.
    let d_flat = one(
        &b,
        &[
            ("run_uid", D),
            ("task", "boolq"),
            ("source", "wandb_summary_nested"),
        ],
    );
    assert!(
        f(&b, "acc_per_char", d_flat)
            .expect("\"NaN\" string")
            .is_nan()
    );
    // A nested dict alone is one row too.
    let b_arc = one(
        &b,
        &[
            ("run_uid", B),
            ("task", "arc_challenge"),
            ("source", "wandb_summary_nested"),
        ],
    );
    assert_eq!(f(&b, "primary_score", b_arc), Some(0.2559726962));
    // One row per (run, task): arc_challenge and core_9mcqa of A, arc_challenge of B, boolq
    // of D.
    assert_eq!(b.num_rows(), 4);
}

#[test]
fn lineage_resolves_and_flags_conflicts() {
    let b = v3().lineage;
    let ra = one(&b, &[("child_run_uid", A), ("evidence_source", "resolved")]);
    assert_eq!(
        s(&b, "parent_run_uid", ra).as_deref(),
        Some("dd/dolma1_7/530M/small-aux-3")
    );
    assert_eq!(i(&b, "parent_step", ra), Some(6250));
    assert_eq!(s(&b, "rule", ra).as_deref(), Some("run_name_checkpoint"));
    assert!(flag(&b, "conflict", ra) && flag(&b, "resolved", ra));
    let rev = one(
        &b,
        &[("child_run_uid", A), ("evidence_source", "model_revision")],
    );
    assert!(flag(&b, "conflict", rev));
    assert_eq!(i(&b, "parent_step", rev), Some(57786));
    let path = one(
        &b,
        &[
            ("child_run_uid", A),
            ("evidence_source", "model_name_or_path"),
        ],
    );
    assert!(!flag(&b, "conflict", path));
    assert_eq!(
        s(&b, "evidence_value", path).as_deref(),
        Some(
            "/gscratch/<redacted>/<redacted>/.cache/huggingface/hub/models--allenai--DataDecide-dolma1_7-530M/snapshots/431ab0a5d5f72760b44040f58223d3f90b04d80f"
        )
    );
    assert!(flag(
        &b,
        "conflict",
        one(
            &b,
            &[
                ("child_run_uid", A),
                ("evidence_source", "config:model_pretrain_steps")
            ]
        )
    ));

    let rb = one(&b, &[("child_run_uid", B), ("evidence_source", "resolved")]);
    assert_eq!(s(&b, "parent_run_uid", rb).as_deref(), Some(C));
    assert_eq!(s(&b, "relation", rb).as_deref(), Some("dpo_of"));
    assert_eq!(s(&b, "rule", rb).as_deref(), Some("post_training_output"));
    assert!(!flag(&b, "conflict", rb));

    let rc = one(&b, &[("child_run_uid", C), ("evidence_source", "resolved")]);
    assert_eq!(
        s(&b, "evidence_value", rc).as_deref(),
        Some("dd/dolma1_7/4M/default@5725")
    );
    assert_eq!(s(&b, "rule", rc).as_deref(), Some("main_revision"));
    assert!(!flag(&b, "conflict", rc));

    let re = one(&b, &[("child_run_uid", E), ("evidence_source", "resolved")]);
    assert_eq!(
        s(&b, "parent_run_uid", re).as_deref(),
        Some("dd/dclm-baseline/150M/default")
    );
    assert_eq!(i(&b, "parent_step", re), None);
    assert_eq!(s(&b, "rule", re).as_deref(), Some("size_only"));
    let steps = one(
        &b,
        &[
            ("child_run_uid", E),
            ("evidence_source", "config:pretrain_steps"),
        ],
    );
    assert!(flag(&b, "conflict", steps));
    assert_eq!(
        s(&b, "note", steps).as_deref(),
        Some(
            "differs from the resolved checkpoint: step 69369 exceeds the final step 38157 of 150M"
        )
    );

    let link = one(&b, &[("evidence_source", "same_name")]);
    assert_eq!(s(&b, "child_run_uid", link).as_deref(), Some(C));
    assert_eq!(s(&b, "parent_run_uid", link).as_deref(), Some(G));
    assert_eq!(s(&b, "relation", link).as_deref(), Some("duplicate_of"));
}

#[test]
fn personal_data_is_removed_by_default_and_kept_on_request() {
    let batches = v3();
    for b in [
        &batches.metadata,
        &batches.posttrain_steps,
        &batches.evals,
        &batches.lineage,
    ] {
        let text = all_text(b);
        for pii in [
            "fixture_person",
            "fixture.person@example.invalid",
            "node042",
            "Fixture Person",
        ] {
            assert!(!text.contains(pii), "{pii} leaked");
        }
    }
    let mut inputs = Inputs::default();
    read::read_path(
        &testdata().join("wandb/dr_wandb_v3/ft-scaling"),
        &mut inputs,
    )
    .expect("read");
    let opts = BuildOptions {
        keep_personal_data: true,
        ..BuildOptions::default()
    };
    let kept = build(inputs, &[], &opts)
        .expect("build")
        .batches(|_| true)
        .expect("batches");
    assert!(all_text(&kept.metadata).contains("fixture.person@example.invalid"));
}

#[test]
fn personal_data_is_removed_from_keys_in_any_case() {
    use runlake_wandb::json::Json;
    let mut inputs = Inputs::default();
    read::read_path(
        &testdata().join("wandb/dr_wandb_v3/ft-scaling"),
        &mut inputs,
    )
    .expect("read");
    let run = inputs
        .runs
        .iter_mut()
        .find(|r| A.ends_with(&r.run_id))
        .expect("run A");
    let num = |n: &str| runlake_wandb::json::parse(n).expect("number");
    run.config.push("NODE042_threads", num("4"));
    run.config
        .push("cache:~someone/x", Json::String("y".into()));
    run.summary.push(
        "oe_eval_metrics/arc_easy:rc::olmes:full/Fixture.Person@Example.Invalid_acc",
        num("0.5"),
    );
    let mut row = inputs
        .history
        .iter()
        .find(|h| A.ends_with(&h.run_id))
        .expect("a row of A")
        .clone();
    row.step = 99_999;
    row.metrics.push("FIXTURE_PERSON/loss", num("1.5"));
    row.metrics
        .push("probe:/gscratch/zlab/someone/x", Json::String("z".into()));
    inputs.history.push(row);
    let batches = build(inputs, &[], &BuildOptions::default())
        .expect("build")
        .batches(|_| true)
        .expect("batches");
    for b in [
        &batches.metadata,
        &batches.posttrain_steps,
        &batches.evals,
        &batches.lineage,
    ] {
        let text = all_text(b).to_lowercase();
        for pii in [
            "fixture_person",
            "fixture.person@example.invalid",
            "node042",
            "someone",
        ] {
            assert!(!text.contains(pii), "{pii} leaked");
        }
    }
    // The keys are kept, with the personal part replaced.
    assert!(all_text(&batches.posttrain_steps).contains("<redacted>/loss"));
    assert!(all_text(&batches.metadata).contains("<redacted>_threads"));
}

#[test]
fn oe_eval_folders_match_by_run_option_and_model_path() {
    let mut inputs = Inputs::default();
    read::read_path(
        &testdata().join("wandb/dr_wandb_v3/ft-scaling"),
        &mut inputs,
    )
    .expect("read");
    read::read_path(&testdata().join("oe_eval/ft-run-A"), &mut inputs).expect("read");
    // Without a run option, `/m/ft-run-A/final` names no run.
    let err = build(inputs.clone(), &[], &BuildOptions::default()).expect_err("unmatched");
    assert!(err.to_string().contains("/m/ft-run-A/final"), "{err}");
    let opts = BuildOptions {
        oe_eval_run: Some(A.rsplit('/').next().expect("id").to_owned()),
        ..BuildOptions::default()
    };
    read::read_path(
        &testdata().join("oe_eval/dump-2025-11-03_posttrain"),
        &mut inputs,
    )
    .expect("read");
    let built = build(inputs, &[], &opts);
    // The explicit run applies to every folder of the conversion.
    let b = built
        .expect("build")
        .batches(|_| true)
        .expect("batches")
        .evals;
    let arc = one(
        &b,
        &[
            ("run_uid", A),
            ("task", "arc_challenge"),
            ("source", "oe_eval_metrics_all"),
        ],
    );
    assert_eq!(f(&b, "primary_score", arc), Some(0.2721843003));
    assert_eq!(f(&b, "no_answer", arc), Some(0.0));
    let agg = one(
        &b,
        &[
            ("run_uid", A),
            ("task", "core_9mcqa"),
            ("source", "oe_eval_metrics_all"),
        ],
    );
    assert_eq!(s(&b, "suite", agg).as_deref(), Some("core_9mcqa"));
    assert_eq!(i(&b, "num_instances", agg), Some(13640));
    let mc = one(
        &b,
        &[
            ("run_uid", A),
            ("task", "boolq:mc"),
            ("source", "oe_eval_task_metrics"),
        ],
    );
    assert_eq!(s(&b, "task_alias", mc).as_deref(), Some("boolq:mc::olmes"));
    assert_eq!(f(&b, "primary_score", mc), Some(0.65));
    let piqa = one(
        &b,
        &[
            ("run_uid", A),
            ("task", "piqa"),
            ("source", "oe_eval_metrics_json"),
        ],
    );
    assert_eq!(f(&b, "primary_score", piqa), Some(0.701));
    assert!(
        rows_where(
            &b,
            &[
                ("run_uid", A),
                ("task", "arc_challenge"),
                ("source", "oe_eval_metrics_json")
            ]
        )
        .is_empty()
    );

    // Model-path matching: the chat dump's model path lies inside run C's output folder.
    let mut inputs = Inputs::default();
    read::read_path(
        &testdata().join("wandb/dr_wandb_v3/ft-scaling"),
        &mut inputs,
    )
    .expect("read");
    read::read_path(
        &testdata().join("oe_eval/dump-2025-11-03_posttrain"),
        &mut inputs,
    )
    .expect("read");
    let built = build(inputs, &[], &BuildOptions::default()).expect("build");
    // C and G share an output folder; G is listed later, yet C's run id is the path segment.
    let m = &built.report.oe_eval[0];
    assert_eq!(m.run_uid, C);
    let b = built.batches(|_| true).expect("batches").evals;
    let ifeval = one(&b, &[("task", "ifeval"), ("source", "oe_eval_metrics_all")]);
    assert_eq!(s(&b, "run_uid", ifeval).as_deref(), Some(C));
    assert_eq!(s(&b, "task_alias", ifeval).as_deref(), Some("ifeval::tulu"));
    assert_eq!(f(&b, "primary_score", ifeval), Some(0.41));
    assert_eq!(
        map(&b, "extra_metrics", ifeval),
        vec![
            ("prompt_level_loose_acc".to_owned(), "0.41".to_owned()),
            ("inst_level_strict_acc".to_owned(), "0.52".to_owned())
        ]
    );
}

#[test]
fn legacy_jsonl_export() {
    let mut inputs = Inputs::default();
    read::read_path(&testdata().join("wandb/legacy_v0"), &mut inputs).expect("read");
    assert_eq!(inputs.runs.len(), 2);
    assert_eq!(inputs.history.len(), 3);
    let built = build(inputs, &[], &BuildOptions::default()).expect("build");
    assert_eq!(built.report.naive_timestamps, 3);
    let b = built.batches(|_| true).expect("batches");
    let h = "wandb/ml-moe/ft-scaling-v0/250915-101010_test_finetune_DD-c4-150M-1250-1_learning_rate=1e-05";
    let hi = "wandb/ml-moe/ft-scaling-v0/250916-111111_test_finetune_DD-dclm-baseline-1B-2500-3_learning_rate=2e-05";
    let m = one(&b.metadata, &[("run_uid", hi)]);
    assert_eq!(
        s(&b.metadata, "source", m).as_deref(),
        Some("wandb_legacy_jsonl")
    );
    // Config and summary arrived as JSON strings.
    assert_eq!(f(&b.metadata, "learning_rate", m), Some(2e-05));
    assert_eq!(i(&b.metadata, "params_training", m), Some(1_176_800_000));
    assert_eq!(
        s(&b.metadata, "summary_json", m).as_deref(),
        Some(r#"{"_step":200,"train_loss":NaN,"total_tokens":12345678901234567890123}"#)
    );
    assert_eq!(s(&b.metadata, "seed", m).as_deref(), Some("large-aux-2"));
    let tags = arrow::util::display::array_value_to_string(
        b.metadata.column_by_name("tags").expect("tags"),
        m,
    )
    .expect("tags");
    assert_eq!(tags, "[finetune]");
    let r = one(
        &b.lineage,
        &[("child_run_uid", h), ("evidence_source", "resolved")],
    );
    assert_eq!(
        s(&b.lineage, "parent_run_uid", r).as_deref(),
        Some("dd/c4/150M/small-aux-2")
    );
    assert_eq!(i(&b.lineage, "parent_step", r), Some(1250));
    assert_eq!(s(&b.lineage, "rule", r).as_deref(), Some("revision_branch"));
    assert!(!flag(&b.lineage, "conflict", r));
    let steps = rows_where(&b.posttrain_steps, &[("run_uid", h)]);
    // Naive `2025-09-15 10:20:10` read as UTC.
    assert_eq!(
        i(&b.posttrain_steps, "timestamp", steps[0]),
        Some(1_757_931_610_000_000)
    );
    let si = one(&b.posttrain_steps, &[("run_uid", hi)]);
    assert_eq!(
        f(&b.posttrain_steps, "total_tokens", si),
        Some(530_100_000.0)
    );
}

/// A run's content hash decides, on every later conversion, whether the lake's copy is
/// unchanged; a release that hashed the same rows differently would replace every run.
#[test]
fn content_hashes_stay_those_earlier_releases_stored() {
    let mut hashes = Vec::new();
    for dir in [
        "wandb/dr_wandb_v3/ft-scaling",
        "wandb/chains",
        "wandb/legacy_v0",
    ] {
        let mut inputs = Inputs::default();
        read::read_path(&testdata().join(dir), &mut inputs).expect("read");
        let built = build(inputs, &[], &BuildOptions::default()).expect("build");
        hashes.extend(
            built
                .runs
                .iter()
                .map(|r| format!("{} {}", &r.content_hash[..16], r.run_uid)),
        );
    }
    hashes.sort();
    assert_eq!(hashes, PINNED_HASHES);
}

const PINNED_HASHES: &[&str] = &[
    "043757ab26020eb3 wandb/ml-moe/ft-scaling/2025_08_27-07_52_26_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default_--learning_rate=2e-07",
    "163bb22732064602 wandb/ml-moe/chains/dpo00003",
    "1bc43ca90ef103ea wandb/ml-moe/ft-scaling-v0/250916-111111_test_finetune_DD-dclm-baseline-1B-2500-3_learning_rate=2e-05",
    "2d15e3568bf927d7 wandb/ml-moe/ft-scaling/2025_08_21-15_03_00_test_finetune_DD-dolma1_7-4M_main_100M_toks_--learning_rate=5e-06",
    "45d23af53fe7aca4 wandb/ml-moe/chains/sftfail1",
    "488765c698ecc62a wandb/ml-moe/ft-scaling/g7k2m9qa",
    "6b71a61f363bf059 wandb/ml-moe/ft-scaling/250901-155734_test_finetune_DD-dclm-baseline-150M_Ft_learning_rate=5e-05",
    "6dc26a23fa0f2770 wandb/ml-moe/ft-scaling-v0/250915-101010_test_finetune_DD-c4-150M-1250-1_learning_rate=1e-05",
    "94025b40652e6e7c wandb/ml-moe/ft-scaling/2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default",
    "b0d07ef8ab2bbc21 wandb/ml-moe/chains/dpo00004",
    "e710353d8b076869 wandb/ml-moe/ft-scaling/2025_08_21-08_24_43_test_finetune_DD-dolma1_7-4M_main_1Mtx1_--learning_rate=5e-07",
    "e887dc4fdabd3e7a wandb/ml-moe/chains/sftok002",
    "ea9a8fe4e4febbaf wandb/ml-moe/ft-scaling/250912-172812_match_150M_c4_finetune_100Mtx1_DD-d17-530M-6250-2",
];
