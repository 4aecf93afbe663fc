//! Wilcoxon signed-rank test on paired samples, two-sided, with the defaults
//! of `scipy.stats.wilcoxon` in scipy 1.17.1 (`scipy/stats/_wilcoxon.py`):
//! `zero_method="wilcox"`, `correction=False`, `alternative="two-sided"`,
//! `method="auto"`.
//!
//! With `d = x - y` (computed in `f64` exactly as numpy does, so round-off
//! decides ties the same way) and `n = len(d)` *including* zero differences:
//!
//! 1. Zero differences are discarded (Wilcoxon 1945); the remaining `m`
//!    values are ranked by `|d|` with average ranks for ties.
//!    `r_plus` / `r_minus` are the rank sums of the positive / negative
//!    differences; the reported statistic is `min(r_plus, r_minus)`.
//! 2. `method="auto"` then chooses, in this order:
//!    - `n > 50`: **asymptotic**;
//!    - no ties among the non-zero `|d|` and no zeros: **exact** null
//!      distribution of `r_plus` over the `2^m` sign patterns,
//!      `p = 2 min(P(R >= floor r+), P(R <= ceil r+))`, clipped to 1;
//!    - otherwise, `n <= 13`: an exhaustive sign-flip **permutation** test
//!      (scipy's `permutation_test` is exact when `2^n <= 9999` resamples):
//!      the same formula over the `2^m` sign patterns of the tied ranks;
//!    - otherwise **asymptotic**.
//! 3. Asymptotic: `z = (r_plus - m(m+1)/4) / se` with the tie-corrected
//!    `se = sqrt((m(m+1)(2m+1) - Σ(t³ - t)/2) / 24)`, no continuity correction,
//!    `p = 2 P(Z > |z|)`. If every difference is zero, `se = 0` and `p` is NaN
//!    (scipy documents the same).
//!
//! Exact and permutation p-values are computed with integer counts and are
//! exact dyadic fractions, identical to scipy's to the last bit.

use super::dist;
use super::rank::rank_average;
use crate::{MetricsError, check_paired};

/// `len(d)` above which scipy's `method="auto"` is always asymptotic.
const EXACT_MAX_N: usize = 50;
/// `len(d)` up to which ties or zeros are handled by an exhaustive
/// permutation test (`2^13 = 8192 <= 9999`, scipy's default `n_resamples`).
const PERMUTATION_MAX_N: usize = 13;

/// How the p-value of a [`WilcoxonResult`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WilcoxonMethod {
    /// Exact null distribution (no ties, no zeros, `n <= 50`).
    Exact,
    /// Exhaustive sign-flip permutation (ties or zeros, `n <= 13`).
    Permutation,
    /// Normal approximation with tie correction.
    Asymptotic,
    /// A difference was NaN; statistic and p-value are NaN.
    NanInput,
}

/// Result of [`wilcoxon`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WilcoxonResult {
    /// `min(r_plus, r_minus)`, scipy's two-sided `statistic`.
    pub statistic: f64,
    /// Sum of the ranks of the positive differences.
    pub r_plus: f64,
    /// Sum of the ranks of the negative differences.
    pub r_minus: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Number of pairs, zero differences included.
    pub n: usize,
    /// Number of zero differences (discarded from the ranking).
    pub n_zero: usize,
    /// The standardised `r_plus` for [`WilcoxonMethod::Asymptotic`] (signed:
    /// positive when `x` tends to exceed `y`), else `None`.
    pub z: Option<f64>,
    /// Which null distribution gave `p_value`.
    pub method: WilcoxonMethod,
}

/// Wilcoxon signed-rank test of `x` against `y` (paired, e.g. per-fold scores
/// of two configurations on the same folds), two-sided, scipy's defaults.
///
/// # Errors
/// [`MetricsError::LengthMismatch`] when the lengths differ;
/// [`MetricsError::TooFew`] when they are empty.
pub fn wilcoxon(x: &[f64], y: &[f64]) -> Result<WilcoxonResult, MetricsError> {
    check_paired("x", x.len(), "y", y.len(), 1)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    wilcoxon_core(&d)
}

