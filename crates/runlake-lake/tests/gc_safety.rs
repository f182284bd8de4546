//! Ordinary commands never delete live data, whatever stray, broken or linked files sit in the
//! lake: gc decides from the validated chain only, never leaves the lake's own table folders,
//! and absurd version files are reported, not followed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use runlake_format::layout::version_path;
use runlake_lake::gc::gc;
use runlake_lake::testkit::{batch, canonical_rows};
use runlake_lake::verify::{ProblemKind, verify};
use runlake_lake::{Lake, LakeError, Table};

/// A local lake with three committed versions over runs a, b, c, and an older file superseded
/// by a re-import (so there is garbage to collect).
async fn lake_with_garbage() -> (tempfile::TempDir, PathBuf, Lake) {
    let (dir, lake) = runlake_lake::testkit::local_lake().await;
    let root = PathBuf::from(lake.location());
    for (i, run) in ["a", "b", "c"].iter().enumerate() {
        let mut tx = lake.transaction("convert", run);
        tx.upsert(Table::Evals, batch(Table::Evals, &[run], 5, i as u64))
            .expect("upsert");
        tx.commit().await.expect("commit");
    }
    let mut tx = lake.transaction("reimport", "a again");
    tx.upsert(Table::Evals, batch(Table::Evals, &["a"], 5, 99))
        .expect("upsert");
    tx.commit().await.expect("commit");
    (dir, root, lake)
}

fn live_files(root: &Path, lake_manifest: &runlake_format::Manifest) -> Vec<PathBuf> {
    lake_manifest
        .all_files()
        .map(|(_, f)| root.join(&f.path))
        .collect()
}

async fn rows(lake: &Lake) -> Vec<String> {
    let m = lake.version(4).await.expect("version 4");
    canonical_rows(&lake.read_table(&m, Table::Evals).await.expect("read"))
}

/// What must hold after gc refused: nothing expired, nothing deleted, the same rows.
async fn assert_untouched(lake: &Lake, root: &Path, before: &[String], files: usize) {
    for v in 0..=4 {
        lake.version(v).await.expect("no version was expired");
    }
    assert_eq!(rows(lake).await, before);
    let on_disk = walk_parquet(&root.join("evals"));
    assert_eq!(on_disk.len(), files, "no data file was deleted");
}

