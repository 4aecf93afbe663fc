//! Principal component analysis for EDA projections, and the column
//! standardisation that precedes it.
//!
//! Matches `sklearn.decomposition.PCA(n_components=k, svd_solver="full")`
//! (scikit-learn 1.9): the data are centred, the components are the top
//! eigenvectors of the sample covariance (`ddof = 1`), `explained_variance`
//! its eigenvalues, `explained_variance_ratio` those over the total variance,
//! and each component's sign is chosen so that its entry of largest absolute
//! value is positive (`svd_flip(..., u_based_decision=False)`). Checked
//! against a fixture written by `tools/report_pca_fixture.py`.
//!
//! Method: the eigen-decomposition of the smaller of the covariance
//! (`[d, d]`) and Gram (`[n, n]`) matrices by cyclic Jacobi rotations, which
//! is exact to rounding; above [`JACOBI_MAX`] on both sides (e.g. thousands of
//! tracks with thousands of TF-IDF terms) a seeded block subspace iteration
//! with a Rayleigh-Ritz step finds the top components instead.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Largest matrix side solved exactly by Jacobi rotations.
pub const JACOBI_MAX: usize = 400;

/// Errors of [`pca`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PcaError {
    #[error("PCA needs at least 2 rows (tracks), got {0}")]
    TooFewRows(usize),
    #[error("row {row} has {len} values but row 0 has {expected}: every track needs every feature")]
    Ragged {
        row: usize,
        len: usize,
        expected: usize,
    },
    #[error("row {row}, column {col} is {value}: features must be finite")]
    NonFinite { row: usize, col: usize, value: f64 },
    #[error("{k} components asked of data with {rank} dimensions (min(rows - 1, columns))")]
    TooManyComponents { k: usize, rank: usize },
}

/// A fitted PCA.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Column means, `[d]`.
    pub mean: Vec<f64>,
    /// Principal axes, `[k][d]`, unit length, in order of variance.
    pub components: Vec<Vec<f64>>,
    /// Variance along each axis (`ddof = 1`), `[k]`.
    pub explained_variance: Vec<f64>,
    /// `explained_variance / total variance`, `[k]`.
    pub explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Projects rows `[n][d]` onto the components: `[n][k]`.
    pub fn transform(&self, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
        x.iter()
            .map(|row| {
                self.components
                    .iter()
                    .map(|c| {
                        row.iter()
                            .zip(&self.mean)
                            .zip(c)
                            .map(|((v, m), w)| (v - m) * w)
                            .sum()
                    })
                    .collect()
            })
            .collect()
    }
}

fn check(x: &[Vec<f64>]) -> Result<(usize, usize), PcaError> {
    if x.len() < 2 {
        return Err(PcaError::TooFewRows(x.len()));
    }
    let d = x[0].len();
    for (row, r) in x.iter().enumerate() {
        if r.len() != d {
            return Err(PcaError::Ragged {
                row,
                len: r.len(),
                expected: d,
            });
        }
        if let Some((col, &value)) = r.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(PcaError::NonFinite { row, col, value });
        }
    }
    Ok((x.len(), d))
}

