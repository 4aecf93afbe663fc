//! Regression metrics with scikit-learn's and scipy's conventions.
//!
//! - `r2` = `sklearn.metrics.r2_score` (1.9.1, default `force_finite=True`):
//!   `1 - SS_res / SS_tot`, except: fewer than two samples gives `NaN` (sklearn
//!   warns "R^2 score is not well-defined with less than two samples");
//!   perfect predictions (`SS_res == 0`) give `1.0` even for a constant
//!   `y_true`; a constant `y_true` with imperfect predictions (`SS_tot == 0`,
//!   `SS_res > 0`) gives `0.0` rather than `-inf`.
//! - `rmse` = `root_mean_squared_error`, `mae` = `mean_absolute_error`.
//! - `pearson` = `scipy.stats.pearsonr(...).statistic` (1.17.1): `NaN` when
//!   either side is constant (every element equal to its first, scipy's
//!   `ConstantInputWarning` case); exactly `±1` for two samples; clipped to
//!   `[-1, 1]`. For a single sample scipy raises; here it is `NaN`.
//! - `ccc` = Lin's concordance correlation coefficient (Lin 1989, "A
//!   concordance correlation coefficient to evaluate reproducibility",
//!   Biometrics 45:255-268) with population (`1/n`) moments:
//!   `2 s_xy / (s_x² + s_y² + (mean_x - mean_y)²)`. It is `NaN` only when the
//!   denominator is zero, i.e. both sides constant and equal; both constant
//!   and different gives `0.0`; a constant side against a varying one gives
//!   `0.0` (the covariance is zero).
//!
//! Inputs must be finite: a NaN or infinite value is an error, as sklearn's
//! `check_array` rejects it. A model that diverged to NaN predictions should
//! be recorded as a failed trial with this error, not as a metric.

use serde::{Deserialize, Serialize};

use super::{MetricsError, check_paired};

/// All regression metrics of one fold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Coefficient of determination (sklearn `r2_score`); `NaN` for one sample.
    pub r2: f64,
    /// Root mean squared error, in the target's unit.
    pub rmse: f64,
    /// Mean absolute error, in the target's unit.
    pub mae: f64,
    /// Lin's concordance correlation coefficient, population moments; `NaN`
    /// when both sides are constant and equal.
    pub ccc: f64,
    /// Pearson's r; `NaN` when a side is constant or there is one sample.
    pub pearson: f64,
}

impl RegressionMetrics {
    /// The metrics with their stored names, in a fixed order:
    /// `r2`, `rmse`, `mae`, `ccc`, `pearson`.
    pub fn scalars(&self) -> [(&'static str, f64); 5] {
        [
            ("r2", self.r2),
            ("rmse", self.rmse),
            ("mae", self.mae),
            ("ccc", self.ccc),
            ("pearson", self.pearson),
        ]
    }
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn check_finite(which: &'static str, x: &[f64]) -> Result<(), MetricsError> {
    match x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(MetricsError::NonFinite {
            which,
            index,
            value,
        }),
        None => Ok(()),
    }
}

/// Regression metrics of `y_pred` against `y_true`.
///
/// # Errors
/// - [`MetricsError::LengthMismatch`] when the slices differ in length;
/// - [`MetricsError::TooFew`] when they are empty;
/// - [`MetricsError::NonFinite`] naming the first NaN or infinite value.
pub fn regression(y_true: &[f64], y_pred: &[f64]) -> Result<RegressionMetrics, MetricsError> {
    check_paired("y_true", y_true.len(), "y_pred", y_pred.len(), 1)?;
    check_finite("y_true", y_true)?;
    check_finite("y_pred", y_pred)?;
    let n = y_true.len() as f64;

    let ss_res: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p) * (t - p))
        .sum();
    let abs_err: f64 = y_true.iter().zip(y_pred).map(|(t, p)| (t - p).abs()).sum();
    let rmse = (ss_res / n).sqrt();
    let mae = abs_err / n;

    let mean_t = mean(y_true);
    let mean_p = mean(y_pred);
    let ss_tot: f64 = y_true.iter().map(|t| (t - mean_t) * (t - mean_t)).sum();

    let r2 = if y_true.len() < 2 {
        f64::NAN
    } else if ss_res == 0.0 {
        1.0
    } else if ss_tot == 0.0 {
        0.0
    } else {
        1.0 - ss_res / ss_tot
    };

    // Population moments, two-pass (as numpy's var(ddof=0)).
    let var_t = ss_tot / n;
    let var_p = y_pred
        .iter()
        .map(|p| (p - mean_p) * (p - mean_p))
        .sum::<f64>()
        / n;
    let cov = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - mean_t) * (p - mean_p))
        .sum::<f64>()
        / n;
    // (mean_t - mean_p) is taken as mean(y_true - y_pred): the same number,
    // but without the cancellation of two large, separately rounded means
    // (values near 1e6 with a spread of 1e-3 lose 7 digits the other way).
    let mean_diff = y_true.iter().zip(y_pred).map(|(t, p)| t - p).sum::<f64>() / n;
    let ccc_den = var_t + var_p + mean_diff * mean_diff;
    let ccc = if ccc_den == 0.0 {
        f64::NAN
    } else {
        2.0 * cov / ccc_den
    };

    Ok(RegressionMetrics {
        r2,
        rmse,
        mae,
        ccc,
        pearson: pearson(y_true, y_pred, mean_t, mean_p),
    })
}

