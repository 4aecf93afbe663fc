//! Audio front end: decoding (hound for WAV, symphonia for mp3/flac/ogg),
//! resampling, and the DSP features that match librosa's defaults.
//!
//! Owns: turning a file on disk into mono samples at the spec's rate, and
//! samples into track-level or frame-level features. Leaves caching policy to
//! the caller's cache directory and never sees labels or models.
