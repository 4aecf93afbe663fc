//! Models: classical baselines and neural networks. The only place burn types
//! appear.
//!
//! Owns: a model config that fits on a training fold and predicts on a test
//! fold. Leaves data preparation to `run` and scoring to `metrics`.

pub mod neural;
