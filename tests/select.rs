//! `select` on the parity fixture (HF exports and datadec's `full_eval` of the same
//! checkpoints in one lake): one answer per checkpoint, datadec's final checkpoints, and the
//! names a datadec user types.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn runlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .output()
        .expect("runlake runs")
}

fn ok(args: &[&str]) -> Output {
    let out = runlake(args);
    assert!(
        out.status.success(),
        "runlake {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn rows(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json row"))
        .collect()
}

/// A lake of the whole parity fixture.
fn lake(dir: &Path) -> String {
    let lake = dir.join("lake").to_str().expect("utf8").to_owned();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/parity");
    let inputs: Vec<String> = ["eval-results", "ppl-results", "full_eval"]
        .iter()
        .map(|f| fixture.join(f).to_str().expect("utf8").to_owned())
        .collect();
    let mut args = vec!["convert"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend(["--lake", &lake, "--quiet"]);
    ok(&args);
    lake
}

fn select(lake: &str, extra: &[&str]) -> Output {
    let mut args = vec!["select", lake, "--format", "json"];
    args.extend(extra);
    ok(&args)
}

/// The values of `key`, sorted: `select` promises no row order.
fn strs<'a>(rows: &'a [Value], key: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = rows
        .iter()
        .map(|r| r[key].as_str().expect("text"))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn hf_and_full_eval_of_the_same_checkpoints_give_each_seed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = lake(dir.path());
    let at_1250 = [
        "--recipe",
        "Dolma1.7 (no math, code)",
        "--size",
        "4M",
        "--task",
        "arc_challenge",
        "--min-step",
        "1250",
        "--max-step",
        "1250",
    ];
    let seeds = rows(&select(&lake, &at_1250));
    assert_eq!(
        strs(&seeds, "seed"),
        ["default", "small-aux-2", "small-aux-3"]
    );
    assert!(strs(&seeds, "source").iter().all(|s| *s == "dd_hf_train"));
    let scores: Vec<f64> = seeds
        .iter()
        .map(|r| r["primary_score"].as_f64().expect("score"))
        .collect();
    let mean = scores.iter().sum::<f64>() / 3.0;
    let std = (scores.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();

    let mut args = at_1250.to_vec();
    args.extend(["--mean-over-seeds", "--verbose"]);
    let out = select(&lake, &args);
    let means = rows(&out);
    assert_eq!(means.len(), 1);
    assert_eq!(means[0]["n_seeds"], 3);
    let got = means[0]["primary_score_std"].as_f64().expect("std");
    assert!((got - std).abs() < 1e-15, "{got} vs {std}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("source dd_hf_train: 3 rows, 3 used")
            && stderr.contains("source datadec_full_eval: 3 rows, 0 used, 3 shadowed"),
        "{stderr}"
    );
    let plan = String::from_utf8_lossy(&select(&lake, &["--explain"]).stdout).into_owned();
    assert!(
        plan.contains("KeepPreferred: first source of [dd_hf_train > dd_hf_macro_avg"),
        "{plan}"
    );
}

#[test]
fn final_checkpoints_follow_max_step_to_use_and_name_the_seed_left_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = lake(dir.path());
    let c4 = ["--recipe", "C4", "--task", "arc_challenge", "--final"];
    let mut args = c4.to_vec();
    args.extend(["--mean-over-seeds", "--verbose"]);
    let out = select(&lake, &args);
    let finals = rows(&out);
    // The default seed stops at 3750; datadec reads every seed at 5725 and drops it.
    assert_eq!(finals.len(), 1);
    assert_eq!(finals[0]["step"], 5725);
    assert_eq!(finals[0]["min_step"], 5725);
    assert_eq!(finals[0]["n_seeds"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("final step 5725; no value there for default (last value at step 3750)"),
        "{stderr}"
    );
    // Per seed: the default seed's own last step, shown as min_step.
    args.extend(["--final-rule", "per-seed-last"]);
    let per_seed = rows(&select(&lake, &args));
    assert_eq!(per_seed[0]["step"], 5725);
    assert_eq!(per_seed[0]["min_step"], 3750);
    assert_eq!(per_seed[0]["n_seeds"], 3);
    // Without the mean: one row per seed, each at the step used.
    let seeds = rows(&select(&lake, &c4));
    assert_eq!(strs(&seeds, "seed"), ["small-aux-2", "small-aux-3"]);
    assert!(seeds.iter().all(|r| r["step"] == 5725));
    // The perplexity-only checkpoint: no tokens in its export, the schedule's count and
    // compute shown, flagged as derived.
    let ppl_only = rows(&select(
        &lake,
        &[
            "--recipe",
            "C4",
            "--seed",
            "1",
            "--metric",
            "pile-valppl",
            "--min-step",
            "5735",
        ],
    ));
    assert_eq!(ppl_only.len(), 1);
    assert_eq!(ppl_only[0]["tokens"], 5735 * 32 * 2048);
    assert_eq!(ppl_only[0]["tokens_derived"], true);
    let compute = ppl_only[0]["compute"].as_f64().expect("compute");
    assert_eq!(compute, 6.0 * 3_744_832.0 * (5735.0 * 32.0 * 2048.0));
    assert_eq!(ppl_only[0]["compute_derived"], true);
    assert_eq!(ppl_only[0]["tokens_expected"], 5735 * 32 * 2048);
    // It lies past MAX_STEP_TO_USE, so it is never a final checkpoint.
    let ppl = rows(&select(
        &lake,
        &[
            "--recipe",
            "C4",
            "--metric-type",
            "ppl",
            "--final",
            "--mean-over-seeds",
        ],
    ));
    assert_eq!(strs(&ppl, "task"), ["ppl_c4_en", "ppl_pile"]);
    assert!(ppl.iter().all(|r| r["step"] == 5725 && r["n_seeds"] == 2));
}

#[test]
fn names_a_datadec_user_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = lake(dir.path());
    let recipes = |extra: &[&str]| {
        let mut args = vec!["--task", "piqa", "--min-step", "2500", "--max-step", "2500"];
        args.extend(extra);
        let mut r: Vec<String> = strs(&rows(&select(&lake, &args)), "recipe")
            .into_iter()
            .map(str::to_owned)
            .collect();
        r.dedup();
        r
    };
    assert_eq!(
        recipes(&["--recipe", "Dolma1.7 (no math, code)"]),
        ["dolma1_7-no-math-code"]
    );
    assert_eq!(
        recipes(&["--recipe", "Dolma1.7 (no math, code)", "--recipe", "C4"]),
        ["c4", "dolma1_7-no-math-code"]
    );
    assert_eq!(
        recipes(&["--recipe", "C4,dolma1_7-no-math-code"]),
        ["c4", "dolma1_7-no-math-code"]
    );
    assert_eq!(
        recipes(&["--recipe", "all", "--exclude-recipe", "C4"]),
        ["dolma1_7-no-math-code"]
    );
    assert_eq!(recipes(&["--recipe", "C4", "--names", "display"]), ["C4"]);
    assert_eq!(
        recipes(&["--exclude-recipe", "C4", "--names", "display"]),
        ["Dolma1.7 (no math, code)"]
    );

    // datadec's family of Dolma1.7 variants, and its bucket holding C4.
    assert_eq!(
        recipes(&["--recipe-group", "dolma17"]),
        ["dolma1_7-no-math-code"]
    );
    assert_eq!(recipes(&["--recipe-group", "poor_ppl_performance"]), ["c4"]);
    let sizes = |extra: &[&str]| {
        let mut args = vec!["--task", "piqa", "--min-step", "2500", "--max-step", "2500"];
        args.extend(extra);
        let mut s: Vec<String> = strs(&rows(&select(&lake, &args)), "size")
            .into_iter()
            .map(str::to_owned)
            .collect();
        s.dedup();
        s
    };
    assert_eq!(sizes(&["--min-params", "5M"]), ["6M"]);
    assert_eq!(sizes(&["--max-params", "4000000"]), ["4M"]);
    assert_eq!(sizes(&["--min-params", "10M"]), Vec::<String>::new());

    let picked = rows(&select(
        &lake,
        &[
            "--size",
            "6m",
            "--seed",
            "1",
            "--metric",
            "arc_challenge_acc_raw",
            "--max-step",
            "2500",
            "--names",
            "display",
        ],
    ));
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0]["size"], "6M");
    assert_eq!(picked[0]["seed"], "small aux 2");
    assert_eq!(picked[0]["task"], "arc_challenge");
    assert!(picked[0]["acc_raw"].as_f64().is_some());

    let ppl = rows(&select(
        &lake,
        &[
            "--metric",
            "pile-valppl",
            "--exclude-size",
            "4M",
            "--seed",
            "0",
        ],
    ));
    assert_eq!(ppl.len(), 4);
    assert!(
        ppl.iter()
            .all(|r| r["task"] == "ppl_pile" && r["size"] == "6M")
    );
    assert!(ppl.iter().all(|r| r["perplexity"].as_f64().is_some()));

    let bad = runlake(&["select", &lake, "--recipe", "Dolma1.7 (no math code"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("unknown recipe `Dolma1.7 (no math code`")
    );
}

