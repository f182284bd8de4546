//! Racing writers: every transaction lands exactly once, versions are gapless, no row is lost.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use runlake_format::layout::version_path;
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
async fn racing_writers_on_the_same_run_never_mix_rows() {
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

/// Lets a rival writer commit version 1 at the moment the wrapped writer first tries to create
/// it, so the wrapped writer always loses the race: scheduling decides nothing.
#[derive(Debug)]
struct RivalFirst {
    inner: Arc<dyn ObjectStore>,
    rival_run: &'static str,
    fired: AtomicBool,
}

impl fmt::Display for RivalFirst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RivalFirst({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for RivalFirst {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        if location.as_ref().ends_with(&version_path(1)) && !self.fired.swap(true, Ordering::SeqCst)
        {
            let rival = quick(Lake::from_store(
                Arc::clone(&self.inner),
                Path::from("lake"),
                "mem",
                true,
            ));
            let mut tx = rival.transaction("reimport", self.rival_run);
            tx.upsert(Table::Evals, batch(Table::Evals, &[self.rival_run], 4, 99))
                .expect("upsert");
            let won = tx.commit().await.expect("the rival commits");
            assert_eq!(won.version, Some(1), "the rival takes version 1");
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// A writer whose commit of run `same` is overtaken by a rival committing `rival_run`.
async fn overtaken(
    rival_run: &'static str,
) -> (Lake, runlake_lake::Result<runlake_lake::CommitOutcome>) {
    let inner: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let check = quick(Lake::from_store(
        Arc::clone(&inner),
        Path::from("lake"),
        "mem",
        true,
    ));
    check.init().await.expect("init");
    let store = Arc::new(RivalFirst {
        inner,
        rival_run,
        fired: AtomicBool::new(false),
    });
    let lake = quick(Lake::from_store(
        store.clone(),
        Path::from("lake"),
        "mem",
        true,
    ));
    let mut tx = lake.transaction("convert", "same");
    tx.upsert(Table::Evals, batch(Table::Evals, &["same"], 4, 1))
        .expect("upsert");
    let result = tx.commit().await;
    assert!(store.fired.load(Ordering::SeqCst), "the rival never ran");
    (check, result)
}

#[tokio::test]
async fn a_writer_overtaken_on_the_same_run_conflicts_clearly() {
    let (lake, result) = overtaken("same").await;
    let e = result.expect_err("the overtaken writer must not commit");
    assert!(matches!(e, LakeError::Conflict { version: 1, .. }), "{e}");
    let message = e.to_string();
    assert!(
        message.starts_with(
            "commit conflict at version 1: it also changed run `same` in table evals (reimport by "
        ),
        "{message}"
    );
    assert!(
        message.ends_with("re-run the command to apply it on top of the new version"),
        "{message}"
    );
    // Only the rival's rows are there: the loser left nothing behind.
    let m = lake.latest().await.expect("latest");
    assert_eq!(m.version, 1);
    assert_eq!(
        canonical_rows(&lake.read_table(&m, Table::Evals).await.expect("read")),
        canonical_rows(&[batch(Table::Evals, &["same"], 4, 99)])
    );
}

#[tokio::test]
async fn a_writer_overtaken_on_another_run_rebases() {
    let (lake, result) = overtaken("other").await;
    let outcome = result.expect("disjoint runs commute");
    assert_eq!(outcome.version, Some(2));
    let m = lake.latest().await.expect("latest");
    assert_eq!(
        canonical_rows(&lake.read_table(&m, Table::Evals).await.expect("read")),
        canonical_rows(&[
            batch(Table::Evals, &["other"], 4, 99),
            batch(Table::Evals, &["same"], 4, 1),
        ])
    );
}
