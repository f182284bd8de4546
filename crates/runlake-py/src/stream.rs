//! Running a scan batch by batch: as an Arrow C stream for other libraries, and as a Python
//! iterator for `to_batches`. Both start the query on the first request and keep only the
//! reader's small in-flight queue in memory.

use std::sync::{Arc, Mutex};

use arrow::array::{RecordBatch, RecordBatchReader};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use futures::StreamExt;
use pyo3::prelude::*;
use runlake_reader::{BatchStream, ReaderError, Scan};

use crate::errors::{reader_err, value_err};
use crate::export::ArrowBatch;
use crate::runtime::wait_any;

/// A scan that has not started, then its stream.
struct Running {
    pending: Option<Scan>,
    stream: Option<BatchStream>,
}

impl Running {
    fn new(scan: Scan) -> Self {
        Self {
            pending: Some(scan),
            stream: None,
        }
    }

    /// The next batch, starting the scan if needed; `None` at the end.
    async fn next(&mut self) -> Result<Option<RecordBatch>, ReaderError> {
        if let Some(scan) = self.pending.take() {
            self.stream = Some(scan.execute().await?);
        }
        match self.stream.as_mut() {
            Some(stream) => stream.next().await.transpose(),
            None => Ok(None),
        }
    }

    /// Stops reading: later calls return the end.
    fn stop(&mut self) {
        self.pending = None;
        self.stream = None;
    }
}

/// A scan as an Arrow `RecordBatchReader`, for the C stream interface. Each batch is fetched
/// with the GIL released; a pending Ctrl-C ends the stream with an error.
pub(crate) struct ScanReader {
    schema: SchemaRef,
    running: Running,
}

impl ScanReader {
    pub(crate) fn new(scan: Scan) -> Result<Self, ReaderError> {
        Ok(Self {
            schema: scan.schema()?,
            running: Running::new(scan),
        })
    }
}

impl Iterator for ScanReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // The consumer may call from a thread without the GIL; `wait_any` needs it only to
        // look for signals between waits.
        let out = Python::attach(|py| wait_any(py, self.running.next()));
        match out {
            Ok(Ok(Some(batch))) => Some(Ok(batch)),
            Ok(Ok(None)) => None,
            Ok(Err(e)) => {
                self.running.stop();
                Some(Err(ArrowError::ExternalError(Box::new(e))))
            }
            Err(interrupted) => {
                self.running.stop();
                let text = interrupted.to_string();
                Some(Err(ArrowError::ExternalError(text.into())))
            }
        }
    }
}

impl RecordBatchReader for ScanReader {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

/// The batches of a running scan, for Python's iteration protocol. Each `next` releases the
/// GIL while it reads; Ctrl-C raises `KeyboardInterrupt` and stops the scan.
#[pyclass(module = "runlake")]
pub struct BatchIter {
    schema: SchemaRef,
    running: Mutex<Running>,
}

impl BatchIter {
    pub(crate) fn new(scan: Scan) -> PyResult<Self> {
        Ok(Self {
            schema: scan.schema().map_err(reader_err)?,
            running: Mutex::new(Running::new(scan)),
        })
    }
}

#[pymethods]
impl BatchIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<ArrowBatch>> {
        // Another thread inside `next` holds the lock without the GIL; waiting for it here
        // while holding the GIL could deadlock, so refuse instead.
        let Ok(mut running) = self.running.try_lock() else {
            return Err(value_err("this batch iterator is in use by another thread"));
        };
        match wait_any(py, running.next()) {
            Ok(Ok(batch)) => Ok(batch.map(ArrowBatch::new)),
            Ok(Err(e)) => {
                running.stop();
                Err(reader_err(e))
            }
            Err(interrupted) => {
                running.stop();
                Err(interrupted)
            }
        }
    }

    /// The schema of every batch, as an `arrow_schema` capsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::export::schema_capsule(py, &self.schema)
    }
}
