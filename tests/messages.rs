//! Fixed expected text of what a new user reads first: the convert summary, the "did you mean"
//! errors and the default query table. A change to any of them shows here as a diff to review.

use std::path::Path;
use std::process::{Command, Output};

fn runlake(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runlake runs")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// A folder with the repository's `testdata` and a lake `lake` converted from the chain exports.
fn chain_lake() -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().expect("tempdir");
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    std::os::unix::fs::symlink(testdata, dir.path().join("testdata")).expect("link testdata");
    let out = runlake(
        dir.path(),
        &["convert", "testdata/wandb/chains", "--lake", "lake"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    (dir, out)
}

#[test]
fn convert_summary() {
    let (dir, first) = chain_lake();
    assert_eq!(
        text(&first.stdout),
        "\
read: 4 post-training runs (4 new)
rows converted per table:
  evals                    3
  lineage                 13
  metadata                 4
  posttrain_steps         14
warnings:
  lineage evidence disagreeing with the resolved parent: 1 (first: wandb/ml-moe/chains/dpo00003: config:pretrain_steps = 5000)
  summary metrics differing between the nested and flat shapes, nested kept: 1 (first: wandb/ml-moe/chains/dpo00003 piqa acc_raw: 0.6 against 0.65)
  timestamps without a time zone, read with --naive-offset-minutes: 14
committed version 1: 34 rows added, 0 removed, 5 files, 50.4 KB
lake: lake  (`--json` gives every detail)
"
    );
    let again = runlake(
        dir.path(),
        &["convert", "testdata/wandb/chains", "--lake", "lake"],
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    let again = text(&again.stdout);
    assert!(
        again.starts_with("read: 4 post-training runs (0 new, 4 unchanged)\nwarnings:\n"),
        "{again}"
    );
    assert!(
        again.ends_with(
            "nothing changed: every row read is already in the lake; no new version\n\
             lake: lake  (`--json` gives every detail)\n"
        ),
        "{again}"
    );
    assert!(
        !again.contains("rows converted"),
        "nothing written is reported: {again}"
    );
}

#[test]
fn did_you_mean_errors() {
    let (dir, _) = chain_lake();
    let cases: [(&[&str], &str); 10] = [
        (
            &["lineage", "lake", "sftok02"],
            "error: unknown run `sftok02`; did you mean `sftok002`? (`runlake query LAKE --table metadata --select run_uid,run_name` lists them all)\n",
        ),
        (
            &["select", "lake", "--task", "arc_chalenge"],
            "error: unknown task `arc_chalenge`; did you mean `arc_challenge`? (`runlake names task` lists them all)\n",
        ),
        (
            &[
                "select",
                "lake",
                "--task",
                "arc_challenge",
                "--recipe",
                "dclm-baselin",
            ],
            "error: unknown recipe `dclm-baselin`; did you mean `DCLM-Baseline`? (`runlake names recipe` lists them all)\n",
        ),
        (
            &["select", "lake", "--task", "arc_challenge", "--size", "150"],
            "error: unknown size `150`; did you mean `150M`? (`runlake names size` lists them all)\n",
        ),
        (
            &[
                "select",
                "lake",
                "--task",
                "arc_challenge",
                "--seed",
                "large-aux2",
            ],
            "error: unknown seed `large-aux2`; did you mean `large aux 2`? (`runlake names seed` lists them all)\n",
        ),
        (
            &[
                "select",
                "lake",
                "--task",
                "arc_challenge",
                "--metric",
                "acc_rw",
            ],
            "error: unknown metric `acc_rw`; did you mean `acc_raw`? (`runlake names metric` lists them all)\n",
        ),
        (
            &["query", "lake", "--table", "metadta"],
            "error: unknown table `metadta`; did you mean `metadata`? (the tables: metadata, pretrain_ckpts, posttrain_steps, evals, lineage)\n",
        ),
        (
            &[
                "query",
                "lake",
                "--table",
                "lineage",
                "--select",
                "child_run_uid,relaton",
            ],
            "error: unknown column `relaton` in table lineage; did you mean `relation`? (available: child_run_uid, parent_run_uid, parent_step, relation, evidence_source, evidence_value, conflict, resolved, rule, note)\n",
        ),
        (
            &[
                "query",
                "lake",
                "--table",
                "metadata",
                "--select",
                "trainig_type",
            ],
            "error: unknown column `trainig_type` in table metadata; did you mean `training_type`? (`runlake inspect LAKE --table metadata` lists all 61 columns)\n",
        ),
        (
            &[
                "query",
                "lake",
                "--table",
                "evals",
                "--where",
                "task = arc_challenge",
            ],
            "error: `arc_challenge` is read as a column, and comparing two columns is not supported; to compare with the text, quote it: task = 'arc_challenge' at byte 7\n  task = arc_challenge\n         ^^^^^^^^^^^^^\n",
        ),
    ];
    for (args, expected) in cases {
        let out = runlake(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&out.stderr), expected, "{args:?}");
    }
    let listed = runlake(dir.path(), &["names", "size"]);
    assert!(listed.status.success());
    assert_eq!(
        text(&listed.stdout),
        "4M\n6M\n8M\n10M\n14M\n16M\n20M\n60M\n90M\n150M\n300M\n530M\n750M\n1B\n"
    );
}

#[test]
fn default_query_table() {
    let (dir, _) = chain_lake();
    let out = runlake(
        dir.path(),
        &[
            "query",
            "lake",
            "--table",
            "evals",
            "--where",
            "task = 'arc_challenge'",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        concat!(
            "+------------------------------+-----------+---------------+---------------+----------------------+----------+------+---------+---------------+---------+---------------+---------+--------------+------------+\n",
            "| run_uid                      | phase     | task          | task_alias    | source               | recipe   | size | seed    | primary_score | derived | num_instances | acc_raw | acc_per_char | acc_uncond |\n",
            "+------------------------------+-----------+---------------+---------------+----------------------+----------+------+---------+---------------+---------+---------------+---------+--------------+------------+\n",
            "| wandb/ml-moe/chains/dpo00003 | posttrain | arc_challenge | arc_challenge | wandb_summary_nested | dolma1_7 | 4M   | default | 0.33          | false   | 1172          | 0.3     | 0.32         | 0.33       |\n",
            "| wandb/ml-moe/chains/sftok002 | posttrain | arc_challenge | arc_challenge | wandb_summary_nested | dolma1_7 | 4M   | default | 0.31          | false   |               |         |              | 0.31       |\n",
            "+------------------------------+-----------+---------------+---------------+----------------------+----------+------+---------+---------------+---------+---------------+---------+--------------+------------+\n",
        )
    );
    assert_eq!(
        text(&out.stderr),
        "37 of 51 columns not shown (empty in every row, or JSON documents); --select a,b picks columns, --format csv or json prints them all\n"
    );
    let all = runlake(
        dir.path(),
        &[
            "query", "lake", "--table", "evals", "--format", "csv", "--limit", "1",
        ],
    );
    let header = text(&all.stdout);
    assert_eq!(
        header.lines().next().map(|h| h.split(',').count()),
        Some(51),
        "{header}"
    );
}
