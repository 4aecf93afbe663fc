//! Classification metrics with scikit-learn's conventions.
//!
//! Matches scikit-learn 1.9.1 (`sklearn/metrics/_classification.py`) called
//! with `labels=range(n_classes)` and every other argument at its default:
//!
//! - `accuracy` = `accuracy_score`: the fraction of exact matches.
//! - per-class `precision`, `recall`, `f1` = `precision_score` /
//!   `recall_score` / `f1_score` with `average=None`. A ratio whose
//!   denominator is zero is set to `0.0`: that is what the default
//!   `zero_division="warn"` does (`_prf_divide` sets the value to 0 and only
//!   warns). So a class never predicted has precision 0, a class absent from
//!   `y_true` has recall 0, and a class absent from both has F1 0.
//!   F1 is computed as sklearn does, `2 tp / (support + predicted)`, not from
//!   the rounded precision and recall.
//! - `macro_f1` = `f1_score(average="macro", labels=range(n_classes))`: the
//!   unweighted mean over **all** `n_classes` labels, so a class absent from
//!   both `y_true` and `y_pred` counts as an F1 of 0 and lowers the mean.
//!   (sklearn without `labels` would average only over the classes present;
//!   fixing the label set keeps folds comparable.)
//! - `balanced_accuracy` = `balanced_accuracy_score(y_true, y_pred)`, which has
//!   no `labels` argument: the mean recall over the classes that occur in
//!   `y_true`. Classes absent from `y_true` are dropped (sklearn warns
//!   "y_pred contains classes not in y_true" and drops their NaN recall).
//! - `confusion[true][pred]` = `confusion_matrix(labels=range(n_classes))`.

use serde::{Deserialize, Serialize};

use super::{MetricsError, check_paired};

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassStats {
    /// `tp / predicted`, `0.0` when the class is never predicted.
    pub precision: f64,
    /// `tp / support`, `0.0` when the class is absent from `y_true`.
    pub recall: f64,
    /// `2 tp / (support + predicted)`, `0.0` when both are zero.
    pub f1: f64,
    /// Number of samples of this class in `y_true`.
    pub support: u64,
}

/// All classification metrics of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// Fraction of samples predicted correctly, in `[0, 1]`.
    pub accuracy: f64,
    /// Unweighted mean F1 over all `n_classes` classes (absent classes count 0).
    pub macro_f1: f64,
    /// Mean recall over the classes present in `y_true`.
    pub balanced_accuracy: f64,
    /// One entry per class, indexed by class label; length `n_classes`.
    pub per_class: Vec<ClassStats>,
    /// Counts indexed `[true class][predicted class]`; shape
    /// `[n_classes][n_classes]`.
    pub confusion: Vec<Vec<u64>>,
}

impl ClassificationMetrics {
    /// The scalar metrics with their stored names, in a fixed order:
    /// `accuracy`, `macro_f1`, `balanced_accuracy`, then `f1_class_<i>` for
    /// every class `i` in label order.
    pub fn scalars(&self) -> Vec<(String, f64)> {
        let mut out = vec![
            ("accuracy".to_string(), self.accuracy),
            ("macro_f1".to_string(), self.macro_f1),
            ("balanced_accuracy".to_string(), self.balanced_accuracy),
        ];
        out.extend(
            self.per_class
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("f1_class_{i}"), c.f1)),
        );
        out
    }
}

/// `numerator / denominator`, or `0.0` when the denominator is zero
/// (sklearn's `_prf_divide` with the default `zero_division="warn"`).
fn ratio_or_zero(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        0.0
    } else {
        numerator / denominator
    }
}

