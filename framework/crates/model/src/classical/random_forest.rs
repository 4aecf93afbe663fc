//! Random forests from smartcore, as scikit-learn's `RandomForestClassifier`
//! (sqrt of the features per split) and `RandomForestRegressor` (all
//! features per split).

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::{ClassPrediction, Matrix, ModelError, RandomForestConfig};

/// A fitted random-forest classifier.
#[derive(Debug, Serialize, Deserialize)]
pub struct FittedForestClassifier {
    pub forest: RandomForestClassifier<f64, i32, DenseMatrix<f64>, Vec<i32>>,
}

/// A fitted random-forest regressor (one target).
#[derive(Debug, Serialize, Deserialize)]
pub struct FittedForestRegressor {
    pub forest: RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>,
}

fn failed(
    what: fn(&'static str, String) -> ModelError,
) -> impl Fn(smartcore::error::Failed) -> ModelError {
    move |e| what("random forest", e.to_string())
}

fn fit_failed(model: &'static str, detail: String) -> ModelError {
    ModelError::Fit { model, detail }
}

fn predict_failed(model: &'static str, detail: String) -> ModelError {
    ModelError::Predict { model, detail }
}

impl RandomForestConfig {
    /// A forest of `trees` on `(x, y)`, every random draw from `seed`.
    pub fn fit_classifier(
        &self,
        x: &Matrix,
        y: &[usize],
        seed: u64,
    ) -> Result<FittedForestClassifier, ModelError> {
        let yi: Vec<i32> = y.iter().map(|&c| c as i32).collect();
        let mut params = RandomForestClassifierParameters::default()
            .with_n_trees(self.trees)
            .with_min_samples_leaf(self.min_samples_leaf)
            .with_min_samples_split(self.min_samples_split)
            .with_seed(seed);
        if let Some(d) = self.max_depth {
            params = params.with_max_depth(d);
        }
        let forest =
            RandomForestClassifier::fit(&x.dense()?, &yi, params).map_err(failed(fit_failed))?;
        Ok(FittedForestClassifier { forest })
    }

    /// A forest on one target.
    pub fn fit_regressor(
        &self,
        x: &Matrix,
        y: &[f64],
        seed: u64,
    ) -> Result<FittedForestRegressor, ModelError> {
        let mut params = RandomForestRegressorParameters::default()
            .with_n_trees(self.trees as usize)
            .with_min_samples_leaf(self.min_samples_leaf)
            .with_min_samples_split(self.min_samples_split)
            .with_seed(seed);
        if let Some(d) = self.max_depth {
            params = params.with_max_depth(d);
        }
        // scikit-learn's regressor default considers all features per
        // split (max_features=1.0); smartcore defaults to sqrt.
        params = params.with_m(x.cols);
        let forest = RandomForestRegressor::fit(&x.dense()?, &y.to_vec(), params)
            .map_err(failed(fit_failed))?;
        Ok(FittedForestRegressor { forest })
    }
}

impl FittedForestClassifier {
    /// The majority vote of the trees for each row of `x` (no scores).
    pub fn predict(&self, x: &Matrix) -> Result<ClassPrediction, ModelError> {
        let p: Vec<i32> = self
            .forest
            .predict(&x.dense()?)
            .map_err(failed(predict_failed))?;
        Ok(ClassPrediction {
            labels: p.into_iter().map(|c| c as usize).collect(),
            scores: None,
        })
    }
}

impl FittedForestRegressor {
    /// The mean of the trees for each row of `x`.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, ModelError> {
        self.forest
            .predict(&x.dense()?)
            .map_err(failed(predict_failed))
    }
}
