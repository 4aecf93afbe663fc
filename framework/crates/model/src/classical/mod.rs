//! Classical baselines on track-level feature vectors: the seed study's
//! logistic regression, SVM, random forest and KNN, plus ridge for
//! regression.
//!
//! Defaults follow scikit-learn's, since that is what MER papers report:
//! `LogisticRegression(C=1)`, `SVC(C=1, kernel="rbf", gamma="scale")`,
//! `RandomForestClassifier(n_estimators=100, max_features="sqrt")`,
//! `KNeighborsClassifier(n_neighbors=5)`, `Ridge(alpha=1)`.
//! Inputs are expected standardised by the caller (fitted on the training
//! fold, see [`crate::train::scaler`]).
//!
//! # The seam
//! Each architecture is one file: its validated hyper-parameters
//! ([`config`], the `[model.<architecture>]` table) fit on a training fold
//! and return a fitted model (`LogRegConfig::fit -> FittedLogReg`, ...) whose
//! `predict` scores any matrix. [`fit_classifier`] / [`fit_regressor`] pick
//! the architecture from a [`ModelConfig`]; what they return,
//! [`FittedClassifier`] / [`FittedRegressor`], serialises ([`FittedClassifier::to_bytes`]),
//! so a trial's fold models are saved as artifacts and predict new tracks
//! without the training data.

mod config;
pub mod forest;
pub mod knn;
pub mod logreg;
pub mod random_forest;
pub mod ridge;
pub mod svm;

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;

pub use config::{
    Gamma, GammaRule, KnnConfig, KnnWeights, LogRegConfig, RandomForestConfig, RidgeConfig,
    SvmConfig, SvmKernel,
};

use super::ModelConfig;

/// A dense row-major matrix of features, `[rows, cols]` (the one
/// [`mer_core::Matrix`]).
pub type Matrix = mer_core::Matrix<f64>;

/// The matrix in the forms linfa and smartcore take.
pub(crate) trait MatrixExt {
    /// `[rows, cols]` as an ndarray (linfa).
    fn array(&self) -> Array2<f64>;
    /// `[rows, cols]` as a smartcore dense matrix.
    fn dense(&self) -> Result<DenseMatrix<f64>, ModelError>;
}

impl MatrixExt for Matrix {
    fn array(&self) -> Array2<f64> {
        Array2::from_shape_vec((self.rows, self.cols), self.data.clone())
            .expect("rows * cols values")
    }

    fn dense(&self) -> Result<DenseMatrix<f64>, ModelError> {
        DenseMatrix::new(self.rows, self.cols, self.data.clone(), false)
            .map_err(|e| ModelError::Shape(e.to_string()))
    }
}

impl ModelError {
    /// A library's fit error, as `model` failing to fit.
    pub(crate) fn fit_failed<E: std::fmt::Display>(
        model: &'static str,
    ) -> impl Fn(E) -> ModelError {
        move |e| ModelError::Fit {
            model,
            detail: e.to_string(),
        }
    }

    /// A library's prediction error, as `model` failing to predict.
    pub(crate) fn predict_failed<E: std::fmt::Display>(
        model: &'static str,
    ) -> impl Fn(E) -> ModelError {
        move |e| ModelError::Predict {
            model,
            detail: e.to_string(),
        }
    }
}

