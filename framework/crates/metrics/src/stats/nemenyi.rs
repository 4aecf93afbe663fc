//! Nemenyi critical difference and the cliques of a critical-difference
//! diagram (Demšar 2006, "Statistical comparisons of classifiers over
//! multiple data sets", JMLR 7:1-30, Sec. 3.2.2 and Fig. 1).
//!
//! After a significant Friedman test, two of `k` configurations compared over
//! `N` blocks differ significantly when their average ranks differ by at
//! least
//!
//! ```text
//! CD = q_alpha · sqrt(k (k + 1) / (6 N))
//! ```
//!
//! where `q_alpha` is the studentized range statistic for `k` groups and
//! infinite degrees of freedom divided by `√2`. Demšar's Table 5 lists it to
//! three decimals for `k <= 10`; the tables here extend it to `k = 20` and
//! carry full precision: each value is
//! `scipy.stats.studentized_range.ppf(1 - alpha, k, inf) / sqrt(2)` from
//! scipy 1.17.1, written by `tools/stats_fixture.py` into
//! `framework/crates/metrics/tests/fixtures/metrics/stats.json` (key `nemenyi_q`), and the
//! test `nemenyi_tables_match_scipy_and_demsar` checks both sources.
//! (For `k = 2` the value is the normal quantile `z_{1-alpha/2}`.)

use std::cmp::Ordering;

use crate::MetricsError;

/// `q_0.05` for `k = 2..=20` (index `k - 2`).
pub const NEMENYI_Q_05: [f64; 19] = [
    1.9599639845400534,
    2.343700586378409,
    2.569031772546482,
    2.7277743708703763,
    2.8497054196100016,
    2.9483200175296744,
    3.030878449614413,
    3.1017303413033805,
    3.163683577053373,
    3.2186536073291525,
    3.268003924466142,
    3.31273859335082,
    3.3536177518523043,
    3.391230283765257,
    3.4260413793706097,
    3.4584247073473247,
    3.4886847993791976,
    3.517073008691811,
    3.5437991315177815,
];

/// `q_0.10` for `k = 2..=20` (index `k - 2`).
pub const NEMENYI_Q_10: [f64; 19] = [
    1.6448536269514722,
    2.0522927304967755,
    2.2913414968880566,
    2.4595157642714183,
    2.588520601922348,
    2.6927321009677594,
    2.779883608152978,
    2.8546064311980253,
    2.9198888400615384,
    2.9777682512648735,
    3.0296941831785844,
    3.0767334682691447,
    3.1196933331372936,
    3.1591988189088367,
    3.195743433019599,
    3.229723400908194,
    3.2614614896472762,
    3.2912239865997983,
    3.319233059548415,
];

/// The tabulated `q_alpha` for `k` configurations.
///
/// # Errors
/// [`MetricsError::NoNemenyiValue`] unless `alpha` is 0.05 or 0.10 (within
/// 1e-12) and `2 <= k <= 20`.
pub fn nemenyi_q(alpha: f64, k: usize) -> Result<f64, MetricsError> {
    let table = if (alpha - 0.05).abs() <= 1e-12 {
        &NEMENYI_Q_05
    } else if (alpha - 0.10).abs() <= 1e-12 {
        &NEMENYI_Q_10
    } else {
        return Err(MetricsError::NoNemenyiValue { alpha, k });
    };
    k.checked_sub(2)
        .and_then(|i| table.get(i))
        .copied()
        .ok_or(MetricsError::NoNemenyiValue { alpha, k })
}

/// Nemenyi critical difference `q_alpha · sqrt(k (k + 1) / (6 n_blocks))`
/// for `k` configurations ranked over `n_blocks` blocks.
///
/// # Errors
/// [`MetricsError::NoNemenyiValue`] as [`nemenyi_q`];
/// [`MetricsError::TooFew`] when `n_blocks == 0`.
pub fn critical_difference(alpha: f64, k: usize, n_blocks: usize) -> Result<f64, MetricsError> {
    let q = nemenyi_q(alpha, k)?;
    if n_blocks == 0 {
        return Err(MetricsError::TooFew {
            what: "n_blocks",
            n: 0,
            min: 1,
        });
    }
    let kf = k as f64;
    Ok(q * (kf * (kf + 1.0) / (6.0 * n_blocks as f64)).sqrt())
}

