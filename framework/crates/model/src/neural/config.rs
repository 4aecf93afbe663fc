//! Architecture configs: one struct per architecture, sizes given by the spec
//! at run time. Every struct documents its defaults; [`NeuralConfig`] is the
//! tagged union the spec holds (`arch = "gated_fusion"` plus that
//! architecture's keys).

use mer_core::{ConfigError, limits};
use serde::{Deserialize, Serialize};

use super::data::InputKind;

/// Which vector a vector model reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VectorSource {
    /// Track-level audio features ([`InputKind::AudioVector`]).
    #[default]
    Audio,
    /// Dense lyrics vectors ([`InputKind::TextVector`]).
    Text,
}

/// Residual MLP on track-level vectors (seed study S0: 37 -> 128 with
/// residual blocks, dropout 0.4).
///
/// `x -> Linear(d, hidden) -> ReLU -> blocks x [h -> ReLU(h + Linear(Dropout(ReLU(Linear(h)))))]
/// -> Dropout -> head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResidualMlpConfig {
    /// Input vector. Defaults to `"audio"`.
    pub input: VectorSource,
    /// Width of the hidden layers. Defaults to `128`.
    pub hidden: usize,
    /// Residual blocks. Defaults to `2`.
    pub blocks: usize,
    /// Dropout probability. Defaults to `0.4`.
    pub dropout: f64,
}

impl Default for ResidualMlpConfig {
    fn default() -> Self {
        Self {
            input: VectorSource::Audio,
            hidden: 128,
            blocks: 2,
            dropout: 0.4,
        }
    }
}

/// Projection of a precomputed lyrics embedding (S0: BERT 768 -> 128):
/// `Linear(d, dim) -> ReLU`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectionEncoderConfig {
    /// Output width. Defaults to `128`.
    pub dim: usize,
}

impl Default for ProjectionEncoderConfig {
    fn default() -> Self {
        Self { dim: 128 }
    }
}

/// Learned word embedding + bidirectional LSTM over token ids; the output is
/// the final forward and backward hidden states, `[2 * hidden]`. Padding
/// (id 0) does not update the LSTM state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BilstmEncoderConfig {
    /// Embedding width. Defaults to `100`.
    pub embedding_dim: usize,
    /// LSTM units per direction. Defaults to `64`.
    pub hidden: usize,
}

impl Default for BilstmEncoderConfig {
    fn default() -> Self {
        Self {
            embedding_dim: 100,
            hidden: 64,
        }
    }
}

/// Learned word embedding + 1-D convolutions of several widths, ReLU and
/// global max-pooling over time (Kim, "Convolutional Neural Networks for
/// Sentence Classification", EMNLP 2014); output `[filters * kernels]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CnnEncoderConfig {
    /// Embedding width. Defaults to `100`.
    pub embedding_dim: usize,
    /// Filters per kernel width. Defaults to `64`.
    pub filters: usize,
    /// Kernel widths (tokens). Defaults to `[3, 4, 5]`.
    pub kernel_sizes: Vec<usize>,
}

impl Default for CnnEncoderConfig {
    fn default() -> Self {
        Self {
            embedding_dim: 100,
            filters: 64,
            kernel_sizes: vec![3, 4, 5],
        }
    }
}

/// A lyrics encoder inside a fusion model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TextEncoderConfig {
    /// Dense vectors ([`InputKind::TextVector`]).
    Projection(ProjectionEncoderConfig),
    /// Token ids ([`InputKind::TextTokens`]).
    Bilstm(BilstmEncoderConfig),
    /// Token ids ([`InputKind::TextTokens`]).
    Cnn(CnnEncoderConfig),
}

impl Default for TextEncoderConfig {
    fn default() -> Self {
        Self::Projection(ProjectionEncoderConfig::default())
    }
}

impl TextEncoderConfig {
    /// The text input this encoder reads.
    #[must_use]
    pub fn input(&self) -> InputKind {
        match self {
            Self::Projection(_) => InputKind::TextVector,
            Self::Bilstm(_) | Self::Cnn(_) => InputKind::TextTokens,
        }
    }
}

/// A text-only model: an encoder, dropout and the head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextModelConfig<E> {
    /// The encoder.
    pub encoder: E,
    /// Dropout before the head. Defaults to `0.4`.
    pub dropout: f64,
}

