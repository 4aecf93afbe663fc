//! Audio rendering of one synthetic track: additive-synthesis melody and
//! chord pad in a major or minor key, hi-hat and kick percussion, soft
//! clipping. Which cue carries which emotion is documented in the parent
//! module; the numbers here set its strength.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::{Artist, PlannedTrack, SyntheticConfig};

const MAJOR: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR: [i32; 7] = [0, 2, 3, 5, 7, 8, 10];
const TABLE_BITS: u32 = 11;
const TABLE_LEN: usize = 1 << TABLE_BITS;

/// Per-genre instrumentation: spectral tilt offset, weight of even
/// harmonics, percussion and kick levels, extra drive, tempo factor.
struct GenreSound {
    tilt: f64,
    even: f64,
    perc: f64,
    kick: f64,
    drive: f64,
    tempo: f64,
}

const GENRE_SOUND: [GenreSound; 5] = [
    // classical: soft, string-like, almost no percussion
    GenreSound {
        tilt: 0.7,
        even: 1.0,
        perc: 0.1,
        kick: 0.0,
        drive: 0.0,
        tempo: 0.92,
    },
    // electronic: square-ish (odd harmonics), strong kick
    GenreSound {
        tilt: 0.0,
        even: 0.15,
        perc: 1.0,
        kick: 1.3,
        drive: 0.0,
        tempo: 1.08,
    },
    // folk: mellow, odd-leaning, light percussion
    GenreSound {
        tilt: 0.4,
        even: 0.5,
        perc: 0.35,
        kick: 0.2,
        drive: 0.0,
        tempo: 0.97,
    },
    // pop: neutral
    GenreSound {
        tilt: 0.0,
        even: 1.0,
        perc: 0.8,
        kick: 0.8,
        drive: 0.0,
        tempo: 1.0,
    },
    // rock: saw-like and driven
    GenreSound {
        tilt: -0.3,
        even: 1.0,
        perc: 0.9,
        kick: 1.0,
        drive: 1.5,
        tempo: 1.02,
    },
];

fn sine_table() -> Vec<f32> {
    (0..TABLE_LEN)
        .map(|i| (i as f64 / TABLE_LEN as f64 * std::f64::consts::TAU).sin() as f32)
        .collect()
}

fn midi_hz(m: f64) -> f64 {
    440.0 * 2f64.powf((m - 69.0) / 12.0)
}

/// Adds one enveloped additive note to `buf`.
#[allow(clippy::too_many_arguments)]
fn add_note(
    buf: &mut [f32],
    table: &[f32],
    sr: f64,
    start: usize,
    len: usize,
    hz: f64,
    partials: &[(f64, f64)], // (frequency multiple, amplitude)
    attack_s: f64,
    decay_s: f64,
) {
    let release = (0.03 * sr) as usize;
    let end = (start + len + release).min(buf.len());
    if start >= end {
        return;
    }
    let nyquist = sr / 2.0 * 0.95;
    // Partials 60 dB below the loudest are inaudible under the mix: skip them.
    let loudest = partials.iter().fold(0.0f64, |m, p| m.max(p.1));
    let oscillators: Vec<(u32, f32)> = partials
        .iter()
        .filter(|(mult, amp)| hz * mult < nyquist && *amp > 1e-3 * loudest)
        .map(|(mult, amp)| {
            let inc = (hz * mult / sr * 4_294_967_296.0) as u32;
            (inc, *amp as f32)
        })
        .collect();
    if oscillators.is_empty() {
        return;
    }
    let mut phases = vec![0u32; oscillators.len()];
    let attack_step = (1.0 / (attack_s * sr).max(1.0)) as f32;
    let decay = (-1.0 / (decay_s.max(1e-3) * sr)).exp() as f32;
    let rel = (-1.0 / (0.008 * sr)).exp() as f32;
    let mut attack = 0.0f32;
    let mut env = 1.0f32;
    let shift = 32 - TABLE_BITS;
    for (k, out) in buf[start..end].iter_mut().enumerate() {
        attack = (attack + attack_step).min(1.0);
        env *= if k >= len { decay * rel } else { decay };
        let mut s = 0.0f32;
        for (p, (inc, amp)) in phases.iter_mut().zip(&oscillators) {
            s += amp * table[(*p >> shift) as usize];
            *p = p.wrapping_add(*inc);
        }
        *out += attack * env * s;
    }
}

