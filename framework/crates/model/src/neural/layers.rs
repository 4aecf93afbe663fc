//! Building blocks shared by the architectures, and the forward context that
//! carries the training RNG.
//!
//! Randomness during training (dropout masks, SpecAugment) is drawn from the
//! trial's `ChaCha8Rng`, never from burn's process-global generator, so
//! trials running side by side cannot disturb each other.
//!
//! Recurrent layers are written here rather than taken from `burn::nn`:
//! burn 0.22's `Lstm` projects the input separately for each gate and each
//! step and writes every hidden state with `slice_assign`, whose backward
//! pass (like the backward pass of any `slice`) materialises a zero tensor of
//! the whole sequence per step, O(T^2) memory traffic. Ours project the
//! whole sequence with one matrix product; on the CPU an LSTM then runs the
//! whole sequence as one operation with a hand-written backward pass
//! ([`kernels::lstm_sequence`]), elsewhere (CUDA; the GRU) it cuts the
//! sequence into steps at a *time boundary* (see [`Ctx::time_steps`]).
//! Convolution blocks likewise use [`kernels`] on the CPU and burn's own
//! operations elsewhere.

use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig,
    PaddingConfig1d, PaddingConfig2d,
};
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::kernels;

/// A sequence cut into time steps during training: the tracked tensor before
/// the cut and the per-step leaves after it. The loop back-propagates the
/// loss to the leaves, stacks their gradients and back-propagates
/// `sum(tracked * stacked)` through everything before the cut.
pub(crate) struct Boundary {
    /// `[batch, steps, features]`, tracked.
    pub tracked: Tensor<3>,
    /// `steps` leaves of `[batch, features]`.
    pub leaves: Vec<Tensor<2>>,
}

/// State of one forward pass.
pub(crate) struct Ctx<'a> {
    /// Device the batch tensors are created on (autodiff while training).
    pub device: Device,
    /// The trial RNG while training; `None` in evaluation mode.
    pub rng: Option<&'a mut ChaCha8Rng>,
    /// Time boundaries recorded while training.
    pub boundaries: Vec<Boundary>,
    /// Cut sequences at time boundaries (training only). Off only in the
    /// test that checks the cut gives the same gradients as plain slicing.
    pub cut_time: bool,
    /// Run whole LSTM sequences as one operation ([`kernels::lstm_sequence`])
    /// where the device allows. Off only in the tests that compare it with
    /// the step-by-step formulation.
    pub fused_lstm: bool,
}

impl<'a> Ctx<'a> {
    /// A training context on an autodiff device.
    pub fn train(device: Device, rng: &'a mut ChaCha8Rng) -> Self {
        Self {
            device,
            rng: Some(rng),
            boundaries: Vec::new(),
            cut_time: true,
            fused_lstm: true,
        }
    }

    /// An evaluation context (no dropout, no augmentation, running batch
    /// norm statistics).
    pub fn eval(device: Device) -> Self {
        Self {
            device,
            rng: None,
            boundaries: Vec::new(),
            cut_time: false,
            fused_lstm: true,
        }
    }

    pub fn training(&self) -> bool {
        self.rng.is_some()
    }

