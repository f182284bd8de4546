//! A lake written before `pretrain_ckpts` and `metadata` gained their schema version 2 columns
//! (`testdata/lake-v1`: the DataDecide ppl and eval-results train fixtures converted by runlake
//! at schema version 1) reads with the current schema, the new columns null, under every scan
//! option; filters on the new columns see those nulls.

use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use runlake_format::Table;
use runlake_lake::Lake;
use runlake_reader::{Expr, LakeReader, ScanOptions, col};

use crate::common::concat;

async fn old_lake() -> (tempfile::TempDir, LakeReader) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lake-v1");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&src, dir.path());
    let lake = Lake::open(dir.path().to_str().expect("utf8"))
        .await
        .expect("open");
    let reader = LakeReader::open(&lake, None).await.expect("reader");
    (dir, reader)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

async fn rows(reader: &LakeReader, table: Table, filter: Option<Expr>) -> Option<RecordBatch> {
    let mut scan = reader.scan(table);
    if let Some(f) = filter {
        scan = scan.filter(f);
    }
    concat(&scan.collect().await.expect("scan"))
}

fn options() -> [ScanOptions; 2] {
    [ScanOptions::default(), ScanOptions::naive()]
}

#[tokio::test]
async fn new_columns_read_as_null() {
    let (_dir, reader) = old_lake().await;
    assert_eq!(
        reader
            .manifest()
            .table(Table::PretrainCkpts)
            .map(|t| t.schema_version),
        Some(1)
    );
    for opts in options() {
        let reader = reader.with_options(opts);
        let ckpts = rows(&reader, Table::PretrainCkpts, None)
            .await
            .expect("rows");
        assert_eq!(ckpts.schema(), Table::PretrainCkpts.schema());
        assert_eq!(ckpts.num_rows(), 7);
        for c in ["tokens_derived", "compute_derived", "lr_derived"] {
            let a = ckpts.column_by_name(c).expect(c);
            assert_eq!(a.null_count(), 7, "{c}");
        }
        // The columns the old file has keep their values.
        let tokens = ckpts.column_by_name("tokens").expect("tokens");
        assert!(
            tokens
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .any(|t| t > 0)
        );

        let meta = rows(&reader, Table::Metadata, None).await.expect("rows");
        assert_eq!(meta.schema(), Table::Metadata.schema());
        assert_eq!(meta.num_rows(), 5);
        for c in ["d_model", "lr_max", "pct_code", "is_mixed_dataset"] {
            assert_eq!(meta.column_by_name(c).expect(c).null_count(), 5, "{c}");
        }
    }
}

#[tokio::test]
async fn filters_on_new_columns_see_nulls() {
    let (_dir, reader) = old_lake().await;
    for opts in options() {
        let reader = reader.with_options(opts);
        let n = |b: Option<RecordBatch>| b.map_or(0, |b| b.num_rows());
        let all = rows(
            &reader,
            Table::PretrainCkpts,
            Some(col("tokens_derived").is_null()),
        )
        .await;
        assert_eq!(n(all), 7);
        let none = rows(
            &reader,
            Table::PretrainCkpts,
            Some(col("tokens_derived").eq(true)),
        )
        .await;
        assert_eq!(n(none), 0);
        // A conjunct on a column the file has beside one on a column it lacks.
        let mixed = col("step")
            .gt(0_i64)
            .and(col("lr_derived").is_null())
            .and(col("compute_derived").is_null().or(col("step").lt(0_i64)));
        let some = rows(&reader, Table::PretrainCkpts, Some(mixed))
            .await
            .expect("rows");
        let steps = some.column_by_name("step").expect("step");
        assert!(
            steps
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .all(|s| s > 0)
        );
        assert!(some.num_rows() > 0 && some.num_rows() < 7);
        let d = rows(&reader, Table::Metadata, Some(col("d_model").gt(0_i64))).await;
        assert_eq!(n(d), 0);
    }
}

#[tokio::test]
async fn selecting_only_new_columns_keeps_the_row_count() {
    let (_dir, reader) = old_lake().await;
    for opts in options() {
        let reader = reader.with_options(opts);
        let scan = reader
            .scan(Table::PretrainCkpts)
            .select(["tokens_derived", "lr_derived"]);
        let b = concat(&scan.collect().await.expect("scan")).expect("rows");
        assert_eq!((b.num_rows(), b.column(0).null_count()), (7, 7));
    }
}
