//! The API sweeps and the CLI use: `extract_many` with the feature cache,
//! `features_command`, and the frame-level representations' shapes,
//! contents and fixed-length policy.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use mer_audio::{
    AudioError, AudioFeatureConfig, DecodeOptions, FeatureCache, FeatureSet, OnBadAudio,
    OutputFormat, decode, extract_file, extract_many, feature_names, features_command,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

/// Two good fixture clips and one non-audio file, in a temporary directory.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let bad = dir.join("lyrics.mp3");
    std::fs::write(&bad, b"not audio at all\n".repeat(20)).unwrap();
    vec![fixture("chords.wav"), bad, fixture("noise.wav")]
}

fn entries(cache_dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for sub in std::fs::read_dir(cache_dir).unwrap() {
        let sub = sub.unwrap().path();
        if sub.is_dir() {
            for e in std::fs::read_dir(&sub).unwrap() {
                v.push(e.unwrap().path());
            }
        }
    }
    v.sort();
    v
}

#[test]
fn extract_many_caches_and_a_second_pass_extracts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let paths = inputs(dir.path());
    let cache = FeatureCache::open(dir.path().join("cache")).unwrap();
    let cfg = AudioFeatureConfig::default();
    let calls = AtomicUsize::new(0);
    let progress = |n: usize| {
        calls.fetch_add(n, Ordering::SeqCst);
    };

    let (first, stats) = extract_many(&paths, &cfg, Some(&cache), &progress);
    assert_eq!(calls.load(Ordering::SeqCst), 3, "progress(1) per track");
    assert_eq!(
        (stats.hits, stats.misses, stats.written, stats.corrupt),
        (0, 3, 2, 0)
    );
    assert!(matches!(first[1], Err(AudioError::NotAudio { .. })));
    let direct = extract_file(&paths[0], &cfg).unwrap();
    assert_eq!(
        first[0].as_ref().unwrap(),
        &direct,
        "same code path as extract_file"
    );
    assert_eq!(entries(cache.dir()).len(), 2);

    let (second, stats) = extract_many(&paths, &cfg, Some(&cache), &progress);
    assert_eq!(
        (stats.hits, stats.misses, stats.written),
        (2, 1, 0),
        "only the bad file is retried"
    );
    assert_eq!(second[0].as_ref().unwrap(), first[0].as_ref().unwrap());
    assert_eq!(second[2].as_ref().unwrap(), first[2].as_ref().unwrap());

    // Another config is another extractor id: nothing is reused.
    let other = AudioFeatureConfig {
        duration_s: Some(1.0),
        ..Default::default()
    };
    let (_, stats) = extract_many(&paths, &other, Some(&cache), &progress);
    assert_eq!((stats.hits, stats.written), (0, 2));
}

#[test]
fn corrupt_or_half_written_entries_are_detected_and_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let paths = vec![fixture("chords.wav"), fixture("noise.wav")];
    let cache = FeatureCache::open(dir.path().join("cache")).unwrap();
    let cfg = AudioFeatureConfig::default();
    let (good, _) = extract_many(&paths, &cfg, Some(&cache), &|_| {});
    let files = entries(cache.dir());
    assert_eq!(files.len(), 2);
    // One entry with a flipped byte, one cut short (what a non-atomic writer
    // killed mid-write would leave).
    let mut b = std::fs::read(&files[0]).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x01;
    std::fs::write(&files[0], &b).unwrap();
    let b = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &b[..b.len() - 7]).unwrap();
    // A stray temporary file from a killed writer is not an entry.
    std::fs::write(files[0].with_file_name(".stray.123.0.tmp"), b"partial").unwrap();

    let (again, stats) = extract_many(&paths, &cfg, Some(&cache), &|_| {});
    assert_eq!(
        (stats.hits, stats.corrupt, stats.misses, stats.written),
        (0, 2, 2, 2)
    );
    for (a, g) in again.iter().zip(&good) {
        assert_eq!(a.as_ref().unwrap(), g.as_ref().unwrap());
    }
    let (_, stats) = extract_many(&paths, &cfg, Some(&cache), &|_| {});
    assert_eq!(
        (stats.hits, stats.corrupt),
        (2, 0),
        "the rewritten entries are whole"
    );
}

#[test]
fn features_command_prints_json_and_csv_through_extract_file() {
    let cfg = AudioFeatureConfig::default();
    let files = vec![fixture("chords.wav"), fixture("sweep.wav")];
    let names = feature_names(&cfg);

    let mut csv = Vec::new();
    let summary = features_command(&files, &cfg, OutputFormat::Csv, &mut csv).unwrap();
    assert_eq!(summary.written, 2);
    let text = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[0], "file");
    assert_eq!(
        &header[1..],
        names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
    );
    for (line, file) in lines[1..].iter().zip(&files) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], file.display().to_string());
        let expect = extract_file(file, &cfg).unwrap();
        let got: Vec<f32> = cells[1..].iter().map(|c| c.parse().unwrap()).collect();
        assert_eq!(got, expect.data, "CSV prints every f32 exactly");
    }

    let mut json = Vec::new();
    features_command(&files, &cfg, OutputFormat::Json, &mut json).unwrap();
    let text = String::from_utf8(json).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    let expect = extract_file(&files[1], &cfg).unwrap();
    assert_eq!(rows[1]["file"], files[1].display().to_string());
    assert_eq!(rows[1]["shape"], serde_json::json!([37]));
    for (name, v) in names.iter().zip(&expect.data) {
        assert_eq!(
            rows[1]["features"][name].as_f64().unwrap() as f32,
            *v,
            "{name}"
        );
    }
}

