//! Pure metric functions, fold aggregation and statistical tests.
//!
//! Owns: numbers computed from (truth, prediction) pairs and from per-fold
//! scores. Everything here is a pure function over slices: no I/O, no store,
//! no randomness, no global state. The executor calls [`classification`] and
//! [`regression`] on each fold's predictions; reports call [`Summary::of`]
//! and the tests in [`stats`] on the stored per-fold values.
//!
//! Conventions, fixed so that every number here can be recomputed from the
//! stored predictions with scikit-learn / scipy (the integration tests
//! `framework/crates/metrics/tests/reference.rs` and `metrics_stats.rs` do exactly
//! that against fixtures written by `tools/metrics_fixture.py` and
//! `tools/stats_fixture.py`):
//!
//! - `f64` throughout. `NaN` is a legitimate *result* (Pearson's r of a
//!   constant vector, an undefined test statistic); every place that can
//!   return it says so. The store keeps NaN explicitly.
//! - Bad *input* (empty slices, length mismatch, a class label outside
//!   `0..n_classes`, a non-finite regression value) is a [`MetricsError`],
//!   never a panic.
//! - Directions: [`Direction`] says whether a larger value of a named metric
//!   is better; the rank-based statistics take it explicitly.

mod classification;
mod regression;
pub mod stats;
mod summary;

pub use classification::{ClassStats, ClassificationMetrics, classification};
pub use regression::{RegressionMetrics, regression};
pub use summary::Summary;

use serde::{Deserialize, Serialize};

/// Everything that can go wrong when computing a metric or a statistic.
///
/// Each variant names the argument (`what`/`which`), the position where the
/// rule was broken, and the rule itself.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// An input slice had fewer elements than the computation needs.
    #[error("{what} has {n} element(s): at least {min} are needed")]
    TooFew {
        /// Which argument, e.g. `"y_true"`.
        what: &'static str,
        /// Its length.
        n: usize,
        /// The smallest length accepted.
        min: usize,
    },
    /// Two slices that must be paired element by element differ in length.
    #[error(
        "{left} has {left_len} element(s) but {right} has {right_len}: they must be paired one to one"
    )]
    LengthMismatch {
        /// Name of the first argument.
        left: &'static str,
        /// Its length.
        left_len: usize,
        /// Name of the second argument.
        right: &'static str,
        /// Its length.
        right_len: usize,
    },
    /// A class label is not in `0..n_classes`.
    #[error("{which}[{index}] = {label}: class labels must be in 0..{n_classes}")]
    LabelOutOfRange {
        /// `"y_true"` or `"y_pred"`.
        which: &'static str,
        /// Position in that slice.
        index: usize,
        /// The offending label.
        label: usize,
        /// The number of classes the caller declared.
        n_classes: usize,
    },
    /// `n_classes` was zero.
    #[error("n_classes is 0: a classification needs at least one class")]
    NoClasses,
    /// A value that must be finite is NaN or infinite.
    #[error("{which}[{index}] = {value}: values must be finite numbers")]
    NonFinite {
        /// Which argument.
        which: &'static str,
        /// Position in that slice.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A cell of a blocks x configurations table is NaN, so it cannot be ranked.
    #[error("table[{block}][{config}] is NaN: every score must be a number to be ranked")]
    NanInTable {
        /// Row (block: fold x seed, or dataset).
        block: usize,
        /// Column (configuration).
        config: usize,
    },
    /// A row of a blocks x configurations table has the wrong length.
    #[error(
        "table row {block} has {len} value(s) but row 0 has {expected}: every block must score every configuration"
    )]
    RaggedTable {
        /// Row index.
        block: usize,
        /// Its length.
        len: usize,
        /// The length of row 0.
        expected: usize,
    },
    /// A scalar parameter broke its rule.
    #[error("{name} = {value}: {rule}")]
    InvalidParameter {
        /// Parameter name, e.g. `"test_train_ratio"`.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The rule it broke, e.g. "must be a finite number >= 0".
        rule: &'static str,
    },
    /// A p-value outside `[0, 1]` was given to a multiple-testing correction.
    #[error(
        "p_values[{index}] = {value}: a p-value must lie in [0, 1] (NaN marks an untested hypothesis)"
    )]
    InvalidPValue {
        /// Position in the slice.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// No tabulated Nemenyi critical value for this (alpha, k).
    #[error(
        "no Nemenyi critical value for alpha = {alpha} and k = {k}: the table covers alpha in {{0.05, 0.10}} and 2 <= k <= 20"
    )]
    NoNemenyiValue {
        /// The significance level asked for.
        alpha: f64,
        /// The number of configurations.
        k: usize,
    },
    /// A special function from statrs refused its (validated) arguments.
    #[error("{what}: the special function rejected its arguments")]
    Special {
        /// What was being computed, e.g. `"Student t survival function"`.
        what: &'static str,
        /// statrs' own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// Whether a larger or a smaller value of a metric is better.
///
/// Rank-based statistics ([`stats::average_ranks`]) give rank 1 to the best
/// configuration under this direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Accuracy, F1, R², CCC, Pearson's r.
    HigherIsBetter,
    /// RMSE, MAE, losses.
    LowerIsBetter,
}

