//! The synthetic MER benchmark: tracks whose emotion is known by
//! construction, written as WAV + lyrics text + a manifest CSV that the
//! generic manifest importer reads.
//!
//! # What is generated, and why
//! Each track gets a latent (valence, arousal) drawn inside one of Russell's
//! four quadrants (Q1 happy +V+A, Q2 angry -V+A, Q3 sad -V-A, Q4 calm +V-A)
//! with the configured class balance; that quadrant is the track's `oracle`
//! label. The structure MER papers report is built in:
//!
//! * **Audio carries arousal strongly** — tempo (about 60-140 BPM), note
//!   density (1-4 notes per beat), loudness (about -35 to -13 dBFS), spectral
//!   tilt (brightness), attack sharpness, and hi-hat/kick percussion all grow
//!   with arousal, so RMS, zero-crossing rate, centroid, bandwidth, rolloff
//!   and spectral contrast follow it.
//! * **Audio carries valence weakly** — major vs minor mode (chosen with
//!   probability `sigmoid(3 v)`, in a random key, so track-mean chroma only
//!   hints at it) and a register shift of `0.8 v` semitones. High-arousal
//!   negative tracks also get roughness (soft-clipping drive and a dissonant
//!   minor-second partial) and high-arousal positive ones a bright octave
//!   doubling, so Q1/Q2 separate acoustically while Q3 (sad) and Q4 (calm)
//!   stay close: the seed study's "quiet emotion" overlap.
//! * **Lyrics carry valence strongly** — about 12% of words come from a
//!   positive or negative valence vocabulary, a few from per-quadrant
//!   vocabularies (including the seed study's Q3 "gone, hurt, cry, pain" and
//!   Q4 "peace, angel, christmas, star"), mixed with neutral filler; arousal
//!   words are rare (arousal is weak in text). A fraction `0.2 * noise` of
//!   lyrics are "ironic" (valence flipped). A fraction `lyrics_missing` of
//!   tracks has no lyrics.
//! * **Artists and genres** — `artists` artists, each with a home quadrant
//!   (a track goes to an artist of its quadrant with probability
//!   `artist_consistency`), a genre (5 genres with distinct instrumentation:
//!   waveform, percussion, drive, tempo), an audio signature (formant, register,
//!   tempo factor) and two signature words in its lyrics: so random splits
//!   leak artist identity and grouped splits matter.
//! * **Categories and moods** — the nearest of nine GEMS-9 (EMOTIFY-like)
//!   centroids in V/A space gives `category`; binary mood tags `happy` (Q1),
//!   `sad` (Q3), `relaxing` (Q4) and `energetic` (arousal > 0) come from the
//!   latent V/A.
//! * **Noise** — `noise` (0..1) scales the jitter between latent emotion and
//!   the cues, the annotation noise on the recorded V/A (`sd = 0.25 noise`),
//!   and the ironic-lyrics rate.
//!
//! A fixed 70/15/15 train/validation/test split (stratified by quadrant) is
//! recorded in the `split` column.
//!
//! # Checked independently
//! `framework/crates/data/tests/synthetic.rs` measures the structure from the WAV
//! samples and lyrics words alone. `tools/data_synthetic_check.py DIR` runs
//! the seed study's 37 librosa features and TF-IDF through a standardised
//! logistic regression (5-fold CV); on the default config (generator
//! version 3) it gave: audio quadrants 0.71 / valence 0.73 / arousal 0.96,
//! text 0.61 / 0.82 / 0.72, audio+text 0.84 / 0.87 / 0.96, and Q3/Q4 as
//! audio's largest confusion (39 + 35 of 200 tracks).
//!
//! # Determinism and layout
//! Everything derives from `seed` and the parameters: a plan is drawn with one
//! ChaCha8 stream, and each track renders from its own seed, so rendering in
//! parallel (rayon) gives identical files. Output goes to
//! `<cache_dir>/synthetic/<first 16 hex of blake3(config JSON + GENERATOR_VERSION)>/`
//! with `metadata.csv`, `audio/<id>.wav` (16-bit mono PCM), `lyrics/<id>.txt`
//! and `config.json`; it is built in a temporary sibling directory and renamed
//! into place, and if another process won the race its copy is used.

