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

type FlexTensor = FloatTensor<Flex>;

/// `t` laid out contiguously (a copy only when it is not).
fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.as_slice::<f32>().is_some() {
        t
    } else {
        t.to_contiguous()
    }
}

fn f32s(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("mer kernels take contiguous f32 tensors")
}

fn flex(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

fn dims<const D: usize>(t: &FlexTensor) -> [usize; D] {
    t.shape().dims()
}

impl MerKernels for Flex {
    fn mer_conv(x: FlexTensor, weight: FlexTensor, pad_h: usize, pad_w: usize) -> FlexTensor {
        let d = ConvDims::new(dims(&x), dims(&weight), [pad_h, pad_w]);
        let (x, w) = (contiguous(x), contiguous(weight));
        flex(conv_forward(f32s(&x), f32s(&w), &d), d.out_shape())
    }

    fn mer_matmul(a: FlexTensor, b: FlexTensor) -> FlexTensor {
        let ([m, k], [k2, n]) = (dims(&a), dims(&b));
        assert_eq!(k, k2, "matmul: [{m}, {k}] x [{k2}, {n}]");
        let (a, b) = (contiguous(a), contiguous(b));
        let mut y = vec![0.0f32; m * n];
        par_matmul(
            &mut y,
            View::rows(f32s(&a), k),
            View::rows(f32s(&b), n),
            [m, n, k],
            false,
        );
        flex(y, [m, n])
    }

    fn mer_channel_stats(x: FlexTensor) -> FlexTensor {
        let [b, c, n] = dims(&x);
        let x = contiguous(x);
        flex(stats_forward(f32s(&x), [b, c, n]), [2, c])
    }

    fn mer_bn_relu(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        stats: FlexTensor,
        eps: f64,
    ) -> FlexTensor {
        let shape = dims::<3>(&x);
        let (x, g, b, st) = (
            contiguous(x),
            contiguous(gamma),
            contiguous(beta),
            contiguous(stats),
        );
        let y = bn_relu_forward(f32s(&x), f32s(&g), f32s(&b), f32s(&st), eps, shape);
        flex(y, shape)
    }

    fn mer_max_pool(x: FlexTensor, kh: usize, kw: usize) -> FlexTensor {
        let d = PoolDims::new(dims(&x), [kh, kw]);
        let x = contiguous(x);
        let (y, _) = pool_forward(f32s(&x), &d);
        flex(y, d.out_shape())
    }

    fn mer_lstm(
        gates_x: FlexTensor,
        w_hh: FlexTensor,
        mask: FlexTensor,
        reverse: bool,
    ) -> FlexTensor {
        let d = LstmDims::new(dims(&gates_x), dims(&w_hh), dims(&mask));
        let (gx, w, m) = (contiguous(gates_x), contiguous(w_hh), contiguous(mask));
        let tapes = lstm_forward_rows(f32s(&gx), f32s(&w), f32s(&m), &d, reverse);
        flex(lstm_outputs(&tapes), [d.batch, d.steps, d.hidden])
    }
}

impl<C: CheckpointStrategy> MerKernels for Autodiff<Flex, C> {
    fn mer_conv(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        pad_h: usize,
        pad_w: usize,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct ConvBackward;

        impl Backward<Flex, 2> for ConvBackward {
            /// Input, weight (both contiguous) and the sizes.
            type State = (FlexTensor, FlexTensor, ConvDims);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_x, node_w] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (x, w, d) = ops.state;
                let (dw, dx) = conv_backward(f32s(&x), f32s(&w), f32s(&grad), &d, node_x.is_some());
                if let (Some(node), Some(dx)) = (node_x, dx) {
                    grads.register::<Flex>(node.id, flex(dx, x.shape()));
                }
                if let Some(node) = node_w {
                    grads.register::<Flex>(node.id, flex(dw, w.shape()));
                }
            }
        }

        let d = ConvDims::new(
            dims(x.primitive()),
            dims(weight.primitive()),
            [pad_h, pad_w],
        );
        match ConvBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let xp = contiguous(x.into_primitive());
                let wp = contiguous(weight.into_primitive());
                let y = flex(conv_forward(f32s(&xp), f32s(&wp), &d), d.out_shape());
                prep.finish((xp, wp, d), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_conv(
                x.into_primitive(),
                weight.into_primitive(),
                pad_h,
                pad_w,
            )),
        }
    }

    fn mer_matmul(a: FloatTensor<Self>, b: FloatTensor<Self>) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct MatmulBackward;

        impl Backward<Flex, 2> for MatmulBackward {
            /// Both operands (contiguous).
            type State = (FlexTensor, FlexTensor);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_a, node_b] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (a, b) = ops.state;
                let ([m, k], [_, n]) = (dims(&a), dims(&b));
                let dy = f32s(&grad);
                if let Some(node) = node_a {
                    // dA = dY B^T
                    let mut da = vec![0.0f32; m * k];
                    let v = View::transposed(f32s(&b), n);
                    par_matmul(&mut da, View::rows(dy, n), v, [m, k, n], false);
                    grads.register::<Flex>(node.id, flex(da, [m, k]));
                }
                if let Some(node) = node_b {
                    // dB = A^T dY
                    let mut db = vec![0.0f32; k * n];
                    let v = View::transposed(f32s(&a), k);
                    par_matmul(&mut db, v, View::rows(dy, n), [k, n, m], false);
                    grads.register::<Flex>(node.id, flex(db, [k, n]));
                }
            }
        }

        match MatmulBackward
            .prepare::<C>([a.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let a = contiguous(a.into_primitive());
                let b = contiguous(b.into_primitive());
                let y = Flex::mer_matmul(a.clone(), b.clone());
                prep.finish((a, b), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(Flex::mer_matmul(a.into_primitive(), b.into_primitive()))
            }
        }
    }

    fn mer_channel_stats(x: FloatTensor<Self>) -> FloatTensor<Self> {
        // Not differentiable: computed on the inner tensor, returned untracked.
        FloatTensor::<Self>::new(Flex::mer_channel_stats(x.into_primitive()))
    }

    fn mer_bn_relu(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        eps: f64,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct BnReluBackward;

        impl Backward<Flex, 4> for BnReluBackward {
            /// Input, gamma, beta, statistics (contiguous) and epsilon.
            type State = (FlexTensor, FlexTensor, FlexTensor, FlexTensor, f64);

            fn backward(
                self,
                ops: Ops<Self::State, 4>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_x, node_g, node_b, _stats] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (x, g, b, st, eps) = ops.state;
                let shape = dims::<3>(&x);
                let (dx, dg, db) = bn_relu_backward(
                    f32s(&x),
                    f32s(&g),
                    f32s(&b),
                    f32s(&st),
                    f32s(&grad),
                    eps,
                    shape,
                );
                if let Some(node) = node_x {
                    grads.register::<Flex>(node.id, flex(dx, shape));
                }
                if let Some(node) = node_g {
                    grads.register::<Flex>(node.id, flex(dg, [shape[1]]));
                }
                if let Some(node) = node_b {
                    grads.register::<Flex>(node.id, flex(db, [shape[1]]));
                }
            }
        }

        match BnReluBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node(), stats.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let x = contiguous(x.into_primitive());
                let g = contiguous(gamma.into_primitive());
                let b = contiguous(beta.into_primitive());
                let st = contiguous(stats.into_primitive());
                let shape = dims::<3>(&x);
                let y = bn_relu_forward(f32s(&x), f32s(&g), f32s(&b), f32s(&st), eps, shape);
                prep.finish((x, g, b, st, eps), flex(y, shape))
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_bn_relu(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                stats.into_primitive(),
                eps,
            )),
        }
    }

    fn mer_max_pool(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct PoolBackward;

        impl Backward<Flex, 1> for PoolBackward {
            /// Flat input index of each output's maximum, and the sizes.
            type State = (Arc<Vec<u32>>, PoolDims);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_x] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (argmax, d) = ops.state;
                if let Some(node) = node_x {
                    let dx = pool_backward(f32s(&grad), &argmax, &d);
                    grads.register::<Flex>(node.id, flex(dx, d.in_shape()));
                }
            }
        }

        let d = PoolDims::new(dims(x.primitive()), [kh, kw]);
        match PoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let xp = contiguous(x.into_primitive());
                let (y, argmax) = pool_forward(f32s(&xp), &d);
                prep.finish((Arc::new(argmax), d), flex(y, d.out_shape()))
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_max_pool(x.into_primitive(), kh, kw)),
        }
    }

    fn mer_lstm(
        gates_x: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        mask: FloatTensor<Self>,
        reverse: bool,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct LstmBackward;

        /// What the backward pass needs from the forward pass.
        #[derive(Debug)]
        struct LstmState {
            tapes: Vec<LstmTape>,
            w: FlexTensor,
            mask: FlexTensor,
            dims: LstmDims,
            reverse: bool,
        }

        impl Backward<Flex, 3> for LstmBackward {
            type State = Arc<LstmState>;

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_gx, node_w, _mask] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let s = &ops.state;
                let (dgx, dw) = lstm_backward_rows(
                    &s.tapes,
                    f32s(&s.w),
                    f32s(&s.mask),
                    f32s(&grad),
                    &s.dims,
                    s.reverse,
                );
                let d = &s.dims;
                if let Some(node) = node_gx {
                    grads.register::<Flex>(node.id, flex(dgx, [d.batch, d.steps, 4 * d.hidden]));
                }
                if let Some(node) = node_w {
                    grads.register::<Flex>(node.id, flex(dw, [d.hidden, 4 * d.hidden]));
                }
            }
        }

        let d = LstmDims::new(
            dims(gates_x.primitive()),
            dims(w_hh.primitive()),
            dims(mask.primitive()),
        );
        match LstmBackward
            .prepare::<C>([gates_x.node(), w_hh.node(), mask.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let gx = contiguous(gates_x.into_primitive());
                let w = contiguous(w_hh.into_primitive());
                let mask = contiguous(mask.into_primitive());
                let tapes = lstm_forward_rows(f32s(&gx), f32s(&w), f32s(&mask), &d, reverse);
                let y = flex(lstm_outputs(&tapes), [d.batch, d.steps, d.hidden]);
                let state = LstmState {
                    tapes,
                    w,
                    mask,
                    dims: d,
                    reverse,
                };
                prep.finish(Arc::new(state), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_lstm(
                gates_x.into_primitive(),
                w_hh.into_primitive(),
                mask.into_primitive(),
                reverse,
            )),
        }
    }
}

