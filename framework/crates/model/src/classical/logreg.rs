//! Multinomial logistic regression with an L2 penalty (smartcore's solver),
//! as scikit-learn's `LogisticRegression(C)`. The fitted model keeps only
//! its coefficients, so prediction needs no solver.

use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use super::{ClassPrediction, LogRegConfig, Matrix, MatrixExt, ModelError, spread};

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLogReg {
    /// `[logits, features]`, row-major: one row for a binary problem (the
    /// logit of the second class), one per class otherwise.
    pub coef: Vec<f64>,
    pub logits: usize,
    pub features: usize,
    /// `[logits]`.
    pub intercept: Vec<f64>,
    /// The class index of each probability column.
    pub classes: Vec<usize>,
    pub n_classes: usize,
}

impl LogRegConfig {
    /// Fits on `(x, y)`; `y` holds class indices in `0..n_classes`.
    pub fn fit(
        &self,
        x: &Matrix,
        y: &[usize],
        n_classes: usize,
    ) -> Result<FittedLogReg, ModelError> {
        let yi: Vec<i32> = y.iter().map(|&c| c as i32).collect();
        let params = LogisticRegressionParameters::default().with_alpha(1.0 / self.c);
        let model = LogisticRegression::fit(&x.dense()?, &yi, params)
            .map_err(ModelError::fit_failed("logistic regression"))?;
        let coef = model.coefficients();
        let intercept = model.intercept();
        let (logits, features) = coef.shape();
        Ok(FittedLogReg {
            coef: (0..logits)
                .flat_map(|k| (0..features).map(move |j| (k, j)))
                .map(|(k, j)| *coef.get((k, j)))
                .collect(),
            logits,
            features,
            intercept: (0..logits).map(|k| *intercept.get((k, 0))).collect(),
            classes: model.classes().iter().map(|&c| c as usize).collect(),
            n_classes,
        })
    }
}

impl FittedLogReg {
    /// Class probabilities of each row of `x`.
    pub fn predict(&self, x: &Matrix) -> ClassPrediction {
        let mut scores = Vec::with_capacity(x.rows);
        for r in 0..x.rows {
            let row = x.row(r);
            let z: Vec<f64> = (0..self.logits)
                .map(|k| {
                    let w = &self.coef[k * self.features..(k + 1) * self.features];
                    let s: f64 = (0..x.cols).map(|j| w[j] * row[j]).sum();
                    s + self.intercept[k]
                })
                .collect();
            // Binary: one logit for the second class (sigmoid);
            // multi-class: one logit per class (softmax).
            let probs: Vec<f64> = if self.logits == 1 {
                let p1 = 1.0 / (1.0 + (-z[0]).exp());
                vec![1.0 - p1, p1]
            } else {
                softmax(&z)
            };
            scores.push(spread(&probs, &self.classes, self.n_classes, 0.0));
        }
        ClassPrediction::from_scores(scores)
    }
}

fn softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}
