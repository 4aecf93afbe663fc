//! The data a network sees, as plain row-major arrays (no burn types), and
//! the host-side batch gathered from it.
//!
//! Every item of one [`NeuralData`] has the same shape; the executor pads or
//! crops before handing data over. Shapes are written per item; the flat
//! buffers hold `n` items back to back.

use serde::{Deserialize, Serialize};

use super::NeuralError;

/// Audio features of `n` tracks.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioInput {
    /// Track-level vectors (e.g. the 37 `seed37` features): `[n, dims]`.
    Vector {
        /// Values per track.
        dims: usize,
        /// `[n, dims]`.
        data: Vec<f32>,
    },
    /// Frame-level sequences (MFCC(+delta)): `[n, frames, dims]`.
    Sequence {
        /// Frames per track.
        frames: usize,
        /// Values per frame.
        dims: usize,
        /// `[n, frames, dims]`.
        data: Vec<f32>,
    },
    /// Log-mel patches: `[n, n_mels, frames]`.
    Mel {
        /// Mel bands.
        n_mels: usize,
        /// Frames per patch.
        frames: usize,
        /// `[n, n_mels, frames]`.
        data: Vec<f32>,
    },
    /// Raw waveform: `[n, samples]`.
    Waveform {
        /// Samples per track.
        samples: usize,
        /// `[n, samples]`.
        data: Vec<f32>,
    },
}

/// Lyrics features of `n` tracks.
#[derive(Debug, Clone, PartialEq)]
pub enum TextInput {
    /// Dense vectors (TF-IDF, imported embeddings): `[n, dims]`, with a
    /// presence flag per track (`false`: no lyrics; the row should be zeros
    /// and fusion models ignore it).
    Vector {
        /// Values per track.
        dims: usize,
        /// `[n, dims]`.
        data: Vec<f32>,
        /// `[n]`.
        present: Vec<bool>,
    },
    /// Token ids: `[n, max_len]`, `0` = padding, `1` = unknown word, every id
    /// `< vocab_size`. A track whose ids are all `0` has no lyrics.
    Tokens {
        /// Tokens per track (padded).
        max_len: usize,
        /// Size of the vocabulary the ids index (including pad and unknown).
        vocab_size: usize,
        /// `[n, max_len]`.
        ids: Vec<u32>,
    },
}

/// What the network is trained to output.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// Class index per track, `< n_classes`: `[n]`.
    Classes(Vec<usize>),
    /// Regression targets (e.g. valence, arousal): `[n, n_targets]`.
    Values {
        /// Targets per track.
        n_targets: usize,
        /// `[n, n_targets]`.
        data: Vec<f32>,
    },
}

/// One split (train, validation, or tracks to predict) as the network sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NeuralData {
    /// Audio features, if the architecture uses audio.
    pub audio: Option<AudioInput>,
    /// Lyrics features, if the architecture uses lyrics.
    pub text: Option<TextInput>,
    /// Targets; required for training and validation, ignored for prediction.
    pub targets: Option<Targets>,
}

/// The kinds of input an architecture can consume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// [`AudioInput::Vector`].
    AudioVector,
    /// [`AudioInput::Sequence`].
    AudioSequence,
    /// [`AudioInput::Mel`].
    AudioMel,
    /// [`AudioInput::Waveform`].
    AudioWaveform,
    /// [`TextInput::Vector`].
    TextVector,
    /// [`TextInput::Tokens`].
    TextTokens,
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::AudioVector => "audio vector",
            Self::AudioSequence => "audio frame sequence",
            Self::AudioMel => "audio log-mel patch",
            Self::AudioWaveform => "audio waveform",
            Self::TextVector => "text vector",
            Self::TextTokens => "text token ids",
        })
    }
}

/// Per-item shape of the audio input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AudioShape {
    /// `[dims]`.
    Vector {
        /// Values per track.
        dims: usize,
    },
    /// `[frames, dims]`.
    Sequence {
        /// Frames per track.
        frames: usize,
        /// Values per frame.
        dims: usize,
    },
    /// `[n_mels, frames]`.
    Mel {
        /// Mel bands.
        n_mels: usize,
        /// Frames per patch.
        frames: usize,
    },
    /// `[samples]`.
    Waveform {
        /// Samples per track.
        samples: usize,
    },
}

/// Per-item shape of the text input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TextShape {
    /// `[dims]`.
    Vector {
        /// Values per track.
        dims: usize,
    },
    /// `[max_len]` ids below `vocab_size`.
    Tokens {
        /// Tokens per track.
        max_len: usize,
        /// Vocabulary size.
        vocab_size: usize,
    },
}

/// Input shapes a network was built for; stored with the weights so
/// `load_predictor` can rebuild the same network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDims {
    /// Audio shape, if audio is used.
    pub audio: Option<AudioShape>,
    /// Text shape, if text is used.
    pub text: Option<TextShape>,
}

