//! Holm-Bonferroni adjusted p-values.
//!
//! Holm (1979, "A simple sequentially rejective multiple test procedure",
//! Scandinavian Journal of Statistics 6:65-70). With the `m` p-values sorted
//! ascending, `p_(1) <= .. <= p_(m)`, the adjusted values are
//!
//! ```text
//! p~_(i) = min(1, max_{j <= i} (m - j + 1) p_(j))
//! ```
//!
//! which is monotone in `p` by construction; hypothesis `i` is rejected at
//! level `alpha` exactly when `p~_i <= alpha`. This is
//! `statsmodels.stats.multitest.multipletests(p, method="holm")[1]` (and R's
//! `p.adjust(p, "holm")`).

use crate::MetricsError;

/// Holm-adjusted p-values, in the order of `p_values`.
///
/// A NaN p-value marks a hypothesis that was not tested (e.g. a comparison
/// whose statistic was undefined): it stays NaN and does not count in `m`,
/// as in R's `p.adjust`.
///
/// # Errors
/// [`MetricsError::InvalidPValue`] for a value outside `[0, 1]`.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, MetricsError> {
    if let Some((index, &value)) = p_values
        .iter()
        .enumerate()
        .find(|(_, p)| !p.is_nan() && !(0.0..=1.0).contains(*p))
    {
        return Err(MetricsError::InvalidPValue { index, value });
    }
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| !p_values[i].is_nan())
        .collect();
    // Stable, so equal p-values keep their order; the result does not depend
    // on it (tied values end up with the same adjusted value).
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = order.len();
    let mut adjusted = vec![f64::NAN; p_values.len()];
    let mut running_max = 0.0f64;
    for (j, &i) in order.iter().enumerate() {
        running_max = running_max.max(p_values[i] * (m - j) as f64);
        adjusted[i] = running_max.min(1.0);
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        // sorted 0.01 0.02 0.03 0.5 -> x4 x3 x2 x1 = 0.04 0.06 0.06 0.5
        let adj = holm(&[0.03, 0.5, 0.01, 0.02]).unwrap();
        let want = [0.06, 0.5, 0.04, 0.06];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-15, "{adj:?}");
        }
    }

    #[test]
    fn nan_is_untested_and_not_counted() {
        let adj = holm(&[0.01, f64::NAN, 0.04]).unwrap();
        assert_eq!(adj[0], 0.02);
        assert!(adj[1].is_nan());
        assert_eq!(adj[2], 0.04);
    }

    #[test]
    fn out_of_range_is_an_error() {
        let err = holm(&[0.2, 1.5]).unwrap_err();
        assert!(matches!(err, MetricsError::InvalidPValue { index: 1, .. }));
        assert!(holm(&[-0.0001]).is_err());
        assert!(holm(&[]).unwrap().is_empty());
    }

    #[test]
    fn adjusted_values_are_monotone_and_capped() {
        let p = [0.3, 0.001, 0.2, 0.04, 0.04, 0.9, 0.011];
        let adj = holm(&p).unwrap();
        for i in 0..p.len() {
            assert!(adj[i] >= p[i] && adj[i] <= 1.0);
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    assert!(adj[i] <= adj[j], "{i} {j}");
                }
            }
        }
    }
}
