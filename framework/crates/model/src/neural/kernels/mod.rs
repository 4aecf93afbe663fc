//! Hand-written CPU kernels, with their own backward passes, for the two
//! layers that dominate training time on burn's flex backend:
//!
//! - stride-1 convolution without bias ([`conv2d`]; a 1D convolution is the
//!   same thing with a `1 x k` kernel, [`conv1d`]);
//! - a whole LSTM sequence as one operation ([`lstm_sequence`]).
//!
//! Why: burn 0.22 computes a convolution's weight gradient as a convolution
//! of the input by the output gradient (a `height x width` "kernel", so its
//! im2col copies the input once per output position) and its input gradient
//! with a transposed convolution; profiling the 2D CNN showed those two
//! above the forward pass. An LSTM written with tensor operations pays for
//! ~15 small operations and their autodiff nodes per step and direction.
//! Here each convolution is one im2col + GEMM per sample (forward, weight
//! gradient and, through col2im, input gradient), and an LSTM layer is one
//! autodiff node whose backward pass is written out (back-propagation
//! through time with one GEMM per step and one for the weight gradient).
//!
//! Only the flex backend (with or without autodiff) implements them:
//! callers ask [`fast_kernels`] and otherwise use burn's own operations
//! (the CUDA backend). Results are deterministic: samples are processed in
//! parallel but every sum over samples is taken in sample order.
//!
//! Checked against PyTorch (`tools/kernels_fixture.py`,
//! `framework/crates/model/tests/fixtures/neural/kernels.json`): outputs and gradients
//! of `conv2d`/`conv1d` and of `torch.nn.LSTM` in both directions.

use std::sync::Arc;

use burn::backend::TensorMetadata;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Device, Shape, Tensor, TensorData};
use gemm::Parallelism;
use rayon::prelude::*;

// The kernels by layer; `backend` implements the extension with them.
mod backend;
mod conv;
mod linalg;
mod lstm;
mod norm;
mod pool;
#[cfg(test)]
mod tests;

use conv::*;
use linalg::*;
use lstm::*;
use norm::*;
use pool::*;

/// Whether tensors on `device` can use these kernels (flex, with or without
/// autodiff).
pub(crate) fn fast_kernels(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

/// Stride-1, undilated, ungrouped 2D convolution without bias, zero padding
/// `pad = [top/bottom, left/right]`.
///
/// # Shapes
/// `x: [batch, c_in, h, w]`, `weight: [c_out, c_in, kh, kw]` ->
/// `[batch, c_out, h + 2 pad_h - kh + 1, w + 2 pad_w - kw + 1]`.
pub(crate) fn conv2d(x: Tensor<4>, weight: Tensor<4>, pad: [usize; 2]) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as MerKernels>::mer_conv(
        x.into_dispatch(),
        weight.into_dispatch(),
        pad[0],
        pad[1],
    ))
}

/// Stride-1 1D convolution without bias, zero padding `pad` on each side.
///
/// # Shapes
/// `x: [batch, c_in, t]`, `weight: [c_out, c_in, k]` ->
/// `[batch, c_out, t + 2 pad - k + 1]`.
pub(crate) fn conv1d(x: Tensor<3>, weight: Tensor<3>, pad: usize) -> Tensor<3> {
    let [b, c_in, t] = x.dims();
    let [c_out, _, k] = weight.dims();
    let y = conv2d(
        x.reshape([b, c_in, 1, t]),
        weight.reshape([c_out, c_in, 1, k]),
        [0, pad],
    );
    let [_, _, _, t_out] = y.dims();
    y.reshape([b, c_out, t_out])
}

/// Every hidden state of an LSTM run over a sequence whose input projection
/// (`x W_ih + b_ih + b_hh`) is already computed, PyTorch's gate order
/// `i, f, g, o`, zero initial state. `mask` (1 real step, 0 padding)
/// freezes the state on padding steps; `reverse` runs backwards in time.
/// The outputs are in time order either way.
///
/// # Shapes
/// `gates_x: [batch, steps, 4 hidden]`, `w_hh: [hidden, 4 hidden]`,
/// `mask: [batch, steps]` -> `[batch, steps, hidden]`.
pub(crate) fn lstm_sequence(
    gates_x: Tensor<3>,
    w_hh: Tensor<2>,
    mask: Tensor<2>,
    reverse: bool,
) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as MerKernels>::mer_lstm(
        gates_x.into_dispatch(),
        w_hh.into_dispatch(),
        mask.into_dispatch(),
        reverse,
    ))
}

