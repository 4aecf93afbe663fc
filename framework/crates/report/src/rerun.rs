//! The outcome of `mer rerun`: a recorded trial's metrics and predictions
//! against those of its re-run, compared bit for bit. The executor fills it;
//! [`crate::listing::rerun_listing`] renders it.

use mer_store::TrialRow;

/// The outcome of `mer rerun`.
#[derive(Debug, Clone)]
pub struct RerunReport {
    pub origin: TrialRow,
    pub rerun_id: i64,
    /// `(split/fold/epoch/name, recorded, new)` for every metric of either run.
    pub metrics: Vec<(String, Option<f64>, Option<f64>)>,
    /// Predictions that differ (track, fold, target).
    pub differing_predictions: usize,
    pub rerun_error: Option<String>,
}

impl RerunReport {
    /// True when every metric and prediction is bit-for-bit the same.
    pub fn identical(&self) -> bool {
        self.rerun_error.is_none()
            && self.differing_predictions == 0
            && self.metrics.iter().all(|(_, a, b)| same(*a, *b))
    }
}

/// Two recorded values are the same when their bits are (any NaN equals any
/// NaN), or both are missing.
pub fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (None, None) => true,
        _ => false,
    }
}
