//! The `[features]` configuration of the audio front end and its identity.
//!
//! Owns the typed config the spec embeds, its validation, and
//! [`AudioFeatureConfig::extractor_id`], the string hashed into trial keys
//! and cache keys. Everything that changes feature values is in the id;
//! the bad-audio policy is not (it decides what happens to a failure, not
//! what a success contains).

use serde::{Deserialize, Serialize};

use mer_core::{ConfigError, limits};

/// Version of the extraction code. Bump it whenever a change alters any
/// feature value for the same config, so cached features and trial keys
/// computed by older code are not reused.
pub const EXTRACTOR_VERSION: u32 = 1;

/// How audio files become model inputs.
///
/// ```toml
/// [features]
/// sample_rate = 22050
/// offset_s = 0.0
/// duration_s = 30.0
/// set = "seed37"                 # or "extended"
/// # set = { log_mel = { n_mels = 96, frames = 256 } }
/// on_bad_audio = "skip"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioFeatureConfig {
    /// Rate the audio is resampled to before analysis, in Hz. Defaults to
    /// `22050` (librosa's default). Track-level sets need more than 12800 Hz
    /// (the top spectral-contrast band edge must stay below Nyquist).
    pub sample_rate: u32,
    /// Seconds skipped at the start of each file. Defaults to `0.0`.
    pub offset_s: f64,
    /// Seconds analysed after the offset; `None` (the default) analyses the
    /// rest of the file. DEAM clips are 45 s; a common choice is `30.0`.
    pub duration_s: Option<f64>,
    /// The representation computed. Defaults to `"seed37"`.
    pub set: FeatureSet,
    /// What a sweep does with a file that cannot be decoded or is silent.
    /// Defaults to `"fail"`.
    pub on_bad_audio: OnBadAudio,
}

impl Default for AudioFeatureConfig {
    fn default() -> Self {
        AudioFeatureConfig {
            sample_rate: 22050,
            offset_s: 0.0,
            duration_s: None,
            set: FeatureSet::Seed37,
            on_bad_audio: OnBadAudio::Fail,
        }
    }
}

/// The feature representations.
///
/// Track-level sets give one vector per file; frame-level ones a fixed-size
/// array for deep models. Fixed lengths are reached deterministically: a
/// longer sequence keeps its **centre** (`start = (len - n) / 2`), a shorter
/// one is padded **at the end** with what silence would give: `0.0` for the
/// waveform and MFCCs, the clip's own dB floor (its minimum) for log-mel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FeatureSet {
    /// The 37 track-level means of the seed study, in this order: 13 MFCC,
    /// 12 chroma (C..B), 7 spectral contrast, RMS, zero-crossing rate,
    /// spectral centroid, bandwidth, roll-off. Shape `[37]`.
    Seed37,
    /// The 37 means of `seed37`, then their 37 standard deviations, then mean
    /// and std of 13 MFCC deltas, spectral flatness, onset strength and 6
    /// tonnetz dimensions, then the tempo. Shape `[117]`; the first 37 values
    /// equal `seed37`.
    Extended,
    /// MFCC frames (and their deltas) for sequence models, `[frames, n_mfcc]`
    /// or `[frames, 2 * n_mfcc]` with deltas (MFCCs first, then deltas).
    MfccSequence {
        /// Coefficients per frame. Defaults to `20` (librosa's default).
        #[serde(default = "default_n_mfcc")]
        n_mfcc: usize,
        /// Append first-order deltas. Defaults to `true`.
        #[serde(default = "default_true")]
        deltas: bool,
        /// Frames kept (hop 512). Defaults to `1292` (30 s at 22050 Hz).
        #[serde(default = "default_frames")]
        frames: usize,
    },
    /// A log-mel spectrogram patch for 2-D CNNs, `[n_mels, frames]`, in dB
    /// (`power_to_db(ref=1.0, amin=1e-10, top_db=80)`).
    LogMel {
        /// Mel bands. Defaults to `128` (librosa's default).
        #[serde(default = "default_n_mels")]
        n_mels: usize,
        /// Frames kept (hop 512). Defaults to `1292` (30 s at 22050 Hz).
        #[serde(default = "default_frames")]
        frames: usize,
    },
    /// The raw mono waveform for end-to-end models, `[samples]`.
    Waveform {
        /// Samples kept. Defaults to `661500` (30 s at 22050 Hz).
        #[serde(default = "default_samples")]
        samples: usize,
    },
}

