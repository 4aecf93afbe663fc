//! Classical baselines on track-level feature vectors, from smartcore: the
//! seed study's logistic regression, SVM, random forest and KNN, plus ridge
//! for regression.
//!
//! Defaults follow scikit-learn's, since that is what MER papers report:
//! `LogisticRegression(C=1)`, `SVC(C=1, kernel="rbf", gamma="scale")`,
//! `RandomForestClassifier(n_estimators=100, max_features="sqrt")`,
//! `KNeighborsClassifier(n_neighbors=5)`, `Ridge(alpha=1)`.
//! Inputs are expected standardised by the caller (fitted on the training
//! fold, see `train::scaler`).
//!
//! The SVM comes from linfa-svm, a port of libsvm's SMO solver (the solver
//! behind scikit-learn's `SVC`/`SVR`). smartcore 0.7's SVC/SVR cannot be used:
//! their optimiser copies only the first `n_samples` values of each training
//! row (`take(n)` in `svc.rs`), so any fold with fewer samples than features
//! (common with TF-IDF) fails or is silently wrong. Multi-class SVM is
//! one-vs-one, as in libsvm, with scores from scikit-learn's
//! `_ovr_decision_function` (votes plus a bounded confidence term).

use linfa::prelude::{Fit, Predict};
use linfa_svm::Svm;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};
use smartcore::neighbors::KNNWeightFunction;
use smartcore::neighbors::knn_classifier::{KNNClassifier, KNNClassifierParameters};
use smartcore::neighbors::knn_regressor::{KNNRegressor, KNNRegressorParameters};

use super::ModelConfig;

