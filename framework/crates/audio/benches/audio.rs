//! Audio front-end benchmark (harness = false; prints figures).
//!
//! `cargo bench -p mer-audio --bench audio` times `seed37` (and `extended`) on a
//! 30 s, 22.05 kHz clip on ONE thread, decoding excluded, after warm-up,
//! and prints the median per clip. The clip is written to
//! `target/bench/clip30.wav` (a deterministic mix of chords, clicks and
//! noise) unless `MER_BENCH_CLIP` names another file; compare with
//! `python3 tools/librosa_bench.py` on the same file.
//!
//! `cargo bench -p mer-audio --bench audio -- --many 1000` instead extracts
//! `seed37` for 1000 clips (the same file listed 1000 times, no cache) with
//! `extract_many` on all cores and prints the wall time and the process's
//! peak resident memory (VmHWM).

use std::path::{Path, PathBuf};
use std::time::Instant;

use mer_audio::{AudioFeatureConfig, DecodeOptions, Extractor, FeatureSet, decode, extract_many};

const SR: u32 = 22050;

fn clip_path() -> PathBuf {
    if let Ok(p) = std::env::var("MER_BENCH_CLIP") {
        return PathBuf::from(p);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../target/bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let path = dir.join("clip30.wav");
    if !path.exists() {
        write_clip(&path);
    }
    path
}

/// 30 s of triads changing every 2 s, clicks at 96 BPM and a little noise,
/// from a fixed linear congruential generator (no dependence on rand's
/// algorithm versions).
fn write_clip(path: &Path) {
    let n = 30 * SR as usize;
    let mut state: u64 = 0x5eed_0037;
    let mut noise = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) - 1.0
    };
    let triads = [
        [261.63, 329.63, 392.0],
        [220.0, 261.63, 329.63],
        [174.61, 220.0, 261.63],
        [196.0, 246.94, 293.66],
    ];
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SR,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create clip");
    let beat = (60.0 / 96.0 * f64::from(SR)) as usize;
    for i in 0..n {
        let t = i as f64 / f64::from(SR);
        let chord = &triads[(i / (2 * SR as usize)) % 4];
        let mut x = 0.0;
        for &f in chord {
            for h in 1..=4 {
                x += 0.06 / h as f64 * (2.0 * std::f64::consts::PI * f * h as f64 * t).sin();
            }
        }
        let k = i % beat;
        if k < 400 {
            x += 0.4 * (-(k as f64) / 60.0).exp() * (2.0 * std::f64::consts::PI * 1500.0 * t).sin();
        }
        x += 0.02 * noise();
        w.write_sample((x.clamp(-1.0, 1.0) * 32767.0) as i16)
            .expect("write clip");
    }
    w.finalize().expect("finalize clip");
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2] * 1e3
}

/// This thread's CPU time in seconds (`/proc/thread-self/schedstat`, ns):
/// on a shared machine wall time also counts other processes' turns.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? * 1e-9)
}

/// Median wall ms and mean CPU ms per run.
fn time_set(y: &[f32], set: FeatureSet, runs: usize) -> (f64, Option<f64>) {
    let cfg = AudioFeatureConfig {
        set,
        ..Default::default()
    };
    let ex = Extractor::new(&cfg);
    for _ in 0..3 {
        std::hint::black_box(ex.features(y).expect("features"));
    }
    let cpu0 = thread_cpu_s();
    let times = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            std::hint::black_box(ex.features(std::hint::black_box(y)).expect("features"));
            t0.elapsed().as_secs_f64()
        })
        .collect();
    let cpu = cpu0
        .zip(thread_cpu_s())
        .map(|(a, b)| (b - a) * 1e3 / runs as f64);
    (median_ms(times), cpu)
}

