//! Label schemes: grid NxN and k-means K on valence/arousal, categorical,
//! binary subsets, and regression targets.
//!
//! Owns: mapping tracks to class indices or continuous targets, fitted on the
//! training fold only. Leaves splitting to `data` and models to `model`.
