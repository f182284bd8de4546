//! A failure at any request of a commit leaves every committed version readable and the lake
//! verifiably sound, and retrying the commit applies it exactly once.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::memory::InMemory;
use object_store::path::Path;
use runlake_lake::testkit::faulty::{FaultMode, FaultyStore};
use runlake_lake::testkit::{batch, canonical_rows};
use runlake_lake::verify::verify;
use runlake_lake::{Lake, LakeConfig, Table};

fn quick(lake: Lake) -> Lake {
    lake.with_config(LakeConfig {
        backoff_base: std::time::Duration::from_millis(1),
        ..LakeConfig::default()
    })
}

async fn seeded() -> (Arc<dyn ObjectStore>, Lake) {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let lake = quick(Lake::from_store(
        Arc::clone(&store),
        Path::from("lake"),
        "mem",
        true,
    ));
    lake.init().await.expect("init");
    let mut tx = lake.transaction("seed", "");
    tx.upsert(Table::Evals, batch(Table::Evals, &["old"], 6, 1))
        .expect("upsert");
    tx.commit().await.expect("seed commit");
    (store, lake)
}

async fn the_change(lake: &Lake) -> runlake_lake::Result<runlake_lake::CommitOutcome> {
    let mut tx = lake.transaction("convert", "");
    tx.upsert(Table::Evals, batch(Table::Evals, &["new"], 6, 2))
        .expect("upsert");
    tx.upsert(Table::Metadata, batch(Table::Metadata, &["new"], 1, 3))
        .expect("upsert");
    tx.commit().await
}

#[tokio::test]
async fn a_fault_at_every_request_of_a_commit_is_survived() {
    // Count the requests of a clean commit first.
    let (store, _) = seeded().await;
    let counting = Arc::new(FaultyStore::new(Arc::clone(&store), 0, FaultMode::Before));
    let lake = quick(Lake::from_store(
        counting.clone(),
        Path::from("lake"),
        "mem",
        true,
    ));
    the_change(&lake).await.expect("clean commit");
    let requests = counting.requests();
    assert!(
        requests >= 4,
        "a commit makes several requests, saw {requests}"
    );

    let expected_evals = canonical_rows(&[
        batch(Table::Evals, &["old"], 6, 1),
        batch(Table::Evals, &["new"], 6, 2),
    ]);
    for mode in [FaultMode::Before, FaultMode::After] {
        let mut surfaced = 0;
        let mut k = 1;
        loop {
            let (store, clean) = seeded().await;
            let faulty = Arc::new(FaultyStore::new(Arc::clone(&store), k, mode));
            let lake = quick(Lake::from_store(
                faulty.clone(),
                Path::from("lake"),
                "mem",
                true,
            ));
            let first = the_change(&lake).await;
            // Past the last request of the commit nothing fails: that ends the sweep.
            let hit = faulty.requests() >= k;

            let report = verify(&clean, true).await.expect("verify runs");
            assert!(report.is_sound(), "{mode:?} k={k}: {:?}", report.problems);
            let v1 = clean.version(1).await.expect("version 1 stays readable");
            assert_eq!(
                clean
                    .read_table(&v1, Table::Evals)
                    .await
                    .expect("read v1")
                    .iter()
                    .map(|b| b.num_rows())
                    .sum::<usize>(),
                6
            );
            let latest = clean.latest().await.expect("latest").version;
            assert!(
                latest == 1 || latest == 2,
                "{mode:?} k={k}: latest {latest}"
            );
            if !hit {
                let outcome = first.expect("no fault, no error");
                assert_eq!(outcome.version, Some(2), "{mode:?} k={k}");
                assert_eq!(latest, 2, "{mode:?} k={k}");
                break;
            }
            match &first {
                Ok(outcome) => {
                    assert_eq!(outcome.version, Some(2), "{mode:?} k={k}");
                    assert_eq!(latest, 2, "{mode:?} k={k}");
                }
                Err(e) => {
                    surfaced += 1;
                    assert!(
                        e.to_string().contains("injected fault"),
                        "{mode:?} k={k}: {e}"
                    );
                }
            }

            // The user re-runs the command: it applies once, whatever happened before.
            let retry = the_change(&clean).await.expect("retry commits");
            let m = clean.latest().await.expect("latest");
            assert_eq!(
                m.version, 2,
                "{mode:?} k={k}: retry made version {:?}",
                retry.version
            );
            let evals = clean.read_table(&m, Table::Evals).await.expect("read");
            assert_eq!(canonical_rows(&evals), expected_evals, "{mode:?} k={k}");
            assert!(verify(&clean, true).await.expect("verify").is_sound());
            k += 1;
        }
        // Every request of the clean commit was failed once, and some of those faults reached
        // the caller rather than all being absorbed by retries.
        assert!(
            k > requests,
            "{mode:?}: the sweep stopped at {k} of {requests}"
        );
        assert!(
            surfaced > 0,
            "{mode:?}: no injected fault reached the caller"
        );
    }
}
