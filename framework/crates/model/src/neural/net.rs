//! The networks: one burn module per architecture family, built from a
//! [`NeuralConfig`], the input shapes and the number of outputs, behind the
//! [`Net`] enum the training loop drives.

use burn::module::{Module, ModuleMapper, Param, ParamId, RunningState};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{BatchNorm, BatchNormConfig, Embedding, Linear};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor};

use super::config::{
    GatedFusionConfig, NeuralConfig, SignalInput, TextEncoderConfig, VectorSource,
};
use super::data::{AudioShape, HostBatch, InputDims, TextShape};
use super::layers::{
    ConvBlock1d, ConvBlock2d, Ctx, GruLayer, LstmLayer, embedding, linear, pooled_len,
};
use super::specaug::mask_patch;
use super::{NeuralError, config::SpecAugmentConfig};

/// What a forward pass returns.
pub(crate) struct NetOut {
    /// Raw outputs `[batch, n_out]` (logits or regression values).
    pub output: Tensor<2>,
    /// Fusion weight of the text branch `[batch, 1]` (gated fusion only).
    pub alpha: Option<Tensor<2>>,
}

fn shape_err(arch: &'static str, detail: String) -> NeuralError {
    NeuralError::Shape { arch, detail }
}

// ---------------------------------------------------------------- residual MLP

#[derive(Module, Debug)]
pub(crate) struct ResBlock {
    l1: Linear,
    l2: Linear,
}

/// `Linear -> ReLU -> blocks x [h -> ReLU(h + Linear(Dropout(ReLU(Linear(h)))))]`.
#[derive(Module, Debug)]
pub(crate) struct ResMlp {
    stem: Linear,
    blocks: Vec<ResBlock>,
    dropout: f64,
}

impl ResMlp {
    fn new(d_in: usize, hidden: usize, blocks: usize, dropout: f64, device: &Device) -> Self {
        Self {
            stem: linear(d_in, hidden, true, device),
            blocks: (0..blocks)
                .map(|_| ResBlock {
                    l1: linear(hidden, hidden, true, device),
                    l2: linear(hidden, hidden, true, device),
                })
                .collect(),
            dropout,
        }
    }

    /// `[batch, d_in] -> [batch, hidden]`.
    fn forward(&self, x: Tensor<2>, ctx: &mut Ctx<'_>) -> Tensor<2> {
        let mut h = relu(self.stem.forward(x));
        for b in &self.blocks {
            let inner = ctx.dropout(relu(b.l1.forward(h.clone())), self.dropout);
            h = relu(h + b.l2.forward(inner));
        }
        h
    }
}

#[derive(Module, Debug)]
pub(crate) struct ResMlpNet {
    body: ResMlp,
    head: Linear,
    dropout: f64,
    text_input: bool,
}

// ---------------------------------------------------------------- text encoders

#[derive(Module, Debug)]
pub(crate) struct CnnText {
    embed: Embedding,
    convs: Vec<Conv1d>,
}

#[derive(Module, Debug)]
pub(crate) struct BilstmText {
    embed: Embedding,
    fwd: LstmLayer,
    bwd: LstmLayer,
}

/// Encodes a lyrics input into `[batch, width]`.
// Built once per fit; the variant size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub(crate) enum TextEncoder {
    Projection(Linear),
    Bilstm(BilstmText),
    Cnn(CnnText),
}

