//! A query for two columns of one partition fetches only that partition's files, and of
//! those only the footer and the two columns' byte ranges (with gaps shorter than
//! `GAP_READ_THROUGH` between them); a narrow query on a compacted table takes few requests.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use object_store::path::Path;
use object_store::{GetRange, ObjectStore, ObjectStoreExt};
use parquet::file::metadata::ParquetMetaDataReader;
use runlake_format::Table;
use runlake_lake::testkit::recording::{RecordingStore, Request};
use runlake_lake::{Lake, LakeConfig};
use runlake_reader::object_reader::GAP_READ_THROUGH;
use runlake_reader::{LakeReader, ScanOptions, col};

use crate::common::*;

/// The reads among `requests`: path, range asked for, bytes returned.
fn reads(requests: &[Request]) -> Vec<(String, Option<GetRange>, u64)> {
    requests
        .iter()
        .filter(|r| r.kind == "get" || r.kind == "head")
        .map(|r| (r.path.clone(), r.range.clone(), r.bytes))
        .collect()
}

/// Evals rows with enough incompressible metric values that each column chunk is large.
fn wide_evals(runs: usize, steps: usize, posttrain: bool) -> arrow::array::RecordBatch {
    let tasks = TASKS;
    let rows = runs * steps * tasks.len();
    let mut run = Vec::with_capacity(rows);
    let mut step = Vec::with_capacity(rows);
    let mut task = Vec::with_capacity(rows);
    for r in 0..runs {
        for s in 0..steps {
            for t in tasks {
                run.push(Some(if posttrain {
                    format!("wandb/team/ft/run{r}")
                } else {
                    format!("dd/recipe{r}/150M/default")
                }));
                step.push(Some((s * 1250) as i64));
                task.push(Some((*t).to_owned()));
            }
        }
    }
    let phase = if posttrain { "posttrain" } else { "pretrain" };
    let metric = |salt: u64| -> ArrayRef {
        floats(
            &(0..rows as u64)
                .map(|i| Some(mix(i * 31 + salt) as f64 / u64::MAX as f64))
                .collect::<Vec<_>>(),
        )
    };
    let mut given = vec![
        ("run_uid", strs(&run)),
        ("phase", strs(&vec![Some(phase); rows])),
        ("step", ints(&step)),
        ("task", strs(&task)),
        ("source", strs(&vec![Some("synthetic"); rows])),
        ("primary_score", metric(1)),
        ("derived", bools(&vec![false; rows])),
    ];
    let names = [
        "acc_raw",
        "acc_per_token",
        "acc_per_char",
        "acc_per_byte",
        "margin",
        "total_prob",
        "correct_prob",
        "perplexity",
    ];
    for (i, n) in names.iter().enumerate() {
        given.push((n, metric(100 + i as u64)));
    }
    batch(Table::Evals, rows, given)
}

