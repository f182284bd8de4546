//! Racing writers: every transaction lands exactly once, versions are gapless, no row is lost.

use runlake_lake::testkit::{batch, canonical_rows};
use runlake_lake::{Lake, LakeConfig, LakeError, Table};

const WRITERS: usize = 8;

fn quick(lake: Lake) -> Lake {
    lake.with_config(LakeConfig {
        backoff_base: std::time::Duration::from_millis(2),
        max_commit_attempts: 40,
        ..LakeConfig::default()
    })
}

async fn race(handles: Vec<Lake>) {
    let check = handles[0].clone();
    let mut tasks = Vec::new();
    for (i, lake) in handles.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let run = format!("wandb/e/p/run-{i}");
            let mut tx = lake.transaction("convert", &run);
            tx.upsert(
                Table::PosttrainSteps,
                batch(Table::PosttrainSteps, &[run.as_str()], 50, i as u64),
            )
            .expect("upsert");
            tx.upsert(
                Table::Metadata,
                batch(Table::Metadata, &[run.as_str()], 1, i as u64),
            )
            .expect("upsert");
            tx.commit().await
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        let outcome = t.await.expect("task").expect("every writer commits");
        versions.push(outcome.version.expect("a new version"));
    }
    versions.sort_unstable();
    assert_eq!(
        versions,
        (1..=WRITERS as u64).collect::<Vec<_>>(),
        "one version each, gapless"
    );
    assert_eq!(
        check.list_versions().await.expect("versions"),
        (0..=WRITERS as u64).collect::<Vec<_>>()
    );
    let m = check.latest().await.expect("latest");
    let steps = check
        .read_table(&m, Table::PosttrainSteps)
        .await
        .expect("read");
    let expected: Vec<_> = (0..WRITERS)
        .map(|i| {
            batch(
                Table::PosttrainSteps,
                &[format!("wandb/e/p/run-{i}").as_str()],
                50,
                i as u64,
            )
        })
        .collect();
    assert_eq!(
        canonical_rows(&steps),
        canonical_rows(&expected),
        "no row lost or doubled"
    );
    assert!(
        runlake_lake::verify::verify(&check, true)
            .await
            .expect("verify")
            .is_sound()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_in_memory() {
    let lake = quick(Lake::in_memory());
    lake.init().await.expect("init");
    race(vec![lake; WRITERS]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_on_a_local_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = dir.path().join("lake");
    let location = location.to_str().expect("utf8 path");
    Lake::create(location).await.expect("create");
    let mut handles = Vec::new();
    for _ in 0..WRITERS {
        handles.push(quick(Lake::open(location).await.expect("open")));
    }
    race(handles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_on_the_same_run_conflict_clearly() {
    let lake = quick(Lake::in_memory());
    lake.init().await.expect("init");
    let mut tasks = Vec::new();
    for i in 0..WRITERS as u64 {
        let lake = lake.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = lake.transaction("convert", "");
            tx.upsert(Table::Evals, batch(Table::Evals, &["same"], 4, i))
                .expect("upsert");
            tx.commit().await
        }));
    }
    let mut committed = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(o) => {
                assert!(o.version.is_some());
                committed += 1;
            }
            Err(e) => {
                assert!(matches!(e, LakeError::Conflict { .. }), "{e}");
                assert!(e.to_string().contains("run `same` in table evals"), "{e}");
            }
        }
    }
    assert!(committed >= 1);
    // Whoever won last, the table holds exactly one writer's rows, never a mix.
    let m = lake.latest().await.expect("latest");
    let rows = canonical_rows(&lake.read_table(&m, Table::Evals).await.expect("read"));
    let candidates: Vec<_> = (0..WRITERS as u64)
        .map(|i| canonical_rows(&[batch(Table::Evals, &["same"], 4, i)]))
        .collect();
    assert!(candidates.contains(&rows), "{rows:?}");
}
