//! verify catches damage and names it; a newer format is refused; gc deletes only garbage.

use std::time::Duration;

use object_store::ObjectStoreExt;

use runlake_lake::gc::gc;
use runlake_lake::testkit::batch;
use runlake_lake::verify::{ProblemKind, VerifyReport, verify};
use runlake_lake::{Lake, LakeError, Table};

async fn local_lake() -> (tempfile::TempDir, String, Lake) {
    let (dir, lake) = runlake_lake::testkit::local_lake().await;
    let location = lake.location().to_owned();
    three_versions(&lake).await;
    (dir, location, lake)
}

/// Versions 1 to 3, one run each.
async fn three_versions(lake: &Lake) {
    for (i, run) in ["a", "b", "c"].iter().enumerate() {
        let mut tx = lake.transaction("convert", run);
        tx.upsert(Table::Evals, batch(Table::Evals, &[run], 5, i as u64))
            .expect("upsert");
        tx.commit().await.expect("commit");
    }
}

#[tokio::test]
async fn deep_verify_names_flipped_truncated_and_deleted_files() {
    let (_dir, location, lake) = local_lake().await;
    assert!(verify(&lake, true).await.expect("verify").is_sound());
    let m = lake.latest().await.expect("latest");
    let files = &m.table(Table::Evals).expect("evals").files;
    assert!(files.len() >= 3);
    let on_disk = |rel: &str| std::path::Path::new(&location).join(rel);

    let flipped = &files[0].path;
    let mut bytes = std::fs::read(on_disk(flipped)).expect("read");
    bytes[10] ^= 0x01;
    std::fs::write(on_disk(flipped), bytes).expect("write");
    let truncated = &files[1].path;
    let bytes = std::fs::read(on_disk(truncated)).expect("read");
    std::fs::write(on_disk(truncated), &bytes[..bytes.len() - 3]).expect("write");
    let deleted = &files[2].path;
    std::fs::remove_file(on_disk(deleted)).expect("delete");

    // A shallow check compares sizes only, so it cannot see the flip.
    let shallow = verify(&lake, false).await.expect("verify");
    assert_eq!(
        problems(&shallow),
        sorted(vec![
            (truncated.clone(), ProblemKind::Resized),
            (deleted.clone(), ProblemKind::Missing),
        ])
    );
    let deep = verify(&lake, true).await.expect("verify");
    assert_eq!(
        problems(&deep),
        sorted(vec![
            (flipped.clone(), ProblemKind::HashMismatch),
            (truncated.clone(), ProblemKind::Resized),
            (deleted.clone(), ProblemKind::Missing),
        ])
    );
}

/// Each problem's path and kind, ordered by path.
fn problems(report: &VerifyReport) -> Vec<(String, ProblemKind)> {
    sorted(
        report
            .problems
            .iter()
            .map(|p| (p.path.clone(), p.kind))
            .collect(),
    )
}

fn sorted(mut problems: Vec<(String, ProblemKind)>) -> Vec<(String, ProblemKind)> {
    problems.sort_by(|a, b| a.0.cmp(&b.0));
    problems
}

#[tokio::test]
async fn verify_names_an_edited_manifest() {
    let (_dir, location, lake) = local_lake().await;
    for v in [1, 3] {
        // An older version and the latest: the latest has no child whose link would notice.
        let rel = runlake_format::layout::version_path(v);
        let path = std::path::Path::new(&location).join(&rel);
        let text = std::fs::read_to_string(&path).expect("read");
        let edited = text.replacen("\"rows\": ", "\"rows\": 1", 1);
        assert!(edited != text, "the edit changed nothing");
        std::fs::write(&path, edited).expect("write");
        let report = verify(&lake, false).await.expect("verify");
        let found: Vec<_> = report.problems.iter().filter(|p| p.path == rel).collect();
        assert_eq!(found.len(), 1, "{:?}", report.problems);
        assert_eq!(found[0].kind, ProblemKind::BrokenManifest);
        assert!(
            found[0].detail.contains("edited or corrupted"),
            "{}",
            found[0].detail
        );
        std::fs::write(&path, text).expect("restore");
    }
    assert!(verify(&lake, false).await.expect("verify").is_sound());
}

