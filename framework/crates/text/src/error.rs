//! Errors of the text modality. Every variant says where (file, line, row,
//! config key) and which rule was broken, and keeps its `#[source]`.

use std::path::PathBuf;

/// Everything that can go wrong while cleaning lyrics, loading a lexicon or
/// embeddings file, or fitting and applying text features.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// A lyrics (or lexicon, id list, CSV) file is not valid UTF-8.
    #[error(
        "{path}:{line}: not valid UTF-8 (invalid byte sequence at byte offset {offset}); save the file as UTF-8, or UTF-16 with a byte-order mark"
    )]
    InvalidUtf8 {
        path: PathBuf,
        /// Byte offset of the first invalid byte from the start of the file.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
        #[source]
        source: std::str::Utf8Error,
    },

    /// A UTF-16 lyrics file (it starts with a byte-order mark) holds an
    /// unpaired surrogate or an odd number of bytes.
    #[error("{path}: starts with a UTF-16 byte-order mark but is not valid UTF-16: {rule}")]
    InvalidUtf16 { path: PathBuf, rule: String },

    /// A lyrics (or lexicon, CSV) file that decodes but is not text (a
    /// binary file).
    #[error("{path}: not a text file ({rule}); lyrics, lexicons and tables are plain text")]
    Binary { path: PathBuf, rule: String },

    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A configuration value breaks a rule; the key is named from the text
    /// features table (`tfidf.max_df`).
    #[error("text feature config: {0}")]
    Config(#[from] mer_core::ConfigError),

    /// A saved fitted state (from a model artifact) is not one this version
    /// can apply.
    #[error("saved text state: {0}")]
    SavedState(String),

    /// Two inputs that must be parallel have different lengths.
    #[error("{what}: expected {expected} entries, found {found}")]
    LengthMismatch {
        what: String,
        expected: usize,
        found: usize,
    },

    /// Fitting found nothing to fit on.
    #[error("cannot fit text features: {rule}")]
    NothingToFit { rule: String },

    /// A lexicon file breaks the `word,valence,arousal[,dominance]` format.
    #[error("{path}: line {line}: {rule}")]
    Lexicon {
        path: PathBuf,
        line: usize,
        rule: String,
    },

    /// An embeddings file (or its id list) breaks a rule.
    #[error("{path}: {place}: {rule}")]
    Embeddings {
        path: PathBuf,
        /// Where in the file: `header`, `line 12`, `row 3 (id "t42")`, ...
        place: String,
        rule: String,
    },

    /// A `.safetensors` file could not be parsed.
    #[error("{path}: not a valid safetensors file")]
    Safetensors {
        path: PathBuf,
        #[source]
        source: safetensors::SafeTensorError,
    },

    /// The ids stored in a safetensors file's metadata are not a JSON list of
    /// strings.
    #[error("{path}: metadata key \"ids\" must hold a JSON list of strings")]
    SafetensorsIds {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// A representation needs a resource (lexicon, embeddings) that was not
    /// loaded.
    #[error("representation `{representation}` needs {what}, which was not loaded")]
    MissingResource {
        representation: String,
        what: String,
    },

    /// A label index is outside the class list.
    #[error("document {index}: label {label} is out of range for {n_classes} classes")]
    LabelOutOfRange {
        index: usize,
        label: usize,
        n_classes: usize,
    },
}
