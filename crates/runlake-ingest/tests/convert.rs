//! One conversion is one version: mixed inputs commit together or not at all; re-imports
//! never erase rows the inputs do not replace; skipping bad inputs records them.

use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;

use runlake_format::Table;
use runlake_ingest::{Family, IngestError, OnError, Options, convert};
use runlake_lake::Lake;
use runlake_lake::testkit::local_lake;

/// A run with three history rows in the WandB fixture.
const F_ID: &str = "2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default";
const F: &str =
    "wandb/ml-moe/ft-scaling/2025_08_18-22_30_05_allenai--DataDecide-dolma1_7-4M_main_default";

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// A copy of the WandB v3 fixture that a test can edit.
fn wandb_export(dir: &Path) -> PathBuf {
    let from = testdata("wandb/dr_wandb_v3/ft-scaling");
    let to = dir.join("export");
    std::fs::create_dir_all(&to).expect("mkdir");
    for e in std::fs::read_dir(&from).expect("dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
    }
    to
}

fn mixed_inputs(wandb: PathBuf) -> Vec<PathBuf> {
    vec![
        testdata("datadecide/eval-results/data/train.rows.jsonl"),
        wandb,
        testdata("oe_eval/dump-2025-11-03_posttrain"),
    ]
}

async fn versions(lake: &Lake) -> usize {
    lake.list_versions().await.expect("versions").len()
}

async fn rows(lake: &Lake, table: Table, run: &str) -> usize {
    let m = lake.latest().await.expect("manifest");
    let mut n = 0;
    for b in lake.read_table(&m, table).await.expect("read") {
        let runs = b.column_by_name(table.run_column()).expect("run column");
        n += runs
            .as_string::<i32>()
            .iter()
            .filter(|r| *r == Some(run))
            .count();
    }
    n
}

async fn table_rows(lake: &Lake, table: Table) -> usize {
    let m = lake.latest().await.expect("manifest");
    let batches = lake.read_table(&m, table).await.expect("read");
    batches.iter().map(|b| b.num_rows()).sum()
}

