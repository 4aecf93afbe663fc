//! Max pooling with the argmax kept for the backward pass.

use super::*;

/// Sizes of one max pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolDims {
    pub(super) planes: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) kh: usize,
    pub(super) kw: usize,
    pub(super) shape: [usize; 4],
}

impl PoolDims {
    pub(super) fn new(x: [usize; 4], [kh, kw]: [usize; 2]) -> Self {
        assert!(kh > 0 && kw > 0, "max pool: empty window");
        Self {
            planes: x[0] * x[1],
            h: x[2],
            w: x[3],
            kh,
            kw,
            shape: x,
        }
    }

    pub(super) fn h_out(&self) -> usize {
        self.h / self.kh
    }

    pub(super) fn w_out(&self) -> usize {
        self.w / self.kw
    }

    pub(super) fn in_shape(&self) -> [usize; 4] {
        self.shape
    }

    pub(super) fn out_shape(&self) -> [usize; 4] {
        [self.shape[0], self.shape[1], self.h_out(), self.w_out()]
    }
}

/// Window maxima and, for the backward pass, the flat input index of each
/// (the first maximum in row-major window order).
pub(super) fn pool_forward(x: &[f32], d: &PoolDims) -> (Vec<f32>, Vec<u32>) {
    let (ho, wo) = (d.h_out(), d.w_out());
    let (plane_in, plane_out) = (d.h * d.w, ho * wo);
    assert!(
        x.len() <= u32::MAX as usize,
        "max pool: input too large for u32 indices"
    );
    let mut y = vec![0.0f32; d.planes * plane_out];
    let mut arg = vec![0u32; d.planes * plane_out];
    if plane_out == 0 {
        return (y, arg);
    }
    y.par_chunks_mut(plane_out)
        .zip(arg.par_chunks_mut(plane_out))
        .enumerate()
        .for_each(|(p, (yp, ap))| {
            let base = p * plane_in;
            for oy in 0..ho {
                let yo = &mut yp[oy * wo..(oy + 1) * wo];
                let ao = &mut ap[oy * wo..(oy + 1) * wo];
                yo.fill(f32::NEG_INFINITY);
                for (ox, a) in ao.iter_mut().enumerate() {
                    *a = (base + oy * d.kh * d.w + ox * d.kw) as u32;
                }
                // Window rows in order, columns in order: the first maximum
                // wins; a NaN wins (and the first one stays), as in PyTorch.
                for ky in 0..d.kh {
                    let row = base + (oy * d.kh + ky) * d.w;
                    let windows = x[row..row + wo * d.kw].chunks_exact(d.kw);
                    for (ox, ((best, at), win)) in
                        yo.iter_mut().zip(ao.iter_mut()).zip(windows).enumerate()
                    {
                        for (kx, &v) in win.iter().enumerate() {
                            if v > *best || (v.is_nan() && !best.is_nan()) {
                                *best = v;
                                *at = (row + ox * d.kw + kx) as u32;
                            }
                        }
                    }
                }
            }
        });
    (y, arg)
}

/// Scatters each output gradient to its window's maximum.
pub(super) fn pool_backward(dy: &[f32], argmax: &[u32], d: &PoolDims) -> Vec<f32> {
    let (plane_in, plane_out) = (d.h * d.w, d.h_out() * d.w_out());
    let mut dx = vec![0.0f32; d.planes * plane_in];
    if plane_out == 0 {
        return dx;
    }
    dx.par_chunks_mut(plane_in)
        .enumerate()
        .for_each(|(p, dxp)| {
            let base = p * plane_in;
            let range = p * plane_out..(p + 1) * plane_out;
            for (&g, &at) in dy[range.clone()].iter().zip(&argmax[range]) {
                dxp[at as usize - base] += g;
            }
        });
    dx
}
