//! One tokio runtime for the extension, and waiting on it with the GIL released.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How often a long wait looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

fn runtime() -> PyResult<&'static Runtime> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("runlake")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the runlake runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.clone()))
}

/// Runs `fut` to completion without holding the GIL, so other Python threads run while it
/// waits on IO and decodes. Every tenth of a second it takes the GIL back briefly to look for
/// signals: Ctrl-C raises `KeyboardInterrupt` and drops the future, which stops its reads.
pub(crate) fn wait<F, T, E>(py: Python<'_>, fut: F, err: impl FnOnce(E) -> PyErr) -> PyResult<T>
where
    F: Future<Output = Result<T, E>> + Send,
    T: Send,
    E: Send,
{
    wait_any(py, fut)?.map_err(err)
}

/// [`wait`] for any output; only an interruption is an error.
pub(crate) fn wait_any<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    let rt = runtime()?;
    let mut fut = Box::pin(fut);
    loop {
        let step = py.detach(|| {
            rt.block_on(async { tokio::time::timeout(SIGNAL_POLL, fut.as_mut()).await })
        });
        match step {
            Ok(out) => return Ok(out),
            Err(_elapsed) => py.check_signals()?,
        }
    }
}

/// Drives the future `make` returns to completion with the GIL released, for futures the
/// compiler cannot show to be `Send`: it is made and polled on this thread, so no signal is
/// looked at until it ends.
pub(crate) fn block<M, F, T>(py: Python<'_>, make: M) -> PyResult<T>
where
    M: FnOnce() -> F + Send,
    F: Future<Output = T>,
    T: Send,
{
    let rt = runtime()?;
    Ok(py.detach(|| rt.block_on(make())))
}
