//! The one dense matrix: row-major `[rows, cols]` values. Audio frames are
//! `Matrix<f32>`, feature tables and fitted models `Matrix<f64>`.

use serde::{Deserialize, Serialize};

/// A dense row-major matrix, `[rows, cols]`; `data.len() == rows * cols`.
/// Serialises as `{rows, cols, data}` (the form saved in model artifacts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix<T> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<T>,
}

/// Rows of different lengths given to [`Matrix::from_rows`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row} has {len} values, row 0 has {expected}")]
pub struct RaggedRows {
    pub row: usize,
    pub len: usize,
    pub expected: usize,
}

impl<T: Copy + Default> Matrix<T> {
    /// A `rows x cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![T::default(); rows * cols],
        }
    }

    /// A matrix from equal-length rows.
    pub fn from_rows(rows: &[Vec<T>]) -> Result<Self, RaggedRows> {
        let cols = rows.first().map(|r| r.len()).unwrap_or(0);
        if let Some((row, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
            return Err(RaggedRows {
                row,
                len: r.len(),
                expected: cols,
            });
        }
        Ok(Matrix {
            rows: rows.len(),
            cols,
            data: rows.concat(),
        })
    }

    /// Row `r`, `[cols]`.
    pub fn row(&self, r: usize) -> &[T] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// Row `r`, mutable.
    pub fn row_mut(&mut self, r: usize) -> &mut [T] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// The transpose, `[cols, rows]`.
    pub fn transpose(&self) -> Self {
        let mut t = Matrix::zeros(self.cols, self.rows);
        for r in 0..self.rows {
            for c in 0..self.cols {
                t.data[c * self.rows + r] = self.data[r * self.cols + c];
            }
        }
        t
    }

    /// The given rows, in order.
    pub fn select(&self, rows: &[usize]) -> Self {
        let mut data = Vec::with_capacity(rows.len() * self.cols);
        for &r in rows {
            data.extend_from_slice(self.row(r));
        }
        Matrix {
            rows: rows.len(),
            cols: self.cols,
            data,
        }
    }
}

impl<T: Copy + Default + Into<f64>> Matrix<T> {
    /// Mean of each column over the rows, accumulated in f64. `[cols]`.
    pub fn col_means(&self) -> Vec<f64> {
        let mut acc = vec![0.0f64; self.cols];
        for r in 0..self.rows {
            for (a, &x) in acc.iter_mut().zip(self.row(r)) {
                *a += x.into();
            }
        }
        let n = self.rows.max(1) as f64;
        acc.iter().map(|a| a / n).collect()
    }

    /// Population standard deviation (`np.std`, ddof 0) of each column,
    /// accumulated in f64. `[cols]`.
    pub fn col_stds(&self) -> Vec<f64> {
        let means = self.col_means();
        let mut acc = vec![0.0f64; self.cols];
        for r in 0..self.rows {
            for ((a, &x), m) in acc.iter_mut().zip(self.row(r)).zip(&means) {
                let d = x.into() - m;
                *a += d * d;
            }
        }
        let n = self.rows.max(1) as f64;
        acc.iter().map(|a| (a / n).sqrt()).collect()
    }
}
