//! Plain-Parquet readers (pyarrow.dataset, DuckDB and Polars, hive partitioning on, with the
//! README's globs) read each table folder of a lake runlake wrote and get exactly the rows
//! runlake reads.

use std::path::Path;
use std::process::Command;

use arrow::array::RecordBatch;
use runlake_lake::testkit::{batch, canonical_rows};
use runlake_lake::{Lake, Table};

/// Reads `folder` with `engine` and returns its rows cast to the table's logical schema.
fn read_with(engine: &str, table: Table, folder: &Path, scratch: &Path) -> Vec<RecordBatch> {
    let out = scratch.join(format!("{engine}-{table}.parquet"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/read_table.py");
    let status = Command::new(runlake_lake::testkit::env::python())
        .arg(script)
        .arg(engine)
        .arg(folder)
        .arg(if table.partition_columns().is_empty() {
            "flat"
        } else {
            "partitioned"
        })
        .arg(&out)
        .status()
        .expect("python runs");
    assert!(
        status.success(),
        "{engine} failed to read {}",
        folder.display()
    );
    runlake_lake::testkit::delta::logical(table, &out, engine)
}

#[tokio::test]
async fn pyarrow_duckdb_and_polars_see_exactly_the_live_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = dir.path().join("lake");
    let lake = Lake::create(location.to_str().expect("utf8"))
        .await
        .expect("create");
    let runs = [
        "dd/c4/150M/default",
        "wandb/ml-moe/ft-scaling/lr=5e-06--x.y",
        "dd/dolma1_7/1B/large-aux-2",
    ];
    let mut tx = lake.transaction("test", "");
    for (i, table) in Table::ALL.into_iter().enumerate() {
        let per_run = if table == Table::Metadata { 1 } else { 6 };
        tx.upsert(table, batch(table, &runs, per_run, i as u64))
            .expect("upsert");
    }
    tx.commit().await.expect("commit");
    // A re-import supersedes files; after gc plain readers see only live files again.
    let mut tx = lake.transaction("reimport", "");
    tx.delete_runs(Table::Evals, [runs[0]]);
    tx.upsert(Table::Evals, batch(Table::Evals, &[runs[0]], 3, 77))
        .expect("upsert");
    tx.commit().await.expect("commit");
    // Past version 10 every table's Delta log holds a Parquet checkpoint, which the
    // documented globs must not pick up.
    for i in 0..8u64 {
        let mut tx = lake.transaction("more", "");
        tx.upsert(
            Table::Lineage,
            batch(Table::Lineage, &[&format!("extra-{i}")], 2, 100 + i),
        )
        .expect("upsert");
        tx.commit().await.expect("commit");
    }
    assert!(
        location
            .join("evals/_delta_log/00000000000000000010.checkpoint.parquet")
            .exists()
    );
    runlake_lake::gc::gc(&lake, std::time::Duration::ZERO, false)
        .await
        .expect("gc");

    let manifest = lake.latest().await.expect("latest");
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch");
    for table in Table::ALL {
        let ours = canonical_rows(&lake.read_table(&manifest, table).await.expect("read"));
        assert!(!ours.is_empty());
        for engine in ["pyarrow", "duckdb", "polars"] {
            let theirs = read_with(engine, table, &location.join(table.name()), &scratch);
            assert_eq!(canonical_rows(&theirs), ours, "{engine} on {table}");
        }
    }
}