impl<E: Default> Default for TextModelConfig<E> {
    fn default() -> Self {
        Self {
            encoder: E::default(),
            dropout: 0.4,
        }
    }
}

/// Gated fusion (S0): audio branch `A` (residual MLP on the audio vector),
/// text branch `T` (encoder, then `Linear(., hidden)` when its width differs),
/// `alpha = sigmoid(w . [T; A] + b)` per track, `F = alpha * T + (1 - alpha) * A`,
/// then dropout and the head. Tracks without lyrics get `alpha = 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatedFusionConfig {
    /// Width of both branches and of `F`. Defaults to `128`.
    pub hidden: usize,
    /// Residual blocks in the audio branch. Defaults to `2`.
    pub audio_blocks: usize,
    /// Lyrics encoder. Defaults to a projection (`kind = "projection"`, `dim = 128`).
    pub text: TextEncoderConfig,
    /// Dropout (audio blocks and before the head). Defaults to `0.4`.
    pub dropout: f64,
}

impl Default for GatedFusionConfig {
    fn default() -> Self {
        Self {
            hidden: 128,
            audio_blocks: 2,
            text: TextEncoderConfig::default(),
            dropout: 0.4,
        }
    }
}

/// (Bi)LSTM-CNN on frame sequences (S2, EMOTIFY):
/// `[frames, dims] -> (Conv1D(k, same) -> BatchNorm -> ReLU -> MaxPool(pool)) per channel entry
/// -> (Bi)LSTM(lstm_hidden), final state -> Dense(dense) -> ReLU -> Dropout -> head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeqCnnConfig {
    /// Filters of each Conv1D block. Defaults to `[256, 128]` (S2).
    pub conv_channels: Vec<usize>,
    /// Conv1D kernel width (frames). Defaults to `3`.
    pub kernel_size: usize,
    /// Max-pool width after each block. Defaults to `2`.
    pub pool: usize,
    /// LSTM units (per direction). Defaults to `128` (S2).
    pub lstm_hidden: usize,
    /// Dense layer width. Defaults to `128` (S2).
    pub dense: usize,
    /// Dropout after the dense layer. Defaults to `0.3`.
    pub dropout: f64,
}

impl Default for SeqCnnConfig {
    fn default() -> Self {
        Self {
            conv_channels: vec![256, 128],
            kernel_size: 3,
            pool: 2,
            lstm_hidden: 128,
            dense: 128,
            dropout: 0.3,
        }
    }
}

/// SpecAugment (Park et al., Interspeech 2019) frequency and time masking,
/// applied to each training patch only (never at validation or prediction).
/// Masked cells are set to `0` (the mean of standardised log-mels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpecAugmentConfig {
    /// Frequency masks per patch. Defaults to `2`.
    pub freq_masks: usize,
    /// Maximum mask height `F` (bands); each height is uniform in `[0, F]`.
    /// Defaults to `8`.
    pub freq_width: usize,
    /// Time masks per patch. Defaults to `2`.
    pub time_masks: usize,
    /// Maximum mask width `T` (frames); each width is uniform in `[0, T]`.
    /// Defaults to `16`.
    pub time_width: usize,
}

impl Default for SpecAugmentConfig {
    fn default() -> Self {
        Self {
            freq_masks: 2,
            freq_width: 8,
            time_masks: 2,
            time_width: 16,
        }
    }
}

/// 2D CNN on log-mel patches (S2):
/// `[1, n_mels, frames] -> (Conv2D(3x3, same) -> BatchNorm -> ReLU -> MaxPool(2x2)) per channel entry
/// -> flatten -> Dense(dense) -> ReLU -> Dropout -> head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cnn2dConfig {
    /// Filters of each Conv2D block. Defaults to `[32, 64, 128]` (S2).
    pub channels: Vec<usize>,
    /// Dense layer width. Defaults to `256` (S2).
    pub dense: usize,
    /// Dropout after the dense layer. Defaults to `0.5`.
    pub dropout: f64,
}

impl Default for Cnn2dConfig {
    fn default() -> Self {
        Self {
            channels: vec![32, 64, 128],
            dense: 256,
            dropout: 0.5,
        }
    }
}

