//! Runs new to the lake are handed to the transaction a few at a time while later runs are
//! still being built; the lake must hold exactly the rows that building every run first gives.

mod common;

use common::{row_texts as texts, testdata};
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_wandb::generate::{GenerateOptions, generate};
use runlake_wandb::{BuildOptions, ConvertOptions, OnError, build, convert_paths, gather};

async fn lake_rows(lake: &Lake, table: Table) -> Vec<String> {
    let m = lake.latest().await.expect("manifest");
    texts(&lake.read_table(&m, table).await.expect("read"))
}

#[tokio::test]
async fn an_export_staged_a_piece_at_a_time_gives_the_rows_of_building_it_whole() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("export");
    // More runs than one piece holds, and a last piece that is not full.
    generate(
        &input,
        &GenerateOptions {
            runs: 150,
            steps: 3,
            runs_per_file: 50,
            ..GenerateOptions::default()
        },
    )
    .expect("generate");

    let gathered = gather(std::slice::from_ref(&input), OnError::Fail).expect("gather");
    let built = build(gathered.inputs, &[], &BuildOptions::default()).expect("build");
    let whole = built.batches(|_| true).expect("batches");
    let uids: Vec<String> = built.runs.iter().map(|r| r.run_uid.clone()).collect();

    let lake = Lake::create(tmp.path().join("lake").to_str().expect("utf8"))
        .await
        .expect("lake");
    let summary = convert_paths(
        &lake,
        std::slice::from_ref(&input),
        &ConvertOptions::default(),
    )
    .await
    .expect("convert");
    assert_eq!(summary.runs, 150);
    assert_eq!(summary.runs_new, uids, "new runs in input order");
    for (table, batch) in [
        (Table::Metadata, &whole.metadata),
        (Table::Evals, &whole.evals),
        (Table::Lineage, &whole.lineage),
    ] {
        let (staged, built) = (
            lake_rows(&lake, table).await,
            texts(std::slice::from_ref(batch)),
        );
        assert_eq!(staged.len(), built.len(), "{table}");
        assert!(staged == built, "{table}: rows differ");
        assert_eq!(
            summary.rows_written.get(table.name()),
            Some(&built.len()),
            "{table}"
        );
    }
    assert_eq!(lake_rows(&lake, Table::PosttrainSteps).await.len(), 150 * 3);

    // The content hashes written piece by piece are the ones a re-import compares against.
    let again = convert_paths(&lake, &[input], &ConvertOptions::default())
        .await
        .expect("again");
    assert_eq!(again.commit.version, None);
    assert_eq!(again.runs_unchanged, uids);
}

#[tokio::test]
async fn new_runs_are_listed_in_input_order_when_oe_eval_results_hold_one_back() {
    let inputs = [
        testdata().join("wandb/dr_wandb_v3/ft-scaling"),
        testdata().join("oe_eval/dump-2025-11-03_posttrain"),
    ];
    let gathered = gather(&inputs, OnError::Fail).expect("gather");
    let built = build(gathered.inputs, &[], &BuildOptions::default()).expect("build");
    let order: Vec<String> = built
        .runs
        .iter()
        .filter(|r| r.full)
        .map(|r| r.run_uid.clone())
        .collect();
    // The run the oe-eval folder belongs to waits for its results; the others are staged as
    // they are built. It is not the last run read, so the order shows.
    let held = &built.report.oe_eval[0].run_uid;
    let at = order.iter().position(|u| u == held).expect("held run");
    assert!(at + 1 < order.len(), "{order:?}");

    let tmp = tempfile::tempdir().expect("tmp");
    let lake = Lake::create(tmp.path().join("lake").to_str().expect("utf8"))
        .await
        .expect("lake");
    let summary = convert_paths(&lake, &inputs, &ConvertOptions::default())
        .await
        .expect("convert");
    assert_eq!(summary.runs_new, order);
    assert_eq!(&summary.report.oe_eval[0].run_uid, held);
}
