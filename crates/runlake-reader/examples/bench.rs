//! Benchmark of the reader against DuckDB on the same Parquet files.
//!
//! ```console
//! $ cargo run --release -p runlake-reader --example bench -- generate /tmp/bench-lake [--no-compact]
//! $ cargo run --release -p runlake-reader --example bench -- run /tmp/bench-lake [python]
//! ```
//!
//! `generate` writes a DataDecide-scale lake (25 recipes x 14 sizes x 3 seeds x 20 steps x 67
//! tasks = 1.4M eval rows, their checkpoints, 300 post-training runs with steps, evals and
//! lineage). `run` times five queries with the reader and with DuckDB (best of five each)
//! and prints a table, plus the bytes query 1 fetched as a share of the evals table.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    new_null_array,
};
use arrow::datatypes::DataType;
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_lake::testkit::recording::RecordingStore;
use runlake_reader::{Agg, DataDecide, LakeReader, Selection, col};

const TASK: &str = "arc_challenge";
const SIZE: &str = "150M";

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn unit(x: u64) -> f64 {
    (mix(x) >> 11) as f64 / (1u64 << 53) as f64
}

fn batch(table: Table, rows: usize, given: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let schema = table.schema();
    let columns = schema
        .fields()
        .iter()
        .map(|f| match given.iter().find(|(n, _)| n == f.name()) {
            Some((_, a)) => Arc::clone(a),
            None if f.is_nullable() => new_null_array(f.data_type(), rows),
            None => match f.data_type() {
                DataType::Boolean => Arc::new(BooleanArray::from(vec![false; rows])) as ArrayRef,
                DataType::Int32 => Arc::new(Int32Array::from(vec![0; rows])),
                _ => Arc::new(StringArray::from(vec![""; rows])),
            },
        })
        .collect();
    RecordBatch::try_new(schema, columns).expect("a batch of the table schema")
}

fn s(v: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

fn recipes() -> Vec<String> {
    (0..25).map(|i| format!("recipe{i:02}")).collect()
}

fn sizes() -> Vec<&'static str> {
    vec![
        "4M", "6M", "8M", "10M", "14M", "16M", "20M", "60M", "90M", "150M", "300M", "530M", "750M",
        "1B",
    ]
}

const SEEDS: [&str; 3] = ["default", "small_aux_2", "large_aux_3"];

fn tasks() -> Vec<String> {
    let mut t: Vec<String> = [
        "arc_challenge",
        "arc_easy",
        "boolq",
        "csqa",
        "hellaswag",
        "openbookqa",
        "piqa",
        "socialiqa",
        "winogrande",
        "mmlu_average",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    t.extend((0..57).map(|i| format!("mmlu_subject_{i:02}")));
    t
}

const METRICS: [&str; 12] = [
    "acc_raw",
    "acc_per_token",
    "acc_per_char",
    "acc_per_byte",
    "acc_uncond",
    "sum_logits_corr",
    "logits_per_token_corr",
    "logits_per_char_corr",
    "bits_per_byte_corr",
    "correct_prob",
    "margin",
    "total_prob",
];

fn pretrain_evals(recipe: &str, tasks: &[String], salt: u64) -> RecordBatch {
    let mut run = Vec::new();
    let mut size_col = Vec::new();
    let mut seed = Vec::new();
    let mut step = Vec::new();
    let mut task = Vec::new();
    for sz in sizes() {
        for sd in SEEDS {
            for st in 1..=20i64 {
                for t in tasks {
                    run.push(format!("dd/{recipe}/{sz}/{sd}"));
                    size_col.push(sz.to_owned());
                    seed.push(sd.to_owned());
                    step.push(st * 1250);
                    task.push(t.clone());
                }
            }
        }
    }
    let n = run.len();
    let f = |k: u64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            (0..n as u64).map(|i| unit(salt * 1_000_000_007 + i * 97 + k)),
        ))
    };
    let mut given = vec![
        ("run_uid", s(run)),
        ("phase", s(vec!["pretrain".into(); n])),
        ("step", Arc::new(Int64Array::from(step)) as ArrayRef),
        ("task", s(task)),
        ("task_alias", s(vec!["alias:rc::olmes:full".into(); n])),
        ("source", s(vec!["dd_hf_train".into(); n])),
        ("suite", s(vec!["olmes".into(); n])),
        ("recipe", s(vec![recipe.to_owned(); n])),
        ("size", s(size_col)),
        ("seed", s(seed)),
        ("primary_metric_name", s(vec!["acc_raw".into(); n])),
        ("primary_score", f(0)),
        ("num_instances", Arc::new(Int64Array::from(vec![1172; n]))),
    ];
    for (k, m) in METRICS.iter().enumerate() {
        given.push((m, f(k as u64 + 1)));
    }
    batch(Table::Evals, n, given)
}