/// Times the stages of `seed37` separately through the public DSP functions.
fn breakdown(y: &[f32]) {
    use mer_audio::dsp;
    let sr = f64::from(SR);
    let time = |name: &str, f: &mut dyn FnMut()| {
        f();
        let t0 = Instant::now();
        let c0 = thread_cpu_s().unwrap_or(0.0);
        for _ in 0..10 {
            f();
        }
        let cpu = thread_cpu_s().unwrap_or(0.0) - c0;
        println!(
            "{name:>24}: wall {:7.2} ms, CPU {:7.2} ms",
            t0.elapsed().as_secs_f64() * 100.0,
            cpu * 100.0
        );
    };
    let plan = dsp::StftPlan::new(dsp::N_FFT, dsp::HOP);
    let power = plan.power(y);
    let mag = dsp::magnitude(&power);
    let bank = dsp::MelFilterbank::new(sr, dsp::N_FFT, 128);
    let mel = bank.apply(&power);
    time("stft power", &mut || {
        drop(std::hint::black_box(plan.power(y)))
    });
    time("magnitude", &mut || {
        drop(std::hint::black_box(dsp::magnitude(&power)))
    });
    time("mel", &mut || {
        drop(std::hint::black_box(bank.apply(&power)))
    });
    time("power_to_db+mfcc", &mut || {
        let mut m = mel.clone();
        dsp::power_to_db_in_place(&mut m.data, 1.0, Some(80.0));
        std::hint::black_box(dsp::mfcc(&m, 13));
    });
    time("estimate_tuning", &mut || {
        std::hint::black_box(dsp::estimate_tuning(&power, sr, dsp::N_FFT));
    });
    time("chroma filterbank", &mut || {
        drop(std::hint::black_box(dsp::chroma_filterbank(
            sr,
            dsp::N_FFT,
            0.1,
        )))
    });
    time("chroma (tuning given)", &mut || {
        drop(std::hint::black_box(dsp::chroma_stft(
            &power,
            sr,
            dsp::N_FFT,
            Some(0.1),
        )))
    });
    time("contrast", &mut || {
        drop(std::hint::black_box(dsp::spectral_contrast(
            &mag,
            sr,
            dsp::N_FFT,
        )))
    });
    let bands = dsp::ContrastBands::new(sr, dsp::N_FFT).expect("bands");
    time("contrast frames only", &mut || {
        let (mut pk, mut va) = ([0.0f64; 7], [0.0f64; 7]);
        for t in 0..mag.rows {
            bands.frame(mag.row(t), &mut pk, &mut va);
        }
        std::hint::black_box((pk, va));
    });
    time("centroid", &mut || {
        drop(std::hint::black_box(dsp::spectral_centroid(
            &mag,
            sr,
            dsp::N_FFT,
        )))
    });
    time("bandwidth", &mut || {
        drop(std::hint::black_box(dsp::spectral_bandwidth(
            &mag,
            sr,
            dsp::N_FFT,
        )))
    });
    time("rolloff", &mut || {
        drop(std::hint::black_box(dsp::spectral_rolloff(
            &mag,
            sr,
            dsp::N_FFT,
        )))
    });
    time("rms", &mut || {
        drop(std::hint::black_box(dsp::rms(y, dsp::N_FFT, dsp::HOP)))
    });
    time("zcr", &mut || {
        drop(std::hint::black_box(dsp::zero_crossing_rate(
            y,
            dsp::N_FFT,
            dsp::HOP,
        )))
    });
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = clip_path();
    if let Some(i) = args.iter().position(|a| a == "--many") {
        let n: usize = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(1000);
        let paths = vec![path.clone(); n];
        let cfg = AudioFeatureConfig::default();
        let t0 = Instant::now();
        let (results, _) = extract_many(&paths, &cfg, None, &|_| {});
        let secs = t0.elapsed().as_secs_f64();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        println!(
            "extract_many seed37: {n} clips of {} ({ok} ok) in {secs:.2} s on {} threads ({:.1} ms/clip wall), peak RSS {} MiB",
            path.display(),
            rayon::current_num_threads(),
            secs * 1e3 / n as f64,
            peak_rss_kib().map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
        );
        return;
    }
    // One thread for the per-clip figures: the extractor itself is serial,
    // and this keeps rayon's pool out of the measurement.
    let opts = DecodeOptions {
        sample_rate: SR,
        offset_s: 0.0,
        duration_s: None,
    };
    let t0 = Instant::now();
    let y = decode(&path, &opts).expect("decode the bench clip").samples;
    let decode_ms = t0.elapsed().as_secs_f64() * 1e3;
    println!(
        "clip: {} ({:.1} s at {SR} Hz), decode {decode_ms:.1} ms",
        path.display(),
        y.len() as f64 / f64::from(SR)
    );
    if args.iter().any(|a| a == "--breakdown") {
        breakdown(&y);
        return;
    }
    let runs = 30;
    let cpu_str = |c: Option<f64>| c.map_or("?".into(), |c| format!("{c:.2}"));
    let (seed, seed_cpu) = time_set(&y, FeatureSet::Seed37, runs);
    println!(
        "seed37   (1 thread, {runs} runs): median wall {seed:.2} ms/clip, mean CPU {} ms/clip",
        cpu_str(seed_cpu)
    );
    let (ext, ext_cpu) = time_set(&y, FeatureSet::Extended, runs);
    println!(
        "extended (1 thread, {runs} runs): median wall {ext:.2} ms/clip, mean CPU {} ms/clip",
        cpu_str(ext_cpu)
    );
    if let Some(lib) = std::env::var("MER_LIBROSA_MS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        println!("ratio librosa/mer for seed37: {:.1}x", lib / seed);
    }
}
