//! Training utilities shared by models: the feature scaler, class imbalance
//! handling, and (for neural nets) the training loop, optimiser and schedule.
//!
//! Everything here is fitted on the training fold only.
//!
//! Neural training owns: [`TrainConfig`] (the `[train]` part of a trial), the
//! learning-rate schedules ([`schedule`]), MixUp ([`mixup`]), early stopping
//! ([`early_stopping`]), the per-epoch observer ([`observer`]) and the loop
//! itself (`neural_loop`, crate-private: `model::neural::fit_predict` is the
//! entry point). Architectures live in `model::neural`.

pub mod config;
pub mod early_stopping;
pub mod imbalance;
pub mod mixup;
pub(crate) mod neural_loop;
pub mod observer;
pub mod scaler;
pub mod schedule;

pub use config::{EarlyStoppingConfig, OptimizerKind, ScheduleKind, TrainConfig, TrainConfigError};
pub use observer::{EpochObserver, EpochRecord, NoopObserver};