/// A dense row-major matrix of features: `[rows, cols]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    /// Builds a matrix from equal-length rows.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Matrix, ModelError> {
        let cols = rows.first().map(|r| r.len()).unwrap_or(0);
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
            return Err(ModelError::Shape(format!(
                "row {i} has {} features, row 0 has {cols}",
                r.len()
            )));
        }
        Ok(Matrix {
            rows: rows.len(),
            cols,
            data: rows.concat(),
        })
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The matrix as an ndarray `[rows, cols]` (for linfa).
    fn array(&self) -> Array2<f64> {
        Array2::from_shape_vec((self.rows, self.cols), self.data.clone())
            .expect("rows * cols values")
    }

    fn dense(&self) -> Result<DenseMatrix<f64>, ModelError> {
        DenseMatrix::new(self.rows, self.cols, self.data.clone(), false)
            .map_err(|e| ModelError::Shape(e.to_string()))
    }

    /// The given rows, in order.
    pub fn select(&self, rows: &[usize]) -> Matrix {
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

/// Errors of model fitting and prediction.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("feature matrix is malformed: {0}")]
    Shape(String),
    #[error("the training fold has {found} class(es) ({classes}); {model} needs at least 2")]
    TooFewClasses {
        model: &'static str,
        found: usize,
        classes: String,
    },
    #[error("the training fold is empty")]
    EmptyTrainingFold,
    #[error("{model} failed to fit: {detail}")]
    Fit { model: &'static str, detail: String },
    #[error("{model} failed to predict: {detail}")]
    Predict { model: &'static str, detail: String },
    #[error("{0} cannot do this task")]
    WrongTask(&'static str),
    #[error("not a classical model (neural networks and ensembles run elsewhere)")]
    NotClassical,
}

/// Class predictions for the rows of one matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassPrediction {
    /// Predicted class index per row.
    pub labels: Vec<usize>,
    /// Per row, one score per class (probabilities where the model has
    /// them, else decision scores); `None` for models with neither.
    pub scores: Option<Vec<Vec<f64>>>,
}

impl ClassPrediction {
    /// Labels are the argmax of each row's scores.
    fn from_scores(scores: Vec<Vec<f64>>) -> ClassPrediction {
        ClassPrediction {
            labels: scores.iter().map(|s| argmax(s)).collect(),
            scores: Some(scores),
        }
    }
}

/// Scores over the present classes, placed at their class indices among
/// `n_classes`; absent classes get `absent`.
fn spread(scores: &[f64], present: &[usize], n_classes: usize, absent: f64) -> Vec<f64> {
    let mut full = vec![absent; n_classes];
    for (v, &c) in scores.iter().zip(present) {
        full[c] = *v;
    }
    full
}

fn check_train(x: &Matrix, n: usize) -> Result<(), ModelError> {
    if x.rows == 0 || n == 0 {
        return Err(ModelError::EmptyTrainingFold);
    }
    if x.rows != n {
        return Err(ModelError::Shape(format!(
            "{} feature rows but {n} targets",
            x.rows
        )));
    }
    Ok(())
}

/// Present classes in ascending order.
fn present_classes(y: &[usize]) -> Vec<usize> {
    let mut c: Vec<usize> = y.to_vec();
    c.sort_unstable();
    c.dedup();
    c
}

/// Fits a classifier on `(x, y)` and predicts the rows of each matrix in
/// `predict_on`. Class indices are in `0..n_classes`; classes absent from
/// the training fold are never predicted and score 0.
pub fn fit_predict_classes(
    cfg: &ModelConfig,
    x: &Matrix,
    y: &[usize],
    n_classes: usize,
    predict_on: &[&Matrix],
    seed: u64,
) -> Result<Vec<ClassPrediction>, ModelError> {
    check_train(x, y.len())?;
    let classes = present_classes(y);
    let name = cfg.architecture().as_str();
    let name: &'static str = match name {
        "logreg" => "logistic regression",
        "svm" => "SVM",
        "random_forest" => "random forest",
        "knn" => "KNN",
        _ => "ridge",
    };
    if classes.len() < 2 {
        return Err(ModelError::TooFewClasses {
            model: name,
            found: classes.len(),
            classes: classes
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let yi: Vec<i32> = y.iter().map(|&c| c as i32).collect();
    let xd = x.dense()?;
    let fit_err = |e: smartcore::error::Failed| ModelError::Fit {
        model: name,
        detail: e.to_string(),
    };
    let pred_err = |e: smartcore::error::Failed| ModelError::Predict {
        model: name,
        detail: e.to_string(),
    };
    match cfg {
        ModelConfig::Logreg(c) => {
            let params = LogisticRegressionParameters::default().with_alpha(1.0 / c.c);
            let model = LogisticRegression::fit(&xd, &yi, params).map_err(fit_err)?;
            let coef = model.coefficients();
            let intercept = model.intercept();
            let model_classes: Vec<usize> = model.classes().iter().map(|&c| c as usize).collect();
            let (k_rows, _) = coef.shape();
            predict_on
                .iter()
                .map(|m| {
                    let mut scores = Vec::with_capacity(m.rows);
                    for r in 0..m.rows {
                        let row = m.row(r);
                        let z: Vec<f64> = (0..k_rows)
                            .map(|k| {
                                let w: f64 = (0..m.cols).map(|j| *coef.get((k, j)) * row[j]).sum();
                                w + *intercept.get((k, 0))
                            })
                            .collect();
                        // Binary: one logit for the second class (sigmoid);
                        // multi-class: one logit per class (softmax).
                        let probs: Vec<f64> = if k_rows == 1 {
                            let p1 = 1.0 / (1.0 + (-z[0]).exp());
                            vec![1.0 - p1, p1]
                        } else {
                            softmax(&z)
                        };
                        scores.push(spread(&probs, &model_classes, n_classes, 0.0));
                    }
                    Ok(ClassPrediction::from_scores(scores))
                })
                .collect()
        }
        ModelConfig::Svm(c) => {
            let gamma = c.gamma.resolve(x);
            // One binary SVC per pair of present classes (i < j): positive
            // for classes[j], so a positive decision value votes for j.
            let pairs: Vec<(usize, usize)> = (0..classes.len())
                .flat_map(|i| (i + 1..classes.len()).map(move |j| (i, j)))
                .collect();
            let mut decisions: Vec<Vec<Vec<f64>>> = vec![Vec::new(); predict_on.len()];
            for &(i, j) in &pairs {
                let rows: Vec<usize> = (0..y.len())
                    .filter(|&r| y[r] == classes[i] || y[r] == classes[j])
                    .collect();
                let sub = x.select(&rows);
                let sub_y: Array1<bool> = rows.iter().map(|&r| y[r] == classes[j]).collect();
                let params = Svm::<f64, bool>::params()
                    .pos_neg_weights(c.c, c.c)
                    .eps(c.tol);
                let params = match c.kernel {
                    SvmKernel::Rbf => params.gaussian_kernel(1.0 / gamma),
                    SvmKernel::Linear => params.linear_kernel(),
                };
                let svm = params
                    .fit(&linfa::Dataset::new(sub.array(), sub_y))
                    .map_err(|e| ModelError::Fit {
                        model: name,
                        detail: e.to_string(),
                    })?;
                for (mi, m) in predict_on.iter().enumerate() {
                    let a = m.array();
                    decisions[mi].push(
                        a.outer_iter()
                            .map(|row| svm.weighted_sum(&row) - svm.rho)
                            .collect(),
                    );
                }
            }
            Ok(decisions
                .into_iter()
                .zip(predict_on)
                .map(|(dec, m)| {
                    let scores = (0..m.rows)
                        .map(|r| {
                            let s = ovr_decision(&pairs, &dec, r, classes.len());
                            // Absent classes score one below the lowest present.
                            let floor = s.iter().cloned().fold(f64::INFINITY, f64::min) - 1.0;
                            spread(&s, &classes, n_classes, floor)
                        })
                        .collect();
                    ClassPrediction::from_scores(scores)
                })
                .collect())
        }
        ModelConfig::RandomForest(c) => {
            let mut params = RandomForestClassifierParameters::default()
                .with_n_trees(c.trees)
                .with_min_samples_leaf(c.min_samples_leaf)
                .with_min_samples_split(c.min_samples_split)
                .with_seed(seed);
            if let Some(d) = c.max_depth {
                params = params.with_max_depth(d);
            }
            let model = RandomForestClassifier::fit(&xd, &yi, params).map_err(fit_err)?;
            predict_on
                .iter()
                .map(|m| {
                    let p: Vec<i32> = model.predict(&m.dense()?).map_err(pred_err)?;
                    Ok(ClassPrediction {
                        labels: p.into_iter().map(|c| c as usize).collect(),
                        scores: None,
                    })
                })
                .collect()
        }
        ModelConfig::Knn(c) => {
            let k = c.k.min(x.rows);
            let params = KNNClassifierParameters::default()
                .with_k(k)
                .with_algorithm(smartcore::algorithm::neighbour::KNNAlgorithmName::LinearSearch)
                .with_weight(c.weights.smartcore());
            let model = KNNClassifier::fit(&xd, &yi, params).map_err(fit_err)?;
            predict_on
                .iter()
                .map(|m| {
                    let probs = model.predict_proba(&m.dense()?).map_err(pred_err)?;
                    let scores = probs
                        .iter()
                        .map(|p| spread(p, &classes, n_classes, 0.0))
                        .collect();
                    Ok(ClassPrediction::from_scores(scores))
                })
                .collect()
        }
        ModelConfig::Ridge(_) => Err(ModelError::WrongTask("ridge")),
        ModelConfig::Neural(_) | ModelConfig::Ensemble(_) => Err(ModelError::NotClassical),
    }
}

/// Fits one regressor per target column of `y` (`y[row][target]`) and
/// predicts each matrix in `predict_on`: `result[matrix][row][target]`.
pub fn fit_predict_values(
    cfg: &ModelConfig,
    x: &Matrix,
    y: &[Vec<f64>],
    predict_on: &[&Matrix],
    seed: u64,
) -> Result<Vec<Vec<Vec<f64>>>, ModelError> {
    check_train(x, y.len())?;
    let n_targets = y[0].len();
    let xd = x.dense()?;
    let mut out: Vec<Vec<Vec<f64>>> = predict_on
        .iter()
        .map(|m| vec![Vec::with_capacity(n_targets); m.rows])
        .collect();
    for t in 0..n_targets {
        let yt: Vec<f64> = y.iter().map(|row| row[t]).collect();
        let per_matrix = fit_predict_one_target(cfg, x, &xd, &yt, predict_on, seed)?;
        for (mi, preds) in per_matrix.into_iter().enumerate() {
            for (r, v) in preds.into_iter().enumerate() {
                out[mi][r].push(v);
            }
        }
    }
    Ok(out)
}

fn fit_predict_one_target(
    cfg: &ModelConfig,
    x: &Matrix,
    xd: &DenseMatrix<f64>,
    y: &[f64],
    predict_on: &[&Matrix],
    seed: u64,
) -> Result<Vec<Vec<f64>>, ModelError> {
    let y = y.to_vec();
    match cfg {
        ModelConfig::Neural(_) | ModelConfig::Ensemble(_) => Err(ModelError::NotClassical),
        ModelConfig::Logreg(_) => Err(ModelError::WrongTask("logistic regression")),
        ModelConfig::Ridge(c) => {
            let (w, b) = ridge_fit(x, &y, c.alpha)?;
            Ok(predict_on
                .iter()
                .map(|m| {
                    (0..m.rows)
                        .map(|r| m.row(r).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b)
                        .collect()
                })
                .collect())
        }
        ModelConfig::Svm(c) => {
            let gamma = c.gamma.resolve(x);
            let params = Svm::<f64, f64>::params()
                .c_svr(c.c, Some(c.epsilon))
                .eps(c.tol);
            let params = match c.kernel {
                SvmKernel::Rbf => params.gaussian_kernel(1.0 / gamma),
                SvmKernel::Linear => params.linear_kernel(),
            };
            let model = params
                .fit(&linfa::Dataset::new(x.array(), Array1::from(y)))
                .map_err(|e| ModelError::Fit {
                    model: "SVR",
                    detail: e.to_string(),
                })?;
            Ok(predict_on
                .iter()
                .map(|m| {
                    m.array()
                        .outer_iter()
                        .map(|row| model.predict(row))
                        .collect()
                })
                .collect())
        }
        ModelConfig::RandomForest(c) => {
            let mut params = RandomForestRegressorParameters::default()
                .with_n_trees(c.trees as usize)
                .with_min_samples_leaf(c.min_samples_leaf)
                .with_min_samples_split(c.min_samples_split)
                .with_seed(seed);
            if let Some(d) = c.max_depth {
                params = params.with_max_depth(d);
            }
            // scikit-learn's regressor default considers all features per
            // split (max_features=1.0); smartcore defaults to sqrt.
            params = params.with_m(x.cols);
            let model =
                RandomForestRegressor::fit(xd, &y, params).map_err(|e| ModelError::Fit {
                    model: "random forest",
                    detail: e.to_string(),
                })?;
            predict_on
                .iter()
                .map(|m| {
                    model.predict(&m.dense()?).map_err(|e| ModelError::Predict {
                        model: "random forest",
                        detail: e.to_string(),
                    })
                })
                .collect()
        }
        ModelConfig::Knn(c) => {
            let params = KNNRegressorParameters::default()
                .with_k(c.k.min(x.rows))
                .with_algorithm(smartcore::algorithm::neighbour::KNNAlgorithmName::LinearSearch)
                .with_weight(c.weights.smartcore());
            let model = KNNRegressor::fit(xd, &y, params).map_err(|e| ModelError::Fit {
                model: "KNN",
                detail: e.to_string(),
            })?;
            predict_on
                .iter()
                .map(|m| {
                    model.predict(&m.dense()?).map_err(|e| ModelError::Predict {
                        model: "KNN",
                        detail: e.to_string(),
                    })
                })
                .collect()
        }
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

/// scikit-learn's `_ovr_decision_function`: per class, its one-vs-one votes
/// plus the summed confidences squashed into (-1/3, 1/3), so confidence only
/// breaks ties between equal vote counts.
fn ovr_decision(
    pairs: &[(usize, usize)],
    decisions: &[Vec<f64>],
    row: usize,
    k: usize,
) -> Vec<f64> {
    let mut votes = vec![0.0; k];
    let mut conf = vec![0.0; k];
    for (p, &(i, j)) in pairs.iter().enumerate() {
        let d = decisions[p][row];
        // d > 0 means the second class (j) of the pair.
        if d > 0.0 {
            votes[j] += 1.0;
        } else {
            votes[i] += 1.0;
        }
        conf[i] -= d;
        conf[j] += d;
    }
    votes
        .iter()
        .zip(&conf)
        .map(|(v, c)| v + c / (3.0 * (c.abs() + 1.0)))
        .collect()
}

fn softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

/// Index of the largest value; the lowest index wins ties.
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// `[model.logreg]`: multinomial logistic regression with an L2 penalty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogRegConfig {
    /// Inverse regularisation strength, as scikit-learn's `C`; defaults to `1.0`.
    pub c: f64,
}

impl Default for LogRegConfig {
    fn default() -> Self {
        LogRegConfig { c: 1.0 }
    }
}

impl LogRegConfig {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        positive("c", self.c)
    }
}

/// SVM kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SvmKernel {
    Rbf,
    Linear,
}

/// RBF kernel width.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Gamma {
    /// `"scale"`: 1 / (n_features * variance of the training matrix), as
    /// scikit-learn; `"auto"`: 1 / n_features.
    Named(GammaRule),
    /// A fixed value.
    Value(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GammaRule {
    Scale,
    Auto,
}

impl Gamma {
    fn resolve(&self, x: &Matrix) -> f64 {
        let n = x.cols.max(1) as f64;
        match self {
            Gamma::Value(v) => *v,
            Gamma::Named(GammaRule::Auto) => 1.0 / n,
            Gamma::Named(GammaRule::Scale) => {
                let len = x.data.len().max(1) as f64;
                let mean = x.data.iter().sum::<f64>() / len;
                let var = x.data.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / len;
                if var > 0.0 { 1.0 / (n * var) } else { 1.0 }
            }
        }
    }
}

/// `[model.svm]`: SVC (classification, one-vs-one) or epsilon-SVR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SvmConfig {
    /// Penalty parameter C; defaults to `1.0`.
    pub c: f64,
    /// `"rbf"` or `"linear"`; defaults to `"rbf"`.
    pub kernel: SvmKernel,
    /// RBF width: `"scale"`, `"auto"` or a number; defaults to `"scale"`.
    pub gamma: Gamma,
    /// Epsilon of the epsilon-insensitive loss (regression); defaults to `0.1`.
    pub epsilon: f64,
    /// Stopping tolerance of the SMO solver; defaults to `1e-3`.
    pub tol: f64,
}

impl Default for SvmConfig {
    fn default() -> Self {
        SvmConfig {
            c: 1.0,
            kernel: SvmKernel::Rbf,
            gamma: Gamma::Named(GammaRule::Scale),
            epsilon: 0.1,
            tol: 1e-3,
        }
    }
}

impl SvmConfig {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        positive("c", self.c)?;
        positive("tol", self.tol)?;
        if !(self.epsilon >= 0.0 && self.epsilon.is_finite()) {
            return Err((
                "epsilon".into(),
                "must be a non-negative, finite number".into(),
            ));
        }
        if let Gamma::Value(g) = self.gamma {
            positive("gamma", g)?;
        }
        Ok(())
    }
}

/// `[model.random_forest]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomForestConfig {
    /// Number of trees; defaults to `100`.
    pub trees: u16,
    /// Maximum tree depth; defaults to unlimited.
    pub max_depth: Option<u16>,
    /// Minimum samples in a leaf; defaults to `1`.
    pub min_samples_leaf: usize,
    /// Minimum samples to split a node; defaults to `2`.
    pub min_samples_split: usize,
}

impl Default for RandomForestConfig {
    fn default() -> Self {
        RandomForestConfig {
            trees: 100,
            max_depth: None,
            min_samples_leaf: 1,
            min_samples_split: 2,
        }
    }
}

impl RandomForestConfig {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if self.trees == 0 {
            return Err(("trees".into(), "must be at least 1".into()));
        }
        if self.max_depth == Some(0) {
            return Err(("max_depth".into(), "must be at least 1".into()));
        }
        if self.min_samples_leaf == 0 {
            return Err(("min_samples_leaf".into(), "must be at least 1".into()));
        }
        if self.min_samples_split < 2 {
            return Err(("min_samples_split".into(), "must be at least 2".into()));
        }
        Ok(())
    }
}

