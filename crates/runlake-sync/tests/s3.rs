//! The flows against a real S3 API: moto's server on loopback, started per test.

mod common;

use std::sync::Arc;

use common::moto::{child_endpoint, run_in_child};
use common::{Recording, add_runs, assert_sound, manifest_bytes, over, rows_at, source};
use runlake_lake::testkit::canonical_rows;
use runlake_lake::testkit::delta::{DeltaRead, read_delta};
use runlake_lake::verify::verify;
use runlake_lake::{Lake, StoreOptions, Table};
use runlake_sync::{SyncError, SyncOptions, SyncOutcome, sync};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn options(endpoint: String) -> StoreOptions {
    StoreOptions {
        endpoint: Some(endpoint),
    }
}

#[test]
fn s3_push_pull_and_incremental_syncs() {
    let Some(endpoint) = child_endpoint() else {
        return run_in_child("s3_push_pull_and_incremental_syncs", "runlake-push");
    };
    block_on(async {
        let opts = options(endpoint);
        let url = "s3://runlake-push/team/lake";
        let (_, src) = source("mem://src", &[&["dd/a", "dd/b"], &["dd/c"]]).await;
        let remote = Lake::unchecked(url, &opts, false).expect("s3 location");
        let recording = Recording::new(Arc::clone(remote.raw_store()));
        let counted = over(&remote, recording.clone());

        let push = sync(&src, &counted, &SyncOptions::default())
            .await
            .expect("push");
        assert_eq!(push.outcome, SyncOutcome::Created);
        assert_eq!(push.versions_written, vec![0, 1, 2]);
        let opened = Lake::open_with(url, &opts).await.expect("a lake on S3");
        assert_eq!(opened.latest().await.expect("latest").version, 2);
        for v in 0..=2 {
            assert_eq!(
                manifest_bytes(&opened, v).await,
                manifest_bytes(&src, v).await
            );
        }
        assert_eq!(rows_at(&opened, 2).await, rows_at(&src, 2).await);
        let deep = verify(&opened, true).await.expect("verify");
        assert!(deep.is_sound(), "{:?}", deep.problems);
        assert_eq!(deep.bytes_hashed, push.bytes_sent);

        recording.take();
        let again = sync(&src, &counted, &SyncOptions::default())
            .await
            .expect("again");
        assert_eq!(again.outcome, SyncOutcome::UpToDate);
        let requests = recording.take();
        assert!(
            Recording::paths(&requests, "put").is_empty(),
            "{requests:?}"
        );
        assert!(
            requests.iter().all(|r| !r.path.ends_with(".parquet")),
            "{requests:?}"
        );

        let v3 = add_runs(&src, &["dd/new"], 77).await;
        let mut added = src.version(v3).await.expect("v3").operation.added_files;
        added.sort();
        let one = sync(&src, &counted, &SyncOptions::default())
            .await
            .expect("one run");
        let puts = Recording::paths(&recording.take(), "put");
        let mut want: Vec<String> = added.iter().map(|p| format!("team/lake/{p}")).collect();
        want.push(format!(
            "team/lake/{}",
            runlake_format::layout::version_path(v3)
        ));
        // The destination's Delta logs follow its new version.
        for table in Table::ALL {
            want.push(format!(
                "team/lake/{}",
                runlake_format::delta::commit_path(table, v3)
            ));
        }
        want.sort();
        assert_eq!(puts, want);
        assert_eq!(one.files_sent, added.len() as u64);
        assert_sound(&opened).await;

        // Multipart uploads, then a pull into a local folder.
        let mp_url = "s3://runlake-push/multipart";
        let mp = Lake::unchecked(mp_url, &opts, false).expect("s3 location");
        let multipart = SyncOptions {
            multipart_threshold: 0,
            part_size: 5 << 20,
            ..SyncOptions::default()
        };
        sync(&src, &mp, &multipart).await.expect("multipart push");
        assert_sound(&Lake::open_with(mp_url, &opts).await.expect("open")).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().to_str().expect("utf-8");
        let local = Lake::unchecked(folder, &StoreOptions::default(), true).expect("local");
        let pull = sync(&opened, &local, &SyncOptions::default())
            .await
            .expect("pull");
        assert_eq!(pull.outcome, SyncOutcome::Created);
        assert_eq!(rows_at(&local, v3).await, rows_at(&src, v3).await);
        assert_sound(&local).await;
    });
}

