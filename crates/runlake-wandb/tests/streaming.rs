//! Flat history Parquet files are staged column by column; the lake must hold exactly what
//! reading every row into memory gives, for clean files and for the cases streaming hands
//! back to the row-wise reader (repeated steps, rows of unknown runs, non-numeric keys).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_wandb::generate::{GenerateOptions, generate};
use runlake_wandb::{
    BuildOptions, ConvertOptions, Gathered, OnError, Summary, convert_paths, gather, stage,
};

fn run_ids(runs_file: &Path) -> Vec<String> {
    let file = File::open(runs_file).expect("runs file");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let ids = batch
            .column_by_name("run_id")
            .expect("run_id")
            .as_string::<i32>();
        out.extend(ids.iter().flatten().map(str::to_owned));
    }
    out
}

/// A flat history file: `(run_id, step, train_loss)` rows, plus a text column when given.
fn history_file(path: &Path, rows: &[(&str, i64, f64)], note: Option<&str>) {
    let mut fields = vec![
        Field::new("run_id", DataType::Utf8, false),
        Field::new("step", DataType::Int64, false),
        Field::new("train_loss", DataType::Float64, true),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2))),
    ];
    if let Some(note) = note {
        fields.push(Field::new("note", DataType::Utf8, true));
        columns.push(Arc::new(StringArray::from_iter_values(
            rows.iter().map(|_| note),
        )));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
    let mut w =
        ArrowWriter::try_new(File::create(path).expect("create"), schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// A generated export plus history files that cannot all be streamed.
fn export(dir: &Path) -> (PathBuf, Vec<String>) {
    let out = dir.join("export");
    let summary = generate(
        &out,
        &GenerateOptions {
            runs: 7,
            steps: 40,
            runs_per_file: 3,
            ..GenerateOptions::default()
        },
    )
    .expect("generate");
    let ids = run_ids(&summary.runs_file);
    // Run 1 logs step 20 again with another loss: a conflict its rows must show.
    history_file(
        &out.join("history/part-90000.parquet"),
        &[(&ids[1], 20, 9.5), ("no-such-run", 3, 1.0)],
        None,
    );
    // Run 2 logs more steps with a text key: read row by row.
    history_file(
        &out.join("history/part-90001.parquet"),
        &[(&ids[2], 100_000, 0.25), (&ids[2], 100_001, 0.5)],
        Some("late eval"),
    );
    (out, ids)
}

/// Every row of a table as text, sorted, without the content hash (computed differently for
/// streamed runs).
async fn rows(lake: &Lake, table: Table) -> Vec<String> {
    let m = lake.latest().await.expect("manifest");
    let batches = lake.read_table(&m, table).await.expect("read");
    let hash = regex::Regex::new(r#",?"content_hash":"[0-9a-f]+""#).expect("regex");
    let mut out: Vec<String> = common::row_texts(&batches)
        .iter()
        .map(|row| hash.replace_all(row, "").into_owned())
        .collect();
    out.sort();
    out
}

async fn convert(dir: &Path, input: &Path, row_wise_history: bool) -> (Lake, Summary) {
    let lake = Lake::create(dir.to_str().expect("utf8 path"))
        .await
        .expect("lake");
    let opts = ConvertOptions {
        build: BuildOptions {
            row_wise_history,
            ..BuildOptions::default()
        },
        ..ConvertOptions::default()
    };
    let summary = convert_paths(&lake, &[input.to_owned()], &opts)
        .await
        .expect("convert");
    (lake, summary)
}

#[tokio::test]
async fn streamed_history_converts_to_the_rows_of_the_row_wise_reader() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (input, ids) = export(tmp.path());

    let gathered = gather(std::slice::from_ref(&input), OnError::Fail).expect("gather");
    let streamed: Vec<&str> = gathered
        .inputs
        .streamed_runs()
        .iter()
        .filter(|r| r.increasing)
        .map(|r| r.run_id.as_str())
        .collect();
    // Every generated file streams; run 1 repeats a step, so only its scan says so.
    assert_eq!(gathered.inputs.streamed.len(), 4);
    assert!(streamed.contains(&ids[0].as_str()));
    assert!(!streamed.contains(&ids[1].as_str()));
    assert_eq!(gathered.inputs.history.len(), 2, "the file with a text key");

    let (fast, fast_summary) = convert(&tmp.path().join("fast"), &input, false).await;
    let (slow, slow_summary) = convert(&tmp.path().join("slow"), &input, true).await;
    for table in [
        Table::Metadata,
        Table::PosttrainSteps,
        Table::Evals,
        Table::Lineage,
    ] {
        let (a, b) = (rows(&fast, table).await, rows(&slow, table).await);
        assert_eq!(a.len(), b.len(), "{table}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{table}");
        }
    }
    assert_eq!(fast_summary.rows_written, slow_summary.rows_written);
    assert_eq!(
        fast_summary.rows_written.get("posttrain_steps"),
        Some(&(7 * 40 + 1 + 2))
    );
    assert_eq!(fast_summary.report, slow_summary.report);
    let report = &fast_summary.report;
    assert_eq!(report.history_without_run.get("no-such-run"), Some(&1));
    assert_eq!(report.conflicting_steps.len(), 1);
    assert_eq!(report.conflicting_steps[0].step, 20);
}

#[tokio::test]
async fn converting_a_streamed_export_again_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (input, _) = export(tmp.path());
    let (lake, first) = convert(&tmp.path().join("lake"), &input, false).await;
    assert!(first.commit.version.is_some());
    let again = convert_paths(&lake, &[input], &ConvertOptions::default())
        .await
        .expect("again");
    assert_eq!(again.commit.version, None);
    assert_eq!(again.runs_unchanged.len(), 7);
}