    /// Inverted dropout with a mask from the trial RNG (training only).
    pub fn dropout<const D: usize>(&mut self, x: Tensor<D>, prob: f64) -> Tensor<D> {
        let Some(rng) = self.rng.as_deref_mut() else {
            return x;
        };
        if prob <= 0.0 {
            return x;
        }
        let dims = x.dims();
        let n: usize = dims.iter().product();
        let keep = 1.0 - prob;
        let scale = (1.0 / keep) as f32;
        let mask: Vec<f32> = (0..n)
            .map(|_| {
                if rng.random::<f64>() < keep {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::<D>::from_data(TensorData::new(mask, dims), &self.device);
        x * mask
    }

    /// Cuts `[batch, steps, features]` into `steps` tensors `[batch, features]`.
    ///
    /// While training, the cut is a boundary: the steps are fresh leaves made
    /// from a detached copy, so per-step slicing costs nothing in the
    /// backward pass (see [`Boundary`]).
    pub fn time_steps(&mut self, x: Tensor<3>) -> Vec<Tensor<2>> {
        let [b, t, f] = x.dims();
        // [steps, batch, features]: each step is one contiguous block.
        if self.training() && self.cut_time {
            let detached = x.clone().detach().swap_dims(0, 1);
            let leaves: Vec<Tensor<2>> = (0..t)
                .map(|s| {
                    detached
                        .clone()
                        .narrow(0, s, 1)
                        .reshape([b, f])
                        .require_grad()
                })
                .collect();
            self.boundaries.push(Boundary {
                tracked: x,
                leaves: leaves.clone(),
            });
            leaves
        } else {
            let x = x.swap_dims(0, 1);
            (0..t)
                .map(|s| x.clone().narrow(0, s, 1).reshape([b, f]))
                .collect()
        }
    }

    /// A host array as a tensor on this context's device.
    pub fn tensor<const D: usize>(&self, data: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
        Tensor::from_data(TensorData::new(data, shape), &self.device)
    }

    /// Token ids as an integer tensor.
    pub fn ids(&self, ids: &[u32], shape: [usize; 2]) -> Tensor<2, Int> {
        let ids: Vec<i32> = ids.iter().map(|&i| i as i32).collect();
        Tensor::from_data(TensorData::new(ids, shape), &self.device)
    }
}

/// `Linear` with PyTorch's default initialisation (burn's default, kaiming
/// uniform with gain `1/sqrt(3)`, is the same `U(-1/sqrt(in), 1/sqrt(in))`).
pub(crate) fn linear(d_in: usize, d_out: usize, bias: bool, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out).with_bias(bias).init(device)
}

/// Batch normalisation as `burn::nn::BatchNorm` computes it (biased batch
/// variance, running statistics updated with `momentum`), but with the
/// statistics reduced along the contiguous axes: burn 0.22's default
/// `batch_norm_train` transposes the whole activation twice in the forward
/// pass and again in the backward pass (`swap_dims(0, 1)` then a reshape),
/// which profiling showed as the largest non-GEMM cost of the 2D CNN.
/// Evaluation (no autodiff or a frozen layer) uses burn's own inference path.
///
/// # Shapes
/// `x: [batch, channels, ...]` -> same shape.
pub(crate) fn batch_norm<const D: usize>(bn: &BatchNorm, x: Tensor<D>) -> Tensor<D> {
    if !(x.device().is_autodiff() && bn.training.is_enabled()) {
        return bn.forward(x);
    }
    let dims = x.dims();
    let (b, c) = (dims[0], dims[1]);
    let rest: usize = dims[2..].iter().product();
    let count = (b * rest) as f64;
    let x3: Tensor<3> = x.reshape([b, c, rest]);
    let mean = x3.clone().sum_dim(2).sum_dim(0).div_scalar(count); // [1, c, 1]
    let centered = x3 - mean.clone();
    let var = centered
        .clone()
        .square()
        .sum_dim(2)
        .sum_dim(0)
        .div_scalar(count);
    let inv_std = var.clone().add_scalar(bn.epsilon).sqrt().recip();
    let scale = bn.gamma.val().reshape([1, c, 1]) * inv_std;
    let y = centered * scale + bn.beta.val().reshape([1, c, 1]);
    update_running_stats(bn, mean.reshape([c]), var.reshape([c]));
    y.reshape(dims)
}

/// `running = (1 - momentum) running + momentum batch` for the mean and
/// the (biased) variance, as burn's `BatchNorm` updates them.
fn update_running_stats(bn: &BatchNorm, mean: Tensor<1>, var: Tensor<1>) {
    let m = bn.momentum;
    let device = mean.device();
    let update = |state: &burn::module::RunningState<Tensor<1>>, batch: Tensor<1>| {
        let old = state.value_sync().to_device(&device);
        let new = old.mul_scalar(1.0 - m).add(batch.detach().mul_scalar(m));
        state.update(new.detach());
    };
    update(&bn.running_mean, mean);
    update(&bn.running_var, var);
}

/// `relu(batch_norm(bn, x))`; while training on the flex backend, one
/// fused kernel each way ([`kernels::batch_norm_relu`]) with the same
/// running-statistics update.
pub(crate) fn batch_norm_relu<const D: usize>(bn: &BatchNorm, x: Tensor<D>) -> Tensor<D> {
    let training = x.device().is_autodiff() && bn.training.is_enabled();
    if !(training && kernels::fast_kernels(&x.device())) {
        return relu(batch_norm(bn, x));
    }
    let dims = x.dims();
    let (b, c) = (dims[0], dims[1]);
    let rest: usize = dims[2..].iter().product();
    let x3: Tensor<3> = x.reshape([b, c, rest]);
    let stats = kernels::channel_stats(x3.clone()); // [2, c]: mean, biased var
    let row = |r: usize| stats.clone().narrow(0, r, 1).reshape([c]);
    update_running_stats(bn, row(0), row(1));
    kernels::batch_norm_relu(x3, bn.gamma.val(), bn.beta.val(), stats, bn.epsilon).reshape(dims)
}

/// `Conv1D(k, same, no bias) -> BatchNorm -> ReLU -> MaxPool(pool)`; the bias
/// is left out because batch norm's shift replaces it.
#[derive(Module, Debug)]
pub(crate) struct ConvBlock1d {
    pub conv: Conv1d,
    pub bn: BatchNorm,
    pub pool: Option<MaxPool1d>,
}

impl ConvBlock1d {
    pub fn new(c_in: usize, c_out: usize, kernel: usize, pool: usize, device: &Device) -> Self {
        Self {
            conv: Conv1dConfig::new(c_in, c_out, kernel)
                .with_padding(PaddingConfig1d::Same)
                .with_bias(false)
                .init(device),
            bn: BatchNormConfig::new(c_out).init(device),
            pool: (pool > 1).then(|| MaxPool1dConfig::new(pool).init()),
        }
    }

    /// `[batch, c_in, t] -> [batch, c_out, t / pool]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let k = self.conv.kernel_size;
        // "Same" padding is symmetric for odd kernels only.
        let y = if kernels::fast_kernels(&x.device()) && k % 2 == 1 {
            kernels::conv1d(x, self.conv.weight.val(), k / 2)
        } else {
            self.conv.forward(x)
        };
        let x = batch_norm_relu(&self.bn, y);
        match &self.pool {
            Some(p) if kernels::fast_kernels(&x.device()) && p.stride == p.kernel_size => {
                kernels::max_pool1d(x, p.kernel_size)
            }
            Some(p) => p.forward(x),
            None => x,
        }
    }
}

/// `Conv2D(3x3, same, no bias) -> BatchNorm -> ReLU -> MaxPool(2x2)`.
#[derive(Module, Debug)]
pub(crate) struct ConvBlock2d {
    pub conv: Conv2d,
    pub bn: BatchNorm,
    pub pool: MaxPool2d,
}

impl ConvBlock2d {
    pub fn new(c_in: usize, c_out: usize, device: &Device) -> Self {
        Self {
            conv: Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device),
            bn: BatchNormConfig::new(c_out).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
        }
    }

