//! The generator is deterministic, has the real shape, and its output converts cleanly.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use runlake_datadecide::ConvertOptions;
use runlake_datadecide::generate::{generate, py_float};
use runlake_format::Table;

/// Every file under `root`, by path relative to it, with its bytes.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_owned();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

#[test]
fn python_float_repr() {
    assert_eq!(py_float(2.1525e-06), "2.1525e-06");
    assert_eq!(py_float(0.0001), "0.0001");
    assert_eq!(py_float(1e-5), "1e-05");
    assert_eq!(py_float(0.0), "0.0");
    assert_eq!(py_float(1250.0), "1250.0");
    assert_eq!(py_float(0.2704778016), "0.2704778016");
    assert_eq!(py_float(4.47968e17), "4.47968e+17");
    assert_eq!(py_float(f64::NAN), "nan");
}

#[test]
fn small_generation_is_deterministic_and_converts() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    let sa = generate(a.path(), 42, 0.002).expect("generate");
    let sb = generate(b.path(), 42, 0.002).expect("generate");
    // 0.002 of the 21,375 checkpoints, 66 tasks each.
    assert_eq!(sa.train_rows, 43 * 66);
    assert_eq!(sa.ppl_rows, 45);
    assert_eq!(sa.macro_avg_rows, 43 * 11);
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "both runs write the same files"
    );
    for (name, bytes) in &fa {
        assert!(*bytes == fb[name], "{name:?} differs between runs");
    }
    assert_eq!(sa.train_files.len(), sb.train_files.len());
    for x in &sa.train_files {
        let name = x.strip_prefix(a.path()).expect("under the output folder");
        assert!(fa.contains_key(name), "{} not written", name.display());
    }
    assert!(
        fa.len() > sa.train_files.len(),
        "ppl and macro files too: {:?}",
        fa.keys()
    );
    let (t, s) =
        common::convert(&[a.path().to_owned()], ConvertOptions::default()).expect("convert");
    assert_eq!(s.rejected_total, 0);
    assert_eq!(s.table(Table::Evals).deduplicated, 0);
    assert_eq!(s.derived_rows, 43);
    assert_eq!(
        s.schedule_disagreements_total, 0,
        "{:?}",
        s.schedule_disagreements
    );
    let ppl_values = s
        .files
        .iter()
        .find(|f| f.path.contains("ppl"))
        .expect("ppl")
        .rows_read;
    assert_eq!(ppl_values, 45);
    assert_eq!(
        t[&Table::Evals].num_rows() as u64,
        43 * 66 + 43 + 43 * 11 + (45 * 11 - s.empty_cells)
    );
}
