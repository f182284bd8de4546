//! gc with no grace period racing writers that re-import earlier content (so they reuse the
//! very files gc is collecting) never leaves a version that references a missing file.

use std::time::Duration;

use runlake_lake::gc::gc;
use runlake_lake::testkit::batch;
use runlake_lake::verify::verify;
use runlake_lake::{Lake, Table};

async fn race(lake: Lake, rounds: u64) {
    for run in ["a", "b", "c"] {
        let mut tx = lake.transaction("convert", run);
        tx.upsert(Table::Evals, batch(Table::Evals, &[run], 6, 1))
            .expect("upsert");
        tx.commit().await.expect("commit");
    }
    for round in 0..rounds {
        let run = ["a", "b", "c"][(round % 3) as usize];
        // Supersede the run's file, then race gc (which now sees that file as garbage) against
        // a writer that brings the same content back, reusing the file gc is deleting.
        let mut tx = lake.transaction("reimport", run);
        tx.upsert(Table::Evals, batch(Table::Evals, &[run], 6, 2))
            .expect("upsert");
        tx.commit().await.expect("commit");
        let seed = 1;
        let writer = {
            let lake = lake.clone();
            tokio::spawn(async move {
                let mut tx = lake.transaction("reimport", run);
                tx.upsert(Table::Evals, batch(Table::Evals, &[run], 6, seed))
                    .expect("upsert");
                tx.commit().await
            })
        };
        let collector = {
            let lake = lake.clone();
            tokio::spawn(async move { gc(&lake, Duration::ZERO, false).await })
        };
        let (w, c) = (writer.await.expect("join"), collector.await.expect("join"));
        w.expect("the commit succeeds");
        c.expect("gc succeeds");
        let report = verify(&lake, false).await.expect("verify");
        assert!(report.is_sound(), "round {round}: {:?}", report.problems);
        let latest = lake.latest().await.expect("latest");
        lake.read_table(&latest, Table::Evals)
            .await
            .expect("the latest version reads back");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gc_racing_reimports_on_a_local_lake() {
    let (_dir, lake) = runlake_lake::testkit::local_lake().await;
    race(lake, 24).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gc_racing_reimports_in_memory() {
    race(Lake::in_memory(), 24).await;
}
