//! Stride-1 convolution as im2col + GEMM, and its backward pass through col2im.

use super::*;

/// Sizes of one convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvDims {
    pub(super) batch: usize,
    pub(super) c_in: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) c_out: usize,
    pub(super) kh: usize,
    pub(super) kw: usize,
    pub(super) pad_h: usize,
    pub(super) pad_w: usize,
}

impl ConvDims {
    pub(super) fn new(x: [usize; 4], weight: [usize; 4], [pad_h, pad_w]: [usize; 2]) -> Self {
        let [batch, c_in, h, w] = x;
        let [c_out, c_in_w, kh, kw] = weight;
        assert_eq!(
            c_in, c_in_w,
            "conv: input has {c_in} channels, weight {c_in_w}"
        );
        assert!(
            h + 2 * pad_h >= kh && w + 2 * pad_w >= kw,
            "conv: kernel {kh}x{kw} larger than the padded input {h}x{w}"
        );
        Self {
            batch,
            c_in,
            h,
            w,
            c_out,
            kh,
            kw,
            pad_h,
            pad_w,
        }
    }

    pub(super) fn h_out(&self) -> usize {
        self.h + 2 * self.pad_h + 1 - self.kh
    }

    pub(super) fn w_out(&self) -> usize {
        self.w + 2 * self.pad_w + 1 - self.kw
    }

    /// Rows of the im2col matrix: `c_in * kh * kw`.
    pub(super) fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }

    /// Columns of the im2col matrix: output positions per sample.
    pub(super) fn n(&self) -> usize {
        self.h_out() * self.w_out()
    }

    pub(super) fn out_shape(&self) -> [usize; 4] {
        [self.batch, self.c_out, self.h_out(), self.w_out()]
    }

    /// Output columns `ox` whose input column `ox + kx - pad_w` is inside
    /// the image.
    pub(super) fn valid_cols(&self, kx: usize) -> (usize, usize) {
        let lo = self.pad_w.saturating_sub(kx);
        let hi = (self.w + self.pad_w).saturating_sub(kx).min(self.w_out());
        (lo, hi.max(lo))
    }

    /// Input row of output row `oy` under kernel row `ky`, if inside.
    pub(super) fn in_row(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy + ky).checked_sub(self.pad_h).filter(|&r| r < self.h)
    }
}

