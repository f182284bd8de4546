//! A destination that lost a version file: a sync from a copy of the lake restores it, and
//! refuses when the destination's later versions are not the source's.

mod common;

use common::{add_runs, assert_sound, copied, manifest_bytes, rows_at};
use object_store::{ObjectStore, ObjectStoreExt};
use runlake_format::layout::version_path;
use runlake_sync::{SyncError, SyncOptions, sync};

/// Where version `v`'s file lies in a test lake's store.
fn version_object(v: u64) -> object_store::path::Path {
    object_store::path::Path::from(format!("lake/{}", version_path(v)))
}

/// Deletes version `v`'s file from `lake`'s store.
async fn lose(store: &dyn ObjectStore, v: u64) {
    store.delete(&version_object(v)).await.expect("delete");
}

#[tokio::test]
async fn a_sync_from_a_copy_restores_a_lost_version_file() {
    let (src, dst_store, dst) = copied(&[&["dd/a"], &["dd/b"]]).await;
    lose(dst_store.as_ref(), 1).await;
    assert!(dst.latest().await.is_err(), "the lost file went unnoticed");
    add_runs(&src, &["dd/c"], 41).await;

    sync(&src, &dst, &SyncOptions::default())
        .await
        .expect("sync restores");
    assert_eq!(manifest_bytes(&dst, 1).await, manifest_bytes(&src, 1).await);
    assert_eq!(dst.latest().await.expect("latest").version, 3);
    assert_eq!(rows_at(&dst, 3).await, rows_at(&src, 3).await);
    assert_sound(&dst).await;
}

#[tokio::test]
async fn a_lost_file_is_not_restored_from_a_source_the_destination_diverged_from() {
    let (src, dst_store, dst) = copied(&[&["dd/a"]]).await;
    // Both go on from version 1 with different runs; the destination then loses its version
    // 2, which its version 3 links to: the source's version 2 must not take its place.
    add_runs(&src, &["dd/src"], 21).await;
    add_runs(&dst, &["dd/dst"], 31).await;
    add_runs(&dst, &["dd/dst-2"], 32).await;
    let kept = manifest_bytes(&dst, 3).await;
    lose(dst_store.as_ref(), 2).await;

    let err = sync(&src, &dst, &SyncOptions::default())
        .await
        .expect_err("restored from a diverged source");
    assert!(matches!(err, SyncError::BrokenChain { .. }), "{err}");
    assert!(err.to_string().contains("restore"), "{err}");
    // Nothing was written: the gap is still a gap, and the destination's version 3 is its own.
    let absent = dst_store.head(&version_object(2)).await;
    assert!(absent.is_err(), "a version 2 was written");
    assert_eq!(manifest_bytes(&dst, 3).await, kept);
}
