//! Neural networks on burn 0.22 (flex CPU backend; burn's CUDA backend with
//! the `cuda` cargo feature). The only place, with `train/`, where burn types
//! appear: callers hand in plain row-major arrays ([`NeuralData`]) and get
//! plain arrays back ([`Predictions`], weights as bytes).
//!
//! Owns: the architecture configs ([`NeuralConfig`]), the networks, fitting
//! ([`fit_predict`]) and reloading saved weights ([`load_predictor`]).
//! Leaves features, labels, folds and the validation split to `run`, and
//! the training loop itself to `train`.
//!
//! # Reproducibility
//! A fit is a pure function of its arguments on a given backend: parameter
//! initialisation is seeded with `seed` under a process-wide lock (burn's
//! flex generator is global), and every later random draw (shuffling,
//! dropout masks, MixUp, SpecAugment) comes from a `ChaCha8Rng` seeded with
//! `seed`. Work runs on a private rayon pool of
//! [`NeuralRuntime::threads`] threads; the tests check that two identical
//! calls give bit-identical predictions and weights.

pub mod config;
pub mod data;
pub(crate) mod kernels;
pub(crate) mod layers;
pub(crate) mod net;
pub mod specaug;
#[cfg(test)]
mod tests;
pub(crate) mod train_loop;

use std::sync::{Mutex, PoisonError};

use burn::module::{Module, ModuleVisitor, Param};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor};

pub use config::{
    BilstmEncoderConfig, Cnn2dConfig, Cnn2dSpecaugConfig, CnnEncoderConfig, ConcatLstmConfig,
    ConvGruTransformerConfig, GatedFusionConfig, NeuralConfig, ProjectionEncoderConfig,
    ResidualMlpConfig, SeqCnnConfig, SignalInput, SpecAugmentConfig, TextEncoderConfig,
    TextModelConfig, VectorSource,
};
pub use data::{
    AudioInput, AudioShape, InputDims, InputKind, NeuralData, Targets, TextInput, TextShape,
};

use crate::train::{EpochObserver, TrainConfig};
use mer_core::ConfigError;
use net::Net;

/// The network's output head: how many outputs and which loss. Distinct from
/// [`crate::Task`] (what a trial predicts): a classification trial over four
/// quadrants is `Head::Classification { n_classes: 4 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// Softmax cross-entropy over `n_classes` classes.
    Classification {
        /// Number of classes (>= 2).
        n_classes: usize,
    },
    /// Mean squared error on `n_targets` values (1 or 2: valence, arousal).
    Regression {
        /// Targets per track.
        n_targets: usize,
    },
}

impl Head {
    /// Network outputs per track.
    #[must_use]
    pub fn n_outputs(self) -> usize {
        match self {
            Self::Classification { n_classes } => n_classes,
            Self::Regression { n_targets } => n_targets,
        }
    }
}

/// Where the network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComputeDevice {
    /// burn's flex CPU backend.
    #[default]
    Cpu,
    /// burn's CUDA backend on GPU `index` (needs the `cuda` cargo feature).
    Cuda(usize),
}

/// How a fit runs; does not change results on a given device (see the
/// module docs), so it is not part of the trial identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeuralRuntime {
    /// Device. Defaults to the CPU.
    pub device: ComputeDevice,
    /// Threads of the private rayon pool the fit runs on; `0` uses the
    /// caller's current pool. Defaults to `2`.
    pub threads: usize,
}

impl Default for NeuralRuntime {
    fn default() -> Self {
        Self {
            device: ComputeDevice::Cpu,
            threads: 2,
        }
    }
}

/// Network outputs for one split.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// Values per track: class count or target count.
    pub n_outputs: usize,
    /// `[n, n_outputs]`: class probabilities (softmax) or regression values.
    pub outputs: Vec<f32>,
    /// Gated fusion only: the text weight `alpha` per track, `[n]`.
    pub alphas: Option<Vec<f32>>,
}

/// The result of [`fit_predict`].
#[derive(Debug, Clone)]
pub struct NeuralOutcome {
    /// One entry per element of `predict_on`, in order.
    pub predictions: Vec<Predictions>,
    /// Epoch (1-based) whose weights were kept: the best validation epoch
    /// with `restore_best`, otherwise the last epoch run.
    pub best_epoch: usize,
    /// Epochs actually run (fewer than configured after early stopping).
    pub epochs_run: usize,
    /// Input shapes the network was built for (store them with the weights).
    pub dims: InputDims,
    /// The kept weights in burn's burnpack format; reload with
    /// [`load_predictor`].
    pub weights: Vec<u8>,
}

