//! The DataDecide-style interface: selections, means over seeds, the continuous curve of a
//! DPO-after-SFT chain, lineage descendants and run comparisons.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::builder::{MapBuilder, MapFieldNames, StringBuilder};
use arrow::array::{Array, ArrayRef, AsArray, Int32Array, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use runlake_format::Table;
use runlake_reader::{DataDecide, Selection};

use crate::common::*;

const X: &str = "dd/c4/150M/default";
const SFT: &str = "wandb/team/ft/sft1";
const SFT2: &str = "wandb/team/ft/sft2";
const DPO: &str = "wandb/team/ft/dpo1";
const TOKENS_PER_STEP: i64 = 4_194_304;

pub(crate) fn steps() -> Vec<i64> {
    (0..=8).map(|i| i * 1250).collect()
}

pub(crate) fn ckpts() -> RecordBatch {
    let mut run = Vec::new();
    let mut step = Vec::new();
    let mut tokens = Vec::new();
    let mut loss = Vec::new();
    for r in RECIPES {
        for s in SIZES {
            for sd in SEEDS {
                for st in steps() {
                    run.push(Some(pretrain_run(r, s, sd)));
                    step.push(Some(st));
                    tokens.push(Some(st * TOKENS_PER_STEP));
                    loss.push(Some(10.0 - st as f64 / 1000.0));
                }
            }
        }
    }
    let rows = run.len();
    batch(
        Table::PretrainCkpts,
        rows,
        vec![
            ("run_uid", strs(&run)),
            ("step", ints(&step)),
            ("tokens", ints(&tokens)),
            ("train_loss", floats(&loss)),
            ("source", strs(&vec![Some("synthetic"); rows])),
        ],
    )
}

fn hparams(entries: &[Vec<(&str, &str)>]) -> ArrayRef {
    let names = MapFieldNames {
        entry: "entries".into(),
        key: "keys".into(),
        value: "values".into(),
    };
    let mut b = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new());
    for row in entries {
        for (k, v) in row {
            b.keys().append_value(k);
            b.values().append_value(v);
        }
        b.append(true).expect("map row");
    }
    Arc::new(b.finish())
}

pub(crate) fn metadata() -> RecordBatch {
    let runs = [SFT, SFT2, DPO];
    batch(
        Table::Metadata,
        3,
        vec![
            ("run_uid", strs(&runs.map(Some))),
            ("phase", strs(&[Some("posttrain"); 3])),
            (
                "training_type",
                strs(&[Some("sft"), Some("sft"), Some("dpo")]),
            ),
            ("source", strs(&[Some("synthetic"); 3])),
            (
                "run_name",
                strs(&[Some("sft one"), Some("sft two"), Some("dpo one")]),
            ),
            (
                "learning_rate",
                floats(&[Some(2e-5), Some(5e-6), Some(1e-7)]),
            ),
            ("tokens_per_step", ints(&[None, None, Some(500)])),
            (
                "hparams",
                hparams(&[
                    vec![("dataset.mixer", "tulu"), ("data_seed", "8")],
                    vec![("data_seed", "9")],
                    vec![],
                ]),
            ),
        ],
    )
}

pub(crate) fn posttrain_steps() -> RecordBatch {
    let mut run = Vec::new();
    let mut ttype = Vec::new();
    let mut step = Vec::new();
    let mut tokens = Vec::new();
    let mut loss = Vec::new();
    for s in 1..=50i64 {
        run.push(Some(SFT));
        ttype.push(Some("sft"));
        step.push(Some(s));
        tokens.push(Some(s as f64 * 1000.0));
        loss.push(Some(2.0 - s as f64 / 100.0));
    }
    for s in 1..=20i64 {
        run.push(Some(DPO));
        ttype.push(Some("dpo"));
        step.push(Some(s));
        tokens.push(None);
        loss.push(Some(0.69 - s as f64 / 100.0));
    }
    let rows = run.len();
    batch(
        Table::PosttrainSteps,
        rows,
        vec![
            ("run_uid", strs(&run)),
            ("training_type", strs(&ttype)),
            ("step", ints(&step)),
            ("variant", Arc::new(Int32Array::from(vec![0; rows]))),
            ("total_tokens", floats(&tokens)),
            ("train_loss", floats(&loss)),
        ],
    )
}

