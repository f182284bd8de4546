//! The default conversion path writes the same lake rows as the reference path (owned metric
//! pairs, Parquet text copied out of its pages, parsing and writing in turn).

use std::path::PathBuf;

use runlake_datadecide::{ConvertOptions, ConvertSummary, OnError, convert_files, generate};
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_lake::testkit::{canonical_rows, local_lake};

async fn convert(inputs: &[PathBuf], reference: bool) -> (tempfile::TempDir, Lake, ConvertSummary) {
    let (dir, lake) = local_lake().await;
    let opts = ConvertOptions {
        reference,
        // Small batches, so each file spans many chunks and the overlap is exercised.
        output_batch_rows: 1000,
        on_error: OnError::Skip,
        ..ConvertOptions::default()
    };
    let summary = convert_files(&lake, inputs, opts, &|_| {})
        .await
        .expect("convert");
    (dir, lake, summary)
}

async fn rows(lake: &Lake, table: Table) -> Vec<String> {
    let m = lake.latest().await.expect("manifest");
    canonical_rows(&lake.read_table(&m, table).await.expect("read"))
}

#[tokio::test]
async fn default_path_writes_the_rows_of_the_reference_path() {
    let export = tempfile::tempdir().expect("tempdir");
    let generated = generate::generate(export.path(), 7, 0.01).expect("generate");
    // A second copy of one train file: every row of it is an exact duplicate to drop.
    let first = generated.train_files.first().expect("a train file").clone();
    let copy = export.path().join("copy-of-train.parquet");
    std::fs::copy(&first, &copy).expect("copy");
    // A train file as JSON Lines with the cases the generator never writes: nan, None, bools,
    // a nested dict, a conflicting duplicate and a malformed dict.
    let jsonl = export.path().join("odd-train.jsonl");
    let line = |step: u32, metrics: &str| {
        format!(
            "{{\"params\": \"150M\", \"data\": \"C4\", \"seed\": \"default\", \"step\": {step}, \
             \"task\": \"arc_easy\", \"tokens\": null, \"compute\": null, \"metrics\": \"{metrics}\"}}\n"
        )
    };
    let text = [
        line(
            1,
            "{'acc_raw': nan, 'acc_uncond': None, 'no_answer': True, 'x': False}",
        ),
        line(
            2,
            "{'acc_raw': 0.5, 'extra': {'inner': -inf, 'deeper': {'z': 1e-300}}}",
        ),
        line(2, "{'acc_raw': 0.25}"),
        line(3, "{'acc_raw': 0.5,"),
        line(
            4,
            "{'primary_metric': 0.2942430703624733, 'predicted_index_raw': 2.56}",
        ),
    ]
    .concat();
    std::fs::write(&jsonl, text).expect("write jsonl");
    let inputs = vec![export.path().to_owned()];

    let (_a, fast, fast_summary) = convert(&inputs, false).await;
    let (_b, reference, ref_summary) = convert(&inputs, true).await;

    let evals = fast_summary.table(Table::Evals);
    assert!(evals.written > 1000, "{evals:?}");
    assert!(
        evals.deduplicated > 0,
        "the copy's rows are dropped: {evals:?}"
    );
    assert_eq!(
        fast_summary.rejected_total, 2,
        "{:?}",
        fast_summary.rejections
    );
    for table in [Table::Evals, Table::PretrainCkpts, Table::Metadata] {
        assert_eq!(
            fast_summary.table(table),
            ref_summary.table(table),
            "{table:?}"
        );
        let (got, want) = (rows(&fast, table).await, rows(&reference, table).await);
        assert!(!want.is_empty(), "{table:?} has rows");
        assert_eq!(got.len(), want.len(), "{table:?} row count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{table:?}");
        }
    }
    assert_eq!(fast_summary.rejections, ref_summary.rejections);
    assert_eq!(fast_summary.empty_cells, ref_summary.empty_cells);
}
