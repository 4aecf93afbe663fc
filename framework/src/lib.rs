//! `mer`: a research framework for music emotion recognition from audio and
//! lyrics. This crate is the executor (a plan's pending trials -> results in
//! the store) and the `mer` command line; the parts it runs are the crates
//! under `framework/crates/` (see `docs/ARCHITECTURE.md`):
//! spec -> plan -> dataset -> features -> labels -> model -> metrics -> store,
//! and reports read the store only.

pub mod bundle;
pub mod run;
pub mod submit;