fn walk_parquet(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        let meta = std::fs::symlink_metadata(&p).expect("meta");
        if meta.is_dir() {
            out.extend(walk_parquet(&p));
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn gc_changes_nothing_when_the_versions_folder_holds_what_it_cannot_explain() {
    let (_dir, root, lake) = lake_with_garbage().await;
    let before = rows(&lake).await;
    let files = walk_parquet(&root.join("evals")).len();
    let v2 = std::fs::read(root.join(version_path(2))).expect("v2");
    let strays: Vec<(u64, Vec<u8>)> = vec![
        (5, b"not json at all".to_vec()),
        (5, v2[..v2.len() / 2].to_vec()),
        (5, v2.clone()),
        (100_000, v2.clone()),
        (u64::MAX, v2.clone()),
    ];
    for (at, bytes) in strays {
        let path = root.join(version_path(at));
        std::fs::write(&path, &bytes).expect("stray");
        if at == 5 {
            // Right after the latest version, a broken file might be a damaged newest version:
            // reads stop and name it rather than silently return the version before.
            let err = lake.latest().await.expect_err("named");
            assert!(err.to_string().contains(&version_path(5)), "{err}");
        } else {
            // Far from the chain, it is a stray: reads pass over it.
            assert_eq!(lake.latest().await.expect("latest").version, 4);
        }
        let err = gc(&lake, Duration::ZERO, false)
            .await
            .expect_err("gc must refuse");
        assert!(matches!(err, LakeError::GcRefused { .. }), "{err}");
        let name = version_path(at);
        assert!(err.to_string().contains(&name), "{err}");
        assert_untouched(&lake, &root, &before, files).await;
        // A second run refuses again: nothing was half done.
        assert!(gc(&lake, Duration::ZERO, false).await.is_err());
        assert_untouched(&lake, &root, &before, files).await;
        std::fs::remove_file(&path).expect("remove stray");
    }
    // With the folder clean, gc collects the superseded file and keeps every live one.
    let report = gc(&lake, Duration::ZERO, false).await.expect("gc");
    // The re-import superseded one file in each of the two partitions.
    assert_eq!(report.deleted_files.len(), 2, "{report:?}");
    assert_eq!(rows(&lake).await, before);
    assert!(verify(&lake, true).await.expect("verify").is_sound());
}

#[tokio::test]
async fn verify_and_the_log_report_absurd_version_files_and_go_on() {
    let (_dir, root, lake) = lake_with_garbage().await;
    let v1 = std::fs::read(root.join(version_path(1))).expect("v1");
    std::fs::write(root.join(version_path(u64::MAX)), &v1).expect("stray");
    std::fs::write(root.join(version_path(100_000)), b"{}").expect("stray");
    std::fs::write(root.join("_runlake/versions/notes.txt"), b"hi").expect("stray");
    let report = verify(&lake, false).await.expect("verify");
    assert_eq!(report.latest, Some(4));
    let mut found: Vec<(String, ProblemKind)> = report
        .problems
        .iter()
        .map(|p| (p.path.clone(), p.kind))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected = vec![
        (version_path(u64::MAX), ProblemKind::StrayFile),
        (version_path(100_000), ProblemKind::StrayFile),
        (
            "_runlake/versions/notes.txt".to_owned(),
            ProblemKind::StrayFile,
        ),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(found, expected);
    let chain = lake.log().chain().await.expect("chain");
    let listed: Vec<u64> = chain.versions.iter().map(|v| v.version).collect();
    assert_eq!(listed, vec![0, 1, 2, 3, 4]);
}

#[cfg(unix)]
#[tokio::test]
async fn gc_never_deletes_through_a_link() {
    let (_dir, root, lake) = lake_with_garbage().await;
    // Another lake, whose files look exactly like garbage to this one.
    let (_other_dir, other_root, other) = lake_with_garbage().await;
    let other_before = walk_parquet(&other_root.join("evals"));
    assert!(!other_before.is_empty());
    let other_partition = other_root.join("evals/phase=pretrain");
    // A link standing for a partition folder, and a link standing for a data file.
    std::os::unix::fs::symlink(&other_partition, root.join("evals/phase=linked"))
        .expect("link dir");
    let victim = other_before[0].clone();
    let name = victim.file_name().expect("name").to_owned();
    std::os::unix::fs::symlink(&victim, root.join("evals/phase=pretrain").join(&name))
        .expect("link file");
    // A staging folder that is a link to a folder of old temporary files.
    let elsewhere = other_root.join("scratch");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    std::fs::write(elsewhere.join("keep.tmp"), b"not ours").expect("tmp");
    std::fs::create_dir_all(root.join("_runlake")).expect("dir");
    let _ = std::fs::remove_dir_all(root.join("_runlake/staging"));
    std::os::unix::fs::symlink(&elsewhere, root.join("_runlake/staging")).expect("link");
    // And a whole table folder that is a link, to a folder of data files that look like
    // garbage (this lake's own `lineage` held only its Delta log, which gc writes again).
    let copied = other_root.join("copied");
    std::fs::create_dir_all(&copied).expect("dir");
    for f in walk_parquet(&other_partition) {
        std::fs::copy(&f, copied.join(f.file_name().expect("name"))).expect("copy");
    }
    let copied_before = walk_parquet(&copied);
    assert!(!copied_before.is_empty());
    std::fs::remove_dir_all(root.join("lineage")).expect("remove");
    std::os::unix::fs::symlink(&copied, root.join("lineage")).expect("link");

    let report = gc(&lake, Duration::ZERO, false).await.expect("gc");
    assert!(!report.skipped_links.is_empty(), "{report:?}");
    assert_eq!(walk_parquet(&other_root.join("evals")), other_before);
    assert!(verify(&other, true).await.expect("verify").is_sound());
    assert!(victim.exists());
    assert_eq!(walk_parquet(&copied), copied_before);
    assert!(elsewhere.join("keep.tmp").exists());
    assert!(verify(&lake, true).await.expect("verify").is_sound());
}

#[tokio::test]
async fn gc_removes_staged_uploads_an_interrupted_writer_left() {
    let (_dir, root, lake) = lake_with_garbage().await;
    let m = lake.latest().await.expect("latest");
    let live = live_files(&root, &m);
    let staged = PathBuf::from(format!("{}#7", live[0].display()));
    std::fs::write(&staged, vec![0u8; 1000]).expect("staged");
    let tmp = root.join("_runlake/staging/killed-writer.tmp");
    std::fs::create_dir_all(tmp.parent().expect("parent")).expect("dir");
    std::fs::write(&tmp, vec![1u8; 10]).expect("tmp");
    let keep = root.join("evals/phase=pretrain/README.txt");
    std::fs::write(&keep, b"mine").expect("other file");

    let young = gc(&lake, Duration::from_secs(3600), false)
        .await
        .expect("gc");
    assert!(young.deleted_staged.is_empty(), "young ones are spared");
    assert!(staged.exists());
    let report = gc(&lake, Duration::ZERO, false).await.expect("gc");
    assert_eq!(report.deleted_staged.len(), 2, "{report:?}");
    assert!(!staged.exists() && !tmp.exists());
    assert!(keep.exists(), "files gc does not own are left alone");
    for f in live {
        assert!(f.exists(), "{}", f.display());
    }
}

#[tokio::test]
async fn local_writers_leave_nothing_but_data_files_in_table_folders() {
    let (_dir, root, _lake) = lake_with_garbage().await;
    let files = walk_parquet(&root.join("evals"));
    assert!(!files.is_empty());
    let mut all = Vec::new();
    let mut stack = vec![root.join("evals")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                all.push(e.path());
            }
        }
    }
    all.sort();
    // Besides data files, only the table's Delta log, derived from the manifests.
    let log = root.join("evals/_delta_log");
    let (logged, data): (Vec<_>, Vec<_>) = all.into_iter().partition(|p| p.starts_with(&log));
    assert_eq!(data, files, "only `<hash>.parquet` files");
    for p in &logged {
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            runlake_format::delta::parse_commit_name(name).is_some(),
            "{}",
            p.display()
        );
    }
    assert!(!logged.is_empty());
    let staging = root.join("_runlake/staging");
    let left = std::fs::read_dir(&staging).map_or(0, |d| d.count());
    assert_eq!(left, 0, "staged copies are removed once linked");
}

