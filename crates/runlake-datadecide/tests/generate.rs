//! The generator is deterministic, has the real shape, and its output converts cleanly.

mod common;

use runlake_datadecide::ConvertOptions;
use runlake_datadecide::generate::{generate, py_float};
use runlake_format::Table;

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
    for (x, y) in sa.train_files.iter().zip(&sb.train_files) {
        assert_eq!(std::fs::read(x).expect("a"), std::fs::read(y).expect("b"));
    }
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
