//! Round trips, upserts, re-imports and idempotence through the public API.

use parquet::file::metadata::ParquetMetaData;
use runlake_lake::testkit::{batch, canonical_rows, footer};
use runlake_lake::{Lake, LakeError, Table};

fn rows_per_run(table: Table) -> usize {
    if table == Table::Metadata { 1 } else { 7 }
}

#[tokio::test]
async fn every_table_round_trips() {
    let lake = Lake::in_memory();
    let runs = [
        "dd/c4/150M/default",
        "wandb/e/p/run=1",
        "dd/dolma1_7/1B/large-aux-2",
    ];
    let mut tx = lake.transaction("test", "round trip");
    let mut written = Vec::new();
    for (i, table) in Table::ALL.into_iter().enumerate() {
        let b = batch(table, &runs, rows_per_run(table), i as u64);
        written.push((table, b.clone()));
        tx.upsert(table, b).expect("valid batch");
    }
    let outcome = tx.commit().await.expect("commit");
    assert_eq!(outcome.version, Some(1));
    let manifest = lake.latest().await.expect("latest");
    assert_eq!(manifest.version, 1);
    for (table, b) in written {
        let read = lake.read_table(&manifest, table).await.expect("read");
        assert_eq!(canonical_rows(&read), canonical_rows(&[b]), "table {table}");
        assert_eq!(read[0].schema(), table.schema());
    }
}

