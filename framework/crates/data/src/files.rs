//! The files a dataset is made of, with a content fingerprint each: what a
//! replication bundle lists so another machine can check its copy of the
//! data file by file before re-running anything.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{DataError, Dataset, DatasetConfig};

/// One file of a dataset, by its path under the dataset's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// `/`-separated, relative to the root, no `..`.
    pub path: String,
    pub size: u64,
    /// blake3 hex of the bytes.
    pub blake3: String,
}

/// A dataset's files under one root directory.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFiles {
    pub root: PathBuf,
    pub files: Vec<DataFile>,
}

/// What is wrong with one file of a copy of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    Missing { path: String },
    Changed { path: String, why: String },
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileProblem::Missing { path } => write!(f, "{path}: missing"),
            FileProblem::Changed { path, why } => write!(f, "{path}: changed ({why})"),
        }
    }
}

/// The files of a loaded dataset and the directory holding them all: for a
/// manifest, the CSV and every audio and lyrics file it names (under their
/// deepest common directory); for every other kind, every file under the
/// directory it was read from (hidden files left out).
pub fn dataset_files(
    cfg: &DatasetConfig,
    ds: &Dataset,
    cache_dir: &Path,
) -> Result<DataFiles, DataError> {
    let paths: Vec<PathBuf> = match cfg {
        DatasetConfig::Manifest(m) => {
            let base = m.path.parent().map(Path::to_path_buf).unwrap_or_default();
            let mut p = vec![m.path.clone()];
            for t in &ds.tracks {
                p.extend(t.audio.clone());
                if let Some(rel) = t.original.get("lyrics").filter(|s| !s.trim().is_empty()) {
                    p.push(base.join(rel.trim()));
                }
            }
            p.sort();
            p.dedup();
            p
        }
        _ => walk(&ds.root)?,
    };
    let root = match cfg {
        DatasetConfig::Manifest(_) => common_dir(&paths),
        _ => ds.root.clone(),
    };
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let hashes = super::fingerprint::hash_files(&refs, cache_dir)?;
    let mut files = Vec::with_capacity(paths.len());
    for p in &paths {
        let rel = relative(p, &root).ok_or_else(|| DataError::Layout {
            path: p.clone(),
            message: format!("is not under the dataset's root {}", root.display()),
        })?;
        let size = std::fs::metadata(p)
            .map_err(|e| DataError::io(p, "cannot stat", e))?
            .len();
        files.push(DataFile {
            path: rel,
            size,
            blake3: hashes.get(p).cloned().unwrap_or_default(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(DataFiles { root, files })
}

/// Checks a copy of a dataset under `root` against the files recorded:
/// every missing file and every file whose size or content differs.
pub fn check_files(
    root: &Path,
    expected: &[DataFile],
    cache_dir: &Path,
) -> Result<Vec<FileProblem>, DataError> {
    let mut present = Vec::new();
    let mut problems = Vec::new();
    for f in expected {
        let p = root.join(from_slashes(&f.path));
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => present.push((f, p)),
            _ => problems.push(FileProblem::Missing {
                path: f.path.clone(),
            }),
        }
    }
    let refs: Vec<&Path> = present.iter().map(|(_, p)| p.as_path()).collect();
    let hashes: BTreeMap<PathBuf, String> = super::fingerprint::hash_files(&refs, cache_dir)?;
    for (f, p) in present {
        let size = std::fs::metadata(&p)
            .map_err(|e| DataError::io(&p, "cannot stat", e))?
            .len();
        if size != f.size {
            problems.push(FileProblem::Changed {
                path: f.path.clone(),
                why: format!("{size} bytes, {} recorded", f.size),
            });
        } else if hashes.get(&p) != Some(&f.blake3) {
            problems.push(FileProblem::Changed {
                path: f.path.clone(),
                why: "same size, different content".into(),
            });
        }
    }
    problems.sort_by(|a, b| problem_path(a).cmp(problem_path(b)));
    Ok(problems)
}

fn problem_path(p: &FileProblem) -> &str {
    match p {
        FileProblem::Missing { path } | FileProblem::Changed { path, .. } => path,
    }
}

/// A `/`-separated relative path as a path of this platform.
pub fn from_slashes(rel: &str) -> PathBuf {
    rel.split('/').collect()
}

/// `path` relative to `root`, `/`-separated, if it is under it (and every
/// component is plain UTF-8).
pub fn relative(path: &Path, root: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    parts.filter(|p| !p.is_empty()).map(|p| p.join("/"))
}

/// The deepest directory holding every path.
fn common_dir(paths: &[PathBuf]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for p in paths {
        let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
        common = Some(match common {
            None => dir,
            Some(c) => c
                .components()
                .zip(dir.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    common.unwrap_or_default()
}

/// Every regular file under `dir`, recursively, hidden entries left out;
/// symbolic links are followed only to files.
fn walk(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| DataError::io(&d, "cannot list", e))?;
        for e in entries {
            let e = e.map_err(|e| DataError::io(&d, "cannot list", e))?;
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = e.path();
            let ft = e
                .file_type()
                .map_err(|e| DataError::io(&p, "cannot stat", e))?;
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() || (ft.is_symlink() && p.is_file()) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

impl DatasetConfig {
    /// The same config with every path under `from` moved under `to` (a
    /// dataset copied to another machine); paths elsewhere are kept.
    pub fn rebased(&self, from: &Path, to: &Path) -> DatasetConfig {
        let mut c = self.clone();
        for p in c.paths_mut() {
            if let Ok(rest) = p.strip_prefix(from) {
                *p = to.join(rest);
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_dir_and_relative_paths() {
        let ps = [
            PathBuf::from("/d/x/m.csv"),
            PathBuf::from("/d/audio/a.wav"),
            PathBuf::from("/d/x/l/b.txt"),
        ];
        assert_eq!(common_dir(&ps), PathBuf::from("/d"));
        assert_eq!(
            relative(Path::new("/d/x/l/b.txt"), Path::new("/d")).as_deref(),
            Some("x/l/b.txt")
        );
        assert_eq!(relative(Path::new("/e/b.txt"), Path::new("/d")), None);
        assert_eq!(from_slashes("x/l/b.txt"), PathBuf::from("x/l/b.txt"));
    }
}
