//! Push, pull, incremental syncs, resumption, dry runs, progress and corruption, on in-memory
//! stores and local folders.

mod common;

use std::sync::{Arc, Mutex};

use common::{
    Recording, add_runs, assert_sound, copied, manifest_bytes, mem_lake, over, rows_at, source,
};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use runlake_lake::{Lake, StoreOptions};
use runlake_sync::{Progress, SyncError, SyncOptions, SyncOutcome, sync};

fn data_paths(requests: &[runlake_lake::testkit::recording::Request], kind: &str) -> Vec<String> {
    Recording::paths(requests, kind)
        .into_iter()
        .filter(|p| p.ends_with(".parquet"))
        .collect()
}

#[tokio::test]
async fn push_copies_every_version_byte_for_byte_then_syncs_only_what_changed() {
    let (_, src) = source("mem://src", &[&["dd/a", "dd/b"], &["dd/c"]]).await;
    let (dst_store, _) = mem_lake("mem://dst");
    let recording = Recording::new(Arc::clone(&dst_store));
    let dst = Lake::from_store(recording.clone(), "lake".into(), "mem://dst", true);

    let first = sync(&src, &dst, &SyncOptions::default())
        .await
        .expect("push");
    assert_eq!(first.outcome, SyncOutcome::Created);
    assert_eq!(first.versions_written, vec![0, 1, 2]);
    assert_eq!(first.destination_before, None);
    assert_eq!(first.destination_after, Some(2));
    let live: Vec<String> = src
        .latest()
        .await
        .expect("latest")
        .all_files()
        .map(|(_, f)| f.path.clone())
        .collect();
    let v1: Vec<String> = src
        .version(1)
        .await
        .expect("v1")
        .all_files()
        .map(|(_, f)| f.path.clone())
        .collect();
    let mut every: Vec<String> = live.iter().chain(&v1).cloned().collect();
    every.sort();
    every.dedup();
    let sent: Vec<String> = first.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(sent, every);
    assert_eq!(first.files_sent, every.len() as u64);
    assert_eq!(first.files_skipped, 0);
    for v in 0..=2 {
        assert_eq!(manifest_bytes(&dst, v).await, manifest_bytes(&src, v).await);
        assert_eq!(rows_at(&dst, v).await, rows_at(&src, v).await);
    }
    assert_sound(&dst).await;

    recording.take();
    let again = sync(&src, &dst, &SyncOptions::default())
        .await
        .expect("again");
    assert_eq!(again.outcome, SyncOutcome::UpToDate);
    assert_eq!((again.files_sent, again.bytes_sent), (0, 0));
    assert!(again.versions_written.is_empty());
    let requests = recording.take();
    assert!(
        Recording::paths(&requests, "put").is_empty(),
        "{requests:?}"
    );
    assert!(data_paths(&requests, "get").is_empty(), "{requests:?}");
    assert!(data_paths(&requests, "head").is_empty(), "{requests:?}");

    let v3 = add_runs(&src, &["dd/new"], 99).await;
    let added = src.version(v3).await.expect("v3").operation.added_files;
    assert!(!added.is_empty());
    let third = sync(&src, &dst, &SyncOptions::default())
        .await
        .expect("one run");
    assert_eq!(third.outcome, SyncOutcome::FastForward);
    assert_eq!(third.versions_written, vec![v3]);
    let mut expected = added.clone();
    expected.sort();
    let sent: Vec<String> = third.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(sent, expected);
    let requests = recording.take();
    let puts = Recording::paths(&requests, "put");
    let mut want: Vec<String> = expected.iter().map(|p| format!("lake/{p}")).collect();
    want.push(format!("lake/{}", runlake_format::layout::version_path(v3)));
    // The destination's Delta logs follow its new version.
    for table in runlake_lake::Table::ALL {
        want.push(format!(
            "lake/{}",
            runlake_format::delta::commit_path(table, v3)
        ));
    }
    want.sort();
    assert_eq!(puts, want);
    assert_eq!(rows_at(&dst, v3).await, rows_at(&src, v3).await);
    assert_sound(&dst).await;
}

