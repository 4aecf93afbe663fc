//! Decoding: every WAV sample format, AU, FLAC/Ogg/MP3, mono mixing,
//! cropping, resampling, and an error naming the file and the cause for each
//! kind of bad input. The bad files are generated here.

use std::path::{Path, PathBuf};

use mer_audio::{AudioError, AudioFeatureConfig, DecodeOptions, decode, extract_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

fn opts(sr: u32) -> DecodeOptions {
    DecodeOptions {
        sample_rate: sr,
        offset_s: 0.0,
        duration_s: None,
    }
}

/// A deterministic test signal in [-0.9, 0.9].
fn signal(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.9 * (i as f64 * 0.05).sin() * ((i % 7) as f64 / 7.0 + 0.1).min(1.0))
        .collect()
}

fn write_wav(path: &Path, spec: hound::WavSpec, frames: &[Vec<f64>]) -> Vec<Vec<f32>> {
    // Returns the exact f32 values a reader must produce per channel.
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut expect = vec![Vec::new(); spec.channels as usize];
    for frame in frames {
        for (c, &x) in frame.iter().enumerate() {
            match (spec.sample_format, spec.bits_per_sample) {
                (hound::SampleFormat::Float, _) => {
                    w.write_sample(x as f32).unwrap();
                    expect[c].push(x as f32);
                }
                (hound::SampleFormat::Int, bits) => {
                    let full = (1i64 << (bits - 1)) as f64;
                    let q = (x * full).round() as i64;
                    let q = q.clamp(-(full as i64), full as i64 - 1) as i32;
                    if bits == 8 {
                        w.write_sample(q as i8).unwrap();
                    } else if bits == 16 {
                        w.write_sample(q as i16).unwrap();
                    } else {
                        w.write_sample(q).unwrap();
                    }
                    expect[c].push((f64::from(q) / full) as f32);
                }
            }
        }
    }
    w.finalize().unwrap();
    expect
}

fn spec(channels: u16, bits: u16, float: bool) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: 22050,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    }
}

#[test]
fn every_wav_sample_format_decodes_to_libsndfile_scaling() {
    let dir = tempfile::tempdir().unwrap();
    let sig = signal(3000);
    for (bits, float) in [
        (8, false),
        (16, false),
        (24, false),
        (32, false),
        (32, true),
    ] {
        let path = dir
            .path()
            .join(format!("s{bits}{}.wav", if float { "f" } else { "" }));
        let frames: Vec<Vec<f64>> = sig.iter().map(|&x| vec![x]).collect();
        let expect = write_wav(&path, spec(1, bits, float), &frames);
        let got = decode(&path, &opts(22050)).unwrap();
        assert_eq!(got.samples, expect[0], "{bits}-bit float={float}");
        assert_eq!((got.native_rate, got.channels), (22050, 1));
    }
}

#[test]
fn stereo_is_mixed_by_channel_mean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stereo.wav");
    let sig = signal(2000);
    let frames: Vec<Vec<f64>> = sig.iter().map(|&x| vec![x, -0.5 * x + 0.1]).collect();
    let expect = write_wav(&path, spec(2, 16, false), &frames);
    let got = decode(&path, &opts(22050)).unwrap();
    let mean: Vec<f32> = expect[0]
        .iter()
        .zip(&expect[1])
        .map(|(a, b)| (a + b) / 2.0)
        .collect();
    assert_eq!(got.samples, mean);
    assert_eq!(got.channels, 2);
}

#[test]
fn offset_and_duration_crop_at_the_native_rate() {
    let full = decode(&fixture("chords.wav"), &opts(22050))
        .unwrap()
        .samples;
    let crop = decode(
        &fixture("chords.wav"),
        &DecodeOptions {
            sample_rate: 22050,
            offset_s: 0.5,
            duration_s: Some(1.0),
        },
    )
    .unwrap()
    .samples;
    assert_eq!(crop, full[11025..33075]);
    // A duration past the end keeps what is there.
    let tail = decode(
        &fixture("chords.wav"),
        &DecodeOptions {
            sample_rate: 22050,
            offset_s: 1.5,
            duration_s: Some(10.0),
        },
    )
    .unwrap()
    .samples;
    assert_eq!(tail, full[33075..]);
    let err = decode(
        &fixture("chords.wav"),
        &DecodeOptions {
            sample_rate: 22050,
            offset_s: 5.0,
            duration_s: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, AudioError::OffsetBeyondEnd { .. }), "{err}");
    assert!(
        err.to_string().contains("chords.wav") && err.to_string().contains("offset_s = 5"),
        "{err}"
    );
}