impl TextEncoder {
    fn new(
        cfg: &TextEncoderConfig,
        shape: TextShape,
        arch: &'static str,
        device: &Device,
    ) -> Result<(Self, usize), NeuralError> {
        match (cfg, shape) {
            (TextEncoderConfig::Projection(p), TextShape::Vector { dims }) => {
                Ok((Self::Projection(linear(dims, p.dim, true, device)), p.dim))
            }
            (TextEncoderConfig::Bilstm(b), TextShape::Tokens { vocab_size, .. }) => Ok((
                Self::Bilstm(BilstmText {
                    embed: embedding(vocab_size, b.embedding_dim, device),
                    fwd: LstmLayer::new(b.embedding_dim, b.hidden, device),
                    bwd: LstmLayer::new(b.embedding_dim, b.hidden, device),
                }),
                2 * b.hidden,
            )),
            (
                TextEncoderConfig::Cnn(c),
                TextShape::Tokens {
                    vocab_size,
                    max_len,
                },
            ) => {
                let widest = c.kernel_sizes.iter().copied().max().unwrap_or(1);
                if max_len < widest {
                    return Err(shape_err(
                        arch,
                        format!(
                            "token sequences of {max_len} are shorter than the widest text kernel ({widest})"
                        ),
                    ));
                }
                Ok((
                    Self::Cnn(CnnText {
                        embed: embedding(vocab_size, c.embedding_dim, device),
                        convs: c
                            .kernel_sizes
                            .iter()
                            .map(|&k| Conv1dConfig::new(c.embedding_dim, c.filters, k).init(device))
                            .collect(),
                    }),
                    c.filters * c.kernel_sizes.len(),
                ))
            }
            (cfg, shape) => Err(shape_err(
                arch,
                format!(
                    "text encoder `{}` cannot read {shape:?}",
                    match cfg {
                        TextEncoderConfig::Projection(_) => "projection",
                        TextEncoderConfig::Bilstm(_) => "bilstm",
                        TextEncoderConfig::Cnn(_) => "cnn",
                    }
                ),
            )),
        }
    }

    /// `[batch, width]` for the batch's lyrics.
    fn forward(&self, batch: &HostBatch, shape: TextShape, ctx: &mut Ctx<'_>) -> Tensor<2> {
        let b = batch.rows;
        match (self, shape) {
            (Self::Projection(l), TextShape::Vector { dims }) => {
                let x = ctx.tensor(batch.text_vec.clone().expect("validated"), [b, dims]);
                relu(l.forward(x))
            }
            (Self::Bilstm(m), TextShape::Tokens { max_len, .. }) => {
                let tokens = batch.tokens.as_ref().expect("validated");
                let ids = ctx.ids(tokens, [b, max_len]);
                let x = m.embed.forward(ids); // [b, len, e]
                // Keep mask [b, len]: padding (id 0) freezes the state.
                let keep: Vec<f32> = tokens
                    .iter()
                    .map(|&id| if id == 0 { 0.0 } else { 1.0 })
                    .collect();
                let mask = ctx.tensor(keep, [b, max_len]);
                let (hf, _) = m.fwd.forward(x.clone(), Some(&mask), false, false, ctx);
                let (hb, _) = m.bwd.forward(x, Some(&mask), true, false, ctx);
                Tensor::cat(vec![hf, hb], 1)
            }
            (Self::Cnn(m), TextShape::Tokens { max_len, .. }) => {
                let tokens = batch.tokens.as_ref().expect("validated");
                let ids = ctx.ids(tokens, [b, max_len]);
                let x = m.embed.forward(ids).swap_dims(1, 2); // [b, e, len]
                let pooled: Vec<Tensor<2>> = m
                    .convs
                    .iter()
                    .map(|c| {
                        let y = relu(c.forward(x.clone())); // [b, f, len - k + 1]
                        y.max_dim(2).squeeze_dim::<2>(2)
                    })
                    .collect();
                Tensor::cat(pooled, 1)
            }
            _ => unreachable!("encoder and shape were matched at build time"),
        }
    }
}

#[derive(Module, Debug)]
pub(crate) struct TextNet {
    encoder: TextEncoder,
    head: Linear,
    dropout: f64,
}

// ---------------------------------------------------------------- gated fusion

#[derive(Module, Debug)]
pub(crate) struct GatedFusion {
    audio: ResMlp,
    text: TextEncoder,
    text_proj: Option<Linear>,
    gate: Linear,
    head: Linear,
    dropout: f64,
}

