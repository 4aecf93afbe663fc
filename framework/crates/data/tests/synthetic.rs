//! The synthetic benchmark: determinism, layout, and its emotional structure
//! checked with simple statistics computed here, independently of the
//! generator (WAV samples and lyrics words only, never generator internals).

use std::collections::BTreeMap;
use std::path::Path;

use mer_data::{self as data, DatasetConfig, LoadContext, SyntheticConfig, Track};

const QUADRANTS: [&str; 4] = ["Q1_happy", "Q2_angry", "Q3_sad", "Q4_calm"];

fn read_wav(path: &Path) -> (Vec<f32>, u32) {
    let mut r = hound::WavReader::open(path).unwrap();
    let sr = r.spec().sample_rate;
    let s = r
        .samples::<i16>()
        .map(|x| x.unwrap() as f32 / 32768.0)
        .collect();
    (s, sr)
}

/// Per-track audio statistics: RMS, zero-crossing rate, brightness
/// (energy of the first difference over the energy: grows with the spectral
/// centroid), onset rate (per second: 23 ms frames of the first-differenced,
/// i.e. high-passed, signal whose energy jumps 2x above the previous frame's
/// and above a tenth of the mean).
fn audio_stats(samples: &[f32], sr: u32) -> [f64; 4] {
    let n = samples.len() as f64;
    let energy: f64 = samples.iter().map(|x| (*x as f64).powi(2)).sum();
    let rms = (energy / n).sqrt();
    let zc = samples
        .windows(2)
        .filter(|w| (w[0] >= 0.0) != (w[1] >= 0.0))
        .count() as f64
        / n;
    let diff: f64 = samples
        .windows(2)
        .map(|w| ((w[1] - w[0]) as f64).powi(2))
        .sum();
    let bright = diff / energy.max(1e-12);
    let frame = (sr as f64 * 0.023) as usize;
    let hp: Vec<f64> = samples.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let frames: Vec<f64> = hp
        .chunks(frame)
        .map(|c| c.iter().map(|x| x.powi(2)).sum::<f64>() / c.len() as f64)
        .collect();
    let mean_e = frames.iter().sum::<f64>() / frames.len() as f64;
    let onsets = frames
        .windows(2)
        .filter(|w| w[1] > 2.0 * w[0] && w[1] > 0.1 * mean_e)
        .count() as f64
        / (n / sr as f64);
    [rms.log10(), zc, bright, onsets]
}

fn cohens_d(a: &[f64], b: &[f64]) -> f64 {
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let var =
        |x: &[f64], m: f64| x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
    let (ma, mb) = (mean(a), mean(b));
    let pooled = ((var(a, ma) + var(b, mb)) / 2.0).sqrt();
    (ma - mb) / pooled
}

/// Nearest-centroid accuracy, trained on even tracks and tested on odd ones.
fn nearest_centroid(x: &[Vec<f64>], y: &[usize], n_classes: usize) -> f64 {
    let d = x[0].len();
    // Standardise with the training half's statistics.
    let train: Vec<usize> = (0..x.len()).filter(|i| i % 2 == 0).collect();
    let mut mu = vec![0.0; d];
    let mut sd = vec![0.0; d];
    for j in 0..d {
        mu[j] = train.iter().map(|&i| x[i][j]).sum::<f64>() / train.len() as f64;
        sd[j] = (train
            .iter()
            .map(|&i| (x[i][j] - mu[j]).powi(2))
            .sum::<f64>()
            / train.len() as f64)
            .sqrt()
            .max(1e-12);
    }
    let z = |v: &Vec<f64>| -> Vec<f64> { (0..d).map(|j| (v[j] - mu[j]) / sd[j]).collect() };
    let mut cent = vec![vec![0.0; d]; n_classes];
    let mut cnt = vec![0.0; n_classes];
    for &i in &train {
        let zi = z(&x[i]);
        for j in 0..d {
            cent[y[i]][j] += zi[j];
        }
        cnt[y[i]] += 1.0;
    }
    for (c, n) in cent.iter_mut().zip(&cnt) {
        for v in c.iter_mut() {
            *v /= n;
        }
    }
    let test: Vec<usize> = (0..x.len()).filter(|i| i % 2 == 1).collect();
    let correct = test
        .iter()
        .filter(|&&i| {
            let zi = z(&x[i]);
            let best = (0..n_classes)
                .min_by(|&a, &b| {
                    let da: f64 = (0..d).map(|j| (zi[j] - cent[a][j]).powi(2)).sum();
                    let db: f64 = (0..d).map(|j| (zi[j] - cent[b][j]).powi(2)).sum();
                    da.partial_cmp(&db).unwrap()
                })
                .unwrap();
            best == y[i]
        })
        .count();
    correct as f64 / test.len() as f64
}

