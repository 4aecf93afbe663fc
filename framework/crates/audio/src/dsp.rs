//! DSP over in-memory samples, matching librosa 0.11 with its defaults.
//!
//! Owns the pure functions (no I/O, no configuration files): STFT,
//! filterbanks, mel/MFCC/delta, chroma with tuning estimation, spectral
//! contrast, RMS, zero-crossing rate, spectral centroid/bandwidth/roll-off/
//! flatness, tonnetz, onset strength and tempo. Each public function cites
//! the librosa function it reproduces; every numeric choice below (padding,
//! thresholds, dtypes) follows librosa 0.11's source, not its documentation.
//!
//! # Layout
//! Matrices are [`Matrix`] values stored row-major with **frames as rows**:
//! a spectrogram is `[frames, bins]`, a mel spectrogram `[frames, n_mels]`,
//! chroma `[frames, 12]`. This is the transpose of librosa's `[bins, frames]`
//! and keeps each frame contiguous.
//!
//! Frame counts: with `center=True` (librosa's default, zero padding of
//! `n_fft / 2` on both sides) a signal of `n` samples has
//! `1 + n / hop` frames ([`n_frames`]).
//!
//! Per-frame kernels (`*_frame`) are public too: the fused feature-set path
//! in [`super::features`] calls the very same kernels, so the parity tests of
//! the pure functions cover it.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// librosa's default FFT size.
pub const N_FFT: usize = 2048;
/// librosa's default hop length (`n_fft / 4`).
pub const HOP: usize = 512;
/// `numpy.finfo(float32).tiny`: librosa's `util.normalize` leaves a column
/// whose norm is below this untouched.
const TINY_F32: f64 = f32::MIN_POSITIVE as f64;
/// `numpy.finfo(float64).tiny`.
const TINY_F64: f64 = f64::MIN_POSITIVE;

/// A dense row-major `[rows, cols]` matrix of f32 audio values (the one
/// [`mer_core::Matrix`]).
pub type Matrix = mer_core::Matrix<f32>;

/// Mean and population standard deviation of a series.
pub fn mean_std(x: &[f64]) -> (f64, f64) {
    if x.is_empty() {
        return (0.0, 0.0);
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Number of frames of a centred analysis: `1 + n / hop`.
pub fn n_frames(n_samples: usize, hop: usize) -> usize {
    1 + n_samples / hop
}

/// `scipy.signal.get_window("hann", n, fftbins=True)`: the periodic Hann
/// window `0.5 - 0.5 cos(2 pi k / n)`. `[n]`.
pub fn hann_periodic(n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * k as f64 / n as f64).cos())
        .collect()
}

/// `librosa.fft_frequencies(sr, n_fft)`: `k * sr / n_fft`. `[n_fft / 2 + 1]`.
pub fn fft_frequencies(sr: f64, n_fft: usize) -> Vec<f64> {
    (0..=n_fft / 2)
        .map(|k| k as f64 * sr / n_fft as f64)
        .collect()
}

/// A reusable real FFT plan and window for centred STFT frames.
///
/// librosa multiplies the float32 frames by a float64 window, so its FFT runs
/// in float64 and only the result is rounded to complex64. The plan does the
/// same: near-silent bins (a 16-bit file's quantisation floor, which spectral
/// contrast's valleys sit on) would otherwise carry float32 FFT round-off of
/// about 1e-7 of the frame's energy and differ from librosa's by tenths of a dB.
#[derive(Clone)]
pub struct StftPlan {
    pub n_fft: usize,
    pub hop: usize,
    window: Vec<f64>,
    fft: Arc<dyn RealToComplex<f64>>,
}

impl std::fmt::Debug for StftPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StftPlan")
            .field("n_fft", &self.n_fft)
            .field("hop", &self.hop)
            .finish()
    }
}

impl StftPlan {
    /// Plan for `n_fft`-point frames every `hop` samples (periodic Hann).
    pub fn new(n_fft: usize, hop: usize) -> Self {
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n_fft);
        StftPlan {
            n_fft,
            hop,
            window: hann_periodic(n_fft),
            fft,
        }
    }

    /// `np.abs(librosa.stft(y, n_fft, hop, center=True, pad_mode="constant")) ** 2`,
    /// transposed: `[frames, n_fft / 2 + 1]` with `frames = 1 + len(y) / hop`.
    ///
    /// The signal is zero-padded by `n_fft / 2` on both sides (librosa 0.11's
    /// default `pad_mode="constant"`; older releases reflected). Each bin is
    /// rounded to complex64, its magnitude to float32 and squared in float32,
    /// as `np.abs(stft) ** 2` does.
    pub fn power(&self, y: &[f32]) -> Matrix {
        self.power_with(y, |_, _, _| {})
    }

    /// [`StftPlan::power`], calling `f(t, power, magnitude)` with each
    /// frame's rows (`[n_fft / 2 + 1]` each) as soon as the frame is
    /// computed, so per-frame features run while it is in cache.
    pub fn power_with(&self, y: &[f32], mut f: impl FnMut(usize, &[f32], &[f32])) -> Matrix {
        let n_fft = self.n_fft;
        let bins = n_fft / 2 + 1;
        let frames = n_frames(y.len(), self.hop);
        // Filled frame by frame (no zeroing pass over the 5 MB a 30 s clip needs).
        let mut data: Vec<f32> = Vec::with_capacity(frames * bins);
        let mut edge = vec![0.0f32; n_fft];
        let mut input = vec![0.0f64; n_fft];
        let mut spectrum = vec![Complex::new(0.0f64, 0.0); bins];
        let mut scratch = vec![Complex::new(0.0f64, 0.0); self.fft.get_scratch_len()];
        let mut mag = vec![0.0f32; bins];
        for t in 0..frames {
            let frame = centred_frame(y, t * self.hop, n_fft, &mut edge);
            for ((i, &x), &w) in input.iter_mut().zip(frame).zip(&self.window) {
                *i = f64::from(x) * w;
            }
            self.fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .expect("buffer lengths come from the plan");
            for (m, c) in mag.iter_mut().zip(&spectrum) {
                // |complex64| in float32 (np.abs), then squared in float32.
                let (re, im) = (c.re as f32, c.im as f32);
                *m = (re * re + im * im).sqrt();
            }
            data.extend(mag.iter().map(|&a| a * a));
            f(t, &data[t * bins..(t + 1) * bins], &mag);
        }
        Matrix {
            rows: frames,
            cols: bins,
            data,
        }
    }
}

