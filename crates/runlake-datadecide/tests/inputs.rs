//! Input folders and files as users hand them over: links, loops, bytes that are not text.

mod common;

use common::{convert, testdata};
use runlake_datadecide::{ConvertOptions, OnError, expand_inputs};
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

/// The fixture with its third line's `task` value replaced by bytes that are not UTF-8.
fn with_bad_third_line(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read(testdata(TRAIN)).expect("fixture");
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let at = lines[2]
        .windows(7)
        .position(|w| w == b"\"task\":")
        .expect("task field")
        + 8;
    lines[2][at] = 0xff;
    let path = dir.join("train.jsonl");
    std::fs::write(&path, lines.join(&b'\n')).expect("write");
    path
}

#[test]
fn invalid_utf8_names_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = with_bad_third_line(dir.path());
    let err = convert(std::slice::from_ref(&path), ConvertOptions::default())
        .expect_err("line 3 is not text");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{} line 3: ", path.display())),
        "{text}"
    );
    assert!(text.contains("not valid UTF-8"), "{text}");

    let skip = ConvertOptions {
        on_error: OnError::Skip,
        ..Default::default()
    };
    let (_, summary) = convert(std::slice::from_ref(&path), skip).expect("skip the line");
    assert_eq!(summary.rejected_total, 1);
    assert_eq!(
        summary.rejections[0].at,
        format!("{} line 3", path.display())
    );
    // Every line was read; the seven that are text became rows.
    assert_eq!(summary.files[0].rows_read, 8);
    assert_eq!(summary.rows_read, 7);
}
