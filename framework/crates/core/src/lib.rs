//! The few types every `mer` crate shares, and nothing else: the one
//! configuration error ([`ConfigError`]: key path + rule broken + optional
//! position) that every `validate()` returns, and the one dense row-major
//! [`Matrix`] (f32 audio frames, f64 feature tables), the [`limits`] on
//! every size a spec can set, and the CSV check every reader makes
//! ([`quotes::unterminated_quote`]).
//!
//! Depends on no other `mer` crate; every other `mer` crate may depend on it.

pub mod config;
pub mod limits;
pub mod matrix;
pub mod quotes;

pub use config::{ConfigError, KeyPath, Position, Segment};
pub use matrix::{Matrix, RaggedRows};
