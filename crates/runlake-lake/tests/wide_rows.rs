//! Wide rows (a run's whole config and summary, as `metadata` holds) through the writer.

use runlake_lake::testkit::{batch, canonical_rows, footer};
use runlake_lake::{Lake, Table};

/// Wide rows (a run's whole config, as `metadata` holds) spilled out of key order are merged a
/// few at a time: the lake holds exactly the rows written, and each file is one sorted run in
/// one row group, though the merge wrote it in several pieces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_rows_spilled_out_of_order_merge_into_one_sorted_row_group() {
    use std::sync::Arc;

    use arrow::array::{AsArray, RecordBatch, StringArray};

    // 400 runs in a scrambled order, one row each with 200 KB of config.
    let runs: Vec<String> = (0..400)
        .map(|i| format!("run-{:03}", (i * 263) % 400))
        .collect();
    let names: Vec<&str> = runs.iter().map(String::as_str).collect();
    let narrow = batch(Table::Metadata, &names, 1, 5);
    let mut state = 7u64;
    let mut letter = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        char::from(b'a' + ((state >> 33) % 26) as u8)
    };
    let wide: StringArray = (0..narrow.num_rows())
        .map(|_| Some((0..200_000).map(|_| letter()).collect::<String>()))
        .collect();
    let mut columns = narrow.columns().to_vec();
    columns[narrow
        .schema()
        .index_of("config_json")
        .expect("config_json")] = Arc::new(wide);
    let rows = RecordBatch::try_new(narrow.schema(), columns).expect("batch");

    let lake = Lake::in_memory().with_config(runlake_lake::LakeConfig {
        spill_rows: 40,
        ..runlake_lake::LakeConfig::default()
    });
    let mut tx = lake.transaction("convert", "");
    for start in (0..400).step_by(40) {
        tx.upsert(Table::Metadata, rows.slice(start, 40))
            .expect("upsert");
    }
    tx.commit().await.expect("commit");

    let manifest = lake.latest().await.expect("latest");
    let files = &manifest.table(Table::Metadata).expect("t").files;
    let mut read_all = Vec::new();
    let mut largest = 0;
    for file in files {
        let read = lake.read_file(Table::Metadata, file).await.expect("read");
        let keys: Vec<String> = read
            .iter()
            .flat_map(|b| {
                let run = b.column_by_name("run_uid").expect("run").as_string::<i32>();
                (0..b.num_rows()).map(move |i| run.value(i).to_owned())
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{} is one sorted run", file.path);
        largest = largest.max(keys.len());
        let meta = footer(&lake, file).await;
        assert_eq!(meta.row_groups().len(), 1, "{}", file.path);
        read_all.extend(read);
    }
    // More rows of 200 KB than a merge holds picked before writing them.
    assert!(largest > 200, "{largest}");
    assert_eq!(canonical_rows(&read_all), canonical_rows(&[rows]));
}
