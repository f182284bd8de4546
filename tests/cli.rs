//! The program end to end: exit codes, messages naming paths, and the documented example.

use std::path::{Path, PathBuf};
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

fn versions(lake: &str) -> usize {
    let log = runlake(&["log", lake, "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&log.stdout).expect("json");
    log.as_array().expect("array").len()
}

#[test]
fn one_convert_of_every_input_kind_is_one_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    let out = runlake(&[
        "convert",
        &testdata("datadecide/eval-results/data/train.rows.jsonl"),
        &testdata("wandb/dr_wandb_v3/ft-scaling"),
        &testdata("oe_eval/dump-2025-11-03_posttrain"),
        "--lake",
        lake,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json summary");
    assert_eq!(summary["commit"]["version"], 1);
    assert_eq!(summary["pretraining"]["commit"]["version"], 1);
    assert_eq!(summary["post_training"]["commit"]["version"], 1);
    assert_eq!(summary["inputs"].as_array().expect("inputs").len(), 3);
    assert_eq!(versions(lake), 2, "init and one convert");
}

#[test]
fn a_shrinking_reimport_needs_replace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    let export = dir.path().join("export");
    std::fs::create_dir_all(&export).expect("mkdir");
    let from = Path::new(&testdata("wandb/dr_wandb_v3/ft-scaling")).to_owned();
    for name in ["manifest.json", "state.json", "runs.jsonl", "history.jsonl"] {
        std::fs::copy(from.join(name), export.join(name)).expect("copy");
    }
    let export = export.to_str().expect("utf8");
    let out = runlake(&["convert", export, "--lake", lake, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The re-export lost the last history row of the run logged last.
    let history = Path::new(export).join("history.jsonl");
    let rows = std::fs::read_to_string(&history).expect("history");
    let mut lines: Vec<&str> = rows.lines().collect();
    lines.pop();
    std::fs::write(&history, lines.join("\n") + "\n").expect("write");

    let refused = runlake(&["convert", export, "--lake", lake, "--quiet"]);
    assert_eq!(refused.status.code(), Some(2));
    let err = text(&refused.stderr);
    assert!(
        err.contains("posttrain_steps") && err.contains("--replace"),
        "{err}"
    );
    assert!(err.contains("nothing was committed"), "{err}");
    assert_eq!(versions(lake), 2);

    let allowed = runlake(&["convert", export, "--lake", lake, "--replace", "--quiet"]);
    assert!(allowed.status.success(), "{}", text(&allowed.stderr));
    assert!(
        text(&allowed.stdout).contains("shrunk"),
        "{}",
        text(&allowed.stdout)
    );
    assert_eq!(versions(lake), 3);
}

/// A lake in a new temporary folder, converted from the test data at `input`.
fn converted_lake(input: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake_s = lake.to_str().expect("utf8");
    let out = runlake(&["convert", &testdata(input), "--lake", lake_s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (dir, lake)
}

#[test]
fn stray_version_files_are_named_never_listed_and_stop_gc() {
    let (_dir, lake) = converted_lake("wandb/dr_wandb_v3/ft-scaling");
    let lake_s = lake.to_str().expect("utf8");
    let versions_dir = lake.join("_runlake/versions");
    let v0 = std::fs::read(versions_dir.join("18446744073709551615.json")).expect("version 0");
    // A copy of version 0 under the name of version u64::MAX.
    std::fs::write(versions_dir.join("00000000000000000000.json"), v0).expect("stray");

    let log = runlake(&["log", lake_s, "--json"]);
    assert!(log.status.success(), "{}", text(&log.stderr));
    let entries: serde_json::Value = serde_json::from_slice(&log.stdout).expect("json");
    let listed: Vec<u64> = entries
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["version"].as_u64().expect("version"))
        .collect();
    assert_eq!(listed, vec![1, 0]);
    assert!(text(&log.stderr).contains("00000000000000000000.json"));

    let verify = runlake(&["verify", lake_s]);
    assert_eq!(verify.status.code(), Some(1));
    let report = text(&verify.stdout);
    assert!(
        report.contains("00000000000000000000.json") && report.contains("stray"),
        "{report}"
    );

    let gc = runlake(&["gc", lake_s, "--older-than", "0s"]);
    assert_eq!(gc.status.code(), Some(2), "{}", text(&gc.stdout));
    assert!(
        text(&gc.stderr).contains("00000000000000000000.json"),
        "{}",
        text(&gc.stderr)
    );
    let query = runlake(&[
        "query", lake_s, "--table", "metadata", "--select", "run_uid", "--format", "csv",
    ]);
    assert!(query.status.success(), "{}", text(&query.stderr));
}

#[test]
fn inspect_and_gc_dry_run_count_superseded_files_on_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    for input in ["datadecide/eval-results", "datadecide/ppl-results"] {
        let out = runlake(&["convert", &testdata(input), "--lake", lake]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = runlake(&["compact", lake]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let inspect = runlake(&["inspect", lake, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&inspect.stdout).expect("json");
    let kept = json["files_not_live"]["kept"].as_u64().expect("kept");
    assert!(kept > 0, "{json}");
    assert_eq!(json["files_not_live"]["collectable"], 0);
    let inspect = runlake(&["inspect", lake]);
    assert!(
        text(&inspect.stdout).contains(&format!("{kept} data files on disk are not part")),
        "{}",
        text(&inspect.stdout)
    );
    let dry = runlake(&["gc", lake, "--dry-run"]);
    assert!(
        text(&dry.stdout).contains(&format!("kept {kept} superseded or uncommitted files")),
        "{}",
        text(&dry.stdout)
    );
    let gc = runlake(&["gc", lake, "--older-than", "0s"]);
    assert!(gc.status.success(), "{}", text(&gc.stderr));
    let inspect = runlake(&["inspect", lake, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&inspect.stdout).expect("json");
    assert_eq!(json["files_not_live"]["kept"], 0);
}

/// A conversion killed mid-write leaves its staged data files; gc names them and counts them
/// apart from the data files of old versions.
#[test]
fn gc_counts_the_staged_uploads_an_interrupted_writer_left() {
    let (_dir, lake) = converted_lake("datadecide/eval-results");
    let lake_s = lake.to_str().expect("utf8");
    let staged = lake.join("_runlake/staging/w-killed.tmp");
    std::fs::create_dir_all(staged.parent().expect("parent")).expect("mkdir");
    std::fs::write(&staged, vec![7u8; 2048]).expect("write");
    let gc = runlake(&["gc", lake_s, "--older-than", "0s"]);
    assert!(gc.status.success(), "{}", text(&gc.stderr));
    let report = text(&gc.stdout);
    assert!(report.contains("w-killed.tmp"), "{report}");
    assert!(
        report.contains("deleted 0 files (0 B) and 1 staged uploads (2.0 KB)"),
        "{report}"
    );
    assert!(!staged.exists());
}

#[cfg(unix)]
#[test]
fn convert_ends_link_loops_and_reads_each_file_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    let inputs = dir.path().join("inputs");
    std::fs::create_dir(&inputs).expect("mkdir");
    let train = testdata("datadecide/eval-results/data/train.rows.jsonl");
    std::fs::copy(&train, inputs.join("train.jsonl")).expect("copy");
    symlink("train.jsonl", inputs.join("train-again.jsonl")).expect("link");
    symlink(".", inputs.join("x")).expect("link");
    symlink(".", inputs.join("y")).expect("link");
    let out = runlake(&[
        "convert",
        inputs.to_str().expect("utf8"),
        "--lake",
        lake,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json summary");
    let files = &summary["pretraining"]["files"];
    assert_eq!(files.as_array().expect("files").len(), 1, "{files}");
    assert_eq!(summary["pretraining"]["rows_read"], 8);
}

#[test]
fn a_where_nested_ten_thousand_deep_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    assert!(runlake(&["init", lake]).status.success());
    for predicate in [
        format!("{}step = 1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}step = 1", "NOT ".repeat(10_000)),
    ] {
        let out = runlake(&["query", lake, "--table", "evals", "--where", &predicate]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("nests more than 128 levels"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_table_written_by_an_older_schema_takes_the_new_one_when_written_to() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let copy = Command::new("cp")
        .args(["-r", &testdata("lake-v1"), lake.to_str().expect("utf8")])
        .status()
        .expect("cp");
    assert!(copy.success());
    let lake = lake.to_str().expect("utf8");
    let version_of = |table: &str| {
        let out = runlake(&["inspect", lake, "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        json["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .find(|t| t["name"] == table)
            .expect("table")["schema_version"]
            .as_u64()
            .expect("version")
    };
    assert_eq!(version_of("metadata"), 1);
    let out = runlake(&[
        "convert",
        &testdata("wandb/dr_wandb_v3/ft-scaling"),
        "--lake",
        lake,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(version_of("metadata"), 2);
    assert_eq!(
        version_of("pretrain_ckpts"),
        1,
        "an untouched table keeps its schema"
    );
    let query = runlake(&[
        "query",
        lake,
        "--table",
        "metadata",
        "--select",
        "run_uid,d_model",
        "--format",
        "csv",
    ]);
    assert!(query.status.success(), "{}", text(&query.stderr));
    assert!(text(&query.stdout).starts_with("run_uid,d_model"));
    let verify = runlake(&["verify", lake, "--deep"]);
    assert!(verify.status.success(), "{}", text(&verify.stdout));
}
