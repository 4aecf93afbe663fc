//! Unit tests that need the crate-private network types: output shapes,
//! gradient flow, the time boundary, SpecAugment in training only, and the
//! recurrent layers and losses against PyTorch.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::*;
use super::data::{AudioInput, NeuralData, Targets, TextInput};
use super::layers::{Ctx, GruLayer, LstmLayer};
use super::net::Net;
use super::{Head, build_seeded};

fn rand_vec(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect()
}

fn tokens(rng: &mut ChaCha8Rng, n: usize, len: usize, vocab: usize) -> Vec<u32> {
    (0..n * len)
        .map(|i| {
            // trailing padding on every other row
            if i % len >= len - 2 && (i / len).is_multiple_of(2) {
                0
            } else {
                rng.random_range(1..vocab as u32)
            }
        })
        .collect()
}

/// Small versions of every architecture with matching data.
pub(crate) fn cases(n: usize, rng: &mut ChaCha8Rng) -> Vec<(NeuralConfig, NeuralData)> {
    let vec_audio = |rng: &mut ChaCha8Rng| AudioInput::Vector {
        dims: 7,
        data: rand_vec(rng, n * 7),
    };
    let text_vec = |rng: &mut ChaCha8Rng| TextInput::Vector {
        dims: 12,
        data: rand_vec(rng, n * 12),
        present: (0..n).map(|i| i % 4 != 3).collect(),
    };
    let text_tok = |rng: &mut ChaCha8Rng| TextInput::Tokens {
        max_len: 9,
        vocab_size: 30,
        ids: tokens(rng, n, 9, 30),
    };
    let seq = |rng: &mut ChaCha8Rng| AudioInput::Sequence {
        frames: 16,
        dims: 5,
        data: rand_vec(rng, n * 16 * 5),
    };
    let mel = |rng: &mut ChaCha8Rng| AudioInput::Mel {
        n_mels: 16,
        frames: 24,
        data: rand_vec(rng, n * 16 * 24),
    };
    let wave = |rng: &mut ChaCha8Rng| AudioInput::Waveform {
        samples: 256,
        data: rand_vec(rng, n * 256),
    };
    let d = |audio: Option<AudioInput>, text: Option<TextInput>| NeuralData {
        audio,
        text,
        targets: None,
    };
    let small_seq = SeqCnnConfig {
        conv_channels: vec![8, 6],
        lstm_hidden: 5,
        dense: 6,
        ..SeqCnnConfig::default()
    };
    vec![
        (
            NeuralConfig::ResidualMlp(ResidualMlpConfig {
                hidden: 16,
                ..ResidualMlpConfig::default()
            }),
            d(Some(vec_audio(rng)), None),
        ),
        (
            NeuralConfig::ResidualMlp(ResidualMlpConfig {
                input: VectorSource::Text,
                hidden: 16,
                blocks: 1,
                ..ResidualMlpConfig::default()
            }),
            d(None, Some(text_vec(rng))),
        ),
        (
            NeuralConfig::GatedFusion(GatedFusionConfig {
                hidden: 16,
                text: TextEncoderConfig::Projection(ProjectionEncoderConfig { dim: 10 }),
                ..GatedFusionConfig::default()
            }),
            d(Some(vec_audio(rng)), Some(text_vec(rng))),
        ),
        (
            NeuralConfig::GatedFusion(GatedFusionConfig {
                hidden: 8,
                audio_blocks: 1,
                text: TextEncoderConfig::Bilstm(BilstmEncoderConfig {
                    embedding_dim: 6,
                    hidden: 4,
                }),
                ..GatedFusionConfig::default()
            }),
            d(Some(vec_audio(rng)), Some(text_tok(rng))),
        ),
        (
            NeuralConfig::TextProjection(TextModelConfig {
                encoder: ProjectionEncoderConfig { dim: 8 },
                dropout: 0.2,
            }),
            d(None, Some(text_vec(rng))),
        ),
        (
            NeuralConfig::TextBilstm(TextModelConfig {
                encoder: BilstmEncoderConfig {
                    embedding_dim: 6,
                    hidden: 5,
                },
                dropout: 0.2,
            }),
            d(None, Some(text_tok(rng))),
        ),
        (
            NeuralConfig::TextCnn(TextModelConfig {
                encoder: CnnEncoderConfig {
                    embedding_dim: 6,
                    filters: 4,
                    kernel_sizes: vec![2, 3],
                },
                dropout: 0.2,
            }),
            d(None, Some(text_tok(rng))),
        ),
        (
            NeuralConfig::LstmCnn(small_seq.clone()),
            d(Some(seq(rng)), None),
        ),
        (NeuralConfig::BilstmCnn(small_seq), d(Some(seq(rng)), None)),
        (
            NeuralConfig::Cnn2d(Cnn2dConfig {
                channels: vec![4, 6, 8],
                dense: 12,
                dropout: 0.3,
            }),
            d(Some(mel(rng)), None),
        ),
        (
            NeuralConfig::Cnn2dSpecaug(Cnn2dSpecaugConfig {
                channels: vec![4, 6],
                dense: 12,
                dropout: 0.3,
                specaug: SpecAugmentConfig::default(),
            }),
            d(Some(mel(rng)), None),
        ),
        (
            NeuralConfig::ConcatLstm(ConcatLstmConfig {
                conv_channels: vec![6, 6],
                kernel_size: 3,
                pool: 2,
                text: TextEncoderConfig::Projection(ProjectionEncoderConfig { dim: 5 }),
                lstm_hidden: 7,
                dense: 6,
                dropout: 0.3,
            }),
            d(Some(mel(rng)), Some(text_vec(rng))),
        ),
        (
            NeuralConfig::ConcatLstm(ConcatLstmConfig {
                conv_channels: vec![6],
                kernel_size: 4,
                pool: 2,
                text: TextEncoderConfig::Cnn(CnnEncoderConfig {
                    embedding_dim: 5,
                    filters: 3,
                    kernel_sizes: vec![3],
                }),
                lstm_hidden: 7,
                dense: 6,
                dropout: 0.3,
            }),
            d(Some(mel(rng)), Some(text_tok(rng))),
        ),
        (
            NeuralConfig::ConvGruTransformer(ConvGruTransformerConfig {
                conv_channels: vec![8, 8],
                gru_hidden: 8,
                layers: 1,
                heads: 2,
                ff: 16,
                dense: 8,
                ..ConvGruTransformerConfig::default()
            }),
            d(Some(mel(rng)), None),
        ),
        (
            NeuralConfig::ConvGruTransformer(ConvGruTransformerConfig {
                input: SignalInput::Waveform,
                frame: 16,
                conv_channels: vec![6, 8],
                gru_hidden: 8,
                layers: 2,
                heads: 2,
                ff: 16,
                dense: 8,
                ..ConvGruTransformerConfig::default()
            }),
            d(Some(wave(rng)), None),
        ),
    ]
}