async fn generate(dir: &str, compact: bool) {
    let lake = Lake::create(dir).await.expect("create lake");
    // `BENCH_MERGE_RUNS=0` writes files as sorted runs, as before merging, to measure both.
    let merge_runs = std::env::var("BENCH_MERGE_RUNS").map_or(true, |v| v != "0");
    let lake = lake.with_config(runlake_lake::LakeConfig {
        merge_runs,
        ..lake.config().clone()
    });
    let started = Instant::now();
    let tasks = tasks();
    let mut tx = lake.transaction("bench", "synthetic DataDecide-scale lake");
    for (i, r) in recipes().iter().enumerate() {
        tx.upsert(Table::Evals, pretrain_evals(r, &tasks, i as u64))
            .expect("evals");
        let (mut run, mut step, mut tokens) = (Vec::new(), Vec::new(), Vec::new());
        for sz in sizes() {
            for sd in SEEDS {
                for st in 1..=20i64 {
                    run.push(format!("dd/{r}/{sz}/{sd}"));
                    step.push(st * 1250);
                    tokens.push(st * 1250 * 4_194_304);
                }
            }
        }
        let n = run.len();
        tx.upsert(
            Table::PretrainCkpts,
            batch(
                Table::PretrainCkpts,
                n,
                vec![
                    ("run_uid", s(run)),
                    ("step", Arc::new(Int64Array::from(step))),
                    ("tokens", Arc::new(Int64Array::from(tokens))),
                    ("source", s(vec!["dd_hf_train".into(); n])),
                ],
            ),
        )
        .expect("ckpts");
    }
    // 200 SFT runs off 150M checkpoints, 100 DPO runs off the first 100 SFT runs.
    let (mut l_child, mut l_parent, mut l_step, mut l_rel) = (vec![], vec![], vec![], vec![]);
    let (mut m_run, mut m_type) = (vec![], vec![]);
    let (mut p_run, mut p_type, mut p_step, mut p_tokens) = (vec![], vec![], vec![], vec![]);
    let (mut e_run, mut e_task) = (vec![], vec![]);
    for i in 0..300usize {
        let dpo = i >= 200;
        let run = format!(
            "wandb/ml-moe/ft-scaling/{}{i:03}",
            if dpo { "dpo" } else { "sft" }
        );
        let (parent, step) = if dpo {
            (format!("wandb/ml-moe/ft-scaling/sft{:03}", i - 200), None)
        } else {
            let r = &recipes()[i % 25];
            (
                format!("dd/{r}/150M/{}", SEEDS[i % 3]),
                Some(((i % 20) as i64 + 1) * 1250),
            )
        };
        l_child.push(run.clone());
        l_parent.push(parent);
        l_step.push(step);
        l_rel.push(if dpo { "dpo_of" } else { "finetune_of" }.to_owned());
        m_run.push(run.clone());
        m_type.push(if dpo { "dpo" } else { "sft" }.to_owned());
        let steps = if dpo { 300 } else { 1000 };
        for st in 1..=steps {
            p_run.push(run.clone());
            p_type.push(if dpo { "dpo" } else { "sft" }.to_owned());
            p_step.push(st as i64);
            p_tokens.push(st as f64 * 65_536.0);
        }
        for t in tasks.iter().take(10) {
            e_run.push(run.clone());
            e_task.push(t.clone());
        }
    }
    let n = l_child.len();
    tx.upsert(
        Table::Lineage,
        batch(
            Table::Lineage,
            n,
            vec![
                ("child_run_uid", s(l_child)),
                ("parent_run_uid", s(l_parent)),
                ("parent_step", Arc::new(Int64Array::from(l_step))),
                ("relation", s(l_rel)),
                ("evidence_source", s(vec!["resolved".into(); n])),
                ("evidence_value", s(vec!["synthetic".into(); n])),
                ("resolved", Arc::new(BooleanArray::from(vec![true; n]))),
            ],
        ),
    )
    .expect("lineage");
    tx.upsert(
        Table::Metadata,
        batch(
            Table::Metadata,
            n,
            vec![
                ("run_uid", s(m_run)),
                ("phase", s(vec!["posttrain".into(); n])),
                ("training_type", s(m_type)),
                ("source", s(vec!["wandb_v3".into(); n])),
            ],
        ),
    )
    .expect("metadata");
    let n = p_run.len();
    tx.upsert(
        Table::PosttrainSteps,
        batch(
            Table::PosttrainSteps,
            n,
            vec![
                ("run_uid", s(p_run)),
                ("training_type", s(p_type)),
                ("step", Arc::new(Int64Array::from(p_step))),
                ("total_tokens", Arc::new(Float64Array::from(p_tokens))),
                (
                    "train_loss",
                    Arc::new(Float64Array::from_iter_values((0..n as u64).map(unit))),
                ),
            ],
        ),
    )
    .expect("steps");
    let n = e_run.len();
    tx.upsert(
        Table::Evals,
        batch(
            Table::Evals,
            n,
            vec![
                ("run_uid", s(e_run)),
                ("phase", s(vec!["posttrain".into(); n])),
                ("task", s(e_task)),
                ("source", s(vec!["oe_eval_metrics_all".into(); n])),
                (
                    "primary_score",
                    Arc::new(Float64Array::from_iter_values(
                        (0..n as u64).map(|i| unit(i + 7)),
                    )),
                ),
            ],
        ),
    )
    .expect("post evals");
    let outcome = tx.commit().await.expect("commit");
    println!(
        "wrote version {:?}: {} rows, {} files, {} bytes in {:.1} s (runs merged: {merge_runs})",
        outcome.version,
        outcome.rows_added,
        outcome.files_added,
        outcome.bytes_added,
        started.elapsed().as_secs_f64()
    );
    if !compact {
        return;
    }
    // As a user would after a large conversion: `runlake compact`.
    for table in Table::ALL {
        let c = runlake_lake::compact::compact(&lake, table)
            .await
            .expect("compact");
        if let Some(v) = c.version {
            println!(
                "compacted {table} into version {v}: {} files",
                c.files_added
            );
        }
    }
    // DuckDB reads the folders, so the files compaction superseded must go.
    runlake_lake::gc::gc(&lake, std::time::Duration::ZERO, false)
        .await
        .expect("gc");
}

