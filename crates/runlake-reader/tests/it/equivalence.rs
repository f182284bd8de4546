//! For random projections, filters and limits: the optimised reader, the reader with each
//! optimisation off on its own, the reader with every optimisation off, and a row-by-row
//! reference over the rows the test wrote all agree; so do joins and aggregates over the same
//! filters. Cases come from a fixed seed (override it with `RUNLAKE_PROPTEST_SEED`), printed
//! with any failure, and failures are shrunk.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use runlake_format::Table;
use runlake_reader::{Agg, CmpOp, Expr, JoinKind, Literal, ScanOptions, col};

use crate::common::*;

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum V {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

fn value(batch: &RecordBatch, column: &str, row: usize) -> Option<V> {
    let a = batch.column_by_name(column).expect("column");
    if a.is_null(row) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Utf8 => V::Str(a.as_string::<i32>().value(row).to_owned()),
        DataType::Int64 => V::Int(a.as_primitive::<Int64Type>().value(row)),
        DataType::Float64 => V::Float(a.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => V::Bool(a.as_boolean().value(row)),
        other => panic!("no reference for {other}"),
    })
}

fn cmp(v: &V, lit: &Literal) -> Option<std::cmp::Ordering> {
    match (v, lit) {
        (V::Int(a), Literal::Int(b)) => Some(a.cmp(b)),
        (V::Int(a), Literal::Float(b)) => (*a as f64).partial_cmp(b),
        (V::Float(a), Literal::Int(b)) => a.partial_cmp(&(*b as f64)),
        (V::Float(a), Literal::Float(b)) => a.partial_cmp(b),
        (V::Str(a), Literal::Str(b)) => Some(a.as_str().cmp(b)),
        (V::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        _ => panic!("generator made an ill-typed comparison {v:?} {lit:?}"),
    }
}

/// SQL three-valued evaluation, one row at a time.
fn eval(e: &Expr, batch: &RecordBatch, row: usize) -> Option<bool> {
    use std::cmp::Ordering::*;
    match e {
        Expr::Compare {
            column,
            op,
            value: lit,
        } => {
            let o = cmp(&value(batch, &column.name, row)?, lit)?;
            Some(match op {
                CmpOp::Eq => o == Equal,
                CmpOp::NotEq => o != Equal,
                CmpOp::Lt => o == Less,
                CmpOp::LtEq => o != Greater,
                CmpOp::Gt => o == Greater,
                CmpOp::GtEq => o != Less,
            })
        }
        Expr::InList {
            column,
            values,
            negated,
        } => {
            let v = value(batch, &column.name, row)?;
            let hit = values.iter().any(|l| cmp(&v, l) == Some(Equal));
            Some(hit != *negated)
        }
        Expr::IsNull { column, negated } => {
            Some(value(batch, &column.name, row).is_none() != *negated)
        }
        Expr::And(a, b) => match (eval(a, batch, row), eval(b, batch, row)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Or(a, b) => match (eval(a, batch, row), eval(b, batch, row)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::Not(a) => eval(a, batch, row).map(|b| !b),
    }
}

fn rows_of(batches: &[RecordBatch], columns: &[String]) -> Vec<Vec<Option<V>>> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(columns.iter().map(|c| value(b, c, r)).collect());
        }
    }
    out
}

const STEPS: [i64; 12] = [
    0, 1250, 2500, 3750, 5000, 6250, 7500, 8750, 10000, 11250, 12500, 13750,
];

const COLUMNS: &[&str] = &[
    "run_uid",
    "phase",
    "step",
    "task",
    "recipe",
    "size",
    "primary_score",
    "acc_raw",
    "derived",
];

