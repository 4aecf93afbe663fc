//! `mer predict`: score new audio (and lyrics) with a stored trial's
//! networks.
//!
//! A neural trial saves, per fold, its weights and how tracks became the
//! network's input (the audio normaliser and the lyrics features fitted on
//! that training fold) under `<db>.artifacts/<trial>/`, each file's sha256
//! recorded in the store. Prediction extracts the trial's audio
//! representation from each file with the trial's own settings, applies each
//! fold's preprocessing, runs each fold's network and averages the outputs
//! (class probabilities or valence/arousal values) over the folds; `fold`
//! picks one fold's network instead.
//!
//! Classical baselines save each fold's fitted model the same way (the
//! model in binary form, its lyrics features and scaler in `model.json`), so
//! they predict without the training data. Classical trials recorded before
//! models were saved are fitted again exactly as recorded (same tracks,
//! features, scaler and seed: fits are deterministic) on the trial's
//! dataset, which must then be on disk and unchanged (checked by its
//! fingerprint). Ensembles cannot predict.

use std::path::{Path, PathBuf};

use mer_model::classical::{FittedClassifier, FittedRegressor, Matrix};
use mer_model::neural::{self, NeuralConfig, NeuralRuntime};
use mer_model::{ModelConfig, Task};
use mer_spec::TrialConfig;
use mer_store::{Store, TrialStatus};
use mer_text::{self as text, FittedText, TextResources};

use super::artifacts::{self, ArtifactError, ClassicalPreprocess, SavedFold, SavedModel};
use super::preprocess::Preprocess;

/// Why a prediction could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    #[error(transparent)]
    Store(#[from] mer_store::StoreError),
    #[error(transparent)]
    Run(#[from] super::RunError),
    #[error("refitting trial {trial}: {source}")]
    Refit {
        trial: i64,
        #[source]
        source: super::trial::TrialError,
    },
    #[error("trial {trial} is {status}; only completed trials have a model")]
    NotCompleted { trial: i64, status: TrialStatus },
    #[error(
        "trial {trial} is an ensemble, which combines its members' recorded predictions; \
         predict with one of its members instead"
    )]
    Ensemble { trial: i64 },
    #[error("trial {trial}: no saved model in the store (was it run before models were saved?)")]
    NoModel { trial: i64 },
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("trial {trial} has no fold {fold}; its folds are {available:?}")]
    NoFold {
        trial: i64,
        fold: usize,
        available: Vec<usize>,
    },
    #[error("{0}")]
    Inputs(String),
    #[error(transparent)]
    Audio(#[from] mer_audio::AudioError),
    #[error("lyrics: {0}")]
    Text(#[from] text::TextError),
    #[error("fold {fold}: {source}")]
    Model {
        fold: usize,
        #[source]
        source: mer_model::classical::ModelError,
    },
    #[error("fold {fold}: {source}")]
    Neural {
        fold: usize,
        #[source]
        source: neural::NeuralError,
    },
}

/// One new track: an audio file, lyrics, or both.
#[derive(Debug, Clone, Default)]
pub struct NewTrack {
    pub audio: Option<PathBuf>,
    pub lyrics: Option<PathBuf>,
}

impl NewTrack {
    /// Its lyrics text, read and decoded (not yet cleaned).
    fn read_lyrics(&self) -> Result<Option<String>, PredictError> {
        Ok(match &self.lyrics {
            Some(p) => Some(text::read_lyrics_file(p)?),
            None => None,
        })
    }

    /// How the track is named in output.
    pub fn name(&self) -> String {
        self.audio
            .as_ref()
            .or(self.lyrics.as_ref())
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }
}

/// What the model says about one track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPrediction {
    pub track: String,
    /// Classification: the most probable class.
    pub label: Option<String>,
    /// Class probabilities (classification) or target values (regression),
    /// named by [`Prediction::outputs`].
    pub values: Vec<f64>,
    /// Gated fusion: the weight given to the lyrics.
    pub alpha: Option<f64>,
}

/// Predictions of one trial's model for new tracks.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub trial: i64,
    pub architecture: String,
    pub task: Task,
    /// Class names or target names, one per value.
    pub outputs: Vec<String>,
    /// Folds whose models were averaged.
    pub folds: Vec<usize>,
    /// Whether classification values are probabilities (neural networks,
    /// logistic regression, random forest, KNN) or SVM decision scores.
    pub probabilities: bool,
    pub tracks: Vec<TrackPrediction>,
}