/// Neighbour weighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnWeights {
    Uniform,
    Distance,
}

impl KnnWeights {
    fn smartcore(self) -> KNNWeightFunction {
        match self {
            KnnWeights::Uniform => KNNWeightFunction::Uniform,
            KnnWeights::Distance => KNNWeightFunction::Distance,
        }
    }
}

/// `[model.knn]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnnConfig {
    /// Number of neighbours; defaults to `5` (capped at the training size).
    pub k: usize,
    /// `"uniform"` or `"distance"`; defaults to `"uniform"`.
    pub weights: KnnWeights,
}

impl Default for KnnConfig {
    fn default() -> Self {
        KnnConfig {
            k: 5,
            weights: KnnWeights::Uniform,
        }
    }
}

impl KnnConfig {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if self.k == 0 {
            return Err(("k".into(), "must be at least 1".into()));
        }
        Ok(())
    }
}

/// `[model.ridge]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeConfig {
    /// L2 penalty strength; defaults to `1.0`.
    pub alpha: f64,
}

impl Default for RidgeConfig {
    fn default() -> Self {
        RidgeConfig { alpha: 1.0 }
    }
}

impl RidgeConfig {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if !(self.alpha >= 0.0 && self.alpha.is_finite()) {
            return Err((
                "alpha".into(),
                "must be a non-negative, finite number".into(),
            ));
        }
        Ok(())
    }
}

