//! One trial, start to finish, in memory: folds -> labels fitted on the
//! training fold -> features (lyrics fitted on the training fold) -> scaler
//! fitted on the training fold -> model -> predictions and metrics.
//!
//! Pure given its inputs (the dataset and pre-extracted audio features), so
//! the same trial run twice gives bit-identical results: every random choice
//! is seeded from the trial seed and the fold index.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::data::splits::{self, Fold};
use crate::data::{Dataset, Track};
use crate::labels::{self, LabelScheme};
use crate::metrics;
use crate::model::classical::{self, Matrix};
use crate::model::{InputKind, Task};
use crate::spec::{TrialConfig, UnlabelledPolicy};
use crate::store::{MetricRow, PredictionRow, SkippedTrack, Split, TrialResult};
use crate::text;
use crate::train::scaler::StandardScaler;

/// Audio features of every track of a dataset for one extractor: the
/// feature vector, or why the track has none (e.g. undecodable audio that the
/// `on_bad_audio = "skip"` policy let through).
pub type AudioColumn = Vec<Result<Vec<f32>, String>>;

/// What a trial reads: the dataset and its pre-extracted audio features,
/// keyed by extractor id.
#[derive(Debug, Clone)]
pub struct TrialData {
    pub dataset: Arc<Dataset>,
    pub audio: BTreeMap<String, Arc<AudioColumn>>,
    /// The lexicon / embeddings file the trial's text features read, loaded
    /// once per sweep.
    pub text: Arc<text::TextResources>,
}

/// Why a trial failed. The text is stored with the trial.
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    #[error("splitting the dataset: {0}")]
    Split(#[source] splits::SplitError),
    #[error("fold {fold}: fitting the `{scheme}` labels: {source}")]
    Labels {
        fold: usize,
        scheme: LabelScheme,
        #[source]
        source: labels::LabelError,
    },
    #[error(
        "track {track}: cannot be labelled by `{scheme}` ({why}) and [labels] unlabelled = \"fail\""
    )]
    Unlabelled {
        track: String,
        scheme: LabelScheme,
        why: String,
    },
    #[error("fold {fold}: lyrics features: {source}")]
    Text {
        fold: usize,
        #[source]
        source: text::TextError,
    },
    #[error("fold {fold}: {source}")]
    Model {
        fold: usize,
        #[source]
        source: classical::ModelError,
    },
    #[error("fold {fold}, {split}: metrics: {source}")]
    Metrics {
        fold: usize,
        split: &'static str,
        #[source]
        source: metrics::MetricsError,
    },
    #[error("fold {fold}: {what}")]
    Data { fold: usize, what: String },
    #[error("audio features `{0}` were not extracted before the trial ran")]
    MissingFeatures(String),
}

/// Per-trial seed for a purpose and fold: independent streams from one seed.
fn derive_seed(seed: u64, purpose: &str, fold: usize) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(purpose.as_bytes());
    h.update(&(fold as u64).to_le_bytes());
    let bytes = h.finalize();
    u64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// Strata for splitting: the same for every trial of a dataset and scheme
/// family, so paired comparisons see identical folds. Valence/arousal
/// schemes (grids, k-means, binary regions, regression) stratify by Russell
/// quadrant; categorical and genre schemes by their class.
fn strata(scheme: &LabelScheme, tracks: &[Track]) -> Vec<usize> {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let keys: Vec<String> = tracks
        .iter()
        .map(|t| match scheme {
            LabelScheme::Categorical => t.category.clone().unwrap_or_default(),
            LabelScheme::Genre => t.genre.clone().unwrap_or_default(),
            _ => match (t.valence, t.arousal) {
                (Some(v), Some(a)) => format!("{}{}", v >= 0.0, a >= 0.0),
                _ => String::new(),
            },
        })
        .collect();
    for k in &keys {
        let n = names.len();
        names.entry(k.clone()).or_insert(n);
    }
    keys.iter().map(|k| names[k]).collect()
}

