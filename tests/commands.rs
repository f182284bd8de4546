//! Every reading command (query, select, curve, lineage, plot) through the built program: exit
//! codes and output content. Expected values come from the fixture rows themselves
//! (`testdata/plot/*.jsonl`), never from the reader under test. Maintenance commands are in
//! `maintenance.rs`.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::Value;

mod common;
use common::{example_lake, json_lines, ok, runlake, testdata, text, utf8};

/// The rows of one fixture table, as JSON objects.
fn fixture(table: &str) -> Vec<Value> {
    std::fs::read_to_string(testdata(&format!("plot/{table}.jsonl")))
        .expect("fixture")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `(step, primary_score)` of one run's arc_challenge evals in the fixture, by step.
fn scores(run: &str) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = fixture("evals")
        .iter()
        .filter(|r| r["run_uid"] == run && r["task"] == "arc_challenge")
        .map(|r| (r["step"].as_i64().expect("step"), num(&r["primary_score"])))
        .collect();
    out.sort_by_key(|(s, _)| *s);
    out
}

#[test]
fn query_prints_every_format_and_explains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = example_lake(dir.path());
    let run = "dd/c4/150M/default";
    let filter = format!("run_uid = '{run}' AND step >= 5000");
    let base = [
        "query",
        lake.as_str(),
        "--table",
        "evals",
        "--where",
        filter.as_str(),
        "--select",
        "step,primary_score",
    ];
    let expected: Vec<(i64, f64)> = scores(run)
        .into_iter()
        .filter(|(s, _)| *s >= 5000)
        .collect();
    assert_eq!(expected.len(), 5, "the fixture changed");

    let parse = |rows: Vec<(i64, f64)>| {
        let mut rows = rows;
        rows.sort_by_key(|(s, _)| *s);
        rows
    };

    let json = ok(&[&base[..], &["--format", "json"]].concat());
    let rows = json_lines(&json)
        .iter()
        .map(|r| {
            assert_eq!(r.as_object().expect("object").len(), 2, "{r}");
            (r["step"].as_i64().expect("step"), num(&r["primary_score"]))
        })
        .collect();
    assert_eq!(parse(rows), expected);

    let csv = ok(&[&base[..], &["--format", "csv"]].concat());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("step,primary_score"));
    let rows = lines
        .map(|l| {
            let (s, v) = l.split_once(',').expect("two columns");
            (s.parse().expect("step"), v.parse().expect("score"))
        })
        .collect();
    assert_eq!(parse(rows), expected);

    let table = ok(&base);
    for (step, score) in &expected {
        let line = table
            .lines()
            .find(|l| {
                l.split_whitespace()
                    .any(|w| w.trim_matches('|') == step.to_string())
            })
            .unwrap_or_else(|| panic!("step {step} missing from\n{table}"));
        assert!(line.contains(&score.to_string()), "{score} not in {line}");
    }
    assert!(table.contains("primary_score"), "{table}");

    let out = dir.path().join("rows.parquet");
    let printed = ok(&[&base[..], &["--format", "parquet", "--output", utf8(&out)]].concat());
    assert!(printed.is_empty(), "rows went to the file: {printed}");
    let file = std::fs::File::open(&out).expect("parquet written");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("reader");
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let steps = arrow::array::AsArray::as_primitive::<arrow::datatypes::Int64Type>(
            batch.column_by_name("step").expect("step"),
        )
        .clone();
        let values = arrow::array::AsArray::as_primitive::<arrow::datatypes::Float64Type>(
            batch.column_by_name("primary_score").expect("score"),
        )
        .clone();
        rows.extend(
            steps
                .iter()
                .zip(values.iter())
                .map(|(s, v)| (s.expect("step"), v.expect("score"))),
        );
    }
    assert_eq!(parse(rows), expected);

    let limited = ok(&[&base[..], &["--format", "json", "--limit", "2"]].concat());
    assert_eq!(json_lines(&limited).len(), 2);

    let explain = ok(&[&base[..], &["--explain"]].concat());
    assert!(explain.contains("evals"), "{explain}");

    let bad = runlake(&["query", &lake, "--table", "evals", "--where", "step >>= 1"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    let bad = runlake(&["query", &lake, "--table", "evals", "--format", "xml"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn select_filters_seeds_and_steps_and_averages_over_seeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = example_lake(dir.path());
    let out = ok(&[
        "select",
        &lake,
        "--recipe",
        "c4",
        "--size",
        "150M",
        "--seed",
        "default",
        "--task",
        "arc_challenge",
        "--min-step",
        "5000",
        "--max-step",
        "30000",
        "--format",
        "json",
    ]);
    let rows = json_lines(&out);
    let expected: Vec<(i64, f64)> = scores("dd/c4/150M/default")
        .into_iter()
        .filter(|(s, _)| (5000..=30000).contains(s))
        .collect();
    assert_eq!(expected.len(), 4, "the fixture changed");
    let mut got: Vec<(i64, f64)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["recipe"], "c4", "{r}");
            assert_eq!(r["size"], "150M", "{r}");
            assert_eq!(r["seed"], "default", "{r}");
            (r["step"].as_i64().expect("step"), num(&r["primary_score"]))
        })
        .collect();
    got.sort_by_key(|(s, _)| *s);
    assert_eq!(got, expected);

    let out = ok(&[
        "select",
        &lake,
        "--recipe",
        "c4",
        "--size",
        "150M",
        "--task",
        "arc_challenge",
        "--mean-over-seeds",
        "--format",
        "json",
    ]);
    let rows = json_lines(&out);
    let (a, b) = (
        scores("dd/c4/150M/default"),
        scores("dd/c4/150M/small-aux-2"),
    );
    assert_eq!(rows.len(), a.len(), "one row per step: {out}");
    let by_step: BTreeMap<i64, &Value> = rows
        .iter()
        .map(|r| (r["step"].as_i64().expect("step"), r))
        .collect();
    for ((step, x), (step_b, y)) in a.iter().zip(&b) {
        assert_eq!(step, step_b);
        let row = by_step[step];
        let mean = row
            .as_object()
            .expect("object")
            .iter()
            .find(|(k, _)| k.contains("mean"))
            .map(|(_, v)| num(v))
            .unwrap_or_else(|| panic!("no mean column in {row}"));
        assert!((mean - (x + y) / 2.0).abs() < 1e-9, "{step}: {mean}");
        let count = row
            .as_object()
            .expect("object")
            .iter()
            .find(|(k, _)| k.contains("count"))
            .map(|(_, v)| num(v))
            .unwrap_or_else(|| panic!("no count column in {row}"));
        assert_eq!(count, 2.0, "{row}");
    }
}