pub(crate) fn lineage() -> RecordBatch {
    // (child, parent, parent step, relation, evidence, resolved)
    let rows = [
        (
            SFT,
            Some(X),
            Some(5000),
            "finetune_of",
            "model_revision",
            true,
        ),
        (
            SFT,
            Some("dd/c4/150M/small-aux-2"),
            Some(5000),
            "finetune_of",
            "run_name",
            false,
        ),
        (
            SFT2,
            Some(X),
            Some(2500),
            "finetune_of",
            "model_revision",
            true,
        ),
        (DPO, Some(SFT), None, "dpo_of", "model_name_or_path", true),
    ];
    let n = rows.len();
    batch(
        Table::Lineage,
        n,
        vec![
            ("child_run_uid", strs(&rows.map(|r| Some(r.0)))),
            ("parent_run_uid", strs(&rows.map(|r| r.1))),
            ("parent_step", ints(&rows.map(|r| r.2))),
            ("relation", strs(&rows.map(|r| Some(r.3)))),
            ("evidence_source", strs(&rows.map(|r| Some(r.4)))),
            (
                "evidence_value",
                strs(&rows.map(|r| Some(format!("{}@{:?}", r.1.unwrap_or(""), r.2)))),
            ),
            ("conflict", bools(&rows.map(|r| !r.5))),
            ("resolved", bools(&rows.map(|r| r.5))),
        ],
    )
}

/// Post-training evals: SFT and DPO summaries (no step) and one DPO eval at step 10.
pub(crate) fn posttrain_evals() -> RecordBatch {
    let rows = [
        (SFT, None, "piqa", 0.61),
        (SFT2, None, "piqa", 0.64),
        (SFT, None, "hellaswag", 0.41),
        (DPO, None, "piqa", 0.66),
        (DPO, Some(10), "piqa", 0.63),
    ];
    let n = rows.len();
    batch(
        Table::Evals,
        n,
        vec![
            ("run_uid", strs(&rows.map(|r| Some(r.0)))),
            ("phase", strs(&[Some("posttrain"); 5])),
            ("step", ints(&rows.map(|r| r.1))),
            ("task", strs(&rows.map(|r| Some(r.2)))),
            (
                "source",
                strs(&rows.map(|r| Some(if r.1.is_some() { "stepped" } else { "summary" }))),
            ),
            ("primary_score", floats(&rows.map(|r| Some(r.3)))),
            ("derived", bools(&[false; 5])),
        ],
    )
}

/// Every table of the DataDecide fixture.
pub(crate) fn all_tables() -> Vec<(Table, RecordBatch)> {
    vec![
        (Table::Evals, evals_batch(&steps())),
        (Table::Evals, posttrain_evals()),
        (Table::PretrainCkpts, ckpts()),
        (Table::Metadata, metadata()),
        (Table::PosttrainSteps, posttrain_steps()),
        (Table::Lineage, lineage()),
    ]
}

async fn fixture() -> (RecordBatch, DataDecide) {
    let evals = evals_batch(&steps());
    let (_lake, reader) = small_file_lake(vec![
        (Table::Evals, evals.clone()),
        (Table::Evals, posttrain_evals()),
        (Table::PretrainCkpts, ckpts()),
        (Table::Metadata, metadata()),
        (Table::PosttrainSteps, posttrain_steps()),
        (Table::Lineage, lineage()),
    ])
    .await;
    (evals, DataDecide::new(reader))
}

fn score_of(evals: &RecordBatch, run: &str, step: i64, task: &str) -> f64 {
    let runs = evals
        .column_by_name("run_uid")
        .expect("run")
        .as_string::<i32>();
    let steps = evals
        .column_by_name("step")
        .expect("step")
        .as_primitive::<Int64Type>();
    let tasks = evals
        .column_by_name("task")
        .expect("task")
        .as_string::<i32>();
    let scores = evals
        .column_by_name("primary_score")
        .expect("score")
        .as_primitive::<Float64Type>();
    (0..evals.num_rows())
        .find(|&i| {
            runs.value(i) == run
                && steps.is_valid(i)
                && steps.value(i) == step
                && tasks.value(i) == task
        })
        .map(|i| scores.value(i))
        .expect("eval exists")
}

