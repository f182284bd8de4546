//! Sync trusts nothing it copies: a source manifest naming anything but data file paths of the
//! format is refused before the destination is written, and version files there are never
//! overwritten.

mod common;

use bytes::Bytes;
use common::{add_runs, manifest_bytes, mem_lake, source};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use runlake_format::layout::version_path;
use runlake_format::{Manifest, ParentRef};
use runlake_sync::{SyncOptions, sync};

/// Appends to `src` a version whose first evals file is renamed to `path` (the file itself
/// exists under that name in the source store, so only the path check can stop it).
async fn craft(src: &runlake_lake::Lake, path: &str) {
    let src_store = src.objects();
    let snapshot = src.latest_snapshot().await.expect("latest");
    let mut m: Manifest = snapshot.manifest.clone();
    let file = m
        .tables
        .get_mut("evals")
        .expect("evals")
        .files
        .first_mut()
        .expect("a file");
    let payload = PutPayload::from(Bytes::from_static(b"crafted"));
    src_store
        .put(&runlake_lake::Lake::object_path(path), payload)
        .await
        .expect("put crafted");
    file.path = path.to_owned();
    m.parent = Some(ParentRef {
        version: m.version,
        blake3: snapshot.blake3,
    });
    m.version += 1;
    m.commit_id = "crafted".into();
    src_store
        .put(
            &runlake_lake::Lake::object_path(&version_path(m.version)),
            PutPayload::from(m.to_bytes()),
        )
        .await
        .expect("put manifest");
}

#[tokio::test]
async fn a_manifest_naming_paths_outside_the_tables_is_refused_before_anything_is_written() {
    let v0_name = version_path(0);
    for path in [
        v0_name.clone(),
        "_runlake/_latest".to_owned(),
        "evals/../_runlake/x.parquet".to_owned(),
        "evals/phase=pretrain/not-a-hash.parquet".to_owned(),
    ] {
        let (_, src) = source("src", &[&["a"], &["b"]]).await;
        let (dst_store, dst) = mem_lake("dst");
        dst.init().await.expect("init");
        add_runs(&dst, &["z"], 5).await;
        let dst_v0 = manifest_bytes(&dst, 0).await;
        let before: Vec<_> = {
            use futures::TryStreamExt;
            dst_store
                .list(None)
                .map_ok(|m| m.location.to_string())
                .try_collect()
                .await
                .expect("list")
        };
        craft(&src, &path).await;
        let err = sync(
            &src,
            &dst,
            &SyncOptions {
                force: true,
                ..SyncOptions::default()
            },
        )
        .await
        .expect_err("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("not a data file path") || msg.contains(&path),
            "{path}: {msg}"
        );
        assert_eq!(manifest_bytes(&dst, 0).await, dst_v0, "{path}");
        let after: Vec<_> = {
            use futures::TryStreamExt;
            dst_store
                .list(None)
                .map_ok(|m| m.location.to_string())
                .try_collect()
                .await
                .expect("list")
        };
        assert_eq!(before, after, "{path}: nothing was written");
    }
}
