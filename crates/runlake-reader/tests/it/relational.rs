//! Joins and aggregates against straightforward reference implementations.

use std::collections::BTreeMap;

use arrow::array::{Array, RecordBatch};
use arrow::util::display::array_value_to_string;
use runlake_format::Table;
use runlake_reader::{Agg, JoinKind, SortKey, col};

use crate::common::*;

fn cell(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let a = b.column_by_name(name).expect("column");
    a.is_valid(row)
        .then(|| array_value_to_string(a, row).expect("display"))
}

fn table_rows(batches: &[RecordBatch]) -> Vec<Vec<Option<String>>> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(
                (0..b.num_columns())
                    .map(|c| {
                        let a = b.column(c);
                        a.is_valid(r)
                            .then(|| array_value_to_string(a, r).expect("display"))
                    })
                    .collect(),
            );
        }
    }
    out
}

/// The rows of `written` that `keep` accepts, as cells of `columns`.
fn written_rows(
    written: &RecordBatch,
    columns: &[&str],
    keep: impl Fn(usize) -> bool,
) -> Vec<Vec<Option<String>>> {
    (0..written.num_rows())
        .filter(|&r| keep(r))
        .map(|r| columns.iter().map(|c| cell(written, c, r)).collect())
        .collect()
}

/// A scan returned exactly the written rows `keep` accepts (in any order), so references
/// computed from its output rest on the written rows, not on the reader.
fn assert_scan_returns_written(
    scan: &[RecordBatch],
    written: &RecordBatch,
    keep: impl Fn(usize) -> bool,
) {
    let schema = scan.first().expect("the scan returned rows").schema();
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut got = table_rows(scan);
    let mut expected = written_rows(written, &columns, keep);
    assert!(!expected.is_empty());
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

const STEPS: [i64; 4] = [0, 1250, 2500, 3750];

fn ckpts_batch() -> RecordBatch {
    // Checkpoints for every run except the last step, so some evals have no partner.
    let mut run = Vec::new();
    let mut step = Vec::new();
    let mut tokens = Vec::new();
    for r in RECIPES {
        for s in SIZES {
            for sd in SEEDS {
                for st in &STEPS[..3] {
                    run.push(Some(pretrain_run(r, s, sd)));
                    step.push(Some(*st));
                    tokens.push(Some(*st * 4_194_304));
                }
            }
        }
    }
    let rows = run.len();
    batch(
        Table::PretrainCkpts,
        rows,
        vec![
            ("run_uid", strs(&run)),
            ("step", ints(&step)),
            ("tokens", ints(&tokens)),
            ("source", strs(&vec![Some("synthetic"); rows])),
        ],
    )
}

#[tokio::test]
async fn joins_match_a_nested_loop_reference() {
    let (_lake, reader) = small_file_lake(vec![
        (Table::Evals, evals_batch(&STEPS)),
        (Table::PretrainCkpts, ckpts_batch()),
    ])
    .await;
    let left_q = reader
        .scan(Table::Evals)
        .filter(col("task").eq("piqa"))
        .select(["run_uid", "step", "primary_score"]);
    let right_q = reader
        .scan(Table::PretrainCkpts)
        .select(["run_uid", "step", "tokens", "source"]);
    // The reference joins the written rows, not what the reader scanned.
    let evals = evals_batch(&STEPS);
    let piqa: Vec<u32> = (0..evals.num_rows() as u32)
        .filter(|&r| cell(&evals, "task", r as usize).as_deref() == Some("piqa"))
        .collect();
    let left = vec![
        arrow::compute::take_record_batch(&evals, &arrow::array::UInt32Array::from(piqa))
            .expect("take"),
    ];
    let right = vec![ckpts_batch()];
    let left_scan = left_q.clone().collect().await.expect("left");
    assert_scan_returns_written(&left_scan, &evals, |r| {
        cell(&evals, "task", r).as_deref() == Some("piqa")
    });
    let left_order = table_rows(&left_scan);

    for (kind, on) in [
        (
            JoinKind::Inner,
            vec![("run_uid", "run_uid"), ("step", "step")],
        ),
        (
            JoinKind::Left,
            vec![("run_uid", "run_uid"), ("step", "step")],
        ),
        (JoinKind::Inner, vec![("run_uid", "run_uid")]),
        (JoinKind::Left, vec![("step", "step")]),
    ] {
        let joined = left_q
            .clone()
            .join(right_q.clone(), on.clone(), kind)
            .collect()
            .await
            .expect("join");
        let names: Vec<String> = joined[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut expected_names = vec!["run_uid", "step", "primary_score"];
        let merged: Vec<&str> = on.iter().filter(|(l, r)| l == r).map(|(_, r)| *r).collect();
        for c in ["run_uid", "step", "tokens", "source"] {
            if !merged.contains(&c) {
                expected_names.push(match c {
                    "run_uid" => "run_uid_right",
                    "step" => "step_right",
                    other => other,
                });
            }
        }
        assert_eq!(names, expected_names, "{kind:?} {on:?}");

        let mut expected = Vec::new();
        for lb in &left {
            for li in 0..lb.num_rows() {
                let mut matched = false;
                for rb in &right {
                    for ri in 0..rb.num_rows() {
                        let equal = on.iter().all(|(l, r)| {
                            let a = cell(lb, l, li);
                            a.is_some() && a == cell(rb, r, ri)
                        });
                        if equal {
                            matched = true;
                            let mut row: Vec<Option<String>> = ["run_uid", "step", "primary_score"]
                                .iter()
                                .map(|c| cell(lb, c, li))
                                .collect();
                            for c in ["run_uid", "step", "tokens", "source"] {
                                if !merged.contains(&c) {
                                    row.push(cell(rb, c, ri));
                                }
                            }
                            expected.push(row);
                        }
                    }
                }
                if !matched && kind == JoinKind::Left {
                    let mut row: Vec<Option<String>> = ["run_uid", "step", "primary_score"]
                        .iter()
                        .map(|c| cell(lb, c, li))
                        .collect();
                    row.extend(std::iter::repeat_n(None, names.len() - 3));
                    expected.push(row);
                }
            }
        }
        let mut got = table_rows(&joined);
        assert!(!expected.is_empty());
        // The join streams the left side in order: its left columns follow the left scan.
        let mut left_rows = left_order.iter();
        let mut current: Option<&[Option<String>]> = None;
        for row in &got {
            let left = &row[..3];
            if current != Some(left) {
                assert!(
                    left_rows.any(|l| l == left),
                    "{kind:?} {on:?}: {left:?} out of the left side's order"
                );
                current = Some(left);
            }
        }
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{kind:?} {on:?}");
    }
    // Left join on (run, step): the last step has no checkpoint, and post-training evals have
    // no step, so their tokens are null.
    let joined = left_q
        .join(
            right_q,
            [("run_uid", "run_uid"), ("step", "step")],
            JoinKind::Left,
        )
        .filter(col("tokens").is_null())
        .select(["step"])
        .collect()
        .await
        .expect("join");
    let steps = table_rows(&joined);
    let last = steps
        .iter()
        .filter(|r| r[0].as_deref() == Some("3750"))
        .count();
    let none = steps.iter().filter(|r| r[0].is_none()).count();
    assert_eq!(last, RECIPES.len() * SIZES.len() * SEEDS.len());
    assert_eq!(none, 6);
    assert_eq!(steps.len(), last + none);
}

#[tokio::test]
async fn aggregates_match_a_grouping_reference() {
    let (_lake, reader) = small_file_lake(vec![(Table::Evals, evals_batch(&STEPS))]).await;
    let base = reader.scan(Table::Evals).filter(
        col("phase")
            .eq("pretrain")
            .and(col("task").in_list(["piqa", "hellaswag"])),
    );
    let input = base.clone().collect().await.expect("input");
    let written = evals_batch(&STEPS);
    assert_scan_returns_written(&input, &written, |r| {
        cell(&written, "phase", r).as_deref() == Some("pretrain")
            && matches!(
                cell(&written, "task", r).as_deref(),
                Some("piqa" | "hellaswag")
            )
    });
    let out = base
        .group_by(["recipe", "size", "step"])
        .agg([
            Agg::mean("acc_raw"),
            Agg::std("acc_raw"),
            Agg::count("acc_raw"),
            Agg::count_rows(),
            Agg::min("primary_score"),
            Agg::max("run_uid"),
            Agg::first("acc_raw").alias("first_acc"),
            Agg::last("seed"),
        ])
        .sort_by(vec![
            SortKey::asc("recipe"),
            SortKey::asc("size"),
            SortKey::desc("step"),
        ])
        .collect()
        .await
        .expect("aggregate");
    let out = concat(&out).expect("rows");
    let schema = out.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "recipe",
            "size",
            "step",
            "acc_raw_mean",
            "acc_raw_std",
            "acc_raw_count",
            "count",
            "primary_score_min",
            "run_uid_max",
            "first_acc",
            "seed_last"
        ]
    );

    #[derive(Default)]
    struct G {
        acc: Vec<f64>,
        rows: i64,
        min_score: Option<f64>,
        max_run: Option<String>,
        first_acc: Option<f64>,
        last_seed: Option<String>,
    }
    let mut groups: BTreeMap<(String, String, i64), G> = BTreeMap::new();
    for b in &input {
        for r in 0..b.num_rows() {
            let key = (
                cell(b, "recipe", r).expect("recipe"),
                cell(b, "size", r).expect("size"),
                cell(b, "step", r).expect("step").parse().expect("int"),
            );
            let g = groups.entry(key).or_default();
            g.rows += 1;
            if let Some(a) = cell(b, "acc_raw", r) {
                let a: f64 = a.parse().expect("float");
                g.acc.push(a);
                g.first_acc.get_or_insert(a);
            }
            let s: f64 = cell(b, "primary_score", r)
                .expect("score")
                .parse()
                .expect("float");
            g.min_score = Some(g.min_score.map_or(s, |m| m.min(s)));
            let run = cell(b, "run_uid", r).expect("run");
            if g.max_run.as_ref().is_none_or(|m| run > *m) {
                g.max_run = Some(run);
            }
            if let Some(seed) = cell(b, "seed", r) {
                g.last_seed = Some(seed);
            }
        }
    }
    // Expected order: recipe asc, size asc, step desc.
    let mut keys: Vec<&(String, String, i64)> = groups.keys().collect();
    keys.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)).then(b.2.cmp(&a.2)));
    assert_eq!(out.num_rows(), keys.len());
    let f =
        |name: &str, row: usize| cell(&out, name, row).map(|s| s.parse::<f64>().expect("float"));
    for (row, key) in keys.iter().enumerate() {
        let g = &groups[*key];
        assert_eq!(cell(&out, "recipe", row).as_deref(), Some(key.0.as_str()));
        assert_eq!(cell(&out, "size", row).as_deref(), Some(key.1.as_str()));
        assert_eq!(cell(&out, "step", row), Some(key.2.to_string()));
        let n = g.acc.len() as f64;
        let mean = g.acc.iter().sum::<f64>() / n;
        let var = g.acc.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let close =
            |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0));
        assert!(close(f("acc_raw_mean", row), mean), "mean of {key:?}");
        if g.acc.len() > 1 {
            assert!(close(f("acc_raw_std", row), var.sqrt()), "std of {key:?}");
        } else {
            assert_eq!(f("acc_raw_std", row), None);
        }
        assert_eq!(
            cell(&out, "acc_raw_count", row),
            Some(g.acc.len().to_string())
        );
        assert_eq!(cell(&out, "count", row), Some(g.rows.to_string()));
        assert_eq!(f("primary_score_min", row), g.min_score);
        assert_eq!(cell(&out, "run_uid_max", row), g.max_run);
        assert_eq!(f("first_acc", row), g.first_acc);
        assert_eq!(cell(&out, "seed_last", row), g.last_seed);
    }
    // 3 seeds x 2 tasks per group.
    assert!(groups.values().all(|g| g.rows == 6));

    let err = reader
        .scan(Table::Evals)
        .group_by(["task"])
        .agg([Agg::mean("run_uid")])
        .collect()
        .await
        .expect_err("mean of text");
    assert_eq!(
        err.to_string(),
        "cannot compute mean over column `run_uid` of type utf8"
    );
}