fn flex() -> Device {
    Device::flex()
}

#[test]
fn every_architecture_outputs_batch_by_n_out_in_both_modes() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let n = 5;
    for (cfg, data) in cases(n, &mut rng) {
        cfg.validate().unwrap();
        for n_out in [1, 3] {
            let dims = data.dims();
            let net = build_seeded(&cfg, dims, n_out, &flex().autodiff(), 3).unwrap();
            let batch = data.batch(&(0..n).collect::<Vec<_>>(), n_out);
            let mut train_rng = ChaCha8Rng::seed_from_u64(2);
            let mut ctx = Ctx::train(flex().autodiff(), &mut train_rng);
            let out = net.forward(&batch, dims, None, &mut ctx);
            assert_eq!(out.output.dims(), [n, n_out], "{}", cfg.arch());
            let eval = net.valid();
            let out = eval.forward(&batch, dims, None, &mut Ctx::eval(flex()));
            assert_eq!(out.output.dims(), [n, n_out], "{}", cfg.arch());
            let values = out.output.into_data().try_to_vec::<f32>().unwrap();
            assert!(values.iter().all(|v| v.is_finite()), "{}", cfg.arch());
            match (&cfg, out.alpha) {
                (NeuralConfig::GatedFusion(_), Some(a)) => {
                    assert_eq!(a.dims(), [n, 1]);
                    let a = a.into_data().try_to_vec::<f32>().unwrap();
                    for (i, v) in a.iter().enumerate() {
                        assert!((0.0..=1.0).contains(v));
                        // rows without lyrics get alpha = 0
                        if batch.text_present.as_ref().unwrap()[i] == 0.0 {
                            assert_eq!(*v, 0.0, "{}", cfg.arch());
                        }
                    }
                }
                (NeuralConfig::GatedFusion(_), None) => panic!("gated fusion must return alpha"),
                (_, a) => assert!(a.is_none()),
            }
        }
    }
}

