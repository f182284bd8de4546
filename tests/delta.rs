//! Every table folder is also a Delta table: delta-rs and Polars read exactly the rows runlake
//! reads, at every version, through re-imports, compaction, checkpoints, gc and rebuilds.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use runlake_lake::testkit::delta::{DeltaRead, read_delta};
use runlake_lake::testkit::{batch, canonical_rows};
use runlake_lake::{Lake, Table};

fn runlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .output()
        .expect("runlake runs")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Partition values a plain path would mangle: `/`, `%`, spaces, `=`, `..` and non-ASCII.
const AWKWARD: [&str; 4] = ["a/b %c", "..", "x=y", "Grüße 東京"];

/// `batch` with the table's partition column cycling through [`AWKWARD`].
fn awkward(table: Table, runs: &[&str], per_run: usize, seed: u64) -> RecordBatch {
    let b = batch(table, runs, per_run, seed);
    let Some(column) = table.partition_columns().first() else {
        return b;
    };
    let idx = b.schema().index_of(column).expect("partition column");
    let values: Vec<&str> = (0..b.num_rows())
        .map(|i| AWKWARD[(i + seed as usize) % AWKWARD.len()])
        .collect();
    let mut columns: Vec<ArrayRef> = b.columns().to_vec();
    columns[idx] = Arc::new(StringArray::from(values));
    RecordBatch::try_new(b.schema(), columns).expect("batch")
}

/// Every file of every table's `_delta_log`, by lake-relative path.
fn log_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for table in Table::ALL {
        let dir = root.join(table.name()).join("_delta_log");
        for entry in std::fs::read_dir(&dir).expect("log folder") {
            let entry = entry.expect("entry");
            let name = entry.file_name().into_string().expect("utf8");
            out.insert(
                format!("{}/_delta_log/{name}", table.name()),
                std::fs::read(entry.path()).expect("read"),
            );
        }
    }
    out
}

fn remove_logs(root: &Path) {
    for table in Table::ALL {
        std::fs::remove_dir_all(root.join(table.name()).join("_delta_log")).expect("remove");
    }
}

