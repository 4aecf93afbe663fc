//! One importer per dataset, each reading that dataset's own on-disk layout
//! (documented at the top of its file, with column names and the mapping of
//! its valence/arousal scale onto `[-1, 1]`).

pub mod deam;
pub mod deezer;
pub mod emotify;
pub mod four_q;
pub mod gtzan;
pub mod manifest;
pub mod merge;
pub mod mtg_jamendo;
pub mod pmemo;

use std::path::{Path, PathBuf};

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
        DatasetConfig::Deam(c) => deam::import(c, &mut sink)?,
        DatasetConfig::Pmemo(c) => pmemo::import(c, &mut sink)?,
        DatasetConfig::FourQ(c) => four_q::import(c, &mut sink)?,
        DatasetConfig::Merge(c) => merge::import(c, &mut sink)?,
        DatasetConfig::Emotify(c) => emotify::import(c, &mut sink)?,
        DatasetConfig::MtgJamendo(c) => mtg_jamendo::import(c, &mut sink)?,
        DatasetConfig::Gtzan(c) => gtzan::import(c, &mut sink)?,
        DatasetConfig::Deezer(c) => deezer::import(c, &mut sink)?,
    };
    Ok((root, tracks, sink.report))
}

/// The entries of a directory, sorted by name (read_dir order is not stable).
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, "cannot list", e))? {
        entries.push(e.map_err(|e| DataError::io(dir, "cannot list", e))?.path());
    }
    entries.sort();
    Ok(entries)
}

/// An error naming what was expected when `dir` is not a directory.
pub(crate) fn require_dir(dir: &Path, what: &str) -> Result<(), DataError> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(DataError::Layout {
            path: dir.to_path_buf(),
            message: format!("the {what} is not here (is `root` the extracted dataset?)"),
        })
    }
}

/// An error naming what was expected when `file` is not a file.
pub(crate) fn require_file(file: &Path, what: &str) -> Result<(), DataError> {
    if file.is_file() {
        Ok(())
    } else {
        Err(DataError::Layout {
            path: file.to_path_buf(),
            message: format!("the {what} is not here (is `root` the extracted dataset?)"),
        })
    }
}

/// The first entry of a `;`- or `,`-separated list, trimmed.
pub(crate) fn first_of_list(s: &str) -> Option<String> {
    s.split([';', ','])
        .map(|x| x.trim().trim_matches('"').trim())
        .find(|x| !x.is_empty())
        .map(str::to_string)
}