#[tokio::test]
async fn two_columns_of_one_partition_fetch_only_their_byte_ranges() {
    let mem: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let lake = Lake::from_store(Arc::clone(&mem), Path::default(), "memory://", true).with_config(
        LakeConfig {
            spill_rows: 8_000,
            file_rows: 8_000,
            row_group_rows: 2_000,
            ..LakeConfig::default()
        },
    );
    let mut tx = lake.transaction("test", "io budget");
    for (runs, post) in [(100, false), (20, true)] {
        let b = wide_evals(runs, 60, post);
        let mut start = 0;
        while start < b.num_rows() {
            let len = 8_000.min(b.num_rows() - start);
            tx.upsert(Table::Evals, b.slice(start, len))
                .expect("upsert");
            start += len;
        }
    }
    tx.commit().await.expect("commit");
    let manifest = lake.latest().await.expect("manifest");
    let files = &manifest.table(Table::Evals).expect("evals").files;
    let pretrain: BTreeMap<String, u64> = files
        .iter()
        .filter(|f| f.partition.get("phase") == Some(&Some("pretrain".into())))
        .map(|f| (f.path.clone(), f.bytes))
        .collect();
    assert!(
        pretrain.len() >= 3,
        "several pretrain files: {}",
        pretrain.len()
    );
    assert!(files.len() > pretrain.len(), "posttrain files exist too");

    // What may be fetched from each pretrain file: the chunks of the two columns and the tail
    // read for the footer.
    let hint = ScanOptions::default().footer_hint.unwrap_or(0) as u64;
    let mut allowed: BTreeMap<String, (Vec<Range<u64>>, Range<u64>)> = BTreeMap::new();
    let mut chunk_bytes = 0u64;
    let mut tail_bytes = 0u64;
    for (path, size) in &pretrain {
        let bytes = mem
            .get(&Path::parse(path).expect("path"))
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        let meta = ParquetMetaDataReader::new()
            .parse_and_finish(&bytes)
            .expect("footer");
        let footer_len = u64::from(u32::from_le_bytes(
            bytes[bytes.len() - 8..bytes.len() - 4]
                .try_into()
                .expect("4 bytes"),
        )) + 8;
        // The footer read fetches the hint or a 512th of the file, or three times the footer
        // when that is longer (page indexes sit before it).
        let tail = size.saturating_sub(hint.max(size / 512).max(3 * footer_len))..*size;
        tail_bytes += tail.end - tail.start;
        let mut wanted = Vec::new();
        for rg in meta.row_groups() {
            for c in rg.columns() {
                let name = c.column_path().string();
                if name == "task" || name == "primary_score" {
                    let (start, len) = c.byte_range();
                    wanted.push(start..start + len);
                }
            }
        }
        // Chunks closer than the read-through gap may be fetched together with what lies
        // between them.
        wanted.sort_by_key(|c| c.start);
        let mut chunks: Vec<Range<u64>> = Vec::new();
        for c in wanted {
            match chunks.last_mut() {
                Some(last) if c.start <= last.end + GAP_READ_THROUGH => last.end = c.end,
                _ => chunks.push(c),
            }
        }
        chunk_bytes += chunks.iter().map(|c| c.end - c.start).sum::<u64>();
        allowed.insert(path.clone(), (chunks, tail));
    }

    let store = RecordingStore::new(Arc::clone(&mem));
    let reader = LakeReader::new(store.clone(), Path::default(), manifest.clone());
    let query = |r: &LakeReader| {
        r.scan(Table::Evals)
            .filter(col("phase").eq("pretrain"))
            .select(["task", "primary_score"])
            .collect()
    };
    let got = query(&reader).await.expect("query");
    let rows: usize = got.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 100 * 60 * TASKS.len());
    assert_eq!(got[0].column(0).null_count(), 0);

    let requests = store.take();
    assert_eq!(
        RecordingStore::paths(&requests, "list"),
        Vec::<String>::new(),
        "no listing"
    );
    let gets = reads(&requests);
    let mut fetched = 0u64;
    let mut footer_fetched = 0u64;
    for (path, range, len) in &gets {
        let (chunks, tail) = allowed
            .get(path)
            .unwrap_or_else(|| panic!("fetched {path}, which is not a pretrain file"));
        let Some(GetRange::Bounded(r)) = range else {
            panic!("unbounded read of {path}: {range:?}");
        };
        let inside = |a: &Range<u64>| a.start <= r.start && r.end <= a.end;
        assert!(
            chunks.iter().any(inside) || inside(tail) || {
                // A read may span several adjacent chunks of the two columns.
                let mut covered = r.start;
                let mut sorted = chunks.clone();
                sorted.sort_by_key(|c| c.start);
                for c in &sorted {
                    if c.start <= covered && c.end > covered {
                        covered = c.end;
                    }
                }
                covered >= r.end
            },
            "{path}: range {r:?} is outside the two columns and the footer"
        );
        fetched += len;
        if r.end == pretrain[path] {
            footer_fetched += len;
        }
    }
    assert!(
        fetched <= chunk_bytes + tail_bytes,
        "fetched {fetched} > columns {chunk_bytes} + footers {tail_bytes}"
    );
    let partition_bytes: u64 = pretrain.values().sum();
    assert!(
        fetched * 4 < partition_bytes,
        "fetched {fetched} of {partition_bytes} partition bytes"
    );
    assert_eq!(
        reader.io().bytes(),
        fetched,
        "the reader's own counter agrees"
    );

    // Asked again, the reader already holds the footers: only column chunks are fetched.
    assert_eq!(reader.cached_footers().0, pretrain.len());
    store.take();
    let second = query(&reader).await.expect("second query");
    assert_eq!(concat(&second), concat(&got));
    let gets = reads(&store.take());
    assert!(!gets.is_empty());
    for (path, range, _) in &gets {
        let Some(GetRange::Bounded(r)) = range else {
            panic!("unbounded read of {path}: {range:?}");
        };
        // Only a footer read reaches the end of a file.
        assert!(r.end < pretrain[path], "{path}: {r:?} re-read the footer");
    }
    let second_bytes: u64 = gets.iter().map(|g| g.2).sum();
    assert!(
        second_bytes + footer_fetched <= fetched,
        "second query fetched {second_bytes}, first {fetched} with {footer_fetched} of footers"
    );

    // The same query without pushdown reads every column of every file.
    store.take();
    let naive = LakeReader::new(store.clone(), Path::default(), manifest)
        .with_options(ScanOptions::naive());
    let again = query(&naive).await.expect("naive query");
    assert_eq!(concat(&again), concat(&got));
    let naive_bytes: u64 = reads(&store.take()).iter().map(|g| g.2).sum();
    assert!(
        naive_bytes > partition_bytes,
        "without pruning every file is read: {naive_bytes} <= {partition_bytes}"
    );
}

