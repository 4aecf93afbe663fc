use super::*;

/// Direct convolution, the definition.
fn conv_naive(x: &[f32], w: &[f32], d: &ConvDims) -> Vec<f32> {
    let (ho, wo) = (d.h_out(), d.w_out());
    let mut y = vec![0.0f32; d.batch * d.c_out * ho * wo];
    for b in 0..d.batch {
        for co in 0..d.c_out {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut acc = 0.0f32;
                    for ci in 0..d.c_in {
                        for ky in 0..d.kh {
                            for kx in 0..d.kw {
                                let iy = (oy + ky) as isize - d.pad_h as isize;
                                let ix = (ox + kx) as isize - d.pad_w as isize;
                                if iy < 0 || ix < 0 || iy >= d.h as isize || ix >= d.w as isize {
                                    continue;
                                }
                                let xi =
                                    ((b * d.c_in + ci) * d.h + iy as usize) * d.w + ix as usize;
                                let wi = ((co * d.c_in + ci) * d.kh + ky) * d.kw + kx;
                                acc += x[xi] * w[wi];
                            }
                        }
                    }
                    y[((b * d.c_out + co) * ho + oy) * wo + ox] = acc;
                }
            }
        }
    }
    y
}

fn lcg(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn im2col_gemm_equals_the_direct_definition_for_odd_shapes_and_paddings() {
    for (x, w, pad) in [
        ([2, 3, 5, 7], [4, 3, 3, 3], [1, 1]),
        ([1, 2, 4, 4], [3, 2, 2, 3], [0, 2]),
        ([3, 1, 1, 9], [5, 1, 1, 4], [0, 0]),
        ([2, 2, 3, 3], [1, 2, 5, 5], [2, 2]),
    ] {
        let d = ConvDims::new(x, w, pad);
        let xv = lcg(x.iter().product(), 1);
        let wv = lcg(w.iter().product(), 2);
        let fast = conv_forward(&xv, &wv, &d);
        let naive = conv_naive(&xv, &wv, &d);
        assert_eq!(fast.len(), naive.len());
        for (a, b) in fast.iter().zip(&naive) {
            assert!((a - b).abs() < 1e-5, "{x:?} {w:?} {pad:?}: {a} vs {b}");
        }
    }
}

#[test]
fn conv_backward_is_the_adjoint_of_the_forward_pass() {
    // <dy, conv(x, w)> is linear in x and in w, so its gradients are
    // conv_backward's outputs: check them by finite differences of the
    // exact bilinear form (no rounding of a nonlinearity involved).
    let d = ConvDims::new([2, 2, 4, 5], [3, 2, 3, 2], [1, 0]);
    let x = lcg(2 * 2 * 4 * 5, 3);
    let w = lcg(3 * 2 * 3 * 2, 4);
    let dy = lcg(d.batch * d.c_out * d.n(), 5);
    let form = |x: &[f32], w: &[f32]| -> f64 {
        conv_naive(x, w, &d)
            .iter()
            .zip(&dy)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum()
    };
    let (dw, dx) = conv_backward(&x, &w, &dy, &d, true);
    let dx = dx.expect("asked for dx");
    for i in 0..x.len() {
        let mut e = x.clone();
        e[i] += 1.0;
        let num = form(&e, &w) - form(&x, &w);
        assert!(
            (num - f64::from(dx[i])).abs() < 1e-4,
            "dx[{i}]: {num} vs {}",
            dx[i]
        );
    }
    for i in 0..w.len() {
        let mut e = w.clone();
        e[i] += 1.0;
        let num = form(&x, &e) - form(&x, &w);
        assert!(
            (num - f64::from(dw[i])).abs() < 1e-4,
            "dw[{i}]: {num} vs {}",
            dw[i]
        );
    }
    let (dw2, none) = conv_backward(&x, &w, &dy, &d, false);
    assert!(none.is_none());
    assert_eq!(dw, dw2, "the weight gradient does not depend on need_dx");
}

// ------------------------------------------------------------ PyTorch

use burn::tensor::Tensor;

fn fixture() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/neural/kernels.json"
    );
    let text = std::fs::read_to_string(path).expect("kernels fixture (tools/kernels_fixture.py)");
    serde_json::from_str(&text).expect("kernels fixture is JSON")
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn shape<const D: usize>(v: &serde_json::Value) -> [usize; D] {
    let s: Vec<usize> = v
        .as_array()
        .expect("shape")
        .iter()
        .map(|x| x.as_u64().expect("size") as usize)
        .collect();
    s.try_into().expect("rank")
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32")
}