fn positive(key: &str, v: f64) -> Result<(), (String, String)> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err((key.into(), "must be a positive, finite number".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Architecture, ModelSection};
    use rand::{Rng, SeedableRng};

    /// Three Gaussian blobs in 4-D, well separated.
    fn blobs(n_per: usize, seed: u64) -> (Matrix, Vec<usize>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let centres = [
            [3.0, 0.0, 0.0, 1.0],
            [0.0, 3.0, 0.0, -1.0],
            [0.0, 0.0, 3.0, 0.0],
        ];
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for (c, centre) in centres.iter().enumerate() {
            for _ in 0..n_per {
                rows.push(
                    centre
                        .iter()
                        .map(|m| m + rng.random_range(-0.8..0.8))
                        .collect::<Vec<f64>>(),
                );
                y.push(c);
            }
        }
        (Matrix::from_rows(&rows).unwrap(), y)
    }

    #[test]
    fn every_classifier_separates_well_separated_blobs() {
        let (x, y) = blobs(30, 1);
        let (xt, yt) = blobs(20, 2);
        let section = ModelSection::default();
        for arch in [
            Architecture::Logreg,
            Architecture::Svm,
            Architecture::RandomForest,
            Architecture::Knn,
        ] {
            let cfg = section.config_for(arch);
            let out = fit_predict_classes(&cfg, &x, &y, 3, &[&xt], 7).unwrap();
            let acc = out[0]
                .labels
                .iter()
                .zip(&yt)
                .filter(|(a, b)| a == b)
                .count() as f64
                / yt.len() as f64;
            assert!(acc > 0.95, "{arch}: accuracy {acc}");
            if let Some(scores) = &out[0].scores {
                for (row, &label) in scores.iter().zip(&out[0].labels) {
                    assert_eq!(row.len(), 3);
                    assert_eq!(argmax(row), label, "{arch}: scores disagree with label");
                }
            }
        }
    }

    #[test]
    fn classes_absent_from_training_are_mapped_back_to_their_index() {
        // Train on classes 1 and 3 of 4: predictions must use those indices.
        let (x, y) = blobs(20, 3);
        let keep: Vec<usize> = (0..y.len()).filter(|&i| y[i] != 2).collect();
        let xs = x.select(&keep);
        let ys: Vec<usize> = keep
            .iter()
            .map(|&i| if y[i] == 0 { 1 } else { 3 })
            .collect();
        for arch in [Architecture::Logreg, Architecture::Svm, Architecture::Knn] {
            let cfg = ModelSection::default().config_for(arch);
            let out = fit_predict_classes(&cfg, &xs, &ys, 4, &[&xs], 0).unwrap();
            assert!(out[0].labels.iter().all(|&l| l == 1 || l == 3), "{arch}");
            let scores = out[0].scores.as_ref().unwrap();
            assert_eq!(scores[0].len(), 4);
        }
    }

    #[test]
    fn a_single_class_fold_is_an_error_not_a_panic() {
        let (x, _) = blobs(5, 4);
        let y = vec![2; x.rows];
        let cfg = ModelSection::default().config_for(Architecture::Logreg);
        let err = fit_predict_classes(&cfg, &x, &y, 3, &[&x], 0).unwrap_err();
        assert!(err.to_string().contains("1 class"), "{err}");
    }

    #[test]
    fn regressors_recover_a_linear_target() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let make = |rng: &mut rand_chacha::ChaCha8Rng, n: usize| {
            let rows: Vec<Vec<f64>> = (0..n)
                .map(|_| (0..3).map(|_| rng.random_range(-1.0..1.0)).collect())
                .collect();
            let y: Vec<Vec<f64>> = rows
                .iter()
                .map(|r| vec![0.8 * r[0] - 0.5 * r[1], 0.3 * r[2]])
                .collect();
            (Matrix::from_rows(&rows).unwrap(), y)
        };
        let (x, y) = make(&mut rng, 200);
        let (xt, yt) = make(&mut rng, 100);
        for arch in [
            Architecture::Ridge,
            Architecture::Svm,
            Architecture::RandomForest,
            Architecture::Knn,
        ] {
            let cfg = ModelSection::default().config_for(arch);
            let out = fit_predict_values(&cfg, &x, &y, &[&xt], 3).unwrap();
            for t in 0..2 {
                let truth: Vec<f64> = yt.iter().map(|r| r[t]).collect();
                let pred: Vec<f64> = out[0].iter().map(|r| r[t]).collect();
                let mean = truth.iter().sum::<f64>() / truth.len() as f64;
                let ss_tot: f64 = truth.iter().map(|v| (v - mean).powi(2)).sum();
                let ss_res: f64 = truth.iter().zip(&pred).map(|(a, b)| (a - b).powi(2)).sum();
                let r2 = 1.0 - ss_res / ss_tot;
                // Target 1 spans only [-0.3, 0.3], inside SVR's 0.1 tube.
                let floor = if arch == Architecture::Svm && t == 1 {
                    0.3
                } else {
                    0.6
                };
                assert!(r2 > floor, "{arch} target {t}: r2 {r2}");
            }
        }
    }

    #[test]
    fn same_seed_gives_identical_predictions() {
        let (x, y) = blobs(25, 5);
        let (xt, _) = blobs(10, 6);
        for arch in [Architecture::Svm, Architecture::RandomForest] {
            let cfg = ModelSection::default().config_for(arch);
            let a = fit_predict_classes(&cfg, &x, &y, 3, &[&xt], 11).unwrap();
            let b = fit_predict_classes(&cfg, &x, &y, 3, &[&xt], 11).unwrap();
            assert_eq!(a, b, "{arch}");
        }
    }

    #[test]
    fn ovr_decision_breaks_vote_ties_by_confidence() {
        // 3 classes, pairs (0,1), (0,2), (1,2): each class wins one duel,
        // class 2 with the most confidence.
        let pairs = [(0, 1), (0, 2), (1, 2)];
        let decisions = vec![vec![-0.5], vec![2.0], vec![-0.1]];
        let s = ovr_decision(&pairs, &decisions, 0, 3);
        assert_eq!(
            s.iter().map(|v| v.round()).collect::<Vec<_>>(),
            vec![1.0, 1.0, 1.0]
        );
        assert_eq!(argmax(&s), 2);
    }
}