mod audio;
pub mod lyrics;

use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DataError;
use crate::QUADRANT_NAMES;
use mer_core::{ConfigError, limits};

/// Bump when the generator's output changes for the same config: it is part
/// of the cache key, so old caches are not reused.
pub const GENERATOR_VERSION: u32 = 3;

/// Genres of the synthetic benchmark, in class order.
pub const GENRES: [&str; 5] = ["classical", "electronic", "folk", "pop", "rock"];

/// GEMS-9 emotions (EMOTIFY's columns) with the V/A centroid each is
/// assigned from (nearest centroid to the latent V/A).
pub const GEMS9: [(&str, f64, f64); 9] = [
    ("amazement", 0.85, 0.95),
    ("solemnity", -0.25, 0.10),
    ("tenderness", 0.45, -0.25),
    ("nostalgia", -0.15, -0.35),
    ("calmness", 0.55, -0.65),
    ("power", 0.15, 0.75),
    ("joyful_activation", 0.65, 0.55),
    ("tension", -0.55, 0.55),
    ("sadness", -0.60, -0.60),
];

/// Parameters of the synthetic benchmark (`[dataset] kind = "synthetic"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticConfig {
    /// Number of tracks; defaults to `400`.
    pub tracks: usize,
    /// Length of each track in seconds; defaults to `10.0`.
    pub duration_s: f64,
    /// Sample rate of the WAV files in Hz; defaults to `22050`.
    pub sample_rate: u32,
    /// Seed of everything random; defaults to `0`.
    pub seed: u64,
    /// Noise knob in `[0, 1]`: cue jitter, annotation noise, ironic lyrics;
    /// defaults to `0.3`.
    pub noise: f64,
    /// Share of Q1 (happy), Q2 (angry), Q3 (sad), Q4 (calm); normalised;
    /// defaults to `[0.25, 0.25, 0.25, 0.25]`.
    pub class_balance: [f64; 4],
    /// Fraction of tracks without lyrics, in `[0, 1]`; defaults to `0.1`.
    pub lyrics_missing: f64,
    /// Number of artists; defaults to `50` (about 8 tracks each).
    pub artists: usize,
    /// Probability that a track goes to an artist whose home quadrant is the
    /// track's, in `[0, 1]`; defaults to `0.7`.
    pub artist_consistency: f64,
    /// Fractions of the fixed train/validation/test split; defaults to
    /// `[0.7, 0.15, 0.15]`.
    pub fixed_split: [f64; 3],
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            tracks: 400,
            duration_s: 10.0,
            sample_rate: 22050,
            seed: 0,
            noise: 0.3,
            class_balance: [0.25; 4],
            lyrics_missing: 0.1,
            artists: 50,
            artist_consistency: 0.7,
            fixed_split: [0.7, 0.15, 0.15],
        }
    }
}