#[tokio::test]
async fn pull_into_a_local_folder_and_back_out() {
    let (_, src) = source("mem://src", &[&["dd/a"], &["dd/b"]]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("lake");
    let folder = folder.to_str().expect("utf-8 path");
    let local = Lake::unchecked(folder, &StoreOptions::default(), true).expect("local");
    let report = sync(&src, &local, &SyncOptions::default())
        .await
        .expect("pull");
    assert_eq!(report.outcome, SyncOutcome::Created);
    let reopened = Lake::open(folder).await.expect("a lake now");
    assert_eq!(reopened.latest().await.expect("latest").version, 2);
    assert_eq!(rows_at(&reopened, 2).await, rows_at(&src, 2).await);
    assert_sound(&reopened).await;
    let hint = std::fs::read_to_string(dir.path().join("lake/_runlake/_latest")).expect("hint");
    assert_eq!(hint, "2\n");

    let v3 = add_runs(&reopened, &["dd/local"], 7).await;
    let (_, back) = mem_lake("mem://back");
    sync(&reopened, &back, &SyncOptions::default())
        .await
        .expect("push back");
    assert_eq!(rows_at(&back, v3).await, rows_at(&reopened, v3).await);
    let report = sync(&reopened, &src, &SyncOptions::default())
        .await
        .expect("to origin");
    assert_eq!(report.outcome, SyncOutcome::FastForward);
    assert_eq!(report.versions_written, vec![v3]);
    assert_eq!(
        manifest_bytes(&src, v3).await,
        manifest_bytes(&reopened, v3).await
    );
}

#[tokio::test]
async fn files_that_already_landed_are_not_sent_again() {
    let (_, src) = source("mem://src", &[&["dd/a", "dd/b"]]).await;
    let (dst_store, dst) = mem_lake("mem://dst");
    let files: Vec<_> = src
        .latest()
        .await
        .expect("latest")
        .all_files()
        .map(|(_, f)| f.clone())
        .collect();
    assert!(files.len() >= 2);
    // As if an earlier sync was killed after sending the first file.
    let landed = &files[0];
    let bytes = src
        .objects()
        .get(&Lake::object_path(&landed.path))
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    dst.objects()
        .put(&Lake::object_path(&landed.path), PutPayload::from(bytes))
        .await
        .expect("put");
    let recording = Recording::new(dst_store);
    let dst = over(&dst, recording.clone());
    let report = sync(&src, &dst, &SyncOptions::default())
        .await
        .expect("sync");
    assert_eq!(report.files_skipped, 1);
    assert_eq!(report.bytes_skipped, landed.bytes);
    assert_eq!(report.files_sent, files.len() as u64 - 1);
    let puts = Recording::paths(&recording.take(), "put");
    assert!(!puts.contains(&format!("lake/{}", landed.path)), "{puts:?}");
    assert_sound(&dst).await;
}

#[tokio::test]
async fn a_dry_run_lists_what_would_move_and_writes_nothing() {
    let (_, src) = source("mem://src", &[&["dd/a"]]).await;
    let (dst_store, dst) = mem_lake("mem://dst");
    let recording = Recording::new(dst_store);
    let dst = over(&dst, recording.clone());
    let opts = SyncOptions {
        dry_run: true,
        ..SyncOptions::default()
    };
    let report = sync(&src, &dst, &opts).await.expect("dry run");
    assert!(report.dry_run);
    assert_eq!(report.versions_written, vec![0, 1]);
    assert_eq!(report.destination_after, None);
    let mut want: Vec<(String, u64)> = src
        .latest()
        .await
        .expect("latest")
        .all_files()
        .map(|(_, f)| (f.path.clone(), f.bytes))
        .collect();
    want.sort();
    let got: Vec<(String, u64)> = report
        .files
        .iter()
        .map(|f| (f.path.clone(), f.bytes))
        .collect();
    assert_eq!(got, want);
    assert_eq!(report.bytes_sent, want.iter().map(|(_, b)| b).sum::<u64>());
    let requests = recording.take();
    assert!(
        Recording::paths(&requests, "put").is_empty(),
        "{requests:?}"
    );
    assert!(dst.list_versions().await.expect("list").is_empty());
}

#[tokio::test]
async fn progress_and_multipart_uploads_cover_every_byte() {
    let (_, src) = source("mem://src", &[&["dd/a", "dd/b"], &["dd/c"]]).await;
    let (dst_store, dst) = mem_lake("mem://dst");
    let recording = Recording::new(dst_store);
    let dst = over(&dst, recording.clone());
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let opts = SyncOptions {
        multipart_threshold: 0,
        part_size: 1000,
        progress: Some(Arc::new(move |p| sink.lock().expect("progress").push(p))),
        ..SyncOptions::default()
    };
    let report = sync(&src, &dst, &opts).await.expect("sync");
    let last = *seen
        .lock()
        .expect("progress")
        .iter()
        .max_by_key(|p| (p.files_done, p.bytes_done))
        .expect("progress");
    assert_eq!(last.files_done, report.files_sent);
    assert_eq!(last.files_total, report.files_sent);
    assert_eq!(last.bytes_done, report.bytes_sent);
    assert_eq!(last.bytes_total, report.bytes_sent);
    let multiparts = Recording::paths(&recording.take(), "multipart");
    assert_eq!(multiparts.len() as u64, report.files_sent);
    assert_sound(&dst).await;
    assert_eq!(rows_at(&dst, 2).await, rows_at(&src, 2).await);
}

#[tokio::test]
async fn a_source_file_that_does_not_match_its_hash_is_never_published() {
    for multipart_threshold in [u64::MAX, 0] {
        let (src, _, dst) = copied(&[&["dd/a"]]).await;
        add_runs(&src, &["dd/b"], 5).await;
        let victim = src.latest().await.expect("latest").operation.added_files[0].clone();
        runlake_lake::testkit::flip_bit(src.objects().as_ref(), &Lake::object_path(&victim), 10)
            .await;
        let opts = SyncOptions {
            multipart_threshold,
            part_size: 100,
            ..SyncOptions::default()
        };
        let err = sync(&src, &dst, &opts).await.expect_err("refused");
        assert!(matches!(err, SyncError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains(&victim), "{err}");
        assert!(
            dst.objects()
                .head(&Lake::object_path(&victim))
                .await
                .is_err()
        );
        assert_eq!(dst.latest().await.expect("latest").version, 1);
    }
}

#[tokio::test]
async fn another_lake_and_a_destination_ahead_are_told_apart() {
    let (_, src) = source("mem://src", &[&["dd/a"]]).await;
    let (_, other) = source("mem://other", &[&["dd/a"]]).await;
    let err = sync(&src, &other, &SyncOptions::default())
        .await
        .expect_err("refused");
    assert!(matches!(err, SyncError::DifferentLakes { .. }), "{err}");
    assert!(
        err.to_string().contains("mem://other holds another lake"),
        "{err}"
    );

    let (_, dst) = mem_lake("mem://dst");
    sync(&src, &dst, &SyncOptions::default())
        .await
        .expect("push");
    add_runs(&dst, &["dd/b"], 3).await;
    let report = sync(&src, &dst, &SyncOptions::default())
        .await
        .expect("ahead");
    assert_eq!(report.outcome, SyncOutcome::DestinationAhead);
    assert_eq!(report.destination_after, Some(2));
    assert!(report.versions_written.is_empty());
    let store: Arc<dyn ObjectStore> = Arc::clone(dst.raw_store());
    assert_eq!(
        Lake::from_store(store, "lake".into(), "x", true)
            .list_versions()
            .await
            .expect("l"),
        vec![0, 1, 2]
    );
}
