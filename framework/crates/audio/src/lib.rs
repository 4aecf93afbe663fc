//! Audio front end: decoding (hound for WAV, symphonia for mp3/flac/ogg),
//! resampling, and the DSP features that match librosa's defaults.
//!
//! Owns: turning a file on disk into mono samples at the spec's rate, and
//! samples into track-level or frame-level features; the content-addressed
//! feature cache. Leaves the bad-audio policy's bookkeeping (which tracks
//! were skipped) and the progress bar to the caller, and never sees labels
//! or models.
//!
//! One code path: [`extract_file`] (CLI, single files) and [`extract_many`]
//! (sweeps, with the cache) both decode with [`decode::decode_bytes`] and
//! compute with the same [`Extractor`].
//!
//! Submodules: [`decode`] (bytes -> samples), [`dsp`] (pure librosa-matching
//! functions), [`features`] (feature sets), [`config`] (the `[features]`
//! spec section), [`cache`] (the on-disk cache), [`error`].

pub mod cache;
pub mod config;
pub mod decode;
pub mod dsp;
pub mod error;
pub mod features;

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use cache::{CacheStats, FeatureCache};
pub use config::{AudioFeatureConfig, EXTRACTOR_VERSION, FeatureSet, OnBadAudio};
pub use decode::{DecodeOptions, Decoded, decode, decode_bytes};
pub use error::AudioError;
pub use features::{Extractor, FeatureShortfall, Features, feature_names};

use cache::{Lookup, StatsCounter};

impl AudioFeatureConfig {
    /// The decoding options this config implies.
    pub fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            sample_rate: self.sample_rate,
            offset_s: self.offset_s,
            duration_s: self.duration_s,
        }
    }
}

