//! Integration tests of the reader over lakes written by the storage engine.

mod common;
mod corruption;
mod datadecide;
mod equivalence;
mod interop;
mod io_budget;
mod limits;
mod old_schema;
mod relational;
mod scans;