#[tokio::test]
async fn selections_and_means_over_seeds_match_the_source_rows() {
    let (evals, dd) = fixture().await;
    let sel = Selection {
        // Any known spelling selects the canonical names the lake stores.
        recipes: vec!["C4".into(), "Dolma1.7".into()],
        sizes: vec!["150M".into()],
        tasks: vec!["piqa:rc::olmes:full".into()],
        metrics: vec!["primary_score".into(), "acc_raw".into()],
        tokens: Some((Some(2500 * TOKENS_PER_STEP), Some(5000 * TOKENS_PER_STEP))),
        ..Selection::default()
    };
    let rows = concat(
        &dd.select(&sel)
            .expect("plan")
            .collect()
            .await
            .expect("rows"),
    )
    .expect("some");
    let schema = rows.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "run_uid",
            "recipe",
            "size",
            "seed",
            "step",
            "tokens",
            "tokens_derived",
            "compute",
            "compute_derived",
            "tokens_expected",
            "task",
            "source",
            "primary_score",
            "acc_raw"
        ]
    );
    // 2 recipes x 1 size x 3 seeds x steps 2500..=5000 (3 steps).
    assert_eq!(rows.num_rows(), 2 * 3 * 3);
    for i in 0..rows.num_rows() {
        let run = rows.column(0).as_string::<i32>().value(i);
        let step = rows.column(4).as_primitive::<Int64Type>().value(i);
        assert_eq!(
            rows.column(5).as_primitive::<Int64Type>().value(i),
            step * TOKENS_PER_STEP
        );
        assert_eq!(
            rows.column_by_name("primary_score")
                .expect("primary_score")
                .as_primitive::<Float64Type>()
                .value(i),
            score_of(&evals, run, step, "piqa")
        );
    }

    let means = concat(
        &dd.mean_over_seeds(&sel)
            .expect("plan")
            .collect()
            .await
            .expect("rows"),
    )
    .expect("some");
    assert_eq!(means.num_rows(), 2 * 3);
    let mut expected: BTreeMap<(String, i64), Vec<f64>> = BTreeMap::new();
    for r in ["c4", "dolma1_7"] {
        for sd in SEEDS {
            for st in [2500, 3750, 5000] {
                expected
                    .entry((r.to_owned(), st))
                    .or_default()
                    .push(score_of(&evals, &pretrain_run(r, "150M", sd), st, "piqa"));
            }
        }
    }
    for (i, ((recipe, step), xs)) in expected.iter().enumerate() {
        assert_eq!(
            means
                .column_by_name("recipe")
                .expect("r")
                .as_string::<i32>()
                .value(i),
            recipe
        );
        assert_eq!(
            means
                .column_by_name("step")
                .expect("s")
                .as_primitive::<Int64Type>()
                .value(i),
            *step
        );
        assert_eq!(
            means
                .column_by_name("n_seeds")
                .expect("n")
                .as_primitive::<Int64Type>()
                .value(i),
            3
        );
        let mean = xs.iter().sum::<f64>() / 3.0;
        let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        let got_mean = means
            .column_by_name("primary_score_mean")
            .expect("m")
            .as_primitive::<Float64Type>()
            .value(i);
        let got_std = means
            .column_by_name("primary_score_std")
            .expect("s")
            .as_primitive::<Float64Type>()
            .value(i);
        assert!((got_mean - mean).abs() < 1e-12 && (got_std - std).abs() < 1e-12);
        assert_eq!(
            means
                .column_by_name("tokens")
                .expect("t")
                .as_primitive::<Int64Type>()
                .value(i),
            step * TOKENS_PER_STEP
        );
    }
    let err = dd
        .select(&Selection {
            metrics: vec!["accuracy".into()],
            ..Selection::default()
        })
        .expect_err("unknown metric");
    assert_eq!(
        err.to_string(),
        "unknown metric `accuracy` (`runlake names metric` lists them all)"
    );
    let err = dd
        .select(&Selection {
            recipes: vec!["dolma 9".into()],
            ..Selection::default()
        })
        .expect_err("unknown recipe");
    assert_eq!(
        err.to_string(),
        "unknown recipe `dolma 9`; did you mean `Dolma1.6++` or `Dolma1.7`? \
         (`runlake names recipe` lists them all)"
    );
}

