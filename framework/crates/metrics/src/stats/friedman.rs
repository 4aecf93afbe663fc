//! Friedman test and average ranks over a blocks x configurations table.
//!
//! Friedman (1937, "The use of ranks to avoid the assumption of normality
//! implicit in the analysis of variance", JASA 32:675-701); as recommended
//! for comparing classifiers by Demšar (2006, "Statistical comparisons of
//! classifiers over multiple data sets", JMLR 7:1-30, Sec. 3.2.2).
//! Implementation follows `scipy.stats.friedmanchisquare` (scipy 1.17.1):
//! within each block the `k` scores are ranked with average ranks for ties,
//! `R_j` is the rank sum of configuration `j` over the `n` blocks, and
//!
//! ```text
//! chi2 = (12 / (n k (k+1)) Σ_j R_j² - 3 n (k+1)) / C
//! C    = 1 - Σ_blocks Σ_groups (t³ - t) / (n k (k² - 1))      tie correction
//! p    = P(Chi2_{k-1} > chi2)
//! ```
//!
//! The statistic does not depend on the ranking direction (reversing the
//! ranks leaves `Σ R_j²` unchanged), so [`friedman`] takes none;
//! [`average_ranks`] does.

use super::rank::rank_average;
use super::{dist, table_shape};
use crate::{Direction, MetricsError};

/// Result of [`friedman`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FriedmanResult {
    /// The tie-corrected chi-square statistic. NaN when a score is NaN or when
    /// every block is a complete tie (`C = 0`, nothing to rank).
    pub statistic: f64,
    /// `P(Chi2_{k-1} > statistic)`; NaN with a NaN statistic.
    pub p_value: f64,
    /// Degrees of freedom, `k - 1`.
    pub df: usize,
    /// Number of blocks `n`.
    pub n_blocks: usize,
    /// Number of configurations `k`.
    pub k: usize,
}

/// Friedman test on `table[block][config]` (`[n_blocks][k]`, `k >= 3` as
/// scipy requires, `n_blocks >= 1`).
///
/// # Errors
/// [`MetricsError::TooFew`] for fewer than 1 block or 3 configurations;
/// [`MetricsError::RaggedTable`] when rows differ in length.
pub fn friedman<R: AsRef<[f64]>>(table: &[R]) -> Result<FriedmanResult, MetricsError> {
    let (n, k) = table_shape(table, 1, 3)?;
    let nan = FriedmanResult {
        statistic: f64::NAN,
        p_value: f64::NAN,
        df: k - 1,
        n_blocks: n,
        k,
    };
    if table
        .iter()
        .any(|row| row.as_ref().iter().any(|v| v.is_nan()))
    {
        return Ok(nan);
    }
    let mut rank_sums = vec![0.0f64; k];
    let mut ties = 0.0f64;
    for row in table {
        let (ranks, groups) = rank_average(row.as_ref());
        for (sum, r) in rank_sums.iter_mut().zip(&ranks) {
            *sum += r;
        }
        ties += groups
            .iter()
            .map(|&t| {
                let t = t as f64;
                t * (t * t - 1.0)
            })
            .sum::<f64>();
    }
    let (nf, kf) = (n as f64, k as f64);
    let c = 1.0 - ties / (kf * (kf * kf - 1.0) * nf);
    if c == 0.0 {
        return Ok(nan);
    }
    let ssbn: f64 = rank_sums.iter().map(|r| r * r).sum();
    let statistic = (12.0 / (kf * nf * (kf + 1.0)) * ssbn - 3.0 * nf * (kf + 1.0)) / c;
    let p_value = dist::chi2_sf(statistic, (k - 1) as f64)?;
    Ok(FriedmanResult {
        statistic,
        p_value,
        df: k - 1,
        n_blocks: n,
        k,
    })
}

