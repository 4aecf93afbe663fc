//! How a track's features become a network's input: per-channel
//! normalisation fitted on the training tracks, lyrics rows, and the
//! [`Preprocess`] that is saved with the weights so that `mer predict`
//! prepares new tracks the same way.

use serde::{Deserialize, Serialize};

use mer_model::InputKind;
use mer_model::neural::{AudioInput, NeuralData, Targets, TextInput};
use mer_text::FeatureMatrix;

/// Per-channel mean and standard deviation of training items, applied to
/// every split: per feature for vectors, per MFCC(+delta) coefficient for
/// sequences `[frames, dims]`, per mel band for patches `[n_mels, frames]`.
/// Waveforms are left as decoded (already in [-1, 1]). Saved with the
/// network so that `mer predict` scales new tracks the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normaliser {
    mean: Vec<f64>,
    std: Vec<f64>,
    layout: Layout,
    shape: Vec<usize>,
}

/// How an item's values map to channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Layout {
    /// One channel per value.
    Vector,
    /// `[frames, dims]`: the channel is the coefficient.
    Sequence,
    /// `[n_mels, frames]`: the channel is the band.
    Mel,
}

impl Layout {
    fn channel(self, i: usize, shape: &[usize]) -> usize {
        match self {
            Layout::Vector => i,
            Layout::Sequence => i % shape[1],
            Layout::Mel => i / shape[1],
        }
    }
}

/// One row per document of a lyrics feature matrix, as the network's
/// `kind` input reads it (token ids as `f32`); `None` when they do not match.
pub(crate) fn text_rows(matrix: &FeatureMatrix, kind: InputKind) -> Option<Vec<Vec<f32>>> {
    match (matrix, kind) {
        (FeatureMatrix::Dense { dim, values, .. }, InputKind::TextVector) => {
            Some(values.chunks(*dim.max(&1)).map(<[f32]>::to_vec).collect())
        }
        (FeatureMatrix::TokenIds { max_len, ids, .. }, InputKind::TextTokens) => Some(
            ids.chunks(*max_len.max(&1))
                .map(|c| c.iter().map(|&i| i as f32).collect())
                .collect(),
        ),
        _ => None,
    }
}

/// Everything that turns a track's features into a network's input, fitted
/// on the training fold and saved with its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocess {
    pub audio_kind: Option<InputKind>,
    pub text_kind: Option<InputKind>,
    /// The residual MLP on fusion reads audio and lyrics vectors as one.
    pub concat: bool,
    /// Shape of one audio item (after concatenation, for `concat`).
    pub audio_shape: Vec<usize>,
    /// Token ids: `(max_len, vocabulary size)`.
    pub token_shape: (usize, usize),
    pub audio_norm: Option<Normaliser>,
    pub text: Option<mer_text::TextState>,
}

impl Preprocess {
    /// One audio item as the network reads it (normalised).
    pub fn audio_row(&self, data: &[f32]) -> Vec<f32> {
        match &self.audio_norm {
            Some(n) => {
                let mut out = Vec::with_capacity(data.len());
                n.apply(data, &mut out);
                out
            }
            None => data.to_vec(),
        }
    }

    /// The network's input for rows of (normalised) audio and lyrics;
    /// `present` says which rows have lyrics (default: a non-zero vector).
    pub fn data(
        &self,
        audio: &[Vec<f32>],
        text: &[Vec<f32>],
        present: Option<&[bool]>,
        targets: Option<Targets>,
    ) -> NeuralData {
        let audio = self.audio_kind.map(|kind| {
            let data: Vec<f32> = audio.concat();
            let shape = &self.audio_shape;
            match kind {
                InputKind::AudioVector => AudioInput::Vector {
                    dims: shape[0],
                    data,
                },
                InputKind::AudioSequence => AudioInput::Sequence {
                    frames: shape[0],
                    dims: shape[1],
                    data,
                },
                InputKind::AudioMel => AudioInput::Mel {
                    n_mels: shape[0],
                    frames: shape[1],
                    data,
                },
                _ => AudioInput::Waveform {
                    samples: shape[0],
                    data,
                },
            }
        });
        let text = match self.text_kind {
            Some(_) if self.concat => None,
            Some(InputKind::TextVector) => {
                let dims = text.first().map_or(0, Vec::len);
                let present = present.map_or_else(
                    || text.iter().map(|r| r.iter().any(|v| *v != 0.0)).collect(),
                    <[bool]>::to_vec,
                );
                Some(TextInput::Vector {
                    dims,
                    data: text.concat(),
                    present,
                })
            }
            Some(_) => Some(TextInput::Tokens {
                max_len: self.token_shape.0,
                vocab_size: self.token_shape.1.max(2),
                ids: text.iter().flatten().map(|&v| v as u32).collect(),
            }),
            None => None,
        };
        NeuralData {
            audio,
            text,
            targets,
        }
    }
}

impl Normaliser {
    pub(crate) fn fit(kind: InputKind, shape: &[usize], items: &[&[f32]]) -> Option<Normaliser> {
        let (channels, layout) = match kind {
            InputKind::AudioVector => (shape[0], Layout::Vector),
            InputKind::AudioSequence => (shape[1], Layout::Sequence),
            InputKind::AudioMel => (shape[0], Layout::Mel),
            _ => return None,
        };
        let mut sum = vec![0.0f64; channels];
        let mut sq = vec![0.0f64; channels];
        let mut n = vec![0usize; channels];
        for item in items {
            for (i, &v) in item.iter().enumerate() {
                let c = layout.channel(i, shape);
                sum[c] += f64::from(v);
                sq[c] += f64::from(v) * f64::from(v);
                n[c] += 1;
            }
        }
        let mean: Vec<f64> = sum
            .iter()
            .zip(&n)
            .map(|(s, &k)| s / k.max(1) as f64)
            .collect();
        let std = sq
            .iter()
            .zip(&n)
            .zip(&mean)
            .map(|((q, &k), m)| {
                let var = (q / k.max(1) as f64 - m * m).max(0.0);
                // As scikit-learn's StandardScaler: constant channels keep scale 1.
                if var.sqrt() > 1e-8 { var.sqrt() } else { 1.0 }
            })
            .collect();
        Some(Normaliser {
            mean,
            std,
            layout,
            shape: shape.to_vec(),
        })
    }

    fn apply(&self, item: &[f32], out: &mut Vec<f32>) {
        for (i, &v) in item.iter().enumerate() {
            let c = self.layout.channel(i, &self.shape);
            out.push(((f64::from(v) - self.mean[c]) / self.std[c]) as f32);
        }
    }
}