/// Collects the trainable parameters (batch-norm running statistics are
/// visited too but do not require gradients).
struct Trainable(Vec<(ParamId, usize)>);

impl ModuleVisitor for Trainable {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if param.val().is_require_grad() {
            self.0.push((param.id, D));
        }
    }
}

struct GradNorms<'a> {
    grads: &'a burn::optim::GradientsParams,
    zero: Vec<String>,
    count: usize,
}

impl ModuleVisitor for GradNorms<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !param.val().is_require_grad() {
            return;
        }
        self.count += 1;
        match self.grads.get::<D>(param.id) {
            Some(g) => {
                let s: f32 = g.abs().sum().into_scalar();
                if !(s > 0.0 && s.is_finite()) {
                    self.zero
                        .push(format!("{:?} (rank {D}): |grad| = {s}", param.id));
                }
            }
            None => self
                .zero
                .push(format!("{:?} (rank {D}): no gradient", param.id)),
        }
    }
}

#[test]
fn gradients_reach_every_parameter_of_every_architecture() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let n = 6;
    for (cfg, mut data) in cases(n, &mut rng) {
        data.targets = Some(Targets::Classes((0..n).map(|i| i % 3).collect()));
        let dims = data.dims();
        let task = Head::Classification { n_classes: 3 };
        let net = build_seeded(&cfg, dims, 3, &flex().autodiff(), 9).unwrap();
        let mut all = Trainable(Vec::new());
        net.visit(&mut all);
        assert!(!all.0.is_empty());
        let batch = data.batch(&(0..n).collect::<Vec<_>>(), 3);
        let mut train_rng = ChaCha8Rng::seed_from_u64(2);
        let mut ctx = Ctx::train(flex().autodiff(), &mut train_rng);
        let out = net.forward(&batch, dims, None, &mut ctx);
        let boundaries = std::mem::take(&mut ctx.boundaries);
        let (sum, den) = crate::neural::train_loop::loss_terms(
            task,
            out.output,
            batch.targets.as_deref().unwrap(),
            None,
            &flex().autodiff(),
        );
        let grads =
            crate::neural::train_loop::gradients(sum.div_scalar(den), boundaries, &net, 0.0);
        let mut check = GradNorms {
            grads: &grads,
            zero: Vec::new(),
            count: 0,
        };
        net.visit(&mut check);
        assert_eq!(check.count, all.0.len());
        assert!(check.zero.is_empty(), "{}: {:?}", cfg.arch(), check.zero);
    }
}