#[tokio::test]
async fn keep_max_matches_a_reference() {
    let (_lake, reader) = small_file_lake(vec![(Table::Evals, evals_batch(&STEPS))]).await;
    // piqa lacks the last step, so groups end at different steps.
    let base = reader
        .scan(Table::Evals)
        .filter(
            col("phase")
                .eq("pretrain")
                .and(col("task").not_eq("piqa").or(col("step").lt(3750))),
        )
        .select(["run_uid", "task", "step", "recipe", "size", "acc_raw"]);
    let input = base.clone().collect().await.expect("input");
    let written = evals_batch(&STEPS);
    assert_scan_returns_written(&input, &written, |r| {
        let step: Option<i64> = cell(&written, "step", r).map(|s| s.parse().expect("int"));
        cell(&written, "phase", r).as_deref() == Some("pretrain")
            && (cell(&written, "task", r).as_deref() != Some("piqa")
                || step.is_some_and(|s| s < 3750))
    });
    let all = table_rows(&input);
    // Reference: per group, the largest non-null value (compared as numbers), then the rows
    // holding it.
    let reference = |keys: &[usize], value: usize| {
        let mut best: BTreeMap<Vec<Option<String>>, f64> = BTreeMap::new();
        for r in &all {
            let k: Vec<Option<String>> = keys.iter().map(|&i| r[i].clone()).collect();
            if let Some(v) = &r[value] {
                let v: f64 = v.parse().expect("number");
                let b = best.entry(k).or_insert(v);
                *b = b.max(v);
            }
        }
        let mut kept: Vec<Vec<Option<String>>> = all
            .iter()
            .filter(|r| {
                let k: Vec<Option<String>> = keys.iter().map(|&i| r[i].clone()).collect();
                r[value]
                    .as_ref()
                    .is_some_and(|v| best.get(&k) == Some(&v.parse::<f64>().expect("number")))
            })
            .cloned()
            .collect();
        kept.sort();
        kept
    };
    for (keys, value, key_idx, value_idx) in [
        (vec!["run_uid", "task"], "step", vec![0, 1], 2),
        (vec!["recipe", "size"], "acc_raw", vec![3, 4], 5),
    ] {
        let got = base
            .clone()
            .keep_max(keys.clone(), value)
            .collect()
            .await
            .expect("keep_max");
        let mut got = table_rows(&got);
        got.sort();
        let expected = reference(&key_idx, value_idx);
        assert!(!expected.is_empty());
        assert!(expected.len() < all.len(), "{keys:?}: something is dropped");
        assert_eq!(got, expected, "keep_max by {keys:?} of {value}");
    }
    let plan = base
        .keep_max(["run_uid"], "step")
        .explain()
        .await
        .expect("explain");
    assert!(
        plan.contains("KeepMax: largest step by [run_uid]"),
        "{plan}"
    );
}