impl AudioInput {
    /// The input kind.
    #[must_use]
    pub fn kind(&self) -> InputKind {
        match self {
            Self::Vector { .. } => InputKind::AudioVector,
            Self::Sequence { .. } => InputKind::AudioSequence,
            Self::Mel { .. } => InputKind::AudioMel,
            Self::Waveform { .. } => InputKind::AudioWaveform,
        }
    }

    /// Per-item shape.
    #[must_use]
    pub fn shape(&self) -> AudioShape {
        match *self {
            Self::Vector { dims, .. } => AudioShape::Vector { dims },
            Self::Sequence { frames, dims, .. } => AudioShape::Sequence { frames, dims },
            Self::Mel { n_mels, frames, .. } => AudioShape::Mel { n_mels, frames },
            Self::Waveform { samples, .. } => AudioShape::Waveform { samples },
        }
    }

    pub(crate) fn data(&self) -> &[f32] {
        match self {
            Self::Vector { data, .. }
            | Self::Sequence { data, .. }
            | Self::Mel { data, .. }
            | Self::Waveform { data, .. } => data,
        }
    }
}

impl AudioShape {
    /// Values per item.
    #[must_use]
    pub fn item_len(&self) -> usize {
        match *self {
            Self::Vector { dims } => dims,
            Self::Sequence { frames, dims } => frames * dims,
            Self::Mel { n_mels, frames } => n_mels * frames,
            Self::Waveform { samples } => samples,
        }
    }
}

impl TextInput {
    /// The input kind.
    #[must_use]
    pub fn kind(&self) -> InputKind {
        match self {
            Self::Vector { .. } => InputKind::TextVector,
            Self::Tokens { .. } => InputKind::TextTokens,
        }
    }

    /// Per-item shape.
    #[must_use]
    pub fn shape(&self) -> TextShape {
        match *self {
            Self::Vector { dims, .. } => TextShape::Vector { dims },
            Self::Tokens {
                max_len,
                vocab_size,
                ..
            } => TextShape::Tokens {
                max_len,
                vocab_size,
            },
        }
    }
}

impl TextShape {
    /// Values per item.
    #[must_use]
    pub fn item_len(&self) -> usize {
        match *self {
            Self::Vector { dims } => dims,
            Self::Tokens { max_len, .. } => max_len,
        }
    }
}

fn items(what: &'static str, len: usize, item_len: usize) -> Result<usize, NeuralError> {
    if item_len == 0 {
        return Err(NeuralError::Data {
            what,
            detail: "items have zero size (a dimension is 0)".into(),
        });
    }
    if !len.is_multiple_of(item_len) {
        return Err(NeuralError::Data {
            what,
            detail: format!(
                "buffer of {len} values is not a whole number of items of {item_len} values"
            ),
        });
    }
    Ok(len / item_len)
}

fn check_finite(what: &'static str, data: &[f32], item_len: usize) -> Result<(), NeuralError> {
    if let Some(pos) = data.iter().position(|v| !v.is_finite()) {
        return Err(NeuralError::Data {
            what,
            detail: format!(
                "row {} (value {} of the row) is {}; inputs must be finite",
                pos / item_len,
                pos % item_len,
                data[pos]
            ),
        });
    }
    Ok(())
}