/// Why a fit or a prediction failed.
#[derive(Debug, thiserror::Error)]
pub enum NeuralError {
    /// An architecture or training setting breaks a rule; the key is named
    /// from the spec's root (`model.cnn2d.dropout`, `train.lr`).
    #[error("invalid configuration: {0}")]
    Config(ConfigError),
    /// The data handed in is malformed.
    #[error("{what}: {detail}")]
    Data {
        /// Which input (audio, text, targets).
        what: &'static str,
        /// Row and rule.
        detail: String,
    },
    /// The inputs do not fit the architecture.
    #[error("{arch}: {detail}")]
    Shape {
        /// Architecture.
        arch: &'static str,
        /// What does not fit.
        detail: String,
    },
    /// An input the architecture needs is missing.
    #[error("{arch} needs {kind} input, which the data does not have")]
    MissingInput {
        /// Architecture.
        arch: &'static str,
        /// The missing input.
        kind: InputKind,
    },
    /// MixUp cannot mix token ids.
    #[error("{arch}: mixup_alpha > 0 needs continuous inputs, but this model reads token ids")]
    MixupWithTokens {
        /// Architecture.
        arch: &'static str,
    },
    /// The head has too few classes or targets.
    #[error("the output head needs at least 2 classes or 1 target, got {0:?}")]
    Head(Head),
    /// The loss became NaN or infinite.
    #[error(
        "loss is not finite at epoch {epoch}{}; lower the learning rate or enable grad_clip",
        match batch { Some(b) => format!(", training batch {b}"), None => " (validation)".to_string() }
    )]
    NonFiniteLoss {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based training batch, `None` for the validation loss.
        batch: Option<usize>,
    },
    /// The observer asked training to stop.
    #[error("training stopped by the observer after epoch {epoch}")]
    Stopped {
        /// Last epoch run.
        epoch: usize,
    },
    /// Saved weights do not fit the network.
    #[error("cannot load the saved weights into {arch}")]
    Weights {
        /// Architecture.
        arch: &'static str,
        /// burn's error.
        #[source]
        source: burn::store::RecordError,
    },
    /// The requested device is not compiled in.
    #[error("device {0:?} is not available in this build (enable the `cuda` cargo feature)")]
    DeviceUnavailable(ComputeDevice),
    /// The rayon pool could not be built.
    #[error("cannot build a pool of {threads} threads")]
    ThreadPool {
        /// Requested threads.
        threads: usize,
        /// rayon's error.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
}

/// burn's flex generator is process-global: seeding and drawing the initial
/// parameters happens under this lock so concurrent fits cannot interleave.
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Touches every parameter so burn's lazy initialisers run now.
struct ForceInit;

