//! Parity with datadec: a small pandas re-implementation of datadec's semantics
//! (`tests/parity/datadec_reference.py`) reads the raw parity fixture, runlake converts the same
//! fixture (the HF exports and datadec's `full_eval` of the same checkpoints) into one lake, and
//! every mean, std and count over seeds, every final checkpoint and every token-filtered mean
//! agree to 1e-12.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/parity")
}

fn runlake(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .output()
        .expect("runlake runs");
    assert!(
        out.status.success(),
        "runlake {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// (data, params, task, step) -> (mean, std, count)
type Answers = BTreeMap<(String, String, String, i64), (f64, Option<f64>, i64)>;

fn theirs(rows: &Value) -> Answers {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                (
                    r["data"].as_str().expect("data").to_owned(),
                    r["params"].as_str().expect("params").to_owned(),
                    r["task"].as_str().expect("task").to_owned(),
                    r["step"].as_i64().expect("step"),
                ),
                (
                    r["mean"].as_f64().expect("mean"),
                    r["std"].as_f64(),
                    r["count"].as_i64().expect("count"),
                ),
            )
        })
        .collect()
}

fn ours(out: &Output) -> Answers {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let r: Value = serde_json::from_str(line).expect("json row");
            let mean = r["primary_score_mean"].as_f64();
            (
                (
                    r["recipe"].as_str().expect("recipe").to_owned(),
                    r["size"].as_str().expect("size").to_owned(),
                    r["task"].as_str().expect("task").to_owned(),
                    r["step"].as_i64().expect("step"),
                ),
                (
                    mean.unwrap_or(f64::NAN),
                    r["primary_score_std"].as_f64().filter(|s| s.is_finite()),
                    r["primary_score_count"].as_i64().expect("count"),
                ),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(1.0)
}

fn assert_same(what: &str, ours: &Answers, theirs: &Answers) {
    assert!(!theirs.is_empty(), "{what}: the reference answered nothing");
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{what}: the cells differ"
    );
    for (key, (m, s, n)) in theirs {
        let (om, os, on) = ours[key];
        assert!(close(om, *m), "{what} {key:?}: mean {om} vs datadec {m}");
        assert_eq!(on, *n, "{what} {key:?}: count");
        match (os, s) {
            (None, None) => {}
            (Some(a), Some(b)) => assert!(close(a, *b), "{what} {key:?}: std {a} vs datadec {b}"),
            other => panic!("{what} {key:?}: std {other:?}"),
        }
    }
}

#[test]
fn means_finals_and_token_filters_equal_datadecs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("lake");
    let lake = lake.to_str().expect("utf8");
    let inputs = ["eval-results", "ppl-results", "full_eval"].map(|f| fixture().join(f));
    let mut convert: Vec<&str> = vec!["convert"];
    convert.extend(inputs.iter().map(|p| p.to_str().expect("utf8")));
    convert.extend(["--lake", lake, "--quiet"]);
    runlake(&convert);

    let reference = dir.path().join("datadec.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/datadec_reference.py");
    let status = Command::new(runlake_lake::testkit::env::python())
        .arg(script)
        .arg(fixture())
        .arg(&reference)
        .status()
        .expect("python runs");
    assert!(status.success(), "the datadec reference failed");
    let datadec: Value =
        serde_json::from_slice(&std::fs::read(&reference).expect("reference")).expect("json");

    let common = [
        "select",
        lake,
        "--task",
        "arc_challenge,piqa",
        "--mean-over-seeds",
        "--names",
        "display",
        "--format",
        "json",
    ];
    let with = |extra: &[&str]| {
        let mut args = common.to_vec();
        args.extend(extra);
        ours(&runlake(&args))
    };
    // datadec's full_eval and mean_eval keep every step; its final values are taken after the
    // MAX_STEP_TO_USE filter, the default of --final.
    assert_same(
        "mean",
        &with(&["--metric-type", "ppl"]),
        &theirs(&datadec["mean"]),
    );
    assert_same(
        "final",
        &with(&["--metric-type", "ppl", "--final"]),
        &theirs(&datadec["final"]),
    );
    // The window holds the perplexity-only checkpoint at 5735, placed by the schedule.
    let (lo, hi) = (
        (2500 * 32 * 2048).to_string(),
        (5735 * 32 * 2048).to_string(),
    );
    let tokens = theirs(&datadec["tokens"]);
    assert!(tokens.keys().any(|k| k.3 == 5735), "{tokens:?}");
    assert_same(
        "tokens",
        &with(&[
            "--metric-type",
            "ppl",
            "--seed",
            "1",
            "--seed",
            "2",
            "--token-min",
            &lo,
            "--token-max",
            &hi,
        ]),
        &tokens,
    );
}