/// Element-wise square root: a power spectrogram to a magnitude one.
pub fn magnitude(power: &Matrix) -> Matrix {
    Matrix {
        rows: power.rows,
        cols: power.cols,
        data: power.data.iter().map(|p| p.sqrt()).collect(),
    }
}

/// `librosa.hz_to_mel(f, htk=False)`: the Slaney scale (linear below 1 kHz,
/// logarithmic above).
pub fn hz_to_mel(f: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if f >= min_log_hz {
        min_log_mel + (f / min_log_hz).ln() / logstep
    } else {
        f / f_sp
    }
}

/// `librosa.mel_to_hz(m, htk=False)`.
pub fn mel_to_hz(m: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if m >= min_log_mel {
        min_log_hz * (logstep * (m - min_log_mel)).exp()
    } else {
        f_sp * m
    }
}

/// `np.linspace(start, stop, num)` as numpy computes it
/// (`start + i * step`, the last element set to `stop`).
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    v[num - 1] = stop;
    v
}

/// A sparse mel filterbank: each filter is a contiguous run of bins.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    pub n_mels: usize,
    pub n_bins: usize,
    /// Per filter: first bin and the weights from there on.
    filters: Vec<(usize, Vec<f32>)>,
}

impl MelFilterbank {
    /// `librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=0,
    /// fmax=sr/2, htk=False, norm="slaney")`: triangular filters on the
    /// Slaney mel scale, each scaled by `2 / (upper - lower)` Hz so it has
    /// (roughly) constant energy. The weights are rounded to f32 where
    /// librosa rounds them (before and after the Slaney scaling).
    pub fn new(sr: f64, n_fft: usize, n_mels: usize) -> Self {
        let fmax = sr / 2.0;
        let fftfreqs = fft_frequencies(sr, n_fft);
        let mel_f: Vec<f64> = linspace(hz_to_mel(0.0), hz_to_mel(fmax), n_mels + 2)
            .into_iter()
            .map(mel_to_hz)
            .collect();
        let mut filters = Vec::with_capacity(n_mels);
        for i in 0..n_mels {
            let fdiff_lo = mel_f[i + 1] - mel_f[i];
            let fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
            let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
            let w: Vec<f32> = fftfreqs
                .iter()
                .map(|&f| {
                    let lower = -(mel_f[i] - f) / fdiff_lo;
                    let upper = (mel_f[i + 2] - f) / fdiff_hi;
                    let w32 = 0.0f64.max(lower.min(upper)) as f32;
                    (f64::from(w32) * enorm) as f32
                })
                .collect();
            let first = w.iter().position(|&x| x > 0.0);
            match first {
                Some(a) => {
                    let b = w.iter().rposition(|&x| x > 0.0).unwrap_or(a);
                    filters.push((a, w[a..=b].to_vec()));
                }
                None => filters.push((0, Vec::new())),
            }
        }
        MelFilterbank {
            n_mels,
            n_bins: n_fft / 2 + 1,
            filters,
        }
    }

    /// The dense weights, `[n_mels, n_bins]` (for tests and inspection).
    pub fn dense(&self) -> Matrix {
        let mut m = Matrix::zeros(self.n_mels, self.n_bins);
        for (i, (a, w)) in self.filters.iter().enumerate() {
            m.row_mut(i)[*a..*a + w.len()].copy_from_slice(w);
        }
        m
    }

    /// Applies the bank to one power frame: `[n_bins] -> [n_mels]`.
    pub fn apply_frame(&self, power: &[f32], out: &mut [f32]) {
        for (o, (a, w)) in out.iter_mut().zip(&self.filters) {
            *o = dot_f32(&power[*a..*a + w.len()], w);
        }
    }

    /// `librosa.feature.melspectrogram(S=power)`: `[frames, bins] -> [frames, n_mels]`.
    pub fn apply(&self, power: &Matrix) -> Matrix {
        let mut out = Matrix::zeros(power.rows, self.n_mels);
        for t in 0..power.rows {
            let (src, dst) = (
                power.row(t),
                &mut out.data[t * self.n_mels..(t + 1) * self.n_mels],
            );
            self.apply_frame(src, dst);
        }
        out
    }
}

/// Dot product with eight f32 accumulators (so it vectorises).
#[inline]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = 16;
    let mut acc = [0.0f32; L];
    let ca = a.chunks_exact(L);
    let cb = b.chunks_exact(L);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let x: &[f32; L] = x.try_into().expect("chunks_exact yields L values");
        let y: &[f32; L] = y.try_into().expect("chunks_exact yields L values");
        for ((a, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *a += x * y;
        }
    }
    let mut s = acc.iter().sum::<f32>();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Dot product of f64 weights with f32 values, four f64 lanes.
#[inline]
fn dot_f64_f32(w: &[f64], x: &[f32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let cw = w.chunks_exact(4);
    let cx = x.chunks_exact(4);
    let (rw, rx) = (cw.remainder(), cx.remainder());
    for (a, b) in cw.zip(cx) {
        for k in 0..4 {
            acc[k] += a[k] * f64::from(b[k]);
        }
    }
    let mut s = acc.iter().sum::<f64>();
    for (a, &b) in rw.iter().zip(rx) {
        s += a * f64::from(b);
    }
    s
}

/// Maximum of a non-empty f32 slice, eight lanes.
#[inline]
pub fn max_f32(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let c = x.chunks_exact(8);
    let r = c.remainder();
    for v in c {
        for k in 0..8 {
            acc[k] = if v[k] > acc[k] { v[k] } else { acc[k] };
        }
    }
    let mut m = acc
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    for &v in r {
        if v > m {
            m = v;
        }
    }
    m
}

/// `librosa.power_to_db(S, ref=ref_value, amin=1e-10, top_db=top_db)` in
/// place: `10 log10(max(amin, S)) - 10 log10(max(amin, ref))`, then values
/// below `max - top_db` over the **whole array** are raised to it.
pub fn power_to_db_in_place(s: &mut [f32], ref_value: f32, top_db: Option<f32>) {
    let amin = 1e-10f32;
    let offset = 10.0 * amin.max(ref_value.abs()).log10();
    let mut max = f32::NEG_INFINITY;
    for x in s.iter_mut() {
        *x = 10.0 * amin.max(*x).log10() - offset;
        max = max.max(*x);
    }
    if let Some(top) = top_db {
        let floor = max - top;
        for x in s.iter_mut() {
            *x = x.max(floor);
        }
    }
}

/// [`power_to_db_in_place`] on an f64 array (librosa's spectral contrast
/// works on float64 peak/valley arrays).
pub fn power_to_db_f64(s: &mut [f64], top_db: f64) {
    let amin = 1e-10f64;
    let mut max = f64::NEG_INFINITY;
    for x in s.iter_mut() {
        *x = 10.0 * amin.max(*x).log10();
        max = max.max(*x);
    }
    let floor = max - top_db;
    for x in s.iter_mut() {
        *x = x.max(floor);
    }
}

/// `scipy.fft.dct(type=2, norm="ortho")` as a matrix, `[n_out, n_in]`:
/// row 0 is `sqrt(1/N)`, row `k` is `sqrt(2/N) cos(pi k (2n + 1) / 2N)`.
pub fn dct_ortho_matrix(n_out: usize, n_in: usize) -> Vec<f64> {
    let n = n_in as f64;
    let mut m = vec![0.0f64; n_out * n_in];
    for k in 0..n_out {
        let scale = if k == 0 {
            (1.0 / n).sqrt()
        } else {
            (2.0 / n).sqrt()
        };
        for i in 0..n_in {
            m[k * n_in + i] =
                scale * (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n)).cos();
        }
    }
    m
}

