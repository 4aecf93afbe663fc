//! What a spec expands to: the resolved [`TrialConfig`] of each trial, its
//! [`TrialKey`], and the [`Plan`] that lists them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use mer_audio::AudioFeatureConfig;
use mer_core::ConfigError;
use mer_data::DatasetConfig;
use mer_data::labels::LabelScheme;
use mer_data::splits::EvaluationConfig;
use mer_model::train::TrainConfig;
use mer_model::{Architecture, InputKind, Modality, ModelConfig, Task};
use mer_text::TextFeatureConfig;
use serde::{Deserialize, Serialize};

use crate::schema::{ExperimentSection, LabelsSection};

/// Version of the trial-key recipe; bump it when [`TrialKey`] changes meaning.
const TRIAL_KEY_VERSION: &str = "mer/trial-key/1";

/// The resolved configuration of one trial: everything needed to run it
/// again, with only the settings this trial uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialConfig {
    pub experiment: String,
    pub modality: Modality,
    pub architecture: Architecture,
    pub labels: LabelScheme,
    pub task: Task,
    pub seed: u64,
    pub dataset: DatasetConfig,
    pub evaluation: EvaluationConfig,
    pub label_options: LabelsSection,
    pub features: TrialFeatures,
    pub model: ModelConfig,
    /// Neural architectures only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<TrainConfig>,
    /// Ensembles only: the member trials it combines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<TrialConfig>,
}

/// The feature settings a trial uses: at most one audio representation
/// (a track-level set, MFCC sequences, log-mel patches or waveforms) and one
/// lyrics representation (vectors or token ids).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialFeatures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioFeatureConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextFeatureConfig>,
}

impl TrialConfig {
    /// Canonical JSON: struct fields in declaration order, maps sorted.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("trial configs serialise")
    }

    /// Versioned identities of the feature extractors this trial uses.
    pub fn extractor_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        if let Some(a) = &self.features.audio {
            ids.push(a.extractor_id());
        }
        if let Some(t) = &self.features.text {
            // Without file locations: a lexicon or embeddings file is
            // identified by its content hash (see `TrialKey::new`).
            let mut t = t.clone();
            if let Some(l) = &mut t.lexicon {
                l.path = PathBuf::new();
            }
            if let Some(e) = &mut t.embeddings {
                e.path = PathBuf::new();
                e.ids = None;
            }
            ids.push(t.extractor_id());
        }
        ids
    }

    /// The inputs the trial's model takes.
    pub fn inputs(&self) -> Vec<InputKind> {
        match &self.model {
            ModelConfig::Ensemble(_) => Vec::new(),
            ModelConfig::Neural(n)
                if !matches!(n, mer_model::neural::NeuralConfig::ResidualMlp(_)) =>
            {
                n.required_inputs()
            }
            _ => match self.modality {
                Modality::Audio => vec![InputKind::AudioVector],
                Modality::Text => vec![InputKind::TextVector],
                Modality::Fusion => vec![InputKind::AudioVector, InputKind::TextVector],
            },
        }
    }

    /// A short human label: `audio/svm/quadrants/classification seed=0`.
    pub fn summary(&self) -> String {
        format!(
            "{}/{}/{}/{} seed={}",
            self.modality.as_str(),
            self.architecture,
            self.labels,
            self.task.as_str(),
            self.seed
        )
    }
}

/// A trial's identity: hash of its canonical resolved config (dataset
/// location excluded), the dataset's content fingerprint and the feature
/// extractor versions. Moving a dataset keeps its keys; changing its content
/// or an extractor changes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TrialKey(pub String);

impl TrialKey {
    /// `inputs_fingerprint` identifies the data the trial reads: the
    /// dataset's content fingerprint, plus the content hash of any lexicon or
    /// embeddings file (see the `mer` executor, `run`), so file locations never enter the key.
    pub fn new(config: &TrialConfig, inputs_fingerprint: &str) -> TrialKey {
        let mut value = serde_json::to_value(config).expect("trial configs serialise");
        if let Some(obj) = value.as_object_mut() {
            obj.remove("dataset");
        }
        if let Some(text) = value
            .pointer_mut("/features/text")
            .and_then(|t| t.as_object_mut())
        {
            for section in ["lexicon", "embeddings"] {
                if let Some(sec) = text.get_mut(section).and_then(|s| s.as_object_mut()) {
                    sec.remove("path");
                    sec.remove("ids");
                }
            }
        }
        let mut h = blake3::Hasher::new();
        h.update(TRIAL_KEY_VERSION.as_bytes());
        h.update(b"\n");
        h.update(value.to_string().as_bytes());
        h.update(b"\n");
        h.update(inputs_fingerprint.as_bytes());
        for id in config.extractor_ids() {
            h.update(b"\n");
            h.update(id.as_bytes());
        }
        TrialKey(h.finalize().to_hex().to_string())
    }

    /// The first 12 hex digits, for display.
    pub fn short(&self) -> &str {
        &self.0[..12.min(self.0.len())]
    }
}

impl fmt::Display for TrialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One trial of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTrial {
    pub config: TrialConfig,
    /// The swept settings that apply to this trial (path -> value).
    pub params: BTreeMap<String, serde_json::Value>,
}

impl PlannedTrial {
    pub fn params_json(&self) -> String {
        serde_json::to_string(&self.params).expect("params serialise")
    }
}

/// The expanded trials of a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub spec_path: PathBuf,
    pub spec_text: String,
    /// blake3 of the spec text.
    pub spec_hash: String,
    pub experiment: ExperimentSection,
    pub trials: Vec<PlannedTrial>,
    /// Combinations left out by `[[sweep.exclude]]` rules.
    pub excluded: usize,
    /// Combinations identical to an earlier one once resolved (e.g. an SVM
    /// setting swept alongside a KNN trial); run once.
    pub duplicates: usize,
    pub warnings: Vec<String>,
}

impl TrialConfig {
    /// Range checks of the model and training settings; keys named from the
    /// spec's root (`model.svm.c`, `train.lr`).
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.model.validate().map_err(|e| e.within("model"))?;
        if let Some(t) = &self.train {
            t.validate().map_err(|e| e.within("train"))?;
        }
        Ok(())
    }
}
