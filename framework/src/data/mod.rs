//! Datasets: the in-memory `Track`/`Dataset`, one importer per real dataset's
//! own on-disk layout, the synthetic benchmark generator, and splits.
//!
//! Owns: reading annotations, audio paths and lyrics into tracks on one common
//! valence/arousal scale, fingerprinting what was read, and deciding folds.
//! Leaves feature extraction to `audio`/`text` and label fitting to `labels`.

// PROVISIONAL: the data branch (issue 4) replaces everything below; these
// definitions only let the spec and executor compile in the meantime.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub mod splits;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DatasetConfig {
    Synthetic(SyntheticConfig),
}

impl Default for DatasetConfig {
    fn default() -> Self {
        DatasetConfig::Synthetic(SyntheticConfig::default())
    }
}

impl DatasetConfig {
    pub fn resolve_paths(&mut self, _base: &Path) {}
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticConfig {
    pub tracks: usize,
    pub duration_s: f64,
    pub sample_rate: u32,
    pub seed: u64,
    pub noise: f64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            tracks: 400,
            duration_s: 10.0,
            sample_rate: 22050,
            seed: 0,
            noise: 0.3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    pub id: String,
    pub audio: Option<PathBuf>,
    pub lyrics: Option<String>,
    pub valence: Option<f64>,
    pub arousal: Option<f64>,
    pub category: Option<String>,
    pub genre: Option<String>,
    pub artist: Option<String>,
    pub split: Option<String>,
    pub tags: Vec<String>,
    pub oracle: Option<String>,
    pub original: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub root: PathBuf,
    pub tracks: Vec<Track>,
    pub fingerprint: String,
}

pub struct LoadContext {
    pub cache_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{0}")]
    Other(String),
}

pub fn load(_cfg: &DatasetConfig, _ctx: &LoadContext) -> Result<Dataset, DataError> {
    Err(DataError::Other("provisional".into()))
}
