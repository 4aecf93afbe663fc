//! Datasets: the in-memory `Track`/`Dataset`, one importer per real dataset's
//! own on-disk layout, the synthetic benchmark generator, and splits.
//!
//! Owns: reading annotations, audio paths and lyrics into tracks on one common
//! valence/arousal scale, fingerprinting what was read, and deciding folds.
//! Leaves feature extraction to `audio`/`text` and label fitting to `labels`.
