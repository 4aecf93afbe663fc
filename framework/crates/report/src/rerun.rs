//! The outcome of re-running a recorded trial: its metrics and predictions
//! against those of the re-run, compared bit for bit, or within an absolute
//! tolerance where bit-identity is not expected (another CPU, a GPU). The
//! executor reads the rows; [`compare`] decides; [`crate::listing`] and
//! [`crate::reproduction`] render.

use std::collections::{BTreeMap, BTreeSet};

use mer_store::{MetricRow, PredictionRow, Split, TrialRow};

/// One metric of either run, by split, fold, epoch and name.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPair {
    pub split: Split,
    pub fold: i64,
    /// `None`: the fold's final model; `Some(e)`: after epoch `e`.
    pub epoch: Option<i64>,
    pub name: String,
    pub recorded: Option<f64>,
    pub rerun: Option<f64>,
}

impl MetricPair {
    /// `test/fold0/epoch3/accuracy`, `test/fold1/macro_f1`.
    pub fn label(&self) -> String {
        format!(
            "{}/fold{}/{}{}",
            self.split.as_str(),
            self.fold,
            self.epoch.map(|e| format!("epoch{e}/")).unwrap_or_default(),
            self.name
        )
    }

    /// `|recorded - rerun|`: 0 for the same bits (NaN = NaN), infinite when
    /// one side is missing or only one is finite.
    pub fn difference(&self) -> f64 {
        match (self.recorded, self.rerun) {
            (a, b) if same(a, b) => 0.0,
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() => (a - b).abs(),
            _ => f64::INFINITY,
        }
    }
}

/// How a re-run compares with its recorded trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every metric and prediction has the same bits.
    Identical,
    /// Not bit for bit, but every value within the tolerance.
    WithinTolerance,
    /// Some metric or prediction differs (beyond the tolerance, if any).
    Differs,
    /// The re-run did not complete.
    Failed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::WithinTolerance => "within tolerance",
            Verdict::Differs => "differs",
            Verdict::Failed => "failed",
        }
    }
}

/// The outcome of re-running one trial.
#[derive(Debug, Clone)]
pub struct RerunReport {
    pub origin: TrialRow,
    pub rerun_id: i64,
    /// Absolute tolerance (`None`: bit-identity is required).
    pub tolerance: Option<f64>,
    /// Every metric of either run, in split/fold/epoch/name order.
    pub metrics: Vec<MetricPair>,
    /// Predictions (track, fold, target) of either run.
    pub compared_predictions: usize,
    /// Predictions whose bits differ, or that one run lacks.
    pub changed_predictions: usize,
    /// Predictions that differ beyond the tolerance (= changed without one).
    pub differing_predictions: usize,
    pub rerun_error: Option<String>,
}

/// Compares a recorded trial's rows with its re-run's.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    origin: TrialRow,
    rerun_id: i64,
    tolerance: Option<f64>,
    recorded_metrics: &[MetricRow],
    rerun_metrics: &[MetricRow],
    recorded_predictions: &[PredictionRow],
    rerun_predictions: &[PredictionRow],
    rerun_error: Option<String>,
) -> RerunReport {
    type MetricKey = (u8, i64, i64, String);
    let key = |m: &MetricRow| -> MetricKey {
        // Epochs in order, the fold's final model after them.
        let split = match m.split {
            Split::Train => 0,
            Split::Validation => 1,
            Split::Test => 2,
        };
        (split, m.fold, m.epoch.unwrap_or(i64::MAX), m.name.clone())
    };
    let mut pairs: BTreeMap<MetricKey, MetricPair> = BTreeMap::new();
    for (m, recorded) in recorded_metrics
        .iter()
        .map(|m| (m, true))
        .chain(rerun_metrics.iter().map(|m| (m, false)))
    {
        let p = pairs.entry(key(m)).or_insert_with(|| MetricPair {
            split: m.split,
            fold: m.fold,
            epoch: m.epoch,
            name: m.name.clone(),
            recorded: None,
            rerun: None,
        });
        if recorded {
            p.recorded = Some(m.value);
        } else {
            p.rerun = Some(m.value);
        }
    }
    let pred_key = |p: &PredictionRow| (p.fold, p.track_id.clone(), p.target.clone());
    let old: BTreeMap<_, &PredictionRow> = recorded_predictions
        .iter()
        .map(|p| (pred_key(p), p))
        .collect();
    let new: BTreeMap<_, &PredictionRow> =
        rerun_predictions.iter().map(|p| (pred_key(p), p)).collect();
    let keys: BTreeSet<_> = old.keys().chain(new.keys()).collect();
    let tol = tolerance.unwrap_or(0.0);
    let (mut changed, mut differing) = (0, 0);
    for k in &keys {
        let (a, b) = (old.get(*k), new.get(*k));
        let (bits, close) = match (a, b) {
            (Some(a), Some(b)) => (predictions_agree(a, b, 0.0), predictions_agree(a, b, tol)),
            _ => (false, false),
        };
        changed += usize::from(!bits);
        differing += usize::from(!close);
    }
    RerunReport {
        origin,
        rerun_id,
        tolerance,
        metrics: pairs.into_values().collect(),
        compared_predictions: keys.len(),
        changed_predictions: changed,
        differing_predictions: differing,
        rerun_error,
    }
}

