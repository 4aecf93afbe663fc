//! One trial, start to finish, in memory: folds -> labels fitted on the
//! training fold -> features (lyrics fitted on the training fold) ->
//! normalisation and class balancing fitted on the training fold -> model ->
//! predictions and metrics.
//!
//! Pure given its inputs (the dataset, pre-extracted audio features, and for
//! ensembles the members' recorded predictions), so the same trial run twice
//! gives bit-identical results: every random choice is seeded from the trial
//! seed and the fold index.

use std::collections::BTreeMap;
use std::sync::Arc;

use mer_audio::Features;
use mer_data::labels::{self, FittedLabels, LabelScheme};
use mer_data::splits::{self, Fold};
use mer_data::{Dataset, Track};
use mer_model::classical::{self, ClassPrediction, Matrix};
use mer_model::train::imbalance::{self, Balancing};
use mer_model::train::scaler::StandardScaler;
use mer_model::{InputKind, ModelConfig, Task};
use mer_spec::{TrialConfig, UnlabelledPolicy};
use mer_store::{MetricRow, PredictionRow, SkippedTrack, Split, TrialResult};

use super::artifacts::{ClassicalPreprocess, FoldModel, FoldModelKind};
use super::{ensemble, neural};

/// Audio features of every track of a dataset for one extractor: the
/// features, or why the track has none (e.g. undecodable audio that the
/// `on_bad_audio = "skip"` policy let through).
pub type AudioColumn = Vec<Result<Features, String>>;

/// What a trial reads: the dataset, its pre-extracted audio features keyed by
/// extractor id, its lyrics resources, and (ensembles) its members' results.
#[derive(Debug, Clone)]
pub struct TrialData {
    pub dataset: Arc<Dataset>,
    pub audio: BTreeMap<String, Arc<AudioColumn>>,
    /// The lexicon / embeddings file the trial's text features read, loaded
    /// once per sweep.
    pub text: Arc<mer_text::TextResources>,
    /// Ensembles: each member's recorded test predictions and class names,
    /// in member order.
    pub members: Vec<MemberResult>,
    /// Threads a neural network trains on.
    pub threads: usize,
    /// Device a neural network trains on.
    pub device: mer_model::neural::ComputeDevice,
    /// `mer predict` with a classical model: the dataset's tracks from this
    /// index on are new ones to score; each fold's model is fitted exactly
    /// as recorded (on the original tracks) and predicts them.
    pub new_tracks_from: Option<usize>,
}

/// A finished member trial of an ensemble, as recorded.
#[derive(Debug, Clone)]
pub struct MemberResult {
    pub trial_id: i64,
    pub config: TrialConfig,
    pub classes: Option<Vec<String>>,
    pub predictions: Vec<PredictionRow>,
}

/// A trial's results and the models its folds trained.
#[derive(Debug, Clone, Default)]
pub struct TrialOutput {
    pub result: TrialResult,
    pub models: Vec<FoldModel>,
    /// With [`TrialData::new_tracks_from`]: per fold, the new tracks (dataset
    /// indices) that could be scored, the fold's classes or target names,
    /// and what the fold's model predicted for them.
    pub(crate) new_predictions: Vec<NewPredictions>,
}

/// One fold's predictions for new tracks.
#[derive(Debug, Clone)]
pub(crate) struct NewPredictions {
    pub fold: usize,
    pub idx: Vec<usize>,
    pub names: Vec<String>,
    pub output: Output,
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
        source: mer_text::TextError,
    },
    #[error("fold {fold}: {source}")]
    Model {
        fold: usize,
        #[source]
        source: classical::ModelError,
    },
    #[error("fold {fold}: {source}")]
    Neural {
        fold: usize,
        #[source]
        source: mer_model::neural::NeuralError,
    },
    #[error("fold {fold}: class balancing: {source}")]
    Balancing {
        fold: usize,
        #[source]
        source: imbalance::ImbalanceError,
    },
    #[error("fold {fold}, {split}: metrics: {source}")]
    Metrics {
        fold: usize,
        split: &'static str,
        #[source]
        source: mer_metrics::MetricsError,
    },
    #[error("fold {fold}: {what}")]
    Data { fold: usize, what: String },
    #[error("audio features `{0}` were not extracted before the trial ran")]
    MissingFeatures(String),
    #[error("ensemble: {0}")]
    Ensemble(String),
}