fn leaf() -> impl Strategy<Value = Expr> {
    let strs = |name: &'static str, pool: Vec<String>| {
        (
            prop::sample::select(pool.clone()),
            prop::collection::vec(prop::sample::select(pool), 1..4),
            0..10usize,
        )
            .prop_map(move |(v, list, op)| match op {
                0 => col(name).eq(v.as_str()),
                1 => col(name).not_eq(v.as_str()),
                2 => col(name).lt(v.as_str()),
                3 => col(name).lt_eq(v.as_str()),
                4 => col(name).gt(v.as_str()),
                5 => col(name).gt_eq(v.as_str()),
                6 => col(name).in_list(list.iter().map(String::as_str)),
                7 => col(name).in_list(list.iter().map(String::as_str)).not(),
                8 => col(name).is_null(),
                _ => col(name).is_not_null(),
            })
    };
    let mut runs: Vec<String> = vec!["dd/c4/150M/default".into(), "dd/zzz".into(), "a".into()];
    runs.push(pretrain_run("dolma1_7", "20M", "small-aux-2"));
    runs.push("wandb/team/ft/run3".into());
    let own = |v: &[&str], extra: &[&str]| -> Vec<String> {
        v.iter().chain(extra).map(|s| (*s).to_owned()).collect()
    };
    let numbers = |name: &'static str, ints: bool| {
        let lits = if ints {
            prop::sample::select(vec![-1i64, 0, 1250, 2000, 2500, 7500, 13750, 99_999])
                .prop_map(Literal::Int)
                .boxed()
        } else {
            prop_oneof![
                (0..=10i64).prop_map(|i| Literal::Float(i as f64 / 10.0)),
                (0..=1i64).prop_map(Literal::Int),
            ]
            .boxed()
        };
        (lits, 0..7usize).prop_map(move |(v, op)| {
            let c = col(name);
            match op {
                0 => c.eq(v),
                1 => c.not_eq(v),
                2 => c.lt(v),
                3 => c.lt_eq(v),
                4 => c.gt(v),
                5 => c.gt_eq(v),
                _ => c.is_null(),
            }
        })
    };
    prop_oneof![
        strs("run_uid", runs),
        strs("task", own(TASKS, &["zzz", "a"])),
        strs("phase", own(&["pretrain", "posttrain"], &["other"])),
        strs("recipe", own(RECIPES, &["c", "zzz"])),
        strs("size", own(SIZES, &["1B"])),
        numbers("step", true),
        numbers("primary_score", false),
        numbers("acc_raw", false),
        any::<bool>().prop_map(|b| col("derived").eq(b)),
    ]
}

fn predicate() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)),
            inner.prop_map(Expr::not),
        ]
    })
}

fn projection() -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(COLUMNS.to_vec(), 1..=COLUMNS.len())
        .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

/// The seed of every random case: fixed, so a failure reproduces, unless overridden.
fn seed() -> u64 {
    std::env::var("RUNLAKE_PROPTEST_SEED")
        .ok()
        .map(|s| s.parse().expect("RUNLAKE_PROPTEST_SEED is a number"))
        .unwrap_or(0x5eed_2026)
}

