//! A whole LSTM sequence: the forward pass with its tape, and back-propagation through time.

use super::*;

/// Sizes of one LSTM sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LstmDims {
    pub(super) batch: usize,
    pub(super) steps: usize,
    pub(super) hidden: usize,
}

impl LstmDims {
    pub(super) fn new(gates_x: [usize; 3], w_hh: [usize; 2], mask: [usize; 2]) -> Self {
        let [batch, steps, h4] = gates_x;
        let hidden = h4 / 4;
        assert_eq!(h4, 4 * hidden, "lstm: gate width {h4} is not 4 x hidden");
        assert_eq!(
            w_hh,
            [hidden, h4],
            "lstm: recurrent weight must be [hidden, 4 hidden]"
        );
        assert_eq!(mask, [batch, steps], "lstm: mask must be [batch, steps]");
        Self {
            batch,
            steps,
            hidden,
        }
    }

    /// Step processed just before `s`, if any.
    pub(super) fn prev(&self, s: usize, reverse: bool) -> Option<usize> {
        if reverse {
            (s + 1 < self.steps).then_some(s + 1)
        } else {
            s.checked_sub(1)
        }
    }

    /// Steps in processing order.
    pub(super) fn order(&self, reverse: bool) -> Vec<usize> {
        if reverse {
            (0..self.steps).rev().collect()
        } else {
            (0..self.steps).collect()
        }
    }
}

/// The forward pass's record, time-major: `acts[s]` is `[batch, 4 hidden]`
/// (the activated gates `i, f, g, o`), `tanh_c[s]` is `tanh` of the cell
/// before masking, `h[s]`, `c[s]` the state after step `s` (`[batch,
/// hidden]` each).
#[derive(Debug)]
pub(super) struct LstmTape {
    /// Sizes of the rows this tape covers.
    pub(super) dims: LstmDims,
    pub(super) acts: Vec<f32>,
    pub(super) tanh_c: Vec<f32>,
    pub(super) h: Vec<f32>,
    pub(super) c: Vec<f32>,
}

impl LstmTape {
    /// Hidden states `[batch, steps, hidden]` (batch-major).
    pub(super) fn outputs(&self) -> Vec<f32> {
        let (b, t, hd) = (self.dims.batch, self.dims.steps, self.dims.hidden);
        let mut out = vec![0.0f32; b * t * hd];
        for s in 0..t {
            for bi in 0..b {
                let src = &self.h[(s * b + bi) * hd..(s * b + bi + 1) * hd];
                out[(bi * t + s) * hd..(bi * t + s + 1) * hd].copy_from_slice(src);
            }
        }
        out
    }
}

/// `e^x` without a libm call, so loops over slices vectorise: Cody-Waite
/// reduction `x = n ln 2 + r`, `|r| <= ln 2 / 2`, and Cephes' `expf`
/// polynomial for `e^r` (relative error below 2e-7 on the clamped range
/// `[-87, 88]`, where `2^n` stays a normal float).
#[inline(always)]
pub(super) fn exp_approx(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_2e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    // The low mantissa bits of `shifted` hold n + 2^22 (two's complement).
    let ni = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    er * f32::from_bits(((ni + 127) << 23) as u32)
}

#[inline(always)]
pub(super) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp_approx(-x))
}

/// `tanh x = 2 sigmoid(2x) - 1` (absolute error ~1e-7).
#[inline(always)]
pub(super) fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + exp_approx(-2.0 * x)) - 1.0
}

pub(super) fn sigmoid_in_place(v: &mut [f32]) {
    for x in v {
        *x = sigmoid(*x);
    }
}

pub(super) fn tanh_in_place(v: &mut [f32]) {
    for x in v {
        *x = tanh(*x);
    }
}

/// GEMMs of one LSTM step are small (`batch x hidden x 4 hidden`): one
/// thread each (splitting them costs more in wake-ups than it saves).
pub(super) const LSTM_PARALLELISM: Parallelism = Parallelism::None;

/// Block `s` of a time-major buffer (mutable) and block `p` (the previous
/// step's, or `zeros` at the first step).
pub(super) fn step_and_prev<'a>(
    buf: &'a mut [f32],
    s: usize,
    p: Option<usize>,
    block: usize,
    zeros: &'a [f32],
) -> (&'a mut [f32], &'a [f32]) {
    let (before, rest) = buf.split_at_mut(s * block);
    let (current, after) = rest.split_at_mut(block);
    let prev: &[f32] = match p {
        Some(p) if p > s => &after[(p - s - 1) * block..(p - s) * block],
        Some(p) => &before[p * block..(p + 1) * block],
        None => zeros,
    };
    (current, prev)
}