async fn time<F, Fut>(mut f: F) -> (Duration, usize)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut best = Duration::MAX;
    let mut rows = 0;
    for _ in 0..5 {
        let start = Instant::now();
        rows = f().await;
        best = best.min(start.elapsed());
    }
    (best, rows)
}

fn count(batches: Vec<RecordBatch>) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// The five queries, each timed best of five; `fresh` gives the reader of each execution.
async fn ours(fresh: impl Fn() -> LakeReader) -> Vec<(Duration, usize)> {
    let task_sel = Selection {
        tasks: vec![TASK.into()],
        ..Selection::default()
    };
    let mut out = Vec::new();
    out.push(time(|| async { count(q1(&fresh()).collect().await.expect("q1")) }).await);
    out.push(
        time(|| async {
            count(
                DataDecide::new(fresh())
                    .final_checkpoints(&task_sel)
                    .expect("q2")
                    .collect()
                    .await
                    .expect("q2"),
            )
        })
        .await,
    );
    out.push(
        time(|| async {
            count(
                fresh()
                    .scan(Table::Evals)
                    .filter(col("phase").eq("pretrain").and(col("task").eq(TASK)))
                    .group_by(["recipe", "size", "step"])
                    .agg([
                        Agg::mean("primary_score"),
                        Agg::std("primary_score"),
                        Agg::count("primary_score"),
                    ])
                    .collect()
                    .await
                    .expect("q3"),
            )
        })
        .await,
    );
    out.push(
        time(|| async {
            count(
                DataDecide::new(fresh())
                    .with_parent_evals(&[], "primary_score")
                    .expect("q4")
                    .collect()
                    .await
                    .expect("q4"),
            )
        })
        .await,
    );
    out.push(
        time(|| async {
            DataDecide::new(fresh())
                .curve(CHAIN_RUN, TASK, None)
                .await
                .expect("q5")
                .num_rows()
        })
        .await,
    );
    out
}