/// Renders the track's samples in `[-1, 1]`.
pub(super) fn render(cfg: &SyntheticConfig, artist: &Artist, t: &PlannedTrack) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(t.seed ^ 0xA0D1_0000_0000_0001);
    let unit: Normal<f64> = Normal::new(0.0, 1.0).expect("unit normal");
    let sr = cfg.sample_rate as f64;
    let n = (cfg.duration_s * sr).round() as usize;
    let table = sine_table();
    let g = &GENRE_SOUND[artist.genre];

    // Cues are driven by the latent emotion plus noise-scaled jitter.
    let jitter = 0.35 * cfg.noise;
    let a = (t.latent_arousal + jitter * unit.sample(&mut rng)).clamp(-1.2, 1.2);
    let v = (t.latent_valence + jitter * unit.sample(&mut rng)).clamp(-1.2, 1.2);
    let pos = |x: f64| x.clamp(0.0, 1.0);

    // Arousal cues (strong).
    let tempo = ((100.0 + 38.0 * a) * artist.tempo_factor * g.tempo).clamp(50.0, 180.0);
    let beat = 60.0 / tempo;
    let notes_per_beat = 2f64.powf(1.0 + a).round().clamp(1.0, 4.0);
    let note_s = beat / notes_per_beat;
    let loud_db = -24.0 + 11.0 * a + 1.5 * cfg.noise * unit.sample(&mut rng);
    let amp = 10f64.powf(loud_db / 20.0);
    let tilt = (2.4 - 1.6 * a + g.tilt).max(0.5);
    let attack = (0.052 - 0.048 * a).clamp(0.003, 0.12);
    let decay = note_s * (0.6 + 1.2 * pos(-a)) + 0.05;
    let perc = g.perc * pos((a + 0.4) / 1.4);
    let kick = g.kick * pos((a + 0.6) / 1.6);

    // Valence cues (weak): mode and register; roughness for -V+A and an
    // octave doubling for +V+A.
    let p_major = 1.0 / (1.0 + (-3.0 * v).exp());
    let major = rng.random::<f64>() < p_major;
    let scale = if major { MAJOR } else { MINOR };
    let tonic = rng.random_range(0..12) as f64;
    let base = 54.0 + tonic + 0.8 * v + artist.register as f64;
    let rough = pos(a) * pos(-v);
    let sparkle = pos(a) * pos(v);
    let drive = 1.0 + g.drive + 8.0 * rough;

    // Partials: tilted harmonics, the artist's formant, genre's even weight.
    let partials = |hz: f64, count: usize| -> Vec<(f64, f64)> {
        (1..=count)
            .map(|k| {
                let kf = k as f64;
                let even = if k % 2 == 0 { g.even } else { 1.0 };
                let f = hz * kf;
                let formant = 1.0 + 1.5 * (-((f - artist.formant_hz) / 250.0).powi(2)).exp();
                (kf, kf.powf(-tilt) * even * formant)
            })
            .collect()
    };

    let mut tonal = vec![0.0f32; n];
    let pitch = |degree: i32| -> f64 {
        let octave = degree.div_euclid(7);
        let step = degree.rem_euclid(7) as usize;
        base + 12.0 * octave as f64 + scale[step] as f64
    };

    // Chord pad: one triad per bar of four beats, an octave below.
    let bar_s = 4.0 * beat;
    let bars = (cfg.duration_s / bar_s).ceil() as usize;
    let roots = [0, 3, 4, 5];
    for b in 0..bars {
        let root = roots[rng.random_range(0..roots.len())];
        let start = (b as f64 * bar_s * sr) as usize;
        let len = (bar_s * sr) as usize;
        for d in [root, root + 2, root + 4] {
            let hz = midi_hz(pitch(d) - 12.0);
            let p: Vec<(f64, f64)> = partials(hz, 3)
                .into_iter()
                .map(|(m, x)| (m, 0.45 * x))
                .collect();
            add_note(
                &mut tonal,
                &table,
                sr,
                start,
                len,
                hz,
                &p,
                0.15,
                bar_s * 1.5,
            );
        }
    }

    // Melody: a random walk over two octaves of the scale.
    let mut degree: i32 = 7;
    let mut time = 0.0;
    while time < cfg.duration_s {
        let step = [-2, -1, -1, 0, 1, 1, 2][rng.random_range(0..7)];
        degree = (degree + step).clamp(0, 14);
        let hz = midi_hz(pitch(degree));
        let mut p = partials(hz, 8);
        if rough > 0.0 {
            // A minor second above: beating, dissonant.
            p.push((2f64.powf(1.0 / 12.0), 0.5 * rough));
        }
        if sparkle > 0.0 {
            p.push((2.0, 0.6 * sparkle));
            p.push((4.0, 0.3 * sparkle));
        }
        let start = (time * sr) as usize;
        let len = (note_s * sr) as usize;
        add_note(&mut tonal, &table, sr, start, len, hz, &p, attack, decay);
        time += note_s;
    }

    // Normalise the tonal part, drive it, and set the loudness.
    let peak = tonal.iter().fold(0.0f32, |m, x| m.max(x.abs())).max(1e-9);
    let tanh_drive = drive.tanh() as f32;
    let mut out: Vec<f32> = tonal
        .iter()
        .map(|x| ((drive as f32) * x / peak).tanh() / tanh_drive * 0.8 * amp as f32)
        .collect();

    // Percussion: a bright noise burst on every note onset, a kick per beat.
    let mut state: u64 = t.seed | 1;
    let mut white = move || {
        // xorshift64*: cheap, seeded per track.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    if perc > 0.0 {
        let hat_amp = (3.0 * perc * amp) as f32;
        let hat_len = (0.06 * sr) as usize;
        let hat_decay = (-1.0 / (0.02 * sr)).exp() as f32;
        let mut onset = 0.0;
        while onset < cfg.duration_s {
            let start = (onset * sr) as usize;
            let mut env = hat_amp;
            let mut prev = 0.0f32;
            for s in out.iter_mut().skip(start).take(hat_len) {
                let w = white();
                *s += env * (w - prev) * 0.5; // first difference: high-passed
                prev = w;
                env *= hat_decay;
            }
            onset += note_s;
        }
    }
    if kick > 0.0 {
        let kick_amp = 0.8 * kick * amp;
        let kick_len = (0.25 * sr) as usize;
        let mut onset = 0.0;
        while onset < cfg.duration_s {
            let start = (onset * sr) as usize;
            let mut phase = 0.0f64;
            for (k, s) in out.iter_mut().skip(start).take(kick_len).enumerate() {
                let tt = k as f64 / sr;
                let f = 50.0 + 90.0 * (-tt / 0.03).exp();
                phase += std::f64::consts::TAU * f / sr;
                *s += (kick_amp * (-tt / 0.12).exp() * phase.sin()) as f32;
            }
            onset += beat;
        }
    }

    // A quiet noise floor so that no frame is digital silence.
    let floor = 10f32.powf(-62.0 / 20.0) * (1.0 + cfg.noise as f32);
    for s in out.iter_mut() {
        *s = (*s + floor * white()).clamp(-1.0, 1.0);
    }
    out
}
