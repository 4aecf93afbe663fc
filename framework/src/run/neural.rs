//! A neural network on one fold: the fold's tracks become plain arrays
//! ([`NeuralData`]), normalised with statistics of the training tracks only,
//! balanced inside the training fold, and trained with early stopping on the
//! fold's validation tracks. The network sees no test track until it
//! predicts.

use std::ops::ControlFlow;

use mer_model::classical::{ClassPrediction, argmax};
use mer_model::neural::{self, NeuralConfig, NeuralRuntime, Targets};
use mer_model::train::EpochRecord;
use mer_model::train::imbalance::Balancing;
use mer_model::{InputKind, ModelConfig, Task};
use mer_store::{MetricRow, Split};
use mer_text::FeatureMatrix;

use super::artifacts::{FoldModel, FoldModelKind};
use super::preprocess::{Normaliser, Preprocess, text_rows};
use super::trial::{
    FoldInput, FoldOutput, Output, Part, Skips, Target, TrialError, derive_seed, fold_text,
    lyrics_kept, rebalance,
};

/// The network of `input.cfg` trained and evaluated on one fold.
pub(crate) fn fold(input: FoldInput, skips: &mut Skips) -> Result<FoldOutput, TrialError> {
    let fold = input.fold;
    let cfg = input.cfg;
    let ModelConfig::Neural(net) = &cfg.model else {
        unreachable!("only neural configs come here")
    };
    let mut train_cfg = cfg.train.clone().unwrap_or_default();
    let balancing = if cfg.task == Task::Classification {
        cfg.label_options.balancing
    } else {
        Balancing::None
    };
    if balancing == Balancing::ClassWeights {
        train_cfg.class_weights = true;
    }
    let (audio_kind, text_kind) = input_kinds(&cfg.inputs());
    // The residual MLP on fusion reads the audio and lyrics vectors as one.
    let concat =
        matches!(net, NeuralConfig::ResidualMlp(_)) && audio_kind.is_some() && text_kind.is_some();

    let mut parts = [
        input.train.clone(),
        input.validation.clone(),
        input.test.clone(),
    ];
    let lyrics = match (input.text_cfg, text_kind) {
        (Some(tc), Some(kind)) => lyrics_rows(&input, tc, kind, &mut parts, skips)?,
        _ => LyricsRows::default(),
    };
    let (audio_shape, audio_norm) = match (input.audio, audio_kind) {
        (Some(col), Some(kind)) => fit_audio_norm(col, kind, &parts[0]),
        _ => (Vec::new(), None),
    };
    let mut pre = Preprocess {
        audio_kind,
        text_kind,
        concat,
        audio_shape,
        token_shape: lyrics.token_shape,
        audio_norm,
        text: lyrics.state,
    };
    let mut audio_rows: [Vec<Vec<f32>>; 3] = Default::default();
    if let Some(col) = input.audio.filter(|_| audio_kind.is_some()) {
        for (rows, part) in audio_rows.iter_mut().zip(&parts) {
            *rows = part
                .idx
                .iter()
                .map(|&i| {
                    let f = col[i].as_ref().expect("unusable tracks were filtered out");
                    pre.audio_row(&f.data)
                })
                .collect();
        }
    }
    let text_rows = lyrics.rows;
    if concat {
        for (audio, text) in audio_rows.iter_mut().zip(&text_rows) {
            for (a, t) in audio.iter_mut().zip(text) {
                a.extend_from_slice(t);
            }
        }
        pre.audio_shape = vec![audio_rows[0][0].len()];
    }

    // Balanced copies of the training rows (oversampling or SMOTE) train the
    // network; the real rows are what train metrics are computed on.
    let fit_rows = match balancing {
        Balancing::Oversample | Balancing::Smote { .. } => balanced_rows(
            balancing,
            &audio_rows[0],
            &text_rows[0],
            concat,
            &parts[0],
            derive_seed(cfg.seed, "balance", fold),
            fold,
        )?,
        _ => (
            audio_rows[0].clone(),
            text_rows[0].clone(),
            parts[0].y.clone(),
        ),
    };

    let build = |s: usize, with_targets: bool| {
        pre.data(
            &audio_rows[s],
            &text_rows[s],
            Some(&lyrics.present[s]),
            with_targets.then(|| targets(cfg.task, input.n_targets, &parts[s].y)),
        )
    };
    let fit_data = pre.data(
        &fit_rows.0,
        &fit_rows.1,
        None,
        Some(targets(cfg.task, input.n_targets, &fit_rows.2)),
    );
    let (train_data, val_data, test_data) = (build(0, true), build(1, true), build(2, false));

    let mut records: Vec<EpochRecord> = Vec::new();
    let mut observer = |r: &EpochRecord| {
        records.push(r.clone());
        ControlFlow::Continue(())
    };
    let outcome = neural::fit_predict(
        net,
        &train_cfg,
        head(cfg.task, &input),
        &fit_data,
        (!parts[1].idx.is_empty()).then_some(&val_data),
        &[&train_data, &test_data],
        derive_seed(cfg.seed, "model", fold),
        NeuralRuntime {
            threads: input.threads,
            device: input.device,
        },
        &mut observer,
    )
    .map_err(|source| TrialError::Neural { fold, source })?;

    let [train_pred, test_pred] = [&outcome.predictions[0], &outcome.predictions[1]];
    let [train, _, test] = parts;
    Ok(FoldOutput {
        train: (train, to_output(cfg.task, train_pred)),
        test_alphas: test_pred.alphas.clone(),
        test: (test, to_output(cfg.task, test_pred)),
        epochs: epoch_rows(fold, &records),
        model: Some(FoldModel {
            fold,
            kind: FoldModelKind::Neural {
                weights: outcome.weights,
                dims: outcome.dims,
                best_epoch: outcome.best_epoch,
                preprocess: pre,
            },
        }),
    })
}

