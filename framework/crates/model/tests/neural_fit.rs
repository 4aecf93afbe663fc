//! Fitting through the public API: overfitting a tiny batch, determinism,
//! non-finite losses, saved weights, observers, early stopping, and gated
//! fusion on a toy problem where each modality carries half the signal.

use std::ops::ControlFlow;

use mer_model::neural::*;
use mer_model::train::{EarlyStoppingConfig, EpochRecord, NoopObserver, TrainConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rand_vec(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect()
}

fn cpu(threads: usize) -> NeuralRuntime {
    NeuralRuntime {
        device: ComputeDevice::Cpu,
        threads,
    }
}

/// Small versions of every architecture, with random inputs for `n` tracks.
fn cases(n: usize, rng: &mut ChaCha8Rng) -> Vec<(NeuralConfig, NeuralData)> {
    let tokens = |rng: &mut ChaCha8Rng| TextInput::Tokens {
        max_len: 8,
        vocab_size: 40,
        ids: (0..n * 8).map(|_| rng.random_range(1..40)).collect(),
    };
    let text_vec = |rng: &mut ChaCha8Rng| TextInput::Vector {
        dims: 12,
        data: rand_vec(rng, n * 12),
        present: vec![true; n],
    };
    let mel = |rng: &mut ChaCha8Rng| AudioInput::Mel {
        n_mels: 16,
        frames: 32,
        data: rand_vec(rng, n * 16 * 32),
    };
    let seq = |rng: &mut ChaCha8Rng| AudioInput::Sequence {
        frames: 16,
        dims: 6,
        data: rand_vec(rng, n * 16 * 6),
    };
    let d = |audio, text| NeuralData {
        audio,
        text,
        targets: None,
    };
    let small_seq = SeqCnnConfig {
        conv_channels: vec![16, 16],
        lstm_hidden: 16,
        dense: 16,
        dropout: 0.0,
        ..SeqCnnConfig::default()
    };
    vec![
        (
            NeuralConfig::ResidualMlp(ResidualMlpConfig {
                hidden: 32,
                dropout: 0.0,
                ..ResidualMlpConfig::default()
            }),
            d(
                Some(AudioInput::Vector {
                    dims: 10,
                    data: rand_vec(rng, n * 10),
                }),
                None,
            ),
        ),
        (
            NeuralConfig::GatedFusion(GatedFusionConfig {
                hidden: 32,
                dropout: 0.0,
                ..GatedFusionConfig::default()
            }),
            d(
                Some(AudioInput::Vector {
                    dims: 10,
                    data: rand_vec(rng, n * 10),
                }),
                Some(text_vec(rng)),
            ),
        ),
        (
            NeuralConfig::TextProjection(TextModelConfig {
                encoder: ProjectionEncoderConfig { dim: 32 },
                dropout: 0.0,
            }),
            d(None, Some(text_vec(rng))),
        ),
        (
            NeuralConfig::TextBilstm(TextModelConfig {
                encoder: BilstmEncoderConfig {
                    embedding_dim: 16,
                    hidden: 16,
                },
                dropout: 0.0,
            }),
            d(None, Some(tokens(rng))),
        ),
        (
            NeuralConfig::TextCnn(TextModelConfig {
                encoder: CnnEncoderConfig {
                    embedding_dim: 16,
                    filters: 16,
                    kernel_sizes: vec![2, 3],
                },
                dropout: 0.0,
            }),
            d(None, Some(tokens(rng))),
        ),
        (
            NeuralConfig::LstmCnn(small_seq.clone()),
            d(Some(seq(rng)), None),
        ),
        (NeuralConfig::BilstmCnn(small_seq), d(Some(seq(rng)), None)),
        (
            NeuralConfig::Cnn2d(Cnn2dConfig {
                channels: vec![8, 8, 8],
                dense: 32,
                dropout: 0.0,
            }),
            d(Some(mel(rng)), None),
        ),
        (
            NeuralConfig::Cnn2dSpecaug(Cnn2dSpecaugConfig {
                channels: vec![8, 8, 8],
                dense: 32,
                dropout: 0.0,
                specaug: SpecAugmentConfig {
                    freq_masks: 1,
                    freq_width: 2,
                    time_masks: 1,
                    time_width: 3,
                },
            }),
            d(Some(mel(rng)), None),
        ),
        (
            NeuralConfig::ConcatLstm(ConcatLstmConfig {
                conv_channels: vec![16],
                kernel_size: 3,
                pool: 2,
                lstm_hidden: 16,
                dense: 16,
                dropout: 0.0,
                ..ConcatLstmConfig::default()
            }),
            d(Some(mel(rng)), Some(text_vec(rng))),
        ),
        (
            NeuralConfig::ConvGruTransformer(ConvGruTransformerConfig {
                conv_channels: vec![16, 16],
                gru_hidden: 16,
                layers: 1,
                heads: 2,
                ff: 32,
                dense: 16,
                dropout: 0.0,
                ..ConvGruTransformerConfig::default()
            }),
            d(Some(mel(rng)), None),
        ),
    ]
}

fn classes(n: usize, k: usize) -> Vec<usize> {
    (0..n).map(|i| i % k).collect()
}

fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |a, (i, &v)| if v > a.1 { (i, v) } else { a },
        )
        .0
}