/// `librosa.feature.mfcc(S=log_mel, n_mfcc=n_mfcc)` (DCT-II, ortho, no
/// liftering): `[frames, n_mels] -> [frames, n_mfcc]`.
pub fn mfcc(log_mel: &Matrix, n_mfcc: usize) -> Matrix {
    let dct = dct_ortho_matrix(n_mfcc, log_mel.cols);
    let mut out = Matrix::zeros(log_mel.rows, n_mfcc);
    for t in 0..log_mel.rows {
        mfcc_frame(&dct, log_mel.row(t), out.row_mut(t));
    }
    out
}

/// One frame of [`mfcc`]: `[n_mels] -> [n_mfcc]` with a precomputed DCT matrix.
#[inline]
pub fn mfcc_frame(dct: &[f64], log_mel: &[f32], out: &mut [f32]) {
    let n_in = log_mel.len();
    for (k, o) in out.iter_mut().enumerate() {
        *o = dot_f64_f32(&dct[k * n_in..(k + 1) * n_in], log_mel) as f32;
    }
}

/// `librosa.feature.delta(data, width=9, order=1, axis=time, mode="interp")`:
/// a Savitzky-Golay first derivative over 9 frames, i.e. `sum_k k x[t+k] / 60`
/// for `k = -4..4`; in "interp" mode the first and last 4 frames take the
/// slope of the line fitted to the first/last 9 frames, which equals the
/// value at frame 4 / frame `T-5`. `[frames, dims] -> [frames, dims]`.
///
/// Returns `None` when there are fewer than 9 frames (librosa raises).
pub fn delta(x: &Matrix) -> Option<Matrix> {
    const HALF: usize = 4;
    let t_len = x.rows;
    if t_len < 2 * HALF + 1 {
        return None;
    }
    let mut out = Matrix::zeros(t_len, x.cols);
    for t in HALF..t_len - HALF {
        for d in 0..x.cols {
            let mut s = 0.0f64;
            for k in 1..=HALF {
                s += k as f64
                    * (f64::from(x.data[(t + k) * x.cols + d])
                        - f64::from(x.data[(t - k) * x.cols + d]));
            }
            out.data[t * x.cols + d] = (s / 60.0) as f32;
        }
    }
    for t in 0..HALF {
        let src = out.row(HALF).to_vec();
        out.row_mut(t).copy_from_slice(&src);
    }
    for t in t_len - HALF..t_len {
        let src = out.row(t_len - HALF - 1).to_vec();
        out.row_mut(t).copy_from_slice(&src);
    }
    Some(out)
}

// ---------------------------------------------------------------- tuning

/// Frequency bins used by piptrack: `150 <= f < 4000` Hz (librosa's
/// `fmin`/`fmax` defaults), as a half-open range.
pub fn piptrack_range(sr: f64, n_fft: usize) -> (usize, usize) {
    let fmin = 150.0f64;
    let fmax = 4000.0f64.min(sr / 2.0);
    let freqs = fft_frequencies(sr, n_fft);
    let lo = freqs.iter().position(|&f| f >= fmin).unwrap_or(freqs.len());
    let hi = freqs.iter().position(|&f| f >= fmax).unwrap_or(freqs.len());
    (lo, hi.max(lo))
}

/// One frame of `librosa.piptrack(S=s, sr=sr, n_fft=n_fft)` (threshold 0.1,
/// `ref=np.max`): pushes `(pitch, magnitude)` of every local maximum of the
/// thresholded spectrum inside `[150, 4000)` Hz, with parabolic
/// interpolation of the peak, computed in f32 as librosa does.
pub fn piptrack_frame(
    s: &[f32],
    sr: f64,
    n_fft: usize,
    range: (usize, usize),
    out: &mut Vec<(f32, f32)>,
) {
    let n = s.len();
    if n < 3 {
        return;
    }
    let max = max_f32(s);
    let ref_value = 0.1f32 * max;
    let masked = |i: usize| if s[i] > ref_value { s[i] } else { 0.0 };
    let (lo, hi) = range;
    for i in lo.max(1)..hi {
        let x0 = masked(i);
        let is_max = if i == n - 1 {
            x0 > masked(i - 1)
        } else {
            x0 > masked(i - 1) && x0 >= masked(i + 1)
        };
        if !is_max {
            continue;
        }
        // _parabolic_interpolation on the unthresholded spectrum; the edges get 0.
        let shift = if i == n - 1 {
            0.0f32
        } else {
            let a = s[i + 1] + s[i - 1] - 2.0 * s[i];
            let b = (s[i + 1] - s[i - 1]) / 2.0;
            if b.abs() >= a.abs() { 0.0 } else { -b / a }
        };
        // np.gradient: central difference inside, one-sided at the last bin.
        let avg = if i == n - 1 {
            s[i] - s[i - 1]
        } else {
            (s[i + 1] - s[i - 1]) / 2.0
        };
        let dskew = 0.5f32 * avg * shift;
        let pitch = ((i as f64 + f64::from(shift)) * sr / n_fft as f64) as f32;
        out.push((pitch, s[i] + dskew));
    }
}