impl GatedFusion {
    fn new(
        cfg: &GatedFusionConfig,
        dims: InputDims,
        n_out: usize,
        device: &Device,
    ) -> Result<Self, NeuralError> {
        let arch = "gated_fusion";
        let Some(AudioShape::Vector { dims: d_audio }) = dims.audio else {
            return Err(shape_err(arch, "needs an audio vector input".into()));
        };
        let Some(tshape) = dims.text else {
            return Err(shape_err(arch, "needs a text input".into()));
        };
        let (text, width) = TextEncoder::new(&cfg.text, tshape, arch, device)?;
        Ok(Self {
            audio: ResMlp::new(d_audio, cfg.hidden, cfg.audio_blocks, cfg.dropout, device),
            text,
            text_proj: (width != cfg.hidden).then(|| linear(width, cfg.hidden, true, device)),
            gate: linear(2 * cfg.hidden, 1, true, device),
            head: linear(cfg.hidden, n_out, true, device),
            dropout: cfg.dropout,
        })
    }
}

// ---------------------------------------------------------------- (Bi)LSTM-CNN

#[derive(Module, Debug)]
pub(crate) struct SeqCnn {
    blocks: Vec<ConvBlock1d>,
    fwd: LstmLayer,
    bwd: Option<LstmLayer>,
    dense: Linear,
    head: Linear,
    dropout: f64,
}

// ---------------------------------------------------------------- 2D CNN

#[derive(Module, Debug)]
pub(crate) struct Cnn2d {
    blocks: Vec<ConvBlock2d>,
    dense: Linear,
    head: Linear,
    dropout: f64,
}

// ---------------------------------------------------------------- concat-LSTM

#[derive(Module, Debug)]
pub(crate) struct ConcatLstm {
    blocks: Vec<ConvBlock1d>,
    text: TextEncoder,
    lstm: LstmLayer,
    dense: Linear,
    head: Linear,
    dropout: f64,
}

// ---------------------------------------------------------------- Conv+GRU+Transformer

#[derive(Module, Debug)]
pub(crate) struct WaveFront {
    conv: Conv1d,
    bn: BatchNorm,
}

#[derive(Module, Debug)]
pub(crate) struct ConvGruTransformer {
    front: Option<WaveFront>,
    blocks: Vec<ConvBlock1d>,
    gru: GruLayer,
    encoder: TransformerEncoder,
    dense: Linear,
    head: Linear,
    dropout: f64,
}

/// Sinusoidal positions (Vaswani et al. 2017, section 3.5): `[steps, width]`.
fn positions(steps: usize, width: usize) -> Vec<f32> {
    let mut pe = vec![0.0f32; steps * width];
    for p in 0..steps {
        for i in 0..width {
            let k = (i / 2) as f64 * 2.0;
            let angle = p as f64 / 10000f64.powf(k / width as f64);
            pe[p * width + i] = if i % 2 == 0 { angle.sin() } else { angle.cos() } as f32;
        }
    }
    pe
}

// ---------------------------------------------------------------- the enum

/// Every architecture family.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub(crate) enum Net {
    ResidualMlp(ResMlpNet),
    GatedFusion(GatedFusion),
    Text(TextNet),
    SeqCnn(SeqCnn),
    Cnn2d(Cnn2d),
    ConcatLstm(ConcatLstm),
    ConvGruTransformer(ConvGruTransformer),
}

/// Gives every parameter the id of its position in visit order. burn draws
/// ids at random and writes them into saved weights; numbered ids make the
/// saved bytes (and their hash) a function of the trial alone.
struct Renumber {
    next: u64,
}

impl ModuleMapper for Renumber {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.next += 1;
        let (_, value, mapper) = param.consume();
        Param::from_mapped_value(ParamId::from(self.next), value, mapper)
    }
}

impl Net {
    /// Numbers parameter ids deterministically (see [`Renumber`]); batch-norm
    /// running statistics, which keep their id through a mapper, are
    /// rebuilt with numbered ids after the others.
    pub fn renumber(self) -> Self {
        let mut r = Renumber { next: 0 };
        let mut net = self.map(&mut r);
        let mut next = r.next;
        for bn in net.batch_norms() {
            for state in [&mut bn.running_mean, &mut bn.running_var] {
                next += 1;
                *state = RunningState::with_id(ParamId::from(next), state.value());
            }
        }
        net
    }