fn accuracy(p: &Predictions, truth: &[usize]) -> f64 {
    let hits = p
        .outputs
        .chunks(p.n_outputs)
        .zip(truth)
        .filter(|(row, t)| argmax(row) == **t)
        .count();
    hits as f64 / truth.len() as f64
}

/// The error of a two-class fit that must fail.
fn fit_error(cfg: &NeuralConfig, train: &TrainConfig, data: &NeuralData) -> NeuralError {
    fit_predict(
        cfg,
        train,
        Head::Classification { n_classes: 2 },
        data,
        None,
        &[],
        1,
        cpu(2),
        &mut NoopObserver,
    )
    .unwrap_err()
}

fn no_stopping(epochs: usize, lr: f64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 8,
        lr,
        early_stopping: EarlyStoppingConfig {
            patience: 0,
            restore_best: false,
        },
        ..TrainConfig::default()
    }
}

#[test]
fn every_architecture_overfits_a_tiny_batch() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let n = 8;
    for (cfg, mut data) in cases(n, &mut rng) {
        let truth = classes(n, 4);
        data.targets = Some(Targets::Classes(truth.clone()));
        let task = Head::Classification { n_classes: 4 };
        let out = fit_predict(
            &cfg,
            &no_stopping(60, 3e-3),
            task,
            &data,
            None,
            &[&data],
            1,
            cpu(2),
            &mut NoopObserver,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", cfg.arch()));
        let acc = accuracy(&out.predictions[0], &truth);
        assert_eq!(acc, 1.0, "{} reached training accuracy {acc}", cfg.arch());
    }
}

#[test]
fn regression_head_overfits_two_targets() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let n = 8;
    let (cfg, mut data) = cases(n, &mut rng).swap_remove(6); // bilstm_cnn
    assert_eq!(cfg.arch(), "bilstm_cnn");
    let y = rand_vec(&mut rng, n * 2);
    data.targets = Some(Targets::Values {
        n_targets: 2,
        data: y.clone(),
    });
    let out = fit_predict(
        &cfg,
        &no_stopping(150, 3e-3),
        Head::Regression { n_targets: 2 },
        &data,
        None,
        &[&data],
        1,
        cpu(2),
        &mut NoopObserver,
    )
    .unwrap();
    let p = &out.predictions[0];
    assert_eq!(p.n_outputs, 2);
    let mse: f32 = p
        .outputs
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f32>()
        / y.len() as f32;
    let var: f32 = y.iter().map(|v| v * v).sum::<f32>() / y.len() as f32;
    assert!(mse < 0.05 * var, "mse {mse} vs target variance {var}");
}

