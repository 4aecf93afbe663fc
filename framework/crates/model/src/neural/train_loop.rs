//! The training loop for `model::neural` networks: mini-batches in a seeded
//! order, MixUp, the loss, back-propagation (including the time boundaries
//! of the recurrent layers), global gradient clipping, Adam/AdamW with a
//! per-batch schedule, validation, early stopping and best-epoch restore.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::{
    AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer, decay::WeightDecayConfig,
};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Gradients, Tensor};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::neural::config::{NeuralConfig, SpecAugmentConfig};
use crate::neural::data::{HostBatch, InputDims, NeuralData, Targets};
use crate::neural::layers::{Boundary, Ctx};
use crate::neural::net::Net;
use crate::neural::{Head, NeuralError, Predictions};
use crate::train::config::{OptimizerKind, TrainConfig};
use crate::train::early_stopping::EarlyStopping;
use crate::train::mixup::{MixPlan, draw_plan, mix_rows};
use crate::train::observer::{EpochObserver, EpochRecord};
use crate::train::schedule::lr_at;

pub(crate) struct LoopInput<'a> {
    pub net: Net,
    pub cfg: &'a NeuralConfig,
    pub train_cfg: &'a TrainConfig,
    pub task: Head,
    pub dims: InputDims,
    pub train: (&'a NeuralData, usize),
    pub validation: Option<(&'a NeuralData, usize)>,
    /// The plain (non-autodiff) device.
    pub device: Device,
    pub seed: u64,
    pub observer: &'a mut (dyn EpochObserver + Send),
}

pub(crate) struct Fitted {
    /// Kept weights, in evaluation form.
    pub net: Net,
    pub best_epoch: usize,
    pub epochs_run: usize,
}

fn optimizer(cfg: &TrainConfig) -> ModuleOptimizer {
    // PyTorch's epsilon (burn defaults to 1e-5).
    let eps = 1e-8;
    match cfg.optimizer {
        OptimizerKind::Adam => AdamConfig::new()
            .with_epsilon(eps)
            .with_weight_decay(
                (cfg.weight_decay > 0.0).then(|| WeightDecayConfig::new(cfg.weight_decay as f32)),
            )
            .init(),
        OptimizerKind::Adamw => AdamWConfig::new()
            .with_epsilon(eps)
            .with_weight_decay(cfg.weight_decay as f32)
            .init(),
    }
}

/// `n / (k * count_c)` (scikit-learn's "balanced"); classes absent from the
/// training fold get weight 0 (they have no rows to weigh).
pub(crate) fn balanced_class_weights(classes: &[usize], k: usize) -> Vec<f32> {
    let mut counts = vec![0usize; k];
    for &c in classes {
        counts[c] += 1;
    }
    let n = classes.len() as f64;
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                0.0
            } else {
                (n / (k as f64 * c as f64)) as f32
            }
        })
        .collect()
}

/// The loss of one batch as `(sum tensor, denominator)`: the batch loss is
/// `sum / denominator`, and summing both over batches gives the split loss.
///
/// Classification: `-sum_i sum_c w_c y_ic log p_ic` over
/// `sum_i sum_c w_c y_ic` (PyTorch's weighted `cross_entropy` for one-hot
/// rows; soft rows come from MixUp). Regression: squared error over the
/// number of values (`mse_loss`).
pub(crate) fn loss_terms(
    task: Head,
    output: Tensor<2>,
    targets: &[f32],
    class_weights: Option<&[f32]>,
    device: &Device,
) -> (Tensor<1>, f64) {
    let [b, k] = output.dims();
    match task {
        Head::Classification { .. } => {
            let wy: Vec<f32> = match class_weights {
                Some(w) => targets
                    .chunks(k)
                    .flat_map(|row| row.iter().zip(w).map(|(y, w)| y * w))
                    .collect(),
                None => targets.to_vec(),
            };
            let den: f64 = wy.iter().map(|&v| f64::from(v)).sum();
            let wy = Tensor::<2>::from_data(burn::tensor::TensorData::new(wy, [b, k]), device);
            let logp = log_softmax(output, 1);
            ((wy * logp).sum().neg(), den)
        }
        Head::Regression { .. } => {
            let y = Tensor::<2>::from_data(
                burn::tensor::TensorData::new(targets.to_vec(), [b, k]),
                device,
            );
            ((output - y).square().sum(), (b * k) as f64)
        }
    }
}

/// Moves every gradient of `from` into `into` (adding where both have one).
struct Merge<'a> {
    into: &'a mut GradientsParams,
    from: &'a mut GradientsParams,
}

impl ModuleVisitor for Merge<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.from.remove::<D>(param.id) {
            let g = match self.into.remove::<D>(param.id) {
                Some(h) => h + g,
                None => g,
            };
            self.into.register(param.id, g);
        }
    }
}