fn wilcoxon_core(d: &[f64]) -> Result<WilcoxonResult, MetricsError> {
    let n = d.len();
    if d.iter().any(|v| v.is_nan()) {
        return Ok(WilcoxonResult {
            statistic: f64::NAN,
            r_plus: f64::NAN,
            r_minus: f64::NAN,
            p_value: f64::NAN,
            n,
            n_zero: d.iter().filter(|&&v| v == 0.0).count(),
            z: None,
            method: WilcoxonMethod::NanInput,
        });
    }
    let nonzero: Vec<f64> = d.iter().copied().filter(|&v| v != 0.0).collect();
    let m = nonzero.len();
    let n_zero = n - m;
    let abs: Vec<f64> = nonzero.iter().map(|v| v.abs()).collect();
    let (ranks, ties) = rank_average(&abs);
    let has_ties = ties.iter().any(|&t| t > 1);

    // Ranks are multiples of 1/2; keep them doubled as integers so the null
    // distributions are exact.
    let doubled: Vec<u64> = ranks.iter().map(|&r| (2.0 * r) as u64).collect();
    let r_plus2: u64 = nonzero
        .iter()
        .zip(&doubled)
        .filter(|(v, _)| **v > 0.0)
        .map(|(_, r)| r)
        .sum();
    let total2 = (m * (m + 1)) as u64;
    let r_plus = r_plus2 as f64 / 2.0;
    let r_minus = (total2 - r_plus2) as f64 / 2.0;
    let statistic = r_plus.min(r_minus);

    let method = if n > EXACT_MAX_N {
        WilcoxonMethod::Asymptotic
    } else if !has_ties && n_zero == 0 {
        WilcoxonMethod::Exact
    } else if n <= PERMUTATION_MAX_N {
        WilcoxonMethod::Permutation
    } else {
        WilcoxonMethod::Asymptotic
    };

    let (p_value, z) = if method == WilcoxonMethod::Asymptotic {
        let mf = m as f64;
        let mean = mf * (mf + 1.0) * 0.25;
        let tie_correction: f64 = ties
            .iter()
            .map(|&t| {
                let t = t as f64;
                t * t * t - t
            })
            .sum();
        let se = ((mf * (mf + 1.0) * (2.0 * mf + 1.0) - tie_correction / 2.0) / 24.0).sqrt();
        let z = (r_plus - mean) / se;
        (2.0 * dist::normal_sf(z.abs())?, Some(z))
    } else {
        // Exact and permutation: without ties the doubled ranks are
        // 2, 4, .., 2m and r_plus is an integer, so scipy's floor/ceil are
        // no-ops and both reduce to the same two-tailed count over the sign
        // patterns.
        (sign_flip_p_value(&doubled, r_plus2), None)
    };

    Ok(WilcoxonResult {
        statistic,
        r_plus,
        r_minus,
        p_value,
        n,
        n_zero,
        z,
        method,
    })
}