impl ModuleVisitor for ForceInit {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

pub(crate) fn device_for(d: ComputeDevice) -> Result<Device, NeuralError> {
    match d {
        ComputeDevice::Cpu => Ok(Device::flex()),
        #[cfg(feature = "cuda")]
        ComputeDevice::Cuda(i) => Ok(Device::cuda(i)),
        #[cfg(not(feature = "cuda"))]
        ComputeDevice::Cuda(_) => Err(NeuralError::DeviceUnavailable(d)),
    }
}

/// Builds `cfg` with parameters drawn from `seed`.
pub(crate) fn build_seeded(
    cfg: &NeuralConfig,
    dims: InputDims,
    n_out: usize,
    device: &Device,
    seed: u64,
) -> Result<Net, NeuralError> {
    let _guard = INIT_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    device.seed(seed);
    let net = Net::build(cfg, dims, n_out, device)?;
    net.visit(&mut ForceInit);
    Ok(net.renumber())
}

fn check_inputs(cfg: &NeuralConfig, data: &NeuralData) -> Result<(), NeuralError> {
    for kind in cfg.required_inputs() {
        let have = match kind {
            InputKind::AudioVector
            | InputKind::AudioSequence
            | InputKind::AudioMel
            | InputKind::AudioWaveform => data.audio.as_ref().map(AudioInput::kind),
            InputKind::TextVector | InputKind::TextTokens => {
                data.text.as_ref().map(TextInput::kind)
            }
        };
        if have != Some(kind) {
            return Err(NeuralError::MissingInput {
                arch: cfg.arch(),
                kind,
            });
        }
    }
    Ok(())
}

fn check_head(task: Head) -> Result<(), NeuralError> {
    match task {
        Head::Classification { n_classes } if n_classes >= 2 => Ok(()),
        Head::Regression { n_targets } if n_targets >= 1 => Ok(()),
        _ => Err(NeuralError::Head(task)),
    }
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R, NeuralError> {
    if threads == 0 {
        return Ok(f());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| NeuralError::ThreadPool { threads, source })?;
    Ok(pool.install(f))
}

/// The architecture's settings, keys named from the spec's root.
fn validate_arch(cfg: &NeuralConfig) -> Result<(), NeuralError> {
    cfg.validate()
        .map_err(|e| NeuralError::Config(e.within(cfg.arch()).within("model")))
}

/// Trains `cfg` on `train` (early stopping on `validation` when given),
/// then predicts every split of `predict_on` with the kept weights.
///
/// # Errors
/// Invalid configs or data, inputs that do not fit the architecture, a
/// non-finite loss ([`NeuralError::NonFiniteLoss`]), or an observer stop.
#[allow(clippy::too_many_arguments)]
pub fn fit_predict(
    cfg: &NeuralConfig,
    train_cfg: &TrainConfig,
    task: Head,
    train: &NeuralData,
    validation: Option<&NeuralData>,
    predict_on: &[&NeuralData],
    seed: u64,
    runtime: NeuralRuntime,
    observer: &mut (dyn EpochObserver + Send),
) -> Result<NeuralOutcome, NeuralError> {
    validate_arch(cfg)?;
    train_cfg
        .validate()
        .map_err(|e| NeuralError::Config(e.within("train")))?;
    check_head(task)?;
    check_inputs(cfg, train)?;
    let n_train = train.validate(task, true)?;
    let dims = train.dims();
    let uses_tokens = cfg.required_inputs().contains(&InputKind::TextTokens);
    if train_cfg.mixup_alpha > 0.0 && uses_tokens {
        return Err(NeuralError::MixupWithTokens { arch: cfg.arch() });
    }
    let validation = match validation {
        Some(v) => {
            check_inputs(cfg, v)?;
            let n = v.validate(task, true)?;
            same_dims(cfg, dims, v.dims())?;
            (n > 0).then_some((v, n))
        }
        None => None,
    };
    let mut to_predict = Vec::with_capacity(predict_on.len());
    for p in predict_on {
        check_inputs(cfg, p)?;
        let n = p.validate(task, false)?;
        same_dims(cfg, dims, p.dims())?;
        to_predict.push((*p, n));
    }
    let device = device_for(runtime.device)?;
    in_pool(runtime.threads, move || {
        let net = build_seeded(
            cfg,
            dims,
            task.n_outputs(),
            &device.clone().autodiff(),
            seed,
        )?;
        let fitted = crate::neural::train_loop::train(crate::neural::train_loop::LoopInput {
            net,
            cfg,
            train_cfg,
            task,
            dims,
            train: (train, n_train),
            validation,
            device: device.clone(),
            seed,
            observer,
        })?;
        let predictions = to_predict
            .iter()
            .map(|(d, n)| {
                crate::neural::train_loop::predict(
                    &fitted.net,
                    d,
                    *n,
                    dims,
                    task,
                    &device,
                    train_cfg.batch_size,
                )
            })
            .collect();
        let weights = fitted
            .net
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|source| NeuralError::Weights {
                arch: cfg.arch(),
                source,
            })?;
        Ok(NeuralOutcome {
            predictions,
            best_epoch: fitted.best_epoch,
            epochs_run: fitted.epochs_run,
            dims,
            weights: weights.to_vec(),
        })
    })?
}

fn same_dims(cfg: &NeuralConfig, want: InputDims, got: InputDims) -> Result<(), NeuralError> {
    if want == got {
        Ok(())
    } else {
        Err(NeuralError::Shape {
            arch: cfg.arch(),
            detail: format!("inputs shaped {got:?}, but the network was built for {want:?}"),
        })
    }
}

/// A trained network loaded from its weights, for `mer predict`.
#[derive(Debug)]
pub struct NeuralPredictor {
    net: Net,
    cfg: NeuralConfig,
    task: Head,
    dims: InputDims,
    device: Device,
    runtime: NeuralRuntime,
}

/// Rebuilds the network of `cfg` for `task` and input shapes `dims` and
/// loads `weights` (from [`NeuralOutcome::weights`]).
///
/// # Errors
/// Invalid config, or weights that do not match the network.
pub fn load_predictor(
    cfg: &NeuralConfig,
    task: Head,
    dims: InputDims,
    weights: &[u8],
    runtime: NeuralRuntime,
) -> Result<NeuralPredictor, NeuralError> {
    validate_arch(cfg)?;
    check_head(task)?;
    let device = device_for(runtime.device)?;
    let net = build_seeded(cfg, dims, task.n_outputs(), &device, 0)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights.to_vec()))
        .and_then(|r| net.try_load_record(r))
        .map_err(|source| NeuralError::Weights {
            arch: cfg.arch(),
            source,
        })?;
    Ok(NeuralPredictor {
        net: record,
        cfg: cfg.clone(),
        task,
        dims,
        device,
        runtime,
    })
}

impl NeuralPredictor {
    /// Class probabilities or regression values for every track of `data`.
    ///
    /// # Errors
    /// Data that is malformed or shaped differently from the training data.
    pub fn predict(&self, data: &NeuralData) -> Result<Predictions, NeuralError> {
        check_inputs(&self.cfg, data)?;
        let n = data.validate(self.task, false)?;
        same_dims(&self.cfg, self.dims, data.dims())?;
        in_pool(self.runtime.threads, || {
            crate::neural::train_loop::predict(
                &self.net,
                data,
                n,
                self.dims,
                self.task,
                &self.device,
                64,
            )
        })
    }
}