/// Asserts that `engine` reads every `(table, version)` exactly as runlake does.
async fn assert_reads_match(
    engine: &str,
    lake: &Lake,
    root: &Path,
    versions: &[u64],
    scratch: &Path,
) {
    let mut reads = Vec::new();
    let mut expected = Vec::new();
    for &v in versions {
        let manifest = lake.version(v).await.expect("version");
        for table in Table::ALL {
            let rows = canonical_rows(&lake.read_table(&manifest, table).await.expect("read"));
            expected.push((table, v, rows));
            reads.push(DeltaRead {
                table,
                uri: root.join(table.name()).to_str().expect("utf8").to_owned(),
                version: Some(v),
            });
        }
    }
    let got = read_delta(engine, &serde_json::json!({}), &reads, scratch);
    for ((table, v, rows), read) in expected.into_iter().zip(got) {
        let read = read.unwrap_or_else(|e| panic!("{engine} on {table} at version {v}: {e}"));
        assert_eq!(
            canonical_rows(&read),
            rows,
            "{engine} on {table} at version {v}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_readers_see_every_version_runlake_sees() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("lake");
    let location = root.to_str().expect("utf8").to_owned();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch");
    let lake = Lake::create(&location).await.expect("create");

    // Version 1: every table; then single-table commits, a re-import that rewrites files, a
    // compaction (dataChange false), past the checkpoint at version 10.
    let runs = [
        "dd/c4/150M/default",
        "wandb/lab/x%2Fy/r 1",
        "dd/dolma1_7/1B/large-aux-2",
    ];
    let mut tx = lake.transaction("convert", "first");
    for (i, table) in Table::ALL.into_iter().enumerate() {
        let per_run = if table == Table::Metadata { 1 } else { 5 };
        tx.upsert(table, awkward(table, &runs, per_run, i as u64))
            .expect("upsert");
    }
    tx.commit().await.expect("commit");
    for i in 0..8u64 {
        let table = Table::ALL[i as usize % Table::ALL.len()];
        let run = format!("wandb/lab/p/run-{i}");
        let mut tx = lake.transaction("convert", "more");
        let per_run = if table == Table::Metadata { 1 } else { 4 };
        tx.upsert(table, awkward(table, &[&run], per_run, 10 + i))
            .expect("upsert");
        tx.commit().await.expect("commit");
    }
    let mut tx = lake.transaction("reimport", "");
    tx.delete_runs(Table::Evals, [runs[0]]);
    tx.upsert(Table::Evals, awkward(Table::Evals, &[runs[0]], 3, 77))
        .expect("upsert");
    tx.commit().await.expect("commit");
    let compacted = runlake_lake::compact::compact(&lake, Table::Evals)
        .await
        .expect("compact");
    assert!(compacted.version.is_some());
    for i in 0..2u64 {
        let mut tx = lake.transaction("convert", "last");
        tx.upsert(
            Table::Lineage,
            awkward(
                Table::Lineage,
                &[&format!("wandb/lab/p/late-{i}")],
                2,
                90 + i,
            ),
        )
        .expect("upsert");
        tx.commit().await.expect("commit");
    }
    let latest = lake.latest().await.expect("latest").version;
    assert!(latest >= 12, "the history passes a checkpoint: {latest}");
    let files = log_files(&root);
    assert!(
        files.contains_key("evals/_delta_log/00000000000000000010.checkpoint.parquet"),
        "{:?}",
        files.keys().collect::<Vec<_>>()
    );
    assert!(files.contains_key("evals/_delta_log/_last_checkpoint"));

    let all: Vec<u64> = (0..=latest).collect();
    assert_reads_match("deltalake", &lake, &root, &all, &scratch).await;
    assert_reads_match("polars", &lake, &root, &[latest], &scratch).await;
    let report = runlake_lake::verify::verify(&lake, false)
        .await
        .expect("verify");
    assert!(report.is_sound(), "{:?}", report.problems);

    // A log deleted is rebuilt byte for byte by `runlake delta`.
    remove_logs(&root);
    let out = runlake(&["delta", &location]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("at version {latest}")));
    assert_eq!(log_files(&root), files);

    // gc expires every version but the latest and deletes superseded files: the latest still
    // reads everywhere, an expired version fails as after Delta's VACUUM.
    let gc = runlake_lake::gc::gc(&lake, std::time::Duration::ZERO, false)
        .await
        .expect("gc");
    assert!(!gc.deleted_files.is_empty());
    assert_reads_match("deltalake", &lake, &root, &[latest], &scratch).await;
    let evals = root.join("evals").to_str().expect("utf8").to_owned();
    let old = read_delta(
        "deltalake",
        &serde_json::json!({}),
        &[DeltaRead {
            table: Table::Evals,
            uri: evals.clone(),
            version: Some(1),
        }],
        &scratch,
    );
    assert!(old[0].is_err(), "version 1's files are gone");

    // Rebuilt after gc, the log starts from a checkpoint at the first retained version.
    remove_logs(&root);
    let out = runlake(&["delta", &location]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rebuilt: Vec<String> = log_files(&root)
        .into_keys()
        .filter(|p| p.starts_with("evals/"))
        .collect();
    assert_eq!(
        rebuilt,
        [
            format!("evals/_delta_log/{latest:020}.checkpoint.parquet"),
            "evals/_delta_log/_last_checkpoint".to_owned(),
        ]
    );
    assert_reads_match("deltalake", &lake, &root, &[latest], &scratch).await;
    let report = runlake_lake::verify::verify(&lake, false)
        .await
        .expect("verify");
    assert!(report.is_sound(), "{:?}", report.problems);
}

#[test]
fn verify_names_a_log_that_disagrees_and_repair_fixes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/wandb/dr_wandb_v3/ft-scaling");
    let out = runlake(&["convert", input.to_str().expect("utf8"), "--lake", lake]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(runlake(&["verify", lake]).status.success());

    // An edited commit, and a table whose log lost its newest commit (a crash between the
    // manifest and the log).
    let edited = Path::new(lake).join("evals/_delta_log/00000000000000000001.json");
    let original = std::fs::read(&edited).expect("commit");
    std::fs::write(&edited, b"{\"commitInfo\":{}}\n").expect("edit");
    let behind = Path::new(lake).join("metadata/_delta_log/00000000000000000001.json");
    std::fs::remove_file(&behind).expect("remove");
    let out = runlake(&["verify", lake]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stdout);
    assert!(
        said.contains("evals/_delta_log/00000000000000000001.json: delta_log: differs"),
        "{said}"
    );
    // Lagging is what a crash leaves, not damage: a note, which alone keeps verify at 0.
    assert!(
        said.contains("metadata/_delta_log: note: the Delta log ends at version 0"),
        "{said}"
    );

    std::fs::write(&edited, &original).expect("restore");
    let out = runlake(&["verify", lake]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("note: the Delta log ends at version 0"));
    std::fs::write(&edited, b"{\"commitInfo\":{}}\n").expect("edit");

    let out = runlake(&["verify", lake, "--repair"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&edited).expect("commit"), original);
    assert!(behind.exists());
    assert!(
        !text(&out.stdout).contains("note:"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_lake_made_without_delta_keeps_no_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    let out = runlake(&["init", lake, "--no-delta"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/wandb/dr_wandb_v3/ft-scaling");
    let out = runlake(&["convert", input.to_str().expect("utf8"), "--lake", lake]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for table in Table::ALL {
        assert!(
            !Path::new(lake)
                .join(table.name())
                .join("_delta_log")
                .exists()
        );
    }
    let out = runlake(&["delta", lake]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("--no-delta"));
    assert!(!Path::new(lake).join("evals/_delta_log").exists());
    assert!(runlake(&["verify", lake]).status.success());
}

#[tokio::test]
async fn an_empty_partition_value_is_refused_naming_the_column() {
    let lake = Lake::in_memory();
    let mut b = batch(Table::Evals, &["dd/c4/150M/default"], 2, 1);
    let idx = b.schema().index_of("phase").expect("phase");
    let mut columns: Vec<ArrayRef> = b.columns().to_vec();
    columns[idx] = Arc::new(StringArray::from(vec!["pretrain", ""]));
    b = RecordBatch::try_new(b.schema(), columns).expect("batch");
    let mut tx = lake.transaction("convert", "");
    let refused = match tx.upsert(Table::Evals, b) {
        Err(e) => e,
        Ok(()) => tx
            .commit()
            .await
            .expect_err("an empty partition value is refused"),
    };
    let said = refused.to_string();
    assert!(said.contains("`phase`") && said.contains("empty"), "{said}");
    assert!(said.contains("row 1"), "{said}");
}
