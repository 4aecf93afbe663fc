//! The `[text]` part of a trial config: which representation turns lyrics
//! into features, its settings, and what happens to tracks without lyrics.
//!
//! Owns parsing (serde, `deny_unknown_fields`), validation, the canonical
//! resolved form hashed into trial keys, and [`TextFeatureConfig::extractor_id`].
//! Leaves reading the files it names (lexicon, embeddings) to
//! `text::TextResources`.
//!
//! ```toml
//! [text]
//! representation = "tfidf"        # "tfidf" | "lexicon" | "embeddings" | "token_ids"
//! missing_lyrics = "drop"         # "drop" | "zero"
//!
//! [text.clean]
//! tokenizer = "mer"               # "mer" | "sklearn" (parity with TfidfVectorizer)
//! strip_markup = true
//!
//! [text.tfidf]
//! max_features = 2000
//! min_df = 2                      # integer: documents; float: fraction
//! max_df = 1.0
//! ngram_range = [1, 1]
//! sublinear_tf = false
//! stopwords = "english"           # "english" | "none" | ["la", "na"]
//! stem = false
//! ```
//!
//! Only the section of the selected representation matters; the others may
//! be present (a sweep over representations needs them all) and are dropped
//! from the resolved config, so they do not change trial keys.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::clean::{AnalyzerOptions, Stopwords, Tokenizer};
use mer_core::{ConfigError, limits};

/// Version of the text feature code, part of [`TextFeatureConfig::extractor_id`].
/// Bump it whenever a change to cleaning, tokenisation or any representation
/// changes the numbers produced for the same config.
pub const TEXT_FEATURES_VERSION: u32 = 1;

/// How lyrics become features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Representation {
    /// TF-IDF over word n-grams, vocabulary and idf fitted on the train fold.
    #[default]
    Tfidf,
    /// Valence/arousal(/dominance) statistics from a user-supplied lexicon.
    Lexicon,
    /// Precomputed per-track vectors imported from a file.
    Embeddings,
    /// Padded token-id sequences and a vocabulary, for learned encoders.
    TokenIds,
}

impl Representation {
    pub fn as_str(self) -> &'static str {
        match self {
            Representation::Tfidf => "tfidf",
            Representation::Lexicon => "lexicon",
            Representation::Embeddings => "embeddings",
            Representation::TokenIds => "token_ids",
        }
    }
}

/// What happens to a track without lyrics (or without an embedding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingLyrics {
    /// Drop the track from every trial that reads lyrics (text-only and
    /// fusion), recorded as skipped. The default.
    #[default]
    Drop,
    /// Keep it with an all-zero feature row and `mask = false`: fusion
    /// models fall back on audio (gated fusion sets alpha = 0), and every
    /// modality is scored on the same tracks.
    Zero,
}

/// A document-frequency bound: an integer counts documents, a float is a
/// fraction of the training documents (scikit-learn's `min_df`/`max_df`
/// convention: `1` means one document, `1.0` means all of them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DocFreq {
    Count(u64),
    Fraction(f64),
}

impl DocFreq {
    /// The bound in documents for a training set of `n_docs`, as
    /// scikit-learn computes it (`max_df * n_doc`, not rounded).
    pub fn resolve(self, n_docs: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Fraction(f) => f * n_docs as f64,
        }
    }

    fn check(self, key: &str) -> Result<(), ConfigError> {
        match self {
            DocFreq::Fraction(f) if !(0.0..=1.0).contains(&f) => Err(ConfigError::found(
                key,
                f,
                "a fraction must lie in [0.0, 1.0]",
            )),
            _ => Ok(()),
        }
    }
}

/// Row normalisation of TF-IDF vectors (scikit-learn's `norm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// Unit Euclidean length. The default.
    #[default]
    L2,
    /// Unit sum of absolute values.
    L1,
    /// No normalisation.
    None,
}

/// Shared cleaning settings (see `text::clean` for the two tokenizers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CleanConfig {
    /// `"mer"` (NFKC, UAX #29 words, contractions whole) or `"sklearn"`
    /// (scikit-learn's default `token_pattern`, for parity checks).
    /// Defaults to `"mer"`.
    pub tokenizer: Tokenizer,
    /// Remove LRC timestamps/tags and section markers before tokenising.
    /// Defaults to `true`.
    pub strip_markup: bool,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            tokenizer: Tokenizer::Mer,
            strip_markup: true,
        }
    }
}

