//! The integration tests of mer-audio, one test binary for the crate (each
//! module is one file beside this one).

mod decode;
mod fuzz;
mod parity;
mod pipeline;