/// Sum of squared gradient entries (for the global norm).
struct SquaredNorm<'a> {
    grads: &'a GradientsParams,
    total: f64,
}

impl ModuleVisitor for SquaredNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            self.total += f64::from(g.square().sum().into_scalar::<f32>());
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
    seen: Vec<ParamId>,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.seen.contains(&param.id) {
            return;
        }
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, g.mul_scalar(self.factor));
            self.seen.push(param.id);
        }
    }
}

/// Back-propagates `loss` through the network, crossing the time
/// boundaries recorded during the forward pass (see `layers::Boundary`),
/// and clips the global gradient norm like `clip_grad_norm_`.
pub(crate) fn gradients(
    loss: Tensor<1>,
    boundaries: Vec<Boundary>,
    net: &Net,
    clip: f64,
) -> GradientsParams {
    let mut grads: Gradients = loss.backward();
    let mut params = GradientsParams::from_module(&mut grads, net);
    if !boundaries.is_empty() {
        let mut surrogate: Option<Tensor<1>> = None;
        for b in boundaries {
            let [batch, _, features] = b.tracked.dims();
            let device = b.tracked.device();
            let steps: Vec<Tensor<2>> = b
                .leaves
                .iter()
                .map(|leaf| match leaf.grad(&grads) {
                    Some(g) => g.autodiff(),
                    None => Tensor::zeros([batch, features], &device),
                })
                .collect();
            let upstream = Tensor::stack::<3>(steps, 1);
            let s = (b.tracked * upstream).sum();
            surrogate = Some(match surrogate {
                Some(acc) => acc + s,
                None => s,
            });
        }
        let surrogate = surrogate.expect("at least one boundary");
        let mut grads2 = surrogate.backward();
        let mut before = GradientsParams::from_module(&mut grads2, net);
        net.visit(&mut Merge {
            into: &mut params,
            from: &mut before,
        });
    }
    if clip > 0.0 {
        let mut norm = SquaredNorm {
            grads: &params,
            total: 0.0,
        };
        net.visit(&mut norm);
        let total = norm.total.sqrt();
        // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when < 1.
        let factor = clip / (total + 1e-6);
        if factor < 1.0 {
            net.visit(&mut Scale {
                grads: &mut params,
                factor,
                seen: Vec::new(),
            });
        }
    }
    params
}

fn specaug_of(cfg: &NeuralConfig) -> Option<&SpecAugmentConfig> {
    match cfg {
        NeuralConfig::Cnn2dSpecaug(c) => Some(&c.specaug),
        _ => None,
    }
}

pub(crate) fn train(input: LoopInput<'_>) -> Result<Fitted, NeuralError> {
    let LoopInput {
        mut net,
        cfg,
        train_cfg,
        task,
        dims,
        train: (train, n_train),
        validation,
        device,
        seed,
        observer,
    } = input;
    let ad_device = device.clone().autodiff();
    let n_out = task.n_outputs();
    let class_weights = match (task, &train.targets, train_cfg.class_weights) {
        (Head::Classification { n_classes }, Some(Targets::Classes(c)), true) => {
            Some(balanced_class_weights(c, n_classes))
        }
        _ => None,
    };
    let specaug = specaug_of(cfg);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut optim = optimizer(train_cfg);
    let batch_size = train_cfg.batch_size.min(n_train).max(1);
    let steps_per_epoch = n_train.div_ceil(batch_size);
    let total_steps = steps_per_epoch * train_cfg.epochs;
    let mut order: Vec<usize> = (0..n_train).collect();
    let mut stopping = EarlyStopping::new(train_cfg.early_stopping.patience);
    let mut best: Option<(usize, Net)> = None;
    let mut step = 0usize;
    let mut epochs_run = 0;
    for epoch in 1..=train_cfg.epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0f64;
        let mut lr = train_cfg.lr;
        for (b, idx) in order.chunks(batch_size).enumerate() {
            let mut batch = train.batch(idx, n_out);
            if let Some(plan) = draw_plan(&mut rng, batch.rows, train_cfg.mixup_alpha) {
                mix_batch(&mut batch, &plan);
            }
            lr = lr_at(train_cfg.schedule, train_cfg.lr, step, total_steps);
            step += 1;
            let (loss, boundaries) = {
                let mut ctx = Ctx::train(ad_device.clone(), &mut rng);
                let out = net.forward(&batch, dims, specaug, &mut ctx);
                let targets = batch.targets.as_deref().expect("validated");
                let (sum, den) = loss_terms(
                    task,
                    out.output,
                    targets,
                    class_weights.as_deref(),
                    &ad_device,
                );
                (
                    sum.div_scalar(den.max(f64::MIN_POSITIVE)),
                    std::mem::take(&mut ctx.boundaries),
                )
            };
            let value = f64::from(loss.clone().into_scalar::<f32>());
            if !value.is_finite() {
                return Err(NeuralError::NonFiniteLoss {
                    epoch,
                    batch: Some(b + 1),
                });
            }
            loss_sum += value * idx.len() as f64;
            let grads = gradients(loss, boundaries, &net, train_cfg.grad_clip);
            net = optim.step(lr, net, grads);
        }
        epochs_run = epoch;
        let train_loss = loss_sum / n_train as f64;
        let eval_net = net.valid();
        let (validation_loss, validation_metrics) = match validation {
            Some((v, n)) => {
                let (loss, metrics) = evaluate(
                    &eval_net,
                    v,
                    n,
                    dims,
                    task,
                    &device,
                    batch_size,
                    class_weights.as_deref(),
                );
                if !loss.is_finite() {
                    return Err(NeuralError::NonFiniteLoss { epoch, batch: None });
                }
                (Some(loss), metrics)
            }
            None => (None, BTreeMap::new()),
        };
        let record = EpochRecord {
            epoch,
            train_loss,
            validation_loss,
            lr,
            validation_metrics,
        };
        if observer.epoch_end(&record) == ControlFlow::Break(()) {
            return Err(NeuralError::Stopped { epoch });
        }
        match validation_loss {
            Some(loss) => {
                let verdict = stopping.update(epoch, loss);
                if verdict.improved {
                    best = Some((epoch, eval_net));
                }
                if verdict.stop {
                    break;
                }
            }
            None => best = Some((epoch, eval_net)),
        }
    }
    let (best_epoch, net) = match best {
        Some((epoch, best_net)) if train_cfg.early_stopping.restore_best => (epoch, best_net),
        _ => (epochs_run, net.valid()),
    };
    Ok(Fitted {
        net,
        best_epoch,
        epochs_run,
    })
}

