//! Models: classical baselines and neural networks. The only place burn types
//! appear.
//!
//! Owns: the catalogue of architectures (what each needs as input and which
//! tasks it can do, so a spec is checked before anything runs), their
//! hyper-parameters as they appear under `[model.<architecture>]` in a spec,
//! and fitting on a training fold / predicting on a test fold. Leaves data
//! preparation (features, scaling, labels) to `run` and scoring to `metrics`.

pub mod classical;
pub mod neural;

use serde::{Deserialize, Serialize};

pub use classical::{KnnConfig, LogRegConfig, RandomForestConfig, RidgeConfig, SvmConfig};

/// Which inputs a trial uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Audio only.
    Audio,
    /// Lyrics only.
    Text,
    /// Audio and lyrics together.
    Fusion,
}

impl Modality {
    pub const ALL: [Modality; 3] = [Modality::Audio, Modality::Text, Modality::Fusion];

    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Audio => "audio",
            Modality::Text => "text",
            Modality::Fusion => "fusion",
        }
    }

    pub fn uses_audio(self) -> bool {
        matches!(self, Modality::Audio | Modality::Fusion)
    }

    pub fn uses_text(self) -> bool {
        matches!(self, Modality::Text | Modality::Fusion)
    }
}

/// What a trial predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Discrete classes (quadrants, clusters, categories, binary moods).
    Classification,
    /// Continuous valence and/or arousal.
    Regression,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }
}

/// One kind of model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// A track-level audio feature vector (`[features.audio]`, e.g. `seed37`).
    AudioVector,
    /// A track-level lyrics vector (`[features.text]`, e.g. TF-IDF).
    TextVector,
}

/// A model family, named in `[sweep] architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// Multinomial logistic regression (classification only).
    Logreg,
    /// Support vector machine: SVC for classes, epsilon-SVR for regression.
    Svm,
    /// Random forest classifier or regressor.
    RandomForest,
    /// k-nearest neighbours classifier or regressor.
    Knn,
    /// Ridge regression (regression only).
    Ridge,
}

impl Architecture {
    pub const ALL: [Architecture; 5] = [
        Architecture::Logreg,
        Architecture::Svm,
        Architecture::RandomForest,
        Architecture::Knn,
        Architecture::Ridge,
    ];

    /// The name used in specs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Logreg => "logreg",
            Architecture::Svm => "svm",
            Architecture::RandomForest => "random_forest",
            Architecture::Knn => "knn",
            Architecture::Ridge => "ridge",
        }
    }

    /// Why this architecture cannot do `task`, if it cannot.
    pub fn check_task(self, task: Task) -> Result<(), String> {
        match (self, task) {
            (Architecture::Logreg, Task::Regression) => Err(
                "logistic regression is a classifier; use `ridge`, `svm`, `random_forest` or `knn` for regression".into(),
            ),
            (Architecture::Ridge, Task::Classification) => Err(
                "ridge is a regressor; use `logreg` for a linear classifier".into(),
            ),
            _ => Ok(()),
        }
    }

    /// The inputs this architecture takes for `modality`, or why it cannot.
    pub fn inputs(self, modality: Modality) -> Result<Vec<InputKind>, String> {
        // The classical baselines take track-level vectors; fusion is their
        // concatenation (the seed study's "Text+Audio" baseline).
        Ok(match modality {
            Modality::Audio => vec![InputKind::AudioVector],
            Modality::Text => vec![InputKind::TextVector],
            Modality::Fusion => vec![InputKind::AudioVector, InputKind::TextVector],
        })
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[model.*]`: hyper-parameters of every architecture, with defaults.
/// A trial's resolved config keeps only its own architecture's table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSection {
    pub logreg: LogRegConfig,
    pub svm: SvmConfig,
    pub random_forest: RandomForestConfig,
    pub knn: KnnConfig,
    pub ridge: RidgeConfig,
}

impl ModelSection {
    /// The resolved hyper-parameters of one architecture.
    pub fn config_for(&self, arch: Architecture) -> ModelConfig {
        match arch {
            Architecture::Logreg => ModelConfig::Logreg(self.logreg.clone()),
            Architecture::Svm => ModelConfig::Svm(self.svm.clone()),
            Architecture::RandomForest => ModelConfig::RandomForest(self.random_forest.clone()),
            Architecture::Knn => ModelConfig::Knn(self.knn.clone()),
            Architecture::Ridge => ModelConfig::Ridge(self.ridge.clone()),
        }
    }
}

/// One architecture's resolved hyper-parameters; serialises as
/// `{"svm": {...}}`, mirroring the spec's `[model.svm]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelConfig {
    Logreg(LogRegConfig),
    Svm(SvmConfig),
    RandomForest(RandomForestConfig),
    Knn(KnnConfig),
    Ridge(RidgeConfig),
}

impl ModelConfig {
    pub fn architecture(&self) -> Architecture {
        match self {
            ModelConfig::Logreg(_) => Architecture::Logreg,
            ModelConfig::Svm(_) => Architecture::Svm,
            ModelConfig::RandomForest(_) => Architecture::RandomForest,
            ModelConfig::Knn(_) => Architecture::Knn,
            ModelConfig::Ridge(_) => Architecture::Ridge,
        }
    }

    /// Checks values serde cannot (ranges), naming the key and the rule.
    pub fn validate(&self) -> Result<(), (String, String)> {
        match self {
            ModelConfig::Logreg(c) => c.validate(),
            ModelConfig::Svm(c) => c.validate(),
            ModelConfig::RandomForest(c) => c.validate(),
            ModelConfig::Knn(c) => c.validate(),
            ModelConfig::Ridge(c) => c.validate(),
        }
        .map_err(|(key, rule)| (format!("model.{}.{key}", self.architecture()), rule))
    }
}
