//! The `Scan` class: a lazy, immutable query over one table, as the Rust `Scan`. Each method
//! returns a new scan; rows are read only when asked for (`to_arrow`, `to_batches`, the Arrow
//! PyCapsule protocol, ...), and every such request runs the query afresh.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use runlake_reader::{JoinKind, SortKey};

use crate::errors::{reader_err, value_err};
use crate::export::{schema_capsule, stream_capsule};
use crate::runtime::wait;
use crate::stream::{BatchIter, ScanReader};

/// A lazy query. Build it with `filter`, `select`, `join`, `group_by(...).agg(...)`,
/// `keep_max`, `sort`, `limit`; read it with `to_arrow`, `to_polars`, `to_pandas`,
/// `to_batches`, or hand it to anything that reads Arrow PyCapsules (`pyarrow.table(scan)`,
/// `polars.DataFrame(scan)`, DuckDB's `FROM scan`).
#[pyclass(module = "runlake", frozen)]
#[derive(Clone)]
pub struct Scan {
    pub(crate) inner: runlake_reader::Scan,
    /// What the scan does, one step per method call, for `repr`.
    steps: Vec<String>,
}

impl Scan {
    pub(crate) fn new(inner: runlake_reader::Scan) -> Self {
        Self {
            inner,
            steps: Vec::new(),
        }
    }

    fn then(&self, inner: runlake_reader::Scan, step: String) -> Self {
        let mut steps = self.steps.clone();
        steps.push(step);
        Self { inner, steps }
    }

    fn columns_now(&self) -> PyResult<Vec<String>> {
        let schema = self.inner.schema().map_err(reader_err)?;
        Ok(schema.fields().iter().map(|f| f.name().clone()).collect())
    }
}

/// A list of names from a string or a sequence of strings.
#[derive(FromPyObject)]
pub(crate) enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    pub(crate) fn into_vec(self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s],
            Names::Many(v) => v,
        }
    }
}

/// A join key: one column named alike on both sides, or a `(left, right)` pair.
#[derive(FromPyObject)]
enum JoinKey {
    Same(String),
    Pair(String, String),
}

#[pymethods]
impl Scan {
    /// Keeps rows where `predicate` holds, in runlake's WHERE language (`=`, `!=`, `<`, `<=`,
    /// `>`, `>=`, `IN (...)`, `IS [NOT] NULL`, `AND`, `OR`, `NOT`, parentheses, `'strings'`,
    /// numbers). On a table scan the predicate may name any column of the table and prunes
    /// partitions, files and row groups. Raises `ParseError` (with a caret under the
    /// offending token) when it does not parse or names an unknown column.
    fn filter(&self, predicate: &str) -> PyResult<Scan> {
        let inner = self
            .inner
            .clone()
            .filter_str(predicate)
            .map_err(reader_err)?;
        Ok(self.then(inner, format!("filter {predicate}")))
    }

    /// Keeps these columns, in this order.
    fn select(&self, columns: Names) -> PyResult<Scan> {
        let columns = columns.into_vec();
        let inner = self.inner.clone().select(&columns);
        // An unknown column is reported here rather than when the rows are read.
        inner.schema().map_err(reader_err)?;
        Ok(self.then(inner, format!("select {}", columns.join(", "))))
    }

    /// Renames column `old` to `new`.
    fn rename(&self, old: &str, new: &str) -> PyResult<Scan> {
        let inner = self.inner.clone().rename(old, new);
        inner.schema().map_err(reader_err)?;
        Ok(self.then(inner, format!("rename {old} -> {new}")))
    }

    /// At most `n` rows.
    fn limit(&self, n: usize) -> Scan {
        self.then(self.inner.clone().limit(n), format!("limit {n}"))
    }

    /// Sorts by these columns (nulls last), ascending unless `descending`.
    #[pyo3(signature = (columns, descending=false))]
    fn sort(&self, columns: Names, descending: bool) -> PyResult<Scan> {
        let columns = columns.into_vec();
        let keys = columns
            .iter()
            .map(|c| {
                if descending {
                    SortKey::desc(c)
                } else {
                    SortKey::asc(c)
                }
            })
            .collect();
        let inner = self.inner.clone().sort_by(keys);
        inner.schema().map_err(reader_err)?;
        Ok(self.then(inner, format!("sort {}", columns.join(", "))))
    }

