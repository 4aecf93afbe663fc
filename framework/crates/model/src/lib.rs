//! Models: classical baselines and neural networks. The only place burn types
//! appear.
//!
//! Owns: the catalogue of architectures (what each needs as input and which
//! tasks it can do, so a spec is checked before anything runs), their
//! hyper-parameters as they appear under `[model.<architecture>]` in a spec,
//! fitting on a training fold / predicting on a test fold, and the training
//! utilities both kinds share ([`train`]: scaler, class balancing, neural
//! training settings). Leaves feature extraction to `mer-audio` / `mer-text`,
//! labels to `mer-data`, the fold pipeline to the `mer` executor and scoring
//! to `mer-metrics`.

pub mod classical;
pub mod neural;
pub mod train;

use mer_core::ConfigError;
use serde::{Deserialize, Serialize};

pub use classical::{KnnConfig, LogRegConfig, RandomForestConfig, RidgeConfig, SvmConfig};
pub use neural::InputKind;
use neural::{
    BilstmEncoderConfig, Cnn2dConfig, Cnn2dSpecaugConfig, CnnEncoderConfig, ConcatLstmConfig,
    ConvGruTransformerConfig, GatedFusionConfig, NeuralConfig, ProjectionEncoderConfig,
    ResidualMlpConfig, SeqCnnConfig, TextModelConfig,
};

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
    /// Residual MLP on track-level vectors (seed study S0).
    ResidualMlp,
    /// Gated fusion of an audio and a lyrics branch (S0).
    GatedFusion,
    /// Projection of a dense lyrics vector (e.g. BERT embeddings).
    TextProjection,
    /// Learned embedding + BiLSTM over lyrics token ids.
    TextBilstm,
    /// Learned embedding + CNN over lyrics token ids.
    TextCnn,
    /// Conv1D x2 + LSTM on MFCC sequences (S2).
    LstmCnn,
    /// Conv1D x2 + BiLSTM on MFCC sequences (S2).
    BilstmCnn,
    /// 2-D CNN on log-mel patches (S2).
    Cnn2d,
    /// 2-D CNN with SpecAugment (S2).
    Cnn2dSpecaug,
    /// Mel CNN and lyrics encoder concatenated into an LSTM (S1, Delbouys 2018).
    ConcatLstm,
    /// Conv + GRU + Transformer encoder on mel frames or waveform (S3).
    ConvGruTransformer,
    /// Average (or stacking) of other architectures of the same sweep.
    Ensemble,
}

impl Architecture {
    pub const ALL: [Architecture; 17] = [
        Architecture::Logreg,
        Architecture::Svm,
        Architecture::RandomForest,
        Architecture::Knn,
        Architecture::Ridge,
        Architecture::ResidualMlp,
        Architecture::GatedFusion,
        Architecture::TextProjection,
        Architecture::TextBilstm,
        Architecture::TextCnn,
        Architecture::LstmCnn,
        Architecture::BilstmCnn,
        Architecture::Cnn2d,
        Architecture::Cnn2dSpecaug,
        Architecture::ConcatLstm,
        Architecture::ConvGruTransformer,
        Architecture::Ensemble,
    ];