/// Per-trial seed for a purpose and fold: independent streams from one seed.
pub(crate) fn derive_seed(seed: u64, purpose: &str, fold: usize) -> u64 {
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
pub(crate) struct Skips(BTreeMap<(String, String), String>);

impl Skips {
    pub(crate) fn add(&mut self, track: &str, stage: &str, reason: impl Into<String>) {
        self.0
            .entry((track.to_string(), stage.to_string()))
            .or_insert_with(|| reason.into());
    }

    pub(crate) fn into_rows(self) -> Vec<SkippedTrack> {
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

/// A label: a class index or continuous targets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Class(usize),
    Values(Vec<f64>),
}

impl Target {
    pub(crate) fn class(&self) -> usize {
        match self {
            Target::Class(c) => *c,
            Target::Values(_) => unreachable!("classification targets are classes"),
        }
    }

    pub(crate) fn values(&self) -> &[f64] {
        match self {
            Target::Values(v) => v,
            Target::Class(_) => unreachable!("regression targets are values"),
        }
    }
}

/// One split of a fold: the tracks (indices into the dataset) and targets.
#[derive(Debug, Clone, Default)]
pub(crate) struct Part {
    pub idx: Vec<usize>,
    pub y: Vec<Target>,
}

impl Part {
    /// The rows where `keep` holds.
    pub(crate) fn filter(&self, keep: &[bool]) -> Part {
        let rows: Vec<usize> = (0..self.idx.len()).filter(|&r| keep[r]).collect();
        Part {
            idx: rows.iter().map(|&r| self.idx[r]).collect(),
            y: rows.iter().map(|&r| self.y[r].clone()).collect(),
        }
    }

    pub(crate) fn classes(&self) -> Vec<usize> {
        self.y.iter().map(Target::class).collect()
    }

    pub(crate) fn values(&self) -> Vec<Vec<f64>> {
        self.y.iter().map(|t| t.values().to_vec()).collect()
    }
}

/// What a model predicted for the rows of one split.
#[derive(Debug, Clone)]
pub(crate) enum Output {
    Classes(ClassPrediction),
    Values(Vec<Vec<f64>>),
}

/// Everything a fold's model needs, prepared by the shared pipeline.
pub(crate) struct FoldInput<'a> {
    pub fold: usize,
    pub cfg: &'a TrialConfig,
    pub tracks: &'a [Track],
    pub audio: Option<&'a AudioColumn>,
    pub text_cfg: Option<&'a mer_text::TextFeatureConfig>,
    pub resources: &'a mer_text::TextResources,
    pub train: Part,
    pub validation: Part,
    pub test: Part,
    pub n_classes: usize,
    pub n_targets: usize,
    pub threads: usize,
    pub device: mer_model::neural::ComputeDevice,
}

/// What a fold's model produced.
pub(crate) struct FoldOutput {
    pub train: (Part, Output),
    pub test: (Part, Output),
    /// Gated fusion: the lyrics weight per test row.
    pub test_alphas: Option<Vec<f32>>,
    pub epochs: Vec<MetricRow>,
    pub model: Option<FoldModel>,
}

/// Runs one trial on `data`.
pub fn run_trial(cfg: &TrialConfig, data: &TrialData) -> Result<TrialOutput, TrialError> {
    if matches!(cfg.model, ModelConfig::Ensemble(_)) {
        return ensemble::run(cfg, data);
    }
    let started = std::time::Instant::now();
    let tracks = &data.dataset.tracks;
    let inputs = cfg.inputs();
    let mut skips = Skips::default();

    let audio: Option<Arc<AudioColumn>> = match &cfg.features.audio {
        Some(a) => {
            let id = a.extractor_id();
            Some(
                data.audio
                    .get(&id)
                    .cloned()
                    .ok_or(TrialError::MissingFeatures(id))?,
            )
        }
        None => None,
    };
    let text_cfg = cfg.features.text.as_ref().filter(|_| {
        inputs.contains(&InputKind::TextVector) || inputs.contains(&InputKind::TextTokens)
    });
    let mut usable = vec![true; tracks.len()];
    for (i, t) in tracks.iter().enumerate() {
        if let Some(col) = &audio
            && let Err(why) = &col[i]
        {
            usable[i] = false;
            skips.add(&t.id, "audio", why.clone());
        }
    }

    let n_known = data.new_tracks_from.unwrap_or(tracks.len());
    let folds = make_folds(cfg, &tracks[..n_known])?;
    let mut new_predictions = Vec::new();
    let mut result = TrialResult {
        split: Some((splits::split_hash(&folds), split_manifest(&folds, tracks))),
        ..TrialResult::default()
    };
    let mut models = Vec::new();
    let mut classes: Option<Vec<String>> = None;
    let neural = cfg.architecture.is_neural();

    for (fold_index, fold) in folds.iter().enumerate() {
        let keep =
            |v: &[usize]| -> Vec<usize> { v.iter().copied().filter(|&i| usable[i]).collect() };
        // Classical models have no early stopping: the validation tracks
        // train with the rest.
        let (train_idx, val_idx) = if neural {
            (keep(&fold.train), keep(&fold.validation))
        } else {
            let mut all = keep(&fold.train);
            all.extend(keep(&fold.validation));
            all.sort_unstable();
            (all, Vec::new())
        };
        let new_idx: Vec<usize> = (n_known..tracks.len()).collect();
        let test_idx = if data.new_tracks_from.is_some() {
            keep(&new_idx)
        } else {
            keep(&fold.test)
        };
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
        let train = label_part(cfg, tracks, &fitted, &train_idx, &mut skips)?;
        let validation = label_part(cfg, tracks, &fitted, &val_idx, &mut skips)?;
        let test = if data.new_tracks_from.is_some() {
            // New tracks have no label: placeholders the model never sees.
            let placeholder = match cfg.task {
                Task::Classification => Target::Class(0),
                Task::Regression => Target::Values(vec![0.0; fitted.target_names().len()]),
            };
            Part {
                y: vec![placeholder; test_idx.len()],
                idx: test_idx,
            }
        } else {
            label_part(cfg, tracks, &fitted, &test_idx, &mut skips)?
        };
        if train.idx.is_empty() || test.idx.is_empty() {
            return Err(TrialError::Data {
                fold: fold_index,
                what: format!(
                    "{} training and {} test tracks are left after skipping unusable tracks",
                    train.idx.len(),
                    test.idx.len()
                ),
            });
        }
        if cfg.task == Task::Classification {
            let fold_classes = fitted.classes().to_vec();
            match &classes {
                None => classes = Some(fold_classes),
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
        }
        let input = FoldInput {
            fold: fold_index,
            cfg,
            tracks,
            audio: audio.as_deref(),
            text_cfg,
            resources: &data.text,
            train,
            validation,
            test,
            n_classes: fitted.classes().len(),
            n_targets: fitted.target_names().len(),
            threads: data.threads,
            device: data.device,
        };
        let out = if neural {
            neural::fold(input, &mut skips)?
        } else {
            classical_fold(input, &mut skips)?
        };
        if data.new_tracks_from.is_some() {
            new_predictions.push(NewPredictions {
                fold: fold_index,
                idx: out.test.0.idx,
                names: if cfg.task == Task::Classification {
                    fitted.classes().to_vec()
                } else {
                    fitted.target_names().to_vec()
                },
                output: out.test.1,
            });
            continue;
        }
        let fold_no = fold_index as i64;
        let n_classes = fitted.classes().len();
        record_split(
            &mut result,
            fold_no,
            Split::Train,
            &out.train.0,
            &out.train.1,
            None,
            n_classes,
            fitted.target_names(),
            tracks,
            cfg.task,
        )
        .map_err(|source| TrialError::Metrics {
            fold: fold_index,
            split: "train",
            source,
        })?;
        record_split(
            &mut result,
            fold_no,
            Split::Test,
            &out.test.0,
            &out.test.1,
            out.test_alphas.as_deref(),
            n_classes,
            fitted.target_names(),
            tracks,
            cfg.task,
        )
        .map_err(|source| TrialError::Metrics {
            fold: fold_index,
            split: "test",
            source,
        })?;
        result.metrics.extend(out.epochs);
        models.extend(out.model);
    }
    result.classes = classes;
    result.skipped = skips.into_rows();
    result.duration_s = started.elapsed().as_secs_f64();
    Ok(TrialOutput {
        result,
        models,
        new_predictions,
    })
}

/// The trial's folds: the same for every trial of a dataset, protocol, seed
/// and scheme family.
pub(crate) fn make_folds(cfg: &TrialConfig, tracks: &[Track]) -> Result<Vec<Fold>, TrialError> {
    splits::make_folds(
        &cfg.evaluation,
        tracks,
        Some(&strata(&cfg.labels, tracks)),
        derive_seed(cfg.seed, "split", 0),
    )
    .map_err(TrialError::Split)
}

/// Targets of the tracks `idx`; tracks the scheme cannot label are skipped
/// (or fail the trial, per `[labels] unlabelled`).
fn label_part(
    cfg: &TrialConfig,
    tracks: &[Track],
    fitted: &FittedLabels,
    idx: &[usize],
    skips: &mut Skips,
) -> Result<Part, TrialError> {
    let mut part = Part::default();
    for &i in idx {
        let t = &tracks[i];
        let target = match cfg.task {
            Task::Classification => fitted.class_of(t).map(Target::Class),
            Task::Regression => fitted.targets_of(t).map(Target::Values),
        };
        match target {
            Some(y) => {
                part.idx.push(i);
                part.y.push(y);
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
    Ok(part)
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

/// Metrics and (test) predictions of one split.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_split(
    result: &mut TrialResult,
    fold: i64,
    split: Split,
    part: &Part,
    output: &Output,
    alphas: Option<&[f32]>,
    n_classes: usize,
    target_names: &[String],
    tracks: &[Track],
    task: Task,
) -> Result<(), mer_metrics::MetricsError> {
    let metric = |name: String, value: f64| MetricRow {
        split,
        fold,
        epoch: None,
        name,
        value,
    };
    match (task, output) {
        (Task::Classification, Output::Classes(pred)) => {
            let truth = part.classes();
            let m = mer_metrics::classification(&truth, &pred.labels, n_classes)?;
            for (name, value) in m.scalars() {
                result.metrics.push(metric(name, value));
            }
            if split == Split::Test {
                for (r, &i) in part.idx.iter().enumerate() {
                    result.predictions.push(PredictionRow {
                        fold,
                        track_id: tracks[i].id.clone(),
                        target: "class".into(),
                        y_true: truth[r] as f64,
                        y_pred: pred.labels[r] as f64,
                        scores: pred.scores.as_ref().map(|s| s[r].clone()),
                        extra: alphas.map(|a| serde_json::json!({ "alpha": a[r] })),
                    });
                }
            }
        }
        (Task::Regression, Output::Values(pred)) => {
            let truth = part.values();
            let mut per_metric: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
            for (t, name) in target_names.iter().enumerate() {
                let yt: Vec<f64> = truth.iter().map(|r| r[t]).collect();
                let yp: Vec<f64> = pred.iter().map(|r| r[t]).collect();
                let m = mer_metrics::regression(&yt, &yp)?;
                for (metric_name, value) in m.scalars() {
                    per_metric.entry(metric_name).or_default().push(value);
                    result
                        .metrics
                        .push(metric(format!("{metric_name}_{name}"), value));
                }
            }
            // The headline metric is the mean over targets.
            for (metric_name, values) in per_metric {
                let mean = values.iter().sum::<f64>() / values.len() as f64;
                result.metrics.push(metric(metric_name.to_string(), mean));
            }
            if split == Split::Test {
                for (r, &i) in part.idx.iter().enumerate() {
                    for (t, name) in target_names.iter().enumerate() {
                        result.predictions.push(PredictionRow {
                            fold,
                            track_id: tracks[i].id.clone(),
                            target: name.clone(),
                            y_true: truth[r][t],
                            y_pred: pred[r][t],
                            scores: None,
                            extra: alphas.map(|a| serde_json::json!({ "alpha": a[r] })),
                        });
                    }
                }
            }
        }
        _ => unreachable!("outputs match the task"),
    }
    Ok(())
}

/// Lyrics features of a fold, fitted on its training tracks.
pub(crate) struct FoldText {
    pub train: mer_text::TextFeatures,
    pub validation: mer_text::TextFeatures,
    pub test: mer_text::TextFeatures,
    pub vocab_size: usize,
    /// What was fitted, to save with a network.
    pub state: mer_text::TextState,
}

pub(crate) fn fold_text(
    input: &FoldInput,
    tc: &mer_text::TextFeatureConfig,
) -> Result<FoldText, TrialError> {
    let tracks = input.tracks;
    let docs = |p: &Part| -> Vec<Option<&str>> {
        p.idx.iter().map(|&i| tracks[i].lyrics.as_deref()).collect()
    };
    let ids = |p: &Part| -> Vec<&str> { p.idx.iter().map(|&i| tracks[i].id.as_str()).collect() };
    let err = |source| TrialError::Text {
        fold: input.fold,
        source,
    };
    let fitted = mer_text::fit_with(tc, input.resources, &docs(&input.train), &ids(&input.train))
        .map_err(err)?;
    let tf = |p: &Part| fitted.transform(&docs(p), &ids(p)).map_err(err);
    Ok(FoldText {
        train: tf(&input.train)?,
        validation: tf(&input.validation)?,
        test: tf(&input.test)?,
        vocab_size: fitted.vocabulary().map_or(0, |v| v.len()),
        state: fitted.state(),
    })
}

/// Under `missing_lyrics = "drop"`, the rows without lyrics leave the trial
/// (recorded); returns which rows stay.
pub(crate) fn lyrics_kept(
    tc: &mer_text::TextFeatureConfig,
    part: &Part,
    mask: &[bool],
    tracks: &[Track],
    skips: &mut Skips,
) -> Vec<bool> {
    if tc.missing_lyrics != mer_text::MissingLyrics::Drop {
        return vec![true; part.idx.len()];
    }
    for (r, &present) in mask.iter().enumerate() {
        if !present {
            skips.add(&tracks[part.idx[r]].id, "lyrics", "no lyrics");
        }
    }
    mask.to_vec()
}

/// Oversampling or SMOTE of training rows (classification only); class
/// weights are the neural loss's business. Only training rows are seen.
pub(crate) fn rebalance(
    balancing: Balancing,
    rows: Vec<Vec<f32>>,
    y: Vec<usize>,
    seed: u64,
    fold: usize,
) -> Result<(Vec<Vec<f32>>, Vec<usize>), TrialError> {
    let err = |source| TrialError::Balancing { fold, source };
    match balancing {
        Balancing::Oversample => imbalance::oversample(rows, y, seed).map_err(err),
        Balancing::Smote { k } => imbalance::smote(rows, y, k, seed).map_err(err),
        Balancing::None | Balancing::ClassWeights => Ok((rows, y)),
    }
}

/// A classical baseline on one fold: track-level vectors (lyrics fitted on
/// the training tracks), standardised on the training fold, balanced.
fn classical_fold(input: FoldInput, skips: &mut Skips) -> Result<FoldOutput, TrialError> {
    let fold = input.fold;
    let mut train = input.train.clone();
    let mut test = input.test.clone();
    let vectors = |p: &Part| -> Vec<Vec<f64>> {
        p.idx
            .iter()
            .map(|&i| match input.audio {
                Some(col) => {
                    let f = col[i].as_ref().expect("unusable tracks were filtered out");
                    f.data.iter().map(|&x| f64::from(x)).collect()
                }
                None => Vec::new(),
            })
            .collect()
    };
    let mut train_rows = vectors(&train);
    let mut test_rows = vectors(&test);
    let mut text_state = None;
    if let Some(tc) = input.text_cfg {
        let ft = fold_text(&input, tc)?;
        text_state = Some(ft.state.clone());
        for (rows, feats) in [(&mut train_rows, &ft.train), (&mut test_rows, &ft.test)] {
            for (r, row) in rows.iter_mut().enumerate() {
                let v = feats
                    .dense_row(r)
                    .expect("vector representations give dense rows");
                row.extend(v.iter().map(|&x| f64::from(x)));
            }
        }
        let keep_train = lyrics_kept(tc, &train, &ft.train.mask, input.tracks, skips);
        let keep_test = lyrics_kept(tc, &test, &ft.test.mask, input.tracks, skips);
        let pick = |rows: Vec<Vec<f64>>, keep: &[bool]| -> Vec<Vec<f64>> {
            rows.into_iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(r, _)| r)
                .collect()
        };
        train_rows = pick(train_rows, &keep_train);
        test_rows = pick(test_rows, &keep_test);
        train = train.filter(&keep_train);
        test = test.filter(&keep_test);
        if train.idx.is_empty() || test.idx.is_empty() {
            return Err(TrialError::Data {
                fold,
                what: "no training or test track has lyrics".into(),
            });
        }
    }
    let shape = |e: mer_core::RaggedRows| TrialError::Model {
        fold,
        source: e.into(),
    };
    let mut x_train = Matrix::from_rows(&train_rows).map_err(shape)?;
    let mut x_test = Matrix::from_rows(&test_rows).map_err(shape)?;
    let scaler = StandardScaler::fit(&x_train);
    scaler.transform(&mut x_train);
    scaler.transform(&mut x_test);
    let seed = derive_seed(input.cfg.seed, "model", fold);
    let model_err = |source| TrialError::Model { fold, source };
    let (train_out, test_out, model) = match input.cfg.task {
        Task::Classification => {
            // Balanced copies train the model; metrics stay on the real rows.
            let (x_fit, y_fit) = match input.cfg.label_options.balancing {
                Balancing::None | Balancing::ClassWeights => (x_train.clone(), train.classes()),
                b => {
                    let rows: Vec<Vec<f32>> = (0..x_train.rows)
                        .map(|r| x_train.row(r).iter().map(|&v| v as f32).collect())
                        .collect();
                    let (rows, y) = rebalance(
                        b,
                        rows,
                        train.classes(),
                        derive_seed(input.cfg.seed, "balance", fold),
                        fold,
                    )?;
                    let rows: Vec<Vec<f64>> = rows
                        .into_iter()
                        .map(|r| r.into_iter().map(f64::from).collect())
                        .collect();
                    (Matrix::from_rows(&rows).map_err(shape)?, y)
                }
            };
            let model =
                classical::fit_classifier(&input.cfg.model, &x_fit, &y_fit, input.n_classes, seed)
                    .map_err(model_err)?;
            (
                Output::Classes(model.predict(&x_train).map_err(model_err)?),
                Output::Classes(model.predict(&x_test).map_err(model_err)?),
                model.to_bytes().map_err(model_err)?,
            )
        }
        Task::Regression => {
            let model = classical::fit_regressor(&input.cfg.model, &x_train, &train.values(), seed)
                .map_err(model_err)?;
            (
                Output::Values(model.predict(&x_train).map_err(model_err)?),
                Output::Values(model.predict(&x_test).map_err(model_err)?),
                model.to_bytes().map_err(model_err)?,
            )
        }
    };
    Ok(FoldOutput {
        train: (train, train_out),
        test: (test, test_out),
        test_alphas: None,
        epochs: Vec::new(),
        model: Some(FoldModel {
            fold,
            kind: FoldModelKind::Classical {
                model,
                preprocess: ClassicalPreprocess {
                    text: text_state,
                    scaler,
                },
            },
        }),
    })
}

/// The folds as track ids, stored once per split hash so a re-run can check
/// it uses exactly the same tracks.
pub(crate) fn split_manifest(folds: &[Fold], tracks: &[Track]) -> String {
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
