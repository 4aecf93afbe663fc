//! Lyrics: cleaning, tokens, stemming, TF-IDF, lexicon features, imported
//! embeddings and discriminative keywords.
//!
//! Owns: turning raw lyrics text into numeric features fitted on a training
//! fold only. Leaves reading lyrics files to `mer-data` (with
//! [`clean::decode_lyrics_bytes`] as the helper that reports bad bytes),
//! dropping masked tracks to the executor, and models to `mer-model`.
//!
//! * [`clean`]: Unicode normalisation, LRC/section markup removal, the `mer`
//!   and `sklearn` tokenizers, stopwords, Snowball stemming, n-grams.
//! * [`config`]: the `[text]` spec section ([`TextFeatureConfig`]).
//! * [`fit`] / [`fit_with`] -> [`FittedText`] -> [`FittedText::transform`]
//!   -> [`TextFeatures`] (rows + mask + counts for the trial record).
//! * [`tfidf`], [`lexicon`], [`embeddings`], [`token_ids`]: the four
//!   representations.
//! * [`keywords`](mod@keywords): top discriminative words per class for
//!   reports.
//!
//! mer's default cleaning differs from scikit-learn's (NFKC, markup removal,
//! contractions kept whole, one-letter words kept, English stopwords
//! removed); `clean.tokenizer = "sklearn"`, `clean.strip_markup = false`,
//! `tfidf.stopwords = "none"`, `tfidf.min_df = 1` and
//! `tfidf.max_features` above the vocabulary size give `TfidfVectorizer()`'s
//! defaults (tested against scikit-learn, `framework/crates/text/tests/tfidf.rs`).

pub mod clean;
pub mod config;
mod csv_read;
pub mod embeddings;
mod error;
mod features;
pub mod keywords;
pub mod lexicon;
pub mod tfidf;
pub mod token_ids;

pub use clean::{
    Analyzer, AnalyzerOptions, Stopwords, Tokenizer, decode_lyrics_bytes, read_lyrics_file,
};
pub use config::{
    CleanConfig, DocFreq, EmbeddingsConfig, LexiconConfig, MissingLyrics, Norm, Representation,
    TEXT_FEATURES_VERSION, TextFeatureConfig, TfidfConfig, TokenIdsConfig,
};
pub use embeddings::{EmbeddingCoverage, EmbeddingTable};
pub use error::TextError;
pub use features::{
    FeatureMatrix, FittedState, FittedText, TextFeatures, TextResources, TextState, TextStats, fit,
    fit_with,
};
pub use keywords::{
    ClassKeywords, Keyword, KeywordMethod, KeywordOptions, keywords, keywords_with,
};
pub use lexicon::{Lexicon, LexiconCoverage};
pub use tfidf::TfidfModel;
pub use token_ids::TokenVocabulary;
