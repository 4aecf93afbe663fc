//! The largest sizes a spec can set. They bound every allocation a spec
//! causes (each is far above what a music-emotion study needs), so a typo
//! such as `artists = 1000000000000` is refused at validation, with its key
//! and line, instead of aborting a sweep on a failed allocation. The README
//! lists them ("Errors").

use crate::ConfigError;

/// Neurons of a layer: hidden sizes, dense layers, filters, channels,
/// embedding dimensions, feed-forward widths.
pub const MAX_WIDTH: usize = 65_536;
/// Convolution kernels and pooling windows.
pub const MAX_KERNEL: usize = 1_024;
/// Layers of a stack (transformer layers, convolution blocks).
pub const MAX_LAYERS: usize = 64;
/// Attention heads.
pub const MAX_HEADS: usize = 1_024;
/// Frames of an MFCC sequence or a log-mel patch (about 38 minutes at hop
/// 512 and 22 050 Hz).
pub const MAX_FRAMES: usize = 100_000;
/// Samples of a raw waveform input (about 19 minutes at 44 100 Hz).
pub const MAX_WAVEFORM_SAMPLES: usize = 50_000_000;
/// Seconds of audio read per track (`features.audio.duration_s`).
pub const MAX_AUDIO_SECONDS: f64 = 3_600.0;
/// Tokens per lyrics sequence.
pub const MAX_TOKENS: usize = 100_000;
/// Words of a token vocabulary.
pub const MAX_VOCABULARY: usize = 10_000_000;
/// Training epochs.
pub const MAX_EPOCHS: usize = 100_000;
/// Tracks per batch.
pub const MAX_BATCH: usize = 1_000_000;
/// Folds of k-fold cross-validation.
pub const MAX_FOLDS: usize = 100;
/// Folds times repeats: the model fits one trial makes.
pub const MAX_FOLD_RUNS: usize = 1_000;
/// Trees of a random forest.
pub const MAX_TREES: usize = 65_535;
/// Depth of a tree.
pub const MAX_DEPTH: usize = 65_535;
/// Neighbours of KNN.
pub const MAX_NEIGHBOURS: usize = 100_000;
/// Tracks of the synthetic benchmark.
pub const MAX_SYNTHETIC_TRACKS: usize = 1_000_000;
/// Hours of synthetic audio (tracks times duration).
pub const MAX_SYNTHETIC_HOURS: f64 = 1_000.0;

/// `v` must lie in `min..=max`.
pub fn size(key: &str, v: usize, min: usize, max: usize) -> Result<(), ConfigError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(ConfigError::found(
            key,
            v,
            format!("must lie in {min}..={max}"),
        ))
    }
}
