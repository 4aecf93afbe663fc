//! Random forests as scikit-learn's `RandomForestClassifier` (square root of
//! the features per split) and `RandomForestRegressor` (all features per
//! split), built by [`super::forest`] to scikit-learn's algorithm.

use serde::{Deserialize, Serialize};

use super::forest::{self, ForestClassifier, ForestParams, ForestRegressor, MaxFeatures};
use super::{ClassPrediction, Matrix, ModelError, RandomForestConfig};

/// A fitted random-forest classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedForestClassifier {
    pub forest: ForestClassifier,
}

/// A fitted random-forest regressor (one target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedForestRegressor {
    pub forest: ForestRegressor,
}

impl RandomForestConfig {
    fn params(&self, max_features: MaxFeatures) -> ForestParams {
        ForestParams {
            trees: usize::from(self.trees),
            max_depth: self.max_depth.map(usize::from),
            min_samples_leaf: self.min_samples_leaf,
            min_samples_split: self.min_samples_split,
            max_features,
        }
    }

    /// A forest of `trees` on `(x, y)` (classes `0..n_classes`), every
    /// random draw from `seed`.
    pub fn fit_classifier(
        &self,
        x: &Matrix,
        y: &[usize],
        n_classes: usize,
        seed: u64,
    ) -> Result<FittedForestClassifier, ModelError> {
        check_finite(x)?;
        let p = self.params(MaxFeatures::Sqrt);
        Ok(FittedForestClassifier {
            forest: forest::fit_classifier(x, y, n_classes, &p, seed),
        })
    }

    /// A forest on one target.
    pub fn fit_regressor(
        &self,
        x: &Matrix,
        y: &[f64],
        seed: u64,
    ) -> Result<FittedForestRegressor, ModelError> {
        check_finite(x)?;
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::Fit {
                model: "random forest",
                detail: format!("target of row {i} is not finite"),
            });
        }
        let p = self.params(MaxFeatures::All);
        Ok(FittedForestRegressor {
            forest: forest::fit_regressor(x, y, &p, seed),
        })
    }
}

/// The forest works on `f32` features (as scikit-learn's trees): every value
/// must be finite there.
fn check_finite(x: &Matrix) -> Result<(), ModelError> {
    match x.data.iter().position(|&v| !(v as f32).is_finite()) {
        None => Ok(()),
        Some(i) => Err(ModelError::Fit {
            model: "random forest",
            detail: format!(
                "feature {} of row {} is {} (not a finite 32-bit value)",
                i % x.cols.max(1),
                i / x.cols.max(1),
                x.data[i]
            ),
        }),
    }
}

fn check_width(x: &Matrix, n_features: usize) -> Result<(), ModelError> {
    if x.cols != n_features {
        return Err(ModelError::Shape(format!(
            "{} features, the forest was fitted on {n_features}",
            x.cols
        )));
    }
    Ok(())
}

impl FittedForestClassifier {
    /// Class probabilities of each row of `x` (the mean of the trees' leaf
    /// class fractions, scikit-learn's `predict_proba`); the label is the
    /// first most probable class.
    pub fn predict(&self, x: &Matrix) -> Result<ClassPrediction, ModelError> {
        check_width(x, self.forest.n_features)?;
        check_finite(x)?;
        Ok(ClassPrediction::from_scores(self.forest.predict_proba(x)))
    }
}

impl FittedForestRegressor {
    /// The mean of the trees for each row of `x`.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, ModelError> {
        check_width(x, self.forest.n_features)?;
        check_finite(x)?;
        Ok(self.forest.predict(x))
    }
}