// ---------------------------------------------------------------- GEMM

/// A read-only matrix view: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

impl<'a> View<'a> {
    /// Row-major with `cols` columns.
    fn rows(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }

    fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// `dst = a b` (`dst += a b` when `accumulate`); `a: m x k`, `b: k x n`,
/// `dst` row-major `m x n`.
fn matmul(
    dst: &mut [f32],
    a: View<'_>,
    b: View<'_>,
    [m, n, k]: [usize; 3],
    accumulate: bool,
    parallelism: Parallelism,
) {
    assert!(dst.len() >= m * n, "matmul: destination too small");
    assert!(a.fits(m, k) && b.fits(k, n), "matmul: operand too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the asserts above keep every index gemm reads, `r * rs +
    // c * cs` for `r < rows, c < cols`, inside the operand slices and every
    // index it writes, `r * n + c`, inside `dst`; the slices do not overlap
    // because `dst` is borrowed mutably.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Output rows per task of [`par_matmul`]; fixed, so the result does not
/// depend on the number of threads.
const MATMUL_ROWS: usize = 64;

/// [`matmul`] split into blocks of [`MATMUL_ROWS`] output rows run in
/// parallel (gemm's own splitting left a 2D product on one thread here).
fn par_matmul(dst: &mut [f32], a: View<'_>, b: View<'_>, [m, n, k]: [usize; 3], accumulate: bool) {
    assert!(dst.len() >= m * n, "matmul: destination too small");
    assert!(a.fits(m, k), "matmul: operand too small");
    if m == 0 || n == 0 {
        return;
    }
    dst[..m * n]
        .par_chunks_mut(MATMUL_ROWS * n)
        .enumerate()
        .for_each(|(blk, d)| {
            let r0 = blk * MATMUL_ROWS;
            let rows = d.len() / n;
            let a_blk = View {
                data: &a.data[r0 * a.rs..],
                ..a
            };
            matmul(d, a_blk, b, [rows, n, k], accumulate, Parallelism::None);
        });
}

// ---------------------------------------------------------------- convolution

/// Sizes of one convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvDims {
    batch: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    kh: usize,
    kw: usize,
    pad_h: usize,
    pad_w: usize,
}

impl ConvDims {
    fn new(x: [usize; 4], weight: [usize; 4], [pad_h, pad_w]: [usize; 2]) -> Self {
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

    fn h_out(&self) -> usize {
        self.h + 2 * self.pad_h + 1 - self.kh
    }

    fn w_out(&self) -> usize {
        self.w + 2 * self.pad_w + 1 - self.kw
    }

    /// Rows of the im2col matrix: `c_in * kh * kw`.
    fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }

    /// Columns of the im2col matrix: output positions per sample.
    fn n(&self) -> usize {
        self.h_out() * self.w_out()
    }

    fn out_shape(&self) -> [usize; 4] {
        [self.batch, self.c_out, self.h_out(), self.w_out()]
    }

    /// Output columns `ox` whose input column `ox + kx - pad_w` is inside
    /// the image.
    fn valid_cols(&self, kx: usize) -> (usize, usize) {
        let lo = self.pad_w.saturating_sub(kx);
        let hi = (self.w + self.pad_w).saturating_sub(kx).min(self.w_out());
        (lo, hi.max(lo))
    }

    /// Input row of output row `oy` under kernel row `ky`, if inside.
    fn in_row(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy + ky).checked_sub(self.pad_h).filter(|&r| r < self.h)
    }
}

/// One sample `[c_in, h, w]` unrolled into `cols: [c_in * kh * kw, h_out *
/// w_out]` (zeros where the kernel hangs over the padding).
fn im2col(x: &[f32], d: &ConvDims, cols: &mut [f32]) {
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
fn col2im(cols: &[f32], d: &ConvDims, dx: &mut [f32]) {
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
const CONV_GROUP: usize = 4;

/// Forward convolution: per sample, `y = W cols` with `W: [c_out, k]`.
fn conv_forward(x: &[f32], w: &[f32], d: &ConvDims) -> Vec<f32> {
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
fn conv_backward(
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

// ---------------------------------------------------------------- batch norm + ReLU

/// The `n`-long runs of channel `ch` in `[batch, channels, n]`.
fn channel_runs(x: &[f32], [b, c, n]: [usize; 3], ch: usize) -> impl Iterator<Item = &[f32]> {
    (0..b).map(move |bi| &x[(bi * c + ch) * n..(bi * c + ch + 1) * n])
}

/// Per-channel mean and biased variance (two passes, f64 sums), `[2, c]`.
fn stats_forward(x: &[f32], shape: [usize; 3]) -> Vec<f32> {
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
fn bn_coefficients(g: &[f32], b: &[f32], st: &[f32], eps: f64, ch: usize) -> [f32; 4] {
    let c = g.len();
    let (mean, var) = (st[ch], st[c + ch]);
    let inv = (1.0 / (f64::from(var) + eps).sqrt()) as f32;
    let scale = g[ch] * inv;
    [scale, b[ch] - mean * scale, mean, inv]
}

fn bn_relu_forward(
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
fn bn_relu_backward(
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

// ---------------------------------------------------------------- max pooling

/// Sizes of one max pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolDims {
    planes: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    shape: [usize; 4],
}

impl PoolDims {
    fn new(x: [usize; 4], [kh, kw]: [usize; 2]) -> Self {
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

    fn h_out(&self) -> usize {
        self.h / self.kh
    }

    fn w_out(&self) -> usize {
        self.w / self.kw
    }

    fn in_shape(&self) -> [usize; 4] {
        self.shape
    }

    fn out_shape(&self) -> [usize; 4] {
        [self.shape[0], self.shape[1], self.h_out(), self.w_out()]
    }
}

/// Window maxima and, for the backward pass, the flat input index of each
/// (the first maximum in row-major window order).
fn pool_forward(x: &[f32], d: &PoolDims) -> (Vec<f32>, Vec<u32>) {
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
fn pool_backward(dy: &[f32], argmax: &[u32], d: &PoolDims) -> Vec<f32> {
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

// ---------------------------------------------------------------- LSTM

/// Sizes of one LSTM sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LstmDims {
    batch: usize,
    steps: usize,
    hidden: usize,
}

impl LstmDims {
    fn new(gates_x: [usize; 3], w_hh: [usize; 2], mask: [usize; 2]) -> Self {
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
    fn prev(&self, s: usize, reverse: bool) -> Option<usize> {
        if reverse {
            (s + 1 < self.steps).then_some(s + 1)
        } else {
            s.checked_sub(1)
        }
    }

    /// Steps in processing order.
    fn order(&self, reverse: bool) -> Vec<usize> {
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
struct LstmTape {
    /// Sizes of the rows this tape covers.
    dims: LstmDims,
    acts: Vec<f32>,
    tanh_c: Vec<f32>,
    h: Vec<f32>,
    c: Vec<f32>,
}

impl LstmTape {
    /// Hidden states `[batch, steps, hidden]` (batch-major).
    fn outputs(&self) -> Vec<f32> {
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
fn exp_approx(x: f32) -> f32 {
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
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp_approx(-x))
}

/// `tanh x = 2 sigmoid(2x) - 1` (absolute error ~1e-7).
#[inline(always)]
fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + exp_approx(-2.0 * x)) - 1.0
}

fn sigmoid_in_place(v: &mut [f32]) {
    for x in v {
        *x = sigmoid(*x);
    }
}

fn tanh_in_place(v: &mut [f32]) {
    for x in v {
        *x = tanh(*x);
    }
}

/// GEMMs of one LSTM step are small (`batch x hidden x 4 hidden`): one
/// thread each (splitting them costs more in wake-ups than it saves).
const LSTM_PARALLELISM: Parallelism = Parallelism::None;

/// Block `s` of a time-major buffer (mutable) and block `p` (the previous
/// step's, or `zeros` at the first step).
fn step_and_prev<'a>(
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

fn lstm_forward(gx: &[f32], w: &[f32], mask: &[f32], d: &LstmDims, reverse: bool) -> LstmTape {
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
const LSTM_ROWS: usize = 16;

/// [`lstm_forward`] over chunks of [`LSTM_ROWS`] rows, in parallel.
fn lstm_forward_rows(
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
fn lstm_outputs(tapes: &[LstmTape]) -> Vec<f32> {
    tapes.iter().flat_map(|t| t.outputs()).collect()
}

/// [`lstm_backward`] over the chunks of [`lstm_forward_rows`]; the weight
/// gradient is summed in chunk order.
fn lstm_backward_rows(
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
fn lstm_backward(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct convolution, the definition.
    fn conv_naive(x: &[f32], w: &[f32], d: &ConvDims) -> Vec<f32> {
        let (ho, wo) = (d.h_out(), d.w_out());
        let mut y = vec![0.0f32; d.batch * d.c_out * ho * wo];
        for b in 0..d.batch {
            for co in 0..d.c_out {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let mut acc = 0.0f32;
                        for ci in 0..d.c_in {
                            for ky in 0..d.kh {
                                for kx in 0..d.kw {
                                    let iy = (oy + ky) as isize - d.pad_h as isize;
                                    let ix = (ox + kx) as isize - d.pad_w as isize;
                                    if iy < 0 || ix < 0 || iy >= d.h as isize || ix >= d.w as isize
                                    {
                                        continue;
                                    }
                                    let xi =
                                        ((b * d.c_in + ci) * d.h + iy as usize) * d.w + ix as usize;
                                    let wi = ((co * d.c_in + ci) * d.kh + ky) * d.kw + kx;
                                    acc += x[xi] * w[wi];
                                }
                            }
                        }
                        y[((b * d.c_out + co) * ho + oy) * wo + ox] = acc;
                    }
                }
            }
        }
        y
    }

    fn lcg(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn im2col_gemm_equals_the_direct_definition_for_odd_shapes_and_paddings() {
        for (x, w, pad) in [
            ([2, 3, 5, 7], [4, 3, 3, 3], [1, 1]),
            ([1, 2, 4, 4], [3, 2, 2, 3], [0, 2]),
            ([3, 1, 1, 9], [5, 1, 1, 4], [0, 0]),
            ([2, 2, 3, 3], [1, 2, 5, 5], [2, 2]),
        ] {
            let d = ConvDims::new(x, w, pad);
            let xv = lcg(x.iter().product(), 1);
            let wv = lcg(w.iter().product(), 2);
            let fast = conv_forward(&xv, &wv, &d);
            let naive = conv_naive(&xv, &wv, &d);
            assert_eq!(fast.len(), naive.len());
            for (a, b) in fast.iter().zip(&naive) {
                assert!((a - b).abs() < 1e-5, "{x:?} {w:?} {pad:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn conv_backward_is_the_adjoint_of_the_forward_pass() {
        // <dy, conv(x, w)> is linear in x and in w, so its gradients are
        // conv_backward's outputs: check them by finite differences of the
        // exact bilinear form (no rounding of a nonlinearity involved).
        let d = ConvDims::new([2, 2, 4, 5], [3, 2, 3, 2], [1, 0]);
        let x = lcg(2 * 2 * 4 * 5, 3);
        let w = lcg(3 * 2 * 3 * 2, 4);
        let dy = lcg(d.batch * d.c_out * d.n(), 5);
        let form = |x: &[f32], w: &[f32]| -> f64 {
            conv_naive(x, w, &d)
                .iter()
                .zip(&dy)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum()
        };
        let (dw, dx) = conv_backward(&x, &w, &dy, &d, true);
        let dx = dx.expect("asked for dx");
        for i in 0..x.len() {
            let mut e = x.clone();
            e[i] += 1.0;
            let num = form(&e, &w) - form(&x, &w);
            assert!(
                (num - f64::from(dx[i])).abs() < 1e-4,
                "dx[{i}]: {num} vs {}",
                dx[i]
            );
        }
        for i in 0..w.len() {
            let mut e = w.clone();
            e[i] += 1.0;
            let num = form(&x, &e) - form(&x, &w);
            assert!(
                (num - f64::from(dw[i])).abs() < 1e-4,
                "dw[{i}]: {num} vs {}",
                dw[i]
            );
        }
        let (dw2, none) = conv_backward(&x, &w, &dy, &d, false);
        assert!(none.is_none());
        assert_eq!(dw, dw2, "the weight gradient does not depend on need_dx");
    }

    // ------------------------------------------------------------ PyTorch

    use burn::tensor::Tensor;

    fn fixture() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/neural/kernels.json"
        );
        let text =
            std::fs::read_to_string(path).expect("kernels fixture (tools/kernels_fixture.py)");
        serde_json::from_str(&text).expect("kernels fixture is JSON")
    }

    fn floats(v: &serde_json::Value) -> Vec<f32> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect()
    }

    fn shape<const D: usize>(v: &serde_json::Value) -> [usize; D] {
        let s: Vec<usize> = v
            .as_array()
            .expect("shape")
            .iter()
            .map(|x| x.as_u64().expect("size") as usize)
            .collect();
        s.try_into().expect("rank")
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .expect("f32")
    }

    /// `|got - want| <= 1e-4 * max(1, |want|)` elementwise: sums of a few
    /// hundred f32 products in a different order than PyTorch's.
    fn assert_close(what: &str, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-4 * w.abs().max(1.0),
                "{what}[{i}]: {g} vs PyTorch {w}"
            );
        }
    }

    fn leaf<const D: usize>(v: &serde_json::Value, shape: [usize; D]) -> Tensor<D> {
        Tensor::<D>::from_data(
            TensorData::new(floats(v), shape),
            &Device::flex().autodiff(),
        )
        .require_grad()
    }

    /// One PyTorch convolution case: `conv(x, w, case)` against the
    /// recorded output and both gradients.
    fn check_conv<const D: usize>(
        name: &str,
        case: &serde_json::Value,
        conv: impl Fn(Tensor<D>, Tensor<D>, &serde_json::Value) -> Tensor<D>,
    ) {
        let (xs, ws) = (shape::<D>(&case["x_shape"]), shape::<D>(&case["w_shape"]));
        let (x, w) = (leaf(&case["x"], xs), leaf(&case["w"], ws));
        let y = conv(x.clone(), w.clone(), case);
        let dy = Tensor::<D>::from_data(
            TensorData::new(floats(&case["dy"]), y.dims()),
            &Device::flex().autodiff(),
        );
        assert_close(
            &format!("{name} y"),
            &values(y.clone()),
            &floats(&case["y"]),
        );
        let grads = (y * dy).sum().backward();
        let dx = x.grad(&grads).expect("x gradient");
        let dw = w.grad(&grads).expect("w gradient");
        assert_close(&format!("{name} dx"), &values(dx), &floats(&case["dx"]));
        assert_close(&format!("{name} dw"), &values(dw), &floats(&case["dw"]));
    }

    #[test]
    fn conv2d_and_conv1d_values_and_gradients_match_pytorch() {
        let f = fixture();
        for (i, case) in f["conv2d"].as_array().expect("cases").iter().enumerate() {
            check_conv::<4>(&format!("conv2d {i}"), case, |x, w, c| {
                conv2d(x, w, shape::<2>(&c["pad"]))
            });
        }
        for (i, case) in f["conv1d"].as_array().expect("cases").iter().enumerate() {
            check_conv::<3>(&format!("conv1d {i}"), case, |x, w, c| {
                conv1d(x, w, c["pad"].as_u64().expect("pad") as usize)
            });
        }
    }

    #[test]
    fn pooled_matmul_matches_burns_values_and_gradients_on_any_pool() {
        let ad = Device::flex().autodiff();
        let (m, k, n) = (67, 45, 130);
        let a0 = lcg(m * k, 31);
        let b0 = lcg(k * n, 32);
        let dy = Tensor::<2>::from_data(TensorData::new(lcg(m * n, 33), [m, n]), &ad);
        let run = |ours: bool| {
            let a = Tensor::<2>::from_data(TensorData::new(a0.clone(), [m, k]), &ad).require_grad();
            let b = Tensor::<2>::from_data(TensorData::new(b0.clone(), [k, n]), &ad).require_grad();
            let y = if ours {
                matmul2d(a.clone(), b.clone())
            } else {
                a.clone().matmul(b.clone())
            };
            let grads = (y.clone() * dy.clone()).sum().backward();
            let da = values(a.grad(&grads).expect("da"));
            let db = values(b.grad(&grads).expect("db"));
            (values(y), da, db)
        };
        let reference = run(false);
        let in_pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| run(true))
        };
        let ours = in_pool(1);
        assert_eq!(ours, in_pool(3), "bit-identical on 1 and 3 threads");
        for (what, got, want) in [
            ("y", &ours.0, &reference.0),
            ("da", &ours.1, &reference.1),
            ("db", &ours.2, &reference.2),
        ] {
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                    "{what}: {g} vs burn {w}"
                );
            }
        }
    }

    #[test]
    fn batch_norm_relu_values_and_gradients_match_pytorch() {
        let f = fixture();
        let ad = Device::flex().autodiff();
        for (i, case) in f["bn_relu"].as_array().expect("cases").iter().enumerate() {
            let shape = shape::<3>(&case["shape"]);
            let c = shape[1];
            let x = leaf(&case["x"], shape);
            let gamma = leaf(&case["gamma"], [c]);
            let beta = leaf(&case["beta"], [c]);
            let stats = channel_stats(x.clone());
            let eps = case["eps"].as_f64().expect("eps");
            let y = batch_norm_relu(x.clone(), gamma.clone(), beta.clone(), stats, eps);
            assert_close(
                &format!("bn_relu {i} y"),
                &values(y.clone()),
                &floats(&case["y"]),
            );
            let dy = Tensor::<3>::from_data(TensorData::new(floats(&case["dy"]), shape), &ad);
            let grads = (y * dy).sum().backward();
            for (name, got, want) in [
                ("dx", values(x.grad(&grads).expect("dx")), "dx"),
                (
                    "dgamma",
                    values(gamma.grad(&grads).expect("dgamma")),
                    "dgamma",
                ),
                ("dbeta", values(beta.grad(&grads).expect("dbeta")), "dbeta"),
            ] {
                assert_close(&format!("bn_relu {i} {name}"), &got, &floats(&case[want]));
            }
        }
    }

    #[test]
    fn lstm_sequence_values_and_gradients_match_pytorch_in_both_directions() {
        let f = fixture();
        let cases = f["lstm"].as_array().expect("cases");
        assert_eq!(cases.len(), 2);
        for case in cases {
            let reverse = case["reverse"].as_bool().expect("reverse");
            let size = |k: &str| case[k].as_u64().expect("size") as usize;
            let (b, t, din, h) = (size("batch"), size("steps"), size("d_in"), size("hidden"));
            let x = leaf(&case["x"], [b, t, din]);
            // PyTorch keeps weights [4h, in]; ours multiply from the right.
            let w_ih = leaf(&case["weight_ih"], [4 * h, din]);
            let w_hh = leaf(&case["weight_hh"], [4 * h, h]);
            let bias: Vec<f32> = floats(&case["bias_ih"])
                .iter()
                .zip(floats(&case["bias_hh"]))
                .map(|(a, c)| a + c)
                .collect();
            let bias =
                Tensor::<1>::from_data(TensorData::new(bias, [4 * h]), &Device::flex().autodiff())
                    .require_grad();
            let gx = x.clone().matmul(w_ih.clone().transpose().unsqueeze::<3>())
                + bias.clone().reshape([1, 1, 4 * h]);
            let mask = Tensor::<2>::ones([b, t], &Device::flex().autodiff());
            let y = lstm_sequence(gx, w_hh.clone().transpose(), mask, reverse);
            assert_close(
                &format!("lstm reverse={reverse} y"),
                &values(y.clone()),
                &floats(&case["y"]),
            );
            let dy = Tensor::<3>::from_data(
                TensorData::new(floats(&case["dy"]), [b, t, h]),
                &Device::flex().autodiff(),
            );
            let grads = (y * dy).sum().backward();
            for (name, got, want) in [
                ("dx", values(x.grad(&grads).expect("dx")), "dx"),
                (
                    "dW_ih",
                    values(w_ih.grad(&grads).expect("dW_ih")),
                    "d_weight_ih",
                ),
                (
                    "dW_hh",
                    values(w_hh.grad(&grads).expect("dW_hh")),
                    "d_weight_hh",
                ),
                ("db", values(bias.grad(&grads).expect("db")), "d_bias"),
            ] {
                assert_close(
                    &format!("lstm reverse={reverse} {name}"),
                    &got,
                    &floats(&case[want]),
                );
            }
        }
    }

    #[test]
    fn kernels_are_deterministic_across_pool_sizes_and_row_chunks() {
        // Same inputs on 1 and 3 threads: bit-identical values and
        // gradients (sums over samples are taken in sample order).
        let d = ConvDims::new([5, 3, 6, 7], [4, 3, 3, 3], [1, 1]);
        let x = lcg(5 * 3 * 6 * 7, 11);
        let w = lcg(4 * 3 * 9, 12);
        let dy = lcg(d.batch * d.c_out * d.n(), 13);
        // 37 rows: three chunks, the last one short.
        let ld = LstmDims::new([37, 6, 12], [3, 12], [37, 6]);
        let gx = lcg(37 * 6 * 12, 14);
        let wh = lcg(3 * 12, 15);
        let ones = vec![1.0f32; 37 * 6];
        let dys = lcg(37 * 6 * 3, 16);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| {
                    let y = conv_forward(&x, &w, &d);
                    let (dw, dx) = conv_backward(&x, &w, &dy, &d, true);
                    let tapes = lstm_forward_rows(&gx, &wh, &ones, &ld, true);
                    let (dgx, dwh) = lstm_backward_rows(&tapes, &wh, &ones, &dys, &ld, true);
                    (y, dw, dx, lstm_outputs(&tapes), dgx, dwh)
                })
        };
        let chunked = run(1);
        assert_eq!(chunked, run(3));
        // Chunking the rows changes nothing but the schedule.
        let whole = lstm_forward(&gx, &wh, &ones, &ld, true).outputs();
        assert_eq!(whole.len(), chunked.3.len());
        for (a, b) in whole.iter().zip(&chunked.3) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn vectorisable_exp_sigmoid_and_tanh_match_libm() {
        let mut worst = [0.0f64; 3];
        for k in -20_000..=20_000 {
            let x = k as f32 * 0.0045; // [-90, 90]
            let xd = f64::from(x);
            if (-87.0..=88.0).contains(&x) {
                let rel = (f64::from(exp_approx(x)) - xd.exp()).abs() / xd.exp();
                worst[0] = worst[0].max(rel);
            }
            worst[1] = worst[1].max((f64::from(sigmoid(x)) - 1.0 / (1.0 + (-xd).exp())).abs());
            worst[2] = worst[2].max((f64::from(tanh(x)) - xd.tanh()).abs());
        }
        assert!(worst[0] < 3e-7, "exp relative error {}", worst[0]);
        assert!(worst[1] < 2e-7, "sigmoid absolute error {}", worst[1]);
        assert!(worst[2] < 4e-7, "tanh absolute error {}", worst[2]);
    }

    #[test]
    fn max_pool_matches_the_definition_and_routes_gradients_to_the_first_maximum() {
        let d = PoolDims::new([2, 3, 5, 7], [2, 3]);
        let mut x = lcg(2 * 3 * 5 * 7, 21);
        x[1] = x[0]; // a tie inside the first window
        x[0] = 5.0;
        x[1] = 5.0;
        let (y, arg) = pool_forward(&x, &d);
        assert_eq!(d.out_shape(), [2, 3, 2, 2]);
        for p in 0..6 {
            for oy in 0..2 {
                for ox in 0..2 {
                    let mut best = f32::NEG_INFINITY;
                    for ky in 0..2 {
                        for kx in 0..3 {
                            best = best.max(x[p * 35 + (oy * 2 + ky) * 7 + ox * 3 + kx]);
                        }
                    }
                    let o = p * 4 + oy * 2 + ox;
                    assert_eq!(y[o], best);
                    assert_eq!(x[arg[o] as usize], best);
                }
            }
        }
        assert_eq!(arg[0], 0, "ties go to the first maximum");
        let dy = lcg(24, 22);
        let dx = pool_backward(&dy, &arg, &d);
        assert_eq!(dx.iter().filter(|v| **v != 0.0).count(), 24);
        for (o, &a) in arg.iter().enumerate() {
            assert_eq!(dx[a as usize], dy[o]);
        }
    }
}
