//! Aggregation of one metric over folds (x repeats x seeds).
//!
//! The numbers a results table prints as `mean ± std [95 % CI]`. Nothing is
//! dropped: a NaN fold value is counted in `n` and makes the mean, the
//! standard deviation, the interval and the extremes NaN, so a table shows
//! that something was undefined instead of a mean over fewer folds. Infinite
//! values follow IEEE arithmetic (an infinite value makes the mean infinite
//! and the standard deviation NaN).

use serde::{Deserialize, Serialize};

use super::MetricsError;
use super::stats::dist;

/// Mean, spread and Student-t interval of a set of per-fold values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values, NaN ones included.
    pub n: usize,
    /// Arithmetic mean; NaN when `n == 0` or any value is NaN.
    pub mean: f64,
    /// Sample standard deviation (`ddof = 1`, as `numpy.std(ddof=1)`); NaN
    /// when `n < 2` or any value is NaN.
    pub std: f64,
    /// Two-sided 95 % Student-t interval for the mean,
    /// `mean ± t(0.975, n - 1) · std / √n`; `None` when `n < 2`. A constant
    /// sample gives the zero-width interval `(mean, mean)`.
    pub ci95: Option<(f64, f64)>,
    /// Smallest value; NaN when `n == 0` or any value is NaN.
    pub min: f64,
    /// Largest value; NaN when `n == 0` or any value is NaN.
    pub max: f64,
}

impl Summary {
    /// Summarise `values` (one per fold, repeat or seed).
    ///
    /// Never fails: an empty slice gives `n = 0`, NaN statistics and no
    /// interval.
    pub fn of(values: &[f64]) -> Summary {
        let n = values.len();
        if n == 0 {
            return Summary {
                n,
                mean: f64::NAN,
                std: f64::NAN,
                ci95: None,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        let any_nan = values.iter().any(|v| v.is_nan());
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = if n < 2 {
            f64::NAN
        } else {
            (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        let (min, max) = if any_nan {
            (f64::NAN, f64::NAN)
        } else {
            values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                })
        };
        let mut summary = Summary {
            n,
            mean,
            std,
            ci95: None,
            min,
            max,
        };
        // 0.95 is a valid level and the t quantile's special functions only
        // see validated arguments (df >= 1, q in (0, 1)), so the error branch
        // of `t_interval` is unreachable here.
        summary.ci95 = summary.t_interval(0.95).ok().flatten();
        summary
    }

    /// Two-sided Student-t interval for the mean at `confidence` (e.g. `0.9`),
    /// `mean ± t((1 + confidence) / 2, n - 1) · std / √n`, as
    /// `scipy.stats.t.interval(confidence, n - 1, loc=mean, scale=std/√n)`.
    /// `None` when `n < 2`.
    ///
    /// # Errors
    /// [`MetricsError::InvalidParameter`] unless `0 < confidence < 1`.
    pub fn t_interval(&self, confidence: f64) -> Result<Option<(f64, f64)>, MetricsError> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(MetricsError::InvalidParameter {
                name: "confidence",
                value: confidence,
                rule: "must lie strictly between 0 and 1",
            });
        }
        if self.n < 2 {
            return Ok(None);
        }
        let t = dist::t_ppf(0.5 + confidence / 2.0, (self.n - 1) as f64)?;
        let half = t * self.std / (self.n as f64).sqrt();
        Ok(Some((self.mean - half, self.mean + half)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_summary() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, 2.5);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        let (lo, hi) = s.ci95.unwrap();
        // t(0.975, 3) = 3.182446305284263 (tables)
        let half = 3.182446305284263 * (5.0f64 / 3.0).sqrt() / 2.0;
        assert!((lo - (2.5 - half)).abs() < 1e-12);
        assert!((hi - (2.5 + half)).abs() < 1e-12);
    }

    #[test]
    fn nan_is_counted_not_dropped() {
        let s = Summary::of(&[0.5, f64::NAN, 0.7]);
        assert_eq!(s.n, 3);
        assert!(s.mean.is_nan() && s.std.is_nan() && s.min.is_nan() && s.max.is_nan());
        let (lo, hi) = s.ci95.unwrap();
        assert!(lo.is_nan() && hi.is_nan());
    }

    #[test]
    fn degenerate_sizes() {
        let s = Summary::of(&[]);
        assert_eq!(s.n, 0);
        assert!(s.mean.is_nan() && s.ci95.is_none());
        let s = Summary::of(&[0.3]);
        assert_eq!((s.n, s.mean, s.min, s.max), (1, 0.3, 0.3, 0.3));
        assert!(s.std.is_nan() && s.ci95.is_none());
        // 0.5 * 3 is exact, so the mean is exactly 0.5 and the std exactly 0.
        let s = Summary::of(&[0.5, 0.5, 0.5]);
        assert_eq!(s.std, 0.0);
        assert_eq!(s.ci95, Some((0.5, 0.5)));
    }

    #[test]
    fn interval_level_is_validated() {
        let s = Summary::of(&[1.0, 2.0]);
        assert!(s.t_interval(1.0).is_err());
        assert!(s.t_interval(f64::NAN).is_err());
        let narrow = s.t_interval(0.5).unwrap().unwrap();
        let wide = s.ci95.unwrap();
        assert!(narrow.0 > wide.0 && narrow.1 < wide.1);
    }
}