/// The benchmark's first question (one task's scores, all runs and steps) on a compacted
/// table: the footer with its page indexes in one request, the filter column's pages in one,
/// the selected columns' pages in one. Each request is a round trip on S3 or GCS, so this is
/// what makes a narrow query fast there.
#[tokio::test]
async fn one_task_on_a_compacted_table_takes_at_most_four_requests() {
    let mem: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let lake = Lake::from_store(Arc::clone(&mem), Path::default(), "memory://", true).with_config(
        LakeConfig {
            spill_rows: 8_000,
            row_group_rows: 2_000,
            ..LakeConfig::default()
        },
    );
    let mut tx = lake.transaction("test", "io budget");
    let b = wide_evals(150, 60, false);
    let mut start = 0;
    while start < b.num_rows() {
        let len = 8_000.min(b.num_rows() - start);
        tx.upsert(Table::Evals, b.slice(start, len))
            .expect("upsert");
        start += len;
    }
    tx.commit().await.expect("commit");
    runlake_lake::compact::compact(&lake, Table::Evals)
        .await
        .expect("compact");
    let manifest = lake.latest().await.expect("manifest");
    let files = &manifest.table(Table::Evals).expect("evals").files;
    assert_eq!(files.len(), 1, "one partition, one file after compaction");

    let store = RecordingStore::new(Arc::clone(&mem));
    let reader = LakeReader::new(store.clone(), Path::default(), manifest.clone());
    let got = reader
        .scan(Table::Evals)
        .filter(col("phase").eq("pretrain").and(col("task").eq(TASKS[1])))
        .select(["run_uid", "step", "primary_score"])
        .collect()
        .await
        .expect("query");
    let rows: usize = got.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 150 * 60, "one task's rows");

    let gets = reads(&store.take());
    let fetched: u64 = gets.iter().map(|g| g.2).sum();
    assert!(
        gets.len() <= 4,
        "{} requests: {:?}",
        gets.len(),
        gets.iter().map(|g| g.1.clone()).collect::<Vec<_>>()
    );
    assert!(
        fetched * 4 < files[0].bytes,
        "fetched {fetched} of the file's {} bytes",
        files[0].bytes
    );
}