/// The audio input and the lyrics input among a trial's inputs.
fn input_kinds(kinds: &[InputKind]) -> (Option<InputKind>, Option<InputKind>) {
    let audio = kinds.iter().copied().find(|k| {
        matches!(
            k,
            InputKind::AudioVector
                | InputKind::AudioSequence
                | InputKind::AudioMel
                | InputKind::AudioWaveform
        )
    });
    let text = kinds
        .iter()
        .copied()
        .find(|k| matches!(k, InputKind::TextVector | InputKind::TextTokens));
    (audio, text)
}

/// The lyrics rows of each split (train, validation, test), as the network
/// reads them.
#[derive(Default)]
struct LyricsRows {
    rows: [Vec<Vec<f32>>; 3],
    /// Which rows have lyrics.
    present: [Vec<bool>; 3],
    /// Token ids: `(max_len, vocabulary size)`.
    token_shape: (usize, usize),
    /// What was fitted, to save with the network.
    state: Option<mer_text::TextState>,
}

/// Lyrics features fitted on the training tracks; rows without lyrics leave
/// their split (`parts`) under `missing_lyrics = "drop"`.
fn lyrics_rows(
    input: &FoldInput,
    tc: &mer_text::TextFeatureConfig,
    kind: InputKind,
    parts: &mut [Part; 3],
    skips: &mut Skips,
) -> Result<LyricsRows, TrialError> {
    let fold = input.fold;
    let ft = fold_text(input, tc)?;
    let mut out = LyricsRows {
        token_shape: (0, ft.vocab_size),
        state: Some(ft.state.clone()),
        ..LyricsRows::default()
    };
    for (s, (part, feats)) in parts
        .iter_mut()
        .zip([&ft.train, &ft.validation, &ft.test])
        .enumerate()
    {
        let keep = lyrics_kept(tc, part, &feats.mask, input.tracks, skips);
        if let FeatureMatrix::TokenIds { max_len, .. } = &feats.matrix {
            out.token_shape.0 = *max_len;
        }
        let rows = text_rows(&feats.matrix, kind).ok_or_else(|| TrialError::Data {
            fold,
            what: format!("lyrics features do not match the {kind} input"),
        })?;
        out.present[s] = feats
            .mask
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(m, _)| *m)
            .collect();
        out.rows[s] = rows
            .into_iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(r, _)| r)
            .collect();
        *part = part.filter(&keep);
    }
    if parts[0].idx.is_empty() || parts[2].idx.is_empty() {
        return Err(TrialError::Data {
            fold,
            what: "no training or test track has lyrics".into(),
        });
    }
    Ok(out)
}