fn runner(seed: u64, cases: u32) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config {
            cases,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Options with exactly one optimisation turned off, named.
fn one_switch_off() -> Vec<(&'static str, ScanOptions)> {
    let on = ScanOptions::default();
    vec![
        (
            "prune_partitions",
            ScanOptions {
                prune_partitions: false,
                ..on.clone()
            },
        ),
        (
            "prune_files",
            ScanOptions {
                prune_files: false,
                ..on.clone()
            },
        ),
        (
            "prune_row_groups",
            ScanOptions {
                prune_row_groups: false,
                ..on.clone()
            },
        ),
        (
            "prune_pages",
            ScanOptions {
                prune_pages: false,
                ..on.clone()
            },
        ),
        (
            "row_filter",
            ScanOptions {
                row_filter: false,
                ..on.clone()
            },
        ),
        (
            "projection_pushdown",
            ScanOptions {
                projection_pushdown: false,
                ..on.clone()
            },
        ),
        (
            "dictionary_strings",
            ScanOptions {
                dictionary_strings: false,
                ..on.clone()
            },
        ),
        (
            "join_filter_pushdown",
            ScanOptions {
                join_filter_pushdown: false,
                ..on.clone()
            },
        ),
        (
            "footer_cache",
            ScanOptions {
                footer_cache_bytes: 0,
                ..on.clone()
            },
        ),
        // A check rather than an optimisation, but it too must never change an answer.
        (
            "verify_pages",
            ScanOptions {
                verify_pages: false,
                ..on
            },
        ),
    ]
}

/// Metadata for half of the pretraining runs (recipes `c4` and `dolma1_7`) and one
/// post-training run, so an inner join drops rows on both sides.
fn metadata_batch() -> RecordBatch {
    let mut runs: Vec<Option<String>> = Vec::new();
    for r in ["c4", "dolma1_7"] {
        for s in SIZES {
            for sd in SEEDS {
                runs.push(Some(pretrain_run(r, s, sd)));
            }
        }
    }
    runs.push(Some("wandb/team/ft/run3".into()));
    runs.push(Some("wandb/team/ft/not-evaluated".into()));
    let n = runs.len();
    batch(
        Table::Metadata,
        n,
        vec![
            ("run_uid", strs(&runs)),
            ("phase", strs(&vec![Some("pretrain"); n])),
        ],
    )
}

/// Readers over one lake holding `written` evals and the metadata of [`metadata_batch`].
/// `large` writes row groups far above the Parquet writer's 20,000-row page limit, so every
/// column chunk has several pages and the page index has something to prune; otherwise files
/// and row groups are small, so partition, file and row-group pruning do.
fn fixture(written: RecordBatch, large: bool) -> Fixture {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let meta = metadata_batch();
    let joined_runs: std::collections::BTreeSet<String> = (0..meta.num_rows())
        .map(|r| {
            meta.column_by_name("run_uid")
                .expect("run_uid")
                .as_string::<i32>()
                .value(r)
                .to_owned()
        })
        .collect();
    let tables = vec![(Table::Evals, written.clone()), (Table::Metadata, meta)];
    let reader = if large {
        let lake = runlake_lake::Lake::in_memory().with_config(runlake_lake::LakeConfig {
            spill_rows: 1 << 20,
            row_group_rows: 1 << 17,
            ..runlake_lake::LakeConfig::default()
        });
        rt.block_on(async {
            let mut tx = lake.transaction("test", "large row groups");
            for (table, b) in tables {
                tx.upsert(table, b).expect("upsert");
            }
            tx.commit().await.expect("commit");
            runlake_reader::LakeReader::open(&lake, None)
                .await
                .expect("open")
        })
    } else {
        rt.block_on(small_file_lake(tables)).1
    };
    let files = &reader.manifest().table(Table::Evals).expect("evals").files;
    if large {
        assert!(
            files.iter().any(|f| f.rows > 40_000),
            "a file with several pages per column: {:?}",
            files.iter().map(|f| f.rows).collect::<Vec<_>>()
        );
    } else {
        assert!(
            files.len() > 5,
            "the lake must have several files for pruning to matter: {:?}",
            files.iter().map(|f| f.rows).collect::<Vec<_>>()
        );
    }
    let naive = reader.with_options(ScanOptions::naive());
    // One row group at a time, odd batches, and every file opened: filters on partition
    // columns are then decided inside each file rather than by pruning.
    let serial = reader.with_options(ScanOptions {
        concurrency: 1,
        batch_size: 97,
        prune_partitions: false,
        prune_files: false,
        ..ScanOptions::default()
    });
    let single_off = one_switch_off()
        .into_iter()
        .map(|(name, o)| (name, reader.with_options(o)))
        .collect();
    Fixture {
        rt,
        written: vec![written],
        joined_runs,
        reader,
        naive,
        serial,
        single_off,
    }
}

/// Runs `singles` single comparisons, then `combined` random queries, against `fx`.
fn check_random_cases(fx: &Fixture, seed: u64, singles: u32, combined: u32) {
    let failed = |e: &dyn std::fmt::Display| -> ! {
        panic!("{e}\nseed {seed}: rerun with RUNLAKE_PROPTEST_SEED={seed}")
    };
    // Every single comparison first, so each pruning rule is exercised on its own.
    let all_columns: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    runner(seed, singles)
        .run(&leaf(), |e| check_case(fx, (all_columns.clone(), e, None)))
        .unwrap_or_else(|e| failed(&e));
    runner(seed.wrapping_add(1), combined)
        .run(
            &(projection(), predicate(), prop::option::of(0..60usize)),
            |case| check_case(fx, case),
        )
        .unwrap_or_else(|e| failed(&e));
}

#[test]
fn pushdown_and_pruning_never_change_results() {
    let fx = fixture(evals_batch(&STEPS), false);
    check_random_cases(&fx, seed(), 200, 64);
}

#[test]
fn page_pruning_never_changes_results() {
    // 320 steps: 46,000 rows in one row group per partition.
    let steps: Vec<i64> = (0..320).map(|i| i * 10).collect();
    let fx = fixture(evals_batch(&steps), true);
    check_random_cases(&fx, seed().wrapping_add(2), 16, 6);
}

type Case = (Vec<String>, Expr, Option<usize>);

struct Fixture {
    rt: tokio::runtime::Runtime,
    /// The rows the test wrote: the reference reads these, never the lake.
    written: Vec<RecordBatch>,
    /// Runs the metadata table holds.
    joined_runs: std::collections::BTreeSet<String>,
    reader: runlake_reader::LakeReader,
    naive: runlake_reader::LakeReader,
    serial: runlake_reader::LakeReader,
    single_off: Vec<(&'static str, runlake_reader::LakeReader)>,
}

/// `(run_uid, task)` and row count per group, sorted: the aggregate compared across readers.
fn counts(batches: &[RecordBatch]) -> Vec<(Option<V>, Option<V>, Option<V>)> {
    let mut out: Vec<_> = rows_of(batches, &["run_uid".into(), "task".into(), "rows".into()])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    out.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    out
}

fn check_case(fx: &Fixture, (columns, filter, limit): Case) -> Result<(), TestCaseError> {
    let Fixture {
        rt,
        written,
        joined_runs,
        reader,
        naive,
        serial,
        single_off,
    } = fx;

    let mut expected = Vec::new();
    for b in written {
        let keep: Vec<usize> = (0..b.num_rows())
            .filter(|&r| eval(&filter, b, r) == Some(true))
            .collect();
        let idx =
            arrow::array::UInt32Array::from(keep.iter().map(|&r| r as u32).collect::<Vec<_>>());
        expected.push(arrow::compute::take_record_batch(b, &idx).expect("take"));
    }
    let mut expected = rows_of(&expected, &columns);
    let run = |r: &runlake_reader::LakeReader| {
        let mut q = r.scan(Table::Evals).filter(filter.clone()).select(&columns);
        if let Some(n) = limit {
            q = q.limit(n);
        }
        rt.block_on(q.collect()).expect("query")
    };
    let fast = run(reader);
    let slow = run(naive);
    let odd = run(serial);
    for b in fast.iter().chain(&slow) {
        let names: Vec<String> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        prop_assert_eq!(&names, &columns);
    }
    let fast = rows_of(&fast, &columns);
    let slow = rows_of(&slow, &columns);
    prop_assert_eq!(&fast, &slow, "optimised vs naive for {}", filter);
    prop_assert_eq!(
        &fast,
        &rows_of(&odd, &columns),
        "serial small batches for {}",
        filter
    );
    if limit.is_none() {
        for (name, r) in single_off {
            prop_assert_eq!(
                &fast,
                &rows_of(&run(r), &columns),
                "{} off for {}",
                name,
                filter
            );
        }
    }
    let mut fast_sorted = fast.clone();
    fast_sorted.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    expected.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    match limit {
        None => prop_assert_eq!(fast_sorted, expected, "reference for {}", filter),
        Some(n) => {
            prop_assert_eq!(fast.len(), n.min(expected.len()));
            for row in &fast {
                prop_assert!(expected.contains(row), "limited row not in reference");
            }
        }
    }
    if limit.is_some() {
        return Ok(());
    }

    // The same filter under an inner join with metadata, then counted per run and task.
    let mut reference: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for b in written {
        for r in 0..b.num_rows() {
            if eval(&filter, b, r) != Some(true) {
                continue;
            }
            let (Some(V::Str(run)), Some(V::Str(task))) =
                (value(b, "run_uid", r), value(b, "task", r))
            else {
                continue;
            };
            if joined_runs.contains(&run) {
                *reference.entry((run, task)).or_default() += 1;
            }
        }
    }
    let reference: Vec<_> = reference
        .into_iter()
        .map(|((run, task), n)| (Some(V::Str(run)), Some(V::Str(task)), Some(V::Int(n))))
        .collect();
    let aggregate = |r: &runlake_reader::LakeReader| {
        let joined = r
            .scan(Table::Evals)
            .filter(filter.clone())
            .join(
                r.scan(Table::Metadata),
                [("run_uid", "run_uid")],
                JoinKind::Inner,
            )
            .group_by(["run_uid", "task"])
            .agg([Agg::count_rows().alias("rows")]);
        counts(&rt.block_on(joined.collect()).expect("join and aggregate"))
    };
    let fast = aggregate(reader);
    prop_assert_eq!(&fast, &reference, "join and count for {}", filter);
    prop_assert_eq!(&fast, &aggregate(naive), "naive join for {}", filter);
    for (name, r) in single_off {
        prop_assert_eq!(
            &fast,
            &aggregate(r),
            "join with {} off for {}",
            name,
            filter
        );
    }
    Ok(())
}