#[test]
fn wide_gives_one_row_per_checkpoint_with_datadec_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = lake(dir.path());
    let pick = [
        "--recipe",
        "C4",
        "--size",
        "4M",
        "--task",
        "arc_challenge",
        "--task",
        "ppl_pile",
        "--metric",
        "acc_raw",
        "--metric",
        "perplexity",
    ];
    let long = rows(&select(&lake, &pick));
    let mut wide_args = pick.to_vec();
    wide_args.push("--wide");
    let wide = rows(&select(&lake, &wide_args));
    // One row per (run, step), every long row's value in its datadec-named cell.
    let mut checkpoints: Vec<(String, i64)> = long
        .iter()
        .map(|r| {
            (
                r["run_uid"].as_str().expect("run").to_owned(),
                r["step"].as_i64().expect("step"),
            )
        })
        .collect();
    checkpoints.sort();
    checkpoints.dedup();
    assert_eq!(wide.len(), checkpoints.len());
    assert!(
        wide.iter()
            .all(|r| r.get("task").is_none() && r.get("source").is_none())
    );
    for r in &long {
        let w = wide
            .iter()
            .find(|w| w["run_uid"] == r["run_uid"] && w["step"] == r["step"])
            .expect("its wide row");
        let (column, value) = match r["task"].as_str().expect("task") {
            "arc_challenge" => ("arc_challenge_acc_raw", &r["acc_raw"]),
            "ppl_pile" => ("pile-valppl", &r["perplexity"]),
            other => panic!("unexpected task {other}"),
        };
        assert_eq!(w.get(column).unwrap_or(&Value::Null), value, "{column}");
        assert_eq!(w["tokens"], r["tokens"]);
    }
    // A task x metric without any value has no column, as pandas' pivot_table.
    assert!(
        wide.iter()
            .all(|w| w.get("arc_challenge_perplexity").is_none())
    );
    // Means are one row per recipe x size x step x task, not per checkpoint: refused.
    assert!(
        !runlake(&["select", &lake, "--wide", "--mean-over-seeds"])
            .status
            .success()
    );
}
