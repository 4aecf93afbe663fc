//! The executor: Plan -> pending trials -> results in the store; progress,
//! resume and rerun.

pub mod provenance;
pub mod worker;