#[tokio::test]
async fn a_newer_major_format_is_refused() {
    let (_dir, location, _) = local_lake().await;
    let rel = runlake_format::layout::version_path(3);
    let path = std::path::Path::new(&location).join(&rel);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("\"major\": 1", "\"major\": 9")).expect("write");
    let err = match Lake::open(&location).await {
        Ok(lake) => lake.latest().await.expect_err("refused"),
        Err(e) => e,
    };
    assert!(matches!(err, LakeError::Manifest { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("format version 9.") && msg.contains(&rel),
        "{msg}"
    );
}

#[tokio::test]
async fn gc_deletes_only_unreferenced_old_files() {
    let (_dir, location, lake) = local_lake().await;
    // Replace run `a`: its old file is now referenced only by older versions.
    let mut tx = lake.transaction("reimport", "a");
    tx.delete_runs(Table::Evals, ["a"]);
    tx.upsert(Table::Evals, batch(Table::Evals, &["a"], 2, 42))
        .expect("upsert");
    tx.commit().await.expect("commit");
    // An orphan from a writer that never committed.
    let orphan = format!(
        "evals/phase=pretrain/{}.parquet",
        runlake_format::ContentHash::of(b"x")
    );
    std::fs::write(std::path::Path::new(&location).join(&orphan), b"x").expect("orphan");

    // Within the grace period nothing goes.
    let young = gc(&lake, Duration::from_secs(3600), false)
        .await
        .expect("gc");
    assert!(young.deleted_files.is_empty() && young.expired_versions.is_empty());

    let dry = gc(&lake, Duration::ZERO, true).await.expect("dry run");
    assert_eq!(dry.expired_versions, vec![0, 1, 2, 3]);
    assert!(
        dry.deleted_files.iter().any(|(p, _)| *p == orphan),
        "{:?}",
        dry.deleted_files
    );
    assert!(
        verify(&lake, true).await.expect("verify").is_sound(),
        "dry run changed nothing"
    );

    let done = gc(&lake, Duration::ZERO, false).await.expect("gc");
    assert_eq!(done.deleted_files, dry.deleted_files);
    assert!(!std::path::Path::new(&location).join(&orphan).exists());
    let report = verify(&lake, true).await.expect("verify");
    assert!(report.is_sound(), "{:?}", report.problems);
    let m = lake.latest().await.expect("latest");
    let rows: usize = lake
        .read_table(&m, Table::Evals)
        .await
        .expect("read")
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 2 + 5 + 5);
    let err = lake.version(1).await.expect_err("expired");
    assert!(err.to_string().contains("expired by gc"), "{err}");
}

/// Commits three versions after `init` (0..=3), then deletes the file of version 2, the
/// parent of the latest.
async fn lose_version_two(lake: &Lake) -> String {
    three_versions(lake).await;
    let rel = runlake_format::layout::version_path(2);
    lake.objects()
        .delete(&Lake::object_path(&rel))
        .await
        .expect("delete version 2");
    rel
}