    /// `[batch, c_in, h, w] -> [batch, c_out, h / 2, w / 2]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        if kernels::fast_kernels(&x.device()) {
            let y = kernels::conv2d(x, self.conv.weight.val(), [1, 1]);
            kernels::max_pool2d(batch_norm_relu(&self.bn, y), self.pool.kernel_size)
        } else {
            self.pool
                .forward(relu(batch_norm(&self.bn, self.conv.forward(x))))
        }
    }
}

/// Frames left after `blocks` max-pools of width `pool` (floor each time).
pub(crate) fn pooled_len(mut t: usize, blocks: usize, pool: usize) -> usize {
    if pool > 1 {
        for _ in 0..blocks {
            t /= pool;
        }
    }
    t
}

/// An LSTM layer in PyTorch's formulation (gates `i, f, g, o`; weights and
/// biases initialised `U(-1/sqrt(hidden), 1/sqrt(hidden))`).
#[derive(Module, Debug)]
pub(crate) struct LstmLayer {
    /// `W_ih`, `b_ih + b_hh` folded into one bias: `[d_in] -> [4 hidden]`.
    pub input: Linear,
    /// `W_hh`: `[hidden] -> [4 hidden]`, no bias.
    pub recurrent: Linear,
    pub hidden: usize,
}

impl LstmLayer {
    pub fn new(d_in: usize, hidden: usize, device: &Device) -> Self {
        let k = 1.0 / (hidden as f64).sqrt();
        let init = Initializer::Uniform { min: -k, max: k };
        Self {
            input: LinearConfig::new(d_in, 4 * hidden)
                .with_initializer(init.clone())
                .init(device),
            recurrent: LinearConfig::new(hidden, 4 * hidden)
                .with_bias(false)
                .with_initializer(init)
                .init(device),
            hidden,
        }
    }

