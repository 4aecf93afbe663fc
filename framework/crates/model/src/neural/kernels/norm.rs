//! Per-channel statistics and batch normalisation fused with ReLU, forward and backward.

use super::*;

/// The `n`-long runs of channel `ch` in `[batch, channels, n]`.
pub(super) fn channel_runs(
    x: &[f32],
    [b, c, n]: [usize; 3],
    ch: usize,
) -> impl Iterator<Item = &[f32]> {
    (0..b).map(move |bi| &x[(bi * c + ch) * n..(bi * c + ch + 1) * n])
}

/// Per-channel mean and biased variance (two passes, f64 sums), `[2, c]`.
pub(super) fn stats_forward(x: &[f32], shape: [usize; 3]) -> Vec<f32> {
    let [b, c, n] = shape;
    let count = (b * n).max(1) as f64;
    let per: Vec<(f32, f32)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let sum: f64 = channel_runs(x, shape, ch)
                .map(|r| r.iter().map(|&v| f64::from(v)).sum::<f64>())
                .sum();
            let mean = sum / count;
            let sq: f64 = channel_runs(x, shape, ch)
                .map(|r| {
                    r.iter()
                        .map(|&v| (f64::from(v) - mean).powi(2))
                        .sum::<f64>()
                })
                .sum();
            (mean as f32, (sq / count) as f32)
        })
        .collect();
    per.iter()
        .map(|p| p.0)
        .chain(per.iter().map(|p| p.1))
        .collect()
}

/// Per channel: the scale `gamma / sqrt(var + eps)`, the shift `beta -
/// mean scale`, the mean and `1 / sqrt(var + eps)`.
pub(super) fn bn_coefficients(g: &[f32], b: &[f32], st: &[f32], eps: f64, ch: usize) -> [f32; 4] {
    let c = g.len();
    let (mean, var) = (st[ch], st[c + ch]);
    let inv = (1.0 / (f64::from(var) + eps).sqrt()) as f32;
    let scale = g[ch] * inv;
    [scale, b[ch] - mean * scale, mean, inv]
}

pub(super) fn bn_relu_forward(
    x: &[f32],
    g: &[f32],
    b: &[f32],
    st: &[f32],
    eps: f64,
    shape: [usize; 3],
) -> Vec<f32> {
    let [_, c, n] = shape;
    let mut y = vec![0.0f32; x.len()];
    if n == 0 || c == 0 {
        return y;
    }
    // One task per (sample, channel) run.
    y.par_chunks_mut(n)
        .zip(x.par_chunks(n))
        .enumerate()
        .for_each(|(k, (yr, xr))| {
            let [scale, shift, _, _] = bn_coefficients(g, b, st, eps, k % c);
            for (o, &v) in yr.iter_mut().zip(xr) {
                *o = (v * scale + shift).max(0.0);
            }
        });
    y
}

/// Gradients of [`bn_relu_forward`] with batch statistics: with `g` the
/// output gradient masked by the ReLU and `xh = (x - mean) inv`, per
/// channel `dbeta = sum g`, `dgamma = sum g xh`, and `dx = gamma inv / N (N
/// g - dbeta - xh dgamma)`.
pub(super) fn bn_relu_backward(
    x: &[f32],
    g: &[f32],
    b: &[f32],
    st: &[f32],
    dy: &[f32],
    eps: f64,
    shape: [usize; 3],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let [bt, c, n] = shape;
    let count = (bt * n).max(1) as f64;
    let sums: Vec<(f64, f64)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let [scale, shift, mean, inv] = bn_coefficients(g, b, st, eps, ch);
            let (mut s1, mut s2) = (0.0f64, 0.0f64);
            for (xr, dr) in channel_runs(x, shape, ch).zip(channel_runs(dy, shape, ch)) {
                let (mut a1, mut a2) = (0.0f32, 0.0f32);
                for (&v, &d) in xr.iter().zip(dr) {
                    let gm = if v * scale + shift > 0.0 { d } else { 0.0 };
                    a1 += gm;
                    a2 += gm * (v - mean) * inv;
                }
                s1 += f64::from(a1);
                s2 += f64::from(a2);
            }
            (s1, s2)
        })
        .collect();
    let db: Vec<f32> = sums.iter().map(|s| s.0 as f32).collect();
    let dg: Vec<f32> = sums.iter().map(|s| s.1 as f32).collect();
    let mut dx = vec![0.0f32; x.len()];
    if n > 0 && c > 0 {
        dx.par_chunks_mut(n)
            .zip(x.par_chunks(n).zip(dy.par_chunks(n)))
            .enumerate()
            .for_each(|(k, (out, (xr, dr)))| {
                let ch = k % c;
                let [scale, shift, mean, inv] = bn_coefficients(g, b, st, eps, ch);
                let (s1, s2) = (sums[ch].0 / count, sums[ch].1 / count);
                let (s1, s2) = (s1 as f32, s2 as f32);
                let k = g[ch] * inv;
                for ((o, &v), &d) in out.iter_mut().zip(xr).zip(dr) {
                    let gm = if v * scale + shift > 0.0 { d } else { 0.0 };
                    *o = k * (gm - s1 - (v - mean) * inv * s2);
                }
            });
    }
    (dx, dg, db)
}