    /// Joins with `other` on `on`: column names shared by both sides, or `(left, right)`
    /// pairs. `how` is `inner` or `left`. The result has the left columns, then the right
    /// columns except right keys named like their left key; other clashing right names get a
    /// `_right` suffix.
    #[pyo3(signature = (other, on, how="inner"))]
    fn join(&self, other: &Scan, on: Vec<JoinKey>, how: &str) -> PyResult<Scan> {
        let kind = match how {
            "inner" => JoinKind::Inner,
            "left" => JoinKind::Left,
            _ => {
                return Err(value_err(format!(
                    "unknown join `{how}` (use inner or left)"
                )));
            }
        };
        let pairs: Vec<(String, String)> = on
            .into_iter()
            .map(|k| match k {
                JoinKey::Same(c) => (c.clone(), c),
                JoinKey::Pair(l, r) => (l, r),
            })
            .collect();
        let shown: Vec<String> = pairs.iter().map(|(l, r)| format!("{l}={r}")).collect();
        let inner = self.inner.clone().join(other.inner.clone(), pairs, kind);
        inner.schema().map_err(reader_err)?;
        Ok(self.then(inner, format!("{how} join on {}", shown.join(", "))))
    }

    /// Groups by these key columns; finish with `.agg(...)`.
    #[pyo3(signature = (*keys))]
    fn group_by(&self, keys: &Bound<'_, PyTuple>) -> PyResult<GroupBy> {
        let mut names = Vec::new();
        for k in keys.iter() {
            names.extend(k.extract::<Names>()?.into_vec());
        }
        Ok(GroupBy {
            scan: self.clone(),
            keys: names,
        })
    }

    /// Keeps, within each group of `keys`, the rows whose `column` holds the group's largest
    /// value (all of them on a tie), e.g. each run's final checkpoint with
    /// `keep_max(["run_uid", "task"], "step")`.
    fn keep_max(&self, keys: Names, column: &str) -> PyResult<Scan> {
        let keys = keys.into_vec();
        let inner = self.inner.clone().keep_max(&keys, column);
        inner.schema().map_err(reader_err)?;
        Ok(self.then(inner, format!("keep max {column} per {}", keys.join(", "))))
    }

    /// The names of the result's columns.
    #[getter]
    fn columns(&self) -> PyResult<Vec<String>> {
        self.columns_now()
    }

    /// The plan, with what pruning removes (reads the manifest and the footers it needs).
    fn explain(&self, py: Python<'_>) -> PyResult<String> {
        let scan = self.inner.clone();
        wait(py, async move { scan.explain().await }, reader_err)
    }

    /// The Arrow PyCapsule schema protocol: the result's schema as an `arrow_schema` capsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let schema = self.inner.schema().map_err(reader_err)?;
        schema_capsule(py, &schema)
    }

    /// The Arrow PyCapsule stream protocol: runs the query and returns its batches as an
    /// `arrow_array_stream` capsule. Each call runs the query again. `requested_schema` is
    /// accepted and ignored: the stream always has the scan's own schema.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = requested_schema;
        let reader = ScanReader::new(self.inner.clone()).map_err(reader_err)?;
        stream_capsule(py, reader)
    }

    /// Runs the query; an iterator of native batches (see `to_batches`).
    fn _batches(&self) -> PyResult<BatchIter> {
        BatchIter::new(self.inner.clone())
    }

    /// The whole result as a `pyarrow.Table`.
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        frames(slf, "to_arrow")
    }

    /// The whole result as a `polars.DataFrame`.
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        frames(slf, "to_polars")
    }

    /// The whole result as a `pandas.DataFrame`.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        frames(slf, "to_pandas")
    }

    /// An iterator of `pyarrow.RecordBatch`es, streamed: memory follows the batch size, not
    /// the result's size.
    fn to_batches<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        frames(slf, "to_batches")
    }

    fn __repr__(&self) -> String {
        let columns = self
            .columns_now()
            .map(|c| c.join(", "))
            .unwrap_or_else(|e| format!("invalid: {e}"));
        let mut text = String::from("<runlake.Scan");
        for step in &self.steps {
            text.push_str(&format!(" | {step}"));
        }
        text.push_str(&format!(" -> [{columns}]>"));
        text
    }
}