#[test]
fn same_call_twice_is_bit_identical_including_weights() {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let n = 12;
    let train_cfg = TrainConfig {
        epochs: 3,
        batch_size: 4,
        mixup_alpha: 0.4,
        schedule: mer_model::train::ScheduleKind::OneCycle,
        grad_clip: 1.0,
        ..TrainConfig::default()
    };
    for (mut cfg, mut data) in cases(n, &mut rng) {
        if matches!(cfg, NeuralConfig::TextBilstm(_) | NeuralConfig::TextCnn(_)) {
            continue; // MixUp needs continuous inputs; covered below without it
        }
        // dropout on, so masks are part of what must repeat
        if let NeuralConfig::Cnn2dSpecaug(c) = &mut cfg {
            c.dropout = 0.3;
        }
        data.targets = Some(Targets::Classes(classes(n, 3)));
        let task = Head::Classification { n_classes: 3 };
        let run = |threads| {
            fit_predict(
                &cfg,
                &train_cfg,
                task,
                &data,
                Some(&data),
                &[&data],
                77,
                cpu(threads),
                &mut NoopObserver,
            )
            .unwrap()
        };
        let a = run(2);
        let b = run(2);
        assert_eq!(a.predictions, b.predictions, "{}", cfg.arch());
        assert_eq!(a.weights, b.weights, "{}", cfg.arch());
        let c = run(1);
        assert_eq!(
            a.predictions,
            c.predictions,
            "{}: 1 vs 2 threads",
            cfg.arch()
        );
    }
}

#[test]
fn different_seeds_give_different_models() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let (cfg, mut data) = cases(8, &mut rng).swap_remove(0);
    data.targets = Some(Targets::Classes(classes(8, 2)));
    let task = Head::Classification { n_classes: 2 };
    let fit = |seed| {
        fit_predict(
            &cfg,
            &no_stopping(2, 1e-3),
            task,
            &data,
            None,
            &[&data],
            seed,
            cpu(2),
            &mut NoopObserver,
        )
        .unwrap()
    };
    assert_ne!(fit(1).predictions, fit(2).predictions);
}

