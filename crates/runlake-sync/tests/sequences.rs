//! Random sequences of ordinary commands (convert, re-import, compact, gc with no grace, sync)
//! interleaved with stray, garbage and linked files placed in the lake, on the in-memory and
//! local stores. After every step each retained version reads back exactly what a model of the
//! lake expects, a synced copy equals the source, and a deep verify names only the strays the
//! sequence placed.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use object_store::{ObjectStoreExt, PutPayload};
use runlake_format::layout::version_path;
use runlake_lake::gc::gc;
use runlake_lake::testkit::{Rng, batch, canonical_rows};
use runlake_lake::verify::{ProblemKind, verify};
use runlake_lake::{Lake, LakeError, Table};
use runlake_sync::{SyncOptions, sync};

const RUNS: [&str; 4] = ["r/a", "r b", "r%c", "rd"];
const ROWS: usize = 4;

/// Which content each run has at a version.
type Model = BTreeMap<&'static str, u64>;

fn expected(model: &Model) -> Vec<String> {
    let batches: Vec<_> = model
        .iter()
        .map(|(run, seed)| batch(Table::Evals, &[run], ROWS, *seed))
        .collect();
    canonical_rows(&batches)
}

async fn rows(lake: &Lake, version: u64) -> Vec<String> {
    let m = lake.version(version).await.expect("version");
    canonical_rows(&lake.read_table(&m, Table::Evals).await.expect("read"))
}

/// Places a stray in the versions folder far beyond the chain, or (local lakes) a link in a
/// table folder to another lake's data files. Returns whether a stray now sits in the log.
async fn place_hazard(lake: &Lake, local: Option<&std::path::Path>, other: &Lake, pick: u64) {
    match (pick, local) {
        (0, _) => {
            let bytes = lake.version_file(0).await.expect("read").expect("v0").2;
            lake.objects()
                .put(
                    &Lake::object_path(&version_path(1 << 40)),
                    PutPayload::from(bytes),
                )
                .await
                .expect("stray");
        }
        (1, _) => {
            lake.objects()
                .put(
                    &Lake::object_path(&version_path(u64::MAX)),
                    PutPayload::from_static(b"garbage"),
                )
                .await
                .expect("stray");
        }
        (_, Some(root)) => {
            let target = std::path::PathBuf::from(other.location()).join("evals");
            let link = root.join("evals").join(format!("phase=link{pick}"));
            if !link.exists() {
                std::os::unix::fs::symlink(target, link).expect("link");
            }
        }
        _ => {}
    }
}

async fn remove_strays(lake: &Lake) {
    for v in [1 << 40, u64::MAX] {
        let _ = lake
            .objects()
            .delete(&Lake::object_path(&version_path(v)))
            .await;
    }
}

async fn run_sequence(seed: u64, lake: Lake, local: Option<std::path::PathBuf>) {
    let mut rng = Rng::new(seed);
    // Another lake whose files a link may point at; it must never lose a byte.
    let (_other_dir, other) = runlake_lake::testkit::local_lake().await;
    let mut otx = other.transaction("convert", "other");
    otx.upsert(Table::Evals, batch(Table::Evals, &["x"], ROWS, 7))
        .expect("upsert");
    otx.commit().await.expect("commit");
    let (_, mirror) = common::mem_lake("mirror");
    let mut models: BTreeMap<u64, Model> = BTreeMap::new();
    let mut model = Model::new();
    lake.init().await.expect("init");
    models.insert(lake.latest().await.expect("latest").version, model.clone());
    let mut strays = false;
    for step in 0..14 {
        let ctx = format!("seed {seed}, step {step}");
        match rng.below(6) {
            0 | 1 => {
                // Convert or re-import one run with one of two contents.
                let run = RUNS[rng.below(RUNS.len() as u64) as usize];
                let content = 1 + rng.below(2);
                let mut tx = lake.transaction("convert", run);
                tx.upsert(Table::Evals, batch(Table::Evals, &[run], ROWS, content))
                    .expect("upsert");
                let out = tx.commit().await.expect(&ctx);
                model.insert(run, content);
                if let Some(v) = out.version {
                    models.insert(v, model.clone());
                }
            }
            2 => {
                let out = runlake_lake::compact::compact(&lake, Table::Evals)
                    .await
                    .expect(&ctx);
                if let Some(v) = out.version {
                    models.insert(v, model.clone());
                }
            }
            3 => match gc(&lake, Duration::ZERO, false).await {
                Ok(report) => {
                    assert!(!strays, "{ctx}: gc ran with strays in the log");
                    for v in report.expired_versions {
                        models.remove(&v);
                    }
                }
                Err(LakeError::GcRefused { .. }) => assert!(strays, "{ctx}: refused"),
                Err(e) => panic!("{ctx}: {e}"),
            },
            4 => {
                sync(&lake, &mirror, &SyncOptions::default())
                    .await
                    .expect(&ctx);
                let top = mirror.latest().await.expect("mirror").version;
                assert_eq!(rows(&mirror, top).await, expected(&model), "{ctx}: mirror");
            }
            _ => {
                if rng.below(3) == 0 && strays {
                    remove_strays(&lake).await;
                    strays = false;
                } else {
                    let pick = rng.below(3);
                    place_hazard(&lake, local.as_deref(), &other, pick).await;
                    strays |= pick < 2;
                }
            }
        }
        for (v, m) in &models {
            assert_eq!(rows(&lake, *v).await, expected(m), "{ctx}: version {v}");
        }
        let report = verify(&lake, true).await.expect(&ctx);
        for p in &report.problems {
            assert_eq!(p.kind, ProblemKind::StrayFile, "{ctx}: {p:?}");
        }
        assert_eq!(
            report.problems.is_empty(),
            !strays,
            "{ctx}: {:?}",
            report.problems
        );
        assert!(
            verify(&other, true).await.expect("other").is_sound(),
            "{ctx}"
        );
    }
}

#[tokio::test]
async fn random_sequences_in_memory() {
    for seed in 1..=6 {
        let (_, lake) = common::mem_lake("memory lake");
        run_sequence(seed, lake, None).await;
    }
}

#[tokio::test]
async fn random_sequences_on_a_local_lake() {
    for seed in 11..=16 {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("lake");
        let lake = Lake::create(root.to_str().expect("utf8"))
            .await
            .expect("create");
        run_sequence(seed, lake, Some(root)).await;
    }
}
