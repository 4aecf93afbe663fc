//! The integration tests of mer-data, one test binary for the crate (each
//! module is one file beside this one).

mod fuzz;
mod importers;
mod labels_kmeans;
mod manifest;
mod splits;
mod synthetic;
mod text_keywords_synthetic;
