//! One importer per dataset, each reading that dataset's own on-disk layout
//! (documented at the top of its file, with column names and the mapping of
//! its valence/arousal scale onto `[-1, 1]`).

pub mod manifest;

use std::path::PathBuf;

use super::csvutil::Sink;
use super::synthetic;
use super::{DataError, DatasetConfig, ImportReport, LoadContext, ManifestConfig, OnError, Track};

/// Runs the importer a config names: `(root, tracks in any order, report)`.
pub(crate) fn import(
    cfg: &DatasetConfig,
    ctx: &LoadContext,
) -> Result<(PathBuf, Vec<Track>, ImportReport), DataError> {
    let policy = match cfg {
        DatasetConfig::Synthetic(_) => OnError::Fail,
        DatasetConfig::Manifest(c) => c.on_error,
        DatasetConfig::Deam(c) => c.on_error,
        DatasetConfig::Pmemo(c) => c.on_error,
        DatasetConfig::FourQ(c) => c.on_error,
        DatasetConfig::Merge(c) => c.on_error,
        DatasetConfig::Emotify(c) => c.on_error,
        DatasetConfig::MtgJamendo(c) => c.on_error,
        DatasetConfig::Gtzan(c) => c.on_error,
        DatasetConfig::Deezer(c) => c.on_error,
    };
    let mut sink = Sink::new(policy);
    let (root, tracks) = match cfg {
        DatasetConfig::Synthetic(c) => {
            let dir = synthetic::generate(c, &ctx.cache_dir)?;
            let m = ManifestConfig {
                path: dir.join("metadata.csv"),
                ..ManifestConfig::default()
            };
            manifest::import(&m, &mut sink)?
        }
        DatasetConfig::Manifest(c) => manifest::import(c, &mut sink)?,
        other => {
            return Err(DataError::config(
                "dataset.kind",
                format!(
                    "the `{}` importer is not in this build yet",
                    other.kind_name()
                ),
            ));
        }
    };
    Ok((root, tracks, sink.report))
}