/// Two-sided p-value of the observed doubled rank sum `observed2` under the
/// `2^m` equally likely sign patterns of the doubled ranks `doubled`:
/// `2 min(#{S <= obs}, #{S >= obs}) / 2^m`, clipped to 1 (scipy's exact
/// `2 min(sf, cdf)` and `permutation_test`'s two-sided rule alike).
fn sign_flip_p_value(doubled: &[u64], observed2: u64) -> f64 {
    let max: usize = doubled.iter().sum::<u64>() as usize;
    // counts[s] = number of sign patterns whose positive doubled ranks sum to s.
    // m <= 50, so every count is below 2^50 and fits in u64 (and in f64 exactly).
    let mut counts = vec![0u64; max + 1];
    counts[0] = 1;
    let mut reach = 0usize;
    for &r in doubled {
        let r = r as usize;
        for s in (0..=reach).rev() {
            if counts[s] != 0 {
                counts[s + r] += counts[s];
            }
        }
        reach += r;
    }
    let obs = observed2 as usize;
    let lower: u64 = counts[..=obs.min(max)].iter().sum();
    let upper: u64 = if obs > max {
        0
    } else {
        counts[obs..].iter().sum()
    };
    let total = 2f64.powi(doubled.len() as i32);
    (2.0 * lower.min(upper) as f64 / total).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_p_for_all_positive_differences() {
        // The most extreme of 2^5 patterns on each side: p = 2/32.
        let r = wilcoxon(&[1.0, 2.0, 3.0, 4.0, 5.0], &[0.0; 5]).unwrap();
        assert_eq!(r.method, WilcoxonMethod::Exact);
        assert_eq!(r.p_value, 2.0 / 32.0);
        assert_eq!((r.r_plus, r.r_minus, r.statistic), (15.0, 0.0, 0.0));
    }

    #[test]
    fn exact_distribution_of_n3_by_hand() {
        // Rank sums over the 8 patterns of {1,2,3}: 0 1 2 3 3 4 5 6.
        // d = (1, -2, 3): r_plus = 4; P(R >= 4) = 3/8, P(R <= 4) = 6/8.
        let r = wilcoxon(&[1.0, -2.0, 3.0], &[0.0; 3]).unwrap();
        assert_eq!(r.r_plus, 4.0);
        assert_eq!(r.p_value, 2.0 * 3.0 / 8.0);
    }

    #[test]
    fn zeros_switch_to_permutation_and_are_dropped() {
        let r = wilcoxon(&[1.0, 2.0, 0.0], &[0.0; 3]).unwrap();
        assert_eq!(r.method, WilcoxonMethod::Permutation);
        assert_eq!((r.n, r.n_zero), (3, 1));
        // Nonzero ranks {1, 2}, both positive: P(R >= 3) = 1/4 -> p = 1/2.
        assert_eq!(r.p_value, 0.5);
    }

    #[test]
    fn all_zero_differences() {
        let r = wilcoxon(&[0.5; 4], &[0.5; 4]).unwrap();
        assert_eq!(r.method, WilcoxonMethod::Permutation);
        assert_eq!(r.p_value, 1.0);
        let r = wilcoxon(&[0.5; 20], &[0.5; 20]).unwrap();
        assert_eq!(r.method, WilcoxonMethod::Asymptotic);
        assert!(r.p_value.is_nan());
    }

    #[test]
    fn nan_propagates() {
        let r = wilcoxon(&[0.5, f64::NAN], &[0.1, 0.2]).unwrap();
        assert_eq!(r.method, WilcoxonMethod::NanInput);
        assert!(r.p_value.is_nan() && r.statistic.is_nan());
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(matches!(
            wilcoxon(&[], &[]),
            Err(MetricsError::TooFew { .. })
        ));
        assert!(matches!(
            wilcoxon(&[1.0], &[1.0, 2.0]),
            Err(MetricsError::LengthMismatch { .. })
        ));
    }

    /// Two-sided p-value by listing all 2^m sign patterns of the ranks.
    fn brute_force_p(ranks: &[f64], r_plus: f64) -> f64 {
        let m = ranks.len();
        let (mut lower, mut upper) = (0u64, 0u64);
        for mask in 0u64..(1 << m) {
            let s: f64 = (0..m)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| ranks[i])
                .sum();
            lower += u64::from(s <= r_plus);
            upper += u64::from(s >= r_plus);
        }
        (2.0 * lower.min(upper) as f64 / (1u64 << m) as f64).min(1.0)
    }

    #[test]
    fn counting_distribution_equals_brute_force_enumeration() {
        let cases: [&[f64]; 5] = [
            &[0.3, -1.2, 0.8, 2.5, -0.1, 1.7, 0.9],
            &[1.0, -1.0, 2.0, 2.0, -3.0, 0.0, 4.0, -2.0],
            &[5.0, 5.0, 5.0, -5.0, 1.0, 1.0],
            &[
                -0.5, -0.25, -0.75, 0.125, -1.0, -2.0, -0.0625, 3.0, -4.0, 0.5, 0.25, -8.0,
            ],
            &[
                2.0, -2.0, 2.0, -2.0, 2.0, -2.0, 2.0, 2.0, 0.0, 0.0, 1.0, 3.0, -3.0,
            ],
        ];
        for d in cases {
            let r = wilcoxon(d, &vec![0.0; d.len()]).unwrap();
            let nonzero: Vec<f64> = d.iter().filter(|v| **v != 0.0).map(|v| v.abs()).collect();
            let (ranks, _) = rank_average(&nonzero);
            assert_eq!(r.p_value, brute_force_p(&ranks, r.r_plus), "{d:?}");
        }
    }

    #[test]
    fn swapping_the_samples_keeps_the_two_sided_p_value() {
        let x = [0.3, 0.9, 0.4, 0.8, 0.75, 0.1, 0.95, 0.6];
        let y = [0.2, 0.5, 0.45, 0.35, 0.7, 0.15, 0.55, 0.52];
        let a = wilcoxon(&x, &y).unwrap();
        let b = wilcoxon(&y, &x).unwrap();
        assert_eq!(a.p_value, b.p_value);
        assert_eq!(a.r_plus, b.r_minus);
    }
}