impl NeuralData {
    /// Checks shapes, finiteness, ids and targets, and returns the number of
    /// items. `n_classes` / `n_targets` come from the task.
    ///
    /// # Errors
    /// [`NeuralError::Data`] naming the input, the row and the rule broken.
    pub fn validate(&self, task: super::Head, need_targets: bool) -> Result<usize, NeuralError> {
        let mut n: Option<(usize, &'static str)> = None;
        let mut agree = |count: usize, what: &'static str| -> Result<(), NeuralError> {
            match n {
                None => {
                    n = Some((count, what));
                    Ok(())
                }
                Some((m, first)) if m != count => Err(NeuralError::Data {
                    what,
                    detail: format!("{count} items, but {first} has {m}"),
                }),
                Some(_) => Ok(()),
            }
        };
        if let Some(audio) = &self.audio {
            let item = audio.shape().item_len();
            let count = items("audio", audio.data().len(), item)?;
            check_finite("audio", audio.data(), item)?;
            agree(count, "audio")?;
        }
        match &self.text {
            None => {}
            Some(TextInput::Vector {
                dims,
                data,
                present,
            }) => {
                let count = items("text", data.len(), *dims)?;
                check_finite("text", data, *dims)?;
                if present.len() != count {
                    return Err(NeuralError::Data {
                        what: "text",
                        detail: format!(
                            "presence mask has {} entries for {count} rows",
                            present.len()
                        ),
                    });
                }
                agree(count, "text")?;
            }
            Some(TextInput::Tokens {
                max_len,
                vocab_size,
                ids,
            }) => {
                let count = items("text", ids.len(), *max_len)?;
                if *vocab_size < 2 {
                    return Err(NeuralError::Data {
                        what: "text",
                        detail: format!(
                            "vocab_size is {vocab_size}; it must count pad (0) and unknown (1)"
                        ),
                    });
                }
                if let Some(pos) = ids.iter().position(|&id| id as usize >= *vocab_size) {
                    return Err(NeuralError::Data {
                        what: "text",
                        detail: format!(
                            "row {} token {} has id {}, not below vocab_size {vocab_size}",
                            pos / max_len,
                            pos % max_len,
                            ids[pos]
                        ),
                    });
                }
                agree(count, "text")?;
            }
        }
        match (&self.targets, need_targets) {
            (None, true) => {
                return Err(NeuralError::Data {
                    what: "targets",
                    detail: "training and validation data need targets".into(),
                });
            }
            (None, false) => {}
            (Some(_), false) => {}
            (Some(t), true) => match (t, task) {
                (Targets::Classes(c), super::Head::Classification { n_classes }) => {
                    if let Some(pos) = c.iter().position(|&k| k >= n_classes) {
                        return Err(NeuralError::Data {
                            what: "targets",
                            detail: format!(
                                "row {pos} has class {}, not below n_classes {n_classes}",
                                c[pos]
                            ),
                        });
                    }
                    agree(c.len(), "targets")?;
                }
                (Targets::Values { n_targets, data }, super::Head::Regression { n_targets: k }) => {
                    if *n_targets != k {
                        return Err(NeuralError::Data {
                            what: "targets",
                            detail: format!("{n_targets} targets per row, the task has {k}"),
                        });
                    }
                    let count = items("targets", data.len(), *n_targets)?;
                    check_finite("targets", data, *n_targets)?;
                    agree(count, "targets")?;
                }
                (Targets::Classes(_), super::Head::Regression { .. }) => {
                    return Err(NeuralError::Data {
                        what: "targets",
                        detail: "class targets given for a regression task".into(),
                    });
                }
                (Targets::Values { .. }, super::Head::Classification { .. }) => {
                    return Err(NeuralError::Data {
                        what: "targets",
                        detail: "regression targets given for a classification task".into(),
                    });
                }
            },
        }
        n.map(|(count, _)| count).ok_or(NeuralError::Data {
            what: "inputs",
            detail: "neither audio nor text input was given".into(),
        })
    }

    /// Input shapes of this data.
    #[must_use]
    pub fn dims(&self) -> InputDims {
        InputDims {
            audio: self.audio.as_ref().map(AudioInput::shape),
            text: self.text.as_ref().map(TextInput::shape),
        }
    }
}

/// Rows of one mini-batch gathered on the host, ready to become tensors.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostBatch {
    pub rows: usize,
    /// `[rows, audio item]`.
    pub audio: Option<Vec<f32>>,
    /// Dense text `[rows, dims]`.
    pub text_vec: Option<Vec<f32>>,
    /// Text presence weight `[rows]` (1 present, 0 absent; MixUp mixes it).
    pub text_present: Option<Vec<f32>>,
    /// Token ids `[rows, max_len]`.
    pub tokens: Option<Vec<u32>>,
    /// Targets: one-hot (or mixed) class distributions `[rows, n_classes]`
    /// or regression values `[rows, n_targets]`.
    pub targets: Option<Vec<f32>>,
}

fn gather<T: Copy>(data: &[T], item: usize, idx: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(idx.len() * item);
    for &i in idx {
        out.extend_from_slice(&data[i * item..(i + 1) * item]);
    }
    out
}

impl NeuralData {
    /// Gathers rows `idx` (already validated) into a host batch; targets as
    /// `n_out` values per row.
    pub(crate) fn batch(&self, idx: &[usize], n_out: usize) -> HostBatch {
        let audio = self
            .audio
            .as_ref()
            .map(|a| gather(a.data(), a.shape().item_len(), idx));
        let (text_vec, text_present, tokens) = match &self.text {
            None => (None, None, None),
            Some(TextInput::Vector {
                dims,
                data,
                present,
            }) => (
                Some(gather(data, *dims, idx)),
                Some(
                    idx.iter()
                        .map(|&i| if present[i] { 1.0 } else { 0.0 })
                        .collect(),
                ),
                None,
            ),
            Some(TextInput::Tokens { max_len, ids, .. }) => {
                let tokens = gather(ids, *max_len, idx);
                let present = tokens
                    .chunks(*max_len)
                    .map(|row| {
                        if row.iter().any(|&t| t != 0) {
                            1.0
                        } else {
                            0.0
                        }
                    })
                    .collect();
                (None, Some(present), Some(tokens))
            }
        };
        let targets = self.targets.as_ref().map(|t| match t {
            Targets::Classes(c) => {
                let mut out = vec![0.0; idx.len() * n_out];
                for (r, &i) in idx.iter().enumerate() {
                    out[r * n_out + c[i]] = 1.0;
                }
                out
            }
            Targets::Values { n_targets, data } => gather(data, *n_targets, idx),
        });
        HostBatch {
            rows: idx.len(),
            audio,
            text_vec,
            text_present,
            tokens,
            targets,
        }
    }
}