/// Skipped tracks, deduplicated by (track, stage).
#[derive(Default)]
struct Skips(BTreeMap<(String, String), String>);

impl Skips {
    fn add(&mut self, track: &str, stage: &str, reason: impl Into<String>) {
        self.0
            .entry((track.to_string(), stage.to_string()))
            .or_insert_with(|| reason.into());
    }

    fn into_rows(self) -> Vec<SkippedTrack> {
        self.0
            .into_iter()
            .map(|((track_id, stage), reason)| SkippedTrack {
                track_id,
                stage,
                reason,
            })
            .collect()
    }
}

/// Runs one trial on `data`.
pub fn run_trial(cfg: &TrialConfig, data: &TrialData) -> Result<TrialResult, TrialError> {
    let started = std::time::Instant::now();
    let tracks = &data.dataset.tracks;
    let inputs = cfg.inputs();
    let mut skips = Skips::default();

    // Which tracks can enter this trial at all.
    let audio: Option<Arc<AudioColumn>> = match &cfg.features.audio {
        Some(a) if inputs.contains(&InputKind::AudioVector) => {
            let id = a.extractor_id();
            Some(
                data.audio
                    .get(&id)
                    .cloned()
                    .ok_or(TrialError::MissingFeatures(id))?,
            )
        }
        _ => None,
    };
    let text_cfg = cfg
        .features
        .text
        .as_ref()
        .filter(|_| inputs.contains(&InputKind::TextVector));
    let mut usable = vec![true; tracks.len()];
    for (i, t) in tracks.iter().enumerate() {
        if let Some(col) = &audio
            && let Err(why) = &col[i]
        {
            usable[i] = false;
            skips.add(&t.id, "audio", why.clone());
        }
    }

    let folds = splits::make_folds(
        &cfg.evaluation,
        tracks,
        Some(&strata(&cfg.labels, tracks)),
        derive_seed(cfg.seed, "split", 0),
    )
    .map_err(TrialError::Split)?;
    let split_hash = splits::split_hash(&folds);
    let manifest = split_manifest(&folds, tracks);

    let mut result = TrialResult {
        split: Some((split_hash, manifest)),
        ..TrialResult::default()
    };
    let mut classes: Option<Vec<String>> = None;

    for (fold_index, fold) in folds.iter().enumerate() {
        let train_idx: Vec<usize> = fold
            .train
            .iter()
            .chain(&fold.validation)
            .copied()
            .filter(|&i| usable[i])
            .collect();
        let test_idx: Vec<usize> = fold.test.iter().copied().filter(|&i| usable[i]).collect();
        let train_tracks: Vec<&Track> = train_idx.iter().map(|&i| &tracks[i]).collect();
        let fitted = labels::fit(
            &cfg.labels,
            &train_tracks,
            derive_seed(cfg.seed, "labels", fold_index),
        )
        .map_err(|source| TrialError::Labels {
            fold: fold_index,
            scheme: cfg.labels,
            source,
        })?;

        // Targets; tracks the scheme cannot label are skipped (or fail).
        let mut label_of = |idx: &[usize]| -> Result<(Vec<usize>, Vec<Target>), TrialError> {
            let mut kept = Vec::new();
            let mut targets = Vec::new();
            for &i in idx {
                let t = &tracks[i];
                let target = match cfg.task {
                    Task::Classification => fitted.class_of(t).map(Target::Class),
                    Task::Regression => fitted.targets_of(t).map(Target::Values),
                };
                match target {
                    Some(y) => {
                        kept.push(i);
                        targets.push(y);
                    }
                    None => {
                        let why = unlabelled_reason(&cfg.labels, t);
                        if cfg.label_options.unlabelled == UnlabelledPolicy::Fail {
                            return Err(TrialError::Unlabelled {
                                track: t.id.clone(),
                                scheme: cfg.labels,
                                why,
                            });
                        }
                        skips.add(&t.id, "labels", why);
                    }
                }
            }
            Ok((kept, targets))
        };
        let (train_idx, y_train) = label_of(&train_idx)?;
        let (test_idx, y_test) = label_of(&test_idx)?;
        if train_idx.is_empty() || test_idx.is_empty() {
            return Err(TrialError::Data {
                fold: fold_index,
                what: format!(
                    "{} training and {} test tracks are left after skipping unusable tracks",
                    train_idx.len(),
                    test_idx.len()
                ),
            });
        }

        let fm = features(
            tracks,
            audio.as_deref(),
            text_cfg,
            &data.text,
            &train_idx,
            &test_idx,
        )
        .map_err(|e| e.at_fold(fold_index))?;
        // Tracks without usable lyrics leave the trial under
        // `missing_lyrics = "drop"` (with "zero" they keep a zero vector).
        let drop_missing = text_cfg.is_some_and(|t| t.missing_lyrics == text::MissingLyrics::Drop);
        let keep =
            |x: Matrix, idx: Vec<usize>, y: Vec<Target>, present: &[bool], skips: &mut Skips| {
                if !drop_missing || present.iter().all(|&p| p) {
                    return (x, idx, y);
                }
                let rows: Vec<usize> = (0..idx.len()).filter(|&r| present[r]).collect();
                for r in (0..idx.len()).filter(|&r| !present[r]) {
                    skips.add(&tracks[idx[r]].id, "lyrics", "no lyrics");
                }
                let pick = |v: &[usize]| rows.iter().map(|&r| v[r]).collect::<Vec<_>>();
                let y = rows.iter().map(|&r| y[r].clone()).collect();
                (x.select(&rows), pick(&idx), y)
            };
        let (mut x_train, train_idx, y_train) =
            keep(fm.train, train_idx, y_train, &fm.train_present, &mut skips);
        let (mut x_test, test_idx, y_test) =
            keep(fm.test, test_idx, y_test, &fm.test_present, &mut skips);
        if train_idx.is_empty() || test_idx.is_empty() {
            return Err(TrialError::Data {
                fold: fold_index,
                what: "no training or test track has lyrics".into(),
            });
        }
        let scaler = StandardScaler::fit(&x_train);
        scaler.transform(&mut x_train);
        scaler.transform(&mut x_test);
        let model_seed = derive_seed(cfg.seed, "model", fold_index);
        let fold_no = fold_index as i64;

        match cfg.task {
            Task::Classification => {
                let fold_classes = fitted.classes().to_vec();
                match &classes {
                    None => classes = Some(fold_classes.clone()),
                    Some(c) if *c != fold_classes => {
                        return Err(TrialError::Data {
                            fold: fold_index,
                            what: format!(
                                "the label scheme produced classes {fold_classes:?}, fold 0 had {c:?}"
                            ),
                        });
                    }
                    Some(_) => {}
                }
                let n_classes = fold_classes.len();
                let ytr: Vec<usize> = y_train.iter().map(Target::class).collect();
                let yte: Vec<usize> = y_test.iter().map(Target::class).collect();
                let out = classical::fit_predict_classes(
                    &cfg.model,
                    &x_train,
                    &ytr,
                    n_classes,
                    &[&x_train, &x_test],
                    model_seed,
                )
                .map_err(|source| TrialError::Model {
                    fold: fold_index,
                    source,
                })?;
                for (split, truth, pred, idx) in [
                    (Split::Train, &ytr, &out[0], &train_idx),
                    (Split::Test, &yte, &out[1], &test_idx),
                ] {
                    let m = metrics::classification(truth, &pred.labels, n_classes).map_err(
                        |source| TrialError::Metrics {
                            fold: fold_index,
                            split: split.as_str(),
                            source,
                        },
                    )?;
                    for (name, value) in m.scalars() {
                        result.metrics.push(MetricRow {
                            split,
                            fold: fold_no,
                            epoch: None,
                            name,
                            value,
                        });
                    }
                    if split == Split::Test {
                        for (r, &i) in idx.iter().enumerate() {
                            result.predictions.push(PredictionRow {
                                fold: fold_no,
                                track_id: tracks[i].id.clone(),
                                target: "class".into(),
                                y_true: truth[r] as f64,
                                y_pred: pred.labels[r] as f64,
                                scores: pred.scores.as_ref().map(|s| s[r].clone()),
                                extra: None,
                            });
                        }
                    }
                }
            }
            Task::Regression => {
                let names = fitted.target_names();
                let ytr: Vec<Vec<f64>> = y_train.iter().map(|t| t.values().to_vec()).collect();
                let yte: Vec<Vec<f64>> = y_test.iter().map(|t| t.values().to_vec()).collect();
                let out = classical::fit_predict_values(
                    &cfg.model,
                    &x_train,
                    &ytr,
                    &[&x_train, &x_test],
                    model_seed,
                )
                .map_err(|source| TrialError::Model {
                    fold: fold_index,
                    source,
                })?;
                for (split, truth, pred, idx) in [
                    (Split::Train, &ytr, &out[0], &train_idx),
                    (Split::Test, &yte, &out[1], &test_idx),
                ] {
                    let mut per_metric: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
                    for (t, name) in names.iter().enumerate() {
                        let yt: Vec<f64> = truth.iter().map(|r| r[t]).collect();
                        let yp: Vec<f64> = pred.iter().map(|r| r[t]).collect();
                        let m = metrics::regression(&yt, &yp).map_err(|source| {
                            TrialError::Metrics {
                                fold: fold_index,
                                split: split.as_str(),
                                source,
                            }
                        })?;
                        for (metric, value) in m.scalars() {
                            per_metric.entry(metric).or_default().push(value);
                            result.metrics.push(MetricRow {
                                split,
                                fold: fold_no,
                                epoch: None,
                                name: format!("{metric}_{name}"),
                                value,
                            });
                        }
                    }
                    // The headline metric is the mean over targets.
                    for (metric, values) in per_metric {
                        result.metrics.push(MetricRow {
                            split,
                            fold: fold_no,
                            epoch: None,
                            name: metric.to_string(),
                            value: values.iter().sum::<f64>() / values.len() as f64,
                        });
                    }
                    if split == Split::Test {
                        for (r, &i) in idx.iter().enumerate() {
                            for (t, name) in names.iter().enumerate() {
                                result.predictions.push(PredictionRow {
                                    fold: fold_no,
                                    track_id: tracks[i].id.clone(),
                                    target: name.clone(),
                                    y_true: truth[r][t],
                                    y_pred: pred[r][t],
                                    scores: None,
                                    extra: None,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    result.classes = classes;
    result.skipped = skips.into_rows();
    result.duration_s = started.elapsed().as_secs_f64();
    Ok(result)
}

/// A label: a class index or continuous targets.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Class(usize),
    Values(Vec<f64>),
}

impl Target {
    fn class(&self) -> usize {
        match self {
            Target::Class(c) => *c,
            Target::Values(_) => unreachable!("classification targets are classes"),
        }
    }

    fn values(&self) -> &[f64] {
        match self {
            Target::Values(v) => v,
            Target::Class(_) => unreachable!("regression targets are values"),
        }
    }
}

fn unlabelled_reason(scheme: &LabelScheme, t: &Track) -> String {
    match scheme {
        LabelScheme::Categorical if t.category.is_none() => "no category".into(),
        LabelScheme::Genre if t.genre.is_none() => "no genre".into(),
        _ if scheme.requires_va() && (t.valence.is_none() || t.arousal.is_none()) => {
            "no valence/arousal".into()
        }
        _ => format!("outside the `{scheme}` classes"),
    }
}

/// A fold-less feature error; the caller adds the fold.
struct FeatureError(TrialErrorKind);

enum TrialErrorKind {
    Text(text::TextError),
    Shape(classical::ModelError),
}

impl FeatureError {
    fn at_fold(self, fold: usize) -> TrialError {
        match self.0 {
            TrialErrorKind::Text(source) => TrialError::Text { fold, source },
            TrialErrorKind::Shape(source) => TrialError::Model { fold, source },
        }
    }
}

/// A fold's feature matrices, and which rows have lyrics.
struct FoldMatrices {
    train: Matrix,
    test: Matrix,
    train_present: Vec<bool>,
    test_present: Vec<bool>,
}

/// The training and test matrices: audio vectors and/or lyrics vectors
/// (fitted on the training tracks), concatenated for fusion.
fn features(
    tracks: &[Track],
    audio: Option<&AudioColumn>,
    text_cfg: Option<&text::TextFeatureConfig>,
    resources: &text::TextResources,
    train_idx: &[usize],
    test_idx: &[usize],
) -> Result<FoldMatrices, FeatureError> {
    let mut train_rows: Vec<Vec<f64>> = vec![Vec::new(); train_idx.len()];
    let mut test_rows: Vec<Vec<f64>> = vec![Vec::new(); test_idx.len()];
    let mut train_present = vec![true; train_idx.len()];
    let mut test_present = vec![true; test_idx.len()];
    if let Some(col) = audio {
        for (rows, idx) in [(&mut train_rows, train_idx), (&mut test_rows, test_idx)] {
            for (row, &i) in rows.iter_mut().zip(idx) {
                let v = col[i].as_ref().expect("unusable tracks were filtered out");
                row.extend(v.iter().map(|&x| f64::from(x)));
            }
        }
    }
    if let Some(tc) = text_cfg {
        let docs = |idx: &[usize]| -> Vec<Option<&str>> {
            idx.iter().map(|&i| tracks[i].lyrics.as_deref()).collect()
        };
        let ids =
            |idx: &[usize]| -> Vec<&str> { idx.iter().map(|&i| tracks[i].id.as_str()).collect() };
        let fitted = text::fit_with(tc, resources, &docs(train_idx), &ids(train_idx))
            .map_err(|e| FeatureError(TrialErrorKind::Text(e)))?;
        for (rows, present, idx) in [
            (&mut train_rows, &mut train_present, train_idx),
            (&mut test_rows, &mut test_present, test_idx),
        ] {
            let tf = fitted
                .transform(&docs(idx), &ids(idx))
                .map_err(|e| FeatureError(TrialErrorKind::Text(e)))?;
            for (r, row) in rows.iter_mut().enumerate() {
                let v = tf
                    .dense_row(r)
                    .expect("vector representations give dense rows");
                row.extend(v.iter().map(|&x| f64::from(x)));
            }
            present.copy_from_slice(&tf.mask);
        }
    }
    let to_matrix = |rows: &[Vec<f64>]| {
        Matrix::from_rows(rows).map_err(|e| FeatureError(TrialErrorKind::Shape(e)))
    };
    Ok(FoldMatrices {
        train: to_matrix(&train_rows)?,
        test: to_matrix(&test_rows)?,
        train_present,
        test_present,
    })
}

/// The folds as track ids, stored once per split hash so a re-run can check
/// it uses exactly the same tracks.
fn split_manifest(folds: &[Fold], tracks: &[Track]) -> String {
    let ids = |idx: &[usize]| -> Vec<&str> { idx.iter().map(|&i| tracks[i].id.as_str()).collect() };
    let folds: Vec<serde_json::Value> = folds
        .iter()
        .map(|f| {
            serde_json::json!({
                "repeat": f.repeat,
                "index": f.index,
                "train": ids(&f.train),
                "validation": ids(&f.validation),
                "test": ids(&f.test),
            })
        })
        .collect();
    serde_json::Value::Array(folds).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_differ_by_purpose_and_fold_and_are_stable() {
        let a = derive_seed(1, "model", 0);
        assert_eq!(a, derive_seed(1, "model", 0));
        assert_ne!(a, derive_seed(1, "model", 1));
        assert_ne!(a, derive_seed(1, "labels", 0));
        assert_ne!(a, derive_seed(2, "model", 0));
    }
}
