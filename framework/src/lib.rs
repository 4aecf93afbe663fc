//! `mer`: a research framework for music emotion recognition from audio and
//! lyrics.
//!
//! Data flows in one direction (see `DESIGN.md`):
//! spec -> plan -> dataset -> features -> labels -> model -> metrics -> store,
//! and reports read the store only.

pub mod audio;
pub mod data;
pub mod labels;
pub mod metrics;
pub mod model;
pub mod report;
pub mod run;
pub mod spec;
pub mod store;
pub mod text;
pub mod train;