fn quadrant(t: &Track) -> usize {
    QUADRANTS
        .iter()
        .position(|q| Some(*q) == t.oracle.as_deref())
        .unwrap()
}

fn load(cfg: SyntheticConfig, cache: &Path) -> data::Dataset {
    data::load(
        &DatasetConfig::Synthetic(cfg),
        &LoadContext {
            cache_dir: cache.to_path_buf(),
        },
    )
    .unwrap()
}

#[test]
fn generation_is_deterministic_cached_and_content_addressed() {
    let small = SyntheticConfig {
        tracks: 24,
        duration_s: 1.0,
        artists: 6,
        ..Default::default()
    };
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let da = load(small.clone(), a.path());
    let db = load(small.clone(), b.path());
    assert_eq!(
        da.fingerprint, db.fingerprint,
        "same seed and parameters, same content"
    );
    assert_eq!(da.tracks.len(), 24);
    // Same bytes on disk.
    for (ta, tb) in da.tracks.iter().zip(&db.tracks) {
        assert_eq!(
            std::fs::read(ta.audio.as_ref().unwrap()).unwrap(),
            std::fs::read(tb.audio.as_ref().unwrap()).unwrap()
        );
        assert_eq!(ta.lyrics, tb.lyrics);
    }
    // A second load reuses the directory (nothing rewritten).
    let wav = da.tracks[0].audio.clone().unwrap();
    let mtime = std::fs::metadata(&wav).unwrap().modified().unwrap();
    let again = load(small.clone(), a.path());
    assert_eq!(again.fingerprint, da.fingerprint);
    assert_eq!(std::fs::metadata(&wav).unwrap().modified().unwrap(), mtime);
    // A different seed is a different dataset in a different directory.
    let other = load(SyntheticConfig { seed: 9, ..small }, a.path());
    assert_ne!(other.fingerprint, da.fingerprint);
    assert_ne!(
        other.tracks[0].audio.as_ref().unwrap().parent(),
        wav.parent()
    );
    // No temporary directories are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(a.path().join("synthetic"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn concurrent_generation_into_one_cache_agrees() {
    let cfg = SyntheticConfig {
        tracks: 12,
        duration_s: 0.5,
        artists: 3,
        seed: 4,
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let prints: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| load(cfg.clone(), dir.path()).fingerprint))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(prints.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn default_benchmark_has_the_documented_layout_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let d = load(SyntheticConfig::default(), dir.path());
    assert_eq!(d.tracks.len(), 400);
    assert!(d.report.is_empty());
    let (s, sr) = read_wav(d.tracks[0].audio.as_ref().unwrap());
    assert_eq!(sr, 22050);
    assert_eq!(s.len(), 220_500);
    let mut per_q = [0; 4];
    let mut per_artist: BTreeMap<&str, usize> = BTreeMap::new();
    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    let mut no_lyrics = 0;
    for t in &d.tracks {
        per_q[quadrant(t)] += 1;
        *per_artist.entry(t.artist.as_deref().unwrap()).or_default() += 1;
        *categories
            .entry(t.category.as_deref().unwrap())
            .or_default() += 1;
        no_lyrics += usize::from(t.lyrics.is_none());
        let (v, a) = (t.valence.unwrap(), t.arousal.unwrap());
        assert!((-1.0..=1.0).contains(&v) && (-1.0..=1.0).contains(&a));
        assert!(t.genre.is_some() && t.split.is_some());
        assert!(t.original.contains_key("oracle"));
    }
    assert_eq!(per_q, [100; 4], "class_balance [0.25; 4] is exact");
    assert!(
        (20..=60).contains(&no_lyrics),
        "about 10% without lyrics: {no_lyrics}"
    );
    assert!(per_artist.len() >= 40 && per_artist.values().filter(|&&n| n >= 4).count() >= 30);
    assert!(
        categories.len() >= 7,
        "GEMS-9 categories spread: {categories:?}"
    );
    // Binary mood tags follow the V/A regions of the oracle.
    for t in &d.tracks {
        let q = quadrant(t);
        assert_eq!(t.tags.contains(&"happy".to_string()), q == 0);
        assert_eq!(t.tags.contains(&"sad".to_string()), q == 2);
        assert_eq!(t.tags.contains(&"energetic".to_string()), q < 2);
    }
}