fn mix_batch(batch: &mut HostBatch, plan: &MixPlan) {
    let rows = batch.rows;
    for v in [
        &mut batch.audio,
        &mut batch.text_vec,
        &mut batch.text_present,
        &mut batch.targets,
    ]
    .into_iter()
    .flatten()
    {
        let row_len = v.len() / rows;
        *v = mix_rows(v, row_len, plan);
    }
}

/// Forward passes in evaluation mode over `data`: outputs `[n, n_out]`
/// (softmax probabilities for classification) and alphas.
fn outputs(
    net: &Net,
    data: &NeuralData,
    n: usize,
    dims: InputDims,
    task: Head,
    device: &Device,
    batch_size: usize,
) -> (Vec<f32>, Option<Vec<f32>>, Vec<Vec<f32>>) {
    let n_out = task.n_outputs();
    let idx: Vec<usize> = (0..n).collect();
    let mut out = Vec::with_capacity(n * n_out);
    let mut alphas: Option<Vec<f32>> = None;
    let mut raw = Vec::new();
    for chunk in idx.chunks(batch_size.max(1)) {
        let batch = data.batch(chunk, n_out);
        let mut ctx = Ctx::eval(device.clone());
        let o = net.forward(&batch, dims, None, &mut ctx);
        raw.push(
            o.output
                .clone()
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 output"),
        );
        let values = match task {
            Head::Classification { .. } => softmax(o.output, 1),
            Head::Regression { .. } => o.output,
        };
        out.extend(values.into_data().try_to_vec::<f32>().expect("f32 output"));
        if let Some(a) = o.alpha {
            alphas
                .get_or_insert_with(Vec::new)
                .extend(a.into_data().try_to_vec::<f32>().expect("f32 alpha"));
        }
    }
    (out, alphas, raw)
}

pub(crate) fn predict(
    net: &Net,
    data: &NeuralData,
    n: usize,
    dims: InputDims,
    task: Head,
    device: &Device,
    batch_size: usize,
) -> Predictions {
    let (outputs, alphas, _) = outputs(net, data, n, dims, task, device, batch_size);
    Predictions {
        n_outputs: task.n_outputs(),
        outputs,
        alphas,
    }
}