/// `|got - want| <= 1e-4 * max(1, |want|)` elementwise: sums of a few
/// hundred f32 products in a different order than PyTorch's.
fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 * w.abs().max(1.0),
            "{what}[{i}]: {g} vs PyTorch {w}"
        );
    }
}

fn leaf<const D: usize>(v: &serde_json::Value, shape: [usize; D]) -> Tensor<D> {
    Tensor::<D>::from_data(
        TensorData::new(floats(v), shape),
        &Device::flex().autodiff(),
    )
    .require_grad()
}

/// One PyTorch convolution case: `conv(x, w, case)` against the
/// recorded output and both gradients.
fn check_conv<const D: usize>(
    name: &str,
    case: &serde_json::Value,
    conv: impl Fn(Tensor<D>, Tensor<D>, &serde_json::Value) -> Tensor<D>,
) {
    let (xs, ws) = (shape::<D>(&case["x_shape"]), shape::<D>(&case["w_shape"]));
    let (x, w) = (leaf(&case["x"], xs), leaf(&case["w"], ws));
    let y = conv(x.clone(), w.clone(), case);
    let dy = Tensor::<D>::from_data(
        TensorData::new(floats(&case["dy"]), y.dims()),
        &Device::flex().autodiff(),
    );
    assert_close(
        &format!("{name} y"),
        &values(y.clone()),
        &floats(&case["y"]),
    );
    let grads = (y * dy).sum().backward();
    let dx = x.grad(&grads).expect("x gradient");
    let dw = w.grad(&grads).expect("w gradient");
    assert_close(&format!("{name} dx"), &values(dx), &floats(&case["dx"]));
    assert_close(&format!("{name} dw"), &values(dw), &floats(&case["dw"]));
}

#[test]
fn conv2d_and_conv1d_values_and_gradients_match_pytorch() {
    let f = fixture();
    for (i, case) in f["conv2d"].as_array().expect("cases").iter().enumerate() {
        check_conv::<4>(&format!("conv2d {i}"), case, |x, w, c| {
            conv2d(x, w, shape::<2>(&c["pad"]))
        });
    }
    for (i, case) in f["conv1d"].as_array().expect("cases").iter().enumerate() {
        check_conv::<3>(&format!("conv1d {i}"), case, |x, w, c| {
            conv1d(x, w, c["pad"].as_u64().expect("pad") as usize)
        });
    }
}

#[test]
fn pooled_matmul_matches_burns_values_and_gradients_on_any_pool() {
    let ad = Device::flex().autodiff();
    let (m, k, n) = (67, 45, 130);
    let a0 = lcg(m * k, 31);
    let b0 = lcg(k * n, 32);
    let dy = Tensor::<2>::from_data(TensorData::new(lcg(m * n, 33), [m, n]), &ad);
    let run = |ours: bool| {
        let a = Tensor::<2>::from_data(TensorData::new(a0.clone(), [m, k]), &ad).require_grad();
        let b = Tensor::<2>::from_data(TensorData::new(b0.clone(), [k, n]), &ad).require_grad();
        let y = if ours {
            matmul2d(a.clone(), b.clone())
        } else {
            a.clone().matmul(b.clone())
        };
        let grads = (y.clone() * dy.clone()).sum().backward();
        let da = values(a.grad(&grads).expect("da"));
        let db = values(b.grad(&grads).expect("db"));
        (values(y), da, db)
    };
    let reference = run(false);
    let in_pool = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| run(true))
    };
    let ours = in_pool(1);
    assert_eq!(ours, in_pool(3), "bit-identical on 1 and 3 threads");
    for (what, got, want) in [
        ("y", &ours.0, &reference.0),
        ("da", &ours.1, &reference.1),
        ("db", &ours.2, &reference.2),
    ] {
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                "{what}: {g} vs burn {w}"
            );
        }
    }
}

