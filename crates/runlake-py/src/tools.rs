//! `convert` and `sync` from Python, as the CLI's commands of the same names call them.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use runlake_lake::{Lake, LakeError, StoreOptions};

use crate::errors::{RunlakeError, lake_err, value_err};
use crate::lake::json_to_py;
use crate::runtime::{block, wait};

/// Calls a Python progress callback from whichever thread reports progress. A callback that
/// raises is not allowed to stop the work; its exception is printed as unraisable.
fn report(callback: &Py<PyAny>, args: (String, u64, u64)) {
    Python::attach(|py| {
        if let Err(e) = callback.call1(py, args) {
            e.write_unraisable(py, Some(callback.bind(py)));
        }
    });
}

/// Converts exports into the lake at `lake` (created when missing), as `runlake convert`
/// does, and returns its summary as a dict. `on_error` is `fail` (commit nothing and raise)
/// or `skip` (leave bad records out and list them in the summary). `kind`, if given, forces
/// the inputs' kind by the names `--kind` takes. `progress`, if given, is called with
/// `(text, done, total)` while inputs are read.
#[pyfunction]
#[pyo3(signature = (inputs, lake, on_error="fail", replace=false, endpoint=None, progress=None, kind=None))]
#[allow(clippy::too_many_arguments)] // reason: mirrors the options of `runlake convert`
pub fn convert<'py>(
    py: Python<'py>,
    inputs: Vec<PathBuf>,
    lake: String,
    on_error: &str,
    replace: bool,
    endpoint: Option<String>,
    progress: Option<Py<PyAny>>,
    kind: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let kind = kind
        .map(runlake_ingest::ForcedKind::from_name)
        .transpose()
        .map_err(value_err)?;
    for input in &inputs {
        if !input.exists() {
            return Err(pyo3::exceptions::PyFileNotFoundError::new_err(format!(
                "{}: no such file or folder",
                input.display()
            )));
        }
    }
    let on_error = match on_error {
        "fail" => runlake_ingest::OnError::Fail,
        "skip" => runlake_ingest::OnError::Skip,
        other => {
            return Err(value_err(format!(
                "unknown on_error `{other}` (use fail or skip)"
            )));
        }
    };
    let progress = progress.map(|callback| -> runlake_ingest::ProgressFn {
        Arc::new(move |p: &runlake_ingest::Progress| {
            let (done, total) = match p {
                runlake_ingest::Progress::Reading { done, total, .. } => (*done, *total),
                _ => (0, 0),
            };
            report(&callback, (p.to_string(), done as u64, total as u64));
        })
    });
    let options = runlake_ingest::Options {
        on_error,
        kind,
        replace,
        progress,
        ..runlake_ingest::Options::default()
    };
    let store = StoreOptions { endpoint };
    let opened = wait(py, Lake::open_or_create_with(&lake, &store), lake_err)?;
    let summary = wait(
        py,
        runlake_ingest::convert(&opened, &inputs, &options),
        |e: runlake_ingest::IngestError| RunlakeError::new_err(e.to_string()),
    )?;
    let mut value = serde_json::to_value(&summary).map_err(|e| value_err(e.to_string()))?;
    if let Some(map) = value.as_object_mut() {
        map.insert("lake".into(), lake.into());
    }
    json_to_py(py, &value.to_string())
}

/// Brings the lake at `source` to `destination` (folders, `s3://`, `gs://`), as `runlake
/// sync` does, and returns the report as a dict. `progress`, if given, is called with
/// `(text, bytes_done, bytes_total)` as files are sent.
#[pyfunction]
#[pyo3(signature = (source, destination, endpoint=None, rebase=false, force=false, dry_run=false, progress=None))]
#[allow(clippy::too_many_arguments)] // reason: mirrors the options of `runlake sync`
pub fn sync<'py>(
    py: Python<'py>,
    source: String,
    destination: String,
    endpoint: Option<String>,
    rebase: bool,
    force: bool,
    dry_run: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = StoreOptions { endpoint };
    let src = wait(py, Lake::open_with(&source, &options), lake_err)?;
    let dst = match Lake::unchecked(&destination, &options, !dry_run) {
        Ok(lake) => lake,
        // A dry run creates nothing: a missing folder plans like an empty lake.
        Err(LakeError::NotALake { .. }) if dry_run => Lake::from_store(
            Arc::new(object_store::memory::InMemory::new()),
            object_store::path::Path::default(),
            destination.clone(),
            true,
        ),
        Err(e) => return Err(lake_err(e)),
    };
    let progress = progress.map(|callback| -> runlake_sync::ProgressFn {
        Arc::new(move |p: runlake_sync::Progress| {
            let text = format!("sending {}/{} files", p.files_done, p.files_total);
            report(&callback, (text, p.bytes_done, p.bytes_total));
        })
    });
    let opts = runlake_sync::SyncOptions {
        rebase,
        force,
        dry_run,
        progress,
        ..runlake_sync::SyncOptions::default()
    };
    // The sync future cannot be shown to be `Send` (closures over borrowed files inside it),
    // so it is made and driven on this thread with the GIL released, without signal checks.
    let report = block(py, || runlake_sync::sync(&src, &dst, &opts))?
        .map_err(|e| RunlakeError::new_err(e.to_string()))?;
    let text = serde_json::to_string(&report).map_err(|e| value_err(e.to_string()))?;
    json_to_py(py, &text)
}
