//! Maintenance commands through the built program: sync, compact, generate, verify, and
//! conversion that skips bad inputs. Exit codes and output content.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use runlake_lake::Table;
use serde_json::Value;

mod common;
use common::{example_lake, json_lines, ok, runlake, testdata, text, utf8};

/// Every row of a table at the latest version, as sorted JSON lines.
fn all_rows(lake: &str, table: &str) -> Vec<String> {
    let mut rows: Vec<String> = ok(&["query", lake, "--table", table, "--format", "json"])
        .lines()
        .map(str::to_owned)
        .collect();
    rows.sort();
    rows
}

#[test]
fn sync_copies_a_folder_lake_to_another_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = example_lake(dir.path());
    let input = testdata("wandb/dr_wandb_v3/ft-scaling");
    ok(&["convert", utf8(&input), "--lake", &source, "--quiet"]);
    let dest = dir.path().join("copy");
    let dest = utf8(&dest);

    let first: Value =
        serde_json::from_str(&ok(&["sync", &source, dest, "--json"])).expect("json summary");
    assert_eq!(first["destination_after"], 2, "{first}");
    assert!(
        first["files"].as_array().is_some_and(|f| !f.is_empty()),
        "{first}"
    );
    for table in Table::ALL {
        assert_eq!(
            all_rows(&source, table.name()),
            all_rows(dest, table.name()),
            "{table}"
        );
    }
    let log = |lake: &str| -> Vec<Value> {
        let log: Value = serde_json::from_str(&ok(&["log", lake, "--json"])).expect("json");
        log.as_array()
            .expect("array")
            .iter()
            .map(|v| v["version"].clone())
            .collect()
    };
    assert_eq!(log(&source), log(dest));
    ok(&["verify", dest, "--deep"]);

    let again: Value = serde_json::from_str(&ok(&["sync", &source, dest, "--json"])).expect("json");
    assert!(
        again["files"].as_array().is_none_or(|f| f.is_empty()),
        "nothing left to send: {again}"
    );
}

#[test]
fn compact_rewrites_tables_without_changing_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = utf8(&lake);
    // Three converts into the same tables leave several files per partition.
    for input in [
        "datadecide/eval-results/data/train-00000-of-00001.parquet",
        "datadecide/eval-results/data/macro_avg-00000-of-00001.parquet",
        "datadecide/ppl-results/data/train-00000-of-00001.parquet",
    ] {
        ok(&["convert", utf8(&testdata(input)), "--lake", lake, "--quiet"]);
    }
    let before: Vec<Vec<String>> = Table::ALL
        .iter()
        .map(|t| all_rows(lake, t.name()))
        .collect();
    let files_before = ok(&["files", lake, "--table", "evals"]).lines().count();

    let report = ok(&["compact", lake]);
    let evals = report
        .lines()
        .find(|l| l.starts_with("evals:"))
        .unwrap_or_else(|| panic!("no evals line in\n{report}"));
    assert!(evals.contains("replaced by"), "{report}");
    assert_eq!(report.lines().count(), Table::ALL.len(), "{report}");
    let files_after = ok(&["files", lake, "--table", "evals"]).lines().count();
    assert!(
        files_after < files_before,
        "{files_before} files became {files_after}"
    );
    let after: Vec<Vec<String>> = Table::ALL
        .iter()
        .map(|t| all_rows(lake, t.name()))
        .collect();
    assert_eq!(before, after);
    ok(&["verify", lake, "--deep"]);

    let again = ok(&["compact", lake, "--table", "evals"]);
    assert_eq!(again.trim(), "evals: already compact");
}

/// Every file under `root` with its bytes, by relative path.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_owned();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

#[test]
fn generate_is_deterministic_and_converts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let summary: Value = serde_json::from_str(&ok(&[
        "generate",
        utf8(&a),
        "--seed",
        "7",
        "--scale",
        "0.001",
    ]))
    .expect("json summary");
    ok(&["generate", utf8(&b), "--seed", "7", "--scale", "0.001"]);
    let (ta, tb) = (tree(&a), tree(&b));
    assert!(ta.len() >= 3, "{:?}", ta.keys());
    assert_eq!(ta, tb, "the same seed writes the same bytes");
    for key in ["macro_avg_file", "ppl_file"] {
        let path = summary[key].as_str().expect("a path");
        assert!(Path::new(path).is_file(), "{key}: {path}");
    }
    let train_rows = summary["train_rows"].as_u64().expect("rows");
    assert!(train_rows > 0);

    let lake = dir.path().join("lake");
    let converted: Value = serde_json::from_str(&ok(&[
        "convert",
        utf8(&a),
        "--lake",
        utf8(&lake),
        "--json",
        "--quiet",
    ]))
    .expect("json");
    assert!(converted.is_object(), "{converted}");
    ok(&["verify", utf8(&lake)]);

    let bad = runlake(&["generate", utf8(&dir.path().join("c")), "--scale", "2"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--scale"),
        "{}",
        text(&bad.stderr)
    );
}