pub(super) fn lstm_forward(
    gx: &[f32],
    w: &[f32],
    mask: &[f32],
    d: &LstmDims,
    reverse: bool,
) -> LstmTape {
    let (b, t, hd) = (d.batch, d.steps, d.hidden);
    let h4 = 4 * hd;
    let mut tape = LstmTape {
        dims: *d,
        acts: vec![0.0; t * b * h4],
        tanh_c: vec![0.0; t * b * hd],
        h: vec![0.0; t * b * hd],
        c: vec![0.0; t * b * hd],
    };
    let zeros = vec![0.0f32; b * hd];
    for s in d.order(reverse) {
        let p = d.prev(s, reverse);
        let (h_out, h_prev) = step_and_prev(&mut tape.h, s, p, b * hd, &zeros);
        let g = &mut tape.acts[s * b * h4..(s + 1) * b * h4];
        for bi in 0..b {
            g[bi * h4..(bi + 1) * h4]
                .copy_from_slice(&gx[(bi * t + s) * h4..(bi * t + s + 1) * h4]);
        }
        if p.is_some() {
            matmul(
                g,
                View::rows(h_prev, hd),
                View::rows(w, h4),
                [b, h4, hd],
                true,
                LSTM_PARALLELISM,
            );
        }
        let (c_out, c_prev) = step_and_prev(&mut tape.c, s, p, b * hd, &zeros);
        let tanh_c = &mut tape.tanh_c[s * b * hd..(s + 1) * b * hd];
        for bi in 0..b {
            let m = mask[bi * t + s];
            let gb = &mut g[bi * h4..(bi + 1) * h4];
            sigmoid_in_place(&mut gb[..2 * hd]);
            tanh_in_place(&mut gb[2 * hd..3 * hd]);
            sigmoid_in_place(&mut gb[3 * hd..]);
            let (i, rest) = gb.split_at(hd);
            let (f, rest) = rest.split_at(hd);
            let (gg, o) = rest.split_at(hd);
            let row = bi * hd..(bi + 1) * hd;
            let (cp, hp) = (&c_prev[row.clone()], &h_prev[row.clone()]);
            let tc = &mut tanh_c[row.clone()];
            let co = &mut c_out[row.clone()];
            let ho = &mut h_out[row];
            for j in 0..hd {
                let cn = f[j] * cp[j] + i[j] * gg[j];
                let t_c = tanh(cn);
                tc[j] = t_c;
                co[j] = m * cn + (1.0 - m) * cp[j];
                ho[j] = m * (o[j] * t_c) + (1.0 - m) * hp[j];
            }
        }
    }
    tape
}

/// Batch rows per independent LSTM task. Rows of a batch never interact,
/// so chunks run in parallel with no synchronisation per step; the size is
/// fixed (not derived from the pool) so results do not depend on the
/// number of threads.
pub(super) const LSTM_ROWS: usize = 16;

/// [`lstm_forward`] over chunks of [`LSTM_ROWS`] rows, in parallel.
pub(super) fn lstm_forward_rows(
    gx: &[f32],
    w: &[f32],
    mask: &[f32],
    d: &LstmDims,
    reverse: bool,
) -> Vec<LstmTape> {
    let (t, h4) = (d.steps, 4 * d.hidden);
    if d.batch == 0 || t == 0 {
        return Vec::new();
    }
    gx.par_chunks(LSTM_ROWS * t * h4)
        .zip(mask.par_chunks(LSTM_ROWS * t))
        .map(|(g, m)| {
            let rows = LstmDims {
                batch: m.len() / t,
                ..*d
            };
            lstm_forward(g, w, m, &rows, reverse)
        })
        .collect()
}

/// Hidden states `[batch, steps, hidden]` of chunked tapes.
pub(super) fn lstm_outputs(tapes: &[LstmTape]) -> Vec<f32> {
    tapes.iter().flat_map(|t| t.outputs()).collect()
}

/// [`lstm_backward`] over the chunks of [`lstm_forward_rows`]; the weight
/// gradient is summed in chunk order.
pub(super) fn lstm_backward_rows(
    tapes: &[LstmTape],
    w: &[f32],
    mask: &[f32],
    dy: &[f32],
    d: &LstmDims,
    reverse: bool,
) -> (Vec<f32>, Vec<f32>) {
    let (t, hd) = (d.steps, d.hidden);
    let mut dw = vec![0.0f32; hd * 4 * hd];
    let mut dgx = Vec::with_capacity(d.batch * t * 4 * hd);
    let parts: Vec<(Vec<f32>, Vec<f32>)> = tapes
        .par_iter()
        .enumerate()
        .map(|(k, tape)| {
            let rows = tape.dims.batch;
            let r0 = k * LSTM_ROWS;
            lstm_backward(
                tape,
                w,
                &mask[r0 * t..(r0 + rows) * t],
                &dy[r0 * t * hd..(r0 + rows) * t * hd],
                &tape.dims,
                reverse,
            )
        })
        .collect();
    for (dg, dwk) in parts {
        dgx.extend_from_slice(&dg);
        for (a, b) in dw.iter_mut().zip(&dwk) {
            *a += b;
        }
    }
    (dgx, dw)
}