impl Prediction {
    /// `mer predict --format json`: the trial, its folds, and per track the
    /// label and the named probabilities, scores or values.
    pub fn to_json(&self) -> serde_json::Value {
        let key = match (self.task, self.probabilities) {
            (Task::Classification, true) => "probabilities",
            (Task::Classification, false) => "scores",
            _ => "values",
        };
        let rows: Vec<serde_json::Value> = self
            .tracks
            .iter()
            .map(|t| {
                let values: serde_json::Map<String, serde_json::Value> = self
                    .outputs
                    .iter()
                    .zip(&t.values)
                    .map(|(k, v)| (k.clone(), serde_json::json!(v)))
                    .collect();
                serde_json::json!({
                    "track": t.track,
                    "label": t.label,
                    key: values,
                    "lyrics_weight": t.alpha,
                })
            })
            .collect();
        serde_json::json!({
            "trial": self.trial,
            "architecture": self.architecture,
            "folds": self.folds,
            "predictions": rows,
        })
    }

    /// `mer predict --format csv`: one row per track (track, label for
    /// classification, then one column per output, 6 decimals).
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let mut head = vec!["track".to_string()];
        if self.task == Task::Classification {
            head.push("label".into());
        }
        head.extend(self.outputs.iter().cloned());
        let row_err = "writing CSV to memory cannot fail";
        w.write_record(&head).expect(row_err);
        for t in &self.tracks {
            let mut row = vec![t.track.clone()];
            if let Some(l) = &t.label {
                row.push(l.clone());
            }
            row.extend(t.values.iter().map(|v| format!("{v:.6}")));
            w.write_record(&row).expect(row_err);
        }
        String::from_utf8(w.into_inner().expect(row_err)).expect("CSV of UTF-8 fields")
    }
}

/// Each new track's audio features under the trial's settings; a track
/// without audio is an error.
fn extract_new(
    tracks: &[NewTrack],
    cfg: &mer_audio::AudioFeatureConfig,
    trial: i64,
) -> Result<Vec<mer_audio::Features>, PredictError> {
    tracks
        .iter()
        .map(|t| {
            let path = t.audio.as_ref().ok_or_else(|| {
                PredictError::Inputs(format!("trial {trial} reads audio; {} has none", t.name()))
            })?;
            Ok(mer_audio::extract_file(path, cfg)?)
        })
        .collect()
}

/// Scores `tracks` with trial `query`'s saved models (all folds averaged,
/// or only `fold`).
pub fn predict(
    store: &Store,
    query: &str,
    tracks: &[NewTrack],
    fold: Option<usize>,
    device: neural::ComputeDevice,
    cache_dir: &Path,
) -> Result<Prediction, PredictError> {
    let trial = store.find_trial(query)?;
    if trial.status != TrialStatus::Completed {
        return Err(PredictError::NotCompleted {
            trial: trial.id,
            status: trial.status,
        });
    }
    let config: TrialConfig = serde_json::from_str(&trial.config_json).map_err(|source| {
        super::RunError::StoredConfig {
            trial: trial.id,
            source,
        }
    })?;
    if let ModelConfig::Ensemble(_) = config.model {
        return Err(PredictError::Ensemble { trial: trial.id });
    }
    let rows = store.artifacts(trial.id)?;
    let root = super::artifacts_root(store);
    match (artifacts::load_saved_model(&root, &rows)?, &config.model) {
        (Some(saved), ModelConfig::Neural(_)) => {
            predict_neural(&trial, &saved, &root, &rows, tracks, fold, device)
        }
        (Some(saved), _) => predict_classical(&trial, &saved, &root, &rows, tracks, fold),
        (None, ModelConfig::Neural(_)) => Err(PredictError::NoModel { trial: trial.id }),
        // Recorded before classical models were saved.
        (None, _) => refit_classical(&trial, config, tracks, fold, cache_dir),
    }
}