#[test]
fn batch_norm_relu_values_and_gradients_match_pytorch() {
    let f = fixture();
    let ad = Device::flex().autodiff();
    for (i, case) in f["bn_relu"].as_array().expect("cases").iter().enumerate() {
        let shape = shape::<3>(&case["shape"]);
        let c = shape[1];
        let x = leaf(&case["x"], shape);
        let gamma = leaf(&case["gamma"], [c]);
        let beta = leaf(&case["beta"], [c]);
        let stats = channel_stats(x.clone());
        let eps = case["eps"].as_f64().expect("eps");
        let y = batch_norm_relu(x.clone(), gamma.clone(), beta.clone(), stats, eps);
        assert_close(
            &format!("bn_relu {i} y"),
            &values(y.clone()),
            &floats(&case["y"]),
        );
        let dy = Tensor::<3>::from_data(TensorData::new(floats(&case["dy"]), shape), &ad);
        let grads = (y * dy).sum().backward();
        for (name, got, want) in [
            ("dx", values(x.grad(&grads).expect("dx")), "dx"),
            (
                "dgamma",
                values(gamma.grad(&grads).expect("dgamma")),
                "dgamma",
            ),
            ("dbeta", values(beta.grad(&grads).expect("dbeta")), "dbeta"),
        ] {
            assert_close(&format!("bn_relu {i} {name}"), &got, &floats(&case[want]));
        }
    }
}

#[test]
fn lstm_sequence_values_and_gradients_match_pytorch_in_both_directions() {
    let f = fixture();
    let cases = f["lstm"].as_array().expect("cases");
    assert_eq!(cases.len(), 2);
    for case in cases {
        let reverse = case["reverse"].as_bool().expect("reverse");
        let size = |k: &str| case[k].as_u64().expect("size") as usize;
        let (b, t, din, h) = (size("batch"), size("steps"), size("d_in"), size("hidden"));
        let x = leaf(&case["x"], [b, t, din]);
        // PyTorch keeps weights [4h, in]; ours multiply from the right.
        let w_ih = leaf(&case["weight_ih"], [4 * h, din]);
        let w_hh = leaf(&case["weight_hh"], [4 * h, h]);
        let bias: Vec<f32> = floats(&case["bias_ih"])
            .iter()
            .zip(floats(&case["bias_hh"]))
            .map(|(a, c)| a + c)
            .collect();
        let bias =
            Tensor::<1>::from_data(TensorData::new(bias, [4 * h]), &Device::flex().autodiff())
                .require_grad();
        let gx = x.clone().matmul(w_ih.clone().transpose().unsqueeze::<3>())
            + bias.clone().reshape([1, 1, 4 * h]);
        let mask = Tensor::<2>::ones([b, t], &Device::flex().autodiff());
        let y = lstm_sequence(gx, w_hh.clone().transpose(), mask, reverse);
        assert_close(
            &format!("lstm reverse={reverse} y"),
            &values(y.clone()),
            &floats(&case["y"]),
        );
        let dy = Tensor::<3>::from_data(
            TensorData::new(floats(&case["dy"]), [b, t, h]),
            &Device::flex().autodiff(),
        );
        let grads = (y * dy).sum().backward();
        for (name, got, want) in [
            ("dx", values(x.grad(&grads).expect("dx")), "dx"),
            (
                "dW_ih",
                values(w_ih.grad(&grads).expect("dW_ih")),
                "d_weight_ih",
            ),
            (
                "dW_hh",
                values(w_hh.grad(&grads).expect("dW_hh")),
                "d_weight_hh",
            ),
            ("db", values(bias.grad(&grads).expect("db")), "d_bias"),
        ] {
            assert_close(
                &format!("lstm reverse={reverse} {name}"),
                &got,
                &floats(&case[want]),
            );
        }
    }
}

