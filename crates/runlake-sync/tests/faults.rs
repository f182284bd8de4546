//! A sync failing at any request to the destination, before or after the request is performed,
//! leaves the destination readable at its previous version or a version of the source, and a
//! rerun completes it without re-sending what landed.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{add_runs, assert_sound, copied, over, rows_at};
use futures::TryStreamExt;
use runlake_lake::Lake;
use runlake_lake::testkit::faulty::{FaultMode, FaultyStore};
use runlake_sync::{SyncOptions, sync};

async fn data_files(lake: &Lake) -> BTreeSet<String> {
    let listed: Vec<_> = lake.objects().list(None).try_collect().await.expect("list");
    listed
        .into_iter()
        .map(|m| m.location.to_string())
        .filter(|p| p.ends_with(".parquet"))
        .collect()
}

#[tokio::test]
async fn a_fault_at_every_destination_request_is_survived_and_a_rerun_completes() {
    for (mode, threshold) in [
        (FaultMode::Before, u64::MAX),
        (FaultMode::After, u64::MAX),
        (FaultMode::Before, 0),
    ] {
        let mut k = 1;
        loop {
            let (src, store, dst) = copied(&[&["dd/a"]]).await;
            add_runs(&src, &["dd/b"], 2).await;
            add_runs(&src, &["dd/c", "dd/d"], 3).await;
            let faulty = Arc::new(FaultyStore::new(Arc::clone(&store), k, mode));
            let opts = SyncOptions {
                multipart_threshold: threshold,
                part_size: 512,
                ..SyncOptions::default()
            };
            let result = sync(&src, &over(&dst, faulty.clone()), &opts).await;
            let hit = faulty.requests() >= k;

            let at = dst.latest().await.expect("readable").version;
            assert!((1..=3).contains(&at), "k={k} {mode:?}: version {at}");
            assert_eq!(rows_at(&dst, at).await, rows_at(&src, at).await, "k={k}");
            assert_sound(&dst).await;
            if !hit {
                let report = result.expect("no fault, no error");
                assert_eq!(report.destination_after, Some(3));
                break;
            }

            let landed = data_files(&dst).await;
            let rerun = sync(&src, &dst, &SyncOptions::default())
                .await
                .unwrap_or_else(|e| panic!("k={k} {mode:?}: rerun failed: {e}"));
            for f in &rerun.files {
                assert!(!landed.contains(&f.path), "k={k}: {} sent twice", f.path);
            }
            assert_eq!(dst.latest().await.expect("latest").version, 3);
            assert_eq!(rows_at(&dst, 3).await, rows_at(&src, 3).await);
            assert_sound(&dst).await;
            k += 1;
        }
        assert!(k > 8, "{mode:?}: only {k} requests");
    }
}