#[tokio::test]
async fn curve_of_dpo_after_sft_is_continuous() {
    let (evals, dd) = fixture().await;
    let curve = dd.curve(DPO, "piqa", None).await.expect("curve");
    let seg = curve
        .column_by_name("segment")
        .expect("segment")
        .as_primitive::<Int32Type>();
    let phase = curve
        .column_by_name("phase")
        .expect("phase")
        .as_string::<i32>();
    let run = curve
        .column_by_name("run_uid")
        .expect("run")
        .as_string::<i32>();
    let kind = curve
        .column_by_name("kind")
        .expect("kind")
        .as_string::<i32>();
    let step = curve
        .column_by_name("step")
        .expect("step")
        .as_primitive::<Int64Type>();
    let tokens = curve
        .column_by_name("cumulative_tokens")
        .expect("tokens")
        .as_primitive::<Float64Type>();
    let value = curve
        .column_by_name("value")
        .expect("value")
        .as_primitive::<Float64Type>();

    // Ordered, and the axis never goes back.
    for i in 1..curve.num_rows() {
        assert!(
            seg.value(i - 1) <= seg.value(i),
            "segments ordered at row {i}"
        );
        assert!(
            tokens.value(i - 1) <= tokens.value(i),
            "tokens decrease at row {i}"
        );
    }
    // Pretraining checkpoints of X up to the SFT's parent step 5000, with their evals.
    let pre: Vec<usize> = (0..curve.num_rows())
        .filter(|&i| seg.value(i) == 0)
        .collect();
    assert_eq!(
        pre.iter().map(|&i| step.value(i)).collect::<Vec<_>>(),
        vec![0, 1250, 2500, 3750, 5000]
    );
    for &i in &pre {
        assert_eq!(
            (phase.value(i), run.value(i), kind.value(i)),
            ("pretrain", X, "checkpoint")
        );
        assert_eq!(tokens.value(i), (step.value(i) * TOKENS_PER_STEP) as f64);
        assert_eq!(value.value(i), score_of(&evals, X, step.value(i), "piqa"));
    }
    let base = (5000 * TOKENS_PER_STEP) as f64;
    // Then every SFT step, then its summary eval at the end of the run.
    let sft: Vec<usize> = (0..curve.num_rows())
        .filter(|&i| seg.value(i) == 1)
        .collect();
    assert_eq!(sft.len(), 51);
    for (k, &i) in sft[..50].iter().enumerate() {
        assert_eq!(
            (phase.value(i), run.value(i), kind.value(i)),
            ("sft", SFT, "step")
        );
        assert_eq!(step.value(i), k as i64 + 1);
        assert_eq!(tokens.value(i), base + (k as f64 + 1.0) * 1000.0);
    }
    let last = sft[50];
    assert_eq!((kind.value(last), step.is_null(last)), ("eval", true));
    assert_eq!(
        (tokens.value(last), value.value(last)),
        (base + 50_000.0, 0.61)
    );
    // Then the DPO steps (tokens from its tokens_per_step), its step-10 eval and its summary.
    let dpo: Vec<usize> = (0..curve.num_rows())
        .filter(|&i| seg.value(i) == 2)
        .collect();
    assert_eq!(dpo.len(), 22);
    let dpo_base = base + 50_000.0;
    let steps_only: Vec<usize> = dpo
        .iter()
        .copied()
        .filter(|&i| kind.value(i) == "step")
        .collect();
    assert_eq!(steps_only.len(), 20);
    for (k, &i) in steps_only.iter().enumerate() {
        assert_eq!((phase.value(i), run.value(i)), ("dpo", DPO));
        assert_eq!(tokens.value(i), dpo_base + (k as f64 + 1.0) * 500.0);
    }
    let evals_at: Vec<(Option<i64>, f64, f64)> = dpo
        .iter()
        .filter(|&&i| kind.value(i) == "eval")
        .map(|&i| {
            (
                step.is_valid(i).then(|| step.value(i)),
                tokens.value(i),
                value.value(i),
            )
        })
        .collect();
    assert_eq!(
        evals_at,
        vec![
            (Some(10), dpo_base + 5000.0, 0.63),
            (None, dpo_base + 10_000.0, 0.66)
        ]
    );
    assert_eq!(curve.num_rows(), 5 + 51 + 22);

    let err = dd.curve(X, "piqa", None).await.expect_err("no lineage");
    assert_eq!(
        err.to_string(),
        format!("run `{X}` has no resolved parent in the lineage table")
    );
}