fn q1(reader: &LakeReader) -> runlake_reader::Scan {
    reader
        .scan(Table::Evals)
        .filter(
            col("phase")
                .eq("pretrain")
                .and(col("task").eq(TASK))
                .and(col("size").eq(SIZE)),
        )
        .select(["run_uid", "recipe", "seed", "step", "primary_score"])
}

const CHAIN_RUN: &str = "wandb/ml-moe/ft-scaling/dpo200";

/// Runs query `query` (`q1`..`q5`) once on `reader`; the number of rows it gave.
async fn execute_one(reader: &LakeReader, query: &str) -> usize {
    let task_sel = Selection {
        tasks: vec![TASK.into()],
        ..Selection::default()
    };
    let dd = DataDecide::new(reader.clone());
    match query {
        "q1" => count(q1(reader).collect().await.expect("q1")),
        "q2" => count(
            dd.final_checkpoints(&task_sel)
                .expect("q2")
                .collect()
                .await
                .expect("q2"),
        ),
        "q3" => count(
            reader
                .scan(Table::Evals)
                .filter(col("phase").eq("pretrain").and(col("task").eq(TASK)))
                .group_by(["recipe", "size", "step"])
                .agg([
                    Agg::mean("primary_score"),
                    Agg::std("primary_score"),
                    Agg::count("primary_score"),
                ])
                .collect()
                .await
                .expect("q3"),
        ),
        "q4" => count(
            dd.with_parent_evals(&[], "primary_score")
                .expect("q4")
                .collect()
                .await
                .expect("q4"),
        ),
        "q5" => dd
            .curve(CHAIN_RUN, TASK, None)
            .await
            .expect("q5")
            .num_rows(),
        other => panic!("no query {other}: q1 to q5"),
    }
}

/// Runs one query `times` times on one warm reader, for a profiler to watch.
async fn repeat(dir: &str, query: &str, times: usize) {
    let lake = Lake::open(dir).await.expect("open lake");
    let reader = LakeReader::open(&lake, None).await.expect("reader");
    let start = Instant::now();
    let mut rows = 0;
    for _ in 0..times {
        rows = execute_one(&reader, query).await;
    }
    let each = start.elapsed() / u32::try_from(times.max(1)).unwrap_or(u32::MAX);
    println!("{query}: {rows} rows, {each:?} per execution over {times}");
}

/// Requests and bytes each query makes on a reader that has read the manifest and nothing
/// else, as an object store sees them (every ranged read is one request on S3 or GCS).
async fn requests(dir: &str) {
    let root = std::fs::canonicalize(dir).expect("lake folder");
    let local = object_store::local::LocalFileSystem::new_with_prefix(&root).expect("lake folder");
    let store = RecordingStore::new(Arc::new(local));
    let lake = Lake::from_store(store.clone(), Default::default(), dir, true);
    println!("| query | rows | requests | bytes |\n|---|---:|---:|---:|");
    for query in ["q1", "q2", "q3", "q4", "q5"] {
        let reader = LakeReader::open(&lake, None).await.expect("reader");
        store.take();
        let rows = execute_one(&reader, query).await;
        let reads: Vec<_> = store
            .take()
            .into_iter()
            .filter(|r| r.kind == "get" || r.kind == "head")
            .collect();
        if std::env::var_os("BENCH_SHOW_REQUESTS").is_some() {
            for r in &reads {
                eprintln!("{query} {} {} {:?} {}", r.kind, r.path, r.range, r.bytes);
            }
        }
        let bytes: u64 = reads.iter().map(|r| r.bytes).sum();
        println!("| {query} | {rows} | {} | {bytes} |", reads.len());
    }
}

