//! Ridge regression, as scikit-learn's `Ridge(alpha)`, one fitted model per
//! target.

use serde::{Deserialize, Serialize};

use super::{Matrix, ModelError, RidgeConfig};

/// A fitted ridge regression: weights and intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedRidge {
    pub weights: Vec<f64>,
    pub intercept: f64,
}

impl RidgeConfig {
    /// Fits `y ~ x w + b` on one target.
    pub fn fit(&self, x: &Matrix, y: &[f64]) -> Result<FittedRidge, ModelError> {
        let (weights, intercept) = ridge_fit(x, y, self.alpha)?;
        Ok(FittedRidge { weights, intercept })
    }
}

impl FittedRidge {
    /// One value per row of `x`.
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        (0..x.rows)
            .map(|r| {
                x.row(r)
                    .iter()
                    .zip(&self.weights)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    + self.intercept
            })
            .collect()
    }
}

/// Ridge regression with an unpenalised intercept, as scikit-learn's
/// `Ridge(alpha)`: minimises ||y - Xw - b||^2 + alpha ||w||^2. Solved in
/// closed form on centred data, in the primal (`d x d` system) when there
/// are at least as many samples as features and in the dual (`n x n`,
/// w = X^T a) otherwise; smartcore's ridge refuses `n < d`, which TF-IDF
/// features hit all the time.
fn ridge_fit(x: &Matrix, y: &[f64], alpha: f64) -> Result<(Vec<f64>, f64), ModelError> {
    let (n, d) = (x.rows, x.cols);
    let x_mean: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| x.row(i)[j]).sum::<f64>() / n as f64)
        .collect();
    let y_mean = y.iter().sum::<f64>() / n as f64;
    let xc: Vec<Vec<f64>> = (0..n)
        .map(|i| x.row(i).iter().zip(&x_mean).map(|(v, m)| v - m).collect())
        .collect();
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let singular = || ModelError::Fit {
        model: "ridge",
        detail: format!(
            "the system is singular (alpha = {alpha} with {n} samples and {d} features); use alpha > 0"
        ),
    };
    let w: Vec<f64> = if n >= d {
        // (Xc^T Xc + alpha I) w = Xc^T yc
        let mut a = vec![0.0; d * d];
        let mut rhs = vec![0.0; d];
        for (row, t) in xc.iter().zip(&yc) {
            for j in 0..d {
                rhs[j] += row[j] * t;
                for k in 0..=j {
                    a[j * d + k] += row[j] * row[k];
                }
            }
        }
        for j in 0..d {
            a[j * d + j] += alpha;
            for k in 0..j {
                a[k * d + j] = a[j * d + k];
            }
        }
        cholesky_solve(&mut a, &mut rhs, d).ok_or_else(singular)?;
        rhs
    } else {
        // (Xc Xc^T + alpha I) a = yc; w = Xc^T a
        let mut g = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..=i {
                let v: f64 = xc[i].iter().zip(&xc[k]).map(|(p, q)| p * q).sum();
                g[i * n + k] = v;
                g[k * n + i] = v;
            }
            g[i * n + i] += alpha;
        }
        let mut a = yc.clone();
        cholesky_solve(&mut g, &mut a, n).ok_or_else(singular)?;
        (0..d)
            .map(|j| xc.iter().zip(&a).map(|(row, ai)| row[j] * ai).sum())
            .collect()
    };
    let b = y_mean - x_mean.iter().zip(&w).map(|(m, wj)| m * wj).sum::<f64>();
    Ok((w, b))
}

/// Solves `A x = b` in place for symmetric positive definite `A` (`n x n`,
/// row-major) by Cholesky factorisation; `None` if `A` is not positive
/// definite.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<()> {
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= a[j * n + k] * a[j * n + k];
        }
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        let l = s.sqrt();
        a[j * n + j] = l;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / l;
        }
    }
    // L z = b, then L^T x = z.
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    Some(())
}