/// Gathers `input` with scans keeping at most `hold` decoded bytes of history, removes
/// `removed` (history files) and stages and commits the rest into a new lake.
async fn convert_holding(
    dir: &Path,
    input: &Path,
    hold: usize,
    removed: &[PathBuf],
) -> runlake_wandb::Result<Lake> {
    let lake = Lake::create(dir.to_str().expect("utf8 path"))
        .await
        .expect("lake");
    let mut gathered = Gathered::holding(hold);
    let kind = runlake_wandb::read::detect(input).expect("detect");
    gathered.read(input, &kind, OnError::Fail).expect("read");
    for file in removed {
        std::fs::rename(file, file.with_extension("gone")).expect("remove");
    }
    let manifest = lake.latest().await.expect("manifest");
    let mut tx = lake.transaction("test", "held history");
    let staged = stage(
        &lake,
        &manifest,
        &mut tx,
        gathered,
        &ConvertOptions::default(),
    )
    .await;
    for file in removed {
        std::fs::rename(file.with_extension("gone"), file).expect("restore");
    }
    staged?;
    tx.commit().await.expect("commit");
    Ok(lake)
}

#[tokio::test]
async fn held_history_is_staged_without_reading_its_files_again_and_writes_the_same_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (input, _) = export(tmp.path());
    // Runs 3, 4 and 5 stream from this file alone; nothing else reads it after the scan.
    let clean = input.join("history/part-00001.parquet");
    assert!(clean.exists());

    let (reference, _) = convert(&tmp.path().join("reference"), &input, true).await;
    let held = convert_holding(
        &tmp.path().join("held"),
        &input,
        usize::MAX,
        std::slice::from_ref(&clean),
    )
    .await
    .expect("held batches need no file");
    let reread = convert_holding(&tmp.path().join("reread"), &input, usize::MAX, &[])
        .await
        .expect("reread");
    let none_held = convert_holding(&tmp.path().join("none"), &input, 0, &[])
        .await
        .expect("read again");
    for table in [Table::Metadata, Table::PosttrainSteps, Table::Lineage] {
        let expected = rows(&reference, table).await;
        assert!(!expected.is_empty(), "{table}");
        for lake in [&held, &reread, &none_held] {
            assert_eq!(rows(lake, table).await, expected, "{table}");
        }
    }

    // With no budget the file is read again when staged, so its absence is an error.
    let err = convert_holding(
        &tmp.path().join("missing"),
        &input,
        0,
        std::slice::from_ref(&clean),
    )
    .await
    .expect_err("a streamed file gone before staging");
    assert!(err.to_string().contains("part-00001.parquet"), "{err}");
}