    /// The name used in specs and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Logreg => "logreg",
            Architecture::Svm => "svm",
            Architecture::RandomForest => "random_forest",
            Architecture::Knn => "knn",
            Architecture::Ridge => "ridge",
            Architecture::ResidualMlp => "residual_mlp",
            Architecture::GatedFusion => "gated_fusion",
            Architecture::TextProjection => "text_projection",
            Architecture::TextBilstm => "text_bilstm",
            Architecture::TextCnn => "text_cnn",
            Architecture::LstmCnn => "lstm_cnn",
            Architecture::BilstmCnn => "bilstm_cnn",
            Architecture::Cnn2d => "cnn2d",
            Architecture::Cnn2dSpecaug => "cnn2d_specaug",
            Architecture::ConcatLstm => "concat_lstm",
            Architecture::ConvGruTransformer => "conv_gru_transformer",
            Architecture::Ensemble => "ensemble",
        }
    }

    /// A burn network, trained by `train`.
    pub fn is_neural(self) -> bool {
        !matches!(
            self,
            Architecture::Logreg
                | Architecture::Svm
                | Architecture::RandomForest
                | Architecture::Knn
                | Architecture::Ridge
                | Architecture::Ensemble
        )
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

    /// The inputs this architecture takes for `modality` (with the sizes of
    /// `model`), or why it cannot take that modality.
    pub fn inputs(
        self,
        modality: Modality,
        model: &ModelSection,
    ) -> Result<Vec<InputKind>, String> {
        use Architecture as A;
        let only = |m: Modality, what: &str| -> Result<(), String> {
            if modality == m {
                Ok(())
            } else {
                Err(format!(
                    "{self} {what}, so it runs with modality = \"{}\" only",
                    m.as_str()
                ))
            }
        };
        match self {
            // Classical models and the residual MLP take track-level vectors;
            // fusion is their concatenation (the seed study's "Text+Audio").
            A::Logreg | A::Svm | A::RandomForest | A::Knn | A::Ridge | A::ResidualMlp => {
                Ok(match modality {
                    Modality::Audio => vec![InputKind::AudioVector],
                    Modality::Text => vec![InputKind::TextVector],
                    Modality::Fusion => vec![InputKind::AudioVector, InputKind::TextVector],
                })
            }
            A::Ensemble => Ok(Vec::new()),
            A::GatedFusion | A::ConcatLstm => {
                only(Modality::Fusion, "fuses an audio and a lyrics branch")?;
                Ok(self.neural(model).expect("neural").required_inputs())
            }
            A::TextProjection | A::TextBilstm | A::TextCnn => {
                only(Modality::Text, "reads lyrics only")?;
                Ok(self.neural(model).expect("neural").required_inputs())
            }
            A::LstmCnn | A::BilstmCnn | A::Cnn2d | A::Cnn2dSpecaug | A::ConvGruTransformer => {
                only(
                    Modality::Audio,
                    "reads frame-level audio (sequences, spectrograms or waveforms)",
                )?;
                Ok(self.neural(model).expect("neural").required_inputs())
            }
        }
    }

    /// The network config of a neural architecture, from `[model.<arch>]`.
    pub fn neural(self, m: &ModelSection) -> Option<NeuralConfig> {
        use Architecture as A;
        Some(match self {
            A::ResidualMlp => NeuralConfig::ResidualMlp(m.residual_mlp.clone()),
            A::GatedFusion => NeuralConfig::GatedFusion(m.gated_fusion.clone()),
            A::TextProjection => NeuralConfig::TextProjection(m.text_projection.clone()),
            A::TextBilstm => NeuralConfig::TextBilstm(m.text_bilstm.clone()),
            A::TextCnn => NeuralConfig::TextCnn(m.text_cnn.clone()),
            A::LstmCnn => NeuralConfig::LstmCnn(m.lstm_cnn.clone()),
            A::BilstmCnn => NeuralConfig::BilstmCnn(m.bilstm_cnn.clone()),
            A::Cnn2d => NeuralConfig::Cnn2d(m.cnn2d.clone()),
            A::Cnn2dSpecaug => NeuralConfig::Cnn2dSpecaug(m.cnn2d_specaug.clone()),
            A::ConcatLstm => NeuralConfig::ConcatLstm(m.concat_lstm.clone()),
            A::ConvGruTransformer => {
                NeuralConfig::ConvGruTransformer(m.conv_gru_transformer.clone())
            }
            _ => return None,
        })
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an ensemble combines its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnsembleMethod {
    /// Mean of the members' class probabilities (or regression outputs).
    Average,
    /// Logistic regression (classes) or ridge (values) on the members'
    /// outputs, fitted on the out-of-fold predictions of the other folds.
    Stacking,
}

/// `[model.ensemble]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnsembleConfig {
    /// Architectures of the same sweep to combine (same modality, labels,
    /// task, seed and settings); at least two; required.
    pub members: Vec<Architecture>,
    /// `"average"` or `"stacking"`; defaults to `"average"`.
    pub method: EnsembleMethod,
}

impl Default for EnsembleConfig {
    fn default() -> Self {
        EnsembleConfig {
            members: Vec::new(),
            method: EnsembleMethod::Average,
        }
    }
}

impl EnsembleConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.members.len() < 2 {
            return Err(ConfigError::new(
                "members",
                "must name at least two architectures of the sweep, e.g. [\"bilstm_cnn\", \"cnn2d_specaug\"]",
            ));
        }
        if self.members.contains(&Architecture::Ensemble) {
            return Err(ConfigError::new(
                "members",
                "an ensemble cannot contain an ensemble",
            ));
        }
        if let Some((i, a)) = self
            .members
            .iter()
            .enumerate()
            .find(|(i, a)| self.members[..*i].contains(a))
        {
            return Err(ConfigError::new(
                format!("members[{i}]").as_str(),
                format!("`{a}` is listed twice"),
            ));
        }
        Ok(())
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
    /// `input` is set from the trial's modality (fusion concatenates the
    /// audio and lyrics vectors).
    pub residual_mlp: ResidualMlpConfig,
    pub gated_fusion: GatedFusionConfig,
    pub text_projection: TextModelConfig<ProjectionEncoderConfig>,
    pub text_bilstm: TextModelConfig<BilstmEncoderConfig>,
    pub text_cnn: TextModelConfig<CnnEncoderConfig>,
    pub lstm_cnn: SeqCnnConfig,
    pub bilstm_cnn: SeqCnnConfig,
    pub cnn2d: Cnn2dConfig,
    pub cnn2d_specaug: Cnn2dSpecaugConfig,
    pub concat_lstm: ConcatLstmConfig,
    pub conv_gru_transformer: ConvGruTransformerConfig,
    pub ensemble: EnsembleConfig,
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
            Architecture::Ensemble => ModelConfig::Ensemble(self.ensemble.clone()),
            neural => ModelConfig::Neural(neural.neural(self).expect("neural architecture")),
        }
    }
}

