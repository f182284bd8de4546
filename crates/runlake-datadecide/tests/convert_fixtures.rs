//! The hand-written fixtures convert to exactly the expected values.

mod common;

use arrow::array::Array;
use common::{Rows, convert, testdata};
use runlake_datadecide::{ConvertError, ConvertOptions, OnError};
use runlake_format::Table;

fn skip() -> ConvertOptions {
    ConvertOptions {
        on_error: OnError::Skip,
        ..Default::default()
    }
}

#[test]
fn train_split_converts_exactly() {
    let (t, s) = convert(
        &[testdata("eval-results/data/train.rows.jsonl")],
        ConvertOptions::default(),
    )
    .expect("convert");
    let evals = Rows(&t[&Table::Evals]);
    // 8 rows, one exact duplicate, plus the derived mmlu_average.
    assert_eq!(t[&Table::Evals].num_rows(), 8);
    assert_eq!(s.table(Table::Evals).deduplicated, 1);
    assert_eq!(s.table(Table::Evals).written, 8);
    assert_eq!(s.rows_read, 8);
    assert_eq!(s.derived_rows, 1);

    let r = evals.find("dd/dclm-baseline/10M/small-aux-2", 0, Some("arc_challenge"));
    assert_eq!(evals.str(r, "phase").as_deref(), Some("pretrain"));
    assert_eq!(evals.str(r, "source").as_deref(), Some("dd_hf_train"));
    assert_eq!(evals.str(r, "recipe").as_deref(), Some("dclm-baseline"));
    assert_eq!(evals.str(r, "seed").as_deref(), Some("small-aux-2"));
    assert_eq!(
        evals.str(r, "primary_metric_name").as_deref(),
        Some("acc_uncond")
    );
    assert_eq!(evals.f64(r, "primary_score"), Some(0.2704778016));
    assert_eq!(evals.f64(r, "acc_raw"), Some(0.232081905));
    assert_eq!(evals.f64(r, "correct_prob"), Some(2.1525e-06));
    assert_eq!(evals.f64(r, "bits_per_byte_corr"), Some(3.3214051723));
    assert_eq!(evals.f64(r, "no_answer"), Some(0.0));
    assert_eq!(evals.f64(r, "margin"), None);
    assert_eq!(
        evals.extra(r),
        vec![("predicted_index_raw".to_owned(), Some(1.53))]
    );
    assert!(!evals.bool(r, "derived"));

    // boolq has no acc_uncond; its policy metric is acc_raw.
    let r = evals.find("dd/c4/150M/default", 1250, Some("boolq"));
    assert_eq!(evals.f64(r, "acc_uncond"), None);
    assert_eq!(evals.f64(r, "acc_per_char"), Some(0.62));
    assert_eq!(evals.f64(r, "primary_score"), Some(0.61));

    let r = evals.find("dd/c4/150M/default", 1250, Some("mmlu_average"));
    assert!(evals.bool(r, "derived"));
    assert_eq!(evals.f64(r, "acc_raw"), Some((0.24 + 0.23) / 2.0));
    assert_eq!(evals.f64(r, "primary_score"), Some((0.24 + 0.23) / 2.0));
    assert_eq!(evals.str(r, "suite").as_deref(), Some("mmlu"));
    assert_eq!(
        evals.str(r, "details_json").as_deref(),
        Some(r#"{"derived_from":"mean of mmlu_* subject rows","subjects":2}"#)
    );

    // `nan` inside the repr stays NaN; piqa's policy metric is absent, so no primary score.
    let r = evals.find("dd/dolma1_7/4M/default", 5735, Some("piqa"));
    assert!(evals.f64(r, "acc_raw").expect("acc_raw").is_nan());
    assert!(evals.f64(r, "primary_metric").expect("primary").is_nan());
    assert_eq!(evals.f64(r, "primary_score"), None);

    let r = evals.find(
        "dd/dclm-baseline-25p-dolma1.7-75p/1B/large-aux-2",
        2500,
        Some("hellaswag"),
    );
    assert_eq!(evals.f64(r, "primary_score"), Some(0.31));
    assert_eq!(evals.f64(r, "acc_raw"), Some(0.29));

    let ck = Rows(&t[&Table::PretrainCkpts]);
    assert_eq!(t[&Table::PretrainCkpts].num_rows(), 4);
    let r = ck.find("dd/dolma1_7/4M/default", 5735, None);
    assert_eq!(ck.i64(r, "tokens"), Some(375_849_000));
    assert_eq!(ck.i64(r, "tokens_expected"), Some(375_848_960));
    assert_eq!(ck.f64(r, "compute"), Some(8.444947e15));
    // Given by the export, so not derived; the learning rate never is.
    assert!(!ck.bool(r, "tokens_derived"));
    assert!(!ck.bool(r, "compute_derived"));
    assert!(ck.bool(r, "lr_derived"));
    let r = ck.find(
        "dd/dclm-baseline-25p-dolma1.7-75p/1B/large-aux-2",
        2500,
        None,
    );
    assert_eq!(ck.i64(r, "tokens"), Some(3_604_480_000));
    assert_eq!(ck.i64(r, "tokens_expected"), Some(3_604_480_000));
    // Only the 4M checkpoint disagrees with its schedule (tokens rounded in the source).
    assert_eq!(
        s.schedule_disagreements_total, 1,
        "{:?}",
        s.schedule_disagreements
    );
    assert_eq!(
        s.schedule_disagreements[0],
        "dd/dolma1_7/4M/default step 5735: tokens 375849000 but the schedule gives 375848960"
    );

    let md = Rows(&t[&Table::Metadata]);
    assert_eq!(t[&Table::Metadata].num_rows(), 4);
    let uid = t[&Table::Metadata].column_by_name("run_uid").expect("uid");
    let uid = arrow::array::AsArray::as_string::<i32>(uid);
    let r = (0..uid.len())
        .find(|&i| uid.value(i) == "dd/dclm-baseline-25p-dolma1.7-75p/1B/large-aux-2")
        .expect("1B run");
    assert_eq!(md.str(r, "training_type").as_deref(), Some("pretrain"));
    assert_eq!(md.str(r, "seed").as_deref(), Some("large-aux-2"));
    assert_eq!(md.i64(r, "seed_value"), Some(4));
    assert_eq!(md.i64(r, "params_nominal"), Some(1_000_000_000));
    assert_eq!(md.i64(r, "params_training"), Some(1_176_800_000));
    assert_eq!(md.i64(r, "batch_size"), Some(704));
    assert_eq!(md.i64(r, "final_step"), Some(69369));
    assert_eq!(md.i64(r, "tokens_per_step"), Some(704 * 2048));
    // datadec's model config (steps as its create_model_config gives them) and dataset
    // features, typed, from the HF export alone.
    assert_eq!(md.i64(r, "d_model"), Some(2048));
    assert_eq!(md.i64(r, "n_layers"), Some(16));
    assert_eq!(md.i64(r, "n_heads"), Some(16));
    assert_eq!(md.i64(r, "mlp_ratio"), Some(8));
    assert_eq!(md.i64(r, "total_steps"), Some(69_359));
    assert_eq!(md.i64(r, "warmup_steps"), Some(2018));
    let lr_max = md.f64(r, "lr_max").expect("lr_max");
    assert!((lr_max - 0.0047 * (1e9_f64 / 108e6).powf(-1.0 / 3.0)).abs() < 1e-15);
    assert_eq!(md.f64(r, "pct_code"), Some(8.9));
    assert_eq!(md.f64(r, "total_tokens_billions"), Some(2375.0));
    assert_eq!(md.i64(r, "num_sources_mixed"), Some(2));
    assert!(md.bool(r, "is_mixed_dataset"));
    assert_eq!(
        md.str(r, "extra_json").as_deref(),
        Some(r#"{"chinchilla":"5xC"}"#)
    );
}

#[test]
fn parquet_twin_matches_jsonl_and_both_together_dedup() {
    let (a, _) = convert(
        &[testdata("eval-results/data/train.rows.jsonl")],
        ConvertOptions::default(),
    )
    .expect("jsonl");
    let (b, _) = convert(
        &[testdata("eval-results/data/train-00000-of-00001.parquet")],
        ConvertOptions::default(),
    )
    .expect("parquet");
    assert_eq!(a, b);
    let (c, s) = convert(&[testdata("eval-results")], ConvertOptions::default()).expect("folder");
    // The folder holds train + macro_avg, each as JSONL and Parquet.
    assert_eq!(s.files.len(), 4);
    assert_eq!(s.table(Table::Evals).deduplicated, 1 + 8 + 2);
    assert_eq!(c[&Table::Evals].num_rows(), 8 + 2);
}

#[test]
fn conflicting_duplicates_name_both_rows() {
    let inputs = [
        testdata("eval-results/data/train.rows.jsonl"),
        testdata("bad/train-conflict.jsonl"),
    ];
    let err = convert(&inputs, ConvertOptions::default()).expect_err("conflict");
    assert!(matches!(err, ConvertError::Conflict { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("train.rows.jsonl line 5"), "{msg}");
    assert!(msg.contains("train-conflict.jsonl line 1"), "{msg}");
    assert!(
        msg.contains("dd/c4/150M/default, step 1250, mmlu_virology"),
        "{msg}"
    );

    let (t, s) = convert(&inputs, skip()).expect("skip");
    assert_eq!(s.table(Table::Evals).rejected, 1);
    let evals = Rows(&t[&Table::Evals]);
    let r = evals.find("dd/c4/150M/default", 1250, Some("mmlu_virology"));
    assert_eq!(evals.f64(r, "acc_raw"), Some(0.23), "the first row wins");
}

#[test]
fn unknown_spellings_and_float_steps_are_rejected_with_their_row() {
    let input = [testdata("bad/train-unknown.jsonl")];
    let err = convert(&input, ConvertOptions::default()).expect_err("unknown");
    let msg = err.to_string();
    assert!(
        msg.ends_with(
            "train-unknown.jsonl line 1: field `data`: unknown recipe `Dolma 1.7`; \
             did you mean `Dolma1.7`? (`runlake names recipe` lists them all)"
        ),
        "{msg}"
    );

    let (t, s) = convert(&input, skip()).expect("skip");
    assert_eq!(s.rejected_total, 2);
    assert_eq!(s.table(Table::Evals).rejected, 2);
    assert_eq!(s.rejections[1].field, "step");
    assert_eq!(
        s.rejections[1].message,
        "1250.5 is not a whole non-negative number"
    );
    assert!(s.rejections[1].at.ends_with("train-unknown.jsonl line 2"));
    let evals = Rows(&t[&Table::Evals]);
    let r = evals.find("dd/c4/150M/default", 1250, Some("arc_easy"));
    assert_eq!(evals.f64(r, "primary_score"), Some(0.41));
}

#[test]
fn ppl_results_become_perplexity_tasks() {
    for input in [
        "ppl-results/data/train.rows.jsonl",
        "ppl-results/data/train-00000-of-00001.parquet",
    ] {
        let (t, s) = convert(&[testdata(input)], ConvertOptions::default()).expect("ppl");
        let evals = Rows(&t[&Table::Evals]);
        assert_eq!(t[&Table::Evals].num_rows(), 4, "{input}");
        // Row 1: 11 sets empty; rows 2 and 3: the 9 absent sets.
        assert_eq!(s.empty_cells, 11 + 9 + 9, "{input}");
        let r = evals.find("dd/c4/150M/default", 2500, Some("ppl_wikitext_103"));
        assert_eq!(evals.f64(r, "perplexity"), Some(64.520508));
        assert_eq!(evals.f64(r, "primary_score"), Some(64.520508));
        assert_eq!(evals.str(r, "source").as_deref(), Some("dd_hf_ppl"));
        assert_eq!(
            evals.str(r, "task_alias").as_deref(),
            Some("eval/wikitext_103-validation/Perplexity")
        );
        let r = evals.find("dd/dolma1_7/530M/default", 6250, Some("ppl_c4_en"));
        assert_eq!(evals.f64(r, "perplexity"), Some(25.0953));
        // The all-empty step-0 row still records its checkpoint.
        let ck = Rows(&t[&Table::PretrainCkpts]);
        let r = ck.find("dd/c4/150M/default", 0, None);
        assert_eq!(ck.i64(r, "tokens"), Some(0));
        assert_eq!(ck.i64(r, "tokens_expected"), Some(0));
        assert_eq!(ck.f64(r, "cumulative_lr"), Some(0.0));
        // The export gives perplexities only: tokens, compute and the learning rate come from
        // the size's schedule as datadec derives them, and say so.
        let r = ck.find("dd/c4/150M/default", 2500, None);
        assert_eq!(ck.i64(r, "tokens"), Some(2500 * 192 * 2048));
        assert_eq!(
            ck.f64(r, "compute"),
            Some(6.0 * 151_898_880.0 * 983_040_000.0)
        );
        for flag in ["tokens_derived", "compute_derived", "lr_derived"] {
            assert!(ck.bool(r, flag), "{flag}");
        }
        // datadec's full_eval: lr_at_step 0.002588, cumulative_lr 3.234429 (150M, step 2500).
        let lr = ck.f64(r, "learning_rate").expect("lr");
        assert!((lr - 0.002588).abs() < 5e-7, "{lr}");
        let cum = ck.f64(r, "cumulative_lr").expect("cumulative_lr");
        assert!((cum - 3.234429).abs() < 5e-7, "{cum}");
    }
}

#[test]
fn macro_avg_rows_keep_every_metric() {
    let (t, _) = convert(
        &[testdata("eval-results/data/macro_avg.rows.jsonl")],
        ConvertOptions::default(),
    )
    .expect("macro");
    let evals = Rows(&t[&Table::Evals]);
    let r = evals.find(
        "dd/dolma1_7/530M/small-aux-3",
        6250,
        Some("olmes_10_macro_avg"),
    );
    assert_eq!(evals.str(r, "source").as_deref(), Some("dd_hf_macro_avg"));
    assert_eq!(evals.f64(r, "primary_score"), Some(0.45));
    assert_eq!(evals.f64(r, "correct_prob_per_byte"), Some(0.31));
    assert_eq!(
        evals.extra(r),
        vec![("predicted_index_per_byte".to_owned(), Some(1.2))]
    );
    let r = evals.find("dd/dolma1_7/530M/small-aux-3", 6250, Some("mmlu"));
    assert_eq!(evals.f64(r, "primary_score"), Some(0.2785));
    assert!(!evals.bool(r, "derived"));
}

#[test]
fn planning_decides_each_files_kind_once_and_a_forced_kind_wins() {
    use runlake_datadecide::{Kind, plan_inputs};
    let plan = plan_inputs(&[testdata("eval-results/data")], None).expect("plan");
    let kinds: Vec<(String, Kind)> = plan
        .iter()
        .map(|f| {
            let name = f.path.file_name().expect("name").to_string_lossy();
            (name.into_owned(), f.kind)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "macro_avg-00000-of-00001.parquet".to_owned(),
                Kind::HfMacroAvg
            ),
            ("macro_avg.rows.jsonl".to_owned(), Kind::HfMacroAvg),
            ("train-00000-of-00001.parquet".to_owned(), Kind::HfTrain),
            ("train.rows.jsonl".to_owned(), Kind::HfTrain),
        ]
    );
    // Parquet footers give row counts; JSONL has none until read.
    assert!(plan[0].rows.is_some() && plan[1].rows.is_none());
    let forced = plan_inputs(
        &[testdata("eval-results/data/train.rows.jsonl")],
        Some(Kind::HfMacroAvg),
    )
    .expect("plan");
    assert_eq!(forced[0].kind, Kind::HfMacroAvg);
    let err = plan_inputs(&[testdata("../wandb/dr_wandb_v3/ft-scaling")], None)
        .expect_err("not DataDecide");
    assert!(
        err.to_string().contains("runs.jsonl") || err.to_string().contains("history.jsonl"),
        "{err}"
    );
}