/// Z-scores each column in place (mean 0, population std 1, as
/// `sklearn.preprocessing.StandardScaler`); constant columns become 0.
/// Returns `(means, stds)`.
pub fn standardize(x: &mut [Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = x.len().max(1) as f64;
    let d = x.first().map_or(0, |r| r.len());
    let mut mean = vec![0.0; d];
    for r in x.iter() {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut std = vec![0.0; d];
    for r in x.iter() {
        for ((s, v), m) in std.iter_mut().zip(r).zip(&mean) {
            *s += (v - m) * (v - m);
        }
    }
    std.iter_mut().for_each(|s| *s = (*s / n).sqrt());
    for r in x.iter_mut() {
        for ((v, m), s) in r.iter_mut().zip(&mean).zip(&std) {
            *v = if *s > 0.0 { (*v - m) / s } else { 0.0 };
        }
    }
    (mean, std)
}

/// Eigen-decomposition of a symmetric matrix `a` (`[m][m]`) by cyclic Jacobi
/// rotations. Returns eigenvalues descending and eigenvectors as rows.
pub fn symmetric_eigen(a: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let m = a.len();
    let mut a: Vec<Vec<f64>> = a.to_vec();
    let mut v: Vec<Vec<f64>> = (0..m)
        .map(|i| (0..m).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let scale: f64 = a.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..m)
            .flat_map(|i| (0..m).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..m {
            for q in (p + 1)..m {
                let apq = a[p][q];
                if apq == 0.0 {
                    continue;
                }
                // Rotation that zeroes a[p][q] (Golub & Van Loan, Alg. 8.5.1).
                let theta = (a[q][q] - a[p][p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p].clone(), a[q].clone());
                for (k, (apk, aqk)) in rp.into_iter().zip(rq).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]).then(i.cmp(&j)));
    let values = order.iter().map(|&i| a[i][i]).collect();
    let vectors = order
        .iter()
        .map(|&i| v.iter().map(|row| row[i]).collect())
        .collect();
    (values, vectors)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalize(v: &mut [f64]) -> f64 {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    n
}

/// Modified Gram-Schmidt on the rows of `q`.
fn orthonormalize(q: &mut [Vec<f64>]) {
    for i in 0..q.len() {
        for j in 0..i {
            let (head, tail) = q.split_at_mut(i);
            let p = dot(&tail[0], &head[j]);
            for (x, y) in tail[0].iter_mut().zip(&head[j]) {
                *x -= p * y;
            }
        }
        normalize(&mut q[i]);
    }
}

/// Top `k` eigenpairs of the covariance of centred `xc` (`[n][d]`), scaled
/// by `n - 1`, by block subspace iteration with Rayleigh-Ritz.
fn subspace(xc: &[Vec<f64>], k: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let d = xc[0].len();
    let b = (k + 8).min(d);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut q: Vec<Vec<f64>> = (0..b)
        .map(|_| (0..d).map(|_| rng.random::<f64>() - 0.5).collect())
        .collect();
    orthonormalize(&mut q);
    // C v = X^T (X v) without forming C.
    let apply = |v: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; d];
        for row in xc {
            let s = dot(row, v);
            for (o, x) in out.iter_mut().zip(row) {
                *o += s * x;
            }
        }
        out
    };
    let mut prev: Vec<f64> = vec![f64::INFINITY; k];
    let mut values = Vec::new();
    for _ in 0..1000 {
        let mut z: Vec<Vec<f64>> = q.iter().map(|v| apply(v)).collect();
        orthonormalize(&mut z);
        q = z;
        let cq: Vec<Vec<f64>> = q.iter().map(|v| apply(v)).collect();
        let h: Vec<Vec<f64>> = q
            .iter()
            .map(|qi| cq.iter().map(|cj| dot(qi, cj)).collect())
            .collect();
        let (vals, vecs) = symmetric_eigen(&h);
        q = vecs
            .iter()
            .map(|w| {
                let mut v = vec![0.0; d];
                for (wi, qi) in w.iter().zip(&q) {
                    for (x, y) in v.iter_mut().zip(qi) {
                        *x += wi * y;
                    }
                }
                v
            })
            .collect();
        values = vals;
        let done = values
            .iter()
            .zip(&prev)
            .take(k)
            .all(|(a, b)| (a - b).abs() <= 1e-13 * a.abs().max(1e-300));
        prev = values.iter().take(k).copied().collect();
        if done {
            break;
        }
    }
    (values, q)
}

/// Fits a `k`-component PCA to rows `x` (`[n][d]`).
///
/// # Errors
/// Fewer than 2 rows, ragged rows, a non-finite value, or `k` larger than
/// `min(n - 1, d)`.
pub fn pca(x: &[Vec<f64>], k: usize) -> Result<Pca, PcaError> {
    let (n, d) = check(x)?;
    let rank = (n - 1).min(d);
    if k == 0 || k > rank {
        return Err(PcaError::TooManyComponents { k, rank });
    }
    let mut mean = vec![0.0; d];
    for r in x {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let xc: Vec<Vec<f64>> = x
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(v, m)| v - m).collect())
        .collect();
    let total: f64 = xc.iter().flatten().map(|v| v * v).sum::<f64>() / (n - 1) as f64;
    // Eigenvalues of X^T X (not yet divided by n - 1) and unit axes [k][d].
    let (values, mut axes): (Vec<f64>, Vec<Vec<f64>>) = if d <= n && d <= JACOBI_MAX {
        let cov: Vec<Vec<f64>> = (0..d)
            .map(|i| {
                (0..d)
                    .map(|j| xc.iter().map(|r| r[i] * r[j]).sum())
                    .collect()
            })
            .collect();
        let (v, e) = symmetric_eigen(&cov);
        (v, e)
    } else if n <= JACOBI_MAX {
        let gram: Vec<Vec<f64>> = xc
            .iter()
            .map(|a| xc.iter().map(|b| dot(a, b)).collect())
            .collect();
        let (v, u) = symmetric_eigen(&gram);
        // v_i = X^T u_i / |X^T u_i|.
        let axes = u
            .iter()
            .take(k)
            .map(|ui| {
                let mut a = vec![0.0; d];
                for (w, row) in ui.iter().zip(&xc) {
                    for (x, y) in a.iter_mut().zip(row) {
                        *x += w * y;
                    }
                }
                normalize(&mut a);
                a
            })
            .collect();
        (v, axes)
    } else {
        subspace(&xc, k)
    };
    axes.truncate(k);
    for a in axes.iter_mut() {
        // svd_flip(u_based_decision=False): largest |entry| positive (the
        // first one on ties, as numpy's argmax).
        let mut best = 0;
        for (i, v) in a.iter().enumerate() {
            if v.abs() > a[best].abs() {
                best = i;
            }
        }
        if a[best] < 0.0 {
            a.iter_mut().for_each(|v| *v = -*v);
        }
    }
    let explained_variance: Vec<f64> = values
        .iter()
        .take(k)
        .map(|v| v.max(0.0) / (n - 1) as f64)
        .collect();
    let explained_variance_ratio = explained_variance
        .iter()
        .map(|v| if total > 0.0 { v / total } else { 0.0 })
        .collect();
    Ok(Pca {
        mean,
        components: axes,
        explained_variance,
        explained_variance_ratio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with axes (1, 1)/√2, (1, -1)/√2.
        let (v, e) = symmetric_eigen(&[vec![2.0, 1.0], vec![1.0, 2.0]]);
        assert!((v[0] - 3.0).abs() < 1e-14 && (v[1] - 1.0).abs() < 1e-14);
        assert!((e[0][0].abs() - 0.5f64.sqrt()).abs() < 1e-14);
        assert!((e[0][0] - e[0][1]).abs() < 1e-14);
    }

    #[test]
    fn the_three_solvers_agree() {
        // 30 x 12 data: covariance path; its transpose-shaped twin forces the
        // Gram path; the subspace iteration is called directly.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let x: Vec<Vec<f64>> = (0..30)
            .map(|i| {
                (0..12)
                    .map(|j| {
                        rng.random::<f64>()
                            + if j < 3 {
                                i as f64 * 0.2 * (j + 1) as f64
                            } else {
                                0.0
                            }
                    })
                    .collect()
            })
            .collect();
        let p = pca(&x, 2).unwrap();
        let mean: Vec<f64> = p.mean.clone();
        let xc: Vec<Vec<f64>> = x
            .iter()
            .map(|r| r.iter().zip(&mean).map(|(a, b)| a - b).collect())
            .collect();
        let (vals, axes) = subspace(&xc, 2);
        for c in 0..2 {
            assert!((vals[c] / 29.0 - p.explained_variance[c]).abs() < 1e-9 * vals[c]);
            let cos = dot(&axes[c], &p.components[c]).abs();
            assert!((cos - 1.0).abs() < 1e-9, "component {c}: |cos| = {cos}");
        }
        // Few rows, many columns (the Gram path) against the explicit
        // covariance of the same data.
        let wide: Vec<Vec<f64>> = x[..8].to_vec();
        let pw = pca(&wide, 2).unwrap();
        let wc: Vec<Vec<f64>> = wide
            .iter()
            .map(|r| r.iter().zip(&pw.mean).map(|(a, b)| a - b).collect())
            .collect();
        let cov: Vec<Vec<f64>> = (0..12)
            .map(|i| {
                (0..12)
                    .map(|j| wc.iter().map(|r| r[i] * r[j]).sum::<f64>() / 7.0)
                    .collect()
            })
            .collect();
        let (cv, ce) = symmetric_eigen(&cov);
        for c in 0..2 {
            assert!((cv[c] - pw.explained_variance[c]).abs() < 1e-10 * cv[c]);
            assert!((dot(&ce[c], &pw.components[c]).abs() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(pca(&[vec![1.0]], 1).unwrap_err(), PcaError::TooFewRows(1));
        assert!(matches!(
            pca(&[vec![1.0, 2.0], vec![1.0]], 1),
            Err(PcaError::Ragged { row: 1, .. })
        ));
        assert!(matches!(
            pca(&[vec![1.0, f64::NAN], vec![1.0, 2.0]], 1),
            Err(PcaError::NonFinite { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            pca(&[vec![1.0, 2.0], vec![2.0, 1.0]], 2),
            Err(PcaError::TooManyComponents { k: 2, rank: 1 })
        ));
    }
}
