//! What every trial runner shares (the classical pipeline, the network
//! fold, ensembles): a trial's data, outputs and errors; its folds and their
//! parts; and the steps every fold takes the same way (seeds, lyrics fitted
//! on the training tracks, class balancing, recording a split).

use std::collections::BTreeMap;
use std::sync::Arc;

use mer_audio::Features;
use mer_data::labels::{self, LabelScheme};
use mer_data::splits::{self, Fold};
use mer_data::{Dataset, Track};
use mer_model::Task;
use mer_model::classical::{self, ClassPrediction};
use mer_model::train::imbalance::{self, Balancing};
use mer_spec::TrialConfig;
use mer_store::{MetricRow, PredictionRow, SkippedTrack, Split, TrialResult};

use super::artifacts::FoldModel;

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
    #[error(
        "fold {fold}, {split}: the model's {what} for track {track} are not finite (NaN or \
         infinity); nothing is recorded from them. Check that track's inputs and the training \
         settings (learning rate, feature scaling)"
    )]
    NonFinite {
        fold: usize,
        split: &'static str,
        track: String,
        what: &'static str,
    },
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
) -> Result<(), TrialError> {
    check_finite(output, part, tracks, fold as usize, split)?;
    let metrics_err = |source| TrialError::Metrics {
        fold: fold as usize,
        split: split.as_str(),
        source,
    };
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
            let m = mer_metrics::classification(&truth, &pred.labels, n_classes)
                .map_err(metrics_err)?;
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
                let m = mer_metrics::regression(&yt, &yp).map_err(metrics_err)?;
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

/// A model's outputs that are not finite fail the trial; they never become
/// recorded predictions or metrics.
fn check_finite(
    output: &Output,
    part: &Part,
    tracks: &[Track],
    fold: usize,
    split: Split,
) -> Result<(), TrialError> {
    let finite = |row: &Vec<f64>| row.iter().all(|v| v.is_finite());
    let (bad, what) = match output {
        Output::Classes(p) => (
            p.scores
                .as_ref()
                .and_then(|s| s.iter().position(|r| !finite(r))),
            "class scores",
        ),
        Output::Values(v) => (v.iter().position(|r| !finite(r)), "predicted values"),
    };
    match bad {
        None => Ok(()),
        Some(r) => Err(TrialError::NonFinite {
            fold,
            split: split.as_str(),
            track: part
                .idx
                .get(r)
                .map_or_else(|| format!("row {r}"), |&i| tracks[i].id.clone()),
            what,
        }),
    }
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

    #[test]
    fn non_finite_outputs_fail_the_fold_naming_the_track_and_record_nothing() {
        let tracks: Vec<Track> = ["t0", "t1", "t2"]
            .iter()
            .map(|id| Track::new(id.to_string()))
            .collect();
        let part = Part {
            idx: vec![2, 0],
            y: vec![Target::Values(vec![0.1]), Target::Values(vec![0.2])],
        };
        let output = Output::Values(vec![vec![0.3], vec![f64::NAN]]);
        let mut result = TrialResult::default();
        let err = record_split(
            &mut result,
            1,
            Split::Test,
            &part,
            &output,
            None,
            0,
            &["valence".to_string()],
            &tracks,
            Task::Regression,
        )
        .unwrap_err();
        match &err {
            TrialError::NonFinite {
                fold, split, track, ..
            } => assert_eq!((*fold, *split, track.as_str()), (1, "test", "t0")),
            other => panic!("expected NonFinite, got {other}"),
        }
        assert!(result.metrics.is_empty() && result.predictions.is_empty());

        let scores = Output::Classes(ClassPrediction {
            labels: vec![0, 1],
            scores: Some(vec![vec![0.5, 0.5], vec![f64::INFINITY, 0.0]]),
        });
        let part = Part {
            idx: vec![1, 2],
            y: vec![Target::Class(0), Target::Class(1)],
        };
        let err = record_split(
            &mut result,
            0,
            Split::Train,
            &part,
            &scores,
            None,
            2,
            &[],
            &tracks,
            Task::Classification,
        )
        .unwrap_err();
        assert!(err.to_string().contains("track t2"), "{err}");
        assert!(err.to_string().contains("class scores"), "{err}");
    }
}
