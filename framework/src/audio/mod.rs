//! Audio front end: decoding (hound for WAV, symphonia for mp3/flac/ogg),
//! resampling, and the DSP features that match librosa's defaults.
//!
//! Owns: turning a file on disk into mono samples at the spec's rate, and
//! samples into track-level or frame-level features. Leaves caching policy to
//! the caller's cache directory and never sees labels or models.

// PROVISIONAL: replaced by the audio branch (issue 3).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioFeatureConfig {
    pub set: String,
    pub sample_rate: u32,
}

impl Default for AudioFeatureConfig {
    fn default() -> Self {
        AudioFeatureConfig {
            set: "seed37".into(),
            sample_rate: 22050,
        }
    }
}

impl AudioFeatureConfig {
    pub fn extractor_id(&self) -> String {
        format!(
            "audio/0/{}",
            serde_json::to_string(self).expect("serialises")
        )
    }
}
#[derive(Debug, thiserror::Error)]
#[error("audio")]
pub struct AudioError;
pub struct Features {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}
pub struct FeatureCache;
impl FeatureCache {
    pub fn open(_: &std::path::Path) -> Result<FeatureCache, AudioError> {
        unimplemented!()
    }
}
pub fn extract_many(
    _: &[std::path::PathBuf],
    _: &AudioFeatureConfig,
    _: Option<&FeatureCache>,
    _: &(dyn Fn(usize) + Sync),
) -> (Vec<Result<Features, AudioError>>, CacheStats) {
    unimplemented!()
}
impl AudioFeatureConfig {
    pub fn set_name(&self) -> String {
        unimplemented!()
    }
    pub fn skips_bad_audio(&self) -> bool {
        unimplemented!()
    }
}
