//! The integration tests of mer-model, one test binary for the crate (each
//! module is one file beside this one).

mod classical;
mod forest;
mod imbalance;
mod neural_config;
mod neural_fit;