#[test]
fn resampling_44k_to_22k_matches_soxr_hq() {
    // librosa.load(sr=22050) of the same file (soxr_hq), stored as float WAV.
    let reference = decode(&fixture("stereo44k_soxr22050.wav"), &opts(22050))
        .unwrap()
        .samples;
    let ours = decode(&fixture("stereo44k.wav"), &opts(22050)).unwrap();
    assert_eq!((ours.native_rate, ours.channels), (44100, 2));
    assert_eq!(
        ours.samples.len(),
        reference.len(),
        "ceil(n * 22050 / 44100) samples"
    );
    // Two linear-phase resamplers with slightly different transition bands:
    // compare away from the edges, where the two filters' start-up differs.
    let edge = 256;
    let (a, b) = (
        &ours.samples[edge..reference.len() - edge],
        &reference[edge..reference.len() - edge],
    );
    let err: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let sig: f64 = b.iter().map(|y| f64::from(*y).powi(2)).sum();
    let snr_db = 10.0 * (sig / err).log10();
    assert!(
        snr_db > 40.0,
        "resampled signal differs from soxr_hq: SNR {snr_db:.1} dB"
    );
}

#[test]
fn flac_decodes_to_the_wav_within_one_quantisation_step() {
    // libsndfile quantised the same float signal to 16 bits for both files
    // (its FLAC path rounds differently by one step); the exact PCM check
    // against soundfile's decode of the FLAC is in audio_parity.rs.
    let wav = decode(&fixture("gaps.wav"), &opts(22050)).unwrap().samples;
    let flac = decode(&fixture("gaps.flac"), &opts(22050)).unwrap().samples;
    assert_eq!(flac.len(), wav.len());
    let max_diff = flac
        .iter()
        .zip(&wav)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(max_diff <= 1.0 / 32768.0, "max difference {max_diff}");
}