/// [`Cnn2dConfig`] with SpecAugment on the training patches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cnn2dSpecaugConfig {
    /// Filters of each Conv2D block. Defaults to `[32, 64, 128]` (S2).
    pub channels: Vec<usize>,
    /// Dense layer width. Defaults to `256` (S2).
    pub dense: usize,
    /// Dropout after the dense layer. Defaults to `0.5`.
    pub dropout: f64,
    /// Masking. Defaults to [`SpecAugmentConfig::default`].
    pub specaug: SpecAugmentConfig,
}

impl Default for Cnn2dSpecaugConfig {
    fn default() -> Self {
        let c = Cnn2dConfig::default();
        Self {
            channels: c.channels,
            dense: c.dense,
            dropout: c.dropout,
            specaug: SpecAugmentConfig::default(),
        }
    }
}

/// Concat -> LSTM fusion after Delbouys et al. (ISMIR 2018) as described in
/// seed study S1: an audio CNN over mel frames (`Conv1D -> BatchNorm -> ReLU
/// -> MaxPool` per channel entry, mel bands as channels) and a lyrics
/// encoder; the lyrics vector is concatenated to every audio time step, the
/// sequence goes through an LSTM, whose final state feeds
/// `Dense -> ReLU -> Dropout -> head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConcatLstmConfig {
    /// Filters of each audio Conv1D block. Defaults to `[32, 32]`.
    pub conv_channels: Vec<usize>,
    /// Audio kernel width (frames). Defaults to `8`.
    pub kernel_size: usize,
    /// Audio max-pool width. Defaults to `4`.
    pub pool: usize,
    /// Lyrics encoder. Defaults to a 128-wide projection.
    pub text: TextEncoderConfig,
    /// LSTM units. Defaults to `64`.
    pub lstm_hidden: usize,
    /// Dense layer width. Defaults to `64`.
    pub dense: usize,
    /// Dropout after the dense layer. Defaults to `0.3`.
    pub dropout: f64,
}

impl Default for ConcatLstmConfig {
    fn default() -> Self {
        Self {
            conv_channels: vec![32, 32],
            kernel_size: 8,
            pool: 4,
            text: TextEncoderConfig::default(),
            lstm_hidden: 64,
            dense: 64,
            dropout: 0.3,
        }
    }
}

/// Which audio a [`ConvGruTransformerConfig`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SignalInput {
    /// Log-mel patches, mel bands as channels.
    #[default]
    Mel,
    /// Raw waveform; a first strided Conv1D (`frame` samples, stride `frame`)
    /// turns it into a frame sequence.
    Waveform,
}

/// Conv + GRU + Transformer encoder (S3, MTG-Jamendo moods):
/// `input -> Conv1D blocks (BatchNorm, ReLU, MaxPool) -> GRU(gru_hidden), all
/// steps -> + sinusoidal positions -> TransformerEncoder(layers, heads, ff)
/// -> mean over time -> Dense -> ReLU -> Dropout -> head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConvGruTransformerConfig {
    /// Mel patches or waveform. Defaults to `"mel"`.
    pub input: SignalInput,
    /// Waveform only: samples per frame of the first strided convolution.
    /// Defaults to `256`.
    pub frame: usize,
    /// Filters of each Conv1D block. Defaults to `[64, 128]`.
    pub conv_channels: Vec<usize>,
    /// Kernel width of the blocks. Defaults to `3`.
    pub kernel_size: usize,
    /// Max-pool width after each block. Defaults to `2`.
    pub pool: usize,
    /// GRU units (= transformer width). Defaults to `128`.
    pub gru_hidden: usize,
    /// Transformer encoder layers. Defaults to `2`.
    pub layers: usize,
    /// Attention heads (must divide `gru_hidden`). Defaults to `4`.
    pub heads: usize,
    /// Feed-forward width inside the transformer. Defaults to `256`.
    pub ff: usize,
    /// Dense layer width. Defaults to `128`.
    pub dense: usize,
    /// Dropout after the dense layer. Defaults to `0.3`.
    pub dropout: f64,
}

impl Default for ConvGruTransformerConfig {
    fn default() -> Self {
        Self {
            input: SignalInput::Mel,
            frame: 256,
            conv_channels: vec![64, 128],
            kernel_size: 3,
            pool: 2,
            gru_hidden: 128,
            layers: 2,
            heads: 4,
            ff: 256,
            dense: 128,
            dropout: 0.3,
        }
    }
}

