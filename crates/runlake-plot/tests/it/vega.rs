//! vega
