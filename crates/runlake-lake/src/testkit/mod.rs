//! Test support shared by the workspace's tests (behind the `testkit` feature): synthetic rows
//! for any table, deterministic from a seed, an object store that fails on request, and one
//! that records every request.

#![allow(
    clippy::unwrap_used,
    reason = "test support: a failure here is a broken test"
)]
#![allow(
    clippy::panic,
    reason = "test support: a failure here is a broken test"
)]

pub mod delta;
pub mod env;
pub mod faulty;
pub mod recording;

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Float64Builder, Int32Array, Int64Array, ListBuilder,
    MapBuilder, RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, TimeUnit};
use runlake_format::Table;
use runlake_format::tables::{Phase, TrainingType};

/// A tiny deterministic generator (xorshift), so tests need no extra dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Rows for `runs` (several rows per run, with distinct keys), filling every column.
pub fn batch(table: Table, runs: &[&str], rows_per_run: usize, seed: u64) -> RecordBatch {
    let schema = table.schema();
    let mut rng = Rng::new(seed);
    let n = runs.len() * rows_per_run;
    let run_of = |i: usize| runs[i / rows_per_run];
    let idx_of = |i: usize| (i % rows_per_run) as i64;
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            let name = f.name().as_str();
            let nullable = f.is_nullable();
            match f.data_type() {
                DataType::Utf8 => {
                    let values: Vec<Option<String>> = (0..n)
                        .map(|i| match name {
                            "run_uid" | "child_run_uid" => Some(run_of(i).to_owned()),
                            "phase" => Some(
                                if i % 3 == 0 {
                                    Phase::Posttrain
                                } else {
                                    Phase::Pretrain
                                }
                                .as_str()
                                .into(),
                            ),
                            "training_type" => Some(TrainingType::POSTTRAIN[i % 3].as_str().into()),
                            "task" => Some(format!("task_{}", idx_of(i) % 4)),
                            "source" => Some(format!("src_{}", idx_of(i) / 4)),
                            "evidence_source" => Some("run_name".into()),
                            "evidence_value" => Some(format!("ev{}", idx_of(i))),
                            "relation" => Some("finetune_of".into()),
                            _ if nullable && rng.below(4) == 0 => None,
                            _ => Some(format!("{name}-{}", rng.below(1000))),
                        })
                        .collect();
                    Arc::new(StringArray::from(values))
                }
                DataType::Int64 => {
                    let values: Vec<Option<i64>> = (0..n)
                        .map(|i| match name {
                            "step" => Some(idx_of(i) * 1250),
                            _ if nullable && rng.below(4) == 0 => None,
                            _ => Some(rng.below(1 << 40) as i64),
                        })
                        .collect();
                    Arc::new(Int64Array::from(values))
                }
                DataType::Int32 => Arc::new(Int32Array::from(vec![0; n])),
                DataType::Float64 => {
                    let values: Vec<Option<f64>> = (0..n)
                        .map(|_| match rng.below(8) {
                            0 => None,
                            1 => Some(f64::NAN),
                            _ => Some(rng.below(1_000_000) as f64 / 7.0),
                        })
                        .collect();
                    Arc::new(Float64Array::from(values))
                }
                DataType::Boolean => {
                    let values: Vec<bool> = (0..n).map(|_| rng.below(2) == 0).collect();
                    Arc::new(BooleanArray::from(values))
                }
                DataType::Timestamp(TimeUnit::Microsecond, tz) => {
                    let values: Vec<Option<i64>> = (0..n)
                        .map(|_| Some(1_700_000_000_000_000 + rng.below(1 << 30) as i64))
                        .collect();
                    Arc::new(TimestampMicrosecondArray::from(values).with_timezone_opt(tz.clone()))
                }
                DataType::List(_) => {
                    let mut b = ListBuilder::new(StringBuilder::new());
                    for _ in 0..n {
                        for t in 0..rng.below(3) {
                            b.values().append_value(format!("tag{t}"));
                        }
                        b.append(true);
                    }
                    Arc::new(b.finish())
                }
                DataType::Map(_, _) => map_column(f.data_type(), n, &mut rng),
                other => panic!("test kit has no generator for {other}"),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).expect("valid synthetic batch")
}

fn map_column(t: &DataType, n: usize, rng: &mut Rng) -> ArrayRef {
    let DataType::Map(entries, _) = t else {
        unreachable!()
    };
    let DataType::Struct(kv) = entries.data_type() else {
        unreachable!()
    };
    let names = arrow::array::MapFieldNames {
        entry: entries.name().clone(),
        key: kv[0].name().clone(),
        value: kv[1].name().clone(),
    };
    match kv[1].data_type() {
        DataType::Float64 => {
            let mut b = MapBuilder::new(Some(names), StringBuilder::new(), Float64Builder::new())
                .with_values_field(Arc::clone(&kv[1]));
            for _ in 0..n {
                for k in 0..rng.below(3) {
                    b.keys().append_value(format!("m{k}"));
                    b.values().append_value(rng.below(100) as f64);
                }
                b.append(true).expect("map row");
            }
            Arc::new(b.finish())
        }
        _ => {
            let mut b = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new())
                .with_values_field(Arc::clone(&kv[1]));
            for _ in 0..n {
                for k in 0..rng.below(3) {
                    b.keys().append_value(format!("k{k}"));
                    b.values().append_value(format!("{}", rng.below(100)));
                }
                b.append(true).expect("map row");
            }
            Arc::new(b.finish())
        }
    }
}

/// Rows of a set of batches as sorted strings, to compare tables regardless of order.
pub fn canonical_rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = arrow::util::display::FormatOptions::default().with_null("∅");
    let mut rows = Vec::new();
    for b in batches {
        let fmts: Vec<_> = b
            .columns()
            .iter()
            .map(|c| {
                arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options).expect("fmt")
            })
            .collect();
        for i in 0..b.num_rows() {
            rows.push(
                fmts.iter()
                    .map(|f| f.value(i).to_string())
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    rows.sort();
    rows
}

/// Flips one bit of the byte at `offset` of a stored object, keeping its size.
pub async fn flip_bit(
    store: &dyn object_store::ObjectStore,
    path: &object_store::path::Path,
    offset: usize,
) {
    use object_store::ObjectStoreExt;
    let mut bytes = store
        .get(path)
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes")
        .to_vec();
    bytes[offset] ^= 0x01;
    store.put(path, bytes.into()).await.expect("put");
}

/// The Parquet footer of one of the lake's data files.
pub async fn footer(
    lake: &crate::Lake,
    file: &runlake_format::DataFile,
) -> parquet::file::metadata::ParquetMetaData {
    use object_store::ObjectStoreExt;
    let bytes = lake
        .objects()
        .get(&crate::Lake::object_path(&file.path))
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&bytes)
        .expect("footer")
}

/// A new, empty lake in `lake/` of a fresh temporary folder, where tests can put their inputs
/// beside it. The folder is deleted when the returned guard drops.
pub async fn local_lake() -> (tempfile::TempDir, crate::Lake) {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = dir.path().join("lake");
    let lake = crate::Lake::create(location.to_str().expect("utf8 path"))
        .await
        .expect("create lake");
    (dir, lake)
}
