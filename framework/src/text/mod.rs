//! Lyrics: cleaning, tokens, stemming, TF-IDF, lexicon features, imported
//! embeddings and discriminative keywords.
//!
//! Owns: turning raw lyrics text into numeric features fitted on a training
//! fold only. Leaves reading lyrics files to `data` (with
//! [`clean::decode_lyrics_bytes`] as the helper that reports bad bytes).

pub mod clean;
mod error;

pub use clean::{
    Analyzer, AnalyzerOptions, Stopwords, Tokenizer, decode_lyrics_bytes, read_lyrics_file,
};
pub use error::TextError;