/// Training formulations of the recurrent networks must agree on every
/// parameter gradient: the step-by-step formulation through one graph
/// (plain slicing, the reference), the same with the boundary cut
/// (detached per-step leaves + a second backward pass), and what training
/// runs, the fused LSTM kernel (`kernels::lstm_sequence`, with its
/// hand-written backward pass, masked for the token BiLSTM) with the cut
/// for the GRU.
#[test]
fn recurrent_formulations_give_the_same_gradients() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let n = 4;
    let cases = cases(n, &mut rng);
    let recurrent: Vec<_> = cases
        .into_iter()
        .filter(|(c, _)| {
            matches!(
                c,
                NeuralConfig::BilstmCnn(_)
                    | NeuralConfig::TextBilstm(_)
                    | NeuralConfig::ConcatLstm(_)
                    | NeuralConfig::ConvGruTransformer(_)
            )
        })
        .collect();
    assert!(recurrent.len() >= 4);
    for (cfg, mut data) in recurrent {
        // Ragged token sequences, so the masked steps are exercised.
        if let Some(TextInput::Tokens { ids, max_len, .. }) = data.text.as_mut() {
            for (r, row) in ids.chunks_mut(*max_len).enumerate() {
                for id in row.iter_mut().skip(*max_len / (r + 2) + 1) {
                    *id = 0;
                }
            }
        }
        data.targets = Some(Targets::Classes((0..n).map(|i| i % 2).collect()));
        let dims = data.dims();
        let task = Head::Classification { n_classes: 2 };
        let net = build_seeded(&cfg, dims, 2, &flex().autodiff(), 4).unwrap();
        let batch = data.batch(&(0..n).collect::<Vec<_>>(), 2);
        let run = |cut: bool, fused: bool| {
            let mut r = ChaCha8Rng::seed_from_u64(3);
            let mut ctx = Ctx::train(flex().autodiff(), &mut r);
            ctx.cut_time = cut;
            ctx.fused_lstm = fused;
            let out = net.forward(&batch, dims, None, &mut ctx);
            let b = std::mem::take(&mut ctx.boundaries);
            assert_eq!(b.is_empty(), !cut || fused && !cfg.arch().contains("gru"));
            let (sum, den) = crate::neural::train_loop::loss_terms(
                task,
                out.output,
                batch.targets.as_deref().unwrap(),
                None,
                &flex().autodiff(),
            );
            crate::neural::train_loop::gradients(sum.div_scalar(den), b, &net, 0.0)
        };
        let plain = run(false, false);
        for (what, grads) in [("cut", run(true, false)), ("fused", run(true, true))] {
            struct Compare<'a> {
                a: &'a burn::optim::GradientsParams,
                b: &'a burn::optim::GradientsParams,
                worst: f32,
                count: usize,
            }
            impl ModuleVisitor for Compare<'_> {
                fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                    if let (Some(x), Some(y)) =
                        (self.a.get::<D>(param.id), self.b.get::<D>(param.id))
                    {
                        let scale: f32 = y.clone().abs().max().into_scalar::<f32>().max(1e-6);
                        let d: f32 = (x - y).abs().max().into_scalar();
                        self.worst = self.worst.max(d / scale);
                        self.count += 1;
                    } else {
                        assert_eq!(
                            self.a.get::<D>(param.id).is_some(),
                            self.b.get::<D>(param.id).is_some()
                        );
                    }
                }
            }
            let mut cmp = Compare {
                a: &grads,
                b: &plain,
                worst: 0.0,
                count: 0,
            };
            net.visit(&mut cmp);
            assert!(cmp.count > 0);
            assert!(
                cmp.worst < 1e-4,
                "{} ({what}): relative gradient difference {}",
                cfg.arch(),
                cmp.worst
            );
        }
    }
}

#[test]
fn specaugment_masks_only_in_training_mode() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let n = 3;
    let cfg = NeuralConfig::Cnn2dSpecaug(Cnn2dSpecaugConfig {
        channels: vec![4],
        dense: 8,
        dropout: 0.0,
        specaug: SpecAugmentConfig {
            freq_masks: 2,
            freq_width: 6,
            time_masks: 2,
            time_width: 8,
        },
    });
    let data = NeuralData {
        audio: Some(AudioInput::Mel {
            n_mels: 16,
            frames: 24,
            data: rand_vec(&mut rng, n * 16 * 24),
        }),
        text: None,
        targets: None,
    };
    let dims = data.dims();
    let net = build_seeded(&cfg, dims, 2, &flex().autodiff(), 1).unwrap();
    let batch = data.batch(&[0, 1, 2], 2);
    let NeuralConfig::Cnn2dSpecaug(c) = &cfg else {
        unreachable!()
    };
    let out = |net: &Net, spec: bool, train: bool| {
        let mut r = ChaCha8Rng::seed_from_u64(4);
        let mut ctx = if train {
            Ctx::train(flex().autodiff(), &mut r)
        } else {
            Ctx::eval(flex())
        };
        let o = net.forward(&batch, dims, spec.then_some(&c.specaug), &mut ctx);
        o.output.into_data().try_to_vec::<f32>().unwrap()
    };
    let eval = net.valid();
    assert_eq!(
        out(&eval, true, false),
        out(&eval, false, false),
        "eval must not mask"
    );
    assert_ne!(
        out(&net, true, true),
        out(&net, false, true),
        "training must mask"
    );
}