/// Calls the pure-Python conversion `name` of `runlake._frames` on a scan.
fn frames<'py>(slf: &Bound<'py, Scan>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    slf.py()
        .import("runlake._frames")?
        .call_method1(name, (slf,))
}

/// A grouping waiting for its aggregates.
#[pyclass(module = "runlake", frozen)]
pub struct GroupBy {
    scan: Scan,
    keys: Vec<String>,
}

#[pymethods]
impl GroupBy {
    /// One row per group: the keys, then each aggregate (`runlake.Agg.mean("x")`, ...).
    #[pyo3(signature = (*aggs))]
    fn agg(&self, aggs: &Bound<'_, PyTuple>) -> PyResult<Scan> {
        let mut list: Vec<runlake_reader::Agg> = Vec::new();
        for a in aggs.iter() {
            if let Ok(one) = a.cast::<Agg>() {
                list.push(one.get().inner.clone());
            } else {
                for one in a.extract::<Vec<Bound<'_, Agg>>>()? {
                    list.push(one.get().inner.clone());
                }
            }
        }
        let shown: Vec<String> = list.iter().map(runlake_reader::Agg::output_name).collect();
        let inner = self.scan.inner.clone().group_by(&self.keys).agg(list);
        inner.schema().map_err(reader_err)?;
        Ok(self.scan.then(
            inner,
            format!("group by {} agg {}", self.keys.join(", "), shown.join(", ")),
        ))
    }

    fn __repr__(&self) -> String {
        format!("<runlake.GroupBy [{}]>", self.keys.join(", "))
    }
}

/// An aggregate for `group_by(...).agg(...)`: `Agg.mean("primary_score")`,
/// `Agg.std(...)` (sample), `Agg.count(...)` (non-null values), `Agg.count_rows()`,
/// `Agg.min`, `Agg.max`, `Agg.first`, `Agg.last`; `.alias("name")` names the output column.
#[pyclass(module = "runlake", frozen)]
#[derive(Clone)]
pub struct Agg {
    inner: runlake_reader::Agg,
}

#[pymethods]
impl Agg {
    /// Mean of the non-null values.
    #[staticmethod]
    fn mean(column: &str) -> Self {
        Self {
            inner: runlake_reader::Agg::mean(column),
        }
    }
    /// Sample standard deviation of the non-null values.
    #[staticmethod]
    fn std(column: &str) -> Self {
        Self {
            inner: runlake_reader::Agg::std(column),
        }
    }
    /// Number of non-null values.
    #[staticmethod]
    fn count(column: &str) -> Self {
        Self {
            inner: runlake_reader::Agg::count(column),
        }
    }
    /// Number of rows.
    #[staticmethod]
    fn count_rows() -> Self {
        Self {
            inner: runlake_reader::Agg::count_rows(),
        }
    }
    /// Smallest value.
    #[staticmethod]
    fn min(column: &str) -> Self {
        Self {
            inner: runlake_reader::Agg::min(column),
        }
    }
    /// Largest value.
    #[staticmethod]
    fn max(column: &str) -> Self {
        Self {
            inner: runlake_reader::Agg::max(column),
        }
    }
    /// First value in row order.
    #[staticmethod]
    fn first(column: &str) -> Self {
        Self {
            inner: runlake_reader::Agg::first(column),
        }
    }
    /// Last value in row order.
    #[staticmethod]
    fn last(column: &str) -> Self {
        Self {
            inner: runlake_reader::Agg::last(column),
        }
    }
    /// The same aggregate with its output column named `name`.
    fn alias(&self, name: &str) -> Self {
        Self {
            inner: self.inner.clone().alias(name),
        }
    }

    fn __repr__(&self) -> String {
        format!("<runlake.Agg {}>", self.inner.output_name())
    }
}