/// `librosa.estimate_tuning(S=power, sr=sr, n_fft=n_fft)` with the defaults
/// `resolution=0.01`, `bins_per_octave=12`: the most common deviation (in
/// fractions of a semitone, `[-0.5, 0.5)`) of the strongest piptrack peaks
/// (magnitude at least the median) from A440 equal temperament.
///
/// `power` is `[frames, bins]`, as `chroma_stft` passes its power spectrogram.
pub fn estimate_tuning(power: &Matrix, sr: f64, n_fft: usize) -> f64 {
    let range = piptrack_range(sr, n_fft);
    let mut peaks = Vec::new();
    for t in 0..power.rows {
        piptrack_frame(power.row(t), sr, n_fft, range, &mut peaks);
    }
    tuning_from_peaks(&peaks)
}

/// The second half of [`estimate_tuning`]: from all frames' piptrack peaks.
pub fn tuning_from_peaks(peaks: &[(f32, f32)]) -> f64 {
    let mut mags: Vec<f32> = peaks.iter().filter(|p| p.0 > 0.0).map(|p| p.1).collect();
    let threshold = if mags.is_empty() {
        0.0
    } else {
        median_f32(&mut mags)
    };
    let freqs: Vec<f32> = peaks
        .iter()
        .filter(|p| p.0 > 0.0 && p.1 >= threshold)
        .map(|p| p.0)
        .collect();
    pitch_tuning(&freqs)
}

/// `np.median` of f32 values (the mean of the two middle values, in f32).
fn median_f32(v: &mut [f32]) -> f32 {
    let n = v.len();
    let mid = n / 2;
    let (_, &mut hi, _) = v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..mid].iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        (lo + hi) / 2.0
    }
}

/// `librosa.pitch_tuning(freqs, resolution=0.01, bins_per_octave=12)`: a
/// histogram of each frequency's deviation from the nearest equal-tempered
/// pitch over 100 bins spanning `[-0.5, 0.5]`; returns the left edge of the
/// fullest bin (the first one on ties), or `0.0` for no frequencies.
pub fn pitch_tuning(freqs: &[f32]) -> f64 {
    let edges = linspace(-0.5, 0.5, 101);
    let mut counts = [0usize; 100];
    let mut any = false;
    for &f in freqs.iter().filter(|&&f| f > 0.0) {
        any = true;
        // f32 arithmetic, as numpy does on librosa's float32 pitches.
        let octs = (f / 27.5f32).log2();
        let mut r = (12.0f32 * octs).rem_euclid(1.0);
        if r >= 0.5 {
            r -= 1.0;
        }
        let r = f64::from(r);
        // np.histogram with explicit edges: bin i holds edges[i] <= r < edges[i+1],
        // the last bin also its right edge.
        if r < edges[0] || r > edges[100] {
            continue;
        }
        let idx = edges[1..].partition_point(|&e| e <= r).min(99);
        counts[idx] += 1;
    }
    if !any {
        return 0.0;
    }
    let mut best = 0;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    edges[best]
}

// ---------------------------------------------------------------- chroma

/// `librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=tuning)` with the
/// defaults (12 bins, `ctroct=5`, `octwidth=2`, L2 norm, C first):
/// `[12, n_fft / 2 + 1]`, computed in f64 and rounded to f32 like librosa.
pub fn chroma_filterbank(sr: f64, n_fft: usize, tuning: f64) -> Matrix {
    let n_chroma = 12usize;
    let nc = n_chroma as f64;
    let a440 = 440.0 * 2f64.powf(tuning / nc);
    // np.linspace(0, sr, n_fft, endpoint=False)[1:]
    let step = sr / n_fft as f64;
    let mut frqbins: Vec<f64> = Vec::with_capacity(n_fft);
    frqbins.push(0.0);
    for k in 1..n_fft {
        let f = k as f64 * step;
        frqbins.push(nc * (f / (a440 / 16.0)).log2());
    }
    frqbins[0] = frqbins[1] - 1.5 * nc;
    let mut binwidth: Vec<f64> = (0..n_fft - 1)
        .map(|k| (frqbins[k + 1] - frqbins[k]).max(1.0))
        .collect();
    binwidth.push(1.0);
    let n_chroma2 = (nc / 2.0).round();
    let mut wts = vec![0.0f64; n_chroma * n_fft];
    for c in 0..n_chroma {
        for f in 0..n_fft {
            let d = (frqbins[f] - c as f64 + n_chroma2 + 10.0 * nc).rem_euclid(nc) - n_chroma2;
            let z = 2.0 * d / binwidth[f];
            wts[c * n_fft + f] = (-0.5 * z * z).exp();
        }
    }
    // util.normalize(norm=2, axis=0): per frequency over the chroma bins.
    for f in 0..n_fft {
        let norm = (0..n_chroma)
            .map(|c| wts[c * n_fft + f].powi(2))
            .sum::<f64>()
            .sqrt();
        if norm >= TINY_F64 {
            for c in 0..n_chroma {
                wts[c * n_fft + f] /= norm;
            }
        }
    }
    // Gaussian octave weighting centred on octave 5 (about 880 Hz), width 2 octaves.
    for f in 0..n_fft {
        let g = (-0.5 * ((frqbins[f] / nc - 5.0) / 2.0).powi(2)).exp();
        for c in 0..n_chroma {
            wts[c * n_fft + f] *= g;
        }
    }
    let bins = n_fft / 2 + 1;
    let mut out = Matrix::zeros(n_chroma, bins);
    for c in 0..n_chroma {
        // np.roll(wts, -3, axis=0): start at C instead of A.
        let src = (c + 3) % n_chroma;
        for f in 0..bins {
            out.data[c * bins + f] = wts[src * n_fft + f] as f32;
        }
    }
    out
}

/// One frame of `chroma_stft`: filterbank times power, then divided by the
/// frame's maximum (`norm=np.inf`) unless that is below f32's tiny.
#[inline]
pub fn chroma_frame(fb: &Matrix, power: &[f32], out: &mut [f32]) {
    for (c, o) in out.iter_mut().enumerate() {
        *o = dot_f32(fb.row(c), power);
    }
    let max = out.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
    if f64::from(max) >= TINY_F32 {
        for o in out.iter_mut() {
            *o = (f64::from(*o) / f64::from(max)) as f32;
        }
    }
}

