//! Training utilities shared by models: the feature scaler, class imbalance
//! handling, and (for neural nets) the training loop, optimiser and schedule.
//!
//! Everything here is fitted on the training fold only.

pub mod imbalance;
pub mod scaler;
