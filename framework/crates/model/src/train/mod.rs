//! Training utilities shared by models: the feature scaler, class imbalance
//! handling, and the settings of neural training.
//!
//! Everything here is fitted on the training fold only, and nothing here
//! touches burn: the training loop itself is `neural::train_loop`, beside the
//! architectures it trains (`neural::fit_predict` is its entry point).
//!
//! Neural training settings: [`TrainConfig`] (the `[train]` part of a trial),
//! the learning-rate schedules ([`schedule`]), MixUp ([`mixup`]), early
//! stopping ([`early_stopping`]) and the per-epoch observer ([`observer`]).

pub mod config;
pub mod early_stopping;
pub mod imbalance;
pub mod mixup;
pub mod observer;
pub mod scaler;
pub mod schedule;

pub use config::{EarlyStoppingConfig, OptimizerKind, ScheduleKind, TrainConfig};
pub use observer::{EpochObserver, EpochRecord, NoopObserver};