    fn batch_norms(&mut self) -> Vec<&mut BatchNorm> {
        let mut out: Vec<&mut BatchNorm> = Vec::new();
        match self {
            Self::SeqCnn(m) => out.extend(m.blocks.iter_mut().map(|b| &mut b.bn)),
            Self::Cnn2d(m) => out.extend(m.blocks.iter_mut().map(|b| &mut b.bn)),
            Self::ConcatLstm(m) => out.extend(m.blocks.iter_mut().map(|b| &mut b.bn)),
            Self::ConvGruTransformer(m) => {
                if let Some(f) = &mut m.front {
                    out.push(&mut f.bn);
                }
                out.extend(m.blocks.iter_mut().map(|b| &mut b.bn));
            }
            Self::ResidualMlp(_) | Self::GatedFusion(_) | Self::Text(_) => {}
        }
        out
    }

    /// Builds the network for `cfg` reading inputs of shape `dims` with
    /// `n_out` outputs. Parameter values come from burn's initialisers (the
    /// caller seeds them).
    pub fn build(
        cfg: &NeuralConfig,
        dims: InputDims,
        n_out: usize,
        device: &Device,
    ) -> Result<Self, NeuralError> {
        let arch = cfg.arch();
        Ok(match cfg {
            NeuralConfig::ResidualMlp(c) => {
                let d_in = match (c.input, dims.audio, dims.text) {
                    (VectorSource::Audio, Some(AudioShape::Vector { dims }), _) => dims,
                    (VectorSource::Text, _, Some(TextShape::Vector { dims })) => dims,
                    _ => {
                        return Err(shape_err(
                            arch,
                            format!("needs a {:?} vector input", c.input).to_lowercase(),
                        ));
                    }
                };
                Self::ResidualMlp(ResMlpNet {
                    body: ResMlp::new(d_in, c.hidden, c.blocks, c.dropout, device),
                    head: linear(c.hidden, n_out, true, device),
                    dropout: c.dropout,
                    text_input: c.input == VectorSource::Text,
                })
            }
            NeuralConfig::GatedFusion(c) => {
                Self::GatedFusion(GatedFusion::new(c, dims, n_out, device)?)
            }
            NeuralConfig::TextProjection(c) => {
                let enc = TextEncoderConfig::Projection(c.encoder.clone());
                text_net(&enc, c.dropout, dims, n_out, arch, device)?
            }
            NeuralConfig::TextBilstm(c) => {
                let enc = TextEncoderConfig::Bilstm(c.encoder.clone());
                text_net(&enc, c.dropout, dims, n_out, arch, device)?
            }
            NeuralConfig::TextCnn(c) => {
                let enc = TextEncoderConfig::Cnn(c.encoder.clone());
                text_net(&enc, c.dropout, dims, n_out, arch, device)?
            }
            NeuralConfig::LstmCnn(c) | NeuralConfig::BilstmCnn(c) => {
                let Some(AudioShape::Sequence { frames, dims: d }) = dims.audio else {
                    return Err(shape_err(
                        arch,
                        "needs an audio frame-sequence input".into(),
                    ));
                };
                let steps = pooled_len(frames, c.conv_channels.len(), c.pool);
                if steps == 0 {
                    return Err(shape_err(
                        arch,
                        format!(
                            "{frames} frames leave no step after {} max-pools of {}",
                            c.conv_channels.len(),
                            c.pool
                        ),
                    ));
                }
                let blocks = conv1d_blocks(d, &c.conv_channels, c.kernel_size, c.pool, device);
                let c_last = *c.conv_channels.last().expect("validated non-empty");
                let bi = matches!(cfg, NeuralConfig::BilstmCnn(_));
                let width = if bi { 2 * c.lstm_hidden } else { c.lstm_hidden };
                Self::SeqCnn(SeqCnn {
                    blocks,
                    fwd: LstmLayer::new(c_last, c.lstm_hidden, device),
                    bwd: bi.then(|| LstmLayer::new(c_last, c.lstm_hidden, device)),
                    dense: linear(width, c.dense, true, device),
                    head: linear(c.dense, n_out, true, device),
                    dropout: c.dropout,
                })
            }
            NeuralConfig::Cnn2d(_) | NeuralConfig::Cnn2dSpecaug(_) => {
                let (channels, dense, dropout) = match cfg {
                    NeuralConfig::Cnn2d(c) => (&c.channels, c.dense, c.dropout),
                    NeuralConfig::Cnn2dSpecaug(c) => (&c.channels, c.dense, c.dropout),
                    _ => unreachable!(),
                };
                let Some(AudioShape::Mel { n_mels, frames }) = dims.audio else {
                    return Err(shape_err(arch, "needs an audio log-mel input".into()));
                };
                let (h, w) = (
                    pooled_len(n_mels, channels.len(), 2),
                    pooled_len(frames, channels.len(), 2),
                );
                if h == 0 || w == 0 {
                    return Err(shape_err(
                        arch,
                        format!(
                            "a {n_mels}x{frames} patch vanishes after {} 2x2 max-pools",
                            channels.len()
                        ),
                    ));
                }
                let mut c_in = 1;
                let blocks = channels
                    .iter()
                    .map(|&c| {
                        let b = ConvBlock2d::new(c_in, c, device);
                        c_in = c;
                        b
                    })
                    .collect();
                Self::Cnn2d(Cnn2d {
                    blocks,
                    dense: linear(c_in * h * w, dense, true, device),
                    head: linear(dense, n_out, true, device),
                    dropout,
                })
            }
            NeuralConfig::ConcatLstm(c) => {
                let Some(AudioShape::Mel { n_mels, frames }) = dims.audio else {
                    return Err(shape_err(arch, "needs an audio log-mel input".into()));
                };
                let Some(tshape) = dims.text else {
                    return Err(shape_err(arch, "needs a text input".into()));
                };
                if pooled_len(frames, c.conv_channels.len(), c.pool) == 0 {
                    return Err(shape_err(
                        arch,
                        format!("{frames} frames leave no step after pooling"),
                    ));
                }
                let (text, width) = TextEncoder::new(&c.text, tshape, arch, device)?;
                let c_last = *c.conv_channels.last().expect("validated non-empty");
                Self::ConcatLstm(ConcatLstm {
                    blocks: conv1d_blocks(n_mels, &c.conv_channels, c.kernel_size, c.pool, device),
                    text,
                    lstm: LstmLayer::new(c_last + width, c.lstm_hidden, device),
                    dense: linear(c.lstm_hidden, c.dense, true, device),
                    head: linear(c.dense, n_out, true, device),
                    dropout: c.dropout,
                })
            }
            NeuralConfig::ConvGruTransformer(c) => {
                let (c_in, steps, front) = match (c.input, dims.audio) {
                    (SignalInput::Mel, Some(AudioShape::Mel { n_mels, frames })) => {
                        (n_mels, frames, None)
                    }
                    (SignalInput::Waveform, Some(AudioShape::Waveform { samples })) => {
                        let c0 = c.conv_channels[0];
                        let front = WaveFront {
                            conv: Conv1dConfig::new(1, c0, c.frame)
                                .with_stride(c.frame)
                                .with_bias(false)
                                .init(device),
                            bn: BatchNormConfig::new(c0).init(device),
                        };
                        (c0, samples / c.frame, Some(front))
                    }
                    (input, _) => {
                        return Err(shape_err(
                            arch,
                            format!("needs an audio {input:?} input").to_lowercase(),
                        ));
                    }
                };
                if pooled_len(steps, c.conv_channels.len(), c.pool) == 0 {
                    return Err(shape_err(
                        arch,
                        format!("{steps} frames leave no step after pooling"),
                    ));
                }
                let c_last = *c.conv_channels.last().expect("validated non-empty");
                Self::ConvGruTransformer(ConvGruTransformer {
                    front,
                    blocks: conv1d_blocks(c_in, &c.conv_channels, c.kernel_size, c.pool, device),
                    gru: GruLayer::new(c_last, c.gru_hidden, device),
                    // Dropout inside the encoder stays 0: burn's dropout draws
                    // from its process-global RNG (see `layers`).
                    encoder: TransformerEncoderConfig::new(c.gru_hidden, c.ff, c.heads, c.layers)
                        .with_dropout(0.0)
                        .init(device),
                    dense: linear(c.gru_hidden, c.dense, true, device),
                    head: linear(c.dense, n_out, true, device),
                    dropout: c.dropout,
                })
            }
        })
    }