// ------------------------------------------------------------ PyTorch references

fn fixture() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../tests/fixtures/neural/torch_reference.json"
    ))
    .unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Sets a burn `Linear` (weight `[in, out]`) from a PyTorch weight
/// `[out, in]` and bias.
fn set_linear(torch_w: &[f32], out: usize, inp: usize, bias: Option<Vec<f32>>) -> Linear {
    let mut w = vec![0.0f32; inp * out];
    for o in 0..out {
        for i in 0..inp {
            w[i * out + o] = torch_w[o * inp + i];
        }
    }
    let d = flex();
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(w, [inp, out]), &d)),
        bias: bias.map(|b| Param::from_tensor(Tensor::from_data(TensorData::new(b, [out]), &d))),
    }
}

#[test]
fn lstm_and_gru_match_pytorch() {
    let f = fixture();
    let d = flex();
    for (name, tol) in [("lstm", 1e-5f32), ("gru", 1e-5)] {
        let r = &f[name];
        let (b, t, din, h) = (
            r["batch"].as_u64().unwrap() as usize,
            r["steps"].as_u64().unwrap() as usize,
            r["d_in"].as_u64().unwrap() as usize,
            r["hidden"].as_u64().unwrap() as usize,
        );
        let x = Tensor::<3>::from_data(TensorData::new(floats(&r["x"]), [b, t, din]), &d);
        let (w_ih, w_hh, b_ih, b_hh) = (
            floats(&r["weight_ih"]),
            floats(&r["weight_hh"]),
            floats(&r["bias_ih"]),
            floats(&r["bias_hh"]),
        );
        // The LSTM both as the fused kernel and step by step (the CUDA path).
        for fused in [true, false] {
            let mut ctx = Ctx::eval(d.clone());
            ctx.fused_lstm = fused;
            let got = if name == "lstm" {
                let mut l = LstmLayer::new(din, h, &d);
                let bias: Vec<f32> = b_ih.iter().zip(&b_hh).map(|(a, c)| a + c).collect();
                l.input = set_linear(&w_ih, 4 * h, din, Some(bias));
                l.recurrent = set_linear(&w_hh, 4 * h, h, None);
                let (last, all) = l.forward(x.clone(), None, false, true, &mut ctx);
                let last = last.into_data().try_to_vec::<f32>().unwrap();
                for (a, e) in last.iter().zip(floats(&r["final_hidden"])) {
                    assert!(
                        (a - e).abs() < tol,
                        "lstm (fused {fused}) final hidden {a} vs {e}"
                    );
                }
                all.unwrap()
            } else {
                let mut g = GruLayer::new(din, h, &d);
                g.input = set_linear(&w_ih, 3 * h, din, Some(b_ih.clone()));
                g.recurrent = set_linear(&w_hh, 3 * h, h, Some(b_hh.clone()));
                g.forward(x.clone(), &mut ctx)
            };
            let got = got.into_data().try_to_vec::<f32>().unwrap();
            let want = floats(&r["outputs"]);
            assert_eq!(got.len(), want.len());
            for (a, e) in got.iter().zip(&want) {
                assert!((a - e).abs() < tol, "{name} (fused {fused}): {a} vs {e}");
            }
        }
    }
}

