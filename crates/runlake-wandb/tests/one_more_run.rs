//! Converting one more run into a lake that holds pretraining evals and earlier post-training
//! runs reads only the post-training rows of `metadata`: no other data file, and nothing of
//! the tables the conversion only adds to.

use std::path::Path;

use runlake_format::Table;
use runlake_lake::testkit::recording::RecordingStore;
use runlake_wandb::generate::{GenerateOptions, generate};
use runlake_wandb::{ConvertOptions, convert_paths};

fn wandb_export(out: &Path, first_run: usize, runs: usize) -> Vec<std::path::PathBuf> {
    let s = generate(
        out,
        &GenerateOptions {
            first_run,
            runs,
            steps: 30,
            ..GenerateOptions::default()
        },
    )
    .expect("generate");
    let mut inputs = vec![s.runs_file];
    inputs.extend(s.history_files);
    inputs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_more_run_reads_no_file_of_the_tables_it_only_adds_to() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (store, lake) = RecordingStore::lake();
    lake.init().await.expect("init");

    let dd = runlake_datadecide::generate::generate(&tmp.path().join("dd"), 1, 0.001)
        .expect("generate pretraining");
    runlake_datadecide::convert_files(
        &lake,
        &dd.train_files,
        runlake_datadecide::ConvertOptions::default(),
        &|_| {},
    )
    .await
    .expect("pretraining");
    let first = wandb_export(&tmp.path().join("first"), 0, 6);
    let before = convert_paths(&lake, &first, &ConvertOptions::default())
        .await
        .expect("six runs");
    assert_eq!(before.runs_new.len(), 6);

    // Run 6 is a DPO run of run 5, which only the lake knows.
    let more = wandb_export(&tmp.path().join("more"), 6, 1);
    store.take();
    let summary = convert_paths(&lake, &more, &ConvertOptions::default())
        .await
        .expect("one more");
    assert_eq!(summary.runs_new.len(), 1);
    assert!(summary.commit.version.is_some());

    let requests = store.take();
    let data_reads: Vec<String> = RecordingStore::paths(&requests, "get")
        .into_iter()
        .filter(|p| p.ends_with(".parquet") && !p.contains("/_delta_log/"))
        .collect();
    assert!(
        data_reads
            .iter()
            .any(|p| p.starts_with("metadata/phase=posttrain/")),
        "the known post-training runs are read: {data_reads:?}"
    );
    for path in &data_reads {
        assert!(
            path.starts_with("metadata/phase=posttrain/"),
            "read {path}, which the conversion does not need"
        );
    }

    // The new run's parent is found among the runs read.
    let manifest = lake.latest().await.expect("manifest");
    let lineage = lake
        .read_table(&manifest, Table::Lineage)
        .await
        .expect("lineage");
    let resolved: Vec<(String, String)> = lineage
        .iter()
        .flat_map(|b| {
            let child = b.column_by_name("child_run_uid").expect("child");
            let parent = b.column_by_name("parent_run_uid").expect("parent");
            let source = b.column_by_name("evidence_source").expect("source");
            (0..b.num_rows())
                .filter(|&i| {
                    arrow::util::display::array_value_to_string(source, i).expect("source")
                        == "resolved"
                })
                .map(|i| {
                    (
                        arrow::util::display::array_value_to_string(child, i).expect("child"),
                        arrow::util::display::array_value_to_string(parent, i).expect("parent"),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let new_uid = &summary.runs_new[0];
    let parent = resolved
        .iter()
        .find(|(c, _)| c == new_uid)
        .map(|(_, p)| p.clone())
        .expect("the new run's resolved parent");
    assert!(parent.contains("sweep00005_finetune"), "{parent}");
}
