//! The integration tests of mer-metrics, one test binary for the crate (each
//! module is one file beside this one).

mod common;
mod reference;
mod stats;