/// Keeps only the first history line of run F.
fn drop_later_history_of_f(export: &Path) {
    let path = export.join("history.jsonl");
    let text = std::fs::read_to_string(&path).expect("history");
    let mut seen = false;
    let kept: String = text
        .lines()
        .filter(|l| {
            if !l.contains(&format!("\"run_id\":\"{F_ID}\"")) {
                return true;
            }
            !std::mem::replace(&mut seen, true)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, kept).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datadecide_wandb_and_oe_eval_inputs_make_one_version() {
    let (tmp, lake) = local_lake().await;
    let before = versions(&lake).await;
    let summary = convert(
        &lake,
        &mixed_inputs(wandb_export(tmp.path())),
        &Options::default(),
    )
    .await
    .expect("convert");
    assert_eq!(versions(&lake).await, before + 1);
    assert!(summary.commit.version.is_some());
    let families: Vec<Family> = summary.inputs.iter().map(|i| i.family).collect();
    assert_eq!(
        families,
        [
            Family::Pretraining,
            Family::PostTraining,
            Family::PostTraining
        ]
    );
    // Both families' rows are in that one version.
    let pre = summary.pretraining.as_ref().expect("pretraining");
    let post = summary.post_training.as_ref().expect("post-training");
    assert_eq!(
        pre.commit.as_ref().and_then(|c| c.version),
        summary.commit.version
    );
    assert_eq!(post.commit.version, summary.commit.version);
    assert_eq!(post.runs_new.len(), 7);
    assert_eq!(post.report.oe_eval.len(), 1);
    let m = lake.latest().await.expect("manifest");
    assert_eq!(m.operation.kind, "convert");
    assert!(m.operation.runs.contains_key("pretrain_ckpts"));
    assert!(m.operation.runs.contains_key("posttrain_steps"));
    assert_eq!(
        summary.rows_written["metadata"],
        pre.tables["metadata"].written + 7
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_post_training_input_late_in_the_list_commits_nothing() {
    let (tmp, lake) = local_lake().await;
    let export = wandb_export(tmp.path());
    let history = export.join("history.jsonl");
    let mut text = std::fs::read_to_string(&history).expect("history");
    text.push_str("{\"run_id\": \"g7k2m9qa\", \"step\": 9, \"metrics\": {oops\n");
    std::fs::write(&history, text).expect("write");
    let before = versions(&lake).await;
    let err = convert(&lake, &mixed_inputs(export), &Options::default())
        .await
        .expect_err("a malformed history line");
    let message = err.to_string();
    assert!(matches!(err, IngestError::PostTraining(_)), "{message}");
    assert!(message.contains("history.jsonl:35"), "{message}");
    assert!(message.contains("nothing was committed"), "{message}");
    assert_eq!(versions(&lake).await, before);
    assert_eq!(table_rows(&lake, Table::Evals).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_empty_history_keeps_stored_steps() {
    let (tmp, lake) = local_lake().await;
    let export = wandb_export(tmp.path());
    convert(&lake, std::slice::from_ref(&export), &Options::default())
        .await
        .expect("first convert");
    assert_eq!(table_rows(&lake, Table::PosttrainSteps).await, 33);

    std::fs::write(export.join("history.jsonl"), "").expect("empty history");
    let summary = convert(&lake, std::slice::from_ref(&export), &Options::default())
        .await
        .expect("empty history");
    let post = summary.post_training.expect("post-training");
    assert!(post.runs_replaced.contains(&F.to_owned()), "{post:?}");
    assert!(post.rows_kept["posttrain_steps"].contains(&F.to_owned()));
    assert_eq!(table_rows(&lake, Table::PosttrainSteps).await, 33);
    assert_eq!(rows(&lake, Table::PosttrainSteps, F).await, 3);

    std::fs::remove_file(export.join("history.jsonl")).expect("remove history");
    let again = convert(&lake, std::slice::from_ref(&export), &Options::default())
        .await
        .expect("missing history");
    assert_eq!(
        again.commit.version, None,
        "an unchanged re-import adds nothing"
    );
    assert_eq!(table_rows(&lake, Table::PosttrainSteps).await, 33);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shrink_is_refused_unless_replace_allows_it() {
    let (tmp, lake) = local_lake().await;
    let export = wandb_export(tmp.path());
    convert(&lake, std::slice::from_ref(&export), &Options::default())
        .await
        .expect("first convert");
    let before = versions(&lake).await;
    drop_later_history_of_f(&export);

    let err = convert(&lake, std::slice::from_ref(&export), &Options::default())
        .await
        .expect_err("a shrink");
    let message = err.to_string();
    assert!(message.contains(F), "{message}");
    assert!(message.contains("posttrain_steps"), "{message}");
    assert!(message.contains("3 stored rows, 1 after"), "{message}");
    assert_eq!(versions(&lake).await, before);
    assert_eq!(rows(&lake, Table::PosttrainSteps, F).await, 3);

    let replace = Options {
        replace: true,
        ..Options::default()
    };
    let summary = convert(&lake, std::slice::from_ref(&export), &replace)
        .await
        .expect("shrink allowed");
    assert_eq!(versions(&lake).await, before + 1);
    let post = summary.post_training.expect("post-training");
    assert_eq!(post.shrinks.len(), 1, "{:?}", post.shrinks);
    assert_eq!(post.shrinks[0].run_uid, F);
    assert_eq!(rows(&lake, Table::PosttrainSteps, F).await, 1);
    assert_eq!(table_rows(&lake, Table::PosttrainSteps).await, 31);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_records_bad_post_training_inputs_and_converts_the_rest() {
    let (tmp, lake) = local_lake().await;
    let export = wandb_export(tmp.path());
    // A history file of its own whose third line is not JSON.
    let bad_history = tmp.path().join("more-history.jsonl");
    std::fs::write(
        &bad_history,
        "{\"run_id\": \"g7k2m9qa\", \"step\": 100, \"metrics\": {\"loss\": 1}}\n\n{oops\n",
    )
    .expect("write");
    // An oe-eval folder for a model no run knows.
    let stray = tmp.path().join("stray-oe-eval");
    std::fs::create_dir_all(&stray).expect("mkdir");
    std::fs::write(
        stray.join("metrics-all.jsonl"),
        "{\"task_name\": \"arc_easy\", \"model_config\": {\"model_path\": \"/nowhere/model\"}, \
         \"metrics\": {\"primary_score\": 0.5}, \"task_idx\": 0}\n",
    )
    .expect("write");
    let inputs = vec![export, bad_history.clone(), stray.clone()];

    let before = versions(&lake).await;
    convert(&lake, &inputs, &Options::default())
        .await
        .expect_err("fails by default");
    assert_eq!(versions(&lake).await, before);

    let skip = Options {
        on_error: OnError::Skip,
        ..Options::default()
    };
    let summary = convert(&lake, &inputs, &skip).await.expect("skip");
    assert_eq!(summary.rejected_total, 2, "{:?}", summary.rejections);
    let history = &summary.rejections[0];
    assert_eq!(history.family, Family::PostTraining);
    assert_eq!(history.at, format!("{}:3", bad_history.display()));
    assert_eq!(history.field, "<line>");
    assert!(history.message.contains("invalid JSON"), "{history:?}");
    let oe = &summary.rejections[1];
    assert_eq!(oe.at, stray.display().to_string());
    assert!(oe.message.contains("/nowhere/model"), "{oe:?}");
    let post = summary.post_training.expect("post-training");
    assert_eq!(post.runs_new.len(), 7);
    assert_eq!(table_rows(&lake, Table::PosttrainSteps).await, 33);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_families_report_rejections_in_one_summary() {
    let (tmp, lake) = local_lake().await;
    let bad_rows = testdata("datadecide/bad/train-unknown.jsonl");
    let bad_history = tmp.path().join("more-history.jsonl");
    std::fs::write(
        &bad_history,
        "{\"run_id\": \"g7k2m9qa\", \"step\": 100, \"metrics\": {\"loss\": 1}}\n{oops\n",
    )
    .expect("write");
    let inputs = vec![bad_rows, wandb_export(tmp.path()), bad_history];
    let skip = Options {
        on_error: OnError::Skip,
        ..Options::default()
    };
    let summary = convert(&lake, &inputs, &skip).await.expect("skip");
    let pre = summary.pretraining.as_ref().expect("pretraining");
    assert!(pre.rejected_total > 0);
    assert_eq!(summary.rejected_total, pre.rejected_total + 1);
    let families: Vec<Family> = summary.rejections.iter().map(|r| r.family).collect();
    assert!(families.contains(&Family::Pretraining), "{families:?}");
    assert_eq!(
        families
            .iter()
            .filter(|f| **f == Family::PostTraining)
            .count(),
        1
    );
    assert!(
        summary
            .rejections
            .iter()
            .any(|r| r.at.ends_with("train-unknown.jsonl line 1") && r.field == "data"),
        "{:?}",
        summary.rejections
    );
    assert_eq!(versions(&lake).await, 2);
}
