//! DuckDB, reading the same Parquet files, gives the same answers as the reader for a fixed
//! set of queries.

use std::process::Command;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use arrow::util::display::array_value_to_string;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runlake_lake::Lake;
use runlake_reader::{DataDecide, Selection};

use crate::common::*;

/// Rows as text, floats to 10 significant digits, sorted: engines may order and round
/// differently, never disagree on values.
fn canonical(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(r) {
                            return "null".to_owned();
                        }
                        let c = arrow::compute::cast(
                            c,
                            &match c.data_type() {
                                DataType::Float32 | DataType::Float64 => DataType::Float64,
                                DataType::Int8
                                | DataType::Int16
                                | DataType::Int32
                                | DataType::Int64 => DataType::Int64,
                                DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
                                other => other.clone(),
                            },
                        )
                        .expect("cast");
                        let text = array_value_to_string(&c, r).expect("display");
                        if c.data_type() == &DataType::Float64 {
                            let x: f64 = text.parse().expect("float");
                            format!("{x:.9e}")
                        } else {
                            text
                        }
                    })
                    .collect(),
            );
        }
    }
    rows.sort();
    rows
}

fn names(batches: &[RecordBatch]) -> Vec<String> {
    batches
        .first()
        .map(|b| {
            b.schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn duckdb_agrees_on_the_fixed_queries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake_dir = dir.path().join("lake");
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    let lake = Lake::create(lake_dir.to_str().expect("utf8 path"))
        .await
        .expect("create");
    let (_lake, reader) = fill_lake(lake, crate::datadecide::all_tables()).await;
    let status = Command::new(runlake_lake::testkit::env::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/duckdb_queries.py"
        ))
        .arg(&lake_dir)
        .arg(&out_dir)
        .output()
        .expect("python runs");
    assert!(
        status.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let duck = |name: &str| -> Vec<RecordBatch> {
        let f = std::fs::File::open(out_dir.join(format!("{name}.parquet"))).expect("result");
        ParquetRecordBatchReaderBuilder::try_new(f)
            .expect("parquet")
            .build()
            .expect("reader")
            .collect::<Result<_, _>>()
            .expect("batches")
    };
    let dd = DataDecide::new(reader.clone());
    let piqa = Selection {
        tasks: vec!["piqa".into()],
        ..Selection::default()
    };
    let q1 = reader
        .scan(runlake_format::Table::Evals)
        .filter_str("phase = 'pretrain' AND task = 'piqa' AND size = '150M'")
        .expect("predicate")
        .select(["run_uid", "recipe", "seed", "step", "primary_score"])
        .collect()
        .await
        .expect("q1");
    let q2 = dd
        .final_checkpoints(&piqa)
        .expect("plan")
        .select([
            "recipe",
            "size",
            "step",
            "n_seeds",
            "primary_score_mean",
            "primary_score_std",
        ])
        .collect()
        .await
        .expect("q2");
    let q3 = dd
        .reader()
        .scan(runlake_format::Table::Evals)
        .filter_str("phase = 'pretrain' AND task = 'piqa'")
        .expect("predicate")
        .group_by(["recipe", "size", "step"])
        .agg([
            runlake_reader::Agg::mean("primary_score"),
            runlake_reader::Agg::std("primary_score"),
            runlake_reader::Agg::count("primary_score"),
        ])
        .collect()
        .await
        .expect("q3");
    let q4 = dd
        .with_parent_evals(&[], "primary_score")
        .expect("plan")
        .collect()
        .await
        .expect("q4");
    for (name, ours) in [("q1", q1), ("q2", q2), ("q3", q3), ("q4", q4)] {
        let theirs = duck(name);
        assert_eq!(names(&ours), names(&theirs), "{name} columns");
        let (a, b) = (canonical(&ours), canonical(&theirs));
        assert!(!a.is_empty(), "{name} has rows");
        assert_eq!(a, b, "{name}");
    }
}
