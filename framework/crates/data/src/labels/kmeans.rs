//! k-means on (valence, arousal) points, as scikit-learn's `KMeans` does it:
//! greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's
//! `2 + ln k` local trials) and Lloyd iterations until the labels stop
//! changing or the squared centre shift drops below `tol` times the mean
//! per-dimension variance of the data (scikit-learn's relative `tol = 1e-4`).
//!
//! Empty clusters are relocated as scikit-learn does: each empty centre moves
//! to the point farthest from its assigned centre (points taken in order of
//! decreasing distance), and that point leaves its old cluster.
//!
//! # Shapes
//! Points are `[n][2]` (`[valence, arousal]`); centres are `[k][2]`.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One point or centre: `[valence, arousal]`.
pub type Point = [f64; 2];

/// The outcome of one k-means run.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansResult {
    /// `[k][2]` centres.
    pub centres: Vec<Point>,
    /// Cluster of each point.
    pub labels: Vec<usize>,
    /// Sum of squared distances of points to their centre.
    pub inertia: f64,
    /// Lloyd iterations run.
    pub iterations: usize,
}

fn d2(a: &Point, b: &Point) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

fn nearest(p: &Point, centres: &[Point]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, c) in centres.iter().enumerate() {
        let d = d2(p, c);
        if d < best.1 {
            best = (j, d);
        }
    }
    best
}

/// Greedy k-means++ initial centres (`k <= points.len()`).
pub fn kmeans_plus_plus(points: &[Point], k: usize, rng: &mut ChaCha8Rng) -> Vec<Point> {
    let n = points.len();
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Vec::with_capacity(k);
    let first = rng.random_range(0..n);
    centres.push(points[first]);
    let mut closest: Vec<f64> = points.iter().map(|p| d2(p, &points[first])).collect();
    let mut pot: f64 = closest.iter().sum();
    for _ in 1..k {
        let mut cumsum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for d in &closest {
            acc += d;
            cumsum.push(acc);
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let r = rng.random::<f64>() * pot;
            // searchsorted(cumsum, r, side="left"), clipped to n - 1.
            let cand = cumsum.partition_point(|&c| c < r).min(n - 1);
            let dist: Vec<f64> = points
                .iter()
                .zip(&closest)
                .map(|(p, &c)| c.min(d2(p, &points[cand])))
                .collect();
            let cand_pot: f64 = dist.iter().sum();
            if best.as_ref().is_none_or(|b| cand_pot < b.0) {
                best = Some((cand_pot, cand, dist));
            }
        }
        if let Some((p, c, dist)) = best {
            pot = p;
            closest = dist;
            centres.push(points[c]);
        }
    }
    centres
}

/// Lloyd iterations from given initial centres (scikit-learn's
/// `KMeans(init=centres, n_init=1, algorithm="lloyd")`).
pub fn lloyd(points: &[Point], init: &[Point], max_iter: usize, tol: f64) -> KMeansResult {
    let n = points.len();
    let k = init.len();
    // Relative tolerance: tol * mean per-dimension variance.
    let mut var = 0.0;
    for dim in 0..2 {
        let mean = points.iter().map(|p| p[dim]).sum::<f64>() / n as f64;
        var += points.iter().map(|p| (p[dim] - mean).powi(2)).sum::<f64>() / n as f64;
    }
    let tol_abs = tol * var / 2.0;
    let mut centres = init.to_vec();
    let mut labels = vec![usize::MAX; n];
    let mut iterations = 0;
    let mut strict = false;
    for it in 0..max_iter {
        iterations = it + 1;
        let new_labels: Vec<usize> = points.iter().map(|p| nearest(p, &centres).0).collect();
        let mut sums = vec![[0.0f64; 2]; k];
        let mut counts = vec![0usize; k];
        for (p, &l) in points.iter().zip(&new_labels) {
            sums[l][0] += p[0];
            sums[l][1] += p[1];
            counts[l] += 1;
        }
        // Relocate empty clusters to the farthest points.
        let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0).collect();
        if !empty.is_empty() {
            let mut far: Vec<usize> = (0..n).collect();
            let dist: Vec<f64> = points
                .iter()
                .zip(&new_labels)
                .map(|(p, &l)| d2(p, &centres[l]))
                .collect();
            far.sort_by(|&a, &b| {
                dist[b]
                    .partial_cmp(&dist[a])
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            for (&j, &i) in empty.iter().zip(&far) {
                let old = new_labels[i];
                sums[old][0] -= points[i][0];
                sums[old][1] -= points[i][1];
                counts[old] -= 1;
                sums[j] = points[i];
                counts[j] = 1;
            }
        }
        let new_centres: Vec<Point> = (0..k)
            .map(|j| {
                if counts[j] > 0 {
                    [sums[j][0] / counts[j] as f64, sums[j][1] / counts[j] as f64]
                } else {
                    centres[j]
                }
            })
            .collect();
        let shift: f64 = centres
            .iter()
            .zip(&new_centres)
            .map(|(a, b)| d2(a, b))
            .sum();
        centres = new_centres;
        if new_labels == labels {
            strict = true;
            break;
        }
        labels = new_labels;
        if shift <= tol_abs {
            break;
        }
    }
    if !strict {
        labels = points.iter().map(|p| nearest(p, &centres).0).collect();
    }
    let inertia = points
        .iter()
        .zip(&labels)
        .map(|(p, &l)| d2(p, &centres[l]))
        .sum();
    KMeansResult {
        centres,
        labels,
        inertia,
        iterations,
    }
}

/// Best of `n_init` k-means++ + Lloyd runs (lowest inertia; the first wins a
/// tie), with scikit-learn's defaults `max_iter = 300`, `tol = 1e-4`.
pub fn fit(points: &[Point], k: usize, n_init: usize, rng: &mut ChaCha8Rng) -> KMeansResult {
    let mut best: Option<KMeansResult> = None;
    for _ in 0..n_init.max(1) {
        let init = kmeans_plus_plus(points, k, rng);
        let r = lloyd(points, &init, 300, 1e-4);
        if best.as_ref().is_none_or(|b| r.inertia < b.inertia) {
            best = Some(r);
        }
    }
    best.unwrap_or(KMeansResult {
        centres: Vec::new(),
        labels: Vec::new(),
        inertia: 0.0,
        iterations: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn empty_cluster_is_relocated_to_the_farthest_point() {
        // Centre 2 starts far from everything: it gets no points at first.
        let pts = [[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [1.1, 1.0], [5.0, 5.0]];
        let r = lloyd(&pts, &[[0.0, 0.0], [1.0, 1.0], [100.0, 100.0]], 300, 1e-4);
        let mut sizes = [0; 3];
        for &l in &r.labels {
            sizes[l] += 1;
        }
        assert!(sizes.iter().all(|&s| s > 0), "{sizes:?}");
        assert_eq!(r.labels[4], 2, "the farthest point takes the empty cluster");
    }

    #[test]
    fn plus_plus_picks_distinct_points() {
        let pts: Vec<Point> = (0..30).map(|i| [(i % 5) as f64, (i / 5) as f64]).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let c = kmeans_plus_plus(&pts, 6, &mut rng);
        for i in 0..6 {
            for j in 0..i {
                assert_ne!(c[i], c[j]);
            }
        }
    }
}
