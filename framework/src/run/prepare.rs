//! What the trials of a sweep read, prepared once: each distinct dataset
//! loaded, the audio features every config needs extracted (or read from
//! the cache), and the lexicon and embedding files read.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use mer_audio::{self as audio, AudioFeatureConfig};
use mer_data::{self as data, Dataset, DatasetConfig, LoadContext};
use mer_spec::TrialConfig;

use super::progress::Progress;
use super::trial::{AudioColumn, TrialData};
use super::{ComputeDevice, RunError};

/// Loads each distinct dataset of `configs` once.
pub(super) fn load_datasets<'a>(
    configs: impl Iterator<Item = &'a DatasetConfig>,
    ctx: &LoadContext,
    progress: &Progress,
) -> Result<BTreeMap<String, Arc<Dataset>>, RunError> {
    let mut out = BTreeMap::new();
    for cfg in configs {
        let id = serde_json::to_string(cfg).expect("dataset configs serialise");
        if out.contains_key(&id) {
            continue;
        }
        progress.log(&format!("loading dataset {}", cfg.kind_name()));
        let ds = data::load(cfg, ctx)?;
        progress.log(&format!(
            "dataset {}: {} tracks, fingerprint {}",
            ds.name,
            ds.tracks.len(),
            &ds.fingerprint[..12.min(ds.fingerprint.len())]
        ));
        out.insert(id, Arc::new(ds));
    }
    Ok(out)
}

/// Extracts (or reads from the cache) the audio features every config needs.
pub(super) fn extract_audio(
    dataset: &Dataset,
    configs: &[AudioFeatureConfig],
    cache_dir: &std::path::Path,
    progress: &Progress,
) -> Result<BTreeMap<String, Arc<AudioColumn>>, RunError> {
    let cache = audio::FeatureCache::open(cache_dir.join("features"))?;
    let mut out = BTreeMap::new();
    for cfg in configs {
        let id = cfg.extractor_id();
        if out.contains_key(&id) {
            continue;
        }
        let paths: Vec<Option<PathBuf>> = dataset.tracks.iter().map(|t| t.audio.clone()).collect();
        let present: Vec<PathBuf> = paths.iter().flatten().cloned().collect();
        let bar = progress.bar(present.len() as u64, "extracting audio features");
        let (results, stats) =
            audio::extract_many(&present, cfg, Some(&cache), &|n| bar.inc(n as u64));
        bar.finish_and_clear();
        progress.log(&format!(
            "audio features {}: {} extracted, {} reused from the cache",
            serde_json::to_string(&cfg.set)
                .unwrap_or_default()
                .trim_matches('"'),
            stats.misses,
            stats.hits
        ));
        let mut results = results.into_iter();
        let mut column: AudioColumn = Vec::with_capacity(paths.len());
        for p in &paths {
            column.push(match p {
                None => Err("the track has no audio file".to_string()),
                Some(_) => match results.next().expect("one result per path") {
                    Ok(f) => Ok(f),
                    Err(e) if cfg.on_bad_audio == audio::OnBadAudio::Skip => Err(e.to_string()),
                    Err(e) => return Err(RunError::Audio(e)),
                },
            });
        }
        out.insert(id, Arc::new(column));
    }
    Ok(out)
}

/// Everything the trials of a sweep read, prepared once.
pub(super) struct Prepared {
    pub(super) datasets: BTreeMap<String, Arc<Dataset>>,
    pub(super) audio: BTreeMap<String, BTreeMap<String, Arc<AudioColumn>>>,
    pub(super) text: TextFiles,
    /// Threads each neural network trains on.
    pub(super) threads: usize,
    pub(super) device: ComputeDevice,
}

impl Prepared {
    pub(super) fn trial_data(&self, cfg: &TrialConfig) -> TrialData {
        let id = serde_json::to_string(&cfg.dataset).expect("dataset configs serialise");
        TrialData {
            dataset: self.datasets[&id].clone(),
            audio: self.audio.get(&id).cloned().unwrap_or_default(),
            text: self.text.for_config(cfg),
            members: Vec::new(),
            threads: self.threads,
            device: self.device,
            new_tracks_from: None,
        }
    }
}

/// Lexicon and embedding files of the plan's text configs, read once and
/// keyed by the text extractor id.
#[derive(Default)]
pub(super) struct TextFiles(BTreeMap<String, Arc<mer_text::TextResources>>);

impl TextFiles {
    pub(super) fn load<'a>(
        configs: impl Iterator<Item = &'a TrialConfig>,
    ) -> Result<TextFiles, RunError> {
        let mut out = BTreeMap::new();
        for c in configs {
            if let Some(t) = &c.features.text
                && let std::collections::btree_map::Entry::Vacant(e) = out.entry(t.extractor_id())
            {
                let r = mer_text::TextResources::load(t, std::path::Path::new(""))?;
                e.insert(Arc::new(r));
            }
        }
        Ok(TextFiles(out))
    }

    pub(super) fn for_config(&self, cfg: &TrialConfig) -> Arc<mer_text::TextResources> {
        cfg.features
            .text
            .as_ref()
            .and_then(|t| self.0.get(&t.extractor_id()).cloned())
            .unwrap_or_default()
    }

    /// The data a trial reads, for its key: the dataset's fingerprint and
    /// the content hash of its lexicon / embeddings file, if any.
    pub(super) fn inputs_fingerprint(
        &self,
        cfg: &TrialConfig,
        dataset_fingerprint: &str,
    ) -> String {
        match self.for_config(cfg).content_hash() {
            Some(h) => format!("{dataset_fingerprint}+text:{h}"),
            None => dataset_fingerprint.to_string(),
        }
    }
}

/// The audio features every config needs, per dataset, and the text files.
pub(super) fn prepare_features(
    datasets: BTreeMap<String, Arc<Dataset>>,
    text: TextFiles,
    configs: &[&TrialConfig],
    cache_dir: &std::path::Path,
    progress: &Progress,
) -> Result<Prepared, RunError> {
    let mut audio = BTreeMap::new();
    for (id, ds) in &datasets {
        let needed: Vec<AudioFeatureConfig> = configs
            .iter()
            .filter(|c| serde_json::to_string(&c.dataset).expect("serialises") == *id)
            .filter_map(|c| c.features.audio.clone())
            .collect();
        if !needed.is_empty() {
            audio.insert(id.clone(), extract_audio(ds, &needed, cache_dir, progress)?);
        }
    }
    Ok(Prepared {
        datasets,
        audio,
        text,
        threads: 1,
        device: ComputeDevice::Cpu,
    })
}
