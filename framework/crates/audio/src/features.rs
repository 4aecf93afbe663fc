//! Feature sets: mono samples -> the representation a config asks for.
//!
//! Owns the fused, allocation-light path that computes `seed37` and
//! `extended` in one pass over the STFT (plans and filterbanks built once per
//! [`Extractor`] and shared across threads), the frame-level outputs for deep
//! models, their fixed-length policy, and the column names of track-level
//! sets. All maths lives in [`super::dsp`]; this module only schedules it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::config::{AudioFeatureConfig, FeatureSet};
use super::dsp::{self, CONTRAST_BANDS, ContrastBands, Matrix, MelFilterbank, StftPlan};

/// Features of one track, row-major.
///
/// Shapes: `[37]` (`seed37`), `[117]` (`extended`), `[frames, n_mfcc]` or
/// `[frames, 2 n_mfcc]` (`mfcc_sequence`), `[n_mels, frames]` (`log_mel`),
/// `[samples]` (`waveform`).
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Why samples could not be turned into features (the caller adds the path;
/// [`super::extract_file`] turns it into [`super::AudioError::TooShort`]).
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureShortfall {
    /// Fewer samples than `needed` for `what`.
    TooShort { what: &'static str, needed: usize },
}

/// MFCCs in the seed study (librosa's `n_mfcc=13` call).
pub const SEED_MFCC: usize = 13;
/// Mel bands behind MFCCs and onset strength (librosa's default).
pub const N_MELS: usize = 128;

/// Column names of a track-level set, in output order; empty for frame-level
/// sets (their columns are frames, not named features).
pub fn feature_names(cfg: &AudioFeatureConfig) -> Vec<String> {
    match cfg.set {
        FeatureSet::Seed37 => seed37_names("mean"),
        FeatureSet::Extended => {
            let mut v = seed37_names("mean");
            v.extend(seed37_names("std"));
            for stat in ["mean", "std"] {
                v.extend((0..SEED_MFCC).map(|i| format!("mfcc_delta_{stat}_{i}")));
            }
            v.extend(
                [
                    "flatness_mean",
                    "flatness_std",
                    "onset_strength_mean",
                    "onset_strength_std",
                ]
                .map(String::from),
            );
            for stat in ["mean", "std"] {
                v.extend((0..6).map(|i| format!("tonnetz_{stat}_{i}")));
            }
            v.push("tempo_bpm".into());
            v
        }
        _ => Vec::new(),
    }
}

fn seed37_names(stat: &str) -> Vec<String> {
    let mut v: Vec<String> = (0..SEED_MFCC).map(|i| format!("mfcc_{stat}_{i}")).collect();
    v.extend((0..12).map(|i| format!("chroma_{stat}_{i}")));
    v.extend((0..CONTRAST_BANDS).map(|i| format!("contrast_{stat}_{i}")));
    for f in ["rms", "zcr", "centroid", "bandwidth", "rolloff"] {
        v.push(format!("{f}_{stat}"));
    }
    v
}

/// Plans and filterbanks for one config, built once and shared (it is `Sync`).
#[derive(Debug)]
pub struct Extractor {
    set: FeatureSet,
    sr: f64,
    plan: StftPlan,
    mel: MelFilterbank,
    dct: Vec<f64>,
    freqs: Vec<f64>,
    contrast: Option<ContrastBands>,
    /// Chroma filterbanks by tuning (in thousandths of a semitone).
    chroma_cache: Mutex<BTreeMap<i64, Arc<Matrix>>>,
}

impl Extractor {
    /// Builds the plans for `cfg` (which should be validated).
    pub fn new(cfg: &AudioFeatureConfig) -> Self {
        let sr = f64::from(cfg.sample_rate);
        let (n_mels, n_mfcc) = match cfg.set {
            FeatureSet::LogMel { n_mels, .. } => (n_mels, 0),
            FeatureSet::MfccSequence { n_mfcc, .. } => (N_MELS, n_mfcc),
            _ => (N_MELS, SEED_MFCC),
        };
        Extractor {
            set: cfg.set.clone(),
            sr,
            plan: StftPlan::new(dsp::N_FFT, dsp::HOP),
            mel: MelFilterbank::new(sr, dsp::N_FFT, n_mels),
            dct: dsp::dct_ortho_matrix(n_mfcc, N_MELS),
            freqs: dsp::fft_frequencies(sr, dsp::N_FFT),
            contrast: ContrastBands::new(sr, dsp::N_FFT),
            chroma_cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// The features of mono samples at the config's rate.
    pub fn features(&self, y: &[f32]) -> Result<Features, FeatureShortfall> {
        match &self.set {
            FeatureSet::Seed37 => Ok(self.track_level(y, false)?),
            FeatureSet::Extended => Ok(self.track_level(y, true)?),
            FeatureSet::MfccSequence {
                n_mfcc,
                deltas,
                frames,
            } => self.mfcc_sequence(y, *n_mfcc, *deltas, *frames),
            FeatureSet::LogMel { n_mels, frames } => Ok(self.log_mel(y, *n_mels, *frames)),
            FeatureSet::Waveform { samples } => Ok(Features {
                shape: vec![*samples],
                data: fit_length(y, *samples, 0.0),
            }),
        }
    }

    /// Log-mel `[frames, n_mels]` with librosa's `power_to_db` defaults.
    fn log_mel_frames(&self, power: &Matrix) -> Matrix {
        let mut mel = self.mel.apply(power);
        dsp::power_to_db_in_place(&mut mel.data, 1.0, Some(80.0));
        mel
    }

    fn log_mel(&self, y: &[f32], n_mels: usize, frames: usize) -> Features {
        let power = self.plan.power(y);
        let mel = self.log_mel_frames(&power);
        let floor = mel.data.iter().fold(f32::INFINITY, |m, &x| m.min(x));
        let t = mel.transpose(); // [n_mels, T]
        let mut data = Vec::with_capacity(n_mels * frames);
        for m in 0..n_mels {
            data.extend(fit_length(t.row(m), frames, floor));
        }
        Features {
            shape: vec![n_mels, frames],
            data,
        }
    }

    fn mfcc_sequence(
        &self,
        y: &[f32],
        n_mfcc: usize,
        deltas: bool,
        frames: usize,
    ) -> Result<Features, FeatureShortfall> {
        let power = self.plan.power(y);
        let mel = self.log_mel_frames(&power);
        let mfcc = dsp::mfcc(&mel, n_mfcc);
        let dims = if deltas { 2 * n_mfcc } else { n_mfcc };
        let mut seq = Matrix::zeros(mfcc.rows, dims);
        let d = if deltas {
            Some(dsp::delta(&mfcc).ok_or(FeatureShortfall::TooShort {
                what: "MFCC deltas (9 frames)",
                needed: 8 * dsp::HOP,
            })?)
        } else {
            None
        };
        for t in 0..mfcc.rows {
            let row = seq.row_mut(t);
            row[..n_mfcc].copy_from_slice(mfcc.row(t));
            if let Some(d) = &d {
                row[n_mfcc..].copy_from_slice(d.row(t));
            }
        }
        // Whole frames: centre crop, or zero frames appended at the end.
        let data = if seq.rows >= frames {
            let start = (seq.rows - frames) / 2;
            seq.data[start * dims..(start + frames) * dims].to_vec()
        } else {
            fit_length(&seq.data, frames * dims, 0.0)
        };
        Ok(Features {
            shape: vec![frames, dims],
            data,
        })
    }

    /// The chroma filterbank for a tuning, built once per distinct tuning
    /// (estimate_tuning returns one of 100 values) and shared.
    fn chroma_filterbank(&self, tuning: f64) -> Arc<Matrix> {
        let key = (tuning * 1000.0).round() as i64;
        let mut cache = self
            .chroma_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| Arc::new(dsp::chroma_filterbank(self.sr, dsp::N_FFT, tuning)))
            .clone()
    }

    /// `seed37` (and with `extended`, the 117-value set): one streaming pass
    /// over the STFT for everything per frame, then chroma (which needs the
    /// tuning estimated from all frames) over the stored power spectrogram.
    fn track_level(&self, y: &[f32], extended: bool) -> Result<Features, FeatureShortfall> {
        let sr = self.sr;
        let n_fft = dsp::N_FFT;
        let hop = dsp::HOP;
        let t_len = dsp::n_frames(y.len(), hop);
        if extended && t_len < 9 {
            return Err(FeatureShortfall::TooShort {
                what: "the extended set's MFCC deltas (9 frames)",
                needed: 8 * hop,
            });
        }
        let contrast_bands = self.contrast.as_ref().ok_or(FeatureShortfall::TooShort {
            what: "spectral contrast (a sample rate above 12800 Hz)",
            needed: 0,
        })?;
        let mut log_mel = Matrix::zeros(t_len, N_MELS); // [T, 128]
        let mut peaks = Vec::new();
        let pip_range = dsp::piptrack_range(sr, n_fft);
        let mut peak = vec![0.0f64; t_len * CONTRAST_BANDS];
        let mut valley = vec![0.0f64; t_len * CONTRAST_BANDS];
        let mut centroid = Vec::with_capacity(t_len);
        let mut bandwidth = Vec::with_capacity(t_len);
        let mut rolloff = Vec::with_capacity(t_len);
        let mut flatness = Vec::with_capacity(if extended { t_len } else { 0 });
        // [T, 1025], kept for chroma once the tuning is known.
        let power = self.plan.power_with(y, |t, p, mag| {
            self.mel.apply_frame(p, log_mel.row_mut(t));
            dsp::piptrack_frame(p, sr, n_fft, pip_range, &mut peaks);
            let r = t * CONTRAST_BANDS..(t + 1) * CONTRAST_BANDS;
            contrast_bands.frame(mag, &mut peak[r.clone()], &mut valley[r]);
            let (c, bw) = dsp::centroid_bandwidth_frame(mag, &self.freqs);
            centroid.push(c);
            bandwidth.push(bw);
            rolloff.push(dsp::rolloff_frame(mag, &self.freqs));
            if extended {
                flatness.push(dsp::flatness_frame(mag));
            }
        });
        // MFCC from the 128-band log-mel (librosa.feature.mfcc(y, sr, n_mfcc=13)).
        dsp::power_to_db_in_place(&mut log_mel.data, 1.0, Some(80.0));
        let mut mfcc = Matrix::zeros(t_len, SEED_MFCC);
        for t in 0..t_len {
            dsp::mfcc_frame(&self.dct, log_mel.row(t), mfcc.row_mut(t));
        }
        // chroma_stft: tuning from all frames' piptrack peaks, then the filterbank.
        let chroma_fb = self.chroma_filterbank(dsp::tuning_from_peaks(&peaks));
        let mut chroma = Matrix::zeros(t_len, 12);
        for t in 0..t_len {
            let (src, dst) = (power.row(t), &mut chroma.data[t * 12..(t + 1) * 12]);
            dsp::chroma_frame(&chroma_fb, src, dst);
        }
        drop(power);
        let contrast = dsp::contrast_from_extremes(peak, valley);
        let rms = dsp::rms(y, n_fft, hop);
        let zcr = dsp::zero_crossing_rate(y, n_fft, hop);

        let scalars = [&rms, &zcr, &centroid, &bandwidth, &rolloff];
        let mut out: Vec<f64> = Vec::with_capacity(if extended { 117 } else { 37 });
        out.extend(mfcc.col_means());
        out.extend(chroma.col_means());
        out.extend(contrast.col_means());
        out.extend(scalars.iter().map(|s| dsp::mean_std(s).0));
        if extended {
            out.extend(mfcc.col_stds());
            out.extend(chroma.col_stds());
            out.extend(contrast.col_stds());
            out.extend(scalars.iter().map(|s| dsp::mean_std(s).1));
            let delta = dsp::delta(&mfcc).expect("at least 9 frames checked above");
            out.extend(delta.col_means());
            out.extend(delta.col_stds());
            let (fm, fs) = dsp::mean_std(&flatness);
            let onset = dsp::onset_strength(&log_mel, n_fft, hop);
            let onset64: Vec<f64> = onset.iter().map(|&x| f64::from(x)).collect();
            let (om, os) = dsp::mean_std(&onset64);
            out.extend([fm, fs, om, os]);
            let ton = dsp::tonnetz(&chroma);
            out.extend(ton.col_means());
            out.extend(ton.col_stds());
            out.push(dsp::tempo(&onset, sr, hop));
        }
        Ok(Features {
            shape: vec![out.len()],
            data: out.into_iter().map(|v| v as f32).collect(),
        })
    }
}

/// Crops to the centre or pads at the end with `fill` to exactly `n` values.
pub fn fit_length(x: &[f32], n: usize, fill: f32) -> Vec<f32> {
    if x.len() >= n {
        let start = (x.len() - n) / 2;
        x[start..start + n].to_vec()
    } else {
        let mut v = Vec::with_capacity(n);
        v.extend_from_slice(x);
        v.resize(n, fill);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_set_sizes() {
        let mut cfg = AudioFeatureConfig::default();
        let n = feature_names(&cfg);
        assert_eq!(n.len(), 37);
        assert_eq!(n[0], "mfcc_mean_0");
        assert_eq!(n[13], "chroma_mean_0");
        assert_eq!(n[25], "contrast_mean_0");
        assert_eq!(
            &n[32..],
            [
                "rms_mean",
                "zcr_mean",
                "centroid_mean",
                "bandwidth_mean",
                "rolloff_mean"
            ]
        );
        cfg.set = FeatureSet::Extended;
        let e = feature_names(&cfg);
        assert_eq!(e.len(), 117);
        assert_eq!(&e[..37], &n[..]);
        assert_eq!(e.last().unwrap(), "tempo_bpm");
        let unique: std::collections::BTreeSet<_> = e.iter().collect();
        assert_eq!(unique.len(), e.len());
    }

    #[test]
    fn fit_length_crops_centre_and_pads_end() {
        assert_eq!(
            fit_length(&[1.0, 2.0, 3.0, 4.0, 5.0], 3, 0.0),
            vec![2.0, 3.0, 4.0]
        );
        assert_eq!(
            fit_length(&[1.0, 2.0, 3.0, 4.0], 3, 0.0),
            vec![1.0, 2.0, 3.0]
        );
        assert_eq!(fit_length(&[1.0], 3, -7.0), vec![1.0, -7.0, -7.0]);
    }
}
