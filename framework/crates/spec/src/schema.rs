//! The typed sections of a spec (everything but `[sweep]`), how a table
//! becomes [`Settings`], and the checks each section makes of its own
//! values. Every key of a problem is named from the spec's root: each
//! section's own `validate()` names keys from its table, and this module
//! prefixes the section's place (`features.audio`, `evaluation`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use mer_audio::{AudioFeatureConfig, FeatureSet};
use mer_core::ConfigError;
use mer_data::DatasetConfig;
use mer_data::splits::EvaluationConfig;
use mer_model::ModelSection;
use mer_model::train::TrainConfig;
use mer_model::train::imbalance::Balancing;
use mer_text::TextFeatureConfig;
use mer_text::config::TokenIdsConfig;
use serde::{Deserialize, Serialize};

/// `[experiment]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSection {
    /// The experiment's name (letters, digits, `_`, `-`, `.`); required.
    /// Trials are grouped under it in the store, reports go to
    /// `reports/<name>/`.
    pub name: String,
    /// Free text shown in reports; defaults to empty.
    #[serde(default)]
    pub description: String,
    /// Every configuration runs once per seed; defaults to `[0]`. A seed
    /// drives the fold shuffle, model initialisation and k-means.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}

/// `[features]`: how tracks become model inputs. Each architecture reads
/// the representation it needs: classical models and the residual MLP the
/// track-level `audio` and `text` vectors, sequence models `sequence`, 2-D
/// CNNs `mel`, end-to-end models `waveform`, lyrics encoders `tokens`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeaturesSection {
    /// `[features.audio]`: decoding (rate, offset, duration, bad-audio
    /// policy) for every audio representation, and the track-level set.
    pub audio: AudioFeatureConfig,
    /// `[features.sequence]`: MFCC(+delta) frames for LSTM-CNN models.
    pub sequence: SequenceFeatures,
    /// `[features.mel]`: log-mel patches for 2-D CNNs and concat-LSTM.
    pub mel: MelFeatures,
    /// `[features.waveform]`: raw samples for end-to-end models.
    pub waveform: WaveformFeatures,
    /// `[features.text]`: lyrics vectors (see `text`); its `clean` and
    /// `missing_lyrics` also apply to `tokens`.
    pub text: TextFeatureConfig,
    /// `[features.tokens]`: token-id sequences for learned lyrics encoders.
    pub tokens: TokenIdsConfig,
}

/// `[features.sequence]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequenceFeatures {
    /// MFCCs per frame; defaults to `20`.
    pub n_mfcc: usize,
    /// Append first-order deltas; defaults to `true`.
    pub deltas: bool,
    /// Frames kept (hop 512: 431 frames = 10 s at 22050 Hz); defaults to `431`.
    pub frames: usize,
}

impl Default for SequenceFeatures {
    fn default() -> Self {
        SequenceFeatures {
            n_mfcc: 20,
            deltas: true,
            frames: 431,
        }
    }
}

/// `[features.mel]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MelFeatures {
    /// Mel bands; defaults to `64`.
    pub n_mels: usize,
    /// Frames per patch (hop 512); defaults to `128` (about 3 s at 22050 Hz,
    /// the centre of the clip).
    pub frames: usize,
}

impl Default for MelFeatures {
    fn default() -> Self {
        MelFeatures {
            n_mels: 64,
            frames: 128,
        }
    }
}

/// `[features.waveform]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WaveformFeatures {
    /// Samples kept (the centre of the clip); defaults to `66150` (3 s at
    /// 22050 Hz).
    pub samples: usize,
}

impl Default for WaveformFeatures {
    fn default() -> Self {
        WaveformFeatures { samples: 66_150 }
    }
}

/// What to do with a track a label scheme cannot label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlabelledPolicy {
    /// Leave it out of the trial and record it as skipped.
    Skip,
    /// Fail the trial.
    Fail,
}

/// `[labels]`: options shared by every label scheme of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelsSection {
    /// A track the scheme cannot label (no valence/arousal, no category,
    /// outside both regions of a binary task): `"skip"` it (recorded in the
    /// trial's skipped tracks) or `"fail"` the trial; defaults to `"skip"`.
    pub unlabelled: UnlabelledPolicy,
    /// Class imbalance, handled inside the training fold only:
    /// `"none"`, `"class_weights"` (neural models), `"oversample"`,
    /// `"smote"` or `"smote:K"`; defaults to `"none"`. Classification only.
    #[serde(with = "balancing_serde")]
    pub balancing: Balancing,
}

mod balancing_serde {
    use super::Balancing;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &Balancing, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Balancing, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Default for LabelsSection {
    fn default() -> Self {
        LabelsSection {
            unlabelled: UnlabelledPolicy::Skip,
            balancing: Balancing::None,
        }
    }
}

/// Everything in a spec except `[sweep]`: the settings one combination of
/// swept values resolves to. Read with [`Settings::from_table`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub experiment: ExperimentSection,
    /// Read by [`DatasetConfig::from_table`] (which names the exact key of a
    /// problem inside the table), not by the derive.
    #[serde(skip)]
    pub dataset: DatasetConfig,
    /// `[dataset]` as written: skipped by the derive, read into `dataset`.
    #[serde(default, rename = "dataset")]
    dataset_table: Option<toml::Value>,
    /// `[sweep]`: read by [`crate::sweep`], skipped here.
    #[serde(default, rename = "sweep")]
    _sweep: Option<toml::Value>,
    #[serde(default)]
    pub features: FeaturesSection,
    #[serde(default)]
    pub labels: LabelsSection,
    #[serde(default)]
    pub evaluation: EvaluationConfig,
    #[serde(default)]
    pub model: ModelSection,
    /// `[train]`: how neural networks train (see `train::TrainConfig`).
    #[serde(default)]
    pub train: TrainConfig,
}