#[test]
fn lossy_formats_decode_close_to_the_source() {
    let wav = decode(&fixture("chords.wav"), &opts(22050))
        .unwrap()
        .samples;
    for file in ["chords.ogg", "chords.mp3"] {
        let d = decode(&fixture(file), &opts(22050)).unwrap();
        assert_eq!((d.native_rate, d.channels), (22050, 1), "{file}");
        // Gapless decoding: the length is the source's, within one codec frame.
        let diff = d.samples.len().abs_diff(wav.len());
        assert!(
            diff <= 1152,
            "{file}: {} samples, source {}",
            d.samples.len(),
            wav.len()
        );
        let rms = |v: &[f32]| {
            (v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
        };
        let (a, b) = (rms(&d.samples), rms(&wav));
        assert!((a / b - 1.0).abs() < 0.05, "{file}: RMS {a} vs source {b}");
    }
}

#[test]
fn au_files_decode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blues.00000.au");
    let sig: Vec<i16> = signal(1000).iter().map(|&x| (x * 32767.0) as i16).collect();
    let mut b = Vec::new();
    b.extend_from_slice(b".snd");
    for w in [24u32, (sig.len() * 2) as u32, 3, 22050, 1] {
        b.extend_from_slice(&w.to_be_bytes());
    }
    for s in &sig {
        b.extend_from_slice(&s.to_be_bytes());
    }
    std::fs::write(&path, &b).unwrap();
    let got = decode(&path, &opts(22050)).unwrap();
    let expect: Vec<f32> = sig.iter().map(|&s| f32::from(s) / 32768.0).collect();
    assert_eq!(got.samples, expect);

    // The header promises more data than the file holds.
    std::fs::write(&path, &b[..b.len() - 100]).unwrap();
    let err = decode(&path, &opts(22050)).unwrap_err();
    assert!(matches!(err, AudioError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("blues.00000.au"), "{err}");
}

/// Decodes `bytes` written to `name` and returns the error.
fn error_for(name: &str, bytes: &[u8]) -> AudioError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let err = match decode(&path, &opts(22050)) {
        Ok(d) => panic!(
            "{name}: decoded {} samples instead of failing",
            d.samples.len()
        ),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(msg.contains(name), "the message must name the file: {msg}");
    assert_eq!(err.path(), Some(path.as_path()));
    err
}

fn wav_bytes(spec: hound::WavSpec, n: usize, value: f64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.wav");
    let frames: Vec<Vec<f64>> = (0..n)
        .map(|i| vec![value * (i as f64 * 0.1).sin(); spec.channels as usize])
        .collect();
    write_wav(&path, spec, &frames);
    std::fs::read(&path).unwrap()
}

#[test]
fn empty_file_is_reported() {
    let err = error_for("empty.wav", b"");
    assert!(matches!(err, AudioError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("empty (0 bytes)"));
}

#[test]
fn zero_length_wav_is_reported() {
    let err = error_for("zero.wav", &wav_bytes(spec(1, 16, false), 0, 0.5));
    assert!(matches!(err, AudioError::NoFrames { .. }), "{err}");
}

#[test]
fn silent_wav_is_reported() {
    let err = error_for("silence.wav", &wav_bytes(spec(2, 16, false), 22050, 0.0));
    assert!(matches!(err, AudioError::Silent { .. }), "{err}");
    assert!(err.to_string().contains("silent"));
}

#[test]
fn truncated_wav_is_reported() {
    let b = wav_bytes(spec(1, 16, false), 5000, 0.5);
    let err = error_for("cut.wav", &b[..b.len() / 2]);
    match &err {
        AudioError::Truncated {
            expected, found, ..
        } => {
            assert_eq!(*expected, 5000);
            assert!(*found < 5000);
        }
        other => panic!("expected Truncated, got {other}"),
    }
}

/// Byte offset of the `data` chunk's id in a WAV file.
fn data_chunk(b: &[u8]) -> usize {
    b.windows(4)
        .position(|w| w == b"data")
        .expect("a data chunk")
}

/// A 32-bit float WAV of `n` frames whose frame `at` is `bad` (NaN or an
/// infinity), the rest a tone.
fn float_wav_with(n: usize, at: usize, bad: f32) -> Vec<u8> {
    let mut b = wav_bytes(spec(1, 32, true), n, 0.5);
    // Little-endian f32 samples after the data chunk's id and size.
    let i = data_chunk(&b) + 8 + 4 * at;
    b[i..i + 4].copy_from_slice(&bad.to_le_bytes());
    b
}

#[test]
fn nan_samples_are_rejected_with_the_file_and_the_time() {
    for (bad, name) in [(f32::NAN, "nan.wav"), (f32::INFINITY, "inf.wav")] {
        let err = error_for(name, &float_wav_with(22050, 11025, bad));
        match &err {
            AudioError::NonFinite { at_s, .. } => assert!((at_s - 0.5).abs() < 1e-9, "{err}"),
            other => panic!("{name}: expected NonFinite, got {other}"),
        }
        assert!(err.to_string().contains("non-finite"), "{err}");
    }
    // Outside the cropped window it is still a broken file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late-nan.wav");
    std::fs::write(&path, float_wav_with(22050, 22000, f32::NAN)).unwrap();
    let o = DecodeOptions {
        duration_s: Some(0.1),
        ..opts(22050)
    };
    assert!(matches!(
        decode(&path, &o),
        Err(AudioError::NonFinite { .. })
    ));
}

#[test]
fn a_header_announcing_more_than_the_file_holds_is_truncated_not_an_allocation() {
    let mut b = wav_bytes(spec(1, 16, false), 22050, 0.5);
    // Claim 2 GiB of samples in the data chunk (and the RIFF size) of a
    // one-second file: the decoder must reserve by the file, not the header.
    let claim: u32 = 0x7fff_fff0;
    let size_at = data_chunk(&b) + 4;
    b[size_at..size_at + 4].copy_from_slice(&claim.to_le_bytes());
    b[4..8].copy_from_slice(&(claim + 36).to_le_bytes());
    let err = error_for("liar.wav", &b);
    match &err {
        AudioError::Truncated {
            expected, found, ..
        } => {
            assert_eq!(*expected, u64::from(claim / 2));
            assert_eq!(*found, 22050);
        }
        other => panic!("expected Truncated, got {other}"),
    }
}

/// A WAV of `n` 64-bit float samples, written by hand (hound writes none).
fn float64_wav(n: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..n)
        .flat_map(|i| (0.5 * (i as f64 * 0.1).sin()).to_le_bytes())
        .collect();
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&22050u32.to_le_bytes());
    b.extend_from_slice(&(22050u32 * 8).to_le_bytes());
    b.extend_from_slice(&8u16.to_le_bytes()); // block align
    b.extend_from_slice(&64u16.to_le_bytes()); // bits
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    b
}

