//! Shared helpers: lakes with synthetic runs, the request-recording store, table comparison.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod moto;

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::memory::InMemory;
use object_store::path::Path;
use runlake_lake::testkit::{batch, canonical_rows};
use runlake_lake::verify::verify;
use runlake_lake::{Lake, Table};

/// A fresh in-memory lake (not yet initialised) named `name` in messages.
pub fn mem_lake(name: &str) -> (Arc<dyn ObjectStore>, Lake) {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let lake = Lake::from_store(Arc::clone(&store), Path::from("lake"), name, true);
    (store, lake)
}

/// The same store and prefix as `lake`, seen through `store`.
pub fn over(lake: &Lake, store: Arc<dyn ObjectStore>) -> Lake {
    lake.over(store)
}

/// Commits evals and metadata rows for `runs`; returns the new version.
pub async fn add_runs(lake: &Lake, runs: &[&str], seed: u64) -> u64 {
    let mut tx = lake.transaction("convert", &format!("runs {}", runs.join(",")));
    tx.upsert(Table::Evals, batch(Table::Evals, runs, 4, seed))
        .expect("evals");
    tx.upsert(Table::Metadata, batch(Table::Metadata, runs, 1, seed + 1))
        .expect("metadata");
    tx.commit()
        .await
        .expect("commit")
        .version
        .expect("a new version")
}

/// A source lake with version 0 and one version per run group.
pub async fn source(name: &str, groups: &[&[&str]]) -> (Arc<dyn ObjectStore>, Lake) {
    let (store, lake) = mem_lake(name);
    lake.init().await.expect("init");
    for (i, runs) in groups.iter().enumerate() {
        add_runs(&lake, runs, 10 * i as u64 + 1).await;
    }
    (store, lake)
}

/// A source lake of `groups` (see [`source`]) and an in-memory destination a default sync
/// copied it to: the source, the destination's store, the destination.
pub async fn copied(groups: &[&[&str]]) -> (Lake, Arc<dyn ObjectStore>, Lake) {
    let (_, src) = source("mem://src", groups).await;
    let (store, dst) = mem_lake("mem://dst");
    runlake_sync::sync(&src, &dst, &runlake_sync::SyncOptions::default())
        .await
        .expect("first copy");
    (src, store, dst)
}

/// Every table's rows at a version, canonicalised.
pub async fn rows_at(lake: &Lake, version: u64) -> Vec<(Table, Vec<String>)> {
    let m = lake.version(version).await.expect("version");
    let mut out = Vec::new();
    for t in Table::ALL {
        let batches = lake.read_table(&m, t).await.expect("read");
        out.push((t, canonical_rows(&batches)));
    }
    out
}

/// The exact bytes of a version's manifest.
pub async fn manifest_bytes(lake: &Lake, version: u64) -> Vec<u8> {
    lake.version_file(version)
        .await
        .expect("read")
        .expect("present")
        .2
        .to_vec()
}

/// Asserts a deep verify finds nothing wrong.
pub async fn assert_sound(lake: &Lake) {
    let report = verify(lake, true).await.expect("verify");
    assert!(report.is_sound(), "{:?}", report.problems);
}

#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use runlake_lake::testkit::recording::RecordingStore as Recording;