/// One neural architecture with its sizes; `arch` names it in the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "snake_case")]
pub enum NeuralConfig {
    /// [`ResidualMlpConfig`].
    ResidualMlp(ResidualMlpConfig),
    /// [`GatedFusionConfig`].
    GatedFusion(GatedFusionConfig),
    /// Projection of a dense lyrics vector, dropout, head.
    TextProjection(TextModelConfig<ProjectionEncoderConfig>),
    /// Embedding + BiLSTM over token ids, dropout, head.
    TextBilstm(TextModelConfig<BilstmEncoderConfig>),
    /// Embedding + CNN over token ids, dropout, head.
    TextCnn(TextModelConfig<CnnEncoderConfig>),
    /// [`SeqCnnConfig`] with a unidirectional LSTM.
    LstmCnn(SeqCnnConfig),
    /// [`SeqCnnConfig`] with a bidirectional LSTM.
    BilstmCnn(SeqCnnConfig),
    /// [`Cnn2dConfig`].
    Cnn2d(Cnn2dConfig),
    /// [`Cnn2dSpecaugConfig`].
    Cnn2dSpecaug(Cnn2dSpecaugConfig),
    /// [`ConcatLstmConfig`].
    ConcatLstm(ConcatLstmConfig),
    /// [`ConvGruTransformerConfig`].
    ConvGruTransformer(ConvGruTransformerConfig),
}