/// Average rank of each configuration over the blocks of
/// `table[block][config]`, rank 1 being the best under `direction`; ties
/// within a block share the mean of their ranks (Demšar 2006, Sec. 3.2.2).
/// Returns `k` values summing to `k (k + 1) / 2`.
///
/// # Errors
/// [`MetricsError::TooFew`] for an empty table or zero configurations;
/// [`MetricsError::RaggedTable`]; [`MetricsError::NanInTable`] naming the
/// first NaN cell (a NaN score cannot be ranked).
pub fn average_ranks<R: AsRef<[f64]>>(
    table: &[R],
    direction: Direction,
) -> Result<Vec<f64>, MetricsError> {
    let (n, k) = table_shape(table, 1, 1)?;
    let mut sums = vec![0.0f64; k];
    for (block, row) in table.iter().enumerate() {
        let row = row.as_ref();
        if let Some(config) = row.iter().position(|v| v.is_nan()) {
            return Err(MetricsError::NanInTable { block, config });
        }
        // Ascending ranks put the smallest first: negate when higher is better.
        let keyed: Vec<f64> = match direction {
            Direction::LowerIsBetter => row.to_vec(),
            Direction::HigherIsBetter => row.iter().map(|v| -v).collect(),
        };
        let (ranks, _) = rank_average(&keyed);
        for (s, r) in sums.iter_mut().zip(ranks) {
            *s += r;
        }
    }
    Ok(sums.into_iter().map(|s| s / n as f64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfectly_consistent_ranking() {
        // Every block ranks the configurations the same way: R = (n, 2n, 3n),
        // chi2 = 12/(3n 4) n² 14 - 12 n = 2n.
        let table = vec![vec![1.0, 2.0, 3.0]; 5];
        let r = friedman(&table).unwrap();
        assert!((r.statistic - 10.0).abs() < 1e-12);
        assert!((r.p_value - (-5.0f64).exp()).abs() < 1e-14); // chi2 with 2 df
        assert_eq!((r.df, r.n_blocks, r.k), (2, 5, 3));
    }

    #[test]
    fn complete_ties_and_nan_give_nan() {
        let r = friedman(&[[0.5, 0.5, 0.5], [0.7, 0.7, 0.7]]).unwrap();
        assert!(r.statistic.is_nan() && r.p_value.is_nan());
        let r = friedman(&[[0.5, f64::NAN, 0.1]]).unwrap();
        assert!(r.statistic.is_nan());
    }

    #[test]
    fn shape_errors() {
        assert!(matches!(
            friedman(&[[1.0, 2.0]]),
            Err(MetricsError::TooFew { .. })
        ));
        let empty: [[f64; 3]; 0] = [];
        assert!(matches!(friedman(&empty), Err(MetricsError::TooFew { .. })));
        let ragged = vec![vec![1.0, 2.0, 3.0], vec![1.0, 2.0]];
        assert!(matches!(
            friedman(&ragged),
            Err(MetricsError::RaggedTable {
                block: 1,
                len: 2,
                expected: 3
            })
        ));
    }

    #[test]
    fn ranks_follow_direction() {
        let table = [[0.9, 0.8, 0.8], [0.7, 0.9, 0.6]];
        // higher is better: block 0 -> 1, 2.5, 2.5; block 1 -> 2, 1, 3
        let hi = average_ranks(&table, Direction::HigherIsBetter).unwrap();
        assert_eq!(hi, vec![1.5, 1.75, 2.75]);
        // lower is better: block 0 -> 3, 1.5, 1.5; block 1 -> 2, 3, 1
        let lo = average_ranks(&table, Direction::LowerIsBetter).unwrap();
        assert_eq!(lo, vec![2.5, 2.25, 1.25]);
        let err = average_ranks(&[[0.1, f64::NAN]], Direction::LowerIsBetter).unwrap_err();
        assert!(matches!(
            err,
            MetricsError::NanInTable {
                block: 0,
                config: 1
            }
        ));
    }
}
