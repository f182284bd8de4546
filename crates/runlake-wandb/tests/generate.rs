//! The generated post-training export has the shape of the real dr_wandb Parquet exports in
//! `../shared/real` (skipped when they are absent).

use std::fs::File;
use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runlake_lake::testkit::env::real_data;
use runlake_wandb::generate::{GenerateOptions, generate};

fn read(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("open")).expect("parquet");
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect();
    (schema, batches)
}

fn names(schema: &SchemaRef) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

/// Key counts of a JSON-object text column, per row.
fn key_counts(batches: &[RecordBatch], column: &str) -> Vec<usize> {
    batches
        .iter()
        .flat_map(|b| {
            let texts = b.column_by_name(column).expect(column).as_string::<i32>();
            texts
                .iter()
                .map(|t| {
                    let v: serde_json::Value =
                        serde_json::from_str(t.expect("text")).expect("json");
                    v.as_object().expect("object").len()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_generated_export_is_shaped_like_the_real_one() {
    let Some(real) = real_data("dr_ingest-fixtures") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let out = generate(
        tmp.path(),
        &GenerateOptions {
            runs: 10,
            steps: 5,
            ..GenerateOptions::default()
        },
    )
    .expect("generate");

    let (real_runs, real_rows) = read(&real.join("wandb_runs_sample.parquet"));
    let (runs, rows) = read(&out.runs_file);
    assert_eq!(names(&runs), names(&real_runs));
    assert!(
        runs.fields()
            .iter()
            .all(|f| f.data_type() == &DataType::Utf8)
    );
    // Config and summary sizes of the real finished runs with evals, per run.
    let (real_config, config) = (
        key_counts(&real_rows, "config"),
        key_counts(&rows, "config"),
    );
    let (real_summary, summary) = (
        key_counts(&real_rows, "summary"),
        key_counts(&rows, "summary"),
    );
    let within = |got: &[usize], real: &[usize]| {
        let (lo, hi) = (
            real.iter().min().expect("min"),
            real.iter().max().expect("max"),
        );
        got.iter().all(|n| (lo * 9 / 10..=hi * 11 / 10).contains(n))
    };
    assert!(
        within(&config, &real_config),
        "{config:?} vs {real_config:?}"
    );
    let real_with_evals: Vec<usize> = real_summary.into_iter().filter(|n| *n > 100).collect();
    assert!(
        within(&summary, &real_with_evals),
        "{summary:?} vs {real_with_evals:?}"
    );

    // History: the real file's columns, with its types, plus the keys a run type logs.
    let (real_history, _) = read(&real.join("wandb_history_sample.parquet"));
    let (history, _) = read(&out.history_files[0]);
    for field in real_history.fields() {
        let ours = history
            .field_with_name(field.name())
            .unwrap_or_else(|_| panic!("no column {}", field.name()));
        assert_eq!(ours.data_type(), field.data_type(), "{}", field.name());
    }
    assert_eq!(names(&history)[..4], names(&real_history)[..4]);
}