async fn run(dir: &str, python: &str, page_checks: bool) {
    let lake = Lake::open(dir).await.expect("open lake");
    let reader = LakeReader::open(&lake, None).await.expect("reader");
    // `--no-page-checks` measures what checking each fetched page against its checksum costs.
    let reader = reader.with_options(runlake_reader::ScanOptions {
        verify_pages: page_checks,
        ..reader.options().clone()
    });
    let evals_bytes = reader
        .manifest()
        .table(Table::Evals)
        .expect("evals")
        .bytes();
    let before = reader.io().bytes();
    let _ = q1(&reader).collect().await.expect("q1");
    let q1_bytes = reader.io().bytes() - before;
    // Cold: a new reader per execution, so every footer is read again (DuckDB's default,
    // too). Warm: one reader, whose footers stay in memory between queries (DuckDB with
    // `parquet_metadata_cache`).
    let cold = ours(|| reader.with_options(reader.options().clone())).await;
    let warm = ours(|| reader.clone()).await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/duckdb_bench.py");
    let out = Command::new(python)
        .args([script, dir, TASK, SIZE, CHAIN_RUN])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Lines: `cold|warm qN best_seconds rows`.
    let theirs: Vec<(String, f64, usize)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let mode = w.next()?.to_owned();
            let _name = w.next()?;
            Some((mode, w.next()?.parse().ok()?, w.next()?.parse().ok()?))
        })
        .collect();
    let names = [
        "1 one task+metric at one size",
        "2 final checkpoint per recipe x size",
        "3 mean/std over seeds per recipe x size x step",
        "4 post-training evals + parent checkpoint evals",
        "5 continuous curve of one chain",
    ];
    println!(
        "| query | rows | runlake cold ms | DuckDB cold ms | ratio | runlake warm ms | DuckDB warm ms | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let duck = |mode: &str, i: usize| {
        theirs
            .iter()
            .filter(|t| t.0 == mode)
            .nth(i)
            .map_or((f64::NAN, 0), |t| (t.1 * 1000.0, t.2))
    };
    for (i, name) in names.iter().enumerate() {
        let (c, rows) = cold[i];
        let (w, warm_rows) = warm[i];
        let (dc, dc_rows) = duck("cold", i);
        let (dw, dw_rows) = duck("warm", i);
        assert!(
            rows == warm_rows && rows == dc_rows && rows == dw_rows,
            "query {name}: rows differ: {rows}, {warm_rows}, DuckDB {dc_rows}, {dw_rows}"
        );
        let (c, w) = (c.as_secs_f64() * 1000.0, w.as_secs_f64() * 1000.0);
        println!(
            "| {name} | {rows} | {c:.1} | {dc:.1} | {:.2} | {w:.1} | {dw:.1} | {:.2} |",
            c / dc,
            w / dw
        );
    }
    println!(
        "\nquery 1 fetched {q1_bytes} bytes of the evals table's {evals_bytes} ({:.2}%)",
        100.0 * q1_bytes as f64 / evals_bytes as f64
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("generate"), Some(dir)) => {
            generate(dir, args.get(3).map(String::as_str) != Some("--no-compact")).await;
        }
        (Some("run"), Some(dir)) => {
            let python = args.get(3).map_or(".venv/bin/python", String::as_str);
            run(
                dir,
                python,
                args.get(4).map(String::as_str) != Some("--no-page-checks"),
            )
            .await;
        }
        (Some("requests"), Some(dir)) => requests(dir).await,
        (Some("repeat"), Some(dir)) => {
            let query = args.get(3).map_or("q2", String::as_str);
            let times = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(200);
            repeat(dir, query, times).await;
        }
        _ => eprintln!(
            "usage: bench generate DIR [--no-compact] | bench run DIR [PYTHON [--no-page-checks]] \
             | bench repeat DIR QUERY [TIMES] | bench requests DIR"
        ),
    }
}
