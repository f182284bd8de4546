//! The program end to end: exit codes, messages naming paths, and the documented example.

use std::path::Path;
use std::process::{Command, Output};

fn runlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .output()
        .expect("runlake runs")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn testdata(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
        .to_str()
        .expect("utf8")
        .to_owned()
}

#[test]
fn init_log_inspect_verify_gc_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");

    let out = runlake(&["init", lake]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = runlake(&["init", lake]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains(lake),
        "{}",
        text(&again.stderr)
    );

    let out = runlake(&[
        "convert",
        &testdata("wandb/dr_wandb_v3/ft-scaling"),
        "--lake",
        lake,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json summary");
    assert_eq!(summary["post_training"]["commit"]["version"], 1);

    let log = runlake(&["log", lake, "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&log.stdout).expect("json log");
    assert_eq!(log[0]["version"], 1);
    assert_eq!(log[0]["operation"], "convert");
    assert_eq!(log[1]["operation"], "init");

    let inspect = runlake(&["inspect", lake, "--table", "metadata", "--json"]);
    let inspect: serde_json::Value = serde_json::from_slice(&inspect.stdout).expect("json");
    assert_eq!(inspect["tables"][0]["name"], "metadata");
    assert_eq!(inspect["tables"][0]["rows"], 7);

    let files = runlake(&["files", lake, "--table", "posttrain_steps"]);
    let listed = text(&files.stdout);
    let lines: Vec<_> = listed.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(Path::new(line).is_file(), "{line} is not a file");
        assert!(line.contains("/posttrain_steps/training_type="), "{line}");
    }

    let ok = runlake(&["verify", lake, "--deep"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));

    std::fs::remove_file(lines[0]).expect("delete a data file");
    let bad = runlake(&["verify", lake]);
    assert_eq!(bad.status.code(), Some(1));
    let report = text(&bad.stdout);
    let name = Path::new(lines[0])
        .file_name()
        .expect("name")
        .to_str()
        .expect("utf8");
    assert!(
        report.contains(name) && report.contains("missing"),
        "{report}"
    );

    let gc = runlake(&["gc", lake, "--older-than", "0s", "--dry-run"]);
    assert!(gc.status.success(), "{}", text(&gc.stderr));
    assert!(
        text(&gc.stdout).contains("would delete"),
        "{}",
        text(&gc.stdout)
    );
}

#[test]
fn usage_and_io_errors_exit_2_naming_the_path() {
    let missing = runlake(&["log", "/nonexistent/lake"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("/nonexistent/lake"),
        "{}",
        text(&missing.stderr)
    );
    let scheme = runlake(&["log", "ftp://host/lake"]);
    assert_eq!(scheme.status.code(), Some(2));
    assert!(text(&scheme.stderr).contains("unsupported scheme"));
    let usage = runlake(&["gc", "x", "--older-than", "7w"]);
    assert_eq!(usage.status.code(), Some(2));
    let table = runlake(&["files", "/tmp", "--table", "evalz"]);
    assert_eq!(table.status.code(), Some(2));
}

#[test]
fn converting_twice_adds_no_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    let input = testdata("wandb/dr_wandb_v3/ft-scaling");
    for _ in 0..2 {
        let out = runlake(&["convert", &input, "--lake", lake, "--quiet"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let log = runlake(&["log", lake, "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&log.stdout).expect("json");
    assert_eq!(
        log.as_array().expect("array").len(),
        2,
        "init and one convert"
    );
}