fn default_n_mfcc() -> usize {
    20
}
fn default_true() -> bool {
    true
}
fn default_frames() -> usize {
    1292
}
fn default_n_mels() -> usize {
    128
}
fn default_samples() -> usize {
    661_500
}

impl FeatureSet {
    /// Whether the set yields one vector per track (with named columns).
    pub fn is_track_level(&self) -> bool {
        matches!(self, FeatureSet::Seed37 | FeatureSet::Extended)
    }

    /// The name of the set's table (`set = { log_mel = { ... } }`).
    pub fn name(&self) -> &'static str {
        match self {
            FeatureSet::Seed37 => "seed37",
            FeatureSet::Extended => "extended",
            FeatureSet::MfccSequence { .. } => "mfcc_sequence",
            FeatureSet::LogMel { .. } => "log_mel",
            FeatureSet::Waveform { .. } => "waveform",
        }
    }

    /// Checks the set's parameters, keys named from the set's own table
    /// (`n_mels`): the spec reads them from `[features.mel]` and friends.
    pub fn validate_fields(&self) -> Result<(), ConfigError> {
        match *self {
            FeatureSet::Seed37 | FeatureSet::Extended => Ok(()),
            FeatureSet::MfccSequence { n_mfcc, frames, .. } => {
                if !(1..=128).contains(&n_mfcc) {
                    return Err(ConfigError::found(
                        "n_mfcc",
                        n_mfcc,
                        "must lie in 1..=128 (the mel bands)",
                    ));
                }
                limits::size("frames", frames, 1, limits::MAX_FRAMES)
            }
            FeatureSet::LogMel { n_mels, frames } => {
                if !(1..=512).contains(&n_mels) {
                    return Err(ConfigError::found("n_mels", n_mels, "must lie in 1..=512"));
                }
                limits::size("frames", frames, 1, limits::MAX_FRAMES)
            }
            FeatureSet::Waveform { samples } => {
                limits::size("samples", samples, 1, limits::MAX_WAVEFORM_SAMPLES)
            }
        }
    }

    /// Checks the set's parameters, keys named from `set`'s value
    /// (`log_mel.n_mels`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_fields().map_err(|e| e.within(self.name()))
    }
}

/// Policy for files that cannot be decoded or are silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBadAudio {
    /// Stop with the file's error.
    Fail,
    /// Leave the track out, count it and list it in the trial's record.
    Skip,
}

/// The part of the config that determines feature values (hashed into ids).
#[derive(Serialize)]
struct Identity<'a> {
    sample_rate: u32,
    offset_s: f64,
    duration_s: Option<f64>,
    set: &'a FeatureSet,
}

