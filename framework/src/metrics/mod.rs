//! Pure metric functions, fold aggregation and statistical tests.
//!
//! Owns: numbers computed from (truth, prediction) pairs. Never touches the
//! store or files.