/// The folds to average: all, or only `fold`.
fn select_folds(
    saved: &SavedModel,
    fold: Option<usize>,
    trial: i64,
) -> Result<Vec<&SavedFold>, PredictError> {
    let folds: Vec<&SavedFold> = saved
        .folds
        .iter()
        .filter(|f| fold.is_none_or(|k| f.fold == k))
        .collect();
    if folds.is_empty() {
        return Err(match fold {
            Some(k) => PredictError::NoFold {
                trial,
                fold: k,
                available: saved.folds.iter().map(|f| f.fold).collect(),
            },
            None => PredictError::NoModel { trial },
        });
    }
    Ok(folds)
}

/// Class names (classification) or target names (regression).
fn output_names(saved: &SavedModel) -> Vec<String> {
    match saved.config.task {
        Task::Classification => saved.classes.clone().unwrap_or_default(),
        Task::Regression => match saved.config.labels {
            mer_data::labels::LabelScheme::Valence => vec!["valence".into()],
            mer_data::labels::LabelScheme::Arousal => vec!["arousal".into()],
            _ => vec!["valence".into(), "arousal".into()],
        },
    }
}

fn missing(trial: i64, fold: usize, what: &str) -> PredictError {
    PredictError::Inputs(format!(
        "trial {trial}: the saved model of fold {fold} has no `{what}`; the artifact does not match the trial's architecture"
    ))
}

fn neural_preprocess(f: &SavedFold, trial: i64) -> Result<&Preprocess, PredictError> {
    f.preprocess
        .as_ref()
        .ok_or_else(|| missing(trial, f.fold, "preprocess"))
}

/// A network's prediction: each fold's saved weights and preprocessing.
fn predict_neural(
    trial: &mer_store::TrialRow,
    saved: &SavedModel,
    root: &Path,
    rows: &[mer_store::ArtifactRow],
    tracks: &[NewTrack],
    fold: Option<usize>,
    device: neural::ComputeDevice,
) -> Result<Prediction, PredictError> {
    let cfg = &saved.config;
    let ModelConfig::Neural(net) = &cfg.model else {
        return Err(PredictError::NoModel { trial: trial.id });
    };
    let folds = select_folds(saved, fold, trial.id)?;
    let first = folds[0];
    let (task, outputs) = match cfg.task {
        Task::Classification => {
            let classes = output_names(saved);
            (
                neural::Head::Classification {
                    n_classes: classes.len(),
                },
                classes,
            )
        }
        Task::Regression => {
            let names = output_names(saved);
            (
                neural::Head::Regression {
                    n_targets: names.len(),
                },
                names,
            )
        }
    };

    // Inputs shared by every fold: raw audio features and lyrics text.
    let pre0 = neural_preprocess(first, trial.id)?;
    let audio_cfg = match (&cfg.features.audio, pre0.audio_kind) {
        (Some(a), Some(_)) => Some(a),
        _ => None,
    };
    let raw_audio: Vec<Vec<f32>> = match audio_cfg {
        Some(a) => extract_new(tracks, a, trial.id)?
            .into_iter()
            .map(|f| f.data)
            .collect(),
        None => Vec::new(),
    };
    let docs = tracks
        .iter()
        .map(NewTrack::read_lyrics)
        .collect::<Result<Vec<_>, _>>()?;
    if pre0.text_kind.is_some() && audio_cfg.is_none() && docs.iter().all(Option::is_none) {
        return Err(PredictError::Inputs(format!(
            "trial {} reads lyrics only; give them with --lyrics FILE",
            trial.id
        )));
    }

    let n = tracks.len();
    let mut sum = vec![0.0f64; n * outputs.len()];
    let mut alpha_sum: Option<Vec<f64>> = None;
    for f in &folds {
        let weights = artifacts::read_checked(root, rows, &format!("{}/{}", trial.id, f.weights))?;
        let data = fold_data(neural_preprocess(f, trial.id)?, cfg, &raw_audio, &docs)?;
        let dims = f.dims.ok_or_else(|| missing(trial.id, f.fold, "dims"))?;
        let predictor = neural::load_predictor(
            net,
            task,
            dims,
            &weights,
            NeuralRuntime {
                device,
                ..NeuralRuntime::default()
            },
        )
        .map_err(|source| PredictError::Neural {
            fold: f.fold,
            source,
        })?;
        let p = predictor
            .predict(&data)
            .map_err(|source| PredictError::Neural {
                fold: f.fold,
                source,
            })?;
        for (s, v) in sum.iter_mut().zip(&p.outputs) {
            *s += f64::from(*v);
        }
        if let Some(a) = &p.alphas {
            let acc = alpha_sum.get_or_insert_with(|| vec![0.0; n]);
            for (s, v) in acc.iter_mut().zip(a) {
                *s += f64::from(*v);
            }
        }
    }
    let tracks_out = mean_over_folds(
        tracks,
        &sum,
        folds.len(),
        &outputs,
        cfg.task,
        alpha_sum.as_deref(),
    );
    Ok(Prediction {
        trial: trial.id,
        architecture: net_name(net),
        task: cfg.task,
        outputs,
        folds: folds.iter().map(|f| f.fold).collect(),
        probabilities: true,
        tracks: tracks_out,
    })
}