#[tokio::test]
async fn descendants_and_comparisons() {
    let (_evals, dd) = fixture().await;
    let d = dd.descendants(X, None).await.expect("descendants");
    let rows: Vec<(String, String, i32)> = (0..d.num_rows())
        .map(|i| {
            (
                d.column(0).as_string::<i32>().value(i).to_owned(),
                d.column(1).as_string::<i32>().value(i).to_owned(),
                d.column(4).as_primitive::<Int32Type>().value(i),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (SFT.to_owned(), X.to_owned(), 1),
            (SFT2.to_owned(), X.to_owned(), 1),
            (DPO.to_owned(), SFT.to_owned(), 2),
        ]
    );
    let at = dd.descendants(X, Some(2500)).await.expect("at step");
    assert_eq!(at.num_rows(), 1);
    assert_eq!(at.column(0).as_string::<i32>().value(0), SFT2);
    assert_eq!(
        dd.descendants(X, Some(1250))
            .await
            .expect("none")
            .num_rows(),
        0
    );

    let cmp = dd
        .compare_runs(
            "sft",
            &["learning_rate", "dataset.mixer", "data_seed"],
            "piqa",
            "primary_score",
        )
        .await
        .expect("compare");
    let schema = cmp.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "run_uid",
            "run_name",
            "learning_rate",
            "dataset.mixer",
            "data_seed",
            "primary_score"
        ]
    );
    assert_eq!(cmp.num_rows(), 2);
    // Best first: sft2 (0.64) then sft1 (0.61).
    assert_eq!(cmp.column(0).as_string::<i32>().value(0), SFT2);
    assert_eq!(cmp.column(2).as_primitive::<Float64Type>().value(0), 5e-6);
    assert!(cmp.column(3).is_null(0));
    assert_eq!(cmp.column(4).as_string::<i32>().value(0), "9");
    assert_eq!(cmp.column(5).as_primitive::<Float64Type>().value(0), 0.64);
    assert_eq!(cmp.column(0).as_string::<i32>().value(1), SFT);
    assert_eq!(cmp.column(3).as_string::<i32>().value(1), "tulu");
    assert_eq!(cmp.column(5).as_primitive::<Float64Type>().value(1), 0.61);
}

/// Checkpoints without exported tokens sit at the size's schedule, and a child whose parent step
/// the lake does not hold starts at that step's scheduled tokens; a `duplicate_of` namesake is
/// not drawn in front of it.
#[tokio::test]
async fn curve_places_checkpoints_by_the_schedule() {
    // 150M: 192 sequences of 2048 tokens a step.
    let per_step = 192 * 2048;
    let ckpts = batch(
        Table::PretrainCkpts,
        2,
        vec![
            ("run_uid", strs(&[Some(X); 2])),
            ("step", ints(&[Some(1250), Some(2500)])),
            ("tokens", ints(&[None, Some(2500 * per_step)])),
            ("source", strs(&[Some("synthetic"); 2])),
        ],
    );
    // SFT2 restarted SFT from the same checkpoint (step 3000, not in the lake).
    let lineage = batch(
        Table::Lineage,
        3,
        vec![
            ("child_run_uid", strs(&[Some(SFT), Some(SFT2), Some(SFT2)])),
            ("parent_run_uid", strs(&[Some(X), Some(X), Some(SFT)])),
            ("parent_step", ints(&[Some(3000), Some(3000), Some(50)])),
            (
                "relation",
                strs(&[
                    Some("finetune_of"),
                    Some("finetune_of"),
                    Some("duplicate_of"),
                ]),
            ),
            (
                "evidence_source",
                strs(&[Some("resolved"), Some("resolved"), Some("same_name")]),
            ),
            ("evidence_value", strs(&[Some("x"); 3])),
            ("conflict", bools(&[false; 3])),
            ("resolved", bools(&[true; 3])),
        ],
    );
    let steps = batch(
        Table::PosttrainSteps,
        4,
        vec![
            (
                "run_uid",
                strs(&[Some(SFT), Some(SFT), Some(SFT2), Some(SFT2)]),
            ),
            ("training_type", strs(&[Some("sft"); 4])),
            ("step", ints(&[Some(1), Some(50), Some(1), Some(2)])),
            ("variant", Arc::new(Int32Array::from(vec![0; 4]))),
            (
                "total_tokens",
                floats(&[Some(10.0), Some(500.0), Some(10.0), Some(20.0)]),
            ),
        ],
    );
    let (_lake, reader) = small_file_lake(vec![
        (Table::PretrainCkpts, ckpts),
        (Table::Lineage, lineage),
        (Table::PosttrainSteps, steps),
        (Table::Metadata, metadata()),
    ])
    .await;
    for _ in 0..3 {
        // The lineage map is built afresh each time: the duplicate must never win.
        let curve = DataDecide::new(reader.clone())
            .curve(SFT2, "piqa", None)
            .await
            .expect("curve");
        let run = curve
            .column_by_name("run_uid")
            .expect("run")
            .as_string::<i32>();
        let tokens = curve
            .column_by_name("cumulative_tokens")
            .expect("tokens")
            .as_primitive::<Float64Type>();
        let got: Vec<(&str, f64)> = (0..curve.num_rows())
            .map(|i| (run.value(i), tokens.value(i)))
            .collect();
        let start = (3000 * per_step) as f64;
        assert_eq!(
            got,
            vec![
                (X, (1250 * per_step) as f64),
                (X, (2500 * per_step) as f64),
                (SFT2, start + 10.0),
                (SFT2, start + 20.0),
            ]
        );
    }
}