/// A lake of three versions on disk, and the path of one of its data files.
fn damaged_lake(dir: &Path) -> (String, PathBuf) {
    let lake = example_lake(dir);
    ok(&[
        "convert",
        utf8(&testdata("wandb/dr_wandb_v3/ft-scaling")),
        "--lake",
        &lake,
        "--quiet",
    ]);
    ok(&[
        "convert",
        utf8(&testdata(
            "datadecide/eval-results/data/train-00000-of-00001.parquet",
        )),
        "--lake",
        &lake,
        "--quiet",
    ]);
    ok(&["verify", &lake, "--deep"]);
    let file = ok(&["files", &lake, "--table", "evals"])
        .lines()
        .next()
        .expect("a data file")
        .to_owned();
    (lake, PathBuf::from(file))
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).expect("name")
}

#[test]
fn verify_names_a_resized_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, file) = damaged_lake(dir.path());
    let mut bytes = std::fs::read(&file).expect("read");
    bytes.push(0);
    std::fs::write(&file, bytes).expect("grow");
    let out = runlake(&["verify", &lake]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    let line = report
        .lines()
        .find(|l| l.contains(file_name(&file)))
        .unwrap_or_else(|| panic!("no line names the file:\n{report}"));
    assert!(line.contains("resized"), "{line}");
    assert!(report.contains("1 problems"), "{report}");
}

#[test]
fn verify_finds_a_corrupt_file_only_when_deep() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, file) = damaged_lake(dir.path());
    let mut bytes = std::fs::read(&file).expect("read");
    // The middle of the file: data pages, not the footer, so only a re-hash notices.
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&file, bytes).expect("corrupt");
    let shallow = runlake(&["verify", &lake]);
    assert_eq!(
        shallow.status.code(),
        Some(0),
        "sizes still match: {}",
        text(&shallow.stdout)
    );
    let deep = runlake(&["verify", &lake, "--deep", "--json"]);
    assert_eq!(deep.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&deep.stdout).expect("json");
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{report}");
    assert!(
        problems[0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(file_name(&file))),
        "{report}"
    );
    assert_eq!(problems[0]["kind"], "hash_mismatch", "{report}");
}

#[test]
fn verify_names_a_broken_link_in_the_version_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, _) = damaged_lake(dir.path());
    let manifest = Path::new(&lake).join(runlake_format::layout::version_path(1));
    std::fs::remove_file(&manifest).expect("remove version 1");
    let out = runlake(&["verify", &lake, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let problems = report["problems"].as_array().expect("problems");
    assert!(
        problems.iter().any(|p| p["kind"] == "broken_link"),
        "{report}"
    );
    let human = text(&runlake(&["verify", &lake]).stdout);
    assert!(human.contains("broken_link"), "{human}");
}

#[test]
fn on_error_skip_commits_the_good_rows_and_names_each_bad_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = utf8(&lake);
    let input = testdata("datadecide/bad/train-unknown.jsonl");
    let input = utf8(&input);

    let strict = runlake(&["convert", input, "--lake", lake, "--quiet"]);
    assert_eq!(strict.status.code(), Some(2));
    let message = text(&strict.stderr);
    assert!(
        message.contains("line 1") && message.contains("unknown recipe"),
        "{message}"
    );

    let summary: Value = serde_json::from_str(&ok(&[
        "convert",
        input,
        "--lake",
        lake,
        "--quiet",
        "--on-error",
        "skip",
        "--json",
    ]))
    .expect("json summary");
    assert_eq!(summary["rejected_total"], 2, "{summary}");
    let at: Vec<&str> = summary["rejections"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| r["at"].as_str().expect("where"))
        .collect();
    assert!(
        at.len() == 2 && at[0].ends_with("line 1") && at[1].ends_with("line 2"),
        "{at:?}"
    );
    // The one good line of three is in the lake.
    let evals = ok(&["query", lake, "--table", "evals", "--format", "json"]);
    assert_eq!(json_lines(&evals).len(), 1, "{evals}");
}

/// The version files of a lake, newest first (their names count down).
fn version_files(lake: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(lake).join("_runlake/versions"))
        .expect("versions folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn a_lake_that_lost_a_version_file_is_named_by_verify_and_refuses_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, _) = damaged_lake(dir.path());
    let before = version_files(&lake);
    // The parent of the latest version: reading the version below it instead would show an
    // older lake, and a commit there would fork the history.
    let lost = before[1].clone();
    std::fs::remove_file(&lost).expect("lose a version file");

    let out = runlake(&["verify", &lake]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains(file_name(&lost)) && report.contains("restore"),
        "{report}"
    );

    let convert = runlake(&[
        "convert",
        utf8(&testdata("wandb/dr_wandb_v3/ft-scaling")),
        "--lake",
        &lake,
        "--quiet",
    ]);
    assert_eq!(convert.status.code(), Some(2));
    let message = text(&convert.stderr);
    assert!(message.contains(file_name(&lost)), "{message}");
    let query = runlake(&["query", &lake, "--table", "evals", "--limit", "1"]);
    assert_eq!(query.status.code(), Some(2), "an older version was read");
    assert!(!lost.exists(), "a commit took the lost version's number");
    assert_eq!(version_files(&lake).len(), before.len() - 1);
}

