//! The hyper-parameters of each classical baseline, as they appear under
//! `[model.<architecture>]` in a spec; each documents its default (that of
//! scikit-learn) and checks its own values in `validate`.

use mer_core::{ConfigError, limits};
use serde::{Deserialize, Serialize};

use smartcore::neighbors::KNNWeightFunction;

use super::Matrix;

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
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
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
    pub(crate) fn resolve(&self, x: &Matrix) -> f64 {
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
    /// Classification with three or more classes: how a row whose
    /// one-vs-one votes tie between classes is labelled. `false` (the
    /// default, scikit-learn's `SVC(break_ties=False)`, libsvm's rule): the
    /// tied class that comes first; `true` (`SVC(break_ties=True)`): the
    /// tied class with the largest summed decision value. Scores are the
    /// same either way.
    pub break_ties: bool,
}

impl Default for SvmConfig {
    fn default() -> Self {
        SvmConfig {
            c: 1.0,
            kernel: SvmKernel::Rbf,
            gamma: Gamma::Named(GammaRule::Scale),
            epsilon: 0.1,
            tol: 1e-3,
            break_ties: false,
        }
    }
}

impl SvmConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        positive("c", self.c)?;
        positive("tol", self.tol)?;
        if !(self.epsilon >= 0.0 && self.epsilon.is_finite()) {
            return Err(ConfigError::new(
                "epsilon",
                "must be a non-negative, finite number",
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
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        limits::size("trees", usize::from(self.trees), 1, limits::MAX_TREES)?;
        if let Some(d) = self.max_depth {
            limits::size("max_depth", usize::from(d), 1, limits::MAX_DEPTH)?;
        }
        if self.min_samples_leaf == 0 {
            return Err(ConfigError::new("min_samples_leaf", "must be at least 1"));
        }
        if self.min_samples_split < 2 {
            return Err(ConfigError::new("min_samples_split", "must be at least 2"));
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
    pub(crate) fn smartcore(self) -> KNNWeightFunction {
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
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        limits::size("k", self.k, 1, limits::MAX_NEIGHBOURS)?;
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
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.alpha >= 0.0 && self.alpha.is_finite()) {
            return Err(ConfigError::new(
                "alpha",
                "must be a non-negative, finite number",
            ));
        }
        Ok(())
    }
}

fn positive(key: &str, v: f64) -> Result<(), ConfigError> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::found(
            key,
            v,
            "must be a positive, finite number",
        ))
    }
}