/// `librosa.feature.chroma_stft(S=power, sr=sr)` with tuning estimated by
/// [`estimate_tuning`] when `tuning` is `None`: `[frames, bins] -> [frames, 12]`.
pub fn chroma_stft(power: &Matrix, sr: f64, n_fft: usize, tuning: Option<f64>) -> Matrix {
    let tuning = tuning.unwrap_or_else(|| estimate_tuning(power, sr, n_fft));
    let fb = chroma_filterbank(sr, n_fft, tuning);
    let mut out = Matrix::zeros(power.rows, 12);
    for t in 0..power.rows {
        let (src, dst) = (power.row(t), &mut out.data[t * 12..(t + 1) * 12]);
        chroma_frame(&fb, src, dst);
    }
    out
}

/// `librosa.feature.tonnetz(chroma=chroma)`: the 6-D tonal centroid
/// (Harte et al. 2006) of L1-normalised chroma: `[frames, 12] -> [frames, 6]`.
pub fn tonnetz(chroma: &Matrix) -> Matrix {
    let phi = tonnetz_basis();
    let mut out = Matrix::zeros(chroma.rows, 6);
    for t in 0..chroma.rows {
        let row = chroma.row(t);
        let l1: f64 = row.iter().map(|&x| f64::from(x).abs()).sum();
        let len = if l1 < TINY_F32 { 1.0 } else { l1 };
        let normed: Vec<f64> = row
            .iter()
            .map(|&x| f64::from((f64::from(x) / len) as f32))
            .collect();
        for (o, basis) in out.row_mut(t).iter_mut().zip(&phi) {
            *o = basis.iter().zip(&normed).map(|(b, c)| b * c).sum::<f64>() as f32;
        }
    }
    out
}

/// The tonnetz projection: fifths, minor thirds and major thirds as
/// (sin, cos) pairs with radii 1, 1, 0.5.
fn tonnetz_basis() -> [[f64; 12]; 6] {
    let scale = [
        7.0 / 6.0,
        7.0 / 6.0,
        3.0 / 2.0,
        3.0 / 2.0,
        2.0 / 3.0,
        2.0 / 3.0,
    ];
    let r = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5];
    let mut phi = [[0.0f64; 12]; 6];
    for (p, row) in phi.iter_mut().enumerate() {
        for (c, w) in row.iter_mut().enumerate() {
            let mut v = scale[p] * c as f64;
            if p % 2 == 0 {
                v -= 0.5;
            }
            *w = r[p] * (std::f64::consts::PI * v).cos();
        }
    }
    phi
}

// ---------------------------------------------------------------- spectral shape

/// Zeroth, first and second moments `(sum S, sum f S, sum f^2 S)` of a
/// magnitude frame, accumulated in f64 over four lanes (so it vectorises).
#[inline]
pub fn spectral_moments(mag: &[f32], freqs: &[f64]) -> (f64, f64, f64) {
    let mut s0 = [0.0f64; 4];
    let mut s1 = [0.0f64; 4];
    let mut s2 = [0.0f64; 4];
    let cm = mag.chunks_exact(4);
    let cf = freqs.chunks_exact(4);
    let (rm, rf) = (cm.remainder(), cf.remainder());
    for (m, f) in cm.zip(cf) {
        for k in 0..4 {
            let x = f64::from(m[k]);
            s0[k] += x;
            s1[k] += x * f[k];
            s2[k] += x * f[k] * f[k];
        }
    }
    let (mut a, mut b, mut c) = (
        s0.iter().sum::<f64>(),
        s1.iter().sum::<f64>(),
        s2.iter().sum::<f64>(),
    );
    for (&m, &f) in rm.iter().zip(rf) {
        let x = f64::from(m);
        a += x;
        b += x * f;
        c += x * f * f;
    }
    (a, b, c)
}

/// One frame of `librosa.feature.spectral_centroid(S=magnitude)` and
/// `librosa.feature.spectral_bandwidth(S=magnitude)` (p = 2, normalised):
/// `c = sum(f S) / sum(S)` and `sqrt(sum(S / sum(S) (f - c)^2))`, the latter
/// as `sqrt(E[f^2] - c^2)` from the same moments (f64 keeps the difference
/// exact to far below a hertz). A frame whose sum is below f32's tiny has
/// centroid and bandwidth 0, as librosa's `util.normalize` leaves it zero.
#[inline]
pub fn centroid_bandwidth_frame(mag: &[f32], freqs: &[f64]) -> (f64, f64) {
    let (s0, s1, s2) = spectral_moments(mag, freqs);
    if s0 < TINY_F32 {
        return (s1, s2.max(0.0).sqrt());
    }
    let c = s1 / s0;
    (c, (s2 / s0 - c * c).max(0.0).sqrt())
}

/// One frame of `librosa.feature.spectral_rolloff(S=magnitude,
/// roll_percent=0.85)`: the lowest bin frequency at which the cumulative sum
/// reaches 85% of the frame's total (an all-zero frame gives bin 0).
///
/// librosa accumulates in float32; this accumulates in f64 over blocks of 16
/// bins (block sums vectorise, then one block is scanned), which can only
/// differ from librosa when a partial sum lies within float32 round-off of
/// the threshold.
#[inline]
pub fn rolloff_frame(mag: &[f32], freqs: &[f64]) -> f64 {
    const B: usize = 16;
    let block_sum = |b: &[f32]| b.iter().map(|&x| f64::from(x)).sum::<f64>();
    let total: f64 = mag.chunks(B).map(block_sum).sum();
    let threshold = 0.85 * total;
    let mut acc = 0.0f64;
    for (bi, block) in mag.chunks(B).enumerate() {
        let next = acc + block_sum(block);
        if next >= threshold {
            for (i, &x) in block.iter().enumerate() {
                acc += f64::from(x);
                if acc >= threshold {
                    return freqs[bi * B + i];
                }
            }
            // Rounding between the block sum and the scan: the block's last bin.
            return freqs[(bi * B + block.len() - 1).min(freqs.len() - 1)];
        }
        acc = next;
    }
    // Only reachable with NaN input; librosa's nanmin would give NaN too.
    f64::NAN
}

