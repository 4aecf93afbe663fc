//! t-SNE (van der Maaten & Hinton, JMLR 2008) for EDA projections, as
//! scikit-learn's `TSNE(method="exact")` computes it.
//!
//! The joint probabilities follow `sklearn.manifold._t_sne._joint_probabilities`
//! exactly (squared Euclidean distances rounded to `f32`, a 100-step binary
//! search per row for the precision that gives the target perplexity within
//! 1e-5 nats, symmetrised and floored at machine epsilon) and are checked
//! against it by a fixture from `tools/report_tsne_fixture.py`. The
//! optimisation is scikit-learn's gradient descent with momentum 0.5 then
//! 0.8, per-parameter gains (+0.2 / x0.8, at least 0.01), early exaggeration
//! 12 for the first 250 of 1000 iterations and the "auto" learning rate
//! `max(n / 12 / 4, 50)`; the start is seeded Gaussian noise of standard
//! deviation 1e-4, so layouts differ from scikit-learn's but are
//! reproducible from the seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Iterations of the optimisation.
pub const ITERATIONS: usize = 1000;
/// Iterations with exaggerated attraction.
pub const EXAGGERATION_ITERATIONS: usize = 250;
const EXAGGERATION: f64 = 12.0;
const PERPLEXITY_TOLERANCE: f64 = 1e-5;
const BINARY_SEARCH_STEPS: usize = 100;

/// Squared Euclidean distances between rows, rounded to `f32` as
/// scikit-learn does before its binary search.
pub fn squared_distances(x: &[Vec<f64>]) -> Vec<Vec<f32>> {
    let n = x.len();
    let mut d = vec![vec![0.0f32; n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let s: f64 = x[i].iter().zip(&x[j]).map(|(a, b)| (a - b) * (a - b)).sum();
            d[i][j] = s as f32;
            d[j][i] = s as f32;
        }
    }
    d
}

/// Conditional probabilities `p(j|i)` whose row entropy matches
/// `ln(perplexity)` (scikit-learn's `_binary_search_perplexity`).
pub fn conditional_probabilities(d: &[Vec<f32>], perplexity: f64) -> Vec<Vec<f64>> {
    let n = d.len();
    let target = perplexity.ln();
    let mut p = vec![vec![0.0f64; n]; n];
    for i in 0..n {
        let (mut lo, mut hi, mut beta) = (f64::NEG_INFINITY, f64::INFINITY, 1.0f64);
        for _ in 0..BINARY_SEARCH_STEPS {
            let mut sum = 0.0;
            for j in 0..n {
                if j != i {
                    p[i][j] = (-f64::from(d[i][j]) * beta).exp();
                    sum += p[i][j];
                }
            }
            if sum == 0.0 {
                sum = 1e-8;
            }
            let mut dist_p = 0.0;
            for j in 0..n {
                p[i][j] /= sum;
                dist_p += f64::from(d[i][j]) * p[i][j];
            }
            let diff = sum.ln() + beta * dist_p - target;
            if diff.abs() <= PERPLEXITY_TOLERANCE {
                break;
            }
            if diff > 0.0 {
                lo = beta;
                beta = if hi == f64::INFINITY {
                    beta * 2.0
                } else {
                    (beta + hi) / 2.0
                };
            } else {
                hi = beta;
                beta = if lo == f64::NEG_INFINITY {
                    beta / 2.0
                } else {
                    (beta + lo) / 2.0
                };
            }
        }
    }
    p
}

/// Symmetric joint probabilities `P` (`[n][n]`, zero diagonal), as
/// scikit-learn's `_joint_probabilities` (which returns the condensed upper
/// triangle of the same matrix).
pub fn joint_probabilities(d: &[Vec<f32>], perplexity: f64) -> Vec<Vec<f64>> {
    let c = conditional_probabilities(d, perplexity);
    let n = c.len();
    let total = (2.0 * c.iter().flatten().sum::<f64>()).max(f64::EPSILON);
    let mut p = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                p[i][j] = ((c[i][j] + c[j][i]) / total).max(f64::EPSILON);
            }
        }
    }
    p
}

/// Kullback-Leibler divergence of the Student-t affinities of `y` from `p`,
/// and its gradient (scikit-learn's `_kl_divergence`, degrees of freedom 1).
pub fn kl_divergence(p: &[Vec<f64>], y: &[[f64; 2]]) -> (f64, Vec<[f64; 2]>) {
    let n = y.len();
    let mut w = vec![vec![0.0; n]; n];
    let mut sum_w = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            let dx = y[i][0] - y[j][0];
            let dy = y[i][1] - y[j][1];
            let v = 1.0 / (1.0 + dx * dx + dy * dy);
            w[i][j] = v;
            w[j][i] = v;
            sum_w += 2.0 * v;
        }
    }
    let sum_w = sum_w.max(f64::EPSILON);
    let mut kl = 0.0;
    let mut grad = vec![[0.0; 2]; n];
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let q = (w[i][j] / sum_w).max(f64::EPSILON);
            kl += p[i][j] * (p[i][j].max(f64::EPSILON) / q).ln();
            let f = 4.0 * (p[i][j] - q) * w[i][j];
            grad[i][0] += f * (y[i][0] - y[j][0]);
            grad[i][1] += f * (y[i][1] - y[j][1]);
        }
    }
    (kl, grad)
}

/// A 2-D t-SNE embedding of the rows of `x` and its final KL divergence.
/// The perplexity is lowered to `(n - 1) / 3` for small `n` (scikit-learn
/// requires perplexity < n).
pub fn tsne(x: &[Vec<f64>], perplexity: f64, seed: u64) -> (Vec<[f64; 2]>, f64) {
    let n = x.len();
    if n < 3 {
        return (vec![[0.0; 2]; n], 0.0);
    }
    let perplexity = perplexity.min((n - 1) as f64 / 3.0).max(1.0);
    let p = joint_probabilities(&squared_distances(x), perplexity);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y: Vec<[f64; 2]> = (0..n)
        .map(|_| {
            let a: f64 = StandardNormal.sample(&mut rng);
            let b: f64 = StandardNormal.sample(&mut rng);
            [1e-4 * a, 1e-4 * b]
        })
        .collect();
    let lr = (n as f64 / EXAGGERATION / 4.0).max(50.0);
    let mut update = vec![[0.0f64; 2]; n];
    let mut gains = vec![[1.0f64; 2]; n];
    let exaggerated: Vec<Vec<f64>> = p
        .iter()
        .map(|r| r.iter().map(|v| v * EXAGGERATION).collect())
        .collect();
    let mut kl = 0.0;
    for it in 0..ITERATIONS {
        let (momentum, target) = if it < EXAGGERATION_ITERATIONS {
            (0.5, &exaggerated)
        } else {
            (0.8, &p)
        };
        let (k, grad) = kl_divergence(target, &y);
        kl = k;
        for i in 0..n {
            for c in 0..2 {
                let g = grad[i][c];
                if update[i][c] * g < 0.0 {
                    gains[i][c] += 0.2;
                } else {
                    gains[i][c] *= 0.8;
                }
                gains[i][c] = gains[i][c].max(0.01);
                update[i][c] = momentum * update[i][c] - lr * gains[i][c] * g;
                y[i][c] += update[i][c];
            }
        }
    }
    (y, kl)
}
