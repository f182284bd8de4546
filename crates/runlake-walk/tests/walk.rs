//! Walking real folders with links in them.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use runlake_walk::{Walker, files};

fn all(_: &Path) -> bool {
    true
}

fn touch(path: &Path) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, b"x").expect("write");
}

fn names(root: &Path, paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .expect("below the root")
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn links_to_the_folder_itself_end_the_walk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    touch(&root.join("a.jsonl"));
    touch(&root.join("sub/b.jsonl"));
    symlink(".", root.join("x")).expect("link");
    symlink(".", root.join("y")).expect("link");
    symlink("..", root.join("sub/up")).expect("link");
    let got = files(&[root.to_owned()], all).expect("walk");
    assert_eq!(names(root, &got), ["a.jsonl", "sub/b.jsonl"]);
}

#[test]
fn a_file_reachable_twice_is_listed_once_under_its_own_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    touch(&root.join("data/runs.jsonl"));
    // Sorts before the file it points to; `mirror` is a second way into `data/`.
    symlink("runs.jsonl", root.join("data/alias.jsonl")).expect("link");
    symlink("data", root.join("mirror")).expect("link");
    let got = files(&[root.to_owned()], all).expect("walk");
    assert_eq!(names(root, &got), ["data/runs.jsonl"]);
}

#[test]
fn hard_links_and_overlapping_roots_are_read_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    touch(&root.join("a/one.parquet"));
    touch(&root.join("b/three.parquet"));
    std::fs::hard_link(root.join("a/one.parquet"), root.join("b/two.parquet")).expect("hard link");
    let roots = [
        root.join("b"),
        root.to_owned(),
        root.join("a/one.parquet"),
        root.join("b"),
    ];
    let got = files(&roots, all).expect("walk");
    assert_eq!(names(root, &got), ["b/three.parquet", "b/two.parquet"]);
}

#[test]
fn folders_are_walked_depth_first_in_name_order_and_filtered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for f in [
        "b/2.jsonl",
        "a/z/1.jsonl",
        "a/0.jsonl",
        "c.jsonl",
        "a/skip.txt",
    ] {
        touch(&root.join(f));
    }
    let got = files(&[root.to_owned()], |p| {
        p.extension().is_some_and(|e| e == "jsonl")
    })
    .expect("walk");
    assert_eq!(
        names(root, &got),
        ["a/0.jsonl", "a/z/1.jsonl", "b/2.jsonl", "c.jsonl"]
    );
    // A file given as a root is kept whatever the filter says.
    let txt = root.join("a/skip.txt");
    assert_eq!(
        files(std::slice::from_ref(&txt), |_| false).expect("walk"),
        [txt]
    );
}

#[test]
fn entries_leave_out_what_was_visited_and_keep_dangling_links() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    touch(&root.join("f.json"));
    symlink("missing", root.join("gone")).expect("link");
    symlink(".", root.join("self")).expect("link");
    let mut walker = Walker::new();
    assert_eq!(
        names(root, &walker.entries(root).expect("list")),
        ["f.json", "gone"]
    );
    assert!(walker.entries(root).expect("list again").is_empty());
    assert!(!walker.first_visit(&root.join("f.json")));
}

#[test]
fn an_unreadable_folder_is_an_error_naming_it() {
    let missing = tempfile::tempdir().expect("tempdir").path().join("nope");
    let err = Walker::new().entries(&missing).expect_err("missing folder");
    assert!(
        err.to_string().starts_with(&missing.display().to_string()),
        "{err}"
    );
}
