//! Converting into a lake: idempotence, and the real datadec god-table slice when present.

mod common;

use std::path::PathBuf;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Float64Type, Int64Type};
use common::{Rows, testdata};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runlake_datadecide::{ConvertOptions, convert_files};
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_lake::testkit::local_lake;

async fn read(lake: &Lake, table: Table) -> RecordBatch {
    let m = lake.latest().await.expect("manifest");
    let batches = lake.read_table(&m, table).await.expect("read");
    concat_batches(&table.schema(), &batches).expect("concat")
}

#[tokio::test]
async fn converting_again_commits_nothing() {
    let (_dir, lake) = local_lake().await;
    let inputs = [testdata("eval-results"), testdata("ppl-results")];
    let first = convert_files(&lake, &inputs, ConvertOptions::default(), &|_| {})
        .await
        .expect("first");
    let c = first.commit.expect("commit");
    assert!(c.version.is_some());
    assert_eq!(c.rows_added, 10 + 4 + (5 + 3) + 6);
    let second = convert_files(&lake, &inputs, ConvertOptions::default(), &|_| {})
        .await
        .expect("second");
    let c = second.commit.expect("commit");
    assert_eq!(c.version, None);
    assert_eq!((c.rows_added, c.files_added), (0, 0));

    let evals = read(&lake, Table::Evals).await;
    assert_eq!(evals.num_rows(), 14);
    let rows = Rows(&evals);
    let r = rows.find(
        "dd/dclm-baseline-25p-dolma1.7-75p/1B/large-aux-2",
        2500,
        Some("hellaswag"),
    );
    assert_eq!(rows.f64(r, "primary_score"), Some(0.31));
    assert_eq!(rows.str(r, "phase").as_deref(), Some("pretrain"));
}

fn real_slice() -> Option<PathBuf> {
    runlake_lake::testkit::env::real_data("dr_ingest-fixtures/pretrain_metrics_sample.parquet")
}