/// One architecture's resolved hyper-parameters; serialises as
/// `{"svm": {...}}` (or `{"neural": {"arch": "cnn2d", ...}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelConfig {
    Logreg(LogRegConfig),
    Svm(SvmConfig),
    RandomForest(RandomForestConfig),
    Knn(KnnConfig),
    Ridge(RidgeConfig),
    Neural(NeuralConfig),
    Ensemble(EnsembleConfig),
}

impl ModelConfig {
    pub fn architecture(&self) -> Architecture {
        match self {
            ModelConfig::Logreg(_) => Architecture::Logreg,
            ModelConfig::Svm(_) => Architecture::Svm,
            ModelConfig::RandomForest(_) => Architecture::RandomForest,
            ModelConfig::Knn(_) => Architecture::Knn,
            ModelConfig::Ridge(_) => Architecture::Ridge,
            ModelConfig::Ensemble(_) => Architecture::Ensemble,
            ModelConfig::Neural(c) => Architecture::ALL
                .into_iter()
                .find(|a| a.as_str() == c.arch())
                .expect("every network has an architecture"),
        }
    }

    /// Checks values serde cannot (ranges); keys named from `[model]`
    /// (`svm.c`, `cnn2d.dropout`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            ModelConfig::Logreg(c) => c.validate(),
            ModelConfig::Svm(c) => c.validate(),
            ModelConfig::RandomForest(c) => c.validate(),
            ModelConfig::Knn(c) => c.validate(),
            ModelConfig::Ridge(c) => c.validate(),
            ModelConfig::Ensemble(c) => c.validate(),
            ModelConfig::Neural(c) => c.validate(),
        }
        .map_err(|e| e.within(self.architecture().as_str()))
    }
}
