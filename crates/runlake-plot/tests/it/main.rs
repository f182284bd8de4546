//! Integration tests: plots of fixture lakes built from the real table schemas.

mod compare;
mod curve;
mod diverging;
mod fixture;
mod png;
mod scaling;
mod svg;
mod vega;