/// The groups a critical-difference diagram joins with a bar: maximal runs
/// of configurations, in order of average rank, whose ranks all lie within
/// less than `cd` of each other (not significantly different; Demšar:
/// "significantly different if the corresponding average ranks differ by at
/// least the critical difference").
///
/// Returns each clique as indices into `avg_ranks`, best (lowest) rank first;
/// cliques are ordered by their first member's rank, only groups of two or
/// more are returned, and no clique is contained in another. Equal ranks are
/// ordered by index.
///
/// # Errors
/// [`MetricsError::NonFinite`] for a non-finite rank;
/// [`MetricsError::InvalidParameter`] unless `cd` is finite and `> 0`.
pub fn cd_cliques(avg_ranks: &[f64], cd: f64) -> Result<Vec<Vec<usize>>, MetricsError> {
    if let Some((index, &value)) = avg_ranks.iter().enumerate().find(|(_, r)| !r.is_finite()) {
        return Err(MetricsError::NonFinite {
            which: "avg_ranks",
            index,
            value,
        });
    }
    if !(cd.is_finite() && cd > 0.0) {
        return Err(MetricsError::InvalidParameter {
            name: "cd",
            value: cd,
            rule: "the critical difference must be a finite number > 0",
        });
    }
    let mut order: Vec<usize> = (0..avg_ranks.len()).collect();
    order.sort_by(|&a, &b| {
        avg_ranks[a]
            .partial_cmp(&avg_ranks[b])
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(&b))
    });
    let sorted: Vec<f64> = order.iter().map(|&i| avg_ranks[i]).collect();
    let mut cliques = Vec::new();
    let mut previous_end = 0usize;
    for start in 0..sorted.len() {
        // Furthest position still within the critical difference of `start`;
        // it never decreases with `start`, so a run is maximal exactly when it
        // reaches further than the previous one.
        let mut end = start.max(previous_end);
        while end + 1 < sorted.len() && sorted[end + 1] - sorted[start] < cd {
            end += 1;
        }
        if end > start && (start == 0 || end > previous_end) {
            cliques.push(order[start..=end].to_vec());
        }
        previous_end = end;
    }
    Ok(cliques)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demsar_worked_example() {
        // Demšar 2006, Sec. 3.2.2: k = 4, N = 14, CD(0.05) = 2.569 sqrt(20/84) = 1.25,
        // CD(0.10) = 2.291 sqrt(20/84) = 1.12.
        assert!((critical_difference(0.05, 4, 14).unwrap() - 1.25).abs() < 5e-3);
        assert!((critical_difference(0.10, 4, 14).unwrap() - 1.12).abs() < 5e-3);
    }

    #[test]
    fn table_bounds() {
        assert!(nemenyi_q(0.05, 1).is_err());
        assert!(nemenyi_q(0.05, 21).is_err());
        assert!(nemenyi_q(0.01, 5).is_err());
        assert_eq!(nemenyi_q(0.1, 20).unwrap(), NEMENYI_Q_10[18]);
        assert!(critical_difference(0.05, 3, 0).is_err());
        // Increasing in k, and q_0.05 > q_0.10.
        for i in 1..19 {
            assert!(NEMENYI_Q_05[i] > NEMENYI_Q_05[i - 1]);
            assert!(NEMENYI_Q_10[i] > NEMENYI_Q_10[i - 1]);
            assert!(NEMENYI_Q_05[i] > NEMENYI_Q_10[i]);
        }
    }

    #[test]
    fn cliques_of_a_hand_made_ranking() {
        // ranks (by index): 0:1.0 1:3.2 2:1.5 3:1.9 4:3.9, CD 1.0
        // sorted: 0(1.0) 2(1.5) 3(1.9) 1(3.2) 4(3.9)
        // from 0: 1.5, 1.9 within (< 1.0), 3.2 not -> [0, 2, 3]
        // from 2: 1.9 within, 3.2 (1.7) not -> [2, 3] contained -> dropped
        // from 3: 3.2 (1.3) not -> alone
        // from 1: 3.9 (0.7) within -> [1, 4]
        let c = cd_cliques(&[1.0, 3.2, 1.5, 1.9, 3.9], 1.0).unwrap();
        assert_eq!(c, vec![vec![0, 2, 3], vec![1, 4]]);
    }

    #[test]
    fn difference_equal_to_cd_is_significant() {
        let c = cd_cliques(&[1.0, 2.0], 1.0).unwrap();
        assert!(c.is_empty());
        let c = cd_cliques(&[1.0, 1.999], 1.0).unwrap();
        assert_eq!(c, vec![vec![0, 1]]);
    }

    #[test]
    fn overlapping_cliques_and_ties() {
        // 1.0 1.8 2.6 3.4 with CD 1.0: [0,1], [1,2], [2,3] overlap pairwise.
        let c = cd_cliques(&[1.0, 1.8, 2.6, 3.4], 1.0).unwrap();
        assert_eq!(c, vec![vec![0, 1], vec![1, 2], vec![2, 3]]);
        // Equal ranks are ordered by index.
        let c = cd_cliques(&[2.0, 2.0, 2.0], 0.5).unwrap();
        assert_eq!(c, vec![vec![0, 1, 2]]);
    }

    #[test]
    fn invalid_cliques_arguments() {
        assert!(cd_cliques(&[1.0, f64::NAN], 1.0).is_err());
        assert!(cd_cliques(&[1.0, 2.0], 0.0).is_err());
        assert!(cd_cliques(&[1.0, 2.0], f64::INFINITY).is_err());
        assert!(cd_cliques(&[], 1.0).unwrap().is_empty());
    }
}