/// Max pooling with a `kh x kw` window and the same stride, no padding
/// (trailing rows/columns that do not fill a window are dropped, as
/// PyTorch's and burn's defaults do). The gradient goes to the first
/// maximum of each window.
///
/// # Shapes
/// `x: [batch, channels, h, w]` -> `[batch, channels, h / kh, w / kw]`.
pub(crate) fn max_pool2d(x: Tensor<4>, window: [usize; 2]) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as MerKernels>::mer_max_pool(
        x.into_dispatch(),
        window[0],
        window[1],
    ))
}

/// [`max_pool2d`] over time: `[batch, channels, t] -> [batch, channels, t / k]`.
pub(crate) fn max_pool1d(x: Tensor<3>, k: usize) -> Tensor<3> {
    let [b, c, t] = x.dims();
    max_pool2d(x.reshape([b, c, 1, t]), [1, k]).reshape([b, c, t / k])
}

/// `x W + b` for `x: [m, d_in]` and a burn `Linear` (weight `[d_in,
/// d_out]`): the product on the whole pool ([`matmul2d`]), then the bias.
pub(crate) fn linear(lin: &burn::nn::Linear, x: Tensor<2>) -> Tensor<2> {
    let y = matmul2d(x, lin.weight.val());
    match &lin.bias {
        Some(b) => y + b.val().unsqueeze::<2>(),
        None => y,
    }
}

/// `a b` for `a: [m, k]`, `b: [k, n]`, split across the pool (burn-flex
/// runs a single 2D product on one thread, which profiling showed as the
/// largest serial part of the BiLSTM-CNN's training step).
pub(crate) fn matmul2d(a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as MerKernels>::mer_matmul(
        a.into_dispatch(),
        b.into_dispatch(),
    ))
}

/// Per-channel batch mean and biased variance of `x: [batch, channels,
/// n]` -> `[2, channels]` (row 0 means, row 1 variances), accumulated in
/// f64. A constant: no gradient flows through it (the gradient through the
/// statistics is part of [`batch_norm_relu`]'s backward pass).
pub(crate) fn channel_stats(x: Tensor<3>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as MerKernels>::mer_channel_stats(
        x.into_dispatch(),
    ))
}

/// Training-mode batch normalisation followed by ReLU, in one pass each
/// way: `y = max(0, gamma (x - mean) / sqrt(var + eps) + beta)` with the
/// batch statistics `stats` (from [`channel_stats`] of the same `x`). The
/// backward pass is the batch-statistics one (gradients reach `x`, `gamma`
/// and `beta`, including the path through the mean and variance).
///
/// # Shapes
/// `x: [batch, channels, n]`, `gamma`, `beta: [channels]`, `stats: [2,
/// channels]` -> `[batch, channels, n]`.
pub(crate) fn batch_norm_relu(
    x: Tensor<3>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    stats: Tensor<2>,
    eps: f64,
) -> Tensor<3> {
    Tensor::from_dispatch(<Dispatch as MerKernels>::mer_bn_relu(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        stats.into_dispatch(),
        eps,
    ))
}

/// The backend extension behind [`conv2d`], [`max_pool2d`],
/// [`channel_stats`], [`batch_norm_relu`] and [`lstm_sequence`].
#[backend_extension(Flex, Autodiff)]
pub trait MerKernels: Backend {
    /// See [`conv2d`].
    fn mer_conv(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        pad_h: usize,
        pad_w: usize,
    ) -> FloatTensor<Self>;

    /// See [`matmul2d`].
    fn mer_matmul(a: FloatTensor<Self>, b: FloatTensor<Self>) -> FloatTensor<Self>;

    /// See [`channel_stats`].
    fn mer_channel_stats(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// See [`batch_norm_relu`].
    fn mer_bn_relu(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        eps: f64,
    ) -> FloatTensor<Self>;

    /// See [`max_pool2d`].
    fn mer_max_pool(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self>;

    /// See [`lstm_sequence`].
    fn mer_lstm(
        gates_x: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        mask: FloatTensor<Self>,
        reverse: bool,
    ) -> FloatTensor<Self>;
}