#[tokio::test]
async fn an_edited_latest_manifest_is_refused_by_readers() {
    let (_dir, root, lake) = lake_with_garbage().await;
    let path = root.join(version_path(4));
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replacen("\"rows\": ", "\"rows\": 1", 1);
    assert!(edited != text, "the edit changed nothing");
    std::fs::write(&path, edited).expect("write");
    // The edited file is not a valid version: reading it, or the latest, is an error naming it.
    let err = lake.version(4).await.expect_err("refused");
    assert!(err.to_string().contains("edited or corrupted"), "{err}");
    let err = lake.latest().await.expect_err("refused");
    assert!(err.to_string().contains(&version_path(4)), "{err}");
    // ...and verify names it.
    let report = verify(&lake, false).await.expect("verify");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.path == version_path(4) && p.kind == ProblemKind::BrokenManifest),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn a_commit_after_a_stray_at_the_next_version_fails_naming_it() {
    let (_dir, root, lake) = lake_with_garbage().await;
    std::fs::write(root.join(version_path(5)), b"garbage").expect("stray");
    let mut tx = lake.transaction("convert", "d");
    tx.upsert(Table::Evals, batch(Table::Evals, &["d"], 5, 7))
        .expect("upsert");
    let err = tx.commit().await.expect_err("blocked");
    assert!(err.to_string().contains(&version_path(5)), "{err}");
    assert_eq!(lake.version(4).await.expect("v4").version, 4);
}