#[test]
fn audio_carries_arousal_strongly_and_valence_weakly_with_q3_q4_closest() {
    let dir = tempfile::tempdir().unwrap();
    let d = load(
        SyntheticConfig {
            tracks: 240,
            duration_s: 5.0,
            ..Default::default()
        },
        dir.path(),
    );
    let stats: Vec<[f64; 4]> = d
        .tracks
        .iter()
        .map(|t| {
            let (s, sr) = read_wav(t.audio.as_ref().unwrap());
            audio_stats(&s, sr)
        })
        .collect();
    let q: Vec<usize> = d.tracks.iter().map(quadrant).collect();
    let names = ["log rms", "zcr", "brightness", "onsets/s"];
    let mut effects = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let col = |sel: &dyn Fn(usize) -> bool| -> Vec<f64> {
            (0..q.len())
                .filter(|&i| sel(q[i]))
                .map(|i| stats[i][j])
                .collect()
        };
        let high = col(&|x| x < 2);
        let low = col(&|x| x >= 2);
        let d_arousal = cohens_d(&high, &low);
        let d_q3q4 = cohens_d(&col(&|x| x == 3), &col(&|x| x == 2)).abs();
        eprintln!("{name}: d(high-low arousal) = {d_arousal:.2}, |d(Q4-Q3)| = {d_q3q4:.2}");
        effects.push((name, d_arousal, d_q3q4));
    }
    for (name, d_arousal, d_q3q4) in effects {
        assert!(
            d_arousal > 1.0,
            "{name} must rise with arousal, d = {d_arousal}"
        );
        assert!(
            d_q3q4 < d_arousal / 2.0,
            "{name}: Q3/Q4 must be acoustically close"
        );
    }
    let x: Vec<Vec<f64>> = stats.iter().map(|s| s.to_vec()).collect();
    let arousal_y: Vec<usize> = q.iter().map(|&x| usize::from(x >= 2)).collect();
    let valence_y: Vec<usize> = q.iter().map(|&x| usize::from(x == 1 || x == 2)).collect();
    let acc_a = nearest_centroid(&x, &arousal_y, 2);
    let acc_v = nearest_centroid(&x, &valence_y, 2);
    eprintln!("audio nearest-centroid: arousal {acc_a:.2}, valence {acc_v:.2}");
    assert!(acc_a > 0.9, "arousal from audio: {acc_a}");
    assert!(
        acc_a > acc_v + 0.2,
        "arousal {acc_a} must beat valence {acc_v} in audio"
    );
    // Quadrant confusion from audio: Q3<->Q4 is the largest off-diagonal pair.
    let acc_q = |pair: (usize, usize)| {
        let idx: Vec<usize> = (0..q.len())
            .filter(|&i| q[i] == pair.0 || q[i] == pair.1)
            .collect();
        let xs: Vec<Vec<f64>> = idx.iter().map(|&i| x[i].clone()).collect();
        let ys: Vec<usize> = idx.iter().map(|&i| usize::from(q[i] == pair.1)).collect();
        nearest_centroid(&xs, &ys, 2)
    };
    let pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
    let accs: Vec<f64> = pairs.iter().map(|&p| acc_q(p)).collect();
    eprintln!("pairwise audio accuracy {pairs:?}: {accs:.2?}");
    let q3q4 = accs[5];
    assert!(
        accs[..5].iter().all(|&a| a > q3q4),
        "Q3/Q4 must be the hardest pair: {accs:?}"
    );
}

