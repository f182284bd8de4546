//! Arrow's C Data and C Stream interfaces as PyCapsules (the Arrow PyCapsule protocol), so
//! pyarrow, polars, DuckDB and pandas take our buffers without a copy.
//!
//! The capsule owns the exported struct. A consumer moves the struct out and nulls its
//! `release`; when the capsule is collected, dropping the moved-from struct does nothing. A
//! capsule nobody consumed releases the data when it is collected.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch, RecordBatchReader, StructArray};
use arrow::datatypes::Schema;
use arrow::ffi::{FFI_ArrowSchema, to_ffi};
use arrow::ffi_stream::FFI_ArrowArrayStream;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

use crate::errors::value_err;

/// A schema as an `arrow_schema` capsule.
pub(crate) fn schema_capsule<'py>(py: Python<'py>, schema: &Schema) -> PyResult<Bound<'py, PyAny>> {
    let ffi = FFI_ArrowSchema::try_from(schema)
        .map_err(|e| value_err(format!("cannot export the schema: {e}")))?;
    Ok(PyCapsule::new_with_value(py, ffi, c"arrow_schema")?.into_any())
}

/// A batch reader as an `arrow_array_stream` capsule.
pub(crate) fn stream_capsule<'py>(
    py: Python<'py>,
    reader: impl RecordBatchReader + Send + 'static,
) -> PyResult<Bound<'py, PyAny>> {
    let ffi = FFI_ArrowArrayStream::new(Box::new(reader));
    Ok(PyCapsule::new_with_value(py, ffi, c"arrow_array_stream")?.into_any())
}

/// A record batch held for Python: hand it to `pyarrow.record_batch(...)` or anything else
/// that reads the Arrow PyCapsule protocol.
#[pyclass(module = "runlake", frozen)]
pub struct ArrowBatch {
    batch: RecordBatch,
}

impl ArrowBatch {
    pub(crate) fn new(batch: RecordBatch) -> Self {
        Self { batch }
    }
}

#[pymethods]
impl ArrowBatch {
    /// Rows in the batch.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        schema_capsule(py, &self.batch.schema())
    }

    /// The batch as a `(arrow_schema, arrow_array)` capsule pair: a struct array whose
    /// fields are the columns. `requested_schema` is accepted and ignored.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).into_data();
        let (array, _) =
            to_ffi(&data).map_err(|e| value_err(format!("cannot export a batch: {e}")))?;
        // The schema keeps the batch's metadata, which the struct array's own schema lacks.
        let schema = FFI_ArrowSchema::try_from(self.batch.schema().as_ref())
            .map_err(|e| value_err(format!("cannot export the schema: {e}")))?;
        let schema = PyCapsule::new_with_value(py, schema, c"arrow_schema")?;
        let array = PyCapsule::new_with_value(py, array, c"arrow_array")?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }

    /// The batch as a one-batch `arrow_array_stream` capsule.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = requested_schema;
        let schema = self.batch.schema();
        let reader =
            arrow::array::RecordBatchIterator::new([Ok(self.batch.clone())], Arc::clone(&schema));
        stream_capsule(py, reader)
    }

    fn __repr__(&self) -> String {
        let columns: Vec<&str> = self
            .batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        format!(
            "<runlake.ArrowBatch {} rows [{}]>",
            self.batch.num_rows(),
            columns.join(", ")
        )
    }
}