/// Pearson's r following `scipy.stats.pearsonr` step by step (centre, scale
/// by the largest deviation to avoid overflow, normalise, dot, clip).
fn pearson(x: &[f64], y: &[f64], mean_x: f64, mean_y: f64) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let constant = |v: &[f64]| v.iter().all(|&e| e == v[0]);
    if constant(x) || constant(y) {
        return f64::NAN;
    }
    let xm: Vec<f64> = x.iter().map(|v| v - mean_x).collect();
    let ym: Vec<f64> = y.iter().map(|v| v - mean_y).collect();
    let norm = |v: &[f64]| {
        let vmax = v.iter().fold(0.0f64, |m, e| m.max(e.abs()));
        vmax * v
            .iter()
            .map(|e| (e / vmax) * (e / vmax))
            .sum::<f64>()
            .sqrt()
    };
    let (nx, ny) = (norm(&xm), norm(&ym));
    let r = xm
        .iter()
        .zip(&ym)
        .map(|(a, b)| (a / nx) * (b / ny))
        .sum::<f64>()
        .clamp(-1.0, 1.0);
    // scipy returns exactly +-1 for two samples.
    if x.len() == 2 { r.round() } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        let m = regression(&[1.0, 2.0, 3.0], &[1.0, 2.0, 5.0]).unwrap();
        // residuals 0 0 -2: ss_res 4, ss_tot 2
        assert_eq!(m.r2, 1.0 - 4.0 / 2.0);
        assert_eq!(m.rmse, (4.0f64 / 3.0).sqrt());
        assert_eq!(m.mae, 2.0 / 3.0);
        // mean_t 2, mean_p 8/3; var_t 2/3, var_p 26/9; cov 4/3
        let ccc = 2.0 * (4.0 / 3.0) / (2.0 / 3.0 + 26.0 / 9.0 + 4.0 / 9.0);
        assert!((m.ccc - ccc).abs() < 1e-15);
        let r = (4.0 / 3.0) / ((2.0f64 / 3.0).sqrt() * (26.0f64 / 9.0).sqrt());
        assert!((m.pearson - r).abs() < 1e-15);
    }

    #[test]
    fn constant_inputs_have_documented_values() {
        let m = regression(&[0.5, 0.5, 0.5], &[0.1, 0.2, 0.3]).unwrap();
        assert_eq!(m.r2, 0.0);
        assert!(m.pearson.is_nan());
        assert_eq!(m.ccc, 0.0);
        let m = regression(&[0.5, 0.5], &[0.5, 0.5]).unwrap();
        assert_eq!(m.r2, 1.0);
        assert!(m.ccc.is_nan());
        assert_eq!(m.rmse, 0.0);
        let m = regression(&[0.4], &[0.1]).unwrap();
        assert!(m.r2.is_nan());
        assert!(m.pearson.is_nan());
    }

    #[test]
    fn non_finite_and_shape_errors() {
        let err = regression(&[0.0, 1.0], &[0.0, f64::NAN]).unwrap_err();
        assert!(matches!(
            err,
            MetricsError::NonFinite {
                which: "y_pred",
                index: 1,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "y_pred[1] = NaN: values must be finite numbers"
        );
        assert!(matches!(
            regression(&[f64::INFINITY], &[0.0]),
            Err(MetricsError::NonFinite {
                which: "y_true",
                index: 0,
                ..
            })
        ));
        assert!(matches!(
            regression(&[], &[]),
            Err(MetricsError::TooFew { .. })
        ));
        assert!(matches!(
            regression(&[1.0], &[1.0, 2.0]),
            Err(MetricsError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn pearson_survives_huge_values() {
        // Would overflow when squaring without scipy's rescaling.
        let m = regression(&[-5e200, 5e200, 3e200], &[-1.0, 1.0, 0.5]).unwrap();
        assert!(m.pearson.is_finite() && m.pearson > 0.99);
    }
}
