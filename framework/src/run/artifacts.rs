//! A trial's saved models: each fold's fitted model (a network's weights, or
//! a classical model in its binary form) plus one `model.json` saying how
//! tracks become that model's input, under `<db>.artifacts/<trial>/`. Every
//! file's sha256 is recorded in the store, and read back only if it matches.
//!
//! `model.json` is one typed struct, [`SavedModel`], for writing (the
//! executor) and reading (`mer predict`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest;

use mer_model::neural::InputDims;
use mer_model::train::scaler::StandardScaler;
use mer_spec::TrialConfig;
use mer_store::{ArtifactRow, Store};

use super::preprocess::Preprocess;

/// `model.json`: the trial's config and classes, and each fold's model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedModel {
    pub config: TrialConfig,
    pub classes: Option<Vec<String>>,
    pub folds: Vec<SavedFold>,
}

/// One fold's entry in `model.json`. A network has `dims`, `best_epoch` and
/// `preprocess`; a classical model has `classical`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedFold {
    pub fold: usize,
    /// The model file, relative to the trial's folder.
    pub weights: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dims: Option<InputDims>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<Preprocess>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classical: Option<ClassicalPreprocess>,
}

/// How a track becomes a classical model's input row, fitted on the fold's
/// training tracks: its audio vector, then its lyrics features (`text`),
/// standardised by `scaler`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassicalPreprocess {
    /// The fitted lyrics features; `None` for an audio-only trial.
    pub text: Option<mer_text::TextState>,
    pub scaler: StandardScaler,
}

/// A fold's trained model, to save.
#[derive(Debug, Clone)]
pub struct FoldModel {
    pub fold: usize,
    pub kind: FoldModelKind,
}

/// What a fold trained.
#[derive(Debug, Clone)]
pub enum FoldModelKind {
    Neural {
        /// burn's burnpack bytes.
        weights: Vec<u8>,
        dims: InputDims,
        best_epoch: usize,
        /// How tracks become its input (normaliser, fitted lyrics features).
        preprocess: Preprocess,
    },
    Classical {
        /// [`mer_model::classical::FittedClassifier::to_bytes`] (or the
        /// regressor's).
        model: Vec<u8>,
        preprocess: ClassicalPreprocess,
    },
}

static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Sets where artifacts live for this process (`--artifacts` /
/// `MER_ARTIFACTS`); the first call wins.
pub fn set_artifacts_root(dir: PathBuf) {
    let _ = ROOT.set(dir);
}

/// Where a store's artifacts live: the directory set by
/// [`set_artifacts_root`], else beside a SQLite file (`results.db` ->
/// `results.artifacts/`). A PostgreSQL store has no file to sit beside:
/// the command line requires `--artifacts` for it (a shared directory).
pub fn artifacts_root(store: &Store) -> PathBuf {
    if let Some(dir) = ROOT.get() {
        return dir.clone();
    }
    let p = store.path();
    let stem = p
        .file_stem()
        .map_or_else(|| "results".into(), |s| s.to_string_lossy().into_owned());
    p.with_file_name(format!("{stem}.artifacts"))
}

/// Writes each fold's model and `model.json` under `<artifacts>/<trial>/`,
/// each file atomically (written aside, then renamed).
pub fn save_models(
    store: &Store,
    trial_id: i64,
    cfg: &TrialConfig,
    classes: Option<&[String]>,
    models: &[FoldModel],
) -> std::io::Result<Vec<ArtifactRow>> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let dir = artifacts_root(store).join(trial_id.to_string());
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, bytes: &[u8], fold: Option<i64>, kind: &str| {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok::<_, std::io::Error>(ArtifactRow {
            fold,
            kind: kind.to_string(),
            path: format!("{trial_id}/{name}"),
            sha256: format!("{:x}", sha2::Sha256::digest(bytes)),
            bytes: bytes.len() as i64,
        })
    };
    let mut rows = Vec::new();
    let mut folds = Vec::new();
    for m in models {
        let fold = Some(m.fold as i64);
        folds.push(match &m.kind {
            FoldModelKind::Neural {
                weights,
                dims,
                best_epoch,
                preprocess,
            } => {
                let name = format!("fold{}.bpk", m.fold);
                rows.push(write(&name, weights, fold, "weights")?);
                SavedFold {
                    fold: m.fold,
                    weights: name,
                    dims: Some(*dims),
                    best_epoch: Some(*best_epoch),
                    preprocess: Some(preprocess.clone()),
                    classical: None,
                }
            }
            FoldModelKind::Classical { model, preprocess } => {
                let name = format!("fold{}.model", m.fold);
                rows.push(write(&name, model, fold, "weights")?);
                SavedFold {
                    fold: m.fold,
                    weights: name,
                    dims: None,
                    best_epoch: None,
                    preprocess: None,
                    classical: Some(preprocess.clone()),
                }
            }
        });
    }
    let meta = SavedModel {
        config: cfg.clone(),
        classes: classes.map(<[String]>::to_vec),
        folds,
    };
    // Through a JSON value, as model.json has always been written (its key
    // order is serde_json's map order), so its bytes do not change.
    let value = serde_json::to_value(&meta).map_err(std::io::Error::other)?;
    let text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    rows.push(write("model.json", text.as_bytes(), None, "model")?);
    Ok(rows)
}

/// Why a saved model could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ArtifactError {
    pub path: PathBuf,
    pub message: String,
}

fn artifact_err(path: &Path, message: impl Into<String>) -> ArtifactError {
    ArtifactError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads an artifact (`rel` to `root`) and checks it against the sha256 the
/// store recorded for it.
pub fn read_checked(
    root: &Path,
    rows: &[ArtifactRow],
    rel: &str,
) -> Result<Vec<u8>, ArtifactError> {
    let path = root.join(rel);
    let row = rows
        .iter()
        .find(|r| r.path == rel)
        .ok_or_else(|| artifact_err(&path, "not recorded in the store's artifacts"))?;
    let bytes =
        std::fs::read(&path).map_err(|e| artifact_err(&path, format!("cannot read: {e}")))?;
    let hash = format!("{:x}", sha2::Sha256::digest(&bytes));
    if hash != row.sha256 {
        return Err(artifact_err(
            &path,
            format!(
                "sha256 {hash} differs from the recorded {}: the file was changed or damaged",
                row.sha256
            ),
        ));
    }
    Ok(bytes)
}

/// A trial's `model.json`, checked, or `None` when the trial saved no
/// model (recorded before models were saved).
pub fn load_saved_model(
    root: &Path,
    rows: &[ArtifactRow],
) -> Result<Option<SavedModel>, ArtifactError> {
    let Some(model_row) = rows.iter().find(|r| r.kind == "model") else {
        return Ok(None);
    };
    let bytes = read_checked(root, rows, &model_row.path)?;
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        artifact_err(
            &root.join(&model_row.path),
            format!("cannot be read as a saved model (saved by an older mer?): {e}"),
        )
    })
}
