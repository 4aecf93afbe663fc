//! The corrected resampled t-test of Nadeau & Bengio.
//!
//! Per-fold scores of two configurations on the same folds are not
//! independent: the training sets overlap, so the ordinary paired t-test
//! underestimates the variance of the mean difference and rejects far too
//! often. Nadeau & Bengio (2003, "Inference for the generalization error",
//! Machine Learning 52:239-281) correct the variance by the ratio of test to
//! training set size; Bouckaert & Frank (2004, "Evaluating the replicability
//! of significance tests for comparing learning algorithms", PAKDD, LNCS
//! 3056:3-12) apply it to `r` repetitions of `k`-fold cross-validation:
//!
//! ```text
//! d_j   = a_j - b_j,            j = 1..n,  n = k r
//! t     = mean(d) / sqrt((1/n + n_test/n_train) · var(d))   var with ddof = 1
//! p     = 2 P(T_{n-1} > |t|)
//! ```
//!
//! For k-fold CV `n_test/n_train = 1/(k-1)` ([`kfold_test_train_ratio`]).
//! With ratio 0 this is exactly `scipy.stats.ttest_rel`.

use super::dist;
use crate::{MetricsError, check_paired};

/// Result of [`nadeau_bengio`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrectedTTest {
    /// The corrected t statistic; positive when `a` scores higher on average.
    /// `±inf` when every difference is the same non-zero value, NaN when
    /// every difference is zero (or an input is NaN).
    pub t: f64,
    /// Two-sided p-value; `0` for infinite `t`, NaN for NaN `t`.
    pub p_value: f64,
    /// Degrees of freedom, `n - 1`.
    pub df: usize,
    /// `mean(a - b)`.
    pub mean_difference: f64,
    /// Sample variance (`ddof = 1`) of `a - b`.
    pub variance: f64,
    /// The `n_test / n_train` used for the correction.
    pub test_train_ratio: f64,
}

/// `n_test / n_train = 1 / (k - 1)` for `k`-fold cross-validation.
///
/// # Errors
/// [`MetricsError::InvalidParameter`] when `k < 2`.
pub fn kfold_test_train_ratio(k: usize) -> Result<f64, MetricsError> {
    if k < 2 {
        return Err(MetricsError::InvalidParameter {
            name: "k (folds)",
            value: k as f64,
            rule: "k-fold cross-validation needs at least 2 folds",
        });
    }
    Ok(1.0 / (k - 1) as f64)
}

/// Nadeau-Bengio corrected resampled t-test of the paired per-fold scores
/// `a` and `b` (all folds of all repeats, in the same order), two-sided.
///
/// `test_train_ratio` is `n_test / n_train` of one split (for k-fold,
/// [`kfold_test_train_ratio`]); `0` gives the uncorrected paired t-test.
///
/// # Errors
/// - [`MetricsError::LengthMismatch`] when `a` and `b` differ in length;
/// - [`MetricsError::TooFew`] with fewer than 2 pairs;
/// - [`MetricsError::InvalidParameter`] unless `test_train_ratio` is a finite
///   number `>= 0`.
pub fn nadeau_bengio(
    a: &[f64],
    b: &[f64],
    test_train_ratio: f64,
) -> Result<CorrectedTTest, MetricsError> {
    check_paired("a", a.len(), "b", b.len(), 2)?;
    if !(test_train_ratio.is_finite() && test_train_ratio >= 0.0) {
        return Err(MetricsError::InvalidParameter {
            name: "test_train_ratio",
            value: test_train_ratio,
            rule: "must be a finite number >= 0 (n_test / n_train of one split)",
        });
    }
    let n = a.len();
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let variance = d.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    // IEEE division gives the documented limits: c/0 = ±inf, 0/0 = NaN.
    let t = mean / ((1.0 / n as f64 + test_train_ratio) * variance).sqrt();
    let df = n - 1;
    let p_value = 2.0 * dist::t_sf(t.abs(), df as f64)?;
    Ok(CorrectedTTest {
        t,
        p_value,
        df,
        mean_difference: mean,
        variance,
        test_train_ratio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correction_inflates_the_variance() {
        let a = [0.71, 0.74, 0.69, 0.73, 0.75, 0.70, 0.72, 0.74, 0.71, 0.73];
        let b = [0.70, 0.72, 0.69, 0.70, 0.73, 0.70, 0.70, 0.71, 0.70, 0.72];
        let plain = nadeau_bengio(&a, &b, 0.0).unwrap();
        let corrected = nadeau_bengio(&a, &b, kfold_test_train_ratio(10).unwrap()).unwrap();
        // t shrinks by sqrt((1/n) / (1/n + 1/9)).
        let factor = ((1.0 / 10.0) / (1.0 / 10.0 + 1.0 / 9.0f64)).sqrt();
        assert!((corrected.t - plain.t * factor).abs() < 1e-12);
        assert!(corrected.p_value > plain.p_value);
        assert_eq!(corrected.df, 9);
    }

    #[test]
    fn degenerate_differences() {
        let r = nadeau_bengio(&[0.5, 0.75], &[0.25, 0.5], 0.25).unwrap();
        assert_eq!(r.t, f64::INFINITY);
        assert_eq!(r.p_value, 0.0);
        let r = nadeau_bengio(&[0.5, 0.6], &[0.5, 0.6], 0.25).unwrap();
        assert!(r.t.is_nan() && r.p_value.is_nan());
    }

    #[test]
    fn invalid_arguments() {
        assert!(matches!(
            nadeau_bengio(&[1.0], &[0.0], 0.1),
            Err(MetricsError::TooFew { .. })
        ));
        assert!(matches!(
            nadeau_bengio(&[1.0, 2.0], &[0.0, 1.0], -0.1),
            Err(MetricsError::InvalidParameter {
                name: "test_train_ratio",
                ..
            })
        ));
        assert!(matches!(
            nadeau_bengio(&[1.0, 2.0], &[0.0, 1.0], f64::NAN),
            Err(MetricsError::InvalidParameter { .. })
        ));
        assert!(kfold_test_train_ratio(1).is_err());
        assert_eq!(kfold_test_train_ratio(5).unwrap(), 0.25);
    }
}