#[test]
fn non_finite_loss_ends_training_with_an_error() {
    let n = 8;
    let data = NeuralData {
        // finite inputs so large that the first layer overflows to infinity
        audio: Some(AudioInput::Vector {
            dims: 4,
            data: vec![3.0e38; n * 4],
        }),
        text: None,
        targets: Some(Targets::Classes(classes(n, 2))),
    };
    let cfg = NeuralConfig::ResidualMlp(ResidualMlpConfig::default());
    let err = fit_error(&cfg, &no_stopping(3, 1e-3), &data);
    assert!(
        matches!(
            err,
            NeuralError::NonFiniteLoss {
                epoch: 1,
                batch: Some(1)
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("loss is not finite at epoch 1, training batch 1"),
        "{err}"
    );
}

#[test]
fn bad_data_is_rejected_with_the_row_and_rule() {
    let data = NeuralData {
        audio: Some(AudioInput::Vector {
            dims: 2,
            data: vec![0.0, 1.0, f32::NAN, 2.0],
        }),
        text: None,
        targets: Some(Targets::Classes(vec![0, 1])),
    };
    let cfg = NeuralConfig::ResidualMlp(ResidualMlpConfig::default());
    let err = fit_error(&cfg, &TrainConfig::default(), &data);
    assert_eq!(
        err.to_string(),
        "audio: row 1 (value 0 of the row) is NaN; inputs must be finite"
    );
    let cfg = NeuralConfig::Cnn2d(Cnn2dConfig::default());
    let err = fit_error(&cfg, &TrainConfig::default(), &data);
    assert!(
        matches!(
            err,
            NeuralError::MissingInput {
                kind: InputKind::AudioMel,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn mixup_is_rejected_for_token_inputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let (cfg, mut data) = cases(4, &mut rng).swap_remove(3);
    assert_eq!(cfg.arch(), "text_bilstm");
    data.targets = Some(Targets::Classes(classes(4, 2)));
    let train_cfg = TrainConfig {
        mixup_alpha: 0.2,
        ..TrainConfig::default()
    };
    let err = fit_error(&cfg, &train_cfg, &data);
    assert!(matches!(err, NeuralError::MixupWithTokens { .. }), "{err}");
}

#[test]
fn saved_weights_reload_to_the_same_predictions() {
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let n = 10;
    for (cfg, mut data) in cases(n, &mut rng) {
        data.targets = Some(Targets::Classes(classes(n, 3)));
        let task = Head::Classification { n_classes: 3 };
        let out = fit_predict(
            &cfg,
            &no_stopping(2, 1e-3),
            task,
            &data,
            None,
            &[&data],
            5,
            cpu(2),
            &mut NoopObserver,
        )
        .unwrap();
        let predictor = load_predictor(&cfg, task, out.dims, &out.weights, cpu(2)).unwrap();
        let again = predictor.predict(&data).unwrap();
        assert_eq!(again, out.predictions[0], "{}", cfg.arch());
        let err = load_predictor(
            &cfg,
            task,
            out.dims,
            &out.weights[..out.weights.len() / 2],
            cpu(2),
        )
        .unwrap_err();
        assert!(
            matches!(err, NeuralError::Weights { .. }),
            "{}: {err}",
            cfg.arch()
        );
    }
}

#[test]
fn observer_sees_every_epoch_and_can_stop_training() {
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    let (cfg, mut data) = cases(12, &mut rng).swap_remove(0);
    data.targets = Some(Targets::Classes(classes(12, 3)));
    let task = Head::Classification { n_classes: 3 };
    let mut seen: Vec<EpochRecord> = Vec::new();
    let mut obs = |r: &EpochRecord| {
        seen.push(r.clone());
        ControlFlow::Continue(())
    };
    let train_cfg = TrainConfig {
        schedule: mer_model::train::ScheduleKind::Cosine,
        ..no_stopping(4, 1e-2)
    };
    fit_predict(
        &cfg,
        &train_cfg,
        task,
        &data,
        Some(&data),
        &[],
        1,
        cpu(2),
        &mut obs,
    )
    .unwrap();
    assert_eq!(
        seen.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    for r in &seen {
        assert!(r.train_loss.is_finite() && r.validation_loss.unwrap().is_finite());
        assert!(
            r.validation_metrics.contains_key("accuracy")
                && r.validation_metrics.contains_key("macro_f1")
        );
    }
    // cosine: the last step's rate is well below the first epoch's
    assert!(seen[3].lr < seen[0].lr);
    let mut stop_at_two = |r: &EpochRecord| {
        if r.epoch == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let err = fit_predict(
        &cfg,
        &train_cfg,
        task,
        &data,
        Some(&data),
        &[],
        1,
        cpu(2),
        &mut stop_at_two,
    )
    .unwrap_err();
    assert!(matches!(err, NeuralError::Stopped { epoch: 2 }), "{err}");
}

#[test]
fn early_stopping_restores_the_epoch_with_the_lowest_validation_loss() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let n = 24;
    let (cfg, mut train) = cases(n, &mut rng).swap_remove(0);
    train.targets = Some(Targets::Classes(classes(n, 3)));
    // validation labels unrelated to the inputs: its loss soon rises
    let (_, mut valid) = cases(n, &mut rng).swap_remove(0);
    valid.targets = Some(Targets::Classes(
        (0..n).map(|_| rng.random_range(0..3)).collect(),
    ));
    let task = Head::Classification { n_classes: 3 };
    let train_cfg = TrainConfig {
        epochs: 40,
        batch_size: 8,
        lr: 1e-2,
        early_stopping: EarlyStoppingConfig {
            patience: 3,
            restore_best: true,
        },
        ..TrainConfig::default()
    };
    let mut losses = Vec::new();
    let mut obs = |r: &EpochRecord| {
        losses.push(r.validation_loss.unwrap());
        ControlFlow::Continue(())
    };
    let out = fit_predict(
        &cfg,
        &train_cfg,
        task,
        &train,
        Some(&valid),
        &[&valid],
        3,
        cpu(2),
        &mut obs,
    )
    .unwrap();
    assert!(out.epochs_run < 40, "ran {} epochs", out.epochs_run);
    assert_eq!(losses.len(), out.epochs_run);
    let best = losses.iter().enumerate().fold(
        (0, f64::INFINITY),
        |a, (i, &l)| if l < a.1 { (i, l) } else { a },
    );
    assert_eq!(out.best_epoch, best.0 + 1);
    assert_eq!(out.epochs_run, out.best_epoch + 3);
    // the kept weights are the best epoch's: their validation loss matches
    let p = &out.predictions[0];
    let truth = match &valid.targets {
        Some(Targets::Classes(c)) => c.clone(),
        _ => unreachable!(),
    };
    let ce: f64 = p
        .outputs
        .chunks(3)
        .zip(&truth)
        .map(|(row, &t)| -f64::from(row[t]).ln())
        .sum::<f64>()
        / n as f64;
    assert!((ce - best.1).abs() < 1e-4, "{ce} vs {}", best.1);
}

/// Four classes = (audio bit, text bit): each modality alone can tell only
/// two classes apart, so it cannot beat 50 % by much; gated fusion sees both.
#[test]
fn gated_fusion_beats_each_modality_when_each_carries_half_the_signal() {
    let mut rng = ChaCha8Rng::seed_from_u64(18);
    let make = |rng: &mut ChaCha8Rng, n: usize| {
        let labels: Vec<usize> = (0..n).map(|i| i % 4).collect();
        let mut audio = Vec::with_capacity(n * 8);
        let mut text = Vec::with_capacity(n * 16);
        for &y in &labels {
            let (a_bit, t_bit) = ((y & 1) as f32, (y >> 1) as f32);
            for j in 0..8 {
                let signal = if j < 2 { 2.0 * a_bit - 1.0 } else { 0.0 };
                audio.push(signal + 0.5 * (rng.random::<f32>() - 0.5));
            }
            for j in 0..16 {
                let signal = if j < 3 { 2.0 * t_bit - 1.0 } else { 0.0 };
                text.push(signal + 0.5 * (rng.random::<f32>() - 0.5));
            }
        }
        NeuralData {
            audio: Some(AudioInput::Vector {
                dims: 8,
                data: audio,
            }),
            text: Some(TextInput::Vector {
                dims: 16,
                data: text,
                present: vec![true; n],
            }),
            targets: Some(Targets::Classes(labels)),
        }
    };
    let train = make(&mut rng, 160);
    let test = make(&mut rng, 80);
    let truth = match &test.targets {
        Some(Targets::Classes(c)) => c.clone(),
        _ => unreachable!(),
    };
    let task = Head::Classification { n_classes: 4 };
    let train_cfg = TrainConfig {
        epochs: 30,
        batch_size: 16,
        lr: 3e-3,
        mixup_alpha: 0.2,
        schedule: mer_model::train::ScheduleKind::OneCycle,
        early_stopping: EarlyStoppingConfig {
            patience: 0,
            restore_best: false,
        },
        ..TrainConfig::default()
    };
    let acc = |cfg: NeuralConfig| {
        let out = fit_predict(
            &cfg,
            &train_cfg,
            task,
            &train,
            None,
            &[&test],
            4,
            cpu(2),
            &mut NoopObserver,
        )
        .unwrap();
        (accuracy(&out.predictions[0], &truth), out)
    };
    let (fusion, out) = acc(NeuralConfig::GatedFusion(GatedFusionConfig {
        hidden: 32,
        dropout: 0.2,
        ..GatedFusionConfig::default()
    }));
    let (audio, _) = acc(NeuralConfig::ResidualMlp(ResidualMlpConfig {
        hidden: 32,
        dropout: 0.2,
        ..ResidualMlpConfig::default()
    }));
    let (text, _) = acc(NeuralConfig::TextProjection(TextModelConfig {
        encoder: ProjectionEncoderConfig { dim: 32 },
        dropout: 0.2,
    }));
    assert!(fusion > 0.9, "fusion {fusion}");
    assert!(audio < 0.65 && text < 0.65, "audio {audio}, text {text}");
    let alphas = out.predictions[0].alphas.as_ref().unwrap();
    assert_eq!(alphas.len(), 80);
    // both branches are used: alpha is neither ~0 nor ~1 on average
    let mean = alphas.iter().sum::<f32>() / alphas.len() as f32;
    assert!(mean > 0.05 && mean < 0.95, "mean alpha {mean}");
}