/// Each track's outputs summed over `n_folds` folds (`sum[track * width +
/// output]`), averaged, with the most probable label for classification.
fn mean_over_folds(
    tracks: &[NewTrack],
    sum: &[f64],
    n_folds: usize,
    outputs: &[String],
    task: Task,
    alpha_sum: Option<&[f64]>,
) -> Vec<TrackPrediction> {
    let k = n_folds as f64;
    let width = outputs.len().max(1);
    tracks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let values: Vec<f64> = sum[i * width..(i + 1) * width]
                .iter()
                .map(|v| v / k)
                .collect();
            let label = (task == Task::Classification).then(|| {
                outputs
                    .get(mer_model::classical::argmax(&values))
                    .cloned()
                    .unwrap_or_default()
            });
            TrackPrediction {
                track: t.name(),
                label,
                values,
                alpha: alpha_sum.map(|a| a[i] / k),
            }
        })
        .collect()
}

/// The lyrics features of new tracks under a fold's fitted text state
/// (resources such as a lexicon are read again from the trial's config).
fn new_text_features(
    state: &mer_text::TextState,
    cfg: &TrialConfig,
    docs: &[Option<String>],
) -> Result<mer_text::TextFeatures, PredictError> {
    let resources = match cfg.features.text.as_ref() {
        Some(t) if matches!(state.fitted, text::FittedState::Resource) => {
            TextResources::load(t, Path::new(""))?
        }
        _ => TextResources::default(),
    };
    let fitted = FittedText::from_state(state, &resources)?;
    let names: Vec<String> = (0..docs.len()).map(|i| format!("new{i}")).collect();
    let ids: Vec<&str> = names.iter().map(String::as_str).collect();
    let d: Vec<Option<&str>> = docs.iter().map(Option::as_deref).collect();
    Ok(fitted.transform(&d, &ids)?)
}

