use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};
use runlake_format::Table;
use runlake_reader::{ScanOptions, col};

use crate::common::*;

#[tokio::test]
async fn select_and_filter_return_exact_rows_and_explain_shows_pruning() {
    let (_lake, reader) =
        small_file_lake(vec![(Table::Evals, evals_batch(&[0, 1250, 2500]))]).await;
    let q = reader
        .scan(Table::Evals)
        .filter(
            col("run_uid")
                .eq("dd/c4/150M/default")
                .and(col("task").eq("piqa"))
                .and(col("step").gt_eq(1250i64)),
        )
        .select(["step", "primary_score", "phase"]);
    let explain = q.explain().await.expect("explain");
    let got = concat(&q.clone().collect().await.expect("collect")).expect("rows");
    assert_eq!(got.num_rows(), 2);
    let steps = got.column(0).as_primitive::<Int64Type>();
    assert_eq!(steps.values().to_vec(), vec![1250, 2500]);
    assert_eq!(got.column(2).as_string::<i32>().value(0), "pretrain");
    // Reference: the same rows from the batch that was written.
    let source = evals_batch(&[0, 1250, 2500]);
    let mut expected = Vec::new();
    for i in 0..source.num_rows() {
        let run = source
            .column_by_name("run_uid")
            .expect("run")
            .as_string::<i32>()
            .value(i);
        let task = source
            .column_by_name("task")
            .expect("task")
            .as_string::<i32>()
            .value(i);
        let step = source
            .column_by_name("step")
            .expect("step")
            .as_primitive::<Int64Type>();
        if run == "dd/c4/150M/default"
            && task == "piqa"
            && step.is_valid(i)
            && step.value(i) >= 1250
        {
            expected.push(
                source
                    .column_by_name("primary_score")
                    .expect("score")
                    .as_primitive::<Float64Type>()
                    .value(i),
            );
        }
    }
    assert_eq!(
        got.column(1)
            .as_primitive::<Float64Type>()
            .values()
            .to_vec(),
        expected
    );

    assert!(
        explain.starts_with("Scan: evals projection=[step, primary_score, phase]\n"),
        "{explain}"
    );
    assert!(explain.contains("partitions: 2 of 2 kept"), "{explain}");
    let files_line = explain
        .lines()
        .find(|l| l.contains("files:"))
        .expect("files line");
    assert!(files_line.contains("0 pruned by partition"), "{explain}");
    assert!(
        !files_line.contains(" 0 by manifest statistics"),
        "statistics must prune: {explain}"
    );
    let groups_line = explain
        .lines()
        .find(|l| l.contains("row groups:"))
        .expect("rg line");
    let nums: Vec<usize> = groups_line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(nums[0] < nums[1], "row groups must be pruned: {explain}");

    let naive = reader.with_options(ScanOptions::naive());
    let q2 = naive
        .scan(Table::Evals)
        .filter(
            col("run_uid")
                .eq("dd/c4/150M/default")
                .and(col("task").eq("piqa"))
                .and(col("step").gt_eq(1250i64)),
        )
        .select(["step", "primary_score", "phase"]);
    let explain2 = q2.explain().await.expect("explain");
    assert!(explain2.contains("(file pruning off)"), "{explain2}");
    assert_eq!(concat(&q2.collect().await.expect("collect")), Some(got));
}

#[tokio::test]
async fn partition_filters_skip_partitions_and_limit_stops_early() {
    let (_lake, reader) = small_file_lake(vec![(Table::Evals, evals_batch(&[0, 1250]))]).await;
    let q = reader
        .scan(Table::Evals)
        .filter(col("phase").eq("posttrain"))
        .select(["run_uid", "task", "step"]);
    let explain = q.explain().await.expect("explain");
    assert!(explain.contains("partitions: 1 of 2 kept"), "{explain}");
    let got = concat(&q.clone().collect().await.expect("collect")).expect("rows");
    assert_eq!(got.num_rows(), 24);
    assert_eq!(got.column(2).null_count(), 24);
    let limited = concat(&q.limit(5).collect().await.expect("collect")).expect("rows");
    assert_eq!(limited, got.slice(0, 5));
}

#[tokio::test]
async fn bad_predicates_point_at_the_token() {
    let (_lake, reader) = small_file_lake(vec![(Table::Evals, evals_batch(&[0]))]).await;
    let err = reader
        .scan(Table::Evals)
        .filter_str("task = 'piqa' AND stepp > 3")
        .expect_err("unknown column");
    assert_eq!(
        err.to_string(),
        "unknown column `stepp` at byte 18\n  task = 'piqa' AND stepp > 3\n                    ^^^^^"
    );
    let err = reader
        .scan(Table::Evals)
        .filter_str("step = 'x'")
        .expect_err("type");
    assert!(
        err.to_string().starts_with(
            "cannot compare a column of type int64 with a string (column `step`) at byte 0"
        ),
        "{err}"
    );
    let q = reader
        .scan(Table::Evals)
        .filter_str("task IN ('piqa') AND step IS NULL")
        .expect("ok");
    let got = concat(&q.select(["run_uid"]).collect().await.expect("rows")).expect("rows");
    assert_eq!(got.num_rows(), 6);
}