impl From<mer_core::RaggedRows> for ModelError {
    fn from(e: mer_core::RaggedRows) -> ModelError {
        ModelError::Shape(e.to_string())
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
    #[error("saved model: {0}")]
    Saved(String),
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

/// A fitted classifier of any classical architecture.
#[derive(Debug, Serialize, Deserialize)]
pub enum FittedClassifier {
    Logreg(logreg::FittedLogReg),
    Svm(svm::FittedSvc),
    RandomForest(random_forest::FittedForestClassifier),
    Knn(knn::FittedKnnClassifier),
}

/// A fitted regressor of any classical architecture: one model per target.
#[derive(Debug, Serialize, Deserialize)]
pub struct FittedRegressor {
    /// `[targets]`, in the order of the training targets' columns.
    pub targets: Vec<FittedTarget>,
}

/// One target's fitted regressor.
#[derive(Debug, Serialize, Deserialize)]
pub enum FittedTarget {
    Ridge(ridge::FittedRidge),
    Svm(svm::FittedSvr),
    RandomForest(random_forest::FittedForestRegressor),
    Knn(knn::FittedKnnRegressor),
}

/// The readable name of a classical architecture, for errors.
fn model_name(cfg: &ModelConfig) -> &'static str {
    match cfg {
        ModelConfig::Logreg(_) => "logistic regression",
        ModelConfig::Svm(_) => "SVM",
        ModelConfig::RandomForest(_) => "random forest",
        ModelConfig::Knn(_) => "KNN",
        _ => "ridge",
    }
}

/// Fits a classifier on `(x, y)`. Class indices are in `0..n_classes`;
/// classes absent from the training fold are never predicted and score 0
/// (SVM: one below the lowest present class).
pub fn fit_classifier(
    cfg: &ModelConfig,
    x: &Matrix,
    y: &[usize],
    n_classes: usize,
    seed: u64,
) -> Result<FittedClassifier, ModelError> {
    check_train(x, y.len())?;
    let classes = present_classes(y);
    if classes.len() < 2 {
        return Err(ModelError::TooFewClasses {
            model: model_name(cfg),
            found: classes.len(),
            classes: classes
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(match cfg {
        ModelConfig::Logreg(c) => FittedClassifier::Logreg(c.fit(x, y, n_classes)?),
        ModelConfig::Svm(c) => FittedClassifier::Svm(c.fit_classifier(x, y, &classes, n_classes)?),
        ModelConfig::RandomForest(c) => {
            FittedClassifier::RandomForest(c.fit_classifier(x, y, n_classes, seed)?)
        }
        ModelConfig::Knn(c) => FittedClassifier::Knn(c.fit_classifier(x, y, &classes, n_classes)),
        ModelConfig::Ridge(_) => return Err(ModelError::WrongTask("ridge")),
        ModelConfig::Neural(_) | ModelConfig::Ensemble(_) => return Err(ModelError::NotClassical),
    })
}

/// Fits one regressor per target column of `y` (`y[row][target]`).
pub fn fit_regressor(
    cfg: &ModelConfig,
    x: &Matrix,
    y: &[Vec<f64>],
    seed: u64,
) -> Result<FittedRegressor, ModelError> {
    check_train(x, y.len())?;
    let n_targets = y[0].len();
    let targets = (0..n_targets)
        .map(|t| {
            let yt: Vec<f64> = y.iter().map(|row| row[t]).collect();
            Ok(match cfg {
                ModelConfig::Ridge(c) => FittedTarget::Ridge(c.fit(x, &yt)?),
                ModelConfig::Svm(c) => FittedTarget::Svm(c.fit_regressor(x, &yt)?),
                ModelConfig::RandomForest(c) => {
                    FittedTarget::RandomForest(c.fit_regressor(x, &yt, seed)?)
                }
                ModelConfig::Knn(c) => FittedTarget::Knn(c.fit_regressor(x, &yt)),
                ModelConfig::Logreg(_) => {
                    return Err(ModelError::WrongTask("logistic regression"));
                }
                ModelConfig::Neural(_) | ModelConfig::Ensemble(_) => {
                    return Err(ModelError::NotClassical);
                }
            })
        })
        .collect::<Result<Vec<_>, ModelError>>()?;
    Ok(FittedRegressor { targets })
}

impl FittedClassifier {
    /// Class predictions (and scores, where the model has them) for the
    /// rows of `x`.
    pub fn predict(&self, x: &Matrix) -> Result<ClassPrediction, ModelError> {
        match self {
            FittedClassifier::Logreg(m) => Ok(m.predict(x)),
            FittedClassifier::Svm(m) => Ok(m.predict(x)),
            FittedClassifier::RandomForest(m) => m.predict(x),
            FittedClassifier::Knn(m) => m.predict(x),
        }
    }

    /// Whether [`ClassPrediction::scores`] are probabilities (logistic
    /// regression, random forest, KNN) rather than decision scores (SVM).
    pub fn probabilities(&self) -> bool {
        !matches!(self, FittedClassifier::Svm(_))
    }

    /// The saved form (an artifact): compact binary (postcard), exact for
    /// every float.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        to_bytes(self)
    }

    /// Reads what [`FittedClassifier::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<FittedClassifier, ModelError> {
        from_bytes(bytes)
    }
}

impl FittedRegressor {
    /// `result[row][target]` for the rows of `x`.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<Vec<f64>>, ModelError> {
        let mut out: Vec<Vec<f64>> = vec![Vec::with_capacity(self.targets.len()); x.rows];
        for target in &self.targets {
            let values = match target {
                FittedTarget::Ridge(m) => m.predict(x),
                FittedTarget::Svm(m) => m.predict(x),
                FittedTarget::RandomForest(m) => m.predict(x)?,
                FittedTarget::Knn(m) => m.predict(x)?,
            };
            for (row, v) in out.iter_mut().zip(values) {
                row.push(v);
            }
        }
        Ok(out)
    }

    /// The saved form, as [`FittedClassifier::to_bytes`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        to_bytes(self)
    }

    /// Reads what [`FittedRegressor::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<FittedRegressor, ModelError> {
        from_bytes(bytes)
    }
}

/// Saved models start with this tag and a format version, so a file from
/// another program or a later format is refused by name.
const SAVED_TAG: &[u8; 8] = b"mer-cls1";

fn to_bytes<T: Serialize>(model: &T) -> Result<Vec<u8>, ModelError> {
    let mut out = SAVED_TAG.to_vec();
    out.extend(postcard::to_allocvec(model).map_err(|e| ModelError::Saved(e.to_string()))?);
    Ok(out)
}

fn from_bytes<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, ModelError> {
    let body = bytes.strip_prefix(SAVED_TAG.as_slice()).ok_or_else(|| {
        ModelError::Saved("not a saved mer classical model (wrong header)".into())
    })?;
    postcard::from_bytes(body).map_err(|e| ModelError::Saved(e.to_string()))
}

/// Fits a classifier and predicts the rows of each matrix in `predict_on`
/// (the training and test rows of a fold, say).
pub fn fit_predict_classes(
    cfg: &ModelConfig,
    x: &Matrix,
    y: &[usize],
    n_classes: usize,
    predict_on: &[&Matrix],
    seed: u64,
) -> Result<Vec<ClassPrediction>, ModelError> {
    let model = fit_classifier(cfg, x, y, n_classes, seed)?;
    predict_on.iter().map(|m| model.predict(m)).collect()
}

/// Fits one regressor per target and predicts each matrix in `predict_on`:
/// `result[matrix][row][target]`.
pub fn fit_predict_values(
    cfg: &ModelConfig,
    x: &Matrix,
    y: &[Vec<f64>],
    predict_on: &[&Matrix],
    seed: u64,
) -> Result<Vec<Vec<Vec<f64>>>, ModelError> {
    let model = fit_regressor(cfg, x, y, seed)?;
    predict_on.iter().map(|m| model.predict(m)).collect()
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

#[cfg(test)]
mod tests {
    use super::svm::ovr_decision;
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
