//! What the Delta log costs on a converted lake: its bytes against the lake's data bytes, and
//! the time to write it from scratch (the log is deleted, then rebuilt by the one code path
//! every commit uses).
//!
//! usage: delta_cost LAKE

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark: a failure ends it with a message"
)]

use std::time::Instant;

use futures::StreamExt;
use object_store::ObjectStoreExt;
use runlake_lake::{Lake, Table};

async fn log_objects(lake: &Lake) -> Vec<(object_store::path::Path, u64)> {
    let mut out = Vec::new();
    for table in Table::ALL {
        let prefix = Lake::object_path(&format!("{}/_delta_log", table.name()));
        let mut listing = lake.objects().list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = meta.expect("list the Delta log");
            out.push((meta.location, meta.size));
        }
    }
    out
}

#[tokio::main]
async fn main() {
    let location = std::env::args().nth(1).expect("usage: delta_cost LAKE");
    let lake = Lake::open(&location).await.expect("open the lake");
    let manifest = lake.latest().await.expect("latest version");
    let data: u64 = manifest.all_files().map(|(_, f)| f.bytes).sum();
    let files = manifest.all_files().count();
    let before = log_objects(&lake).await;
    let log_bytes: u64 = before.iter().map(|(_, s)| s).sum();
    for (path, _) in &before {
        lake.objects()
            .delete(path)
            .await
            .expect("delete a log file");
    }
    let started = Instant::now();
    let report = runlake_lake::delta::catch_up(&lake)
        .await
        .expect("write the Delta log");
    let elapsed = started.elapsed();
    let after: u64 = log_objects(&lake).await.iter().map(|(_, s)| s).sum();
    assert_eq!(
        after, log_bytes,
        "the rebuilt log has the bytes of the one written by convert"
    );
    println!("versions: {}", manifest.version + 1);
    println!("data files: {files}, {data} bytes");
    println!(
        "delta log: {} files, {log_bytes} bytes ({:.4}% of the data bytes)",
        before.len(),
        100.0 * log_bytes as f64 / data.max(1) as f64
    );
    println!(
        "writing the log from scratch: {:.3} s ({} commits, {} checkpoints)",
        elapsed.as_secs_f64(),
        report.commits_written,
        report.checkpoints_written
    );
}