/// A lake that lost an old version file is an error naming it, for readers and writers alike:
/// neither an older version read in its place nor a commit forking the history from there.
async fn check_lost_version(lake: &Lake, rel: &str) {
    let err = lake
        .latest()
        .await
        .expect_err("an older version was returned");
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            LakeError::Manifest {
                source: runlake_format::ManifestError::VersionMissing {
                    version: 2,
                    later: 3
                },
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains(rel) && msg.contains("restore"), "{msg}");

    let mut tx = lake.transaction("convert", "d");
    tx.upsert(Table::Evals, batch(Table::Evals, &["d"], 5, 9))
        .expect("upsert");
    assert!(tx.commit().await.is_err(), "a commit forked the history");
    let gone = lake
        .objects()
        .head(&Lake::object_path(rel))
        .await
        .expect_err("a version 2 was written");
    assert!(
        matches!(gone, object_store::Error::NotFound { .. }),
        "{gone}"
    );
    assert!(gc(lake, Duration::ZERO, false).await.is_err(), "gc ran");

    let report = verify(lake, false).await.expect("verify");
    let found = problems(&report);
    assert!(
        found.contains(&(rel.to_owned(), ProblemKind::BrokenLink)),
        "{found:?}"
    );
    let later = runlake_format::layout::version_path(3);
    assert!(
        found.contains(&(later, ProblemKind::BrokenLink)),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_lost_version_file_stops_reads_and_commits_on_a_local_folder() {
    let (_dir, lake) = runlake_lake::testkit::local_lake().await;
    let rel = lose_version_two(&lake).await;
    let bytes_before = lake.version_file(3).await.expect("read").map(|v| v.2);
    // The log still opens, so `verify` and `log` can say what is wrong.
    let reopened = Lake::open(lake.location()).await.expect("opens");
    check_lost_version(&reopened, &rel).await;
    // Without the hint the folder is listed; the answer is the same.
    std::fs::remove_file(std::path::Path::new(lake.location()).join("_runlake/_latest"))
        .expect("remove hint");
    check_lost_version(&lake, &rel).await;
    assert_eq!(
        lake.version_file(3).await.expect("read").map(|v| v.2),
        bytes_before
    );
}

#[tokio::test]
async fn a_stale_hint_below_a_lost_version_file_does_not_hide_the_versions_past_it() {
    let (_dir, lake) = runlake_lake::testkit::local_lake().await;
    three_versions(&lake).await;
    let mut tx = lake.transaction("convert", "d");
    tx.upsert(Table::Evals, batch(Table::Evals, &["d"], 5, 7))
        .expect("upsert");
    tx.commit().await.expect("commit");
    let newest = lake.latest().await.expect("latest").version;
    assert_eq!(newest, 4);
    lake.objects()
        .delete(&Lake::object_path(&runlake_format::layout::version_path(2)))
        .await
        .expect("delete version 2");
    // The hint names a version below the gap, as one left from before the last commits would.
    let hint = std::path::Path::new(lake.location()).join("_runlake/_latest");
    std::fs::write(&hint, "1\n").expect("stale hint");

    let reopened = Lake::open(lake.location()).await.expect("opens");
    assert_eq!(reopened.latest().await.expect("latest").version, newest);
    std::fs::write(&hint, "1\n").expect("stale hint");
    let mut tx = reopened.transaction("convert", "e");
    tx.upsert(Table::Evals, batch(Table::Evals, &["e"], 5, 8))
        .expect("upsert");
    tx.commit().await.expect("commit");
    // The commit went on top of the newest version, not into the lost number.
    assert_eq!(reopened.latest().await.expect("latest").version, newest + 1);
    let lost = reopened
        .objects()
        .head(&Lake::object_path(&runlake_format::layout::version_path(2)))
        .await
        .expect_err("a version 2 was written");
    assert!(
        matches!(lost, object_store::Error::NotFound { .. }),
        "{lost}"
    );
}

#[tokio::test]
async fn a_lost_version_file_stops_reads_and_commits_in_memory() {
    let lake = Lake::in_memory();
    lake.init().await.expect("init");
    let rel = lose_version_two(&lake).await;
    check_lost_version(&lake, &rel).await;
}

#[tokio::test]
async fn a_restored_version_file_makes_the_lake_whole_again() {
    let (_dir, lake) = runlake_lake::testkit::local_lake().await;
    three_versions(&lake).await;
    let path = std::path::Path::new(lake.location()).join(runlake_format::layout::version_path(2));
    let kept = std::fs::read(&path).expect("read");
    std::fs::remove_file(&path).expect("lose");
    assert!(lake.latest().await.is_err());
    std::fs::write(&path, kept).expect("restore");
    assert_eq!(lake.latest().await.expect("latest").version, 3);
    assert!(verify(&lake, false).await.expect("verify").is_sound());
}

/// A manifest of another lake, valid on its own, far above this lake's versions is a stray:
/// it neither hides this lake's latest version nor stops it.
#[tokio::test]
async fn another_lakes_manifest_above_the_chain_is_a_stray() {
    let (_dir, lake) = runlake_lake::testkit::local_lake().await;
    let (_other_dir, other) = runlake_lake::testkit::local_lake().await;
    three_versions(&other).await;
    let rel = runlake_format::layout::version_path(3);
    std::fs::copy(
        std::path::Path::new(other.location()).join(&rel),
        std::path::Path::new(lake.location()).join(&rel),
    )
    .expect("copy");
    assert_eq!(lake.latest().await.expect("latest").version, 0);
    let report = verify(&lake, false).await.expect("verify");
    assert_eq!(problems(&report), vec![(rel, ProblemKind::StrayFile)]);
}

#[tokio::test]
async fn a_folder_at_the_next_version_file_is_named_by_verify() {
    let (_dir, location, lake) = local_lake().await;
    let rel = runlake_format::layout::version_path(4);
    std::fs::create_dir(std::path::Path::new(&location).join(&rel)).expect("mkdir");
    let report = verify(&lake, false).await.expect("verify");
    assert_eq!(
        problems(&report),
        vec![(rel.clone(), ProblemKind::StrayFile)]
    );
    // It stops the next commit, which says where; the versions before it stay readable.
    let mut tx = lake.transaction("convert", "d");
    tx.upsert(Table::Evals, batch(Table::Evals, &["d"], 5, 9))
        .expect("upsert");
    let err = tx.commit().await.expect_err("blocked");
    assert!(err.to_string().contains(&rel), "{err}");
    assert_eq!(lake.latest().await.expect("latest").version, 3);
    std::fs::remove_dir(std::path::Path::new(&location).join(&rel)).expect("rmdir");
    assert!(verify(&lake, false).await.expect("verify").is_sound());
}

#[cfg(unix)]
#[tokio::test]
async fn a_link_leading_nowhere_at_the_next_version_file_is_named_by_verify() {
    let (dir, location, lake) = local_lake().await;
    let rel = runlake_format::layout::version_path(4);
    let at = std::path::Path::new(&location).join(&rel);
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &at).expect("link");
    let report = verify(&lake, false).await.expect("verify");
    assert_eq!(
        problems(&report),
        vec![(rel.clone(), ProblemKind::StrayFile)]
    );
    let mut tx = lake.transaction("convert", "d");
    tx.upsert(Table::Evals, batch(Table::Evals, &["d"], 5, 9))
        .expect("upsert");
    let err = tx.commit().await.expect_err("blocked");
    assert!(err.to_string().contains(&rel), "{err}");
    assert_eq!(lake.latest().await.expect("latest").version, 3);
    std::fs::remove_file(&at).expect("unlink");
    assert!(verify(&lake, false).await.expect("verify").is_sound());
}