/// The shape of one audio item and its normaliser, fitted on the training
/// tracks.
fn fit_audio_norm(
    col: &[Result<mer_audio::Features, String>],
    kind: InputKind,
    train: &Part,
) -> (Vec<usize>, Option<Normaliser>) {
    let items: Vec<&mer_audio::Features> = train
        .idx
        .iter()
        .map(|&i| col[i].as_ref().expect("unusable tracks were filtered out"))
        .collect();
    let shape = items[0].shape.clone();
    let data: Vec<&[f32]> = items.iter().map(|f| f.data.as_slice()).collect();
    let norm = Normaliser::fit(kind, &shape, &data);
    (shape, norm)
}

/// The rows a network is fitted on: audio rows, lyrics rows, targets.
type FitRows = (Vec<Vec<f32>>, Vec<Vec<f32>>, Vec<Target>);

/// The training rows oversampled or SMOTE-d (audio and lyrics together,
/// split again after), with their classes.
fn balanced_rows(
    balancing: Balancing,
    audio: &[Vec<f32>],
    text: &[Vec<f32>],
    concat: bool,
    train: &Part,
    seed: u64,
    fold: usize,
) -> Result<FitRows, TrialError> {
    let a_len = audio.first().map_or(0, Vec::len);
    let rows: Vec<Vec<f32>> = (0..train.idx.len())
        .map(|r| {
            let mut row = audio.get(r).cloned().unwrap_or_default();
            if !concat {
                row.extend(text.get(r).cloned().unwrap_or_default());
            }
            row
        })
        .collect();
    let (rows, y) = rebalance(balancing, rows, train.classes(), seed, fold)?;
    let (a, t): (Vec<Vec<f32>>, Vec<Vec<f32>>) = rows
        .into_iter()
        .map(|mut r| {
            let t = r.split_off(a_len.min(r.len()));
            (r, t)
        })
        .unzip();
    Ok((
        a,
        if concat { Vec::new() } else { t },
        y.into_iter().map(Target::Class).collect(),
    ))
}

/// The network's output head for the trial's task.
fn head(task: Task, input: &FoldInput) -> neural::Head {
    match task {
        Task::Classification => neural::Head::Classification {
            n_classes: input.n_classes,
        },
        Task::Regression => neural::Head::Regression {
            n_targets: input.n_targets,
        },
    }
}

/// The targets of some rows, as the network reads them.
fn targets(task: Task, n_targets: usize, y: &[Target]) -> Targets {
    match task {
        Task::Classification => Targets::Classes(y.iter().map(Target::class).collect()),
        Task::Regression => Targets::Values {
            n_targets,
            data: y
                .iter()
                .flat_map(|t| t.values().iter().map(|&v| v as f32))
                .collect(),
        },
    }
}

/// Per-epoch training and validation rows for the store.
fn epoch_rows(fold: usize, records: &[EpochRecord]) -> Vec<MetricRow> {
    let fold_no = fold as i64;
    let mut epochs = Vec::new();
    for r in records {
        let row = |split, name: &str, value| MetricRow {
            split,
            fold: fold_no,
            epoch: Some(r.epoch as i64),
            name: name.to_string(),
            value,
        };
        epochs.push(row(Split::Train, "loss", r.train_loss));
        epochs.push(row(Split::Train, "lr", r.lr));
        if let Some(v) = r.validation_loss {
            epochs.push(row(Split::Validation, "loss", v));
        }
        for (name, v) in &r.validation_metrics {
            epochs.push(row(Split::Validation, name, *v));
        }
    }
    epochs
}

/// A network's predictions as the pipeline's output: classes (argmax, with
/// the outputs as scores) or values.
fn to_output(task: Task, p: &neural::Predictions) -> Output {
    let rows: Vec<Vec<f64>> = p
        .outputs
        .chunks(p.n_outputs.max(1))
        .map(|c| c.iter().map(|&v| f64::from(v)).collect())
        .collect();
    match task {
        Task::Classification => Output::Classes(ClassPrediction {
            labels: rows.iter().map(|r| argmax(r)).collect(),
            scores: Some(rows),
        }),
        Task::Regression => Output::Values(rows),
    }
}