#[tokio::test]
async fn partitions_become_hive_folders_and_files_are_sorted() {
    let lake = Lake::in_memory();
    let mut tx = lake.transaction("test", "");
    tx.upsert(Table::Evals, batch(Table::Evals, &["b", "a"], 9, 1))
        .expect("upsert");
    tx.commit().await.expect("commit");
    let m = lake.latest().await.expect("latest");
    let files = &m.table(Table::Evals).expect("evals").files;
    let dirs: Vec<_> = files
        .iter()
        .map(|f| f.path.rsplit_once('/').expect("dir").0)
        .collect();
    assert_eq!(dirs, vec!["evals/phase=posttrain", "evals/phase=pretrain"]);
    for f in files {
        let name = f.path.rsplit('/').next().expect("name");
        assert_eq!(name, format!("{}.parquet", f.blake3));
        assert!(f.stats.contains_key("run_uid") && f.stats.contains_key("task"));
        let rows = lake.read_file(Table::Evals, f).await.expect("read");
        let tasks: Vec<String> = rows
            .iter()
            .flat_map(|b| {
                let a = b.column_by_name("task").expect("task");
                let a = arrow::array::AsArray::as_string::<i32>(a.as_ref());
                a.iter()
                    .map(|v| v.expect("task").to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut sorted = tasks.clone();
        sorted.sort();
        assert_eq!(tasks, sorted, "rows sorted by task first");
    }
}

#[tokio::test]
async fn identical_reimport_adds_nothing() {
    let lake = Lake::in_memory();
    for attempt in 0..2 {
        let mut tx = lake.transaction("convert", "");
        tx.upsert(Table::Evals, batch(Table::Evals, &["r1", "r2"], 8, 5))
            .expect("upsert");
        tx.upsert(
            Table::PretrainCkpts,
            batch(Table::PretrainCkpts, &["r1"], 8, 6),
        )
        .expect("upsert");
        let outcome = tx.commit().await.expect("commit");
        if attempt == 0 {
            assert_eq!(outcome.version, Some(1));
        } else {
            assert_eq!(outcome.version, None, "{outcome:?}");
            assert_eq!(outcome.files_added, 0);
        }
    }
    assert_eq!(lake.list_versions().await.expect("versions"), vec![0, 1]);
}

#[tokio::test]
async fn upsert_replaces_rows_with_equal_keys_only() {
    let lake = Lake::in_memory();
    let mut tx = lake.transaction("convert", "");
    tx.upsert(
        Table::PretrainCkpts,
        batch(Table::PretrainCkpts, &["a", "b"], 5, 1),
    )
    .expect("upsert");
    tx.commit().await.expect("commit");
    // Same keys for run `a` (same steps), different values.
    let newer = batch(Table::PretrainCkpts, &["a"], 5, 99);
    let mut tx = lake.transaction("convert", "");
    tx.upsert(Table::PretrainCkpts, newer.clone())
        .expect("upsert");
    let outcome = tx.commit().await.expect("commit");
    assert_eq!(outcome.version, Some(2));
    assert_eq!(outcome.rows_removed, 5);
    assert_eq!(outcome.rows_added, 5);
    assert_eq!(outcome.rows_rewritten, 5, "run b's rows were rewritten");
    let m = lake.latest().await.expect("latest");
    let read = lake
        .read_table(&m, Table::PretrainCkpts)
        .await
        .expect("read");
    let b_rows = batch(Table::PretrainCkpts, &["a", "b"], 5, 1).slice(5, 5);
    assert_eq!(canonical_rows(&read), canonical_rows(&[newer, b_rows]));
}

#[tokio::test]
async fn reimport_of_one_run_replaces_it_atomically() {
    let lake = Lake::in_memory();
    let mut tx = lake.transaction("convert", "");
    tx.upsert(Table::Evals, batch(Table::Evals, &["a", "b"], 8, 1))
        .expect("upsert");
    tx.upsert(Table::Metadata, batch(Table::Metadata, &["a", "b"], 1, 2))
        .expect("upsert");
    tx.commit().await.expect("commit");
    // The newer export of run `a` has fewer eval rows: a plain upsert would keep stale ones.
    let fewer = batch(Table::Evals, &["a"], 3, 3);
    let mut tx = lake.transaction("reimport", "");
    tx.delete_runs(Table::Evals, ["a"]);
    tx.upsert(Table::Evals, fewer.clone()).expect("upsert");
    let outcome = tx.commit().await.expect("commit");
    assert_eq!(outcome.rows_removed, 8);
    let m = lake.latest().await.expect("latest");
    assert_eq!(m.operation.runs["evals"], vec!["a".to_owned()]);
    let read = lake.read_table(&m, Table::Evals).await.expect("read");
    let b_rows = batch(Table::Evals, &["a", "b"], 8, 1).slice(8, 8);
    assert_eq!(canonical_rows(&read), canonical_rows(&[fewer, b_rows]));
    let metadata = lake.read_table(&m, Table::Metadata).await.expect("read");
    assert_eq!(metadata.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
}

#[tokio::test]
async fn duplicates_in_one_transaction() {
    let lake = Lake::in_memory();
    let b = batch(Table::Lineage, &["x"], 4, 1);
    let mut tx = lake.transaction("convert", "");
    tx.upsert(Table::Lineage, b.clone()).expect("upsert");
    tx.upsert(Table::Lineage, b.clone())
        .expect("identical rows are deduplicated");
    let outcome = tx.commit().await.expect("commit");
    assert_eq!(outcome.rows_deduplicated, 4);
    assert_eq!(outcome.rows_added, 4);

    let mut tx = lake.transaction("convert", "");
    tx.upsert(Table::Lineage, b).expect("upsert");
    let err = tx
        .upsert(Table::Lineage, batch(Table::Lineage, &["x"], 4, 2))
        .expect_err("same keys, other values");
    assert!(matches!(err, LakeError::DuplicateKey { .. }), "{err}");
    assert!(err.to_string().contains("child_run_uid=x"), "{err}");
}

/// Commits `rows` of `table` upserted whole-row checked or keys only; returns what the lake
/// then reads, the outcome of a second transaction replacing run `a`, and the rows after it.
async fn upserted(distinct: bool) -> (Vec<String>, (u64, u64), Vec<String>) {
    let lake = Lake::in_memory();
    let put = |tx: &mut runlake_lake::Transaction, t, b| {
        if distinct {
            tx.upsert_distinct(t, b)
        } else {
            tx.upsert(t, b)
        }
    };
    let mut tx = lake.transaction("convert", "");
    put(
        &mut tx,
        Table::Evals,
        batch(Table::Evals, &["a", "b"], 6, 1),
    )
    .expect("upsert");
    tx.commit().await.expect("commit");
    let m = lake.latest().await.expect("latest");
    let first = canonical_rows(&lake.read_table(&m, Table::Evals).await.expect("read"));
    let mut tx = lake.transaction("convert", "");
    put(&mut tx, Table::Evals, batch(Table::Evals, &["a"], 6, 9)).expect("upsert");
    let outcome = tx.commit().await.expect("commit");
    let m = lake.latest().await.expect("latest");
    let second = canonical_rows(&lake.read_table(&m, Table::Evals).await.expect("read"));
    (first, (outcome.rows_added, outcome.rows_removed), second)
}

#[tokio::test]
async fn keys_only_upserts_write_and_replace_what_whole_row_upserts_do() {
    let whole = upserted(false).await;
    let keys = upserted(true).await;
    assert_eq!(keys, whole);
    assert!(
        whole.1.1 > 0,
        "the second upsert replaced nothing: {:?}",
        whole.1
    );
}

#[tokio::test]
async fn a_key_given_again_after_a_keys_only_upsert_is_refused() {
    let lake = Lake::in_memory();
    let b = batch(Table::Lineage, &["x"], 4, 1);
    for second_distinct in [true, false] {
        let mut tx = lake.transaction("convert", "");
        tx.upsert_distinct(Table::Lineage, b.clone())
            .expect("upsert");
        // Even identical rows: their rows were never fingerprinted, so nothing says they
        // are the same.
        let err = if second_distinct {
            tx.upsert_distinct(Table::Lineage, b.clone())
        } else {
            tx.upsert(Table::Lineage, b.clone())
        }
        .expect_err("a key given twice");
        assert!(matches!(err, LakeError::DuplicateKey { .. }), "{err}");
    }
    let mut tx = lake.transaction("convert", "");
    tx.upsert(Table::Lineage, b.clone()).expect("upsert");
    let err = tx
        .upsert_distinct(Table::Lineage, b)
        .expect_err("a key already upserted");
    assert!(matches!(err, LakeError::DuplicateKey { .. }), "{err}");
}

#[tokio::test]
async fn batches_that_do_not_match_the_schema_are_refused() {
    let lake = Lake::in_memory();
    let mut tx = lake.transaction("convert", "");
    let good = batch(Table::Lineage, &["x"], 2, 1);
    let missing = good.project(&[0, 1, 2]).expect("project");
    let err = tx.upsert(Table::Lineage, missing).expect_err("refused");
    assert!(
        err.to_string().contains("missing column `relation`"),
        "{err}"
    );
    let err = tx.upsert(Table::Evals, good).expect_err("refused");
    assert!(err.to_string().starts_with("table evals:"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_buffers_still_make_few_large_files() {
    let lake = Lake::in_memory().with_config(runlake_lake::LakeConfig {
        spill_rows: 10,
        file_rows: 25,
        row_group_rows: 8,
        ..runlake_lake::LakeConfig::default()
    });
    let rows = batch(Table::PretrainCkpts, &["r"], 60, 1);
    let mut tx = lake.transaction("convert", "");
    for start in (0..60).step_by(5) {
        tx.upsert(Table::PretrainCkpts, rows.slice(start, 5))
            .expect("upsert");
    }
    let outcome = tx.commit().await.expect("commit");
    // Buffers of 10 rows are appended to a file until it holds 25 or more: 30 + 30.
    assert_eq!(outcome.files_added, 2, "{outcome:?}");
    let m = lake.latest().await.expect("latest");
    let files = &m.table(Table::PretrainCkpts).expect("table").files;
    assert_eq!(
        files.iter().map(|f| f.rows).collect::<Vec<_>>(),
        vec![30, 30]
    );
    let steps: Vec<_> = files
        .iter()
        .map(|f| (f.stats["step"].min.clone(), f.stats["step"].max.clone()))
        .collect();
    use runlake_format::StatValue::Int;
    let mut expected = vec![
        (Some(Int(0)), Some(Int(29 * 1250))),
        (Some(Int(30 * 1250)), Some(Int(59 * 1250))),
    ];
    expected.sort();
    let mut steps = steps;
    steps.sort();
    assert_eq!(steps, expected, "statistics cover every chunk of a file");
    let read = lake
        .read_table(&m, Table::PretrainCkpts)
        .await
        .expect("read");
    assert_eq!(canonical_rows(&read), canonical_rows(&[rows]));
}

/// Partitions spilled side by side are encoded on separate threads, which finish in any order;
/// the version still lists the same files, in path order, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_written_side_by_side_give_the_same_version_each_time() {
    let config = runlake_lake::LakeConfig {
        spill_rows: 6,
        file_rows: 20,
        row_group_rows: 4,
        ..runlake_lake::LakeConfig::default()
    };
    let mut versions = Vec::new();
    for _ in 0..4 {
        let lake = Lake::in_memory().with_config(config.clone());
        let mut tx = lake.transaction("convert", "");
        // Evals rows alternate between the two `phase` partitions.
        for seed in 0..8 {
            tx.append(Table::Evals, batch(Table::Evals, &["a", "b", "c"], 4, seed))
                .expect("append");
        }
        tx.commit().await.expect("commit");
        let m = lake.latest().await.expect("latest");
        let listed: Vec<String> = m.operation.added_files.clone();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(listed, sorted, "added files are listed in path order");
        let files: Vec<(String, u64)> = m
            .table(Table::Evals)
            .expect("evals")
            .files
            .iter()
            .map(|f| (f.path.clone(), f.rows))
            .collect();
        assert!(
            files.iter().any(|(p, _)| p.contains("phase=pretrain"))
                && files.iter().any(|(p, _)| p.contains("phase=posttrain")),
            "{files:?}"
        );
        versions.push((listed, files));
    }
    assert!(versions.windows(2).all(|w| w[0] == w[1]), "{versions:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_rows_spill_by_their_bytes_before_the_row_count_is_reached() {
    let lake = |spill_bytes| {
        Lake::in_memory().with_config(runlake_lake::LakeConfig {
            spill_rows: 1_000,
            spill_bytes,
            file_rows: 25,
            row_group_rows: 8,
            ..runlake_lake::LakeConfig::default()
        })
    };
    let rows = batch(Table::PretrainCkpts, &["r"], 60, 1);
    let mut file_rows = Vec::new();
    for spill_bytes in [1, usize::MAX] {
        let lake = lake(spill_bytes);
        let mut tx = lake.transaction("convert", "");
        for start in (0..60).step_by(5) {
            tx.upsert(Table::PretrainCkpts, rows.slice(start, 5))
                .expect("upsert");
        }
        tx.commit().await.expect("commit");
        let m = lake.latest().await.expect("latest");
        let mut sizes: Vec<u64> = m
            .table(Table::PretrainCkpts)
            .expect("table")
            .files
            .iter()
            .map(|f| f.rows)
            .collect();
        sizes.sort();
        file_rows.push(sizes);
        let read = lake
            .read_table(&m, Table::PretrainCkpts)
            .await
            .expect("read");
        assert_eq!(
            canonical_rows(&read),
            canonical_rows(std::slice::from_ref(&rows))
        );
    }
    // Every five-row batch is over one byte, so each is written at once and files close at
    // 25 rows; unbounded bytes keep all sixty rows in one buffer until the commit.
    assert_eq!(file_rows, [vec![10, 25, 25], vec![60]]);
}

/// The `(run_uid, step)` of every row, in file order.
fn run_steps(batches: &[arrow::array::RecordBatch]) -> Vec<(String, i64)> {
    use arrow::array::AsArray;
    batches
        .iter()
        .flat_map(|b| {
            let run = b.column_by_name("run_uid").expect("run").as_string::<i32>();
            let step = b
                .column_by_name("step")
                .expect("step")
                .as_primitive::<arrow::datatypes::Int64Type>();
            (0..b.num_rows())
                .map(|i| (run.value(i).to_owned(), step.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The row order a data file records in its key-value metadata.
fn recorded_order(meta: &ParquetMetaData) -> Option<String> {
    meta.file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .find(|kv| kv.key == "runlake.order")
        .and_then(|kv| kv.value.clone())
}

/// Sixty checkpoint rows committed in six buffers of ten, into files of `file_rows` rows.
async fn six_buffers(file_rows: usize, row_group_rows: usize) -> (Lake, arrow::array::RecordBatch) {
    six_buffers_merged(file_rows, row_group_rows, false).await
}

/// Six buffers of ten rows in one transaction; `merge_runs` as the lake's config says.
async fn six_buffers_merged(
    file_rows: usize,
    row_group_rows: usize,
    merge_runs: bool,
) -> (Lake, arrow::array::RecordBatch) {
    let lake = Lake::in_memory().with_config(runlake_lake::LakeConfig {
        spill_rows: 10,
        file_rows,
        row_group_rows,
        merge_runs,
        ..runlake_lake::LakeConfig::default()
    });
    let rows = batch(Table::PretrainCkpts, &["b", "a", "c"], 20, 3);
    let mut tx = lake.transaction("convert", "");
    for start in (0..60).step_by(10) {
        tx.upsert(Table::PretrainCkpts, rows.slice(start, 10))
            .expect("upsert");
    }
    tx.commit().await.expect("commit");
    (lake, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_sorts_a_table_into_one_file_per_partition() {
    let (lake, rows) = six_buffers(10, runlake_lake::LakeConfig::default().row_group_rows).await;
    let before = lake.latest().await.expect("latest");
    assert_eq!(
        before.table(Table::PretrainCkpts).expect("t").files.len(),
        6
    );

    let outcome = runlake_lake::compact::compact(&lake, Table::PretrainCkpts)
        .await
        .expect("compact");
    assert_eq!(outcome.version, Some(2));
    let after = lake.latest().await.expect("latest");
    let files = &after.table(Table::PretrainCkpts).expect("t").files;
    assert_eq!(files.len(), 1);
    let read = lake
        .read_file(Table::PretrainCkpts, &files[0])
        .await
        .expect("read");
    assert_eq!(canonical_rows(&read), canonical_rows(&[rows]));
    let keys = run_steps(&read);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "one globally sorted run");
    let again = runlake_lake::compact::compact(&lake, Table::PretrainCkpts)
        .await
        .expect("compact");
    assert_eq!(again.version, None, "a compacted table compacts to itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_groups_end_where_each_sorted_buffer_ends() {
    let (lake, _) = six_buffers(1000, 7).await;
    let manifest = lake.latest().await.expect("latest");
    let files = &manifest.table(Table::PretrainCkpts).expect("t").files;
    assert_eq!(files.len(), 1, "six buffers, one file");
    let meta = footer(&lake, &files[0]).await;
    let sizes: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
    // Each buffer of 10 rows becomes a group of 7 and one of 3, never sharing a group.
    assert_eq!(sizes, [7, 3].repeat(6));
}

/// By default the six sorted runs of a new file are merged before it is uploaded: one
/// order over full row groups, the file marked sorted as compaction marks it, and the same
/// rows as the unmerged file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_is_written_as_one_sorted_run() {
    let (lake, rows) = six_buffers_merged(1000, 7, true).await;
    let (runs, _) = six_buffers_merged(1000, 7, false).await;
    let manifest = lake.latest().await.expect("latest");
    let files = &manifest.table(Table::PretrainCkpts).expect("t").files;
    assert_eq!(files.len(), 1, "six buffers, one file");
    let meta = footer(&lake, &files[0]).await;
    let sizes: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(
        sizes,
        [7, 7, 7, 7, 7, 7, 7, 7, 4],
        "full row groups over 60 rows"
    );
    let order = recorded_order(&meta);
    assert_eq!(order.as_deref(), Some("file"), "the file records one order");

    let read = lake
        .read_file(Table::PretrainCkpts, &files[0])
        .await
        .expect("read");
    let keys = run_steps(&read);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "one order from the first row to the last");
    assert_eq!(canonical_rows(&read), canonical_rows(&[rows]));
    let unmerged = runs.latest().await.expect("latest");
    let unmerged = runs
        .read_file(
            Table::PretrainCkpts,
            &unmerged.table(Table::PretrainCkpts).expect("t").files[0],
        )
        .await
        .expect("read");
    assert_eq!(canonical_rows(&read), canonical_rows(&unmerged));
}

/// Buffers that arrive in key order (a run's steps, run after run) are written straight into
/// the kept file: full row groups across buffers, one order, and a file closed at its size
/// limit stays one file, where merging runs would have split it over two key ranges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffers_arriving_in_key_order_are_written_once_as_one_run() {
    let lake = Lake::in_memory().with_config(runlake_lake::LakeConfig {
        spill_rows: 10,
        file_rows: 40,
        row_group_rows: 2,
        ..runlake_lake::LakeConfig::default()
    });
    let rows = batch(Table::PretrainCkpts, &["a", "b", "c"], 20, 3);
    let mut tx = lake.transaction("convert", "");
    for start in (0..60).step_by(10) {
        tx.upsert(Table::PretrainCkpts, rows.slice(start, 10))
            .expect("upsert");
    }
    tx.commit().await.expect("commit");
    let manifest = lake.latest().await.expect("latest");
    let files = &manifest.table(Table::PretrainCkpts).expect("t").files;
    let mut sizes: Vec<u64> = files.iter().map(|f| f.rows).collect();
    sizes.sort();
    assert_eq!(sizes, [20, 40], "{files:?}");
    let mut read_all = Vec::new();
    for file in files {
        let meta = footer(&lake, file).await;
        assert!(
            meta.row_groups().iter().all(|g| g.num_rows() == 2),
            "{}: full row groups",
            file.path
        );
        let order = recorded_order(&meta);
        assert_eq!(order.as_deref(), Some("file"), "{}", file.path);
        let read = lake
            .read_file(Table::PretrainCkpts, file)
            .await
            .expect("read");
        let keys = run_steps(&read);
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{} is one sorted run", file.path);
        read_all.extend(read);
    }
    assert_eq!(canonical_rows(&read_all), canonical_rows(&[rows]));
}

/// A file closed at its size limit is merged as two files over disjoint key ranges (two
/// threads), each one sorted run; together they hold exactly the rows written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_file_is_merged_as_files_over_disjoint_key_ranges() {
    // Ranges hold at least eight row groups: 2 x 8 rows here.
    let (lake, rows) = six_buffers_merged(40, 2, true).await;
    let manifest = lake.latest().await.expect("latest");
    let files = &manifest.table(Table::PretrainCkpts).expect("t").files;
    // 40 rows split in two halves, then the last 20 rows in one file.
    assert_eq!(files.len(), 3, "{files:?}");
    let mut read_all = Vec::new();
    let mut spans = Vec::new();
    for file in files {
        let read = lake
            .read_file(Table::PretrainCkpts, file)
            .await
            .expect("read");
        let keys = run_steps(&read);
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{} is one sorted run", file.path);
        assert_eq!(keys.len(), 20, "{} holds a third of the rows", file.path);
        spans.push((keys[0].clone(), keys[keys.len() - 1].clone()));
        read_all.extend(read);
    }
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 < pair[1].0, "key ranges overlap: {spans:?}");
    }
    assert_eq!(canonical_rows(&read_all), canonical_rows(&[rows]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_reads_each_file_once_and_a_compact_table_only_its_footers() {
    use runlake_lake::testkit::recording::RecordingStore;
    let (recording, lake) = RecordingStore::lake();
    // Files of several sorted runs, as lakes written without merging them hold.
    let lake = lake.with_config(runlake_lake::LakeConfig {
        spill_rows: 10,
        merge_runs: false,
        ..runlake_lake::LakeConfig::default()
    });
    let rows = batch(Table::Evals, &["b", "a", "c"], 20, 3);
    let mut tx = lake.transaction("convert", "");
    for start in (0..rows.num_rows()).step_by(10) {
        tx.append(
            Table::Evals,
            rows.slice(start, 10.min(rows.num_rows() - start)),
        )
        .expect("append");
    }
    tx.commit().await.expect("commit");
    let written: Vec<String> = lake
        .latest()
        .await
        .expect("latest")
        .table(Table::Evals)
        .expect("evals")
        .files
        .iter()
        .map(|f| f.path.clone())
        .collect();
    recording.take();
    let first = runlake_lake::compact::compact(&lake, Table::Evals)
        .await
        .expect("compact");
    assert!(first.version.is_some(), "runs of buffers are merged");
    // Each file is fetched whole once: its hash is checked and the merge reads those bytes.
    // Other reads are footers, to see whether the table is already compact.
    let reads: Vec<_> = recording
        .take()
        .into_iter()
        .filter(|r| written.iter().any(|w| r.path.ends_with(w.as_str())))
        .collect();
    assert!(reads.iter().all(|r| r.kind == "get"), "{reads:?}");
    let mut whole: Vec<String> = reads
        .iter()
        .filter(|r| r.range.is_none())
        .map(|r| r.path.clone())
        .collect();
    whole.sort();
    let mut expected = written.clone();
    expected.sort();
    assert_eq!(whole, expected);
    assert!(reads.len() <= 3 * written.len(), "{reads:?}");
    let latest = lake.latest().await.expect("latest");
    let files = latest.table(Table::Evals).expect("evals").files.len();
    recording.take();

    let again = runlake_lake::compact::compact(&lake, Table::Evals)
        .await
        .expect("compact");
    assert_eq!(again.version, None);
    let requests = recording.take();
    let data: Vec<_> = requests
        .iter()
        .filter(|r| !r.path.starts_with("_runlake"))
        .collect();
    // A rewrite would check each file's hash (a head and a whole-file get) and put the
    // result; reading a footer is one or two ranged gets.
    assert!(
        data.iter().all(|r| r.kind == "get" && r.range.is_some()),
        "{data:?}"
    );
    assert!(!data.is_empty() && data.len() <= 2 * files, "{data:?}");
    assert!(
        requests
            .iter()
            .all(|r| r.kind != "put" && r.kind != "multipart")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sorted_run_in_small_row_groups_is_still_compacted() {
    let lake = Lake::in_memory().with_config(runlake_lake::LakeConfig {
        row_group_rows: 7,
        ..runlake_lake::LakeConfig::default()
    });
    let rows = batch(Table::PretrainCkpts, &["b", "a", "c"], 20, 3);
    let mut tx = lake.transaction("convert", "");
    tx.append(Table::PretrainCkpts, rows.clone())
        .expect("append");
    tx.commit().await.expect("commit");
    let outcome = runlake_lake::compact::compact(&lake, Table::PretrainCkpts)
        .await
        .expect("compact");
    assert_eq!(
        outcome.version,
        Some(2),
        "row groups of 7 are merged into one"
    );
    let read = lake
        .read_table(&lake.latest().await.expect("latest"), Table::PretrainCkpts)
        .await
        .expect("read");
    assert_eq!(canonical_rows(&read), canonical_rows(&[rows]));
    let again = runlake_lake::compact::compact(&lake, Table::PretrainCkpts)
        .await
        .expect("compact");
    assert_eq!(again.version, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_refuses_a_file_that_is_not_its_blake3() {
    let (lake, _) = six_buffers(10, runlake_lake::LakeConfig::default().row_group_rows).await;
    let before = lake.latest().await.expect("latest");
    let files = &before.table(Table::PretrainCkpts).expect("t").files;
    let victim = &files[files.len() / 2];
    runlake_lake::testkit::flip_bit(
        lake.objects().as_ref(),
        &Lake::object_path(&victim.path),
        20,
    )
    .await;

    let err = runlake_lake::compact::compact(&lake, Table::PretrainCkpts)
        .await
        .expect_err("a flipped byte is refused");
    let message = err.to_string();
    assert!(
        message.contains(&victim.path) && message.contains("BLAKE3"),
        "{message}"
    );
    assert_eq!(lake.latest().await.expect("latest").version, before.version);
}

/// Spilled files of a local lake are written in its staging folder and linked to their names:
/// once committed, every file holds the bytes its name promises and no staged name is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spilled_files_of_a_local_lake_are_linked_from_its_staging_folder() {
    let (dir, lake) = runlake_lake::testkit::local_lake().await;
    let lake = lake.with_config(runlake_lake::LakeConfig {
        spill_rows: 10,
        file_rows: 25,
        row_group_rows: 8,
        ..runlake_lake::LakeConfig::default()
    });
    // Out of order (b before a) and in order, so merged and directly written files are both
    // staged.
    let rows = batch(Table::PretrainCkpts, &["b", "a", "c"], 20, 3);
    let mut tx = lake.transaction("convert", "");
    for start in (0..60).step_by(10) {
        tx.upsert(Table::PretrainCkpts, rows.slice(start, 10))
            .expect("upsert");
    }
    tx.commit().await.expect("commit");
    let report = runlake_lake::verify::verify(&lake, true)
        .await
        .expect("verify");
    assert!(report.is_sound(), "{:?}", report.problems);
    let m = lake.latest().await.expect("latest");
    let read = lake
        .read_table(&m, Table::PretrainCkpts)
        .await
        .expect("read");
    assert_eq!(canonical_rows(&read), canonical_rows(&[rows]));
    let staging = dir.path().join("lake/_runlake/staging");
    let left: Vec<_> = std::fs::read_dir(&staging)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staged names left: {left:?}");
}

/// A data file written through the staging folder is as readable as any file the process
/// creates (the umask decides), not private to the user: other readers of a shared lake
/// must open it.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_data_files_get_the_permissions_of_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, lake) = runlake_lake::testkit::local_lake().await;
    let mut tx = lake.transaction("convert", "");
    tx.upsert(
        Table::PretrainCkpts,
        batch(Table::PretrainCkpts, &["a"], 20, 3),
    )
    .expect("upsert");
    tx.commit().await.expect("commit");
    let probe = dir.path().join("probe");
    std::fs::File::create(&probe).expect("probe");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    let m = lake.latest().await.expect("latest");
    let files = &m.table(Table::PretrainCkpts).expect("table").files;
    assert!(!files.is_empty());
    for file in files {
        let path = dir.path().join("lake").join(&file.path);
        assert_eq!(mode(&path), mode(&probe), "{}", path.display());
    }
}