    /// Forward pass over a host batch. `specaug`: masking for training
    /// patches (applied only when `ctx` is training).
    pub fn forward(
        &self,
        batch: &HostBatch,
        dims: InputDims,
        specaug: Option<&SpecAugmentConfig>,
        ctx: &mut Ctx<'_>,
    ) -> NetOut {
        let b = batch.rows;
        let audio = || batch.audio.clone().expect("validated");
        let plain = |output| NetOut {
            output,
            alpha: None,
        };
        match self {
            Self::ResidualMlp(m) => {
                let x = if m.text_input {
                    let Some(TextShape::Vector { dims: d }) = dims.text else {
                        unreachable!("checked at build")
                    };
                    ctx.tensor(batch.text_vec.clone().expect("validated"), [b, d])
                } else {
                    let Some(AudioShape::Vector { dims: d }) = dims.audio else {
                        unreachable!("checked at build")
                    };
                    ctx.tensor(audio(), [b, d])
                };
                let h = m.body.forward(x, ctx);
                let h = ctx.dropout(h, m.dropout);
                plain(m.head.forward(h))
            }
            Self::Text(m) => {
                let h = m
                    .encoder
                    .forward(batch, dims.text.expect("checked at build"), ctx);
                let h = ctx.dropout(h, m.dropout);
                plain(m.head.forward(h))
            }
            Self::GatedFusion(m) => {
                let Some(AudioShape::Vector { dims: d }) = dims.audio else {
                    unreachable!("checked at build")
                };
                let a = m.audio.forward(ctx.tensor(audio(), [b, d]), ctx);
                let mut t = m
                    .text
                    .forward(batch, dims.text.expect("checked at build"), ctx);
                if let Some(p) = &m.text_proj {
                    t = relu(p.forward(t));
                }
                let present = ctx.tensor(batch.text_present.clone().expect("validated"), [b, 1]);
                // alpha = sigmoid(w . [T; A] + b), 0 where there are no lyrics.
                let alpha =
                    sigmoid(m.gate.forward(Tensor::cat(vec![t.clone(), a.clone()], 1))) * present;
                let one_minus = alpha.clone().neg().add_scalar(1.0);
                let fused = alpha.clone() * t + one_minus * a;
                let fused = ctx.dropout(fused, m.dropout);
                NetOut {
                    output: m.head.forward(fused),
                    alpha: Some(alpha),
                }
            }
            Self::SeqCnn(m) => {
                let Some(AudioShape::Sequence { frames, dims: d }) = dims.audio else {
                    unreachable!("checked at build")
                };
                let mut x = ctx.tensor::<3>(audio(), [b, frames, d]).swap_dims(1, 2); // [b, d, t]
                for blk in &m.blocks {
                    x = blk.forward(x);
                }
                let x = x.swap_dims(1, 2); // [b, t', c]
                let (hf, _) = m.fwd.forward(x.clone(), None, false, false, ctx);
                let h = match &m.bwd {
                    Some(bwd) => {
                        let (hb, _) = bwd.forward(x, None, true, false, ctx);
                        Tensor::cat(vec![hf, hb], 1)
                    }
                    None => hf,
                };
                let h = ctx.dropout(relu(m.dense.forward(h)), m.dropout);
                plain(m.head.forward(h))
            }
            Self::Cnn2d(m) => {
                let Some(AudioShape::Mel { n_mels, frames }) = dims.audio else {
                    unreachable!("checked at build")
                };
                let mut data = audio();
                if let (Some(cfg), Some(rng)) = (specaug, ctx.rng.as_deref_mut()) {
                    for patch in data.chunks_mut(n_mels * frames) {
                        mask_patch(patch, n_mels, frames, cfg, rng);
                    }
                }
                let mut x = ctx.tensor::<4>(data, [b, 1, n_mels, frames]);
                for blk in &m.blocks {
                    x = blk.forward(x);
                }
                let x: Tensor<2> = x.flatten(1, 3);
                let h = ctx.dropout(relu(m.dense.forward(x)), m.dropout);
                plain(m.head.forward(h))
            }
            Self::ConcatLstm(m) => {
                let Some(AudioShape::Mel { n_mels, frames }) = dims.audio else {
                    unreachable!("checked at build")
                };
                let mut x = ctx.tensor::<3>(audio(), [b, n_mels, frames]);
                for blk in &m.blocks {
                    x = blk.forward(x);
                }
                let x = x.swap_dims(1, 2); // [b, t', c]
                let [_, steps, _] = x.dims();
                let present = ctx.tensor(batch.text_present.clone().expect("validated"), [b, 1]);
                let t = m
                    .text
                    .forward(batch, dims.text.expect("checked at build"), ctx)
                    * present;
                let [_, width] = t.dims();
                let t = t.unsqueeze_dim::<3>(1).expand([b, steps, width]);
                let (h, _) = m
                    .lstm
                    .forward(Tensor::cat(vec![x, t], 2), None, false, false, ctx);
                let h = ctx.dropout(relu(m.dense.forward(h)), m.dropout);
                plain(m.head.forward(h))
            }
            Self::ConvGruTransformer(m) => {
                let mut x = match dims.audio {
                    Some(AudioShape::Mel { n_mels, frames }) => {
                        ctx.tensor::<3>(audio(), [b, n_mels, frames])
                    }
                    Some(AudioShape::Waveform { samples }) => {
                        let front = m.front.as_ref().expect("waveform front built");
                        let x = ctx.tensor::<3>(audio(), [b, 1, samples]);
                        relu(super::layers::batch_norm(&front.bn, front.conv.forward(x)))
                    }
                    _ => unreachable!("checked at build"),
                };
                for blk in &m.blocks {
                    x = blk.forward(x);
                }
                let x = x.swap_dims(1, 2); // [b, t', c]
                let h = m.gru.forward(x, ctx); // [b, t', hidden]
                let [_, steps, width] = h.dims();
                let pe = ctx.tensor::<2>(positions(steps, width), [steps, width]);
                let h = h + pe.unsqueeze_dim::<3>(0);
                let h = m.encoder.forward(TransformerEncoderInput::new(h));
                let h: Tensor<2> = h.mean_dim(1).squeeze_dim(1);
                let h = ctx.dropout(relu(m.dense.forward(h)), m.dropout);
                plain(m.head.forward(h))
            }
        }
    }
}

fn conv1d_blocks(
    c_in: usize,
    channels: &[usize],
    kernel: usize,
    pool: usize,
    device: &Device,
) -> Vec<ConvBlock1d> {
    let mut c_prev = c_in;
    channels
        .iter()
        .map(|&c| {
            let b = ConvBlock1d::new(c_prev, c, kernel, pool, device);
            c_prev = c;
            b
        })
        .collect()
}

fn text_net(
    enc: &TextEncoderConfig,
    dropout: f64,
    dims: InputDims,
    n_out: usize,
    arch: &'static str,
    device: &Device,
) -> Result<Net, NeuralError> {
    let Some(tshape) = dims.text else {
        return Err(shape_err(arch, "needs a text input".into()));
    };
    let (encoder, width) = TextEncoder::new(enc, tshape, arch, device)?;
    Ok(Net::Text(TextNet {
        encoder,
        head: linear(width, n_out, true, device),
        dropout,
    }))
}
