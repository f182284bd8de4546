//! A post-training chain written to be hard (`testdata/wandb/chains`): an SFT run whose name
//! holds `/`, `..`, spaces and `%`, failed and restarted under the same name; a DPO run trained
//! from its output folder whose summary holds tasks in both shapes; a DPO run from a folder no
//! converted run wrote. The lake also holds the pretraining checkpoints around the SFT's parent
//! step 5725, but not that step, and some without exported tokens.

use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_lake::testkit::local_lake;
use runlake_plot::{CurveOptions, YSpec, plot_curve};
use runlake_reader::{DataDecide, LakeReader};
use runlake_wandb::{ConvertOptions, convert_paths};

const SFT_FAILED: &str = "wandb/ml-moe/chains/sftfail1";
const SFT: &str = "wandb/ml-moe/chains/sftok002";
const DPO: &str = "wandb/ml-moe/chains/dpo00003";
const ORPHAN: &str = "wandb/ml-moe/chains/dpo00004";
const ROOT: &str = "dd/dolma1_7/4M/default";
/// 4M: 32 sequences of 2048 tokens a step.
const TOKENS_PER_STEP: i64 = 32 * 2048;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/wandb/chains")
}

fn json_batch(table: Table, lines: &str) -> RecordBatch {
    let mut reader = arrow::json::ReaderBuilder::new(table.schema())
        .build(std::io::Cursor::new(lines.as_bytes().to_vec()))
        .expect("json reader");
    reader.next().expect("one batch").expect("rows")
}

