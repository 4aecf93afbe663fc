//! k-nearest neighbours (smartcore, exhaustive search), as scikit-learn's
//! `KNeighborsClassifier` / `KNeighborsRegressor`. A fitted KNN is its
//! training data: prediction builds smartcore's model from it (which only
//! stores it) and searches.

use serde::{Deserialize, Serialize};
use smartcore::algorithm::neighbour::KNNAlgorithmName;
use smartcore::neighbors::knn_classifier::{KNNClassifier, KNNClassifierParameters};
use smartcore::neighbors::knn_regressor::{KNNRegressor, KNNRegressorParameters};

use super::{ClassPrediction, KnnConfig, KnnWeights, Matrix, MatrixExt, ModelError, spread};

/// A fitted KNN classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedKnnClassifier {
    pub x: Matrix,
    pub y: Vec<usize>,
    /// Neighbours, capped at the training size.
    pub k: usize,
    pub weights: KnnWeights,
    /// Present classes, ascending (the probability columns).
    pub classes: Vec<usize>,
    pub n_classes: usize,
}

/// A fitted KNN regressor (one target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedKnnRegressor {
    pub x: Matrix,
    pub y: Vec<f64>,
    pub k: usize,
    pub weights: KnnWeights,
}

impl KnnConfig {
    /// Keeps the training data; `classes` are the present classes.
    pub fn fit_classifier(
        &self,
        x: &Matrix,
        y: &[usize],
        classes: &[usize],
        n_classes: usize,
    ) -> FittedKnnClassifier {
        FittedKnnClassifier {
            x: x.clone(),
            y: y.to_vec(),
            k: self.k.min(x.rows),
            weights: self.weights,
            classes: classes.to_vec(),
            n_classes,
        }
    }

    /// Keeps the training data of one target.
    pub fn fit_regressor(&self, x: &Matrix, y: &[f64]) -> FittedKnnRegressor {
        FittedKnnRegressor {
            x: x.clone(),
            y: y.to_vec(),
            k: self.k.min(x.rows),
            weights: self.weights,
        }
    }
}

impl FittedKnnClassifier {
    /// Neighbour-vote probabilities of each row of `x`.
    pub fn predict(&self, x: &Matrix) -> Result<ClassPrediction, ModelError> {
        let yi: Vec<i32> = self.y.iter().map(|&c| c as i32).collect();
        let params = KNNClassifierParameters::default()
            .with_k(self.k)
            .with_algorithm(KNNAlgorithmName::LinearSearch)
            .with_weight(self.weights.smartcore());
        let model = KNNClassifier::fit(&self.x.dense()?, &yi, params)
            .map_err(ModelError::fit_failed("KNN"))?;
        let probs = model
            .predict_proba(&x.dense()?)
            .map_err(ModelError::predict_failed("KNN"))?;
        let scores = probs
            .iter()
            .map(|p| spread(p, &self.classes, self.n_classes, 0.0))
            .collect();
        Ok(ClassPrediction::from_scores(scores))
    }
}

impl FittedKnnRegressor {
    /// The (weighted) mean target of each row's neighbours.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, ModelError> {
        let params = KNNRegressorParameters::default()
            .with_k(self.k)
            .with_algorithm(KNNAlgorithmName::LinearSearch)
            .with_weight(self.weights.smartcore());
        let model = KNNRegressor::fit(&self.x.dense()?, &self.y, params)
            .map_err(ModelError::fit_failed("KNN"))?;
        model
            .predict(&x.dense()?)
            .map_err(ModelError::predict_failed("KNN"))
    }
}
