//! One trial, start to finish, in memory: folds -> labels fitted on the
//! training fold -> features (lyrics fitted on the training fold) ->
//! normalisation and class balancing fitted on the training fold -> model ->
//! predictions and metrics.
//!
//! Pure given its inputs (the dataset, pre-extracted audio features, and for
//! ensembles the members' recorded predictions), so the same trial run twice
//! gives bit-identical results: every random choice is seeded from the trial
//! seed and the fold index.

use std::sync::Arc;

use mer_data::Track;
use mer_data::labels::{self, FittedLabels, LabelScheme};
use mer_data::splits;
use mer_model::classical::{self, Matrix};
use mer_model::train::imbalance::Balancing;
use mer_model::train::scaler::StandardScaler;
use mer_model::{InputKind, ModelConfig, Task};
use mer_spec::{TrialConfig, UnlabelledPolicy};
use mer_store::{Split, TrialResult};

use super::artifacts::{ClassicalPreprocess, FoldModel, FoldModelKind};
use super::trial::{
    AudioColumn, FoldInput, FoldOutput, NewPredictions, Output, Part, Skips, Target, TrialData,
    TrialError, TrialOutput, derive_seed, fold_text, lyrics_kept, make_folds, rebalance,
    record_split, split_manifest,
};
use super::{ensemble, neural};

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
        )?;
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
        )?;
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