/// TF-IDF settings, named and defined as in scikit-learn's `TfidfVectorizer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TfidfConfig {
    /// Keep the terms with the highest total count in the training fold
    /// (ties broken alphabetically). Must be >= 1; set it above the
    /// vocabulary size to keep every term. Defaults to `2000`.
    pub max_features: usize,
    /// Ignore terms in fewer training documents. Defaults to `2` (documents).
    pub min_df: DocFreq,
    /// Ignore terms in more training documents. Defaults to `1.0` (all).
    pub max_df: DocFreq,
    /// Word n-gram range `[min_n, max_n]`. Defaults to `[1, 1]`.
    pub ngram_range: [usize; 2],
    /// Use `1 + ln(tf)` instead of the raw count. Defaults to `false`.
    pub sublinear_tf: bool,
    /// Weight by inverse document frequency. Defaults to `true`.
    pub use_idf: bool,
    /// `idf = ln((1 + n) / (1 + df)) + 1` when true, `ln(n / df) + 1` when
    /// false. Defaults to `true`.
    pub smooth_idf: bool,
    /// Row normalisation. Defaults to `"l2"`.
    pub norm: Norm,
    /// Stopwords removed before n-grams. Defaults to `"english"`.
    pub stopwords: Stopwords,
    /// Snowball English stemming. Defaults to `false`.
    pub stem: bool,
}

impl Default for TfidfConfig {
    fn default() -> Self {
        TfidfConfig {
            max_features: 2000,
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Fraction(1.0),
            ngram_range: [1, 1],
            sublinear_tf: false,
            use_idf: true,
            smooth_idf: true,
            norm: Norm::L2,
            stopwords: Stopwords::English,
            stem: false,
        }
    }
}

/// A valence/arousal(/dominance) lexicon, `word,valence,arousal[,dominance]`
/// (the shape of Warriner et al. 2013 and NRC-VAD; not shipped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconConfig {
    /// The lexicon file (CSV, or TSV when its first line holds a tab).
    /// Required.
    pub path: PathBuf,
    /// Stopwords skipped before lookup; coverage is measured over the
    /// remaining tokens. Defaults to `"english"`.
    #[serde(default)]
    pub stopwords: Stopwords,
}

/// Precomputed per-track vectors (see `text::embeddings` for the formats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsConfig {
    /// `.npy`, `.safetensors` or `.csv` file. Required.
    pub path: PathBuf,
    /// Id list, one track id per line, row `i` of the matrix belonging to
    /// line `i`. Required for `.npy`; for `.safetensors` it replaces the
    /// `"ids"` metadata key. Defaults to none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<PathBuf>,
    /// Expected vector dimension; the file is rejected when it differs.
    /// Defaults to none (any dimension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dim: Option<usize>,
}

/// Token-id sequences for learned encoders. Id `0` is padding, `1` is
/// unknown, `2..vocab_size` are the most frequent training tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenIdsConfig {
    /// Sequence length; longer lyrics are truncated (their first `max_len`
    /// tokens kept), shorter ones padded with `0`. Defaults to `256`.
    pub max_len: usize,
    /// Vocabulary size including the two reserved ids. Defaults to `10000`.
    pub vocab_size: usize,
    /// Stopwords removed first. Defaults to `"none"` (encoders learn them).
    pub stopwords: Stopwords,
    /// Snowball English stemming. Defaults to `false`.
    pub stem: bool,
}

impl Default for TokenIdsConfig {
    fn default() -> Self {
        TokenIdsConfig {
            max_len: 256,
            vocab_size: 10_000,
            stopwords: Stopwords::None,
            stem: false,
        }
    }
}

/// The `[text]` section: how lyrics become features for one trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextFeatureConfig {
    /// Defaults to `"tfidf"`.
    pub representation: Representation,
    /// Defaults to `"drop"`.
    pub missing_lyrics: MissingLyrics,
    /// Defaults to the `mer` tokenizer with markup stripping.
    pub clean: CleanConfig,
    /// Used when `representation = "tfidf"`; defaults to [`TfidfConfig::default`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tfidf: Option<TfidfConfig>,
    /// Required when `representation = "lexicon"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lexicon: Option<LexiconConfig>,
    /// Required when `representation = "embeddings"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embeddings: Option<EmbeddingsConfig>,
    /// Used when `representation = "token_ids"`; defaults to
    /// [`TokenIdsConfig::default`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_ids: Option<TokenIdsConfig>,
}

impl Default for TextFeatureConfig {
    fn default() -> Self {
        TextFeatureConfig {
            representation: Representation::Tfidf,
            missing_lyrics: MissingLyrics::Drop,
            clean: CleanConfig::default(),
            tfidf: None,
            lexicon: None,
            embeddings: None,
            token_ids: None,
        }
    }
}

impl TfidfConfig {
    /// Checks the ranges; keys named from `[tfidf]`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let [lo, hi] = self.ngram_range;
        if lo == 0 || hi < lo {
            return Err(ConfigError::found(
                "ngram_range",
                format!("[{lo}, {hi}]"),
                "must be [min_n, max_n] with 1 <= min_n <= max_n",
            ));
        }
        if self.max_features == 0 {
            return Err(ConfigError::new(
                "max_features",
                "must be at least 1 (set it above the vocabulary size to keep every term)",
            ));
        }
        self.min_df.check("min_df")?;
        self.max_df.check("max_df")?;
        if let (DocFreq::Count(lo), DocFreq::Count(hi)) = (self.min_df, self.max_df)
            && hi < lo
        {
            return Err(ConfigError::new(
                "max_df",
                format!("max_df ({hi} documents) is below min_df ({lo} documents)"),
            ));
        }
        Ok(())
    }
}

