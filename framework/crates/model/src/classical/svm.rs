//! Support vector machines from linfa-svm, a port of libsvm's SMO solver
//! (the solver behind scikit-learn's `SVC`/`SVR`). Classification is
//! one-vs-one over the present classes, as in libsvm, with scores from
//! scikit-learn's `_ovr_decision_function` (votes plus a bounded confidence
//! term). smartcore 0.7's SVC/SVR cannot be used: their optimiser copies
//! only the first `n_samples` values of each training row (`take(n)` in
//! `svc.rs`), so any fold with fewer samples than features (common with
//! TF-IDF) fails or is silently wrong.

use linfa::prelude::{Fit, Predict};
use linfa_svm::Svm;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::{ClassPrediction, Matrix, MatrixExt, ModelError, SvmConfig, SvmKernel, argmax, spread};

/// A fitted one-vs-one SVC: one binary machine per pair of present classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedSvc {
    /// Present classes, ascending.
    pub classes: Vec<usize>,
    pub n_classes: usize,
    /// `(i, j)` indices into `classes`, `i < j`, in libsvm's order.
    pub pairs: Vec<(usize, usize)>,
    /// One machine per pair, positive for `classes[j]`.
    pub machines: Vec<Svm<f64, bool>>,
    /// See [`SvmConfig::break_ties`].
    pub break_ties: bool,
}

/// A fitted epsilon-SVR (one target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedSvr {
    pub machine: Svm<f64, f64>,
}

impl SvmConfig {
    /// One-vs-one SVC on `(x, y)`; `classes` are the present classes.
    pub fn fit_classifier(
        &self,
        x: &Matrix,
        y: &[usize],
        classes: &[usize],
        n_classes: usize,
    ) -> Result<FittedSvc, ModelError> {
        let gamma = self.gamma.resolve(x);
        let pairs: Vec<(usize, usize)> = (0..classes.len())
            .flat_map(|i| (i + 1..classes.len()).map(move |j| (i, j)))
            .collect();
        let mut machines = Vec::with_capacity(pairs.len());
        for &(i, j) in &pairs {
            let rows: Vec<usize> = (0..y.len())
                .filter(|&r| y[r] == classes[i] || y[r] == classes[j])
                .collect();
            let sub = x.select(&rows);
            let sub_y: Array1<bool> = rows.iter().map(|&r| y[r] == classes[j]).collect();
            let params = Svm::<f64, bool>::params()
                .pos_neg_weights(self.c, self.c)
                .eps(self.tol);
            let params = match self.kernel {
                SvmKernel::Rbf => params.gaussian_kernel(1.0 / gamma),
                SvmKernel::Linear => params.linear_kernel(),
            };
            machines.push(
                params
                    .fit(&linfa::Dataset::new(sub.array(), sub_y))
                    .map_err(ModelError::fit_failed("SVM"))?,
            );
        }
        Ok(FittedSvc {
            classes: classes.to_vec(),
            n_classes,
            pairs,
            machines,
            break_ties: self.break_ties,
        })
    }

    /// Epsilon-SVR on one target.
    pub fn fit_regressor(&self, x: &Matrix, y: &[f64]) -> Result<FittedSvr, ModelError> {
        let gamma = self.gamma.resolve(x);
        let params = Svm::<f64, f64>::params()
            .c_svr(self.c, Some(self.epsilon))
            .eps(self.tol);
        let params = match self.kernel {
            SvmKernel::Rbf => params.gaussian_kernel(1.0 / gamma),
            SvmKernel::Linear => params.linear_kernel(),
        };
        let machine = params
            .fit(&linfa::Dataset::new(x.array(), Array1::from(y.to_vec())))
            .map_err(ModelError::fit_failed("SVR"))?;
        Ok(FittedSvr { machine })
    }
}

impl FittedSvc {
    /// One-vs-rest decision scores of each row of `x` (classes absent from
    /// training score one below the lowest present class) and its label:
    /// the class with the most one-vs-one votes, ties broken as
    /// [`SvmConfig::break_ties`] says.
    pub fn predict(&self, x: &Matrix) -> ClassPrediction {
        let a = x.array();
        let decisions: Vec<Vec<f64>> = self
            .machines
            .iter()
            .map(|svm| {
                a.outer_iter()
                    .map(|row| svm.weighted_sum(&row) - svm.rho)
                    .collect()
            })
            .collect();
        let k = self.classes.len();
        let mut labels = Vec::with_capacity(x.rows);
        let mut scores = Vec::with_capacity(x.rows);
        for r in 0..x.rows {
            let s = ovr_decision(&self.pairs, &decisions, r, k);
            let floor = s.iter().cloned().fold(f64::INFINITY, f64::min) - 1.0;
            let full = spread(&s, &self.classes, self.n_classes, floor);
            labels.push(if self.break_ties {
                argmax(&full)
            } else {
                self.classes[argmax(&votes(&self.pairs, &decisions, r, k))]
            });
            scores.push(full);
        }
        ClassPrediction {
            labels,
            scores: Some(scores),
        }
    }
}

/// libsvm's one-vs-one votes of row `row` over `k` classes.
fn votes(pairs: &[(usize, usize)], decisions: &[Vec<f64>], row: usize, k: usize) -> Vec<f64> {
    let mut votes = vec![0.0; k];
    for (p, &(i, j)) in pairs.iter().enumerate() {
        // d > 0 means the second class (j) of the pair.
        if decisions[p][row] > 0.0 {
            votes[j] += 1.0;
        } else {
            votes[i] += 1.0;
        }
    }
    votes
}

impl FittedSvr {
    /// One value per row of `x`.
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        x.array()
            .outer_iter()
            .map(|row| self.machine.predict(row))
            .collect()
    }
}

/// scikit-learn's `_ovr_decision_function`: per class, its one-vs-one votes
/// plus the summed confidences squashed into (-1/3, 1/3), so confidence only
/// breaks ties between equal vote counts.
pub(crate) fn ovr_decision(
    pairs: &[(usize, usize)],
    decisions: &[Vec<f64>],
    row: usize,
    k: usize,
) -> Vec<f64> {
    let mut conf = vec![0.0; k];
    for (p, &(i, j)) in pairs.iter().enumerate() {
        let d = decisions[p][row];
        conf[i] -= d;
        conf[j] += d;
    }
    votes(pairs, decisions, row, k)
        .iter()
        .zip(&conf)
        .map(|(v, c)| v + c / (3.0 * (c.abs() + 1.0)))
        .collect()
}
