//! Diverged destinations (refused, rebased, forced) and syncs racing to one destination.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::{
    Recording, add_runs, assert_sound, copied, manifest_bytes, mem_lake, over, rows_at, source,
};
use runlake_lake::{Lake, Table};
use runlake_sync::{SyncError, SyncOptions, SyncOutcome, sync};

/// A source and a destination that share versions 0 and 1, then each added one run.
async fn split() -> (Lake, Lake) {
    let (src, _, dst) = copied(&[&["dd/shared"]]).await;
    add_runs(&src, &["dd/from-src"], 21).await;
    add_runs(&dst, &["dd/from-dst"], 31).await;
    (src, dst)
}

fn rebase() -> SyncOptions {
    SyncOptions {
        rebase: true,
        ..SyncOptions::default()
    }
}

fn union(a: &[(Table, Vec<String>)], b: &[(Table, Vec<String>)]) -> Vec<(Table, Vec<String>)> {
    a.iter()
        .zip(b)
        .map(|((t, x), (_, y))| {
            let all: BTreeSet<String> = x.iter().chain(y).cloned().collect();
            (*t, all.into_iter().collect())
        })
        .collect()
}

#[tokio::test]
async fn a_diverged_destination_is_refused_with_what_differs_and_how_to_resolve() {
    let (src, dst) = split().await;
    let before = manifest_bytes(&dst, 2).await;
    let err = sync(&src, &dst, &SyncOptions::default())
        .await
        .expect_err("refused");
    let SyncError::Diverged(d) = &err else {
        panic!("expected divergence, got {err}");
    };
    assert_eq!(d.base, Some(1));
    assert_eq!(d.source_only.len(), 1);
    assert_eq!(d.source_only[0].version, 2);
    assert_eq!(
        d.source_only[0].runs.get("evals"),
        Some(&vec!["dd/from-src".to_owned()])
    );
    assert_eq!(
        d.destination_only[0].runs.get("evals"),
        Some(&vec!["dd/from-dst".to_owned()])
    );
    assert!(d.commutes());
    let message = err.to_string();
    for needle in [
        "mem://dst has diverged from mem://src: both have version 1",
        "v2 convert \"runs dd/from-src\" [evals: dd/from-src; metadata: dd/from-src]",
        "v2 convert \"runs dd/from-dst\"",
        "--rebase",
        "--force",
    ] {
        assert!(message.contains(needle), "`{needle}` not in:\n{message}");
    }
    assert_eq!(dst.list_versions().await.expect("list"), vec![0, 1, 2]);
    assert_eq!(manifest_bytes(&dst, 2).await, before);
}

#[tokio::test]
async fn rebase_replays_the_source_changes_on_top_of_the_destination() {
    let (src, dst) = split().await;
    let dst_v2 = dst.version_file(2).await.expect("read").expect("v2");
    let report = sync(&src, &dst, &rebase()).await.expect("rebase");
    assert_eq!(report.outcome, SyncOutcome::Rebased);
    assert_eq!(report.versions_written, vec![3]);
    let v3 = dst.version(3).await.expect("v3");
    assert_eq!(v3.operation.kind, "sync-rebase");
    let parent = v3.parent.clone().expect("parent");
    assert_eq!((parent.version, parent.blake3), (1 + 1, dst_v2.1));
    let src_added: BTreeSet<String> = src
        .version(2)
        .await
        .expect("src v2")
        .operation
        .added_files
        .into_iter()
        .collect();
    let v3_added: BTreeSet<String> = v3.operation.added_files.iter().cloned().collect();
    assert_eq!(v3_added, src_added);
    assert_eq!(
        rows_at(&dst, 3).await,
        union(&rows_at(&dst, 2).await, &rows_at(&src, 2).await)
    );
    assert_sound(&dst).await;

    // The destination now holds everything the source has.
    let again = sync(&src, &dst, &rebase()).await.expect("again");
    assert_eq!(again.outcome, SyncOutcome::DestinationAhead);
    assert!(again.versions_written.is_empty());
}

#[tokio::test]
async fn rebase_refuses_changes_to_the_same_run() {
    let (src, _, dst) = copied(&[&["dd/shared"]]).await;
    add_runs(&src, &["dd/both"], 21).await;
    add_runs(&dst, &["dd/both"], 31).await;
    let err = sync(&src, &dst, &rebase()).await.expect_err("refused");
    let message = err.to_string();
    assert!(
        message.contains(
            "run `dd/both` of table evals changed in source version 2 and destination version 2"
        ),
        "{message}"
    );
    assert_eq!(dst.list_versions().await.expect("list"), vec![0, 1, 2]);
}