/// A classical model's prediction: each fold's saved model, lyrics
/// features and scaler.
fn predict_classical(
    trial: &mer_store::TrialRow,
    saved: &SavedModel,
    root: &Path,
    rows: &[mer_store::ArtifactRow],
    tracks: &[NewTrack],
    fold: Option<usize>,
) -> Result<Prediction, PredictError> {
    let cfg = &saved.config;
    let folds = select_folds(saved, fold, trial.id)?;
    let outputs = output_names(saved);
    // As in the sweep's classical fold: the audio vector whenever the trial
    // has audio features, then the lyrics features.
    let audio: Vec<Vec<f64>> = match &cfg.features.audio {
        Some(a) => extract_new(tracks, a, trial.id)?
            .into_iter()
            .map(|f| f.data.iter().map(|&x| f64::from(x)).collect())
            .collect(),
        None => vec![Vec::new(); tracks.len()],
    };
    let docs = tracks
        .iter()
        .map(NewTrack::read_lyrics)
        .collect::<Result<Vec<_>, _>>()?;
    let width = outputs.len().max(1);
    let mut sum = vec![0.0f64; tracks.len() * width];
    let mut probabilities = true;
    for f in &folds {
        let pre: &ClassicalPreprocess = f
            .classical
            .as_ref()
            .ok_or_else(|| missing(trial.id, f.fold, "classical"))?;
        let mut x_rows = audio.clone();
        if let Some(state) = &pre.text {
            let tf = new_text_features(state, cfg, &docs)?;
            let drops = cfg
                .features
                .text
                .as_ref()
                .is_some_and(|t| t.missing_lyrics == text::MissingLyrics::Drop);
            for (r, row) in x_rows.iter_mut().enumerate() {
                if drops && !tf.mask[r] {
                    return Err(PredictError::Inputs(format!(
                        "{}: the model could not score it (the trial leaves out tracks without lyrics: missing_lyrics = \"drop\")",
                        tracks[r].name()
                    )));
                }
                let v = tf.dense_row(r).ok_or_else(|| {
                    PredictError::Inputs("saved lyrics features are not a vector".into())
                })?;
                row.extend(v.iter().map(|&x| f64::from(x)));
            }
        }
        let model_err = |source| PredictError::Model {
            fold: f.fold,
            source,
        };
        let mut x = Matrix::from_rows(&x_rows).map_err(|e| model_err(e.into()))?;
        if x.cols != pre.scaler.mean.len() {
            return Err(PredictError::Inputs(format!(
                "fold {}: the new tracks give {} features, the model was trained on {}",
                f.fold,
                x.cols,
                pre.scaler.mean.len()
            )));
        }
        pre.scaler.transform(&mut x);
        let bytes = artifacts::read_checked(root, rows, &format!("{}/{}", trial.id, f.weights))?;
        let values: Vec<Vec<f64>> = match cfg.task {
            Task::Classification => {
                let model = FittedClassifier::from_bytes(&bytes).map_err(model_err)?;
                probabilities &= model.probabilities();
                let p = model.predict(&x).map_err(model_err)?;
                match p.scores {
                    Some(s) => s,
                    // A model without scores: its vote, one-hot.
                    None => p
                        .labels
                        .iter()
                        .map(|&l| (0..width).map(|j| f64::from(u8::from(j == l))).collect())
                        .collect(),
                }
            }
            Task::Regression => FittedRegressor::from_bytes(&bytes)
                .and_then(|m| m.predict(&x))
                .map_err(model_err)?,
        };
        for (k, row) in values.into_iter().enumerate() {
            for (s, v) in sum[k * width..(k + 1) * width].iter_mut().zip(row) {
                *s += v;
            }
        }
    }
    let tracks_out = mean_over_folds(tracks, &sum, folds.len(), &outputs, cfg.task, None);
    Ok(Prediction {
        trial: trial.id,
        architecture: cfg.architecture.to_string(),
        task: cfg.task,
        outputs,
        folds: folds.iter().map(|f| f.fold).collect(),
        probabilities,
        tracks: tracks_out,
    })
}