#[tokio::test]
async fn no_keys_make_one_group_of_every_row() {
    let (_lake, reader) = small_file_lake(vec![(Table::Evals, evals_batch(&STEPS))]).await;
    let base = reader
        .scan(Table::Evals)
        .filter(col("phase").eq("pretrain"))
        .select(["run_uid", "step"]);
    let scanned = base.clone().collect().await.expect("input");
    let written = evals_batch(&STEPS);
    assert_scan_returns_written(&scanned, &written, |r| {
        cell(&written, "phase", r).as_deref() == Some("pretrain")
    });
    let input = concat(&scanned).expect("rows");
    let steps: Vec<String> = (0..input.num_rows())
        .map(|i| array_value_to_string(input.column(1), i).expect("step"))
        .collect();
    let top = steps
        .iter()
        .max_by_key(|s| s.parse::<i64>().expect("a number"))
        .expect("a step");

    let out = base
        .clone()
        .group_by(Vec::<String>::new())
        .agg([Agg::count_rows(), Agg::max("step")])
        .collect()
        .await
        .expect("aggregate");
    let out = concat(&out).expect("one row");
    assert_eq!(out.num_rows(), 1);
    let cell = |c: usize| array_value_to_string(out.column(c), 0).expect("cell");
    assert_eq!(cell(0), input.num_rows().to_string());
    assert_eq!(&cell(1), top);

    let kept = concat(
        &base
            .keep_max(Vec::<String>::new(), "step")
            .collect()
            .await
            .expect("keep_max"),
    )
    .expect("rows");
    let expected = steps.iter().filter(|s| *s == top).count();
    assert_eq!(kept.num_rows(), expected);
}