/// Two predictions agree when their labels, values and scores are within
/// `tol` of each other (`0`: the same bits) and their extras are equal.
fn predictions_agree(a: &PredictionRow, b: &PredictionRow, tol: f64) -> bool {
    let close = |x: f64, y: f64| same(Some(x), Some(y)) || (x - y).abs() <= tol;
    close(a.y_true, b.y_true)
        && close(a.y_pred, b.y_pred)
        && match (&a.scores, &b.scores) {
            (Some(x), Some(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(*p, *q)),
            (None, None) => true,
            _ => false,
        }
        && a.extra == b.extra
}

impl RerunReport {
    /// Whether one metric agrees under this report's tolerance.
    fn metric_agrees(&self, m: &MetricPair) -> bool {
        m.difference() <= self.tolerance.unwrap_or(0.0)
    }

    /// The metrics that differ (beyond the tolerance, if any).
    pub fn differing_metrics(&self) -> Vec<&MetricPair> {
        self.metrics
            .iter()
            .filter(|m| !self.metric_agrees(m))
            .collect()
    }

    /// The metric with the largest absolute difference, if any differs at
    /// all (bit for bit).
    pub fn largest_difference(&self) -> Option<(&MetricPair, f64)> {
        self.metrics
            .iter()
            .map(|m| (m, m.difference()))
            .filter(|(_, d)| *d > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// The first fold (and, for networks, epoch) where a metric differs:
    /// where to look first.
    pub fn first_difference(&self) -> Option<(i64, Option<i64>)> {
        self.differing_metrics()
            .into_iter()
            .map(|m| (m.fold, m.epoch.unwrap_or(i64::MAX)))
            .min()
            .map(|(fold, e)| (fold, (e != i64::MAX).then_some(e)))
    }

    pub fn verdict(&self) -> Verdict {
        if self.rerun_error.is_some() {
            return Verdict::Failed;
        }
        let bits =
            self.changed_predictions == 0 && self.metrics.iter().all(|m| m.difference() == 0.0);
        if bits {
            Verdict::Identical
        } else if self.tolerance.is_some()
            && self.differing_predictions == 0
            && self.differing_metrics().is_empty()
        {
            Verdict::WithinTolerance
        } else {
            Verdict::Differs
        }
    }

    /// True when every metric and prediction is bit-for-bit the same.
    pub fn identical(&self) -> bool {
        self.verdict() == Verdict::Identical
    }

    /// True when the re-run reproduces the trial: identical, or within the
    /// tolerance asked for.
    pub fn reproduces(&self) -> bool {
        matches!(
            self.verdict(),
            Verdict::Identical | Verdict::WithinTolerance
        )
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

/// A completed trial row for tests.
#[cfg(test)]
pub(crate) fn test_trial() -> TrialRow {
    tests::trial()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn trial() -> TrialRow {
        TrialRow {
            id: 1,
            key: "k".into(),
            experiment: "e".into(),
            sweep_id: None,
            dataset_fingerprint: "d".into(),
            origin_trial_id: None,
            reason: mer_store::TrialReason::Sweep,
            modality: "audio".into(),
            architecture: "svm".into(),
            labels: "quadrants".into(),
            task: "classification".into(),
            seed: 1,
            params_json: "{}".into(),
            config_json: "{}".into(),
            status: mer_store::TrialStatus::Completed,
            attempts: 1,
            worker: None,
            heartbeat_at: None,
            created_at: String::new(),
            started_at: None,
            finished_at: None,
            duration_s: None,
            error: None,
            classes: None,
            split_hash: None,
        }
    }

    fn metric(fold: i64, epoch: Option<i64>, name: &str, value: f64) -> MetricRow {
        MetricRow {
            split: Split::Test,
            fold,
            epoch,
            name: name.into(),
            value,
        }
    }

    fn pred(track: &str, y_pred: f64, scores: &[f64]) -> PredictionRow {
        PredictionRow {
            fold: 0,
            track_id: track.into(),
            target: "class".into(),
            y_true: 1.0,
            y_pred,
            scores: Some(scores.to_vec()),
            extra: None,
        }
    }

    #[test]
    fn the_same_bits_are_identical_and_nan_equals_nan() {
        let m = [metric(0, None, "acc", 0.5), metric(0, None, "r", f64::NAN)];
        let p = [pred("a", 1.0, &[0.25, 0.75])];
        let r = compare(trial(), 2, None, &m, &m, &p, &p, None);
        assert_eq!(r.verdict(), Verdict::Identical);
        assert_eq!((r.compared_predictions, r.changed_predictions), (1, 0));
        assert!(r.largest_difference().is_none() && r.first_difference().is_none());
    }

    #[test]
    fn a_difference_names_its_size_fold_and_epoch_and_a_tolerance_can_accept_it() {
        let old = [
            metric(0, Some(1), "loss", 1.0),
            metric(0, None, "acc", 0.5),
            metric(1, Some(1), "loss", 1.0),
            metric(1, Some(2), "loss", 0.8),
            metric(1, None, "acc", 0.5),
        ];
        let mut new = old.clone();
        new[3].value = 0.8 + 1e-9; // fold 1, epoch 2
        new[4].value = 0.5 + 3e-9; // fold 1, final
        let p_old = [pred("a", 1.0, &[0.25, 0.75]), pred("b", 0.0, &[0.6, 0.4])];
        let p_new = [
            pred("a", 1.0, &[0.25 + 1e-12, 0.75 - 1e-12]),
            pred("b", 0.0, &[0.6, 0.4]),
        ];
        let exact = compare(trial(), 2, None, &old, &new, &p_old, &p_new, None);
        assert_eq!(exact.verdict(), Verdict::Differs);
        assert_eq!(exact.differing_metrics().len(), 2);
        assert_eq!(exact.first_difference(), Some((1, Some(2))));
        let (m, d) = exact.largest_difference().unwrap();
        assert_eq!(m.label(), "test/fold1/acc");
        assert!((d - 3e-9).abs() < 1e-15, "{d}");
        assert_eq!(
            (exact.changed_predictions, exact.differing_predictions),
            (1, 1)
        );

        let loose = compare(trial(), 2, Some(1e-6), &old, &new, &p_old, &p_new, None);
        assert_eq!(loose.verdict(), Verdict::WithinTolerance);
        assert!(loose.reproduces() && !loose.identical());
        assert_eq!(
            (loose.changed_predictions, loose.differing_predictions),
            (1, 0)
        );
        let tight = compare(trial(), 2, Some(2e-9), &old, &new, &p_old, &p_new, None);
        assert_eq!(tight.verdict(), Verdict::Differs);
        assert_eq!(tight.first_difference(), Some((1, None)));
    }

    #[test]
    fn a_missing_metric_or_prediction_differs_under_any_tolerance_and_a_failure_fails() {
        let old = [metric(0, None, "acc", 0.5), metric(0, None, "f1", 0.4)];
        let new = [metric(0, None, "acc", 0.5)];
        let r = compare(
            trial(),
            2,
            Some(1.0),
            &old,
            &new,
            &[pred("a", 1.0, &[1.0])],
            &[],
            None,
        );
        assert_eq!(r.verdict(), Verdict::Differs);
        assert!(r.largest_difference().unwrap().1.is_infinite());
        assert_eq!(r.differing_predictions, 1);
        let failed = compare(trial(), 2, None, &old, &[], &[], &[], Some("boom".into()));
        assert_eq!(failed.verdict(), Verdict::Failed);
        assert!(!failed.reproduces());
    }
}
