//! Where the test suites find what lives outside the repository: the Python tools `.ci/test`
//! installs, and the real sample exports beside the project.

use std::path::PathBuf;

/// The repository root (this file is in `crates/runlake-lake`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python that drives DuckDB, pyarrow, Polars and moto: `RUNLAKE_PYTHON`, else the
/// repository's `.venv`. Missing, the calling test fails saying how to install it.
pub fn python() -> PathBuf {
    let path = std::env::var_os("RUNLAKE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        path.exists(),
        "{} not found: run `bash .ci/test` once (or set RUNLAKE_PYTHON) to install the Python \
         tools into .venv",
        path.display()
    );
    path
}

/// The real sample exports under `../shared/real` (or `RUNLAKE_REAL_DATA`), joined with `sub`.
/// Absent, the calling test is skipped with a visible note, except under `CI=true`, where a
/// missing sample must fail rather than let the suite pass without ever reading real data.
pub fn real_data(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("RUNLAKE_REAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/real"));
    let p = root.join(sub);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing and CI=true: the real-data tests must run in CI",
        p.display()
    );
    eprintln!(
        "SKIPPED: {} is absent, so this test checked nothing",
        p.display()
    );
    None
}