impl NeuralConfig {
    /// The `arch` name as written in the spec.
    #[must_use]
    pub fn arch(&self) -> &'static str {
        match self {
            Self::ResidualMlp(_) => "residual_mlp",
            Self::GatedFusion(_) => "gated_fusion",
            Self::TextProjection(_) => "text_projection",
            Self::TextBilstm(_) => "text_bilstm",
            Self::TextCnn(_) => "text_cnn",
            Self::LstmCnn(_) => "lstm_cnn",
            Self::BilstmCnn(_) => "bilstm_cnn",
            Self::Cnn2d(_) => "cnn2d",
            Self::Cnn2dSpecaug(_) => "cnn2d_specaug",
            Self::ConcatLstm(_) => "concat_lstm",
            Self::ConvGruTransformer(_) => "conv_gru_transformer",
        }
    }

    /// Exactly the inputs this architecture reads, so a spec can reject an
    /// impossible modality/feature combination before anything runs.
    #[must_use]
    pub fn required_inputs(&self) -> Vec<InputKind> {
        match self {
            Self::ResidualMlp(c) => vec![match c.input {
                VectorSource::Audio => InputKind::AudioVector,
                VectorSource::Text => InputKind::TextVector,
            }],
            Self::GatedFusion(c) => vec![InputKind::AudioVector, c.text.input()],
            Self::TextProjection(_) => vec![InputKind::TextVector],
            Self::TextBilstm(_) | Self::TextCnn(_) => vec![InputKind::TextTokens],
            Self::LstmCnn(_) | Self::BilstmCnn(_) => vec![InputKind::AudioSequence],
            Self::Cnn2d(_) | Self::Cnn2dSpecaug(_) => vec![InputKind::AudioMel],
            Self::ConcatLstm(c) => vec![InputKind::AudioMel, c.text.input()],
            Self::ConvGruTransformer(c) => vec![match c.input {
                SignalInput::Mel => InputKind::AudioMel,
                SignalInput::Waveform => InputKind::AudioWaveform,
            }],
        }
    }

    /// Checks sizes and probabilities; keys named from the architecture's
    /// table (`dropout`, `text.hidden`).
    ///
    /// # Errors
    /// The first key that breaks its rule.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = |key: &str, v: usize| limits::size(key, v, 1, limits::MAX_WIDTH);
        let kernel = |key: &str, v: usize| limits::size(key, v, 1, limits::MAX_KERNEL);
        let prob = |key: &str, p: f64| {
            if p.is_finite() && (0.0..1.0).contains(&p) {
                Ok(())
            } else {
                Err(ConfigError::found(
                    key,
                    p,
                    "must be a probability in [0, 1)",
                ))
            }
        };
        let list = |key: &str, v: &[usize], max: usize| {
            if v.is_empty() || v.len() > limits::MAX_LAYERS || v.iter().any(|&x| x == 0 || x > max)
            {
                Err(ConfigError::found(
                    key,
                    format!("{v:?}"),
                    format!(
                        "must list 1..={} sizes, each in 1..={max}",
                        limits::MAX_LAYERS
                    ),
                ))
            } else {
                Ok(())
            }
        };
        let text = |t: &TextEncoderConfig| match t {
            TextEncoderConfig::Projection(p) => positive("text.dim", p.dim),
            TextEncoderConfig::Bilstm(b) => {
                positive("text.embedding_dim", b.embedding_dim)?;
                positive("text.hidden", b.hidden)
            }
            TextEncoderConfig::Cnn(c) => {
                positive("text.embedding_dim", c.embedding_dim)?;
                positive("text.filters", c.filters)?;
                list("text.kernel_sizes", &c.kernel_sizes, limits::MAX_KERNEL)
            }
        };
        match self {
            Self::ResidualMlp(c) => {
                positive("hidden", c.hidden)?;
                limits::size("blocks", c.blocks, 0, limits::MAX_LAYERS)?;
                prob("dropout", c.dropout)
            }
            Self::GatedFusion(c) => {
                positive("hidden", c.hidden)?;
                limits::size("audio_blocks", c.audio_blocks, 0, limits::MAX_LAYERS)?;
                text(&c.text)?;
                prob("dropout", c.dropout)
            }
            Self::TextProjection(c) => {
                positive("encoder.dim", c.encoder.dim)?;
                prob("dropout", c.dropout)
            }
            Self::TextBilstm(c) => {
                text(&TextEncoderConfig::Bilstm(c.encoder.clone()))?;
                prob("dropout", c.dropout)
            }
            Self::TextCnn(c) => {
                text(&TextEncoderConfig::Cnn(c.encoder.clone()))?;
                prob("dropout", c.dropout)
            }
            Self::LstmCnn(c) | Self::BilstmCnn(c) => {
                list("conv_channels", &c.conv_channels, limits::MAX_WIDTH)?;
                kernel("kernel_size", c.kernel_size)?;
                kernel("pool", c.pool)?;
                positive("lstm_hidden", c.lstm_hidden)?;
                positive("dense", c.dense)?;
                prob("dropout", c.dropout)
            }
            Self::Cnn2d(c) => {
                list("channels", &c.channels, limits::MAX_WIDTH)?;
                positive("dense", c.dense)?;
                prob("dropout", c.dropout)
            }
            Self::Cnn2dSpecaug(c) => {
                list("channels", &c.channels, limits::MAX_WIDTH)?;
                positive("dense", c.dense)?;
                let a = &c.specaug;
                limits::size("specaug.freq_masks", a.freq_masks, 0, limits::MAX_LAYERS)?;
                limits::size("specaug.time_masks", a.time_masks, 0, limits::MAX_LAYERS)?;
                limits::size("specaug.freq_width", a.freq_width, 0, limits::MAX_FRAMES)?;
                limits::size("specaug.time_width", a.time_width, 0, limits::MAX_FRAMES)?;
                prob("dropout", c.dropout)
            }
            Self::ConcatLstm(c) => {
                list("conv_channels", &c.conv_channels, limits::MAX_WIDTH)?;
                kernel("kernel_size", c.kernel_size)?;
                kernel("pool", c.pool)?;
                text(&c.text)?;
                positive("lstm_hidden", c.lstm_hidden)?;
                positive("dense", c.dense)?;
                prob("dropout", c.dropout)
            }
            Self::ConvGruTransformer(c) => {
                limits::size("frame", c.frame, 1, limits::MAX_WAVEFORM_SAMPLES)?;
                list("conv_channels", &c.conv_channels, limits::MAX_WIDTH)?;
                kernel("kernel_size", c.kernel_size)?;
                kernel("pool", c.pool)?;
                positive("gru_hidden", c.gru_hidden)?;
                limits::size("layers", c.layers, 1, limits::MAX_LAYERS)?;
                limits::size("heads", c.heads, 1, limits::MAX_HEADS)?;
                positive("ff", c.ff)?;
                positive("dense", c.dense)?;
                if c.gru_hidden % c.heads != 0 {
                    return Err(ConfigError::found(
                        "heads",
                        c.heads,
                        "must divide gru_hidden (the transformer width)",
                    ));
                }
                prob("dropout", c.dropout)
            }
        }
    }
}
