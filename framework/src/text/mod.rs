//! Lyrics: cleaning, tokens, stemming, TF-IDF, lexicon features, imported
//! embeddings and discriminative keywords.
//!
//! Owns: turning raw lyrics text into numeric features fitted on a training
//! fold only. Leaves reading lyrics files to `data`.