/// One frame of `librosa.feature.spectral_flatness(S=magnitude)` (power 2,
/// amin 1e-10): geometric over arithmetic mean of `max(amin, S^2)`.
#[inline]
pub fn flatness_frame(mag: &[f32]) -> f64 {
    let amin = 1e-10f32;
    let mut log_sum = 0.0f64;
    let mut sum = 0.0f64;
    for &s in mag {
        let p = amin.max(s * s);
        log_sum += f64::from(p.ln());
        sum += f64::from(p);
    }
    let n = mag.len() as f64;
    (log_sum / n).exp() / (sum / n)
}

/// Applies a per-frame kernel of the magnitude spectrum to every frame. `[frames]`.
fn per_frame(mag: &Matrix, f: impl Fn(&[f32]) -> f64) -> Vec<f64> {
    (0..mag.rows).map(|t| f(mag.row(t))).collect()
}

/// `librosa.feature.spectral_centroid(S=magnitude, sr=sr)`, `[frames]` in Hz.
pub fn spectral_centroid(mag: &Matrix, sr: f64, n_fft: usize) -> Vec<f64> {
    let freqs = fft_frequencies(sr, n_fft);
    per_frame(mag, |m| centroid_bandwidth_frame(m, &freqs).0)
}

/// `librosa.feature.spectral_bandwidth(S=magnitude, sr=sr)`, `[frames]` in Hz.
pub fn spectral_bandwidth(mag: &Matrix, sr: f64, n_fft: usize) -> Vec<f64> {
    let freqs = fft_frequencies(sr, n_fft);
    per_frame(mag, |m| centroid_bandwidth_frame(m, &freqs).1)
}

/// `librosa.feature.spectral_rolloff(S=magnitude, sr=sr)`, `[frames]` in Hz.
pub fn spectral_rolloff(mag: &Matrix, sr: f64, n_fft: usize) -> Vec<f64> {
    let freqs = fft_frequencies(sr, n_fft);
    per_frame(mag, |m| rolloff_frame(m, &freqs))
}

/// `librosa.feature.spectral_flatness(S=magnitude)`, `[frames]`.
pub fn spectral_flatness(mag: &Matrix) -> Vec<f64> {
    per_frame(mag, flatness_frame)
}

// ---------------------------------------------------------------- contrast

/// The sub-bands of `librosa.feature.spectral_contrast` (fmin 200 Hz, 6
/// octave bands plus the band below 200 Hz, quantile 0.02).
#[derive(Debug, Clone, PartialEq)]
pub struct ContrastBands {
    /// Per band: the bins `[lo, hi)` and how many extreme values are averaged.
    bands: Vec<(usize, usize, usize)>,
}

/// Number of spectral-contrast bands (`n_bands + 1` with librosa's `n_bands=6`).
pub const CONTRAST_BANDS: usize = 7;

impl ContrastBands {
    /// Band edges `[0, 200, 400, ..., 12800]` Hz. Returns `None` when an edge
    /// below the top one reaches Nyquist (librosa raises), i.e. `sr <= 12800`.
    pub fn new(sr: f64, n_fft: usize) -> Option<Self> {
        let n_bands = CONTRAST_BANDS - 1;
        let quantile = 0.02f64;
        let freqs = fft_frequencies(sr, n_fft);
        let mut octa = vec![0.0f64; n_bands + 2];
        for (k, o) in octa.iter_mut().enumerate().skip(1) {
            *o = 200.0 * 2f64.powi(k as i32 - 1);
        }
        if octa[..n_bands + 1].iter().any(|&o| o >= 0.5 * sr) {
            return None;
        }
        let mut bands = Vec::with_capacity(n_bands + 1);
        for k in 0..=n_bands {
            let (f_low, f_high) = (octa[k], octa[k + 1]);
            let idx: Vec<usize> = (0..freqs.len())
                .filter(|&i| freqs[i] >= f_low && freqs[i] <= f_high)
                .collect();
            let (first, last) = (*idx.first()?, *idx.last()?);
            let mut lo = first;
            let mut hi = last + 1; // exclusive
            if k > 0 {
                lo = first.checked_sub(1)?;
            }
            if k == n_bands {
                hi = freqs.len();
            }
            let count = hi - lo;
            let q = ((quantile * count as f64).round_ties_even() as usize).max(1);
            // All but the top band drop their last bin (it starts the next band).
            let hi_used = if k < n_bands { hi - 1 } else { hi };
            bands.push((lo, hi_used, q));
        }
        Some(ContrastBands { bands })
    }

    /// One frame: peak and valley (mean of the `q` largest / smallest
    /// magnitudes) of each band, `[7]` each.
    pub fn frame(&self, mag: &[f32], peak: &mut [f64], valley: &mut [f64]) {
        for (k, &(lo, hi, q)) in self.bands.iter().enumerate() {
            let (lo_sum, hi_sum) = extreme_sums(&mag[lo..hi], q);
            valley[k] = lo_sum / q as f64;
            peak[k] = hi_sum / q as f64;
        }
    }
}

/// Sums of the `q` smallest and the `q` largest values of `band` (q is a
/// few values: 2% of a band).
///
/// Linear time without sorting the band: the band is read as `L = 16`
/// interleaved lanes (`band[l], band[l + L], ...`) whose minima and maxima
/// are computed lane-wise (this vectorises). The q-th smallest lane minimum
/// bounds the q-th smallest value from above, so one filtering pass that
/// keeps only values at or below it finds every candidate (a handful), and
/// only those are inserted into the sorted buffer; likewise for the largest.
fn extreme_sums(band: &[f32], q: usize) -> (f64, f64) {
    const L: usize = 16;
    let q = q.min(band.len());
    if q == 0 {
        return (0.0, 0.0);
    }
    if q == 1 {
        let (lo, hi) = min_max(band);
        return (f64::from(lo), f64::from(hi));
    }
    if q > L || band.len() < 2 * L {
        let mut v = band.to_vec();
        v.sort_unstable_by(|a, b| a.total_cmp(b));
        let lo = v[..q].iter().map(|&x| f64::from(x)).sum();
        let hi = v[v.len() - q..].iter().map(|&x| f64::from(x)).sum();
        return (lo, hi);
    }
    let (mins, maxs) = lane_min_max::<L>(band);
    let lo_bound = kth_smallest(&mins, q);
    let hi_bound = -kth_smallest_neg(&maxs, q);
    let mut small = SortedBuf::new(q);
    let mut large = SortedBuf::new(q);
    let mut visit = |x: f32| {
        if x <= lo_bound {
            small.push(x);
        }
        if x >= hi_bound {
            large.push(-x);
        }
    };
    // Candidates are rare: test 16 values at once without branching (this
    // vectorises) and look at the values only in chunks that hold one.
    let chunks = band.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        let c: &[f32; L] = c.try_into().expect("chunks_exact yields L values");
        let hit = c.iter().fold(0u32, |acc, &x| {
            acc | u32::from(x <= lo_bound) | u32::from(x >= hi_bound)
        });
        if hit != 0 {
            c.iter().for_each(|&x| visit(x));
        }
    }
    rest.iter().for_each(|&x| visit(x));
    (small.sum(), -large.sum())
}