impl SyntheticConfig {
    /// Checks ranges the types cannot; keys named from `[dataset]`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |k: &str, m: String| Err(ConfigError::new(k, m));
        limits::size("tracks", self.tracks, 1, limits::MAX_SYNTHETIC_TRACKS)?;
        if !(self.duration_s.is_finite() && self.duration_s > 0.0 && self.duration_s <= 600.0) {
            return err(
                "duration_s",
                format!("must be in (0, 600] seconds, got {}", self.duration_s),
            );
        }
        if !(8000..=96000).contains(&self.sample_rate) {
            return err(
                "sample_rate",
                format!("must be in 8000..=96000 Hz, got {}", self.sample_rate),
            );
        }
        if !(0.0..=1.0).contains(&self.noise) {
            return err("noise", format!("must be in [0, 1], got {}", self.noise));
        }
        let sum: f64 = self.class_balance.iter().sum();
        if self
            .class_balance
            .iter()
            .any(|&x| !(x.is_finite() && x >= 0.0))
            || sum <= 0.0
        {
            return err(
                "class_balance",
                format!(
                    "must be four non-negative shares with a positive sum, got {:?}",
                    self.class_balance
                ),
            );
        }
        if !(0.0..=1.0).contains(&self.lyrics_missing) {
            return err(
                "lyrics_missing",
                format!("must be in [0, 1], got {}", self.lyrics_missing),
            );
        }
        limits::size("artists", self.artists, 1, limits::MAX_SYNTHETIC_TRACKS)?;
        let hours = self.tracks as f64 * self.duration_s / 3600.0;
        if hours > limits::MAX_SYNTHETIC_HOURS {
            return Err(ConfigError::found(
                "duration_s",
                self.duration_s,
                format!(
                    "tracks x duration_s is {hours:.0} hours of audio; at most {} hours are generated",
                    limits::MAX_SYNTHETIC_HOURS
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.artist_consistency) {
            return err(
                "artist_consistency",
                format!("must be in [0, 1], got {}", self.artist_consistency),
            );
        }
        let s: f64 = self.fixed_split.iter().sum();
        if self
            .fixed_split
            .iter()
            .any(|&x| !(x.is_finite() && x >= 0.0))
            || (s - 1.0).abs() > 1e-6
        {
            return err(
                "fixed_split",
                format!(
                    "must be three non-negative fractions summing to 1, got {:?}",
                    self.fixed_split
                ),
            );
        }
        Ok(())
    }

    /// The cache key: blake3 of the canonical JSON and the generator version.
    pub fn cache_key(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut h = blake3::Hasher::new();
        h.update(json.as_bytes());
        h.update(&GENERATOR_VERSION.to_le_bytes());
        h.finalize().to_hex()[..16].to_string()
    }
}

/// An artist: home quadrant, genre and signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Artist {
    /// `artist007`.
    pub name: String,
    /// Index into [`QUADRANT_NAMES`].
    pub home: usize,
    /// Index into [`GENRES`].
    pub genre: usize,
    /// Centre of a spectral emphasis in Hz (timbre signature).
    pub formant_hz: f64,
    /// Register offset in semitones.
    pub register: i32,
    /// Tempo multiplier.
    pub tempo_factor: f64,
    /// Two pseudo-words the artist's lyrics use.
    pub words: [String; 2],
}

/// Everything drawn for one track before rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTrack {
    /// `syn00042`.
    pub id: String,
    /// Latent quadrant index (the oracle label).
    pub quadrant: usize,
    /// Latent valence in `[-1, 1]`.
    pub latent_valence: f64,
    /// Latent arousal in `[-1, 1]`.
    pub latent_arousal: f64,
    /// Recorded (noisy) valence.
    pub valence: f64,
    /// Recorded (noisy) arousal.
    pub arousal: f64,
    /// Index into the artists.
    pub artist: usize,
    /// GEMS-9 category.
    pub category: &'static str,
    /// Binary mood tags.
    pub tags: Vec<&'static str>,
    /// Whether the track has lyrics.
    pub has_lyrics: bool,
    /// Whether its lyrics have flipped valence ("ironic").
    pub ironic: bool,
    /// `train`, `validation` or `test`.
    pub split: &'static str,
    /// Seed of its audio and lyrics.
    pub seed: u64,
}

/// The drawn plan of a whole benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Artists.
    pub artists: Vec<Artist>,
    /// Tracks in id order.
    pub tracks: Vec<PlannedTrack>,
}

/// Splits `n` into integer counts proportional to `shares` (largest remainder).
fn allocate(n: usize, shares: &[f64]) -> Vec<usize> {
    let sum: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares.iter().map(|s| s / sum * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut rest = n - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    // Largest fractional part first; ties by index for determinism.
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.partial_cmp(&fa)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        counts[i] += 1;
        rest -= 1;
    }
    counts
}