#[test]
fn losses_match_pytorch() {
    let f = fixture();
    let d = flex();
    let ce = &f["cross_entropy"];
    let logits = floats(&ce["logits"]);
    let labels: Vec<usize> = ce["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let (n, k) = (labels.len(), 4);
    let mut one_hot = vec![0.0f32; n * k];
    for (i, &c) in labels.iter().enumerate() {
        one_hot[i * k + c] = 1.0;
    }
    let w = floats(&ce["class_weights"]);
    for (weights, key) in [(Some(w.as_slice()), "weighted"), (None, "unweighted")] {
        let out = Tensor::<2>::from_data(TensorData::new(logits.clone(), [n, k]), &d);
        let (s, den) = crate::neural::train_loop::loss_terms(
            Head::Classification { n_classes: k },
            out,
            &one_hot,
            weights,
            &d,
        );
        let got = f64::from(s.into_scalar::<f32>()) / den;
        let want = ce[key].as_f64().unwrap();
        assert!((got - want).abs() < 1e-5, "{key}: {got} vs {want}");
    }
    let m = &f["mse"];
    let out = Tensor::<2>::from_data(TensorData::new(floats(&m["pred"]), [5, 2]), &d);
    let (s, den) = crate::neural::train_loop::loss_terms(
        Head::Regression { n_targets: 2 },
        out,
        &floats(&m["target"]),
        None,
        &d,
    );
    let got = f64::from(s.into_scalar::<f32>()) / den;
    assert!((got - m["value"].as_f64().unwrap()).abs() < 1e-5);
}

#[test]
fn schedules_match_pytorch() {
    use crate::train::ScheduleKind;
    use crate::train::schedule::lr_at;
    let f = fixture();
    for s in f["schedules"].as_array().unwrap() {
        let kind = match s["kind"].as_str().unwrap() {
            "one_cycle" => ScheduleKind::OneCycle,
            _ => ScheduleKind::Cosine,
        };
        let lr = s["lr"].as_f64().unwrap();
        let total = s["total_steps"].as_u64().unwrap() as usize;
        for (step, want) in s["lrs"].as_array().unwrap().iter().enumerate() {
            let want = want.as_f64().unwrap();
            let got = lr_at(kind, lr, step, total);
            assert!(
                (got - want).abs() <= 1e-9 * lr.max(want.abs()),
                "{kind:?} total {total} step {step}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn our_batch_norm_matches_burns_training_path_values_gradients_and_running_stats() {
    use burn::nn::BatchNormConfig;
    let d = flex().autodiff();
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let shape = [4, 3, 5, 6];
    let x = Tensor::<4>::from_data(
        TensorData::new(rand_vec(&mut rng, 4 * 3 * 5 * 6), shape),
        &d,
    )
    .mul_scalar(3.0)
    .add_scalar(1.0);
    let w = Tensor::<4>::from_data(
        TensorData::new(rand_vec(&mut rng, 4 * 3 * 5 * 6), shape),
        &d,
    );
    let ours_bn = BatchNormConfig::new(3).init(&d);
    let burn_bn = BatchNormConfig::new(3).init(&d);
    let run = |f: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let xi = x.clone().detach().require_grad();
        let y = f(xi.clone());
        let grads = (y.clone() * w.clone()).sum().backward();
        let gx = xi
            .grad(&grads)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        (y.into_data().try_to_vec::<f32>().unwrap(), gx)
    };
    let fused_bn = BatchNormConfig::new(3).init(&d);
    let (y1, g1) = run(&|t| super::layers::batch_norm(&ours_bn, t));
    let (y2, g2) = run(&|t| burn_bn.forward(t));
    for (a, b) in y1.iter().zip(&y2).chain(g1.iter().zip(&g2)) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
    // The fused training kernel against burn's path followed by ReLU.
    let relu_bn = BatchNormConfig::new(3).init(&d);
    let (y3, g3) = run(&|t| super::layers::batch_norm_relu(&fused_bn, t));
    let (y4, g4) = run(&|t| burn::tensor::activation::relu(relu_bn.forward(t)));
    for (a, b) in y3.iter().zip(&y4).chain(g3.iter().zip(&g4)) {
        assert!((a - b).abs() < 1e-4, "fused {a} vs {b}");
    }
    let stats = |bn: &burn::nn::BatchNorm| {
        let v = bn.valid();
        let m = v
            .running_mean
            .value()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let s = v
            .running_var
            .value()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        (m, s)
    };
    let (m1, v1) = stats(&ours_bn);
    let (m2, v2) = stats(&burn_bn);
    let (m3, v3) = stats(&fused_bn);
    for (a, b) in m1.iter().zip(&m2).chain(v1.iter().zip(&v2)) {
        assert!((a - b).abs() < 1e-5, "running stats {a} vs {b}");
    }
    for (a, b) in m3.iter().zip(&m2).chain(v3.iter().zip(&v2)) {
        assert!((a - b).abs() < 1e-5, "fused running stats {a} vs {b}");
    }
    assert!(m1.iter().any(|&m| m != 0.0), "running mean must move");
}