/// Pretraining checkpoints of the root at steps 1250 (no tokens in the export), 5000 and 5500,
/// never at 5725; an eval at 5000.
async fn add_pretraining(lake: &Lake) {
    let ckpts = json_batch(
        Table::PretrainCkpts,
        &[
            (1250, None),
            (5000, Some(5000 * TOKENS_PER_STEP)),
            (5500, Some(5500 * TOKENS_PER_STEP)),
        ]
        .iter()
        .map(|(s, t)| {
            let t = t.map_or("null".to_owned(), |t| t.to_string());
            format!(
                r#"{{"run_uid":"{ROOT}","step":{s},"recipe":"dolma1_7","size":"4M","seed":"default","tokens":{t},"train_loss":3.5,"source":"test"}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n"),
    );
    let evals = json_batch(
        Table::Evals,
        &format!(
            r#"{{"run_uid":"{ROOT}","phase":"pretrain","step":5000,"task":"arc_challenge","source":"test","primary_score":0.25,"derived":false}}"#
        ),
    );
    let mut tx = lake.transaction("test", "pretraining");
    tx.upsert(Table::PretrainCkpts, ckpts).expect("ckpts");
    tx.upsert(Table::Evals, evals).expect("evals");
    tx.commit().await.expect("commit");
}

async fn lake() -> (tempfile::TempDir, Lake) {
    let (dir, lake) = local_lake().await;
    convert_paths(&lake, &[fixture()], &ConvertOptions::default())
        .await
        .expect("convert");
    add_pretraining(&lake).await;
    (dir, lake)
}

async fn table(lake: &Lake, t: Table) -> RecordBatch {
    let m = lake.latest().await.expect("manifest");
    let batches = lake.read_table(&m, t).await.expect("read");
    arrow::compute::concat_batches(&t.schema(), &batches).expect("concat")
}

fn s(b: &RecordBatch, col: &str, i: usize) -> Option<String> {
    let c = b.column_by_name(col).expect(col).as_string::<i32>();
    c.is_valid(i).then(|| c.value(i).to_owned())
}

fn f(b: &RecordBatch, col: &str, i: usize) -> Option<f64> {
    let c = b
        .column_by_name(col)
        .expect(col)
        .as_primitive::<Float64Type>();
    c.is_valid(i).then(|| c.value(i))
}

fn flag(b: &RecordBatch, col: &str, i: usize) -> bool {
    let c = b.column_by_name(col).expect(col).as_boolean();
    c.is_valid(i) && c.value(i)
}

fn rows_of(b: &RecordBatch, col: &str, value: &str) -> Vec<usize> {
    (0..b.num_rows())
        .filter(|&i| s(b, col, i).as_deref() == Some(value))
        .collect()
}

#[tokio::test]
async fn parent_found_by_its_whole_output_path() {
    let (_dir, lake) = lake().await;
    let lineage = table(&lake, Table::Lineage).await;
    let dpo = rows_of(&lineage, "child_run_uid", DPO);
    let resolved = dpo
        .iter()
        .copied()
        .find(|&i| s(&lineage, "evidence_source", i).as_deref() == Some("resolved"))
        .expect("resolved row");
    // The restart wrote the model that remains in the shared folder.
    assert_eq!(
        s(&lineage, "parent_run_uid", resolved).as_deref(),
        Some(SFT)
    );
    assert_eq!(s(&lineage, "relation", resolved).as_deref(), Some("dpo_of"));
    assert_eq!(
        s(&lineage, "rule", resolved).as_deref(),
        Some("post_training_output")
    );
    let path = dpo
        .iter()
        .copied()
        .find(|&i| s(&lineage, "evidence_source", i).as_deref() == Some("model_name_or_path"))
        .expect("path evidence");
    assert_eq!(s(&lineage, "parent_run_uid", path).as_deref(), Some(SFT));
    assert!(
        s(&lineage, "note", path).is_some_and(|n| n.contains(SFT_FAILED)),
        "the earlier attempt in the same folder is named"
    );

    let chain = dd(&lake)
        .await
        .lineage(DPO)
        .await
        .expect("read")
        .expect("chain");
    let parents: Vec<Option<String>> = chain
        .links
        .iter()
        .map(|l| l.resolved.as_ref().and_then(|r| r.parent_run_uid.clone()))
        .collect();
    assert_eq!(
        parents,
        vec![Some(SFT.to_owned()), Some(ROOT.to_owned())],
        "{chain}"
    );
}

#[tokio::test]
async fn an_unknown_parent_folder_is_never_made_into_a_uid() {
    let (_dir, lake) = lake().await;
    let lineage = table(&lake, Table::Lineage).await;
    let orphan = rows_of(&lineage, "child_run_uid", ORPHAN);
    assert!(!orphan.is_empty());
    let uids: Vec<String> = (0..lineage.num_rows())
        .flat_map(|i| [s(&lineage, "child_run_uid", i)])
        .flatten()
        .collect();
    for &i in &orphan {
        // No row points at a run that is not in the lake.
        if let Some(p) = s(&lineage, "parent_run_uid", i) {
            assert!(uids.contains(&p) || p.starts_with("dd/"), "invented {p}");
        }
        if s(&lineage, "evidence_source", i).as_deref() == Some("resolved") {
            assert_eq!(s(&lineage, "parent_run_uid", i), None);
            assert_eq!(
                s(&lineage, "rule", i).as_deref(),
                Some("unmatched_post_training_output")
            );
        } else {
            assert!(
                s(&lineage, "note", i).is_some_and(|n| n.contains("no converted run")),
                "the evidence says no converted run matched"
            );
        }
    }
}

#[tokio::test]
async fn one_summary_gives_one_row_per_task() {
    let (_dir, lake) = lake().await;
    let evals = table(&lake, Table::Evals).await;
    let dpo = rows_of(&evals, "run_uid", DPO);
    let task = |t: &str| -> usize {
        let hits: Vec<usize> = dpo
            .iter()
            .copied()
            .filter(|&i| s(&evals, "task", i).as_deref() == Some(t))
            .collect();
        assert_eq!(hits.len(), 1, "{t}: one row");
        hits[0]
    };
    // Agreeing shapes: the flat primary score fills the nested dict's gap.
    let arc = task("arc_challenge");
    assert_eq!(
        s(&evals, "source", arc).as_deref(),
        Some("wandb_summary_nested")
    );
    assert_eq!(f(&evals, "primary_score", arc), Some(0.33));
    assert_eq!(f(&evals, "acc_uncond", arc), Some(0.33));
    assert_eq!(f(&evals, "acc_per_char", arc), Some(0.32));
    assert_eq!(s(&evals, "details_json", arc), None);
    // Disagreeing: the nested value wins, the flat one is kept as a conflict.
    let piqa = task("piqa");
    assert_eq!(f(&evals, "acc_raw", piqa), Some(0.6));
    assert_eq!(f(&evals, "acc_per_char", piqa), Some(0.61));
    assert_eq!(
        s(&evals, "details_json", piqa).as_deref(),
        Some(r#"{"flat_conflicts":{"acc_raw":0.65}}"#)
    );
}

#[tokio::test]
async fn conflict_flags_follow_the_notes() {
    let (_dir, lake) = lake().await;
    let lineage = table(&lake, Table::Lineage).await;
    let mut differing = Vec::new();
    for i in 0..lineage.num_rows() {
        if s(&lineage, "note", i).is_some_and(|n| n.contains("differs from the resolved")) {
            assert!(flag(&lineage, "conflict", i), "row {i}");
            differing.push(s(&lineage, "evidence_source", i));
        }
    }
    // The DPO run's config states another pretraining step than its name.
    assert_eq!(differing, vec![Some("config:pretrain_steps".to_owned())]);
}

#[tokio::test]
async fn a_restart_is_its_own_attempt() {
    let (_dir, lake) = lake().await;
    let lineage = table(&lake, Table::Lineage).await;
    let same: Vec<usize> = rows_of(&lineage, "evidence_source", "same_name");
    assert_eq!(same.len(), 1);
    assert_eq!(
        (
            s(&lineage, "child_run_uid", same[0]).as_deref(),
            s(&lineage, "relation", same[0]).as_deref(),
            s(&lineage, "parent_run_uid", same[0]).as_deref()
        ),
        (Some(SFT), Some("duplicate_of"), Some(SFT_FAILED))
    );
    let chain = dd(&lake)
        .await
        .lineage(SFT)
        .await
        .expect("read")
        .expect("chain");
    assert!(
        chain.to_string().contains("not a continuation"),
        "lineage says the attempts are separate:\n{chain}"
    );

    let curve = dpo_curve(&lake).await;
    let run = |i| s(&curve, "run_uid", i).unwrap_or_default();
    let kind = |i| s(&curve, "kind", i).unwrap_or_default();
    assert!(
        (0..curve.num_rows()).all(|i| run(i) != SFT_FAILED),
        "the failed attempt is not drawn"
    );
    let sft_steps: Vec<Option<f64>> = (0..curve.num_rows())
        .filter(|&i| run(i) == SFT && kind(i) == "step")
        .map(|i| f(&curve, "cumulative_tokens", i))
        .collect();
    assert_eq!(sft_steps.len(), 5, "only the restart's steps");
    // The curve says which attempt it follows.
    let notes = dd(&lake)
        .await
        .chain_curve(
            DPO,
            &runlake_reader::CurveValue::Eval {
                task: "arc_challenge".into(),
                metric: "primary_score".into(),
            },
        )
        .await
        .expect("curve")
        .curve
        .notes;
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with(SFT_FAILED) && n.contains(&format!("follows {SFT} only"))),
        "{notes:?}"
    );
    // The restart starts from the checkpoint, not after the failed attempt's 3000 tokens.
    assert_eq!(sft_steps[0], Some((5725 * TOKENS_PER_STEP) as f64 + 1000.0));
}

async fn dd(lake: &Lake) -> DataDecide {
    DataDecide::new(LakeReader::open(lake, None).await.expect("reader"))
}

async fn dpo_curve(lake: &Lake) -> RecordBatch {
    dd(lake)
        .await
        .curve(DPO, "arc_challenge", None)
        .await
        .expect("a curve despite no tokens at step 5725")
}

#[tokio::test]
async fn a_curve_starts_where_its_checkpoint_is() {
    let (_dir, lake) = lake().await;
    let curve = dpo_curve(&lake).await;
    let run = |i| s(&curve, "run_uid", i).unwrap_or_default();
    let kind = |i| s(&curve, "kind", i).unwrap_or_default();
    let tokens = |i| f(&curve, "cumulative_tokens", i).unwrap_or(f64::NAN);
    let steps = curve
        .column_by_name("step")
        .expect("step")
        .as_primitive::<Int64Type>();
    // Pretraining points sit at their tokens, by the schedule where the export has none.
    let pre: Vec<(i64, f64)> = (0..curve.num_rows())
        .filter(|&i| run(i) == ROOT)
        .map(|i| (steps.value(i), tokens(i)))
        .collect();
    assert_eq!(
        pre,
        [1250, 5000, 5500]
            .map(|s| (s, (s * TOKENS_PER_STEP) as f64))
            .to_vec()
    );
    // The SFT starts at step 5725 of the schedule; its first step is 1000 tokens on.
    let start = (5725 * TOKENS_PER_STEP) as f64;
    let first_sft = (0..curve.num_rows())
        .find(|&i| run(i) == SFT)
        .expect("sft points");
    assert_eq!(tokens(first_sft), start + 1000.0);
    // The DPO summary eval (merged from both shapes) is on the curve.
    let dpo_eval: Vec<Option<f64>> = (0..curve.num_rows())
        .filter(|&i| run(i) == DPO && kind(i) == "eval")
        .map(|i| f(&curve, "value", i))
        .collect();
    assert_eq!(dpo_eval, vec![Some(0.33)]);

    let plot = plot_curve(
        &lake,
        &[DPO],
        &YSpec::Eval {
            task: "arc_challenge".into(),
            metric: "primary".into(),
        },
        &CurveOptions::default(),
    )
    .await
    .expect("a plot despite no tokens at step 5725");
    let post = plot.series.last().expect("post-training series");
    assert_eq!(post.points.last().map(|p| p.1), Some(0.33));
    // After the junction with the pretraining line, everything is past the checkpoint.
    assert!(post.points.iter().skip(1).all(|p| p.0 >= start), "{post:?}");
}

#[tokio::test]
async fn csv_of_every_table() {
    let (dir, _lake) = lake().await;
    let path = dir.path().join("lake");
    let path = path.to_str().expect("utf8 path");
    for t in [
        "metadata",
        "pretrain_ckpts",
        "posttrain_steps",
        "evals",
        "lineage",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_runlake"))
            .args(["query", path, "--table", t, "--format", "csv"])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{t}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.lines().count() > 1, "{t}: header and rows");
    }
    // No rows: still the header.
    let out = Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args([
            "query",
            path,
            "--table",
            "evals",
            "--format",
            "csv",
            "--where",
            "task = 'no such task'",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("run_uid,"), "{text}");
}

fn runlake(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runlake"))
        .args(args)
        .output()
        .expect("runs")
}

const DPO_NAME: &str =
    "2025_09_02-09_00_00_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default";

#[tokio::test]
async fn curve_and_lineage_take_a_run_by_uid_id_or_name() {
    let (dir, _lake) = lake().await;
    let path = dir.path().join("lake");
    let path = path.to_str().expect("utf8 path");
    let curves: Vec<String> = [DPO, "dpo00003", DPO_NAME]
        .iter()
        .map(|run| {
            let out = runlake(&[
                "curve",
                path,
                run,
                "--task",
                "arc_challenge",
                "--format",
                "csv",
            ]);
            assert!(
                out.status.success(),
                "{run}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect();
    assert!(curves[0].lines().count() > 1, "{}", curves[0]);
    assert_eq!(curves[0], curves[1]);
    assert_eq!(curves[0], curves[2]);
    let lineages: Vec<String> = [DPO, "dpo00003", DPO_NAME]
        .iter()
        .map(|run| String::from_utf8_lossy(&runlake(&["lineage", path, run]).stdout).into_owned())
        .collect();
    assert!(lineages[0].starts_with(DPO), "{}", lineages[0]);
    assert_eq!(lineages[0], lineages[1]);
    assert_eq!(lineages[0], lineages[2]);
}

#[tokio::test]
async fn unknown_runs_and_tasks_are_refused() {
    let (dir, _lake) = lake().await;
    let path = dir.path().join("lake");
    let path = path.to_str().expect("utf8 path");
    let refused = |args: &[&str]| -> String {
        let out = runlake(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stdout.is_empty(), "{args:?} printed rows");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(&["curve", path, "no-such-run", "--task", "arc_challenge"]);
    assert!(err.contains("unknown run `no-such-run`"), "{err}");
    let err = refused(&["lineage", path, "no-such-run"]);
    assert!(err.contains("unknown run `no-such-run`"), "{err}");
    // The failed attempt and its restart share a name: the name alone picks neither.
    let sft_name = "2025_09_01-10_00_00_sft dolma1_7/4M 100%..v2 lr=5e-06";
    let err = refused(&["curve", path, sft_name, "--task", "arc_challenge"]);
    assert!(
        err.contains(SFT) && err.contains(SFT_FAILED),
        "both attempts named: {err}"
    );
    // A misspelled task is refused as `select` refuses it.
    let curve_err = refused(&["curve", path, DPO, "--task", "arc_chalenge"]);
    let select_err = refused(&["select", path, "--task", "arc_chalenge"]);
    assert!(
        curve_err.contains("unknown task `arc_chalenge`"),
        "{curve_err}"
    );
    assert_eq!(curve_err, select_err);
}

/// `(cumulative tokens, value)` pairs.
type Points = Vec<(f64, f64)>;

/// The points of the reader's curve with a value, as `(cumulative tokens, value)`, split into
/// the pretraining segment and the rest.
fn valued_points(curve: &RecordBatch) -> (Points, Points) {
    let segment = curve
        .column_by_name("segment")
        .expect("segment")
        .as_primitive::<arrow::datatypes::Int32Type>();
    let (mut pre, mut post) = (Vec::new(), Vec::new());
    for i in 0..curve.num_rows() {
        let (Some(t), Some(v)) = (f(curve, "cumulative_tokens", i), f(curve, "value", i)) else {
            continue;
        };
        if segment.value(i) == 0 {
            pre.push((t, v));
        } else {
            post.push((t, v));
        }
    }
    (pre, post)
}

#[tokio::test]
async fn the_plot_draws_the_readers_curve() {
    let (_dir, lake) = lake().await;
    let dd = dd(&lake).await;
    for (value, y) in [
        (
            runlake_reader::CurveValue::Eval {
                task: "arc_challenge".into(),
                metric: "primary".into(),
            },
            YSpec::Eval {
                task: "arc_challenge".into(),
                metric: "primary".into(),
            },
        ),
        (
            runlake_reader::CurveValue::Train("train_loss".into()),
            YSpec::Train("train_loss".into()),
        ),
    ] {
        let curve = dd
            .chain_curve("dpo00003", &value)
            .await
            .expect("curve")
            .to_batch()
            .expect("batch");
        let (pre, post) = valued_points(&curve);
        assert!(!pre.is_empty() && !post.is_empty(), "{y:?}: {curve:?}");
        let plot = plot_curve(&lake, &[DPO_NAME], &y, &CurveOptions::default())
            .await
            .expect("plot");
        assert_eq!(plot.series[0].points, pre, "{y:?}: pretraining");
        // One line per post-training run: the first starts at the last pretraining point,
        // each later one where the previous ends, and together they follow the curve.
        let runs = &plot.series[1..];
        assert!(!runs.is_empty(), "{y:?}");
        assert_eq!(runs[0].points[0], pre[pre.len() - 1]);
        let mut drawn: Vec<(f64, f64)> = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            if i > 0 {
                assert_eq!(Some(&run.points[0]), drawn.last(), "{y:?}: {}", run.label);
            }
            drawn.extend_from_slice(&run.points[1..]);
        }
        assert_eq!(drawn, post, "{y:?}: post-training");
    }
}

/// The README's quick start: its lake, its DPO run, its curve plot.
#[test]
fn the_quick_start_dpo_run_plots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lake = dir.path().join("demo-lake");
    let lake = lake.to_str().expect("utf8 path");
    let inputs = [
        "testdata/datadecide/eval-results",
        "testdata/datadecide/ppl-results",
        "testdata/wandb/dr_wandb_v3/ft-scaling",
    ]
    .map(|p| root.join(p).to_string_lossy().into_owned());
    let mut args = vec!["convert"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend(["--lake", lake]);
    let out = runlake(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let dpo = "2025_08_27-07_52_26_test_dpo_tune_cache_dd__dolma1_7-4M__main__100Mt_lr=5e-06_default_--learning_rate=2e-07";
    assert!(readme.contains(&format!("lineage demo-lake {dpo}")));
    let svg = dir.path().join("curve.svg");
    let out = runlake(&[
        "plot",
        lake,
        "curve",
        "--run",
        dpo,
        "--task",
        "arc_challenge",
        "--output",
        svg.to_str().expect("utf8 path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let drawn = std::fs::read_to_string(&svg).expect("svg");
    assert!(drawn.contains("<svg"), "{drawn}");
    // The run's arc_challenge summary (testdata/wandb/dr_wandb_v3/ft-scaling/runs.jsonl) is the
    // last point of its curve.
    let out = runlake(&[
        "curve",
        lake,
        dpo,
        "--task",
        "arc_challenge",
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().expect("rows");
    assert!(
        last.contains(",eval,") && last.ends_with(",0.2559726962"),
        "{text}"
    );
}