/// Runs the program, killed after a minute: a command waiting on a named pipe would otherwise
/// never end, and neither would the test.
fn runlake_within_a_minute(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runlake runs");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().expect("kill");
            child.wait().expect("reaped");
            panic!("`runlake {args:?}` was still waiting after a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A named pipe at `path`, where a file was.
fn pipe_at(path: &Path) {
    if path.exists() {
        std::fs::remove_file(path).expect("remove");
    }
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Where the lake's next version file will be: names count down, so one below the newest's.
fn next_version_file(lake: &str) -> PathBuf {
    let newest: u64 = file_name(&version_files(lake)[0])
        .trim_end_matches(".json")
        .parse()
        .expect("a version file name");
    Path::new(lake).join(format!("_runlake/versions/{}.json", newest - 1))
}

/// A terabyte at `path` that takes no disk (sparse): read whole, it could not even be allocated.
fn sparse_terabyte_at(path: &Path) {
    let file = std::fs::File::create(path).expect("create");
    file.set_len(1 << 40).expect("a sparse terabyte");
}

#[test]
fn named_pipes_left_in_a_lake_are_not_waited_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, data_file) = damaged_lake(dir.path());
    let next = next_version_file(&lake);
    pipe_at(&next);
    pipe_at(&Path::new(&lake).join("_runlake/_latest"));

    let log = runlake_within_a_minute(&["log", &lake]);
    assert_eq!(log.status.code(), Some(0), "{}", text(&log.stderr));
    let verify = runlake_within_a_minute(&["verify", &lake]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify.stderr));
    assert!(
        text(&verify.stdout).contains(file_name(&next)),
        "{}",
        text(&verify.stdout)
    );
    let input = dir.path().join("more");
    let input = utf8(&input);
    ok(&[
        "generate", "--wandb", "--runs", "1", "--steps", "3", "--seed", "7", input,
    ]);
    let convert = runlake_within_a_minute(&["convert", input, "--lake", &lake, "--quiet"]);
    assert_eq!(convert.status.code(), Some(2), "{}", text(&convert.stderr));
    assert!(
        text(&convert.stderr).contains(file_name(&next)),
        "{}",
        text(&convert.stderr)
    );

    // A data file in place of which a pipe was left is missing to every read.
    std::fs::remove_file(&next).expect("remove the pipe");
    pipe_at(&Path::new(&lake).join(&data_file));
    let query = runlake_within_a_minute(&["query", &lake, "--table", "evals"]);
    assert_eq!(query.status.code(), Some(2), "{}", text(&query.stderr));
    let deep = runlake_within_a_minute(&["verify", &lake, "--deep"]);
    assert_eq!(deep.status.code(), Some(1), "{}", text(&deep.stderr));
    assert!(
        text(&deep.stdout).contains(file_name(&data_file)),
        "{}",
        text(&deep.stdout)
    );
}

#[test]
fn huge_files_in_place_of_the_hint_or_a_version_file_are_not_read_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = example_lake(dir.path());
    let versions = ok(&["log", &lake]);
    sparse_terabyte_at(&Path::new(&lake).join("_runlake/_latest"));
    let log = runlake_within_a_minute(&["log", &lake]);
    assert_eq!(log.status.code(), Some(0), "{}", text(&log.stderr));
    assert_eq!(text(&log.stdout), versions);

    // The same at the next version's name: named as what it is, not read.
    let next = next_version_file(&lake);
    sparse_terabyte_at(&next);
    let verify = runlake_within_a_minute(&["verify", &lake]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify.stderr));
    let report = text(&verify.stdout);
    assert!(
        report.contains(file_name(&next)) && report.contains("is not read"),
        "{report}"
    );
    let query = runlake_within_a_minute(&["query", &lake, "--table", "metadata"]);
    assert_eq!(query.status.code(), Some(2), "{}", text(&query.stderr));
    assert!(
        text(&query.stderr).contains(file_name(&next)),
        "{}",
        text(&query.stderr)
    );
}

#[test]
fn verify_names_an_older_manifest_damaged_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lake, _) = damaged_lake(dir.path());
    let damaged = version_files(&lake)[1].clone();
    let mut bytes = std::fs::read(&damaged).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&damaged, bytes).expect("flip");
    let out = runlake(&["verify", &lake, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let problems = report["problems"].as_array().expect("problems");
    assert!(
        problems.iter().any(|p| p["kind"] == "broken_manifest"
            && p["path"]
                .as_str()
                .is_some_and(|s| s.ends_with(file_name(&damaged)))),
        "{report}"
    );
}
