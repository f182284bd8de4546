//! Helpers shared by the tests that drive the built program.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use runlake_lake::{Lake, Table};
use serde_json::Value;

pub fn runlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .output()
        .expect("runlake runs")
}

pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Runs a command that must succeed; returns its standard output.
pub fn ok(args: &[&str]) -> String {
    let out = runlake(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

pub fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// JSON-lines output, parsed.
pub fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A local lake holding the plot example data set (pretraining runs of two recipes, two sizes
/// and two seeds; post-training runs with lineage), committed as one version.
pub fn example_lake(dir: &Path) -> String {
    let location = dir.join("lake");
    let location = utf8(&location).to_owned();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let lake = Lake::create(&location).await.expect("create");
        let mut tx = lake.transaction("fixture", "plot example data set");
        for table in Table::ALL {
            let path = testdata(&format!("plot/{}.jsonl", table.name()));
            let rows = std::fs::read_to_string(&path).expect("fixture file");
            let batch = runlake_plot::rows::batch_from_json_lines(
                table,
                &rows,
                &path.display().to_string(),
            )
            .expect("fixture rows match the schema");
            tx.upsert(table, batch).expect("upsert");
        }
        tx.commit().await.expect("commit");
    });
    location
}
