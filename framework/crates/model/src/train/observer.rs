//! Per-epoch events from the training loop. The executor implements
//! [`EpochObserver`] to write `trial_metrics` rows and drive the progress bar
//! (the observer pattern of sacred's `RunObserver`).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

/// What one finished epoch measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size;
    /// with MixUp, the loss on the mixed batch).
    pub train_loss: f64,
    /// Loss on the validation split, `None` when there is none.
    pub validation_loss: Option<f64>,
    /// Learning rate of the epoch's last optimiser step.
    pub lr: f64,
    /// Validation metrics, empty when there is no validation split.
    /// Classification: `accuracy`, `macro_f1`; regression: `mse`, `r2` (mean
    /// over targets).
    pub validation_metrics: BTreeMap<String, f64>,
}

/// Receives one call per finished epoch. Returning `ControlFlow::Break(())`
/// stops training (the fit then fails with `NeuralError::Stopped`), which is
/// how an interrupted run ends cleanly.
pub trait EpochObserver {
    /// Called after the epoch's validation pass.
    fn epoch_end(&mut self, record: &EpochRecord) -> ControlFlow<()>;
}

/// Ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl EpochObserver for NoopObserver {
    fn epoch_end(&mut self, _record: &EpochRecord) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

impl<F: FnMut(&EpochRecord) -> ControlFlow<()>> EpochObserver for F {
    fn epoch_end(&mut self, record: &EpochRecord) -> ControlFlow<()> {
        self(record)
    }
}
