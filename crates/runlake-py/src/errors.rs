//! Python exceptions carrying the Rust message. Every failure of the library reaches Python
//! as one of these; none as a panic.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use runlake_lake::LakeError as RustLakeError;
use runlake_reader::ReaderError;

create_exception!(
    _runlake,
    RunlakeError,
    PyException,
    "Base class of every runlake error."
);
create_exception!(
    _runlake,
    LakeError,
    RunlakeError,
    "The lake, one of its versions or one of its files could not be opened or read."
);
create_exception!(
    _runlake,
    ParseError,
    RunlakeError,
    "A predicate does not parse or does not fit the table; `caret` marks the offending token."
);
create_exception!(
    _runlake,
    QueryError,
    RunlakeError,
    "A query names an unknown column, table, recipe, task or metric, or cannot be computed."
);
create_exception!(
    _runlake,
    DataError,
    RunlakeError,
    "A data file could not be decoded or does not hold what the manifest says."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("RunlakeError", py.get_type::<RunlakeError>())?;
    m.add("LakeError", py.get_type::<LakeError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("QueryError", py.get_type::<QueryError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    Ok(())
}

/// A lake error as a Python exception.
pub(crate) fn lake_err(e: RustLakeError) -> PyErr {
    LakeError::new_err(e.to_string())
}

/// A reader error as the matching Python exception. A predicate error keeps its parts as
/// attributes (`message`, `caret`, `start`, `end`, `text`).
pub(crate) fn reader_err(e: ReaderError) -> PyErr {
    match e {
        ReaderError::Lake(e) => lake_err(e),
        ReaderError::PredicateText(p) => Python::attach(|py| {
            let err = ParseError::new_err(p.to_string());
            let value = err.value(py);
            let set = || -> PyResult<()> {
                value.setattr("message", p.message.as_str())?;
                value.setattr("caret", p.caret())?;
                value.setattr("text", p.text.as_str())?;
                value.setattr("start", p.span.start)?;
                value.setattr("end", p.span.end)?;
                Ok(())
            };
            // Without the attributes the message still carries the caret.
            let _ = set();
            err
        }),
        e @ ReaderError::Predicate { .. } => ParseError::new_err(e.to_string()),
        e @ (ReaderError::Parquet { .. } | ReaderError::ColumnType { .. }) => {
            DataError::new_err(e.to_string())
        }
        e => QueryError::new_err(e.to_string()),
    }
}

/// A usage error (a bad argument value) as a Python `ValueError`.
pub(crate) fn value_err(message: impl Into<String>) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(message.into())
}
