//! For random projections, filters and limits: the optimised reader, the reader with every
//! optimisation off, and a row-by-row reference over the engine's own full-table read all
//! agree.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use runlake_format::Table;
use runlake_reader::{CmpOp, Expr, Literal, ScanOptions, col};

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
            0..8usize,
        )
            .prop_map(move |(v, list, op)| match op {
                0 => col(name).eq(v.as_str()),
                1 => col(name).not_eq(v.as_str()),
                2 => col(name).lt(v.as_str()),
                3 => col(name).gt_eq(v.as_str()),
                4 => col(name).in_list(list.iter().map(String::as_str)),
                5 => col(name).in_list(list.iter().map(String::as_str)).not(),
                6 => col(name).is_null(),
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

#[test]
fn pushdown_and_pruning_never_change_results() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (lake, reader) = rt.block_on(small_file_lake(vec![(Table::Evals, evals_batch(&STEPS))]));
    let manifest = reader.manifest().clone();
    assert!(
        manifest.table(Table::Evals).expect("evals").files.len() > 5,
        "the lake must have several files for pruning to matter: {:?}",
        manifest
            .table(Table::Evals)
            .map(|t| t.files.iter().map(|f| f.rows).collect::<Vec<_>>())
    );
    let full = rt
        .block_on(lake.read_table(&manifest, Table::Evals))
        .expect("engine read");
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
    let fx = Fixture {
        rt,
        full,
        reader,
        naive,
        serial,
    };
    // Every single comparison first, so each pruning rule is exercised deterministically.
    let all_columns: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    let mut singles = 0;
    let mut runner = TestRunner::new(Config {
        cases: 1,
        ..Config::default()
    });
    let tree_leaf = leaf();
    for _ in 0..400 {
        let e = tree_leaf.new_tree(&mut runner).expect("leaf").current();
        check_case(&fx, (all_columns.clone(), e, None)).expect("single comparison");
        singles += 1;
    }
    assert_eq!(singles, 400);
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    runner
        .run(
            &(projection(), predicate(), prop::option::of(0..60usize)),
            |case| check_case(&fx, case),
        )
        .expect("equivalence");
}

type Case = (Vec<String>, Expr, Option<usize>);

struct Fixture {
    rt: tokio::runtime::Runtime,
    full: Vec<RecordBatch>,
    reader: runlake_reader::LakeReader,
    naive: runlake_reader::LakeReader,
    serial: runlake_reader::LakeReader,
}

fn check_case(fx: &Fixture, (columns, filter, limit): Case) -> Result<(), TestCaseError> {
    let Fixture {
        rt,
        full,
        reader,
        naive,
        serial,
    } = fx;

    let mut expected = Vec::new();
    for b in full {
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
    Ok(())
}