impl Direction {
    /// The direction of a metric by its stored name (the names used by
    /// [`ClassificationMetrics::scalars`] and [`RegressionMetrics::scalars`];
    /// `f1_class_<i>`, `precision_class_<i>` and `recall_class_<i>` are higher
    /// is better), or `None` for a name this module does not produce.
    pub fn of_metric(name: &str) -> Option<Direction> {
        match name {
            "accuracy" | "macro_f1" | "balanced_accuracy" | "r2" | "ccc" | "pearson" => {
                Some(Direction::HigherIsBetter)
            }
            "rmse" | "mae" => Some(Direction::LowerIsBetter),
            _ if ["f1_class_", "precision_class_", "recall_class_"]
                .iter()
                .any(|p| {
                    name.strip_prefix(p)
                        .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
                }) =>
            {
                Some(Direction::HigherIsBetter)
            }
            _ => None,
        }
    }

    /// `true` when `a` is strictly better than `b` under this direction
    /// (NaN is never better than anything).
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::HigherIsBetter => a > b,
            Direction::LowerIsBetter => a < b,
        }
    }
}

/// Check that two slices have the same, non-zero length.
fn check_paired(
    left: &'static str,
    left_len: usize,
    right: &'static str,
    right_len: usize,
    min: usize,
) -> Result<(), MetricsError> {
    if left_len != right_len {
        return Err(MetricsError::LengthMismatch {
            left,
            left_len,
            right,
            right_len,
        });
    }
    if left_len < min {
        return Err(MetricsError::TooFew {
            what: left,
            n: left_len,
            min,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_of_known_metric_names() {
        assert_eq!(
            Direction::of_metric("accuracy"),
            Some(Direction::HigherIsBetter)
        );
        assert_eq!(Direction::of_metric("rmse"), Some(Direction::LowerIsBetter));
        assert_eq!(Direction::of_metric("mae"), Some(Direction::LowerIsBetter));
        assert_eq!(
            Direction::of_metric("f1_class_12"),
            Some(Direction::HigherIsBetter)
        );
        assert_eq!(Direction::of_metric("f1_class_"), None);
        assert_eq!(Direction::of_metric("f1_class_x"), None);
        assert_eq!(Direction::of_metric("loss"), None);
    }

    #[test]
    fn better_respects_direction_and_nan() {
        assert!(Direction::HigherIsBetter.better(0.9, 0.8));
        assert!(!Direction::HigherIsBetter.better(0.8, 0.9));
        assert!(Direction::LowerIsBetter.better(0.1, 0.2));
        assert!(!Direction::LowerIsBetter.better(f64::NAN, 0.2));
        assert!(!Direction::HigherIsBetter.better(f64::NAN, 0.2));
    }
}