/// Validation loss (same definition as the training loss) and metrics.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    net: &Net,
    data: &NeuralData,
    n: usize,
    dims: InputDims,
    task: Head,
    device: &Device,
    batch_size: usize,
    class_weights: Option<&[f32]>,
) -> (f64, BTreeMap<String, f64>) {
    let n_out = task.n_outputs();
    let (probs, _, raw) = outputs(net, data, n, dims, task, device, batch_size);
    let idx: Vec<usize> = (0..n).collect();
    let mut num = 0.0;
    let mut den = 0.0;
    for (chunk, raw) in idx.chunks(batch_size.max(1)).zip(raw) {
        let batch = data.batch(chunk, n_out);
        let out = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(raw, [chunk.len(), n_out]),
            device,
        );
        let (s, d) = loss_terms(
            task,
            out,
            batch.targets.as_deref().expect("validated"),
            class_weights,
            device,
        );
        num += f64::from(s.into_scalar::<f32>());
        den += d;
    }
    let mut metrics = BTreeMap::new();
    match &data.targets {
        Some(Targets::Classes(truth)) => {
            let pred: Vec<usize> = probs
                .chunks(n_out)
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .fold(
                            (0, f32::NEG_INFINITY),
                            |a, (i, &p)| if p > a.1 { (i, p) } else { a },
                        )
                        .0
                })
                .collect();
            let (acc, f1) = accuracy_macro_f1(truth, &pred, n_out);
            metrics.insert("accuracy".to_string(), acc);
            metrics.insert("macro_f1".to_string(), f1);
        }
        Some(Targets::Values { n_targets, data: y }) => {
            let (mse, r2) = mse_r2(y, &probs, *n_targets);
            metrics.insert("mse".to_string(), mse);
            metrics.insert("r2".to_string(), r2);
        }
        None => {}
    }
    (num / den.max(f64::MIN_POSITIVE), metrics)
}

/// Accuracy and macro-F1 over the classes present in truth or prediction
/// (scikit-learn's `f1_score(average="macro")` label set).
pub(crate) fn accuracy_macro_f1(truth: &[usize], pred: &[usize], k: usize) -> (f64, f64) {
    let n = truth.len().max(1) as f64;
    let correct = truth.iter().zip(pred).filter(|(a, b)| a == b).count() as f64;
    let mut f1s = Vec::new();
    for c in 0..k {
        let tp = truth
            .iter()
            .zip(pred)
            .filter(|&(&t, &p)| t == c && p == c)
            .count() as f64;
        let fp = truth
            .iter()
            .zip(pred)
            .filter(|&(&t, &p)| t != c && p == c)
            .count() as f64;
        let fn_ = truth
            .iter()
            .zip(pred)
            .filter(|&(&t, &p)| t == c && p != c)
            .count() as f64;
        if tp + fp + fn_ > 0.0 {
            f1s.push(2.0 * tp / (2.0 * tp + fp + fn_));
        }
    }
    let f1 = if f1s.is_empty() {
        0.0
    } else {
        f1s.iter().sum::<f64>() / f1s.len() as f64
    };
    (correct / n, f1)
}

/// Mean squared error and R² averaged over targets (a constant target's R²
/// is 1 when predicted exactly and 0 otherwise, as scikit-learn's
/// `force_finite`).
pub(crate) fn mse_r2(truth: &[f32], pred: &[f32], k: usize) -> (f64, f64) {
    let n = truth.len() / k.max(1);
    let mut mse = 0.0;
    let mut r2 = 0.0;
    for j in 0..k {
        let col = |v: &[f32], i: usize| f64::from(v[i * k + j]);
        let mean = (0..n).map(|i| col(truth, i)).sum::<f64>() / n.max(1) as f64;
        let ss_res: f64 = (0..n).map(|i| (col(truth, i) - col(pred, i)).powi(2)).sum();
        let ss_tot: f64 = (0..n).map(|i| (col(truth, i) - mean).powi(2)).sum();
        mse += ss_res / n.max(1) as f64;
        r2 += if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else if ss_res == 0.0 {
            1.0
        } else {
            0.0
        };
    }
    (mse / k.max(1) as f64, r2 / k.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_weights_match_scikit_learn_formula() {
        // compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,1]) = [4/9, 4/3, -] ;
        // class 2 is absent and gets 0.
        let w = balanced_class_weights(&[0, 0, 0, 1], 3);
        assert!((w[0] - 4.0 / 9.0).abs() < 1e-6);
        assert!((w[1] - 4.0 / 3.0).abs() < 1e-6);
        assert_eq!(w[2], 0.0);
    }

    #[test]
    fn macro_f1_and_r2_on_hand_examples() {
        // truth 0,0,1,1 ; pred 0,1,1,1: class0 F1 = 2/3, class1 F1 = 0.8
        let (acc, f1) = accuracy_macro_f1(&[0, 0, 1, 1], &[0, 1, 1, 1], 3);
        assert!((acc - 0.75).abs() < 1e-12);
        assert!((f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-12);
        let (mse, r2) = mse_r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0], 1);
        assert!((mse - 1.0 / 3.0).abs() < 1e-12);
        assert!((r2 - 0.5).abs() < 1e-12);
    }
}
