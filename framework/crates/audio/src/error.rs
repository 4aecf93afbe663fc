//! Errors of the audio front end. Every variant that concerns a file names
//! it, says what rule the file broke, and keeps the underlying cause as its
//! `#[source]`.

use std::path::PathBuf;

/// Why a file could not be turned into features.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("{}: cannot read the file", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file has zero bytes.
    #[error("{}: the file is empty (0 bytes)", path.display())]
    Empty { path: PathBuf },

    /// The file is not in any audio format this build can read (WAV, Sun/NeXT
    /// .au, MP3, FLAC, Ogg Vorbis).
    #[error("{}: not a recognised audio file (WAV, AU, MP3, FLAC or Ogg Vorbis expected)", path.display())]
    NotAudio {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The container was recognised but its header or stream is malformed.
    #[error("{}: corrupt audio data {at}", path.display())]
    Corrupt {
        path: PathBuf,
        /// Where in the stream the problem was found ("in the header",
        /// "at 12.48 s").
        at: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The stream ended before the length its header announces.
    #[error("{}: truncated: the header announces {expected} frames but the file ends after {found}", path.display())]
    Truncated {
        path: PathBuf,
        expected: u64,
        found: u64,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The decoded signal holds NaN or infinite samples (a float WAV written
    /// by a broken export, or a stream that decodes to garbage).
    #[error("{}: the audio holds non-finite samples (NaN or infinity), the first at {at_s:.3} s; re-export the file from its source", path.display())]
    NonFinite { path: PathBuf, at_s: f64 },

    /// The header is valid but holds no audio frames (zero-length audio).
    #[error("{}: the file holds no audio frames (zero-length audio)", path.display())]
    NoFrames { path: PathBuf },

    /// Every sample of the (cropped) signal is below the silence threshold.
    #[error("{}: the audio is silent: peak amplitude {peak:e} is below {threshold:e} (-120 dBFS)", path.display())]
    Silent {
        path: PathBuf,
        peak: f32,
        threshold: f32,
    },

    /// The requested offset lies at or beyond the end of the audio.
    #[error("{}: offset_s = {offset_s} lies beyond the end of the audio ({length_s:.3} s)", path.display())]
    OffsetBeyondEnd {
        path: PathBuf,
        offset_s: f64,
        length_s: f64,
    },

    /// The signal is shorter than a feature needs.
    #[error("{}: {what} needs at least {needed} samples at {sample_rate} Hz, the audio has {found}", path.display())]
    TooShort {
        path: PathBuf,
        what: &'static str,
        needed: usize,
        found: usize,
        sample_rate: u32,
    },

    /// The stream uses a sample format or layout this front end rejects.
    #[error("{}: unsupported audio stream: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },

    /// The resampler refused the rate pair or failed.
    #[error("{}: cannot resample from {from} Hz to {to} Hz", path.display())]
    Resample {
        path: PathBuf,
        from: u32,
        to: u32,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The feature configuration breaks a rule (checked before any file is read).
    #[error("invalid audio feature configuration: {0}")]
    Config(#[from] mer_core::ConfigError),

    /// The feature cache directory could not be created or written.
    #[error("{}: feature cache I/O failed", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Writing the feature table to the output failed.
    #[error("cannot write the features")]
    Output {
        #[source]
        source: std::io::Error,
    },
}

impl AudioError {
    /// The file the error is about, when it is about one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            AudioError::Io { path, .. }
            | AudioError::Empty { path }
            | AudioError::NotAudio { path, .. }
            | AudioError::Corrupt { path, .. }
            | AudioError::Truncated { path, .. }
            | AudioError::NoFrames { path }
            | AudioError::NonFinite { path, .. }
            | AudioError::Silent { path, .. }
            | AudioError::OffsetBeyondEnd { path, .. }
            | AudioError::TooShort { path, .. }
            | AudioError::Unsupported { path, .. }
            | AudioError::Resample { path, .. }
            | AudioError::Cache { path, .. } => Some(path),
            AudioError::Config(_) | AudioError::Output { .. } => None,
        }
    }
}