#[tokio::test]
async fn real_god_table_slice_round_trips_exactly() {
    let Some(path) = real_slice() else {
        return;
    };
    let lake = Lake::in_memory();
    let s = convert_files(
        &lake,
        std::slice::from_ref(&path),
        ConvertOptions::default(),
        &|_| {},
    )
    .await
    .expect("convert");
    assert_eq!(s.rows_read, 34);
    let ckpts = read(&lake, Table::PretrainCkpts).await;
    assert_eq!(ckpts.num_rows(), 34);
    let evals = read(&lake, Table::Evals).await;
    let rows = Rows(&evals);
    let ck = Rows(&ckpts);

    let file = std::fs::File::open(&path).expect("open");
    let src = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let src: Vec<RecordBatch> = src.map(|b| b.expect("batch")).collect();
    let src = concat_batches(&src[0].schema(), &src).expect("concat");
    let text = |c: &str, i: usize| {
        src.column_by_name(c)
            .expect(c)
            .as_string::<i32>()
            .value(i)
            .to_owned()
    };
    // A null cell reads as NaN: the pivot has no value there.
    let num = |c: &str, i: usize| {
        let a = src
            .column_by_name(c)
            .expect(c)
            .as_primitive::<Float64Type>();
        if a.is_valid(i) { a.value(i) } else { f64::NAN }
    };
    let mut checked = 0;
    for i in 0..src.num_rows() {
        let recipe = runlake_vocab::Recipe::parse(&text("data", i)).expect("recipe");
        let seed = src
            .column_by_name("seed")
            .expect("seed")
            .as_primitive::<Int64Type>()
            .value(i);
        assert_eq!(seed, 0);
        #[allow(clippy::cast_possible_truncation, reason = "test data steps are whole")]
        let step = num("step", i) as i64;
        let uid = format!("dd/{}/{}/default", recipe.slug, text("params", i));
        let r = ck.find(&uid, step, None);
        assert_eq!(ck.f64(r, "compute"), Some(num("compute", i)));
        assert_eq!(ck.f64(r, "cumulative_lr"), Some(num("cumulative_lr", i)));
        for (task, metric, col) in [
            ("arc_challenge", "acc_raw", "arc_challenge_acc_raw"),
            ("hellaswag", "acc_per_char", "hellaswag_acc_per_char"),
            (
                "mmlu_average",
                "primary_metric",
                "mmlu_average_primary_metric",
            ),
            (
                "mmlu_virology",
                "correct_prob",
                "mmlu_virology_correct_prob",
            ),
            ("ppl_pile", "perplexity", "pile-valppl"),
            ("ppl_c4_en", "perplexity", "c4_en-valppl"),
        ] {
            let want = num(col, i);
            if want.is_nan() {
                continue;
            }
            let r = rows.find(&uid, step, Some(task));
            assert_eq!(rows.f64(r, metric), Some(want), "{uid} {step} {col}");
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} cells compared");
}

#[tokio::test]
async fn a_later_ppl_export_keeps_the_tokens_eval_results_gave() {
    let (dir, lake) = local_lake().await;
    let train = dir.path().join("train-00000.jsonl");
    std::fs::write(
        &train,
        r#"{"params":"150M","data":"C4","seed":"default","step":2500.0,"task":"arc_challenge","chinchilla":"5xC","tokens":983040000.0,"compute":8.95936e17,"metrics":"{'primary_metric': 0.2, 'acc_raw': 0.2, 'acc_uncond': 0.2}"}
"#,
    )
    .expect("write");
    convert_files(&lake, &[train], ConvertOptions::default(), &|_| {})
        .await
        .expect("eval-results");
    // The ppl export states the same checkpoint without tokens or compute.
    convert_files(
        &lake,
        &[testdata("ppl-results")],
        ConvertOptions::default(),
        &|_| {},
    )
    .await
    .expect("ppl");
    let ckpts = read(&lake, Table::PretrainCkpts).await;
    let runs = ckpts
        .column_by_name("run_uid")
        .expect("run")
        .as_string::<i32>();
    let steps = ckpts
        .column_by_name("step")
        .expect("step")
        .as_primitive::<Int64Type>();
    let row = (0..ckpts.num_rows())
        .find(|&i| runs.value(i) == "dd/c4/150M/default" && steps.value(i) == 2500)
        .expect("the shared checkpoint");
    let tokens = ckpts
        .column_by_name("tokens")
        .expect("tokens")
        .as_primitive::<Int64Type>();
    let compute = ckpts
        .column_by_name("compute")
        .expect("compute")
        .as_primitive::<Float64Type>();
    assert_eq!(tokens.value(row), 983_040_000);
    assert_eq!(compute.value(row), 8.95936e17);
    assert!(!tokens.is_null(row));
    let flags = ckpts
        .column_by_name("compute_derived")
        .expect("flag")
        .as_boolean();
    assert!(!flags.value(row));
}

/// Converts the train row for 150M C4 step 2500 (its own compute, unlike the schedule's by a
/// few parts in 1e8) after the ppl export placed that checkpoint by the schedule.
#[tokio::test]
async fn an_export_replaces_what_an_earlier_conversion_derived() {
    let (dir, lake) = local_lake().await;
    convert_files(
        &lake,
        &[testdata("ppl-results")],
        ConvertOptions::default(),
        &|_| {},
    )
    .await
    .expect("ppl");
    let row_of = |ckpts: &RecordBatch| {
        let runs = ckpts
            .column_by_name("run_uid")
            .expect("run")
            .as_string::<i32>();
        let steps = ckpts
            .column_by_name("step")
            .expect("step")
            .as_primitive::<Int64Type>();
        (0..ckpts.num_rows())
            .find(|&i| runs.value(i) == "dd/c4/150M/default" && steps.value(i) == 2500)
            .expect("the checkpoint")
    };
    let flag = |ckpts: &RecordBatch, name: &str, row: usize| {
        ckpts
            .column_by_name(name)
            .expect(name)
            .as_boolean()
            .value(row)
    };
    let compute = |ckpts: &RecordBatch, row: usize| {
        ckpts
            .column_by_name("compute")
            .expect("compute")
            .as_primitive::<Float64Type>()
            .value(row)
    };
    let before = read(&lake, Table::PretrainCkpts).await;
    let row = row_of(&before);
    assert!(flag(&before, "compute_derived", row));
    assert_eq!(compute(&before, row), 6.0 * 151_898_880.0 * 983_040_000.0);
    // Read back, a derived value is still not a fact of the export.
    convert_files(
        &lake,
        &[testdata("ppl-results")],
        ConvertOptions::default(),
        &|_| {},
    )
    .await
    .expect("ppl twice");
    let twice = read(&lake, Table::PretrainCkpts).await;
    assert!(flag(&twice, "compute_derived", row_of(&twice)));

    let train = dir.path().join("train-00000.jsonl");
    std::fs::write(
        &train,
        r#"{"params":"150M","data":"C4","seed":"default","step":2500.0,"task":"arc_challenge","chinchilla":"5xC","tokens":983040000.0,"compute":8.95936e17,"metrics":"{'primary_metric': 0.2, 'acc_raw': 0.2, 'acc_uncond': 0.2}"}
"#,
    )
    .expect("write");
    convert_files(&lake, &[train], ConvertOptions::default(), &|_| {})
        .await
        .expect("eval-results");
    let after = read(&lake, Table::PretrainCkpts).await;
    let row = row_of(&after);
    assert_eq!(compute(&after, row), 8.95936e17);
    assert!(!flag(&after, "compute_derived", row));
    assert!(!flag(&after, "tokens_derived", row));
    assert!(flag(&after, "lr_derived", row));

    // Converting the ppl export again keeps the export's values and flags.
    convert_files(
        &lake,
        &[testdata("ppl-results")],
        ConvertOptions::default(),
        &|_| {},
    )
    .await
    .expect("ppl again");
    let again = read(&lake, Table::PretrainCkpts).await;
    let row = row_of(&again);
    assert_eq!(compute(&again, row), 8.95936e17);
    assert!(!flag(&again, "compute_derived", row));
}