/// One sample `[c_in, h, w]` unrolled into `cols: [c_in * kh * kw, h_out *
/// w_out]` (zeros where the kernel hangs over the padding).
pub(super) fn im2col(x: &[f32], d: &ConvDims, cols: &mut [f32]) {
    let (ho, wo, n) = (d.h_out(), d.w_out(), d.n());
    for ci in 0..d.c_in {
        let plane = &x[ci * d.h * d.w..(ci + 1) * d.h * d.w];
        for ky in 0..d.kh {
            for kx in 0..d.kw {
                let row = (ci * d.kh + ky) * d.kw + kx;
                let dst = &mut cols[row * n..(row + 1) * n];
                let (lo, hi) = d.valid_cols(kx);
                for oy in 0..ho {
                    let out = &mut dst[oy * wo..(oy + 1) * wo];
                    match d.in_row(oy, ky) {
                        Some(iy) => {
                            out[..lo].fill(0.0);
                            out[hi..].fill(0.0);
                            let start = iy * d.w + lo + kx - d.pad_w;
                            out[lo..hi].copy_from_slice(&plane[start..start + (hi - lo)]);
                        }
                        None => out.fill(0.0),
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds `cols` back into one sample's
/// `[c_in, h, w]` gradient.
pub(super) fn col2im(cols: &[f32], d: &ConvDims, dx: &mut [f32]) {
    let (ho, wo, n) = (d.h_out(), d.w_out(), d.n());
    for ci in 0..d.c_in {
        let plane = &mut dx[ci * d.h * d.w..(ci + 1) * d.h * d.w];
        for ky in 0..d.kh {
            for kx in 0..d.kw {
                let row = (ci * d.kh + ky) * d.kw + kx;
                let src = &cols[row * n..(row + 1) * n];
                let (lo, hi) = d.valid_cols(kx);
                for oy in 0..ho {
                    if let Some(iy) = d.in_row(oy, ky) {
                        let start = iy * d.w + lo + kx - d.pad_w;
                        let dst = &mut plane[start..start + (hi - lo)];
                        for (o, s) in dst.iter_mut().zip(&src[oy * wo + lo..oy * wo + hi]) {
                            *o += s;
                        }
                    }
                }
            }
        }
    }
}

/// Samples per convolution task. Each task allocates its im2col buffers
/// once and accumulates its weight gradient in one buffer; the size is
/// fixed (not derived from the pool) so the order of every sum, and so the
/// result, does not depend on the number of threads.
pub(super) const CONV_GROUP: usize = 4;

/// Forward convolution: per sample, `y = W cols` with `W: [c_out, k]`.
pub(super) fn conv_forward(x: &[f32], w: &[f32], d: &ConvDims) -> Vec<f32> {
    let (k, n) = (d.k(), d.n());
    let x_len = d.c_in * d.h * d.w;
    let mut out = vec![0.0f32; d.batch * d.c_out * n];
    if n == 0 || x_len == 0 {
        return out;
    }
    out.par_chunks_mut(CONV_GROUP * d.c_out * n)
        .zip(x.par_chunks(CONV_GROUP * x_len))
        .for_each(|(yg, xg)| {
            let mut cols = vec![0.0f32; k * n];
            for (y, xb) in yg.chunks_mut(d.c_out * n).zip(xg.chunks(x_len)) {
                im2col(xb, d, &mut cols);
                matmul(
                    y,
                    View::rows(w, k),
                    View::rows(&cols, n),
                    [d.c_out, n, k],
                    false,
                    Parallelism::None,
                );
            }
        });
    out
}

/// Gradients of [`conv_forward`] given the output gradient `dy`: the
/// weight's (`sum_b dy_b cols_b^T`, accumulated in sample order within
/// each group of [`CONV_GROUP`] samples, then over groups in order) and,
/// when `need_dx`, the input's (`col2im(W^T dy_b)`).
pub(super) fn conv_backward(
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    d: &ConvDims,
    need_dx: bool,
) -> (Vec<f32>, Option<Vec<f32>>) {
    let (k, n) = (d.k(), d.n());
    let x_len = d.c_in * d.h * d.w;
    let y_len = d.c_out * n;
    let per = d.c_out * k;
    let groups = d.batch.div_ceil(CONV_GROUP);
    let mut dw_groups = vec![0.0f32; groups * per];
    let mut dx = vec![0.0f32; if need_dx { d.batch * x_len } else { 0 }];
    let group = |g: usize, dwg: &mut [f32], mut dxg: Option<&mut [f32]>| {
        let mut cols = vec![0.0f32; k * n];
        let mut dcols = vec![0.0f32; if dxg.is_some() { k * n } else { 0 }];
        let samples = g * CONV_GROUP..((g + 1) * CONV_GROUP).min(d.batch);
        for (i, b) in samples.enumerate() {
            let dyb = &dy[b * y_len..(b + 1) * y_len];
            im2col(&x[b * x_len..(b + 1) * x_len], d, &mut cols);
            matmul(
                dwg,
                View::rows(dyb, n),
                View::transposed(&cols, n),
                [d.c_out, k, n],
                i > 0,
                Parallelism::None,
            );
            if let Some(dxg) = dxg.as_deref_mut() {
                matmul(
                    &mut dcols,
                    View::transposed(w, k),
                    View::rows(dyb, n),
                    [k, n, d.c_out],
                    false,
                    Parallelism::None,
                );
                col2im(&dcols, d, &mut dxg[i * x_len..(i + 1) * x_len]);
            }
        }
    };
    if n > 0 && x_len > 0 && per > 0 {
        if need_dx {
            dw_groups
                .par_chunks_mut(per)
                .zip(dx.par_chunks_mut(CONV_GROUP * x_len))
                .enumerate()
                .for_each(|(g, (dwg, dxg))| group(g, dwg, Some(dxg)));
        } else {
            dw_groups
                .par_chunks_mut(per)
                .enumerate()
                .for_each(|(g, dwg)| group(g, dwg, None));
        }
    }
    let mut dw = vec![0.0f32; per];
    for part in dw_groups.chunks(per.max(1)) {
        for (a, p) in dw.iter_mut().zip(part) {
            *a += p;
        }
    }
    (dw, need_dx.then_some(dx))
}