fn words(t: &Track) -> Vec<String> {
    t.lyrics
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

#[test]
fn lyrics_carry_valence_strongly_and_arousal_weakly() {
    let dir = tempfile::tempdir().unwrap();
    let d = load(
        SyntheticConfig {
            tracks: 400,
            duration_s: 0.2,
            ..Default::default()
        },
        dir.path(),
    );
    let with: Vec<&Track> = d.tracks.iter().filter(|t| t.lyrics.is_some()).collect();
    // The seed study's discriminative keywords.
    let rate = |q: usize, vocab: &[&str]| -> f64 {
        let ts: Vec<&&Track> = with.iter().filter(|t| quadrant(t) == q).collect();
        let hits: usize = ts
            .iter()
            .map(|t| {
                words(t)
                    .iter()
                    .filter(|w| vocab.contains(&w.as_str()))
                    .count()
            })
            .sum();
        hits as f64 / ts.len() as f64
    };
    let sad = ["gone", "hurt", "cry", "pain"];
    let calm = ["peace", "angel", "christmas", "star"];
    eprintln!(
        "per track: Q3 sad words {:.2} vs Q4 {:.2}; Q4 calm words {:.2} vs Q3 {:.2}",
        rate(2, &sad),
        rate(3, &sad),
        rate(3, &calm),
        rate(2, &calm)
    );
    assert!(rate(2, &sad) > 4.0 * rate(3, &sad).max(0.02));
    assert!(rate(3, &calm) > 4.0 * rate(2, &calm).max(0.02));

    // Bag of words over the training half's vocabulary, nearest centroid.
    let mut vocab: BTreeMap<String, usize> = BTreeMap::new();
    for (i, t) in with.iter().enumerate() {
        if i % 2 == 0 {
            for w in words(t) {
                let n = vocab.len();
                vocab.entry(w).or_insert(n);
            }
        }
    }
    let x: Vec<Vec<f64>> = with
        .iter()
        .map(|t| {
            let mut v = vec![0.0; vocab.len()];
            let ws = words(t);
            for w in &ws {
                if let Some(&j) = vocab.get(w) {
                    v[j] += 1.0 / ws.len() as f64;
                }
            }
            v
        })
        .collect();
    let q: Vec<usize> = with.iter().map(|t| quadrant(t)).collect();
    let arousal_y: Vec<usize> = q.iter().map(|&x| usize::from(x >= 2)).collect();
    let valence_y: Vec<usize> = q.iter().map(|&x| usize::from(x == 1 || x == 2)).collect();
    let acc_v = nearest_centroid(&x, &valence_y, 2);
    let acc_a = nearest_centroid(&x, &arousal_y, 2);
    eprintln!("text nearest-centroid: valence {acc_v:.2}, arousal {acc_a:.2}");
    assert!(acc_v > 0.85, "valence from lyrics: {acc_v}");
    assert!(
        acc_v > acc_a + 0.1,
        "valence {acc_v} must beat arousal {acc_a} in lyrics"
    );
}