/// Back-propagation through time. Returns the gradients of `gates_x`
/// (`[batch, steps, 4 hidden]`) and of `w_hh` (`[hidden, 4 hidden]`) given
/// the gradient of every output `dy: [batch, steps, hidden]`.
pub(super) fn lstm_backward(
    tape: &LstmTape,
    w: &[f32],
    mask: &[f32],
    dy: &[f32],
    d: &LstmDims,
    reverse: bool,
) -> (Vec<f32>, Vec<f32>) {
    let (b, t, hd) = (d.batch, d.steps, d.hidden);
    let h4 = 4 * hd;
    let mut dg_all = vec![0.0f32; t * b * h4];
    let mut dh_next = vec![0.0f32; b * hd];
    let mut dc_next = vec![0.0f32; b * hd];
    let zeros = vec![0.0f32; b * hd];
    for &s in d.order(reverse).iter().rev() {
        let p = d.prev(s, reverse);
        let c_prev = match p {
            Some(p) => &tape.c[p * b * hd..(p + 1) * b * hd],
            None => &zeros[..],
        };
        let acts = &tape.acts[s * b * h4..(s + 1) * b * h4];
        let tanh_c = &tape.tanh_c[s * b * hd..(s + 1) * b * hd];
        let dg = &mut dg_all[s * b * h4..(s + 1) * b * h4];
        for bi in 0..b {
            let m = mask[bi * t + s];
            let a = &acts[bi * h4..(bi + 1) * h4];
            let (i, rest) = a.split_at(hd);
            let (f, rest) = rest.split_at(hd);
            let (gg, o) = rest.split_at(hd);
            let dgb = &mut dg[bi * h4..(bi + 1) * h4];
            let (di, rest) = dgb.split_at_mut(hd);
            let (df, rest) = rest.split_at_mut(hd);
            let (dgg, d_o) = rest.split_at_mut(hd);
            let row = bi * hd..(bi + 1) * hd;
            let dyr = &dy[(bi * t + s) * hd..(bi * t + s + 1) * hd];
            let (cp, tc) = (&c_prev[row.clone()], &tanh_c[row.clone()]);
            let dhn = &mut dh_next[row.clone()];
            let dcn_ = &mut dc_next[row];
            for j in 0..hd {
                let dh = dyr[j] + dhn[j];
                let dc = dcn_[j];
                let dh_new = m * dh;
                let dcn = m * dc + dh_new * o[j] * (1.0 - tc[j] * tc[j]);
                di[j] = dcn * gg[j] * i[j] * (1.0 - i[j]);
                df[j] = dcn * cp[j] * f[j] * (1.0 - f[j]);
                dgg[j] = dcn * i[j] * (1.0 - gg[j] * gg[j]);
                d_o[j] = dh_new * tc[j] * o[j] * (1.0 - o[j]);
                dcn_[j] = dcn * f[j] + (1.0 - m) * dc;
                dhn[j] = (1.0 - m) * dh;
            }
        }
        if p.is_some() {
            // dh_prev += dg W^T
            matmul(
                &mut dh_next,
                View::rows(dg, h4),
                View::transposed(w, h4),
                [b, hd, h4],
                true,
                LSTM_PARALLELISM,
            );
        }
    }
    // dW = sum over steps with a previous state of h_prev^T dg: one GEMM
    // over the `(steps - 1) * batch` rows, time-major on both sides.
    let mut dw = vec![0.0f32; hd * h4];
    if t > 1 {
        let rows = (t - 1) * b;
        let (h_prev, dg) = if reverse {
            (&tape.h[b * hd..], &dg_all[..rows * h4])
        } else {
            (&tape.h[..rows * hd], &dg_all[b * h4..])
        };
        par_matmul(
            &mut dw,
            View::transposed(h_prev, hd),
            View::rows(dg, h4),
            [hd, h4, rows],
            false,
        );
    }
    let mut dgx = vec![0.0f32; b * t * h4];
    for s in 0..t {
        for bi in 0..b {
            dgx[(bi * t + s) * h4..(bi * t + s + 1) * h4]
                .copy_from_slice(&dg_all[(s * b + bi) * h4..(s * b + bi + 1) * h4]);
        }
    }
    (dgx, dw)
}