/// Classification metrics of `y_pred` against `y_true` over the labels
/// `0..n_classes`.
///
/// # Errors
/// - [`MetricsError::LengthMismatch`] when the slices differ in length;
/// - [`MetricsError::TooFew`] when they are empty;
/// - [`MetricsError::NoClasses`] when `n_classes == 0`;
/// - [`MetricsError::LabelOutOfRange`] naming the first label `>= n_classes`.
pub fn classification(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
) -> Result<ClassificationMetrics, MetricsError> {
    check_paired("y_true", y_true.len(), "y_pred", y_pred.len(), 1)?;
    if n_classes == 0 {
        return Err(MetricsError::NoClasses);
    }
    for (which, ys) in [("y_true", y_true), ("y_pred", y_pred)] {
        if let Some((index, &label)) = ys.iter().enumerate().find(|&(_, &y)| y >= n_classes) {
            return Err(MetricsError::LabelOutOfRange {
                which,
                index,
                label,
                n_classes,
            });
        }
    }

    // [true][pred]
    let mut confusion = vec![vec![0u64; n_classes]; n_classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        confusion[t][p] += 1;
    }

    let n = y_true.len() as f64;
    let correct: u64 = (0..n_classes).map(|c| confusion[c][c]).sum();
    let accuracy = correct as f64 / n;

    let per_class: Vec<ClassStats> = (0..n_classes)
        .map(|c| {
            let tp = confusion[c][c];
            let support: u64 = confusion[c].iter().sum();
            let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
            ClassStats {
                precision: ratio_or_zero(tp as f64, predicted as f64),
                recall: ratio_or_zero(tp as f64, support as f64),
                // sklearn: (1 + beta^2) tp / (beta^2 support + predicted), beta = 1.
                f1: ratio_or_zero(2.0 * tp as f64, support as f64 + predicted as f64),
                support,
            }
        })
        .collect();

    let macro_f1 = per_class.iter().map(|c| c.f1).sum::<f64>() / n_classes as f64;

    let present: Vec<f64> = per_class
        .iter()
        .filter(|c| c.support > 0)
        .map(|c| c.recall)
        .collect();
    // Non-empty: y_true has at least one sample, so some class has support.
    let balanced_accuracy = present.iter().sum::<f64>() / present.len() as f64;

    Ok(ClassificationMetrics {
        accuracy,
        macro_f1,
        balanced_accuracy,
        per_class,
        confusion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_three_class_example() {
        // true 0 0 1 1 2 2, pred 0 1 1 1 0 2
        let m = classification(&[0, 0, 1, 1, 2, 2], &[0, 1, 1, 1, 0, 2], 3).unwrap();
        assert_eq!(
            m.confusion,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]
        );
        assert_eq!(m.accuracy, 4.0 / 6.0);
        // class 0: tp 1, support 2, predicted 2 -> p 0.5 r 0.5 f1 0.5
        // class 1: tp 2, support 2, predicted 3 -> p 2/3 r 1 f1 4/5
        // class 2: tp 1, support 2, predicted 1 -> p 1 r 0.5 f1 2/3
        assert_eq!(m.per_class[1].precision, 2.0 / 3.0);
        assert_eq!(m.per_class[1].f1, 4.0 / 5.0);
        assert_eq!(m.per_class[2].f1, 2.0 / 3.0);
        assert!((m.macro_f1 - (0.5 + 0.8 + 2.0 / 3.0) / 3.0).abs() < 1e-15);
        assert!((m.balanced_accuracy - (0.5 + 1.0 + 0.5) / 3.0).abs() < 1e-15);
    }

    #[test]
    fn absent_class_counts_zero_in_macro_f1_but_not_in_balanced_accuracy() {
        let m = classification(&[0, 1], &[0, 1], 3).unwrap();
        assert_eq!(m.per_class[2].f1, 0.0);
        assert_eq!(m.per_class[2].support, 0);
        assert_eq!(m.macro_f1, 2.0 / 3.0);
        assert_eq!(m.balanced_accuracy, 1.0);
        assert_eq!(m.accuracy, 1.0);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(matches!(
            classification(&[], &[], 2),
            Err(MetricsError::TooFew {
                what: "y_true",
                n: 0,
                min: 1
            })
        ));
        assert!(matches!(
            classification(&[0, 1], &[0], 2),
            Err(MetricsError::LengthMismatch {
                left_len: 2,
                right_len: 1,
                ..
            })
        ));
        assert!(matches!(
            classification(&[0], &[0], 0),
            Err(MetricsError::NoClasses)
        ));
        let err = classification(&[0, 1], &[0, 5], 2).unwrap_err();
        assert!(matches!(
            err,
            MetricsError::LabelOutOfRange {
                which: "y_pred",
                index: 1,
                label: 5,
                n_classes: 2
            }
        ));
        assert_eq!(
            err.to_string(),
            "y_pred[1] = 5: class labels must be in 0..2"
        );
    }

    #[test]
    fn scalars_have_stable_names_and_order() {
        let m = classification(&[0, 1], &[1, 1], 2).unwrap();
        let names: Vec<String> = m.scalars().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "accuracy",
                "macro_f1",
                "balanced_accuracy",
                "f1_class_0",
                "f1_class_1"
            ]
        );
        for (name, _) in m.scalars() {
            assert!(
                super::super::Direction::of_metric(&name).is_some(),
                "{name}"
            );
        }
    }
}
