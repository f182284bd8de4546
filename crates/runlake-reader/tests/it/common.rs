//! Synthetic lakes built through the storage engine's transactions.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    new_null_array,
};
use arrow::datatypes::DataType;
use runlake_format::Table;
use runlake_lake::{Lake, LakeConfig};
use runlake_reader::LakeReader;

/// A batch of `table`'s logical schema from the given columns; every other column is null
/// (or a neutral value where the schema forbids nulls).
pub fn batch(table: Table, rows: usize, given: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let schema = table.schema();
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            if let Some((_, a)) = given.iter().find(|(n, _)| n == f.name()) {
                return Arc::clone(a);
            }
            if f.is_nullable() {
                return new_null_array(f.data_type(), rows);
            }
            match f.data_type() {
                DataType::Utf8 => Arc::new(StringArray::from(vec![""; rows])) as ArrayRef,
                DataType::Boolean => Arc::new(BooleanArray::from(vec![false; rows])),
                DataType::Int64 => Arc::new(Int64Array::from(vec![0; rows])),
                DataType::Int32 => Arc::new(Int32Array::from(vec![0; rows])),
                other => panic!("no neutral value for {other}"),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).expect("batch of the table schema")
}

pub fn strs<S: AsRef<str>>(v: &[Option<S>]) -> ArrayRef {
    Arc::new(StringArray::from(
        v.iter()
            .map(|s| s.as_ref().map(AsRef::as_ref))
            .collect::<Vec<_>>(),
    ))
}

pub fn ints(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

pub fn floats(v: &[Option<f64>]) -> ArrayRef {
    Arc::new(Float64Array::from(v.to_vec()))
}

pub fn bools(v: &[bool]) -> ArrayRef {
    Arc::new(BooleanArray::from(v.to_vec()))
}

/// A small deterministic hash for synthetic values.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

pub const RECIPES: &[&str] = &["dolma1_7", "c4", "fineweb-edu", "dclm-baseline"];
pub const SIZES: &[&str] = &["4M", "20M", "150M"];
pub const SEEDS: &[&str] = &["default", "small-aux-2", "large-aux-3"];
pub const TASKS: &[&str] = &["arc_challenge", "hellaswag", "mmlu_average", "piqa"];

pub fn pretrain_run(recipe: &str, size: &str, seed: &str) -> String {
    format!("dd/{recipe}/{size}/{seed}")
}

/// Pretraining evals for every recipe x size x seed x step x task, plus post-training evals
/// of a few runs without steps.
pub fn evals_batch(steps: &[i64]) -> RecordBatch {
    let mut run = Vec::new();
    let mut phase = Vec::new();
    let mut step = Vec::new();
    let mut task = Vec::new();
    let mut recipe = Vec::new();
    let mut size = Vec::new();
    let mut seed = Vec::new();
    let mut score = Vec::new();
    let mut acc = Vec::new();
    let mut derived = Vec::new();
    let mut n = 0u64;
    for r in RECIPES {
        for s in SIZES {
            for sd in SEEDS {
                for st in steps {
                    for t in TASKS {
                        n += 1;
                        let h = mix(n);
                        run.push(Some(pretrain_run(r, s, sd)));
                        phase.push(Some("pretrain".to_owned()));
                        step.push(Some(*st));
                        task.push(Some((*t).to_owned()));
                        recipe.push(Some((*r).to_owned()));
                        size.push(Some((*s).to_owned()));
                        seed.push(Some((*sd).to_owned()));
                        score.push(Some((h % 10_000) as f64 / 10_000.0));
                        acc.push((!h.is_multiple_of(7)).then(|| ((h >> 8) % 1000) as f64 / 1000.0));
                        derived.push(*t == "mmlu_average");
                    }
                }
            }
        }
    }
    for i in 0..6u64 {
        for t in TASKS {
            n += 1;
            let h = mix(n);
            run.push(Some(format!("wandb/team/ft/run{i}")));
            phase.push(Some("posttrain".to_owned()));
            step.push(None);
            task.push(Some((*t).to_owned()));
            recipe.push(None);
            size.push(None);
            seed.push(None);
            score.push(Some((h % 10_000) as f64 / 10_000.0));
            acc.push(None);
            derived.push(false);
        }
    }
    let rows = run.len();
    batch(
        Table::Evals,
        rows,
        vec![
            ("run_uid", strs(&run)),
            ("phase", strs(&phase)),
            ("step", ints(&step)),
            ("task", strs(&task)),
            ("source", strs(&vec![Some("synthetic"); rows])),
            ("recipe", strs(&recipe)),
            ("size", strs(&size)),
            ("seed", strs(&seed)),
            ("primary_metric_name", strs(&vec![Some("acc_raw"); rows])),
            ("primary_score", floats(&score)),
            ("acc_raw", floats(&acc)),
            ("derived", bools(&derived)),
        ],
    )
}

/// A lake with small files and row groups so that every pruning level has work to do.
pub async fn small_file_lake(batches: Vec<(Table, RecordBatch)>) -> (Lake, LakeReader) {
    fill_lake(Lake::in_memory(), batches).await
}

/// Writes the batches into `lake` in one commit, in small files and row groups.
pub async fn fill_lake(lake: Lake, batches: Vec<(Table, RecordBatch)>) -> (Lake, LakeReader) {
    let lake = lake.with_config(LakeConfig {
        spill_rows: 300,
        file_rows: 300,
        row_group_rows: 100,
        ..LakeConfig::default()
    });
    let mut tx = lake.transaction("test", "synthetic data");
    for (table, b) in batches {
        // The engine spills a partition's buffer once it holds `spill_rows`, so feeding
        // slices makes several files per partition.
        let mut start = 0;
        while start < b.num_rows() {
            let len = 150.min(b.num_rows() - start);
            tx.upsert(table, b.slice(start, len)).expect("upsert");
            start += len;
        }
    }
    tx.commit().await.expect("commit");
    let reader = LakeReader::open(&lake, None).await.expect("open");
    (lake, reader)
}

pub fn concat(batches: &[RecordBatch]) -> Option<RecordBatch> {
    let first = batches.first()?;
    Some(arrow::compute::concat_batches(&first.schema(), batches).expect("concat"))
}