#[tokio::test]
async fn force_makes_the_destination_equal_the_source_and_keeps_its_history() {
    let (src, dst) = split().await;
    let old_v2 = rows_at(&dst, 2).await;
    let opts = SyncOptions {
        force: true,
        ..SyncOptions::default()
    };
    let report = sync(&src, &dst, &opts).await.expect("force");
    assert_eq!(report.outcome, SyncOutcome::Forced);
    assert_eq!(report.versions_written, vec![3]);
    let paths = |m: &runlake_format::Manifest| -> Vec<String> {
        m.all_files().map(|(_, f)| f.path.clone()).collect()
    };
    let src_latest = src.latest().await.expect("src");
    let v3 = dst.version(3).await.expect("v3");
    assert_eq!(paths(&v3), paths(&src_latest));
    assert_eq!(v3.operation.kind, "sync-force");
    assert_eq!(rows_at(&dst, 3).await, rows_at(&src, 2).await);
    assert_eq!(rows_at(&dst, 2).await, old_v2);
    assert_sound(&dst).await;

    // Another lake altogether is replaced only when forced, and keeps its own id.
    let (_, other) = source("mem://other", &[&["dd/x"]]).await;
    let other_id = other.latest().await.expect("other").lake_id;
    sync(&src, &other, &opts).await.expect("forced");
    let replaced = other.latest().await.expect("replaced");
    assert_eq!(replaced.lake_id, other_id);
    assert_eq!(paths(&replaced), paths(&src_latest));
    assert_sound(&other).await;
}

#[tokio::test]
async fn two_syncs_of_one_source_racing_to_one_destination_both_succeed() {
    let (_, src) = source("mem://src", &[&["dd/a"], &["dd/b"], &["dd/c"]]).await;
    let (store, dst) = mem_lake("mem://dst");
    let slow = over(&dst, Recording::slow(store, Duration::from_millis(2)));
    let plain = SyncOptions::default();
    let (a, b) = tokio::join!(sync(&src, &slow, &plain), sync(&src, &slow, &plain));
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.destination_after, Some(3));
    assert_eq!(b.destination_after, Some(3));
    for v in 0..=3 {
        assert_eq!(manifest_bytes(&dst, v).await, manifest_bytes(&src, v).await);
    }
    assert_eq!(dst.list_versions().await.expect("list"), vec![0, 1, 2, 3]);
    assert_sound(&dst).await;
}

#[tokio::test]
async fn diverged_sources_racing_to_one_destination_lose_nothing() {
    let (_, origin) = source("mem://origin", &[&["dd/shared"]]).await;
    let (_, left) = mem_lake("mem://left");
    let (_, right) = mem_lake("mem://right");
    let (store, dst) = mem_lake("mem://dst");
    for lake in [&left, &right, &dst] {
        sync(&origin, lake, &SyncOptions::default())
            .await
            .expect("copy");
    }
    add_runs(&left, &["dd/left"], 41).await;
    add_runs(&right, &["dd/right"], 51).await;
    let slow: Lake = over(
        &dst,
        Recording::slow(Arc::clone(&store), Duration::from_millis(2)),
    );

    // Without --rebase exactly one wins and the other is told why.
    let plain = SyncOptions::default();
    let (a, b) = tokio::join!(sync(&left, &slow, &plain), sync(&right, &slow, &plain));
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    let (winner, err) = match (a, b) {
        (Ok(_), Err(e)) => (&left, e),
        (Err(e), Ok(_)) => (&right, e),
        other => panic!("{other:?}"),
    };
    assert!(matches!(err, SyncError::Diverged(_)), "{err}");
    assert_eq!(
        manifest_bytes(&dst, 2).await,
        manifest_bytes(winner, 2).await
    );

    // With --rebase the loser lands on top, and both runs are there.
    let (_, dst2) = mem_lake("mem://dst2");
    sync(&origin, &dst2, &SyncOptions::default())
        .await
        .expect("copy");
    let slow2 = over(
        &dst2,
        Recording::slow(Arc::clone(dst2.raw_store()), Duration::from_millis(2)),
    );
    let opts = rebase();
    let (a, b) = tokio::join!(sync(&left, &slow2, &opts), sync(&right, &slow2, &opts));
    let (a, b) = (a.expect("left"), b.expect("right"));
    let mut outcomes = [a.outcome, b.outcome];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, [SyncOutcome::FastForward, SyncOutcome::Rebased]);
    assert_eq!(dst2.list_versions().await.expect("list"), vec![0, 1, 2, 3]);
    assert_eq!(
        rows_at(&dst2, 3).await,
        union(&rows_at(&left, 2).await, &rows_at(&right, 2).await)
    );
    assert_sound(&dst2).await;
}
