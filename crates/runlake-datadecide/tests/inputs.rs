//! Input folders and files as users hand them over: links and loops.

mod common;

use common::{convert, testdata};
use runlake_datadecide::{ConvertOptions, expand_inputs};
use runlake_format::Table;

const TRAIN: &str = "eval-results/data/train.rows.jsonl";

#[cfg(unix)]
#[test]
fn links_to_the_folder_itself_end_the_walk() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::copy(testdata(TRAIN), root.join("train.jsonl")).expect("copy");
    symlink(".", root.join("x")).expect("link");
    symlink(".", root.join("y")).expect("link");
    assert_eq!(
        expand_inputs(&[root.to_owned()]).expect("expand"),
        [root.join("train.jsonl")]
    );
}

#[cfg(unix)]
#[test]
fn a_file_reachable_twice_is_read_once() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join("data")).expect("mkdir");
    std::fs::copy(testdata(TRAIN), root.join("data/train.jsonl")).expect("copy");
    symlink("data/train.jsonl", root.join("also-train.jsonl")).expect("link");
    symlink("data", root.join("mirror")).expect("link");
    let (tables, summary) = convert(
        &[root.to_owned(), root.join("data/train.jsonl")],
        ConvertOptions::default(),
    )
    .expect("convert");
    assert_eq!(summary.files.len(), 1);
    assert_eq!(summary.rows_read, 8);
    assert_eq!(tables[&Table::Evals].num_rows(), 8);
}