/// A classical trial recorded before models were saved: each fold's model
/// fitted again on the recorded dataset, exactly as in the sweep,
/// predicting the new tracks.
fn refit_classical(
    trial: &mer_store::TrialRow,
    cfg: TrialConfig,
    tracks: &[NewTrack],
    fold: Option<usize>,
    cache_dir: &Path,
) -> Result<Prediction, PredictError> {
    let progress = super::progress::Progress::new(false);
    let ctx = mer_data::LoadContext {
        cache_dir: cache_dir.to_path_buf(),
    };
    let datasets = super::prepare::load_datasets(std::iter::once(&cfg.dataset), &ctx, &progress)?;
    let ds = datasets.values().next().expect("one dataset").clone();
    if ds.fingerprint != trial.dataset_fingerprint {
        return Err(super::RunError::DatasetChanged {
            trial: trial.id,
            recorded: trial.dataset_fingerprint.clone(),
            now: ds.fingerprint.clone(),
        }
        .into());
    }
    let text_files = super::prepare::TextFiles::load(std::iter::once(&cfg))?;
    let key = mer_spec::TrialKey::new(&cfg, &text_files.inputs_fingerprint(&cfg, &ds.fingerprint));
    if key.0 != trial.key {
        return Err(super::RunError::InputsChanged {
            trial: trial.id,
            recorded: trial.key.clone(),
            now: key.0,
        }
        .into());
    }
    let prepared =
        super::prepare::prepare_features(datasets, text_files, &[&cfg], cache_dir, &progress)?;
    let mut data = prepared.trial_data(&cfg);

    // The new tracks join the dataset after its own, with their features.
    let n_known = data.dataset.tracks.len();
    let mut dataset = (*data.dataset).clone();
    for (i, t) in tracks.iter().enumerate() {
        let mut track = mer_data::Track::new(format!("new:{i}"));
        track.audio = t.audio.clone();
        track.lyrics = t.read_lyrics()?;
        dataset.tracks.push(track);
    }
    if let Some(a) = &cfg.features.audio {
        let id = a.extractor_id();
        if let Some(column) = data.audio.get(&id) {
            let mut column = (**column).clone();
            column.extend(extract_new(tracks, a, trial.id)?.into_iter().map(Ok));
            data.audio.insert(id, std::sync::Arc::new(column));
        }
    }
    data.dataset = std::sync::Arc::new(dataset);
    data.new_tracks_from = Some(n_known);

    let out = super::pipeline::run_trial(&cfg, &data).map_err(|source| PredictError::Refit {
        trial: trial.id,
        source,
    })?;
    let folds: Vec<&super::trial::NewPredictions> = out
        .new_predictions
        .iter()
        .filter(|p| fold.is_none_or(|k| p.fold == k))
        .collect();
    if folds.is_empty() {
        return Err(PredictError::NoFold {
            trial: trial.id,
            fold: fold.unwrap_or(0),
            available: out.new_predictions.iter().map(|p| p.fold).collect(),
        });
    }
    let outputs = folds[0].names.clone();
    let width = outputs.len().max(1);
    let mut sum = vec![0.0f64; tracks.len() * width];
    let mut count = vec![0usize; tracks.len()];
    let mut probabilities = true;
    for p in &folds {
        let rows: Vec<Vec<f64>> = match &p.output {
            super::trial::Output::Classes(c) => match &c.scores {
                Some(s) => {
                    probabilities &= cfg.architecture != mer_model::Architecture::Svm;
                    s.clone()
                }
                None => {
                    // A model without scores: its vote, one-hot.
                    probabilities = false;
                    c.labels
                        .iter()
                        .map(|&l| (0..width).map(|j| f64::from(u8::from(j == l))).collect())
                        .collect()
                }
            },
            super::trial::Output::Values(v) => v.clone(),
        };
        for (&i, row) in p.idx.iter().zip(rows) {
            let k = i - n_known;
            count[k] += 1;
            for (s, v) in sum[k * width..(k + 1) * width].iter_mut().zip(row) {
                *s += v;
            }
        }
    }
    let mut out_tracks = Vec::new();
    for (k, t) in tracks.iter().enumerate() {
        if count[k] == 0 {
            return Err(PredictError::Inputs(format!(
                "{}: the model could not score it (a trial that reads lyrics leaves out tracks without them)",
                t.name()
            )));
        }
        let values: Vec<f64> = sum[k * width..(k + 1) * width]
            .iter()
            .map(|v| v / count[k] as f64)
            .collect();
        let label = (cfg.task == Task::Classification).then(|| {
            outputs
                .get(mer_model::classical::argmax(&values))
                .cloned()
                .unwrap_or_default()
        });
        out_tracks.push(TrackPrediction {
            track: t.name(),
            label,
            values,
            alpha: None,
        });
    }
    Ok(Prediction {
        trial: trial.id,
        architecture: cfg.architecture.to_string(),
        task: cfg.task,
        outputs,
        folds: folds.iter().map(|p| p.fold).collect(),
        probabilities,
        tracks: out_tracks,
    })
}

fn net_name(net: &NeuralConfig) -> String {
    serde_json::to_value(net)
        .ok()
        .and_then(|v| v.get("arch").and_then(|a| a.as_str()).map(str::to_string))
        .unwrap_or_else(|| "neural".into())
}

/// One fold's network input for the new tracks.
fn fold_data(
    pre: &Preprocess,
    cfg: &TrialConfig,
    raw_audio: &[Vec<f32>],
    docs: &[Option<String>],
) -> Result<neural::NeuralData, PredictError> {
    let mut audio: Vec<Vec<f32>> = raw_audio.iter().map(|a| pre.audio_row(a)).collect();
    let mut text_rows: Vec<Vec<f32>> = Vec::new();
    let mut present: Vec<bool> = Vec::new();
    if let (Some(state), Some(kind)) = (&pre.text, pre.text_kind) {
        let tf = new_text_features(state, cfg, docs)?;
        present = tf.mask.clone();
        text_rows = super::preprocess::text_rows(&tf.matrix, kind).ok_or_else(|| {
            PredictError::Inputs(format!(
                "saved lyrics features do not match the {kind} input"
            ))
        })?;
        if pre.concat {
            for (a, t) in audio.iter_mut().zip(&text_rows) {
                a.extend_from_slice(t);
            }
        }
    }
    Ok(pre.data(&audio, &text_rows, Some(&present), None))
}