#[test]
fn s3_racing_syncs_commit_each_version_once() {
    let Some(endpoint) = child_endpoint() else {
        return run_in_child("s3_racing_syncs_commit_each_version_once", "runlake-race");
    };
    block_on(async {
        let opts = options(endpoint);
        let (_, origin) = source("mem://origin", &[&["dd/shared"]]).await;
        let url = "s3://runlake-race/lake";
        let dst = Lake::unchecked(url, &opts, false).expect("s3");
        sync(&origin, &dst, &SyncOptions::default())
            .await
            .expect("seed");
        let (_, left) = common::mem_lake("mem://left");
        let (_, right) = common::mem_lake("mem://right");
        for lake in [&left, &right] {
            sync(&origin, lake, &SyncOptions::default())
                .await
                .expect("copy");
        }
        add_runs(&left, &["dd/left"], 41).await;
        add_runs(&right, &["dd/right"], 51).await;
        let plain = SyncOptions::default();
        let (a, b) = tokio::join!(sync(&left, &dst, &plain), sync(&right, &dst, &plain));
        let winner = match (&a, &b) {
            (Ok(_), Err(SyncError::Diverged(_))) => &left,
            (Err(SyncError::Diverged(_)), Ok(_)) => &right,
            other => panic!("expected one winner and one divergence: {other:?}"),
        };
        assert_eq!(
            manifest_bytes(&dst, 2).await,
            manifest_bytes(winner, 2).await
        );
        let loser = if std::ptr::eq(winner, &left) {
            &right
        } else {
            &left
        };
        let rebased = sync(
            loser,
            &dst,
            &SyncOptions {
                rebase: true,
                ..SyncOptions::default()
            },
        )
        .await
        .expect("rebase");
        assert_eq!(rebased.outcome, SyncOutcome::Rebased);
        assert_eq!(dst.list_versions().await.expect("list"), vec![0, 1, 2, 3]);
        let m = dst.latest().await.expect("latest");
        let evals = dst.read_table(&m, Table::Evals).await.expect("read");
        let rows: usize = evals.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 3 * 4);
        assert_sound(&dst).await;
    });
}

#[test]
fn s3_log_inspect_verify_and_read_a_remote_lake() {
    let Some(endpoint) = child_endpoint() else {
        return run_in_child(
            "s3_log_inspect_verify_and_read_a_remote_lake",
            "runlake-read",
        );
    };
    block_on(async {
        let opts = options(endpoint);
        let url = "s3://runlake-read/lake";
        let (_, src) = source("mem://src", &[&["dd/a"], &["dd/b"]]).await;
        sync(
            &src,
            &Lake::unchecked(url, &opts, false).expect("s3"),
            &SyncOptions::default(),
        )
        .await
        .expect("push");
        let lake = Lake::open_with(url, &opts).await.expect("open");
        // log
        assert_eq!(lake.list_versions().await.expect("log"), vec![0, 1, 2]);
        let mut kinds = Vec::new();
        for v in 0..=2 {
            kinds.push(lake.version(v).await.expect("version").operation.kind);
        }
        assert_eq!(kinds, ["init", "convert", "convert"]);
        // inspect
        let latest = lake.latest_snapshot().await.expect("inspect");
        assert_eq!(
            latest.manifest.table(Table::Evals).expect("evals").rows(),
            2 * 4
        );
        assert_eq!(
            latest.blake3,
            src.latest_snapshot().await.expect("src").blake3
        );
        // verify, shallow and deep
        for deep in [false, true] {
            let report = verify(&lake, deep).await.expect("verify");
            assert!(report.is_sound(), "{:?}", report.problems);
            assert_eq!(report.versions_checked, 3);
        }
        // read
        assert_eq!(rows_at(&lake, 2).await, rows_at(&src, 2).await);
    });
}

#[test]
fn a_lake_synced_to_s3_reads_through_delta_rs() {
    let Some(endpoint) = child_endpoint() else {
        return run_in_child(
            "a_lake_synced_to_s3_reads_through_delta_rs",
            "runlake-delta",
        );
    };
    block_on(async {
        let opts = options(endpoint.clone());
        let url = "s3://runlake-delta/team/lake";
        let (_, src) = source("mem://src", &[&["dd/a", "dd/b"], &["dd/c"], &["dd/a"]]).await;
        let remote = Lake::unchecked(url, &opts, false).expect("s3 location");
        sync(&src, &remote, &SyncOptions::default())
            .await
            .expect("push");
        let opened = Lake::open_with(url, &opts).await.expect("a lake on S3");
        let latest = opened.latest().await.expect("latest").version;
        let storage = serde_json::json!({
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        });
        let scratch = tempfile::tempdir().expect("scratch");
        let mut reads = Vec::new();
        for v in 0..=latest {
            for table in Table::ALL {
                reads.push(DeltaRead {
                    table,
                    uri: format!("{url}/{}", table.name()),
                    version: Some(v),
                });
            }
        }
        let got = read_delta("deltalake", &storage, &reads, scratch.path());
        let mut expected = Vec::new();
        for v in 0..=latest {
            expected.extend(rows_at(&opened, v).await);
        }
        for ((read, result), (table, rows)) in reads.iter().zip(got).zip(expected) {
            assert_eq!(read.table, table);
            let result = result.unwrap_or_else(|e| panic!("{table} at {:?}: {e}", read.version));
            assert_eq!(
                canonical_rows(&result),
                rows,
                "{table} at {:?}",
                read.version
            );
        }
    });
}