#[test]
fn kernels_are_deterministic_across_pool_sizes_and_row_chunks() {
    // Same inputs on 1 and 3 threads: bit-identical values and
    // gradients (sums over samples are taken in sample order).
    let d = ConvDims::new([5, 3, 6, 7], [4, 3, 3, 3], [1, 1]);
    let x = lcg(5 * 3 * 6 * 7, 11);
    let w = lcg(4 * 3 * 9, 12);
    let dy = lcg(d.batch * d.c_out * d.n(), 13);
    // 37 rows: three chunks, the last one short.
    let ld = LstmDims::new([37, 6, 12], [3, 12], [37, 6]);
    let gx = lcg(37 * 6 * 12, 14);
    let wh = lcg(3 * 12, 15);
    let ones = vec![1.0f32; 37 * 6];
    let dys = lcg(37 * 6 * 3, 16);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                let y = conv_forward(&x, &w, &d);
                let (dw, dx) = conv_backward(&x, &w, &dy, &d, true);
                let tapes = lstm_forward_rows(&gx, &wh, &ones, &ld, true);
                let (dgx, dwh) = lstm_backward_rows(&tapes, &wh, &ones, &dys, &ld, true);
                (y, dw, dx, lstm_outputs(&tapes), dgx, dwh)
            })
    };
    let chunked = run(1);
    assert_eq!(chunked, run(3));
    // Chunking the rows changes nothing but the schedule.
    let whole = lstm_forward(&gx, &wh, &ones, &ld, true).outputs();
    assert_eq!(whole.len(), chunked.3.len());
    for (a, b) in whole.iter().zip(&chunked.3) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn vectorisable_exp_sigmoid_and_tanh_match_libm() {
    let mut worst = [0.0f64; 3];
    for k in -20_000..=20_000 {
        let x = k as f32 * 0.0045; // [-90, 90]
        let xd = f64::from(x);
        if (-87.0..=88.0).contains(&x) {
            let rel = (f64::from(exp_approx(x)) - xd.exp()).abs() / xd.exp();
            worst[0] = worst[0].max(rel);
        }
        worst[1] = worst[1].max((f64::from(sigmoid(x)) - 1.0 / (1.0 + (-xd).exp())).abs());
        worst[2] = worst[2].max((f64::from(tanh(x)) - xd.tanh()).abs());
    }
    assert!(worst[0] < 3e-7, "exp relative error {}", worst[0]);
    assert!(worst[1] < 2e-7, "sigmoid absolute error {}", worst[1]);
    assert!(worst[2] < 4e-7, "tanh absolute error {}", worst[2]);
}

#[test]
fn max_pool_matches_the_definition_and_routes_gradients_to_the_first_maximum() {
    let d = PoolDims::new([2, 3, 5, 7], [2, 3]);
    let mut x = lcg(2 * 3 * 5 * 7, 21);
    x[1] = x[0]; // a tie inside the first window
    x[0] = 5.0;
    x[1] = 5.0;
    let (y, arg) = pool_forward(&x, &d);
    assert_eq!(d.out_shape(), [2, 3, 2, 2]);
    for p in 0..6 {
        for oy in 0..2 {
            for ox in 0..2 {
                let mut best = f32::NEG_INFINITY;
                for ky in 0..2 {
                    for kx in 0..3 {
                        best = best.max(x[p * 35 + (oy * 2 + ky) * 7 + ox * 3 + kx]);
                    }
                }
                let o = p * 4 + oy * 2 + ox;
                assert_eq!(y[o], best);
                assert_eq!(x[arg[o] as usize], best);
            }
        }
    }
    assert_eq!(arg[0], 0, "ties go to the first maximum");
    let dy = lcg(24, 22);
    let dx = pool_backward(&dy, &arg, &d);
    assert_eq!(dx.iter().filter(|v| **v != 0.0).count(), 24);
    for (o, &a) in arg.iter().enumerate() {
        assert_eq!(dx[a as usize], dy[o]);
    }
}