    /// Runs over `x: [batch, steps, d_in]` (backwards in time when `reverse`)
    /// and returns the final hidden state `[batch, hidden]` and, when
    /// `outputs`, every hidden state `[batch, steps, hidden]` in time order.
    /// `mask: [batch, steps]` (1 real, 0 padding, a constant) freezes the
    /// state on padding steps.
    pub fn forward(
        &self,
        x: Tensor<3>,
        mask: Option<&Tensor<2>>,
        reverse: bool,
        outputs: bool,
        ctx: &mut Ctx<'_>,
    ) -> (Tensor<2>, Option<Tensor<3>>) {
        let [b, t, _] = x.dims();
        if ctx.fused_lstm && kernels::fast_kernels(&ctx.device) {
            // One autodiff node for the whole sequence (see `kernels`).
            let mask = match mask {
                Some(m) => m.clone(),
                None => Tensor::<2>::ones([b, t], &ctx.device),
            };
            // The input projection as one [b t, d_in] x [d_in, 4h] product
            // on the whole pool.
            let d_in = x.dims()[2];
            let gates_x = kernels::linear(&self.input, x.reshape([b * t, d_in])).reshape([
                b,
                t,
                4 * self.hidden,
            ]);
            let hs = kernels::lstm_sequence(gates_x, self.recurrent.weight.val(), mask, reverse);
            let last = if reverse { 0 } else { t - 1 };
            let h = hs.clone().narrow(1, last, 1).reshape([b, self.hidden]);
            return (h, outputs.then_some(hs));
        }
        let h4 = 4 * self.hidden;
        let gates_x = ctx.time_steps(self.input.forward(x)); // t x [b, 4h]
        let mut h = Tensor::<2>::zeros([b, self.hidden], &ctx.device);
        let mut c = Tensor::<2>::zeros([b, self.hidden], &ctx.device);
        let mut hs: Vec<Option<Tensor<2>>> = vec![None; if outputs { t } else { 0 }];
        let order: Box<dyn Iterator<Item = usize>> = if reverse {
            Box::new((0..t).rev())
        } else {
            Box::new(0..t)
        };
        for s in order {
            let g = gates_x[s].clone() + self.recurrent.forward(h.clone());
            let hd = self.hidden;
            let i = sigmoid(g.clone().narrow(1, 0, hd));
            let f = sigmoid(g.clone().narrow(1, hd, hd));
            let gg = tanh(g.clone().narrow(1, 2 * hd, hd));
            let o = sigmoid(g.narrow(1, 3 * hd, hd));
            debug_assert_eq!(h4, 4 * hd);
            let c_new = f * c.clone() + i * gg;
            let h_new = o * tanh(c_new.clone());
            match mask {
                Some(m) => {
                    let keep = m.clone().narrow(1, s, 1); // [b, 1]
                    let skip = keep.clone().neg().add_scalar(1.0);
                    c = c_new * keep.clone() + c * skip.clone();
                    h = h_new * keep + h * skip;
                }
                None => {
                    c = c_new;
                    h = h_new;
                }
            }
            if outputs {
                hs[s] = Some(h.clone());
            }
        }
        let out = outputs.then(|| {
            Tensor::stack::<3>(
                hs.into_iter().map(|x| x.expect("every step ran")).collect(),
                1,
            )
        });
        (h, out)
    }
}

/// A GRU layer in PyTorch's formulation (`r, z, n`;
/// `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`), initialised
/// `U(-1/sqrt(hidden), 1/sqrt(hidden))`.
#[derive(Module, Debug)]
pub(crate) struct GruLayer {
    /// `[d_in] -> [3 hidden]` with `b_ih`.
    pub input: Linear,
    /// `[hidden] -> [3 hidden]` with `b_hh`.
    pub recurrent: Linear,
    pub hidden: usize,
}

impl GruLayer {
    pub fn new(d_in: usize, hidden: usize, device: &Device) -> Self {
        let k = 1.0 / (hidden as f64).sqrt();
        let init = Initializer::Uniform { min: -k, max: k };
        Self {
            input: LinearConfig::new(d_in, 3 * hidden)
                .with_initializer(init.clone())
                .init(device),
            recurrent: LinearConfig::new(hidden, 3 * hidden)
                .with_initializer(init)
                .init(device),
            hidden,
        }
    }

    /// `x: [batch, steps, d_in]` -> every hidden state `[batch, steps, hidden]`.
    pub fn forward(&self, x: Tensor<3>, ctx: &mut Ctx<'_>) -> Tensor<3> {
        let [b, _, _] = x.dims();
        let hd = self.hidden;
        let gates_x = ctx.time_steps(self.input.forward(x));
        let mut h = Tensor::<2>::zeros([b, hd], &ctx.device);
        let mut hs = Vec::with_capacity(gates_x.len());
        for gx in gates_x {
            let gh = self.recurrent.forward(h.clone());
            let r = sigmoid(gx.clone().narrow(1, 0, hd) + gh.clone().narrow(1, 0, hd));
            let z = sigmoid(gx.clone().narrow(1, hd, hd) + gh.clone().narrow(1, hd, hd));
            let n = tanh(gx.narrow(1, 2 * hd, hd) + r * gh.narrow(1, 2 * hd, hd));
            // h' = (1 - z) * n + z * h = n + z * (h - n)
            h = n.clone() + z * (h - n);
            hs.push(h.clone());
        }
        Tensor::stack::<3>(hs, 1)
    }
}

/// A learned word embedding, PyTorch's `N(0, 1)` initialisation.
pub(crate) fn embedding(vocab: usize, dim: usize, device: &Device) -> Embedding {
    EmbeddingConfig::new(vocab, dim).init(device)
}