impl AudioFeatureConfig {
    /// Checks the rules the fields must satisfy; run before any file is read.
    /// Keys are named from this table (`sample_rate`, `set.log_mel.n_mels`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1000..=384_000).contains(&self.sample_rate) {
            return Err(ConfigError::found(
                "sample_rate",
                self.sample_rate,
                "must lie in 1000..=384000 Hz",
            ));
        }
        if self.set.is_track_level() && self.sample_rate <= 12_800 {
            return Err(ConfigError::found(
                "sample_rate",
                self.sample_rate,
                "must exceed 12800 Hz for track-level sets (the top spectral-contrast band edge, 12800 Hz, must stay below Nyquist)",
            ));
        }
        if !(self.offset_s.is_finite() && self.offset_s >= 0.0) {
            return Err(ConfigError::found(
                "offset_s",
                self.offset_s,
                "must be a finite number >= 0",
            ));
        }
        if let Some(d) = self.duration_s
            && !(d.is_finite() && d > 0.0 && d <= limits::MAX_AUDIO_SECONDS)
        {
            return Err(ConfigError::found(
                "duration_s",
                d,
                format!(
                    "must be a positive number of seconds, at most {}",
                    limits::MAX_AUDIO_SECONDS
                ),
            ));
        }
        self.set.validate().map_err(|e| e.within("set"))
    }

    /// `mer-audio/v{EXTRACTOR_VERSION}/{canonical JSON of the value-determining
    /// fields}`: equal for configs that give equal features, different
    /// otherwise. Hashed into trial keys and feature-cache keys.
    pub fn extractor_id(&self) -> String {
        let identity = Identity {
            sample_rate: self.sample_rate,
            offset_s: self.offset_s,
            duration_s: self.duration_s,
            set: &self.set,
        };
        let json = serde_json::to_string(&identity).expect("plain data always serialises");
        format!("mer-audio/v{EXTRACTOR_VERSION}/{json}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let c = AudioFeatureConfig::default();
        assert_eq!(c.sample_rate, 22050);
        assert_eq!(c.offset_s, 0.0);
        assert_eq!(c.duration_s, None);
        assert_eq!(c.set, FeatureSet::Seed37);
        assert_eq!(c.on_bad_audio, OnBadAudio::Fail);
        c.validate().unwrap();
    }

    #[test]
    fn toml_forms_parse_and_unknown_keys_are_rejected() {
        let c: AudioFeatureConfig =
            toml::from_str("set = \"extended\"\non_bad_audio = \"skip\"").unwrap();
        assert_eq!(c.set, FeatureSet::Extended);
        assert_eq!(c.on_bad_audio, OnBadAudio::Skip);
        let c: AudioFeatureConfig = toml::from_str("[set.log_mel]\nn_mels = 96").unwrap();
        assert_eq!(
            c.set,
            FeatureSet::LogMel {
                n_mels: 96,
                frames: 1292
            }
        );
        let c: AudioFeatureConfig =
            toml::from_str("set = { mfcc_sequence = { deltas = false } }").unwrap();
        assert_eq!(
            c.set,
            FeatureSet::MfccSequence {
                n_mfcc: 20,
                deltas: false,
                frames: 1292
            }
        );
        let c: AudioFeatureConfig = toml::from_str("offset_s = 15\nduration_s = 30").unwrap();
        assert_eq!((c.offset_s, c.duration_s), (15.0, Some(30.0)));
        assert!(toml::from_str::<AudioFeatureConfig>("sample_rte = 22050").is_err());
        assert!(toml::from_str::<AudioFeatureConfig>("[set.log_mel]\nn_mel = 96").is_err());
        assert!(toml::from_str::<AudioFeatureConfig>("set = \"seed38\"").is_err());
    }

    #[test]
    fn extractor_id_tracks_values_not_policy() {
        let a = AudioFeatureConfig::default();
        let mut b = a.clone();
        b.on_bad_audio = OnBadAudio::Skip;
        assert_eq!(a.extractor_id(), b.extractor_id());
        let mut c = a.clone();
        c.duration_s = Some(30.0);
        assert_ne!(a.extractor_id(), c.extractor_id());
        assert!(
            a.extractor_id()
                .starts_with(&format!("mer-audio/v{EXTRACTOR_VERSION}/"))
        );
    }

    #[test]
    fn validation_names_the_rule() {
        let mut c = AudioFeatureConfig {
            sample_rate: 8000,
            ..Default::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("12800"), "{e}");
        c.sample_rate = 22050;
        c.duration_s = Some(-1.0);
        let e = c.validate().unwrap_err();
        assert_eq!(e.key().to_string(), "duration_s");
        assert_eq!(
            e.rule(),
            "must be a positive number of seconds, at most 3600 (found -1)"
        );
        c.duration_s = None;
        c.set = FeatureSet::LogMel {
            n_mels: 600,
            frames: 10,
        };
        let e = c.validate().unwrap_err();
        assert_eq!(e.key().to_string(), "set.log_mel.n_mels");
        c.set = FeatureSet::Waveform { samples: 0 };
        assert_eq!(
            c.set.validate_fields().unwrap_err().key().to_string(),
            "samples"
        );
    }
}
