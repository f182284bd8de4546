//! The native half of the `runlake` Python package (`runlake._runlake`): thin bindings over
//! the Rust crates. Everything a query computes happens in `runlake-reader`; batches leave
//! through the Arrow C Data and C Stream interfaces, so no value is copied on the way out.
//! The pure-Python half (`python/runlake`) adds DataFrame conversions and the notebook
//! conveniences.

mod datadecide;
mod errors;
mod export;
mod lake;
mod plot;
mod runtime;
mod scan;
mod stream;
mod tools;

use pyo3::prelude::*;

#[pymodule]
fn _runlake(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<lake::Lake>()?;
    m.add_class::<scan::Scan>()?;
    m.add_class::<scan::GroupBy>()?;
    m.add_class::<scan::Agg>()?;
    m.add_class::<stream::BatchIter>()?;
    m.add_class::<export::ArrowBatch>()?;
    m.add_class::<datadecide::DataDecideCore>()?;
    m.add_class::<datadecide::PySelection>()?;
    m.add_class::<plot::Plot>()?;
    m.add_function(wrap_pyfunction!(lake::open, m)?)?;
    m.add_function(wrap_pyfunction!(tools::convert, m)?)?;
    m.add_function(wrap_pyfunction!(tools::sync, m)?)?;
    m.add_function(wrap_pyfunction!(plot::plot_curve, m)?)?;
    m.add_function(wrap_pyfunction!(plot::plot_scaling, m)?)?;
    m.add_function(wrap_pyfunction!(plot::plot_compare, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