#[test]
fn a_64_bit_float_wav_is_unsupported_with_the_conversion_to_run() {
    let err = error_for("double.wav", &float64_wav(4410));
    match &err {
        AudioError::Unsupported { reason, .. } => {
            assert!(reason.contains("64-bit float"), "{err}");
            assert!(reason.contains("pcm_f32le"), "{err}");
        }
        other => panic!("expected Unsupported, got {other}"),
    }
}

#[test]
fn corrupt_wav_header_is_reported() {
    let mut b = wav_bytes(spec(1, 16, false), 1000, 0.5);
    // Overwrite the fmt chunk's id and size with junk.
    b[12..20].copy_from_slice(b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8");
    let err = error_for("badheader.wav", &b);
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
}

#[test]
fn non_audio_files_are_reported() {
    for (name, bytes) in [
        ("notes.mp3", b"These are lyrics, not audio.\n".repeat(50)),
        ("cover.flac", {
            let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
            v.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
            v
        }),
        (
            "random.ogg",
            (0..10_000u32)
                .map(|i| (i.wrapping_mul(2246822519) >> 11) as u8)
                .collect(),
        ),
    ] {
        let err = error_for(name, &bytes);
        assert!(matches!(err, AudioError::NotAudio { .. }), "{name}: {err}");
    }
}

#[test]
fn truncated_compressed_files_are_reported() {
    for file in ["gaps.flac", "chords.ogg", "chords.mp3"] {
        let b = std::fs::read(fixture(file)).unwrap();
        let name = format!("cut_{file}");
        let err = error_for(&name, &b[..b.len() / 2]);
        assert!(
            matches!(
                err,
                AudioError::Truncated { .. } | AudioError::Corrupt { .. }
            ),
            "{file}: {err}"
        );
    }
}

#[test]
fn corrupted_compressed_files_are_reported() {
    for file in ["gaps.flac", "chords.ogg", "chords.mp3"] {
        let mut b = std::fs::read(fixture(file)).unwrap();
        let mid = b.len() / 2;
        for (i, x) in b[mid..mid + 200].iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(37) ^ 0x5a;
        }
        let name = format!("garbled_{file}");
        let err = error_for(&name, &b);
        assert!(
            matches!(
                err,
                AudioError::Corrupt { .. } | AudioError::Truncated { .. }
            ),
            "{file}: {err}"
        );
    }
}

#[test]
fn extract_file_reports_the_file_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.wav");
    let err = extract_file(&path, &AudioFeatureConfig::default()).unwrap_err();
    assert!(matches!(err, AudioError::Io { .. }), "{err}");
    assert!(err.to_string().contains("missing.wav"));
    // The extended set needs 9 frames for its deltas.
    let short = dir.path().join("short.wav");
    std::fs::write(&short, wav_bytes(spec(1, 16, false), 2000, 0.5)).unwrap();
    let cfg = AudioFeatureConfig {
        set: mer_audio::FeatureSet::Extended,
        ..Default::default()
    };
    let err = extract_file(&short, &cfg).unwrap_err();
    assert!(matches!(err, AudioError::TooShort { .. }), "{err}");
    assert!(err.to_string().contains("short.wav"), "{err}");
}