impl TokenIdsConfig {
    /// Checks the ranges; keys named from `[token_ids]` (the spec's
    /// `[features.tokens]`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        limits::size("max_len", self.max_len, 1, limits::MAX_TOKENS)?;
        if self.vocab_size < 3 {
            return Err(ConfigError::found(
                "vocab_size",
                self.vocab_size,
                "must be at least 3 (ids 0 = padding and 1 = unknown are reserved)",
            ));
        }
        limits::size("vocab_size", self.vocab_size, 3, limits::MAX_VOCABULARY)?;
        Ok(())
    }
}

impl TextFeatureConfig {
    /// The files this config reads (lexicon, embeddings and their id list),
    /// to move them with a bundle.
    pub fn paths_mut(&mut self) -> Vec<&mut PathBuf> {
        let mut out = Vec::new();
        if let Some(l) = &mut self.lexicon {
            out.push(&mut l.path);
        }
        if let Some(e) = &mut self.embeddings {
            out.push(&mut e.path);
            out.extend(e.ids.as_mut());
        }
        out
    }

    /// Checks the selected representation's settings; keys named from this
    /// table (`tfidf.max_df`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.resolved().map(|_| ())
    }

    /// The validated, canonical form: the selected section filled with its
    /// defaults, the others removed, cleaning reset to its default for
    /// `embeddings` (which never reads the text). Two configs that produce
    /// the same features resolve to the same value.
    pub fn resolved(&self) -> Result<TextFeatureConfig, ConfigError> {
        let mut out = TextFeatureConfig {
            representation: self.representation,
            missing_lyrics: self.missing_lyrics,
            clean: self.clean.clone(),
            ..Default::default()
        };
        match self.representation {
            Representation::Tfidf => {
                let t = self.tfidf.clone().unwrap_or_default();
                t.validate().map_err(|e| e.within("tfidf"))?;
                out.tfidf = Some(t);
            }
            Representation::Lexicon => {
                let l = self.lexicon.clone().ok_or_else(|| {
                    ConfigError::new(
                        "lexicon.path",
                        "is required when representation = \"lexicon\"",
                    )
                })?;
                out.lexicon = Some(l);
            }
            Representation::Embeddings => {
                let e = self.embeddings.clone().ok_or_else(|| {
                    ConfigError::new(
                        "embeddings.path",
                        "is required when representation = \"embeddings\"",
                    )
                })?;
                if e.dim == Some(0) {
                    return Err(ConfigError::new("embeddings.dim", "must be at least 1"));
                }
                out.clean = CleanConfig::default();
                out.embeddings = Some(e);
            }
            Representation::TokenIds => {
                let t = self.token_ids.clone().unwrap_or_default();
                t.validate().map_err(|e| e.within("token_ids"))?;
                out.token_ids = Some(t);
            }
        }
        Ok(out)
    }

    /// Canonical JSON of the resolved config (invalid configs: of the config
    /// as written), stable across runs: struct fields in declaration order,
    /// no maps.
    pub fn canonical_json(&self) -> String {
        let resolved = self.resolved().unwrap_or_else(|_| self.clone());
        serde_json::to_string(&resolved).expect("text config serialises to JSON")
    }

    /// Identifies the feature extractor for trial keys and feature caches:
    /// `text-<representation>-v<TEXT_FEATURES_VERSION>-<16 hex digits of the
    /// BLAKE3 hash of the canonical JSON>`. It covers the config, not the
    /// contents of the lexicon or embeddings file: hash those with
    /// `TextResources::content_hash`.
    pub fn extractor_id(&self) -> String {
        let hash = blake3::hash(self.canonical_json().as_bytes());
        format!(
            "text-{}-v{}-{}",
            self.representation.as_str(),
            TEXT_FEATURES_VERSION,
            &hash.to_hex()[..16]
        )
    }

    /// Analyzer options for the tokenising representations (`None` for
    /// `embeddings`). Call on a resolved config.
    pub(crate) fn analyzer_options(&self) -> Option<AnalyzerOptions> {
        let base = AnalyzerOptions {
            tokenizer: self.clean.tokenizer,
            strip_markup: self.clean.strip_markup,
            stopwords: Stopwords::None,
            stem: false,
            ngram_range: (1, 1),
        };
        match self.representation {
            Representation::Tfidf => {
                let t = self.tfidf.clone().unwrap_or_default();
                Some(AnalyzerOptions {
                    stopwords: t.stopwords,
                    stem: t.stem,
                    ngram_range: (t.ngram_range[0], t.ngram_range[1]),
                    ..base
                })
            }
            Representation::Lexicon => Some(AnalyzerOptions {
                stopwords: self
                    .lexicon
                    .as_ref()
                    .map(|l| l.stopwords.clone())
                    .unwrap_or_default(),
                ..base
            }),
            Representation::TokenIds => {
                let t = self.token_ids.clone().unwrap_or_default();
                Some(AnalyzerOptions {
                    stopwords: t.stopwords,
                    stem: t.stem,
                    ..base
                })
            }
            Representation::Embeddings => None,
        }
    }
}
