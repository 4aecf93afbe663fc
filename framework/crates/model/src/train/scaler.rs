//! Standard scaler (zero mean, unit variance per feature), fitted on the
//! training fold only, as scikit-learn's `StandardScaler`: population
//! standard deviation, and a scale of 1 for constant features.

use crate::classical::Matrix;

/// Per-feature mean and scale learned from a training matrix.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StandardScaler {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl StandardScaler {
    /// Learns the mean and standard deviation of each column of `x`.
    pub fn fit(x: &Matrix) -> StandardScaler {
        let n = x.rows.max(1) as f64;
        let mut mean = vec![0.0; x.cols];
        for r in 0..x.rows {
            for (m, v) in mean.iter_mut().zip(x.row(r)) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; x.cols];
        for r in 0..x.rows {
            for ((s, v), m) in var.iter_mut().zip(x.row(r)).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let scale = var
            .into_iter()
            .map(|s| {
                let sd = (s / n).sqrt();
                // scikit-learn's _handle_zeros_in_scale: constant -> 1.
                if sd > 10.0 * f64::EPSILON { sd } else { 1.0 }
            })
            .collect();
        StandardScaler { mean, scale }
    }

    /// Standardises `x` in place with the learned statistics.
    pub fn transform(&self, x: &mut Matrix) {
        for r in 0..x.rows {
            let row = &mut x.data[r * x.cols..(r + 1) * x.cols];
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_with_population_std_and_keeps_constant_columns() {
        // Column 0: [1, 2, 3, 4] -> mean 2.5, population sd sqrt(1.25).
        // Column 1: constant 7 -> scale 1, centred to 0.
        let x = Matrix::from_rows(&[
            vec![1.0, 7.0],
            vec![2.0, 7.0],
            vec![3.0, 7.0],
            vec![4.0, 7.0],
        ])
        .unwrap();
        let s = StandardScaler::fit(&x);
        assert_eq!(s.mean, vec![2.5, 7.0]);
        assert!((s.scale[0] - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(s.scale[1], 1.0);
        let mut t = Matrix::from_rows(&[vec![2.5, 7.0], vec![5.0, 8.0]]).unwrap();
        s.transform(&mut t);
        assert_eq!(t.row(0), &[0.0, 0.0]);
        assert!((t.row(1)[0] - 2.5 / 1.25f64.sqrt()).abs() < 1e-12);
        assert_eq!(t.row(1)[1], 1.0);
    }
}