/// Signs of (valence, arousal) per quadrant Q1..Q4.
pub const QUADRANT_SIGNS: [(f64, f64); 4] = [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)];

/// Draws the plan: quadrants, latent and recorded V/A, artists, categories,
/// tags, lyrics presence and the fixed split.
pub fn plan(cfg: &SyntheticConfig) -> Result<Plan, DataError> {
    cfg.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let unit: Normal<f64> = Normal::new(0.0, 1.0).expect("the unit normal is valid");

    // Artists: home quadrants in proportion to the class balance.
    let homes = allocate(cfg.artists, &cfg.class_balance);
    let mut artists = Vec::with_capacity(cfg.artists);
    for (q, &count) in homes.iter().enumerate() {
        for _ in 0..count {
            let idx = artists.len();
            let high_arousal = QUADRANT_SIGNS[q].1 > 0.0;
            // Genre depends on the home quadrant's arousal, as in real
            // catalogues (rock/electronic skew energetic, classical/folk calm).
            let weights: [f64; 5] = if high_arousal {
                [0.15, 0.22, 0.15, 0.26, 0.22]
            } else {
                [0.22, 0.15, 0.22, 0.26, 0.15]
            };
            let genre = pick(&mut rng, &weights);
            artists.push(Artist {
                name: format!("artist{idx:03}"),
                home: q,
                genre,
                formant_hz: rng.random_range(400.0..2400.0),
                register: rng.random_range(-3..=3),
                tempo_factor: rng.random_range(0.92..1.08),
                words: [lyrics::pseudo_word(&mut rng), lyrics::pseudo_word(&mut rng)],
            });
        }
    }
    let by_home: Vec<Vec<usize>> = (0..4)
        .map(|q| {
            (0..artists.len())
                .filter(|&a| artists[a].home == q)
                .collect()
        })
        .collect();

    // Quadrants: exact counts, shuffled.
    let counts = allocate(cfg.tracks, &cfg.class_balance);
    let mut quadrants: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(q, &c)| std::iter::repeat_n(q, c))
        .collect();
    quadrants.shuffle(&mut rng);

    let ann_sd = 0.25 * cfg.noise;
    let width = (cfg.tracks.max(1) - 1).to_string().len().max(5);
    let mut tracks = Vec::with_capacity(cfg.tracks);
    for (i, &q) in quadrants.iter().enumerate() {
        let (sv, sa) = QUADRANT_SIGNS[q];
        let mut magnitude = || -> f64 { (0.5 + 0.22 * unit.sample(&mut rng)).clamp(0.03, 1.0) };
        let lv = sv * magnitude();
        let la = sa * magnitude();
        let valence = (lv + ann_sd * unit.sample(&mut rng)).clamp(-1.0, 1.0);
        let arousal = (la + ann_sd * unit.sample(&mut rng)).clamp(-1.0, 1.0);
        let artist = if !by_home[q].is_empty() && rng.random::<f64>() < cfg.artist_consistency {
            by_home[q][rng.random_range(0..by_home[q].len())]
        } else {
            rng.random_range(0..artists.len())
        };
        let category = GEMS9
            .iter()
            .min_by(|a, b| {
                let da = (a.1 - lv).powi(2) + (a.2 - la).powi(2);
                let db = (b.1 - lv).powi(2) + (b.2 - la).powi(2);
                da.partial_cmp(&db).unwrap_or(std::cmp::Ordering::Equal)
            })
            .map(|c| c.0)
            .unwrap_or("calmness");
        let mut tags = Vec::new();
        match q {
            0 => tags.push("happy"),
            2 => tags.push("sad"),
            3 => tags.push("relaxing"),
            _ => {}
        }
        if la > 0.0 {
            tags.push("energetic");
        }
        tags.sort_unstable();
        let has_lyrics = rng.random::<f64>() >= cfg.lyrics_missing;
        let ironic = rng.random::<f64>() < 0.2 * cfg.noise;
        tracks.push(PlannedTrack {
            id: format!("syn{i:0width$}"),
            quadrant: q,
            latent_valence: lv,
            latent_arousal: la,
            valence,
            arousal,
            artist,
            category,
            tags,
            has_lyrics,
            ironic,
            split: "train",
            seed: rng.next_u64(),
        });
    }

    // Fixed split, stratified by quadrant.
    for q in 0..4 {
        let mut members: Vec<usize> = (0..tracks.len())
            .filter(|&i| tracks[i].quadrant == q)
            .collect();
        members.shuffle(&mut rng);
        let sizes = allocate(members.len(), &cfg.fixed_split);
        for (k, &i) in members.iter().enumerate() {
            tracks[i].split = if k < sizes[0] {
                "train"
            } else if k < sizes[0] + sizes[1] {
                "validation"
            } else {
                "test"
            };
        }
    }
    Ok(Plan { artists, tracks })
}

fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// The directory a config generates into under `cache_dir`.
pub fn output_dir(cfg: &SyntheticConfig, cache_dir: &Path) -> PathBuf {
    cache_dir.join("synthetic").join(cfg.cache_key())
}

/// The mono samples of one planned track, in `[-1, 1]`.
pub fn render_audio(cfg: &SyntheticConfig, plan: &Plan, track: &PlannedTrack) -> Vec<f32> {
    audio::render(cfg, &plan.artists[track.artist], track)
}

/// The lyrics of one planned track (`None` when it has none).
pub fn render_lyrics(cfg: &SyntheticConfig, plan: &Plan, track: &PlannedTrack) -> Option<String> {
    track
        .has_lyrics
        .then(|| lyrics::render(cfg, &plan.artists[track.artist], track))
}

/// Generates the benchmark into `<cache_dir>/synthetic/<key>/` unless it is
/// already there, and returns that directory. Atomic: built in a temporary
/// sibling and renamed; a concurrent winner's copy is kept.
pub fn generate(cfg: &SyntheticConfig, cache_dir: &Path) -> Result<PathBuf, DataError> {
    let dir = output_dir(cfg, cache_dir);
    if dir.join("metadata.csv").is_file() {
        return Ok(dir);
    }
    let plan = plan(cfg)?;
    let parent = cache_dir.join("synthetic");
    std::fs::create_dir_all(&parent).map_err(|e| DataError::io(&parent, "cannot create", e))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // Unique per process, thread and call, so concurrent generators never
    // share a temporary directory.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!(
        ".tmp-{}-{}-{nanos}-{n}",
        cfg.cache_key(),
        std::process::id()
    ));
    let result = write_all(cfg, &plan, &tmp);
    if let Err(e) = result {
        let _ignored = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        Err(e) => {
            let _ignored = std::fs::remove_dir_all(&tmp);
            if dir.join("metadata.csv").is_file() {
                Ok(dir) // another process won the race; use theirs
            } else {
                Err(DataError::io(
                    &dir,
                    "cannot move generated dataset into place",
                    e,
                ))
            }
        }
    }
}