/// Lane-wise minima and maxima of `x` read as `L` interleaved lanes (every
/// lane gets at least one value when `x.len() >= L`).
fn lane_min_max<const L: usize>(x: &[f32]) -> ([f32; L], [f32; L]) {
    let mut lo = [f32::INFINITY; L];
    let mut hi = [f32::NEG_INFINITY; L];
    let chunks = x.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        let c: &[f32; L] = c.try_into().expect("chunks_exact yields L values");
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(c) {
            *l = if v < *l { v } else { *l };
            *h = if v > *h { v } else { *h };
        }
    }
    for (i, &v) in rest.iter().enumerate() {
        lo[i] = if v < lo[i] { v } else { lo[i] };
        hi[i] = if v > hi[i] { v } else { hi[i] };
    }
    (lo, hi)
}

/// Minimum and maximum of a non-empty slice over 16 independent lanes (a
/// single running min is one long dependency chain; lanes vectorise).
fn min_max(x: &[f32]) -> (f32, f32) {
    let (lo, hi) = lane_min_max::<16>(x);
    let l = lo
        .iter()
        .fold(f32::INFINITY, |m, &v| if v < m { v } else { m });
    let h = hi
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    (l, h)
}

/// The k-th smallest (1-based) of a short slice.
fn kth_smallest(v: &[f32], k: usize) -> f32 {
    let mut b = SortedBuf::new(k);
    for &x in v {
        b.push(x);
    }
    b.vals[k - 1]
}

/// The k-th smallest of the negated values (the k-th largest, negated).
fn kth_smallest_neg(v: &[f32], k: usize) -> f32 {
    let mut b = SortedBuf::new(k);
    for &x in v {
        b.push(-x);
    }
    b.vals[k - 1]
}

/// The `k <= 32` smallest values pushed so far, ascending (unfilled slots
/// hold +inf, so a rejected push costs one comparison).
struct SortedBuf {
    vals: [f32; 32],
    k: usize,
}

impl SortedBuf {
    fn new(k: usize) -> Self {
        SortedBuf {
            vals: [f32::INFINITY; 32],
            k,
        }
    }

    #[inline]
    fn push(&mut self, x: f32) {
        let k = self.k;
        if x >= self.vals[k - 1] {
            return;
        }
        let mut i = k - 1;
        while i > 0 && self.vals[i - 1] > x {
            self.vals[i] = self.vals[i - 1];
            i -= 1;
        }
        self.vals[i] = x;
    }

    /// Sum of the kept values (callers push at least `k` finite values).
    fn sum(&self) -> f64 {
        self.vals[..self.k].iter().map(|&x| f64::from(x)).sum()
    }
}

/// Turns per-frame peaks and valleys (`[frames, 7]`, row-major) into
/// contrast: `power_to_db(peak) - power_to_db(valley)`, each with
/// `top_db=80` over its whole array, as librosa does.
pub fn contrast_from_extremes(mut peak: Vec<f64>, mut valley: Vec<f64>) -> Matrix {
    power_to_db_f64(&mut peak, 80.0);
    power_to_db_f64(&mut valley, 80.0);
    let rows = peak.len() / CONTRAST_BANDS;
    Matrix {
        rows,
        cols: CONTRAST_BANDS,
        data: peak
            .iter()
            .zip(&valley)
            .map(|(p, v)| (p - v) as f32)
            .collect(),
    }
}

/// `librosa.feature.spectral_contrast(S=magnitude, sr=sr)`: `[frames, 7]` in dB.
/// `None` when `sr <= 12800` (the top band edge would pass Nyquist).
pub fn spectral_contrast(mag: &Matrix, sr: f64, n_fft: usize) -> Option<Matrix> {
    let bands = ContrastBands::new(sr, n_fft)?;
    let mut peak = vec![0.0f64; mag.rows * CONTRAST_BANDS];
    let mut valley = vec![0.0f64; mag.rows * CONTRAST_BANDS];
    for t in 0..mag.rows {
        let r = t * CONTRAST_BANDS..(t + 1) * CONTRAST_BANDS;
        bands.frame(mag.row(t), &mut peak[r.clone()], &mut valley[r]);
    }
    Some(contrast_from_extremes(peak, valley))
}

// ---------------------------------------------------------------- time domain

/// `librosa.feature.rms(y=y, frame_length, hop_length)` (centred, zero
/// padding): `sqrt(mean(x^2))` per frame. `[1 + len / hop]`.
pub fn rms(y: &[f32], frame_length: usize, hop: usize) -> Vec<f64> {
    let frames = n_frames(y.len(), hop);
    let mut edge = vec![0.0f32; frame_length];
    (0..frames)
        .map(|t| {
            let w = centred_frame(y, t * hop, frame_length, &mut edge);
            f64::from((dot_f32(w, w) / frame_length as f32).sqrt())
        })
        .collect()
}

/// Frame `[pos - len/2, pos - len/2 + len)` of `y` zero-padded by `len / 2`
/// on both sides (librosa's `center=True`, `pad_mode="constant"`): a slice
/// of `y` itself when the frame lies inside it, else `buf` filled with the
/// overlapping samples and zeros (only the first and last few frames).
fn centred_frame<'a>(y: &'a [f32], pos: usize, len: usize, buf: &'a mut [f32]) -> &'a [f32] {
    let half = len / 2;
    if pos >= half && pos - half + len <= y.len() {
        return &y[pos - half..pos - half + len];
    }
    for (k, b) in buf.iter_mut().enumerate() {
        // Index into y of buf[k]: pos - half + k, outside y -> 0.
        *b = (pos + k)
            .checked_sub(half)
            .and_then(|i| y.get(i))
            .copied()
            .unwrap_or(0.0);
    }
    buf
}