#[test]
fn curve_joins_pretraining_up_to_the_parent_step_then_post_training() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = example_lake(dir.path());
    let out = ok(&[
        "curve",
        &lake,
        "wandb/ml-moe/ft-scaling/sft-a",
        "--task",
        "arc_challenge",
        "--format",
        "json",
    ]);
    let rows = json_lines(&out);
    // sft-a continues dd/dolma17/150M/default from step 20000.
    let parent = "dd/dolma17/150M/default";
    let child = "wandb/ml-moe/ft-scaling/sft-a";
    let valued = |run: &str| -> Vec<(i64, f64)> {
        rows.iter()
            .filter(|r| r["run_uid"] == run && r.get("value").is_some_and(|v| !v.is_null()))
            .map(|r| (r["step"].as_i64().expect("step"), num(&r["value"])))
            .collect()
    };
    let pre: Vec<(i64, f64)> = scores(parent)
        .into_iter()
        .filter(|(s, _)| *s <= 20000)
        .collect();
    assert_eq!(pre.len(), 4, "the fixture changed");
    assert_eq!(valued(parent), pre, "{out}");
    assert_eq!(valued(child), scores(child), "{out}");
    assert_eq!(
        rows.len(),
        rows.iter()
            .filter(|r| r["run_uid"] == parent || r["run_uid"] == child)
            .count()
    );

    // Pretraining comes first, on its own tokens; post-training continues from there.
    let segments: Vec<i64> = rows
        .iter()
        .map(|r| r["segment"].as_i64().expect("segment"))
        .collect();
    assert!(segments.windows(2).all(|w| w[0] <= w[1]), "{segments:?}");
    for r in &rows {
        let pretrain = r["run_uid"] == parent;
        assert_eq!(r["phase"] == "pretrain", pretrain, "{r}");
        assert_eq!(r["segment"] == 0, pretrain, "{r}");
    }
    let tokens_of = |step: i64| {
        fixture("pretrain_ckpts")
            .iter()
            .find(|c| c["run_uid"] == parent && c["step"] == step)
            .map(|c| num(&c["tokens"]))
            .expect("a checkpoint")
    };
    for r in rows.iter().filter(|r| r["run_uid"] == parent) {
        let step = r["step"].as_i64().expect("step");
        assert_eq!(num(&r["cumulative_tokens"]), tokens_of(step), "{r}");
    }
    let tokens: Vec<f64> = rows.iter().map(|r| num(&r["cumulative_tokens"])).collect();
    assert!(
        tokens.windows(2).all(|w| w[0] <= w[1]),
        "one increasing tokens axis: {tokens:?}"
    );
    assert!(
        rows.iter()
            .filter(|r| r["run_uid"] == child)
            .all(|r| num(&r["cumulative_tokens"]) > tokens_of(20000)),
        "post-training continues after the parent checkpoint"
    );

    let missing = runlake(&["curve", &lake, "nope", "--task", "arc_challenge"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn lineage_walks_back_to_pretraining() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = example_lake(dir.path());
    let human = ok(&["lineage", &lake, "dpo-a"]);
    let positions: Vec<usize> = [
        "wandb/ml-moe/ft-scaling/dpo-a",
        "wandb/ml-moe/ft-scaling/sft-a",
        "dd/dolma17/150M/default",
    ]
    .iter()
    .map(|r| {
        human
            .find(r)
            .unwrap_or_else(|| panic!("{r} missing from\n{human}"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "child to root:\n{human}"
    );
    assert!(human.contains("20000"), "the parent step:\n{human}");

    let json: Value =
        serde_json::from_str(&ok(&["lineage", &lake, "dpo-a", "--json"])).expect("json");
    let text = json.to_string();
    assert!(text.contains("dd/dolma17/150M/default"), "{text}");

    let none = runlake(&["lineage", &lake, "dd/c4/60M/default"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text_of(&none).contains("no lineage"), "{}", text_of(&none));
}

fn text_of(out: &Output) -> String {
    text(&out.stderr)
}

/// The width and height a PNG's header states.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (word(16), word(20))
}

#[test]
fn plot_draws_each_kind_in_each_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = example_lake(dir.path());
    // Series are labelled with run names from the fixture's metadata.
    let kinds: [(&str, Vec<&str>, &[&str]); 3] = [
        (
            "curve",
            vec![
                "--run",
                "sft-a",
                "--run",
                "sft-b",
                "--task",
                "arc_challenge",
            ],
            &["sft-d17-150M-step20000-lr5e-6", "sft-d17-150M-main-lr2e-5"],
        ),
        (
            "scaling",
            vec!["--task", "arc_challenge", "--recipe", "c4"],
            &["c4 60M", "c4 150M"],
        ),
        (
            "compare",
            vec![
                "--type",
                "sft",
                "--color-by",
                "learning_rate",
                "--train",
                "train_loss",
            ],
            &[
                "sft-d17-150M-step20000-lr5e-6",
                "sft-c4-150M-main-lr5e-6",
                "sft-d17-150M-main-lr2e-5",
            ],
        ),
    ];
    for (kind, args, labels) in &kinds {
        let svg = dir.path().join(format!("{kind}.svg"));
        ok(&[&["plot", &lake, kind], &args[..], &["--output", utf8(&svg)]].concat());
        let drawn = std::fs::read_to_string(&svg).expect("svg written");
        assert!(drawn.trim_start().starts_with("<svg") || drawn.starts_with("<?xml"));
        assert!(drawn.trim_end().ends_with("</svg>"), "{kind}: truncated");
        for label in *labels {
            assert!(drawn.contains(label), "{kind}: no {label}");
        }

        let png = dir.path().join(format!("{kind}.png"));
        ok(&[
            &["plot", &lake, kind],
            &args[..],
            &["--output", utf8(&png), "--width", "640", "--height", "400"],
        ]
        .concat());
        let bytes = std::fs::read(&png).expect("png written");
        let (w, h) = png_size(&bytes);
        assert_eq!((w % 640, h % 400), (0, 0), "{kind}: {w}x{h}");
        assert!(w >= 640 && h >= 400, "{kind}: {w}x{h}");

        // An explicit format wins over the extension.
        let vega = dir.path().join(format!("{kind}.out"));
        ok(&[
            &["plot", &lake, kind],
            &args[..],
            &["--output", utf8(&vega), "--format", "vega-lite"],
        ]
        .concat());
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(&vega).expect("written"))
            .expect("vega-lite is JSON");
        assert!(
            spec["$schema"]
                .as_str()
                .is_some_and(|s| s.contains("vega-lite")),
            "{kind}: {spec}"
        );
        let dumped = spec.to_string();
        for label in *labels {
            assert!(dumped.contains(label), "{kind}: no {label} in the spec");
        }
    }
    let none = runlake(&[
        "plot",
        &lake,
        "curve",
        "--run",
        "nope",
        "--task",
        "arc_challenge",
        "--output",
        utf8(&dir.path().join("x.svg")),
    ]);
    assert_eq!(none.status.code(), Some(2));
    let format = runlake(&[
        "plot",
        &lake,
        "scaling",
        "--task",
        "arc_challenge",
        "--output",
        utf8(&dir.path().join("x.gif")),
        "--format",
        "gif",
    ]);
    assert_eq!(format.status.code(), Some(2));
    assert!(
        text(&format.stderr).contains("gif"),
        "{}",
        text(&format.stderr)
    );
    // Without --format, a .json output is Vega-Lite.
    let json = dir.path().join("scaling.json");
    ok(&[
        "plot",
        &lake,
        "scaling",
        "--task",
        "arc_challenge",
        "--output",
        utf8(&json),
    ]);
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("written"))
        .expect("vega-lite is JSON");
    assert!(spec["$schema"].is_string(), "{spec}");
}