fn write_all(cfg: &SyntheticConfig, plan: &Plan, dir: &Path) -> Result<(), DataError> {
    let audio_dir = dir.join("audio");
    let lyrics_dir = dir.join("lyrics");
    for d in [&audio_dir, &lyrics_dir] {
        std::fs::create_dir_all(d).map_err(|e| DataError::io(d, "cannot create", e))?;
    }
    plan.tracks
        .par_iter()
        .try_for_each(|t| -> Result<(), DataError> {
            let samples = render_audio(cfg, plan, t);
            let path = audio_dir.join(format!("{}.wav", t.id));
            write_wav(&path, &samples, cfg.sample_rate)?;
            if let Some(text) = render_lyrics(cfg, plan, t) {
                let lp = lyrics_dir.join(format!("{}.txt", t.id));
                std::fs::write(&lp, text).map_err(|e| DataError::io(&lp, "cannot write", e))?;
            }
            Ok(())
        })?;
    let cfg_path = dir.join("config.json");
    let json = serde_json::to_string_pretty(cfg).map_err(|source| DataError::Json {
        path: cfg_path.clone(),
        source,
    })?;
    std::fs::write(&cfg_path, json).map_err(|e| DataError::io(&cfg_path, "cannot write", e))?;
    // The manifest is written last: its presence marks a complete directory.
    let manifest = dir.join("metadata.csv");
    let mut w = csv::Writer::from_path(&manifest).map_err(|source| DataError::Csv {
        path: manifest.clone(),
        source,
    })?;
    let csv_err = |source| DataError::Csv {
        path: manifest.clone(),
        source,
    };
    w.write_record([
        "id", "audio", "lyrics", "valence", "arousal", "category", "genre", "artist", "split",
        "tags", "oracle",
    ])
    .map_err(csv_err)?;
    for t in &plan.tracks {
        let artist = &plan.artists[t.artist];
        let lyrics = if t.has_lyrics {
            format!("lyrics/{}.txt", t.id)
        } else {
            String::new()
        };
        w.write_record([
            t.id.as_str(),
            &format!("audio/{}.wav", t.id),
            &lyrics,
            &format!("{:.6}", t.valence),
            &format!("{:.6}", t.arousal),
            t.category,
            GENRES[artist.genre],
            &artist.name,
            t.split,
            &t.tags.join(";"),
            QUADRANT_NAMES[t.quadrant],
        ])
        .map_err(csv_err)?;
    }
    w.flush()
        .map_err(|e| DataError::io(&manifest, "cannot write", e))?;
    Ok(())
}

fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), DataError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_err = |source| DataError::Wav {
        path: path.to_path_buf(),
        source,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(wav_err)?;
    {
        // The sized i16 writer fills one buffer instead of dispatching per sample.
        let mut w16 = w.get_i16_writer(samples.len() as u32);
        for &s in samples {
            w16.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16);
        }
        w16.flush().map_err(wav_err)?;
    }
    w.finalize().map_err(wav_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_exact_and_proportional() {
        assert_eq!(allocate(10, &[0.25; 4]), vec![3, 3, 2, 2]);
        assert_eq!(allocate(400, &[0.4, 0.3, 0.2, 0.1]), vec![160, 120, 80, 40]);
        assert_eq!(allocate(7, &[1.0, 0.0, 0.0]), vec![7, 0, 0]);
    }

    #[test]
    fn plan_is_deterministic_and_balanced() {
        let cfg = SyntheticConfig {
            tracks: 200,
            class_balance: [0.4, 0.3, 0.2, 0.1],
            ..Default::default()
        };
        let a = plan(&cfg).unwrap();
        let b = plan(&cfg).unwrap();
        assert_eq!(a, b);
        let mut counts = [0usize; 4];
        for t in &a.tracks {
            counts[t.quadrant] += 1;
            let (sv, sa) = QUADRANT_SIGNS[t.quadrant];
            assert!(t.latent_valence * sv > 0.0 && t.latent_arousal * sa > 0.0);
        }
        assert_eq!(counts, [80, 60, 40, 20]);
        let other = plan(&SyntheticConfig { seed: 1, ..cfg }).unwrap();
        assert_ne!(a.tracks[0].seed, other.tracks[0].seed);
    }

    #[test]
    fn invalid_parameters_are_rejected_with_the_key() {
        let cfg = SyntheticConfig {
            noise: 1.5,
            ..Default::default()
        };
        let e = cfg.validate().unwrap_err();
        assert_eq!(e.key().to_string(), "noise");
        assert!(e.rule().contains("[0, 1]"), "{e}");
        // As a data error the key is named from the spec's root.
        let e = DataError::from(e).to_string();
        assert!(e.contains("dataset.noise"), "{e}");
    }
}