/// `librosa.feature.zero_crossing_rate(y, frame_length, hop_length)`:
/// centred with **edge** padding; within each frame, the fraction of
/// adjacent pairs whose signs differ, where `|x| <= 1e-10` counts as zero
/// and zero counts as positive (the frame's first sample never counts).
/// `[1 + len / hop]`.
pub fn zero_crossing_rate(y: &[f32], frame_length: usize, hop: usize) -> Vec<f64> {
    let frames = n_frames(y.len(), hop);
    if y.is_empty() {
        return vec![0.0; frames];
    }
    let half = frame_length / 2;
    // Sign flags of the edge-padded signal ("negative" = below -1e-10).
    let neg = |x: f32| u32::from(f64::from(x) < -1e-10);
    let mut flags: Vec<u32> = Vec::with_capacity(y.len() + 2 * half);
    flags.resize(half, neg(y[0]));
    flags.extend(y.iter().map(|&x| neg(x)));
    flags.resize(y.len() + 2 * half, neg(y[y.len() - 1]));
    // prefix[i] = number of sign changes between positions 0..=i.
    let mut prefix = vec![0u32; flags.len()];
    let mut acc = 0u32;
    for i in 1..flags.len() {
        acc += flags[i] ^ flags[i - 1];
        prefix[i] = acc;
    }
    (0..frames)
        .map(|t| {
            let s = t * hop;
            let count = prefix[s + frame_length - 1] - prefix[s];
            f64::from(count) / frame_length as f64
        })
        .collect()
}

// ---------------------------------------------------------------- rhythm

/// `librosa.onset.onset_strength(S=log_mel)` (lag 1, max_size 1, mean over
/// mel bands, centred): `mean_m max(0, S[t-2][m] - S[t-3][m])`, the first 3
/// frames 0 (the lag plus the `n_fft / (2 hop)` centring shift).
/// `[frames, n_mels] -> [frames]`.
pub fn onset_strength(log_mel: &Matrix, n_fft: usize, hop: usize) -> Vec<f32> {
    let lag = 1usize;
    let pad = lag + n_fft / (2 * hop);
    let t_len = log_mel.rows;
    let mut out = vec![0.0f32; t_len];
    for (t, o) in out.iter_mut().enumerate().skip(pad) {
        let j = t - pad + lag; // frame compared with the one `lag` before
        if j >= t_len {
            break;
        }
        let (cur, prev) = (log_mel.row(j), log_mel.row(j - lag));
        let s: f32 = cur.iter().zip(prev).map(|(&a, &b)| (a - b).max(0.0)).sum();
        *o = s / log_mel.cols as f32;
    }
    out
}

/// `librosa.feature.tempo(onset_envelope=env, sr=sr, hop_length=hop)` with
/// the defaults (start 120 BPM, std 1 octave, 8 s autocorrelation window,
/// max 320 BPM, mean over frames): the BPM maximising
/// `log1p(1e6 * mean tempogram) + log-normal prior`. Returns BPM.
pub fn tempo(env: &[f32], sr: f64, hop: usize) -> f64 {
    let win = ((8.0 * sr) as usize) / hop;
    let tg = mean_tempogram(env, win);
    let bpms: Vec<f64> = (0..win)
        .map(|k| {
            if k == 0 {
                f64::INFINITY
            } else {
                60.0 * sr / (hop as f64 * k as f64)
            }
        })
        .collect();
    let max_idx = bpms.iter().position(|&b| b < 320.0).unwrap_or(0);
    let mut best = 0usize;
    let mut best_score = f64::NEG_INFINITY;
    for k in 0..win {
        let logprior = if k < max_idx {
            f64::NEG_INFINITY
        } else {
            -0.5 * (bpms[k].log2() - 120f64.log2()).powi(2)
        };
        let score = (1e6 * tg[k]).ln_1p() + logprior;
        if score > best_score {
            best_score = score;
            best = k;
        }
    }
    bpms[best]
}

/// `librosa.feature.tempogram(onset_envelope=env, win_length=win)` averaged
/// over frames: per frame, the autocorrelation of a Hann-windowed `win`-frame
/// excerpt of the envelope (padded with linear ramps to zero), divided by
/// its maximum. `[win]`.
pub fn mean_tempogram(env: &[f32], win: usize) -> Vec<f64> {
    let n = env.len();
    let half = win / 2;
    if n == 0 || win == 0 {
        return vec![0.0; win];
    }
    // np.pad(mode="linear_ramp", end_values=0): ramps from 0 up to the edge value.
    let mut padded = vec![0.0f32; n + 2 * half];
    padded[half..half + n].copy_from_slice(env);
    let (first, last) = (f64::from(env[0]), f64::from(env[n - 1]));
    for i in 0..half {
        padded[i] = (first * i as f64 / half as f64) as f32;
        padded[n + 2 * half - 1 - i] = (last * i as f64 / half as f64) as f32;
    }
    let window = hann_periodic(win);
    let n_pad = (2 * win - 1).next_power_of_two().max(2);
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n_pad);
    let inv = planner.plan_fft_inverse(n_pad);
    let mut buf = vec![0.0f64; n_pad];
    let mut spec = vec![Complex::new(0.0f64, 0.0); n_pad / 2 + 1];
    let mut scratch =
        vec![Complex::new(0.0f64, 0.0); fwd.get_scratch_len().max(inv.get_scratch_len())];
    let mut acc = vec![0.0f64; win];
    for t in 0..n {
        buf.iter_mut().for_each(|b| *b = 0.0);
        for k in 0..win {
            buf[k] = f64::from(padded[t + k]) * window[k];
        }
        fwd.process_with_scratch(&mut buf, &mut spec, &mut scratch)
            .expect("buffer lengths come from the plan");
        for c in spec.iter_mut() {
            *c = Complex::new(c.re * c.re + c.im * c.im, 0.0);
        }
        inv.process_with_scratch(&mut spec, &mut buf, &mut scratch)
            .expect("buffer lengths come from the plan");
        // realfft's inverse is unnormalised; the max-normalisation below
        // cancels the 1/n_pad scale anyway, but keep the values true.
        let scale = 1.0 / n_pad as f64;
        let max = buf[..win]
            .iter()
            .fold(0.0f64, |m, &x| m.max((x * scale).abs()));
        let norm = if max < TINY_F64 { 1.0 } else { max };
        for k in 0..win {
            acc[k] += buf[k] * scale / norm;
        }
    }
    acc.iter().map(|a| a / n as f64).collect()
}
