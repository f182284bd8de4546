use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};
use runlake_format::Table;
use runlake_reader::{LakeReader, Scan, ScanOptions, col};

use crate::common::*;

fn piqa_from_step_1250(reader: &LakeReader) -> Scan {
    reader
        .scan(Table::Evals)
        .filter(
            col("run_uid")
                .eq("dd/c4/150M/default")
                .and(col("task").eq("piqa"))
                .and(col("step").gt_eq(1250i64)),
        )
        .select(["step", "primary_score", "phase"])
}

#[tokio::test]
async fn select_and_filter_return_exact_rows_and_explain_shows_pruning() {
    let (_lake, reader) =
        small_file_lake(vec![(Table::Evals, evals_batch(&[0, 1250, 2500]))]).await;
    let q = piqa_from_step_1250(&reader);
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
    let q2 = piqa_from_step_1250(&naive);
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
        "unknown column `stepp` (did you mean `step`?) at byte 18\n  task = 'piqa' AND stepp > 3\n                    ^^^^^"
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

#[tokio::test]
async fn whole_tables_with_nested_columns_read_back_exactly() {
    use arrow::array::builder::{ListBuilder, MapBuilder, MapFieldNames, StringBuilder};
    use arrow::array::{ArrayRef, TimestampMicrosecondArray};
    use std::sync::Arc;

    let names = MapFieldNames {
        entry: "entries".into(),
        key: "keys".into(),
        value: "values".into(),
    };
    let mut hp = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new());
    let mut tags = ListBuilder::new(StringBuilder::new());
    let rows = 5;
    for i in 0..rows {
        hp.keys().append_value("lr");
        hp.values().append_value(format!("{i}e-5"));
        hp.append(i != 2).expect("map");
        tags.values().append_value("t");
        tags.append(i % 2 == 0);
    }
    let tz = Table::Metadata
        .schema()
        .field_with_name("created_at")
        .expect("created_at")
        .data_type()
        .clone();
    let created: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![
        Some(
            1_700_000_000_000_000i64
        );
        rows
    ]));
    let created = arrow::compute::cast(&created, &tz).expect("timestamp");
    let runs: Vec<Option<String>> = (0..rows).map(|i| Some(format!("wandb/e/p/r{i}"))).collect();
    let b = batch(
        Table::Metadata,
        rows,
        vec![
            ("run_uid", strs(&runs)),
            ("phase", strs(&vec![Some("posttrain"); rows])),
            ("training_type", strs(&vec![Some("sft"); rows])),
            ("source", strs(&vec![Some("synthetic"); rows])),
            ("hparams", Arc::new(hp.finish())),
            ("tags", Arc::new(tags.finish())),
            ("created_at", created),
        ],
    );
    let (_lake, reader) = small_file_lake(vec![(Table::Metadata, b.clone())]).await;
    // The batch written is the reference (its runs are already in key order).
    let got = reader.scan(Table::Metadata).collect().await.expect("scan");
    assert_eq!(concat(&got), Some(b.clone()));
    let naive = reader.with_options(ScanOptions::naive());
    let got2 = naive.scan(Table::Metadata).collect().await.expect("scan");
    assert_eq!(concat(&got2), Some(b));
}

#[tokio::test]
async fn page_index_skips_pages_inside_a_row_group() {
    let steps: Vec<i64> = (0..320).map(|i| i * 10).collect();
    let evals = evals_batch(&steps);
    let lake = runlake_lake::Lake::in_memory().with_config(runlake_lake::LakeConfig {
        spill_rows: 1 << 20,
        row_group_rows: 1 << 17,
        ..runlake_lake::LakeConfig::default()
    });
    let mut tx = lake.transaction("test", "one large row group");
    tx.upsert(Table::Evals, evals).expect("upsert");
    tx.commit().await.expect("commit");
    let manifest = lake.latest().await.expect("manifest");
    let files = &manifest.table(Table::Evals).expect("evals").files;
    assert!(
        files.iter().any(|f| f.rows > 40_000),
        "a file with several pages per column"
    );
    let run = |options: ScanOptions| {
        let reader = runlake_reader::LakeReader::new(
            std::sync::Arc::clone(lake.objects()),
            object_store::path::Path::default(),
            manifest.clone(),
        )
        .with_options(options);
        async move {
            let got = reader
                .scan(Table::Evals)
                .filter(col("task").eq("piqa").and(col("step").gt_eq(3000i64)))
                .select(["run_uid", "step", "primary_score"])
                .collect()
                .await
                .expect("query");
            (concat(&got), reader.io().bytes())
        }
    };
    // Bytes are compared with exact ranges: by default small skipped pages are read through
    // to save requests.
    let exact = ScanOptions {
        read_through_gap: 0,
        ..ScanOptions::default()
    };
    let (with_pages, bytes_pages) = run(exact.clone()).await;
    let (by_default, _) = run(ScanOptions::default()).await;
    assert_eq!(by_default, with_pages);
    let explain = runlake_reader::LakeReader::new(
        std::sync::Arc::clone(lake.objects()),
        object_store::path::Path::default(),
        manifest.clone(),
    )
    .scan(Table::Evals)
    .filter(col("task").eq("piqa").and(col("step").gt_eq(3000i64)))
    .explain()
    .await
    .expect("explain");
    let line = explain
        .lines()
        .find(|l| l.contains("page-index"))
        .expect("rows line");
    let nums: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(nums[0] < nums[1], "pages must be pruned: {explain}");
    let (without, bytes_plain) = run(ScanOptions {
        prune_pages: false,
        ..exact
    })
    .await;
    let (naive, _) = run(ScanOptions::naive()).await;
    let rows = with_pages.clone().expect("rows");
    assert_eq!(rows.num_rows(), 4 * 3 * 3 * 20);
    assert_eq!(with_pages, without);
    assert_eq!(with_pages, naive);
    assert!(
        bytes_pages < bytes_plain,
        "page pruning must fetch less: {bytes_pages} vs {bytes_plain}"
    );
}
