//! The integration tests of mer-text, one test binary for the crate (each
//! module is one file beside this one).

mod clean;
mod embeddings;
mod features;
mod keywords;
mod tfidf;