/// Decodes `path` and computes the features `cfg` asks for.
pub fn extract_file(path: &Path, cfg: &AudioFeatureConfig) -> Result<Features, AudioError> {
    cfg.validate()?;
    let bytes = std::fs::read(path).map_err(|source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    extract_bytes(path, bytes, cfg, &Extractor::new(cfg))
}

/// The shared core: bytes of one file -> features.
fn extract_bytes(
    path: &Path,
    bytes: Vec<u8>,
    cfg: &AudioFeatureConfig,
    ex: &Extractor,
) -> Result<Features, AudioError> {
    let decoded = decode_bytes(path, bytes, &cfg.decode_options())?;
    ex.features(&decoded.samples).map_err(|s| match s {
        FeatureShortfall::TooShort { what, needed } => AudioError::TooShort {
            path: path.to_path_buf(),
            what,
            needed,
            found: decoded.samples.len(),
            sample_rate: decoded.sample_rate,
        },
    })
}

/// Extracts the features of many files in parallel (rayon, one task per
/// track), reusing and filling `cache` when given. Results come back in the
/// order of `paths`; `progress(1)` is called as each track finishes.
///
/// Errors are returned per track; applying `cfg.on_bad_audio` is the
/// caller's job (it must count and list skipped tracks). A configuration
/// error is returned for every track.
pub fn extract_many(
    paths: &[PathBuf],
    cfg: &AudioFeatureConfig,
    cache: Option<&FeatureCache>,
    progress: &(dyn Fn(usize) + Sync),
) -> (Vec<Result<Features, AudioError>>, CacheStats) {
    let stats = StatsCounter::default();
    if let Err(e) = cfg.validate() {
        return (
            paths
                .iter()
                .map(|_| Err(AudioError::Config(e.clone())))
                .collect(),
            stats.snapshot(),
        );
    }
    let ex = Extractor::new(cfg);
    let id = cfg.extractor_id();
    let results = paths
        .par_iter()
        .map(|path| {
            let r = extract_cached(path, cfg, &ex, &id, cache, &stats);
            progress(1);
            r
        })
        .collect();
    (results, stats.snapshot())
}

fn extract_cached(
    path: &Path,
    cfg: &AudioFeatureConfig,
    ex: &Extractor,
    id: &str,
    cache: Option<&FeatureCache>,
    stats: &StatsCounter,
) -> Result<Features, AudioError> {
    let bytes = std::fs::read(path).map_err(|source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(cache) = cache else {
        return extract_bytes(path, bytes, cfg, ex);
    };
    let key = cache::cache_key(&bytes, id);
    match cache.get(&key, id) {
        Lookup::Hit(f) => {
            stats.hit();
            return Ok(f);
        }
        Lookup::Miss => stats.miss(),
        Lookup::Corrupt(_) => {
            stats.miss();
            stats.corrupt();
        }
    }
    let f = extract_bytes(path, bytes, cfg, ex)?;
    cache.put(&key, id, &f)?;
    stats.written();
    Ok(f)
}

/// Output format of [`features_command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One JSON object per line: `{"file": ..., "shape": [...], "features": {name: value}}`
    /// for track-level sets, `"data": [...]` (row-major) for frame-level ones.
    Json,
    /// A header `file,<names>` and one row per file (track-level sets only).
    Csv,
}

/// What [`features_command`] did.
#[derive(Debug, Default)]
pub struct CommandSummary {
    /// Files whose features were written.
    pub written: usize,
    /// Files left out under `on_bad_audio = "skip"`, with their errors.
    pub skipped: Vec<AudioError>,
}

/// Prints the features of `files` (the `mer features` command) through the
/// sweep's code path ([`extract_many`] without a cache). Under
/// `on_bad_audio = "fail"` the first bad file's error is returned and
/// nothing is written; under `"skip"` bad files are left out and returned.
pub fn features_command(
    files: &[PathBuf],
    cfg: &AudioFeatureConfig,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<CommandSummary, AudioError> {
    cfg.validate()?;
    let names = feature_names(cfg);
    if format == OutputFormat::Csv && names.is_empty() {
        return Err(AudioError::Config(mer_core::ConfigError::new(
            "set",
            "CSV output needs a track-level set (seed37 or extended); use JSON for frame-level sets",
        )));
    }
    let (results, _) = extract_many(files, cfg, None, &|_| {});
    let mut summary = CommandSummary::default();
    let mut rows = Vec::with_capacity(files.len());
    for (path, r) in files.iter().zip(results) {
        match r {
            Ok(f) => rows.push((path, f)),
            Err(e) => match cfg.on_bad_audio {
                OnBadAudio::Fail => return Err(e),
                OnBadAudio::Skip => summary.skipped.push(e),
            },
        }
    }
    let w = |e| AudioError::Output { source: e };
    match format {
        OutputFormat::Csv => {
            write_csv(out, &names, &rows).map_err(|e| AudioError::Output { source: e.into() })?
        }
        OutputFormat::Json => {
            for (path, f) in &rows {
                let mut obj = serde_json::Map::new();
                obj.insert("file".into(), path.display().to_string().into());
                obj.insert("shape".into(), f.shape.clone().into());
                if names.is_empty() {
                    obj.insert(
                        "data".into(),
                        f.data.iter().map(|&v| json_number(v)).collect(),
                    );
                } else {
                    let m: serde_json::Map<String, serde_json::Value> = names
                        .iter()
                        .cloned()
                        .zip(f.data.iter().map(|&v| json_number(v)))
                        .collect();
                    obj.insert("features".into(), m.into());
                }
                writeln!(out, "{}", serde_json::Value::Object(obj)).map_err(w)?;
            }
        }
    }
    summary.written = rows.len();
    Ok(summary)
}

/// `mer features --format csv`: a header `file,<names>`, then per file its
/// path and every value with `{}` (the shortest decimal that reads back as
/// the same `f32`).
///
/// Written by the `csv` crate, configured to give the bytes the earlier
/// hand-written writer gave: `,` between fields, `\n` after every record,
/// and [`csv::QuoteStyle::Necessary`], which quotes a field only when it
/// holds `,`, `"`, `\n` or `\r` and doubles a `"` inside it (a path
/// `a "b",c.wav` is written `"a ""b"",c.wav"`), the old rule exactly.
fn write_csv(
    out: &mut dyn Write,
    names: &[String],
    rows: &[(&PathBuf, Features)],
) -> Result<(), csv::Error> {
    let mut csv = csv::WriterBuilder::new()
        .delimiter(b',')
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .quote(b'"')
        .double_quote(true)
        .has_headers(false)
        .from_writer(out);
    csv.write_record(std::iter::once("file").chain(names.iter().map(String::as_str)))?;
    for (path, f) in rows {
        let file = path.display().to_string();
        csv.write_record(std::iter::once(file).chain(f.data.iter().map(|v| v.to_string())))?;
    }
    csv.flush()?;
    Ok(())
}

/// A JSON number, or `null` for a non-finite value (JSON has no NaN).
fn json_number(v: f32) -> serde_json::Value {
    // Via the shortest decimal of the f32, so 0.3f32 prints as 0.3.
    let shortest: f64 = v.to_string().parse().unwrap_or(f64::NAN);
    serde_json::Number::from_f64(shortest)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}