impl SequenceFeatures {
    /// The audio feature set these settings describe.
    pub fn set(&self) -> FeatureSet {
        FeatureSet::MfccSequence {
            n_mfcc: self.n_mfcc,
            deltas: self.deltas,
            frames: self.frames,
        }
    }
}

impl MelFeatures {
    /// The audio feature set these settings describe.
    pub fn set(&self) -> FeatureSet {
        FeatureSet::LogMel {
            n_mels: self.n_mels,
            frames: self.frames,
        }
    }
}

impl WaveformFeatures {
    /// The audio feature set these settings describe.
    pub fn set(&self) -> FeatureSet {
        FeatureSet::Waveform {
            samples: self.samples,
        }
    }
}

impl FeaturesSection {
    /// The lyrics token-id config: `[features.tokens]` with the cleaning and
    /// missing-lyrics policy of `[features.text]`.
    pub fn tokens_config(&self) -> TextFeatureConfig {
        let cfg = TextFeatureConfig {
            representation: mer_text::config::Representation::TokenIds,
            missing_lyrics: self.text.missing_lyrics,
            clean: self.text.clean.clone(),
            token_ids: Some(self.tokens.clone()),
            ..TextFeatureConfig::default()
        };
        cfg.resolved().unwrap_or(cfg)
    }

    /// Checks every representation's settings; keys named from
    /// `[features]`. Also makes the lexicon and embeddings paths absolute
    /// (against `cwd`, like dataset paths) and resolves the text config.
    fn check(&mut self, cwd: &Path) -> Result<(), ConfigError> {
        self.audio.validate().map_err(|e| e.within("audio"))?;
        if !self.audio.set.is_track_level() {
            return Err(ConfigError::new(
                "audio.set",
                "must be a track-level set (\"seed37\" or \"extended\"); frame-level inputs have their own \
                 sections [features.sequence], [features.mel] and [features.waveform]",
            ));
        }
        self.sequence
            .set()
            .validate_fields()
            .map_err(|e| e.within("sequence"))?;
        self.mel
            .set()
            .validate_fields()
            .map_err(|e| e.within("mel"))?;
        self.waveform
            .set()
            .validate_fields()
            .map_err(|e| e.within("waveform"))?;
        self.tokens.validate().map_err(|e| e.within("tokens"))?;
        if let Some(l) = &mut self.text.lexicon {
            l.path = mer_data::config::resolve_path(&l.path, cwd);
        }
        if let Some(e) = &mut self.text.embeddings {
            e.path = mer_data::config::resolve_path(&e.path, cwd);
            if let Some(ids) = &mut e.ids {
                *ids = mer_data::config::resolve_path(ids, cwd);
            }
        }
        self.text = self.text.resolved().map_err(|e| e.within("text"))?;
        Ok(())
    }
}

impl Settings {
    /// Reads the settings from a spec's table (`[sweep]` is ignored): types
    /// and names only. A problem names its key from the spec's root as
    /// serde walked to it; nothing is guessed from a message.
    pub fn read(table: &toml::Table) -> Result<Settings, ConfigError> {
        let mut settings: Settings =
            mer_core::config::from_toml(toml::Value::Table(table.clone()))?;
        settings.read_dataset()?;
        Ok(settings)
    }

    /// [`read`](Settings::read) from the spec's text, so that a problem
    /// outside `[dataset]` also carries toml's byte span (of the key for an
    /// unknown key, of the value for a wrong type).
    pub fn parse(text: &str) -> Result<Settings, (ConfigError, Option<Range<usize>>)> {
        let de = toml::Deserializer::parse(text)
            .map_err(|e| (ConfigError::whole(e.message().trim()), e.span()))?;
        let mut settings: Settings = serde_path_to_error::deserialize(de).map_err(|e| {
            let span = e.inner().span();
            (
                ConfigError::from_serde_with(e, |inner| inner.message().to_string()),
                span,
            )
        })?;
        settings.read_dataset().map_err(|e| (e, None))?;
        Ok(settings)
    }

    fn read_dataset(&mut self) -> Result<(), ConfigError> {
        self.dataset = match self.dataset_table.take() {
            None => DatasetConfig::default(),
            Some(toml::Value::Table(t)) => {
                DatasetConfig::from_table(&t).map_err(|e| e.within("dataset"))?
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "dataset",
                    "must be a table: `[dataset]` with `kind = ...`",
                ));
            }
        };
        Ok(())
    }

    /// [`read`](Settings::read), then every section's checks of its own
    /// values; relative paths become absolute against the current directory.
    pub fn from_table(table: &toml::Table) -> Result<Settings, ConfigError> {
        let mut settings = Settings::read(table)?;
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        settings.dataset.resolve_paths(&cwd);
        settings
            .dataset
            .validate()
            .map_err(|e| e.within("dataset"))?;
        settings
            .features
            .check(&cwd)
            .map_err(|e| e.within("features"))?;
        settings
            .evaluation
            .validate()
            .map_err(|e| e.within("evaluation"))?;
        Ok(settings)
    }
}
