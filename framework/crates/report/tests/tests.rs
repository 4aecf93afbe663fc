//! The integration tests of mer-report, one test binary for the crate (each
//! module is one file beside this one).

mod eda;
mod from_store;
mod latex;
mod plots;
#[path = "fixtures/report/store_builder.rs"]
mod store_builder;
