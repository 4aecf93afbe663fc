//! Average ranks with ties, as `scipy.stats.rankdata(method="average")`.

/// Ranks of `values` in ascending order, `1..=n`, ties sharing the mean of the
/// ranks they span (`scipy.stats.rankdata(values, method="average")`).
///
/// Also returns the size of every group of equal values (singletons included),
/// in ascending order of value: the `t` of the tie corrections
/// `Σ (t³ - t)` used by the Wilcoxon and Friedman tests.
///
/// Values are compared with [`f64::total_cmp`] after mapping `-0.0` to `0.0`,
/// so equal numbers tie exactly as numpy's `==` decides; callers keep NaN out
/// (it would sort after every number and form its own group).
pub fn rank_average(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let norm = |v: f64| if v == 0.0 { 0.0 } else { v };
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| norm(values[a]).total_cmp(&norm(values[b])));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ordinal ranks start+1 ..= end share their mean.
        let rank = (start + 1) as f64 + (end - start - 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        ties.push(end - start);
        start = end;
    }
    (ranks, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_mean_rank() {
        // scipy.stats.rankdata([3, 2, 1, 2, 2, 2, 1]) = [7, 4.5, 1.5, 4.5, 4.5, 4.5, 1.5]
        let (r, t) = rank_average(&[3.0, 2.0, 1.0, 2.0, 2.0, 2.0, 1.0]);
        assert_eq!(r, vec![7.0, 4.5, 1.5, 4.5, 4.5, 4.5, 1.5]);
        assert_eq!(t, vec![2, 4, 1]);
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        let (r, t) = rank_average(&[0.0, -0.0, -1.0]);
        assert_eq!(r, vec![2.5, 2.5, 1.0]);
        assert_eq!(t, vec![1, 2]);
    }

    #[test]
    fn empty_input() {
        let (r, t) = rank_average(&[]);
        assert!(r.is_empty() && t.is_empty());
    }
}
