//! Parity of the audio front end with librosa 0.11.
//!
//! The reference is `tests/fixtures/audio/librosa_features.json`, written by
//! `tools/librosa_fixtures.py` (it records the librosa version it used) from
//! the committed clips. Tolerance, as the audio issue states it: relative
//! error at most 1e-3, or absolute error at most 1e-2 for dB quantities
//! (MFCC, their deltas, spectral contrast, log-mel, onset strength, which is
//! a mean of dB differences) near zero; tonnetz values, bounded by 1 and
//! near zero only through cancellation, may differ by 1e-6 absolute.

use std::path::{Path, PathBuf};

use mer_audio::dsp::{self, Matrix};
use mer_audio::{AudioFeatureConfig, DecodeOptions, FeatureSet, decode, extract_file};
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("librosa_features.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// `[dims][frames]` from the JSON -> `[frames, dims]` values.
fn frames_2d(v: &Value) -> Matrix {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(floats).collect();
    let dims = rows.len();
    let t = rows[0].len();
    let mut m = Matrix::zeros(t, dims);
    for (d, row) in rows.iter().enumerate() {
        for (i, &x) in row.iter().enumerate() {
            m.data[i * dims + d] = x as f32;
        }
    }
    m
}

/// How values are compared.
#[derive(Clone, Copy)]
enum Tol {
    /// Relative 1e-3.
    Rel,
    /// Relative 1e-3, or absolute 1e-2 (dB quantities).
    Db,
    /// Relative 1e-3, or absolute 1e-6: quantities bounded by 1 in magnitude
    /// whose values near zero come from cancellation (tonnetz), where 1e-6 is
    /// the resolution of the float32 chroma they are computed from.
    Unit,
}

/// Collects every mismatch so a failure shows all of them at once.
#[derive(Default)]
struct Report {
    checked: usize,
    failures: Vec<String>,
}

impl Report {
    fn check(&mut self, what: &str, actual: f64, expected: f64, tol: Tol) {
        self.checked += 1;
        let err = (actual - expected).abs();
        let ok = err <= 1e-3 * expected.abs()
            || matches!(tol, Tol::Db) && err <= 1e-2
            || matches!(tol, Tol::Unit) && err <= 1e-6
            || actual == expected;
        if !ok {
            self.failures.push(format!(
                "{what}: got {actual}, librosa {expected} (|diff| {err:.3e})"
            ));
        }
    }

    fn series(&mut self, what: &str, actual: &[f64], expected: &[f64], tol: Tol) {
        assert_eq!(actual.len(), expected.len(), "{what}: length");
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            self.check(&format!("{what}[{i}]"), a, e, tol);
        }
    }

    fn matrix(&mut self, what: &str, actual: &Matrix, expected: &Matrix, tol: Tol) {
        assert_eq!(
            (actual.rows, actual.cols),
            (expected.rows, expected.cols),
            "{what}: shape"
        );
        for t in 0..actual.rows {
            for d in 0..actual.cols {
                let (a, e) = (
                    actual.data[t * actual.cols + d],
                    expected.data[t * actual.cols + d],
                );
                self.check(
                    &format!("{what}[frame {t}, dim {d}]"),
                    f64::from(a),
                    f64::from(e),
                    tol,
                );
            }
        }
    }

    fn assert_clean(self, context: &str) {
        assert!(self.checked > 0, "{context}: nothing compared");
        let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
        for f in &self.failures {
            let kind = f.split(['[', ':']).next().unwrap_or("").to_string();
            *by_kind.entry(kind).or_default() += 1;
        }
        eprintln!("{context}: failures by kind: {by_kind:?}");
        assert!(
            self.failures.is_empty(),
            "{context}: {} of {} values outside tolerance:\n{}",
            self.failures.len(),
            self.checked,
            self.failures
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

fn decode_at(file: &str, sr: u32) -> Vec<f32> {
    decode(
        &fixture_dir().join(file),
        &DecodeOptions {
            sample_rate: sr,
            offset_s: 0.0,
            duration_s: None,
        },
    )
    .unwrap()
    .samples
}

/// Compares every per-frame feature and scalar of one clip.
fn compare_frames(report: &mut Report, name: &str, y: &[f32], sr: u32, feats: &Value) {
    let srf = f64::from(sr);
    let (n_fft, hop) = (dsp::N_FFT, dsp::HOP);
    let fr = &feats["frames"];
    let power = dsp::StftPlan::new(n_fft, hop).power(y);
    let mag = dsp::magnitude(&power);
    assert_eq!(
        power.rows as u64,
        feats["n_frames"].as_u64().unwrap(),
        "{name}: frame count"
    );

    let mut mel = dsp::MelFilterbank::new(srf, n_fft, 128).apply(&power);
    dsp::power_to_db_in_place(&mut mel.data, 1.0, Some(80.0));
    let mfcc = dsp::mfcc(&mel, 13);
    report.matrix(
        &format!("{name} mfcc"),
        &mfcc,
        &frames_2d(&fr["mfcc"]),
        Tol::Db,
    );
    if let Some(d) = fr.get("mfcc_delta") {
        report.matrix(
            &format!("{name} mfcc_delta"),
            &dsp::delta(&mfcc).unwrap(),
            &frames_2d(d),
            Tol::Db,
        );
    }
    let tuning = dsp::estimate_tuning(&power, srf, n_fft);
    report.check(
        &format!("{name} tuning"),
        tuning,
        feats["tuning"].as_f64().unwrap(),
        Tol::Rel,
    );
    let chroma = dsp::chroma_stft(&power, srf, n_fft, None);
    report.matrix(
        &format!("{name} chroma"),
        &chroma,
        &frames_2d(&fr["chroma"]),
        Tol::Rel,
    );
    report.matrix(
        &format!("{name} tonnetz"),
        &dsp::tonnetz(&chroma),
        &frames_2d(&fr["tonnetz"]),
        Tol::Unit,
    );
    let contrast = dsp::spectral_contrast(&mag, srf, n_fft).unwrap();
    report.matrix(
        &format!("{name} contrast"),
        &contrast,
        &frames_2d(&fr["contrast"]),
        Tol::Db,
    );
    report.series(
        &format!("{name} rms"),
        &dsp::rms(y, n_fft, hop),
        &floats(&fr["rms"]),
        Tol::Rel,
    );
    report.series(
        &format!("{name} zcr"),
        &dsp::zero_crossing_rate(y, n_fft, hop),
        &floats(&fr["zcr"]),
        Tol::Rel,
    );
    report.series(
        &format!("{name} centroid"),
        &dsp::spectral_centroid(&mag, srf, n_fft),
        &floats(&fr["centroid"]),
        Tol::Rel,
    );
    report.series(
        &format!("{name} bandwidth"),
        &dsp::spectral_bandwidth(&mag, srf, n_fft),
        &floats(&fr["bandwidth"]),
        Tol::Rel,
    );
    report.series(
        &format!("{name} rolloff"),
        &dsp::spectral_rolloff(&mag, srf, n_fft),
        &floats(&fr["rolloff"]),
        Tol::Rel,
    );
    report.series(
        &format!("{name} flatness"),
        &dsp::spectral_flatness(&mag),
        &floats(&fr["flatness"]),
        Tol::Rel,
    );
    let onset = dsp::onset_strength(&mel, n_fft, hop);
    let onset64: Vec<f64> = onset.iter().map(|&x| f64::from(x)).collect();
    report.series(
        &format!("{name} onset_strength"),
        &onset64,
        &floats(&fr["onset_strength"]),
        Tol::Db,
    );
    report.check(
        &format!("{name} tempo"),
        dsp::tempo(&onset, srf, hop),
        feats["tempo"].as_f64().unwrap(),
        Tol::Rel,
    );
}

fn compare_sets(report: &mut Report, name: &str, file: &str, sr: u32, feats: &Value) {
    let names_of = |cfg: &AudioFeatureConfig| mer_audio::feature_names(cfg);
    let mut cfg = AudioFeatureConfig {
        sample_rate: sr,
        ..Default::default()
    };
    for (set, key) in [
        (FeatureSet::Seed37, "seed37"),
        (FeatureSet::Extended, "extended"),
    ] {
        let Some(expected) = feats.get(key) else {
            continue;
        };
        cfg.set = set;
        let got = extract_file(&fixture_dir().join(file), &cfg).unwrap();
        let expected = floats(expected);
        assert_eq!(got.data.len(), expected.len(), "{name} {key}: length");
        for ((n, &a), &e) in names_of(&cfg).iter().zip(&got.data).zip(&expected) {
            let tol =
                if n.starts_with("mfcc") || n.starts_with("contrast") || n.starts_with("onset") {
                    Tol::Db
                } else if n.starts_with("tonnetz") {
                    Tol::Unit
                } else {
                    Tol::Rel
                };
            report.check(&format!("{name} {key} {n}"), f64::from(a), e, tol);
        }
    }
}

const NATIVE_22050: [&str; 6] = ["chords", "noise", "clicks", "gaps", "sweep", "short"];

#[test]
fn fixture_records_librosa_0_11() {
    let r = reference();
    let v = r["versions"]["librosa"].as_str().unwrap();
    assert!(v.starts_with("0.11."), "fixture made with librosa {v}");
}

#[test]
fn decoded_pcm_matches_soundfile() {
    let r = reference();
    let mut report = Report::default();
    for (key, clip) in r["clips"].as_object().unwrap() {
        if key.ends_with("_ogg") || key.ends_with("_mp3") {
            continue; // lossy decoders differ; checked by lossy_formats_match_within_codec_noise
        }
        let sr = clip["sample_rate"].as_u64().unwrap() as u32;
        let y = decode_at(clip["file"].as_str().unwrap(), sr);
        let head: Vec<f64> = y[..16].iter().map(|&x| f64::from(x)).collect();
        report.series(
            &format!("{key} head"),
            &head,
            &floats(&clip["pcm_head"]),
            Tol::Rel,
        );
        let sum: f64 = y.iter().map(|&x| f64::from(x)).sum();
        let sum_sq: f64 = y.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        let want = clip["pcm_sum"].as_f64().unwrap();
        assert!(
            (sum - want).abs() < 1e-6 * want.abs().max(1.0),
            "{key}: sum {sum}, soundfile {want}"
        );
        report.check(
            &format!("{key} sum of squares"),
            sum_sq,
            clip["pcm_sum_sq"].as_f64().unwrap(),
            Tol::Rel,
        );
        assert_eq!(
            y.len() as u64,
            clip["features"]["n_samples"].as_u64().unwrap(),
            "{key}: length"
        );
    }
    report.assert_clean("decoded PCM");
}

#[test]
fn per_frame_features_match_librosa() {
    let r = reference();
    let mut report = Report::default();
    for name in NATIVE_22050.iter().chain(&["gaps_flac"]) {
        let clip = &r["clips"][name];
        let y = decode_at(clip["file"].as_str().unwrap(), 22050);
        compare_frames(&mut report, name, &y, 22050, &clip["features"]);
    }
    report.assert_clean("per-frame features at 22050 Hz");
}

#[test]
fn stereo_44k_features_match_librosa_at_native_rate() {
    let r = reference();
    let clip = &r["clips"]["stereo44k"];
    let mut report = Report::default();
    let y = decode_at("stereo44k.wav", 44100);
    compare_frames(&mut report, "stereo44k", &y, 44100, &clip["features"]);
    compare_sets(
        &mut report,
        "stereo44k",
        "stereo44k.wav",
        44100,
        &clip["features"],
    );
    report.assert_clean("stereo 44.1 kHz at its native rate");
}

#[test]
fn feature_sets_match_librosa() {
    let r = reference();
    let mut report = Report::default();
    for name in NATIVE_22050.iter().chain(&["gaps_flac"]) {
        let clip = &r["clips"][name];
        compare_sets(
            &mut report,
            name,
            clip["file"].as_str().unwrap(),
            22050,
            &clip["features"],
        );
    }
    report.assert_clean("seed37 / extended at 22050 Hz");
}

#[test]
fn log_mel_patch_matches_librosa() {
    let r = reference();
    let expected = frames_2d(&r["clips"]["noise"]["log_mel"]); // [frames, mels]
    let cfg = AudioFeatureConfig {
        set: FeatureSet::LogMel {
            n_mels: 128,
            frames: expected.rows,
        },
        ..Default::default()
    };
    let got = extract_file(&fixture_dir().join("noise.wav"), &cfg).unwrap();
    assert_eq!(got.shape, vec![128, expected.rows]);
    let got = Matrix {
        rows: 128,
        cols: expected.rows,
        data: got.data,
    }
    .transpose();
    let mut report = Report::default();
    report.matrix("noise log-mel", &got, &expected, Tol::Db);
    report.assert_clean("log-mel patch");
}

/// Largest relative deviation of the seed37 / extended vectors (dB features
/// measured against max(|value|, 1 dB)), for the looser comparisons below.
fn worst_deviation(file: &str, sr: u32, feats: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (set, key) in [
        (FeatureSet::Seed37, "seed37"),
        (FeatureSet::Extended, "extended"),
    ] {
        let Some(expected) = feats.get(key) else {
            continue;
        };
        let cfg = AudioFeatureConfig {
            sample_rate: sr,
            set,
            ..Default::default()
        };
        let got = extract_file(&fixture_dir().join(file), &cfg).unwrap();
        for ((n, &a), e) in mer_audio::feature_names(&cfg)
            .iter()
            .zip(&got.data)
            .zip(floats(expected))
        {
            let scale =
                if n.starts_with("mfcc") || n.starts_with("contrast") || n.starts_with("onset") {
                    e.abs().max(1.0)
                } else if n.starts_with("tonnetz") {
                    e.abs().max(0.01)
                } else {
                    e.abs().max(1e-6)
                };
            out.push((format!("{key} {n}"), (f64::from(a) - e).abs() / scale));
        }
    }
    out
}

#[test]
fn lossy_formats_match_librosa_within_codec_differences() {
    // The reference decoded chords.ogg / chords.mp3 with libsndfile (libvorbis,
    // mpg123); we decode with symphonia. The decoders differ only in the
    // low-level floor of the top bands, so every feature stays within 5%
    // (dB features: of max(|value|, 1 dB)) and the typical one within 1e-4.
    let r = reference();
    for (file, key) in [("chords.ogg", "chords_ogg"), ("chords.mp3", "chords_mp3")] {
        let mut d = worst_deviation(file, 22050, &r["clips"][key]["features"]);
        d.sort_by(|a, b| b.1.total_cmp(&a.1));
        let median = d[d.len() / 2].1;
        assert!(median < 1e-4, "{file}: median deviation {median:.2e}");
        assert!(
            d[0].1 < 0.05,
            "{file}: {} deviates by {:.3}",
            d[0].0,
            d[0].1
        );
    }
}

#[test]
fn resampled_features_stay_close_to_librosa_soxr() {
    // librosa.load(sr=22050) resamples with soxr_hq (flat to 0.913 of the
    // output Nyquist, fully attenuated at it); rubato's FFT resampler cuts
    // off at about 0.97 with a narrower transition. The two signals agree to
    // better than 40 dB SNR (audio_decode.rs), but features that look at
    // the top band (contrast band 6, flatness, the highest mel bands inside
    // MFCCs) see the different transition bands: the typical feature agrees
    // to 2e-3, the worst to 25% (dB features: of max(|value|, 1 dB)). Exact
    // parity needs the same PCM: analyse at the native rate
    // (stereo_44k_features_match_librosa_at_native_rate) or resample first.
    let r = reference();
    let mut d = worst_deviation(
        "stereo44k.wav",
        22050,
        &r["clips"]["stereo44k"]["resampled"]["features"],
    );
    d.sort_by(|a, b| b.1.total_cmp(&a.1));
    let median = d[d.len() / 2].1;
    assert!(median < 2e-3, "median deviation {median:.2e}");
    assert!(d[0].1 < 0.25, "{} deviates by {:.3}", d[0].0, d[0].1);
}