#[test]
fn features_command_csv_is_byte_identical_to_the_hand_written_writer() {
    // Paths that need quoting (a comma, quotes) and one that does not.
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("a \"live\", take 2.wav");
    std::fs::copy(fixture("chords.wav"), &odd).unwrap();
    let files = vec![odd, fixture("sweep.wav")];
    let cfg = AudioFeatureConfig::default();
    let mut out = Vec::new();
    features_command(&files, &cfg, OutputFormat::Csv, &mut out).unwrap();

    // What the writer before the `csv` crate printed, rebuilt by hand.
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut expect = format!("file,{}\n", feature_names(&cfg).join(","));
    for f in &files {
        let mut line = field(&f.display().to_string());
        for v in extract_file(f, &cfg).unwrap().data {
            line.push(',');
            line.push_str(&v.to_string());
        }
        expect.push_str(&line);
        expect.push('\n');
    }
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text, expect);
    assert!(text.contains("a \"\"live\"\", take 2.wav\","), "{text}");
}

#[test]
fn features_command_applies_the_bad_audio_policy() {
    let dir = tempfile::tempdir().unwrap();
    let files = inputs(dir.path());
    let mut cfg = AudioFeatureConfig::default();
    let mut out = Vec::new();
    let err = features_command(&files, &cfg, OutputFormat::Csv, &mut out).unwrap_err();
    assert!(err.to_string().contains("lyrics.mp3"), "{err}");
    assert!(out.is_empty(), "nothing is printed when the policy is fail");

    cfg.on_bad_audio = OnBadAudio::Skip;
    let summary = features_command(&files, &cfg, OutputFormat::Csv, &mut out).unwrap();
    assert_eq!(summary.written, 2);
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].path(), Some(files[1].as_path()));
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 3);

    let frame_level = AudioFeatureConfig {
        set: FeatureSet::Waveform { samples: 10 },
        ..Default::default()
    };
    let err = features_command(
        &files[..1],
        &frame_level,
        OutputFormat::Csv,
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("CSV output needs a track-level set"),
        "{err}"
    );
}

fn samples(file: &str) -> Vec<f32> {
    decode(
        &fixture(file),
        &DecodeOptions {
            sample_rate: 22050,
            offset_s: 0.0,
            duration_s: None,
        },
    )
    .unwrap()
    .samples
}

#[test]
fn waveform_is_centre_cropped_or_end_padded() {
    let y = samples("short.wav"); // 3000 samples
    let crop = AudioFeatureConfig {
        set: FeatureSet::Waveform { samples: 1000 },
        ..Default::default()
    };
    let f = extract_file(&fixture("short.wav"), &crop).unwrap();
    assert_eq!(f.shape, vec![1000]);
    assert_eq!(f.data, y[1000..2000]);
    let pad = AudioFeatureConfig {
        set: FeatureSet::Waveform { samples: 5000 },
        ..Default::default()
    };
    let f = extract_file(&fixture("short.wav"), &pad).unwrap();
    assert_eq!(&f.data[..3000], &y[..]);
    assert!(f.data[3000..].iter().all(|&x| x == 0.0));
}

#[test]
fn mfcc_sequence_matches_librosa_and_keeps_whole_frames() {
    let text = std::fs::read_to_string(fixture("librosa_features.json")).unwrap();
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    let feats = &r["clips"]["chords"]["features"];
    let t = feats["n_frames"].as_u64().unwrap() as usize;
    let cfg = |frames| AudioFeatureConfig {
        set: FeatureSet::MfccSequence {
            n_mfcc: 13,
            deltas: true,
            frames,
        },
        ..Default::default()
    };
    let full = extract_file(&fixture("chords.wav"), &cfg(t)).unwrap();
    assert_eq!(full.shape, vec![t, 26]);
    // librosa's [13][frames] MFCC and deltas against our [frames][26].
    for (key, offset) in [("mfcc", 0), ("mfcc_delta", 13)] {
        for (d, row) in feats["frames"][key].as_array().unwrap().iter().enumerate() {
            for (i, v) in row.as_array().unwrap().iter().enumerate() {
                let (a, e) = (
                    f64::from(full.data[i * 26 + offset + d]),
                    v.as_f64().unwrap(),
                );
                assert!(
                    (a - e).abs() <= 1e-3 * e.abs() || (a - e).abs() <= 1e-2,
                    "{key}[{d}][{i}]: {a} vs {e}"
                );
            }
        }
    }
    // Centre crop by whole frames; zero frames appended when too short.
    let crop = extract_file(&fixture("chords.wav"), &cfg(t - 10)).unwrap();
    assert_eq!(crop.shape, vec![t - 10, 26]);
    assert_eq!(crop.data, full.data[5 * 26..(t - 5) * 26]);
    let pad = extract_file(&fixture("chords.wav"), &cfg(t + 4)).unwrap();
    assert_eq!(&pad.data[..t * 26], &full.data[..]);
    assert!(pad.data[t * 26..].iter().all(|&x| x == 0.0));
}

#[test]
fn log_mel_is_padded_with_the_clip_floor() {
    let cfg = AudioFeatureConfig {
        set: FeatureSet::LogMel {
            n_mels: 40,
            frames: 20,
        },
        ..Default::default()
    };
    // short.wav has 6 frames: 14 frames of padding per band.
    let f = extract_file(&fixture("short.wav"), &cfg).unwrap();
    assert_eq!(f.shape, vec![40, 20]);
    let floor = f.data.iter().fold(f32::INFINITY, |m, &x| m.min(x));
    let max = f.data.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    assert!(max - floor <= 80.0 + 1e-3, "top_db = 80");
    for band in f.data.chunks(20) {
        assert!(
            band[6..].iter().all(|&x| x == floor),
            "padding is the dB floor"
        );
    }
}
