//! The integration tests of mer-store, one test binary for the crate (each
//! module is one file beside this one).

mod contract;
mod copy;
mod export;
mod read_only;
mod tls;
mod upgrade;
