//! `runlake.open` and the `Lake` class: one version of a lake, its log and its checks.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use runlake_format::{Table, VersionFile};
use runlake_lake::StoreOptions;
use runlake_reader::LakeReader;

use crate::datadecide::DataDecideCore;
use crate::errors::{lake_err, reader_err, value_err};
use crate::runtime::wait;
use crate::scan::Scan;

/// One version of a lake, ready to query. Opened with `runlake.open`.
#[pyclass(module = "runlake", frozen)]
pub struct Lake {
    pub(crate) lake: runlake_lake::Lake,
    pub(crate) reader: LakeReader,
    uri: String,
}

/// Parses a table name (`evals`, `metadata`, ...).
pub(crate) fn table(name: &str) -> PyResult<Table> {
    name.parse()
        .map_err(|e: runlake_format::tables::UnknownTable| value_err(e.to_string()))
}

/// Opens the lake at `uri` (a folder, `file://`, `s3://bucket/prefix` or `gs://bucket/prefix`)
/// at its latest version, or at `version`. `endpoint` is the URL of an S3-compatible server;
/// credentials come from the usual environment variables and files.
#[pyfunction]
#[pyo3(signature = (uri, version=None, endpoint=None))]
pub fn open(
    py: Python<'_>,
    uri: String,
    version: Option<u64>,
    endpoint: Option<String>,
) -> PyResult<Lake> {
    let options = StoreOptions { endpoint };
    let lake = wait(py, runlake_lake::Lake::open_with(&uri, &options), lake_err)?;
    let reader = wait(py, LakeReader::open(&lake, version), reader_err)?;
    Ok(Lake { lake, reader, uri })
}

#[pymethods]
impl Lake {
    /// Where the lake lives, as given to `open`.
    #[getter]
    fn uri(&self) -> &str {
        &self.uri
    }

    /// The version this handle reads.
    #[getter]
    fn version(&self) -> u64 {
        self.reader.manifest().version
    }

    /// The tables this version holds, in manifest order.
    #[getter]
    fn tables(&self) -> Vec<String> {
        let held = &self.reader.manifest().tables;
        Table::ALL
            .iter()
            .map(|t| t.name())
            .filter(|n| held.contains_key(*n))
            .map(str::to_owned)
            .collect()
    }

    /// Rows per table in this version, from the manifest (no data file is read).
    fn row_counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (name, state) in &self.reader.manifest().tables {
            out.set_item(name, state.files.iter().map(|f| f.rows).sum::<u64>())?;
        }
        Ok(out)
    }

    /// The version log, newest first, as `runlake log` shows it: one dict per version with
    /// `version, expired, created_at_ms, operation, description, writer, rows_added,
    /// rows_removed, files_added, files_removed, bytes_added`. Files in the log folder that are
    /// no version are reported as `RuntimeWarning`s.
    fn versions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let log = self.lake.log();
        let chain = wait(py, log.chain(), lake_err)?;
        let out = PyList::empty(py);
        for stored in chain.versions.iter().rev() {
            let d = PyDict::new(py);
            d.set_item("version", stored.version)?;
            match &stored.file {
                VersionFile::Live(m) => {
                    d.set_item("expired", false)?;
                    d.set_item("created_at_ms", m.created_at_ms)?;
                    d.set_item("operation", &m.operation.kind)?;
                    d.set_item("description", &m.operation.description)?;
                    d.set_item("writer", &m.writer)?;
                    d.set_item("rows_added", m.operation.rows_added)?;
                    d.set_item("rows_removed", m.operation.rows_removed)?;
                    d.set_item("files_added", m.operation.added_files.len())?;
                    d.set_item("files_removed", m.operation.removed_files.len())?;
                    d.set_item("bytes_added", m.operation.bytes_added)?;
                }
                VersionFile::Expired(t) => {
                    d.set_item("expired", true)?;
                    d.set_item("created_at_ms", t.created_at_ms)?;
                }
            }
            out.append(d)?;
        }
        for p in &chain.problems {
            let text = format!("{} {}", self.lake.display_path(&p.path), p.detail);
            let c_text = std::ffi::CString::new(text).map_err(|e| value_err(e.to_string()))?;
            PyErr::warn(
                py,
                &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(),
                &c_text,
                1,
            )?;
        }
        Ok(out)
    }

    /// Checks the lake as `runlake verify` does: every version's manifest and every data file
    /// it names (with `deep`, re-hashing their content). Returns the report as a dict with
    /// `sound` (no problems), `versions_checked`, `files_checked`, `bytes_hashed` and
    /// `problems` (each with `path`, `kind`, `detail`).
    #[pyo3(signature = (deep=false))]
    fn verify<'py>(&self, py: Python<'py>, deep: bool) -> PyResult<Bound<'py, PyAny>> {
        let report = wait(py, runlake_lake::verify::verify(&self.lake, deep), lake_err)?;
        let mut value = serde_json::to_value(&report).map_err(|e| value_err(e.to_string()))?;
        if let Some(map) = value.as_object_mut() {
            map.insert("sound".into(), report.is_sound().into());
        }
        json_to_py(py, &value.to_string())
    }

    /// A lazy scan of one table (`metadata`, `pretrain_ckpts`, `posttrain_steps`, `evals`,
    /// `lineage`). Nothing is read until the scan's rows are asked for.
    fn scan(&self, table_name: &str) -> PyResult<Scan> {
        Ok(Scan::new(self.reader.scan(table(table_name)?)))
    }

    /// The post-training lineage chain of `run` (uid, run id or name), root first, as
    /// `runlake lineage --json` gives it; `None` when the run has no lineage.
    fn lineage<'py>(&self, py: Python<'py>, run: &str) -> PyResult<Bound<'py, PyAny>> {
        let dd = runlake_reader::DataDecide::new(self.reader.clone());
        let chain = wait(py, dd.lineage(run), reader_err)?;
        match chain {
            Some(c) => {
                let text = serde_json::to_string(&c).map_err(|e| value_err(e.to_string()))?;
                json_to_py(py, &text)
            }
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The native DataDecide interface over this version (see `runlake.DataDecide`).
    fn _datadecide(&self) -> DataDecideCore {
        DataDecideCore::new(self.reader.clone())
    }

    fn __repr__(&self) -> String {
        format!(
            "<runlake.Lake {:?} version {} tables [{}]>",
            self.uri,
            self.version(),
            self.tables().join(", ")
        )
    }
}

/// A JSON text as Python values.
pub(crate) fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}
