//! The backend extension on flex: the forward kernels, and on autodiff the
//! backward passes that call them.

use super::*;

pub(super) type FlexTensor = FloatTensor<Flex>;

/// `t` laid out contiguously (a copy only when it is not).
pub(super) fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.as_slice::<f32>().is_some() {
        t
    } else {
        t.to_contiguous()
    }
}

pub(super) fn f32s(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("mer kernels take contiguous f32 tensors")
}

pub(super) fn flex(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

pub(super) fn dims<const D: usize>(t: &FlexTensor) -> [usize; D] {
    t.shape().dims()
}

impl MerKernels for Flex {
    fn mer_conv(x: FlexTensor, weight: FlexTensor, pad_h: usize, pad_w: usize) -> FlexTensor {
        let d = ConvDims::new(dims(&x), dims(&weight), [pad_h, pad_w]);
        let (x, w) = (contiguous(x), contiguous(weight));
        flex(conv_forward(f32s(&x), f32s(&w), &d), d.out_shape())
    }

    fn mer_matmul(a: FlexTensor, b: FlexTensor) -> FlexTensor {
        let ([m, k], [k2, n]) = (dims(&a), dims(&b));
        assert_eq!(k, k2, "matmul: [{m}, {k}] x [{k2}, {n}]");
        let (a, b) = (contiguous(a), contiguous(b));
        let mut y = vec![0.0f32; m * n];
        par_matmul(
            &mut y,
            View::rows(f32s(&a), k),
            View::rows(f32s(&b), n),
            [m, n, k],
            false,
        );
        flex(y, [m, n])
    }

    fn mer_channel_stats(x: FlexTensor) -> FlexTensor {
        let [b, c, n] = dims(&x);
        let x = contiguous(x);
        flex(stats_forward(f32s(&x), [b, c, n]), [2, c])
    }

    fn mer_bn_relu(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        stats: FlexTensor,
        eps: f64,
    ) -> FlexTensor {
        let shape = dims::<3>(&x);
        let (x, g, b, st) = (
            contiguous(x),
            contiguous(gamma),
            contiguous(beta),
            contiguous(stats),
        );
        let y = bn_relu_forward(f32s(&x), f32s(&g), f32s(&b), f32s(&st), eps, shape);
        flex(y, shape)
    }

    fn mer_max_pool(x: FlexTensor, kh: usize, kw: usize) -> FlexTensor {
        let d = PoolDims::new(dims(&x), [kh, kw]);
        let x = contiguous(x);
        let (y, _) = pool_forward(f32s(&x), &d);
        flex(y, d.out_shape())
    }

    fn mer_lstm(
        gates_x: FlexTensor,
        w_hh: FlexTensor,
        mask: FlexTensor,
        reverse: bool,
    ) -> FlexTensor {
        let d = LstmDims::new(dims(&gates_x), dims(&w_hh), dims(&mask));
        let (gx, w, m) = (contiguous(gates_x), contiguous(w_hh), contiguous(mask));
        let tapes = lstm_forward_rows(f32s(&gx), f32s(&w), f32s(&m), &d, reverse);
        flex(lstm_outputs(&tapes), [d.batch, d.steps, d.hidden])
    }
}

impl<C: CheckpointStrategy> MerKernels for Autodiff<Flex, C> {
    fn mer_conv(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        pad_h: usize,
        pad_w: usize,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct ConvBackward;

        impl Backward<Flex, 2> for ConvBackward {
            /// Input, weight (both contiguous) and the sizes.
            type State = (FlexTensor, FlexTensor, ConvDims);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_x, node_w] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (x, w, d) = ops.state;
                let (dw, dx) = conv_backward(f32s(&x), f32s(&w), f32s(&grad), &d, node_x.is_some());
                if let (Some(node), Some(dx)) = (node_x, dx) {
                    grads.register::<Flex>(node.id, flex(dx, x.shape()));
                }
                if let Some(node) = node_w {
                    grads.register::<Flex>(node.id, flex(dw, w.shape()));
                }
            }
        }

        let d = ConvDims::new(
            dims(x.primitive()),
            dims(weight.primitive()),
            [pad_h, pad_w],
        );
        match ConvBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let xp = contiguous(x.into_primitive());
                let wp = contiguous(weight.into_primitive());
                let y = flex(conv_forward(f32s(&xp), f32s(&wp), &d), d.out_shape());
                prep.finish((xp, wp, d), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_conv(
                x.into_primitive(),
                weight.into_primitive(),
                pad_h,
                pad_w,
            )),
        }
    }

    fn mer_matmul(a: FloatTensor<Self>, b: FloatTensor<Self>) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct MatmulBackward;

        impl Backward<Flex, 2> for MatmulBackward {
            /// Both operands (contiguous).
            type State = (FlexTensor, FlexTensor);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_a, node_b] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (a, b) = ops.state;
                let ([m, k], [_, n]) = (dims(&a), dims(&b));
                let dy = f32s(&grad);
                if let Some(node) = node_a {
                    // dA = dY B^T
                    let mut da = vec![0.0f32; m * k];
                    let v = View::transposed(f32s(&b), n);
                    par_matmul(&mut da, View::rows(dy, n), v, [m, k, n], false);
                    grads.register::<Flex>(node.id, flex(da, [m, k]));
                }
                if let Some(node) = node_b {
                    // dB = A^T dY
                    let mut db = vec![0.0f32; k * n];
                    let v = View::transposed(f32s(&a), k);
                    par_matmul(&mut db, v, View::rows(dy, n), [k, n, m], false);
                    grads.register::<Flex>(node.id, flex(db, [k, n]));
                }
            }
        }

        match MatmulBackward
            .prepare::<C>([a.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let a = contiguous(a.into_primitive());
                let b = contiguous(b.into_primitive());
                let y = Flex::mer_matmul(a.clone(), b.clone());
                prep.finish((a, b), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(Flex::mer_matmul(a.into_primitive(), b.into_primitive()))
            }
        }
    }

    fn mer_channel_stats(x: FloatTensor<Self>) -> FloatTensor<Self> {
        // Not differentiable: computed on the inner tensor, returned untracked.
        FloatTensor::<Self>::new(Flex::mer_channel_stats(x.into_primitive()))
    }

    fn mer_bn_relu(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        eps: f64,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct BnReluBackward;

        impl Backward<Flex, 4> for BnReluBackward {
            /// Input, gamma, beta, statistics (contiguous) and epsilon.
            type State = (FlexTensor, FlexTensor, FlexTensor, FlexTensor, f64);

            fn backward(
                self,
                ops: Ops<Self::State, 4>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_x, node_g, node_b, _stats] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (x, g, b, st, eps) = ops.state;
                let shape = dims::<3>(&x);
                let (dx, dg, db) = bn_relu_backward(
                    f32s(&x),
                    f32s(&g),
                    f32s(&b),
                    f32s(&st),
                    f32s(&grad),
                    eps,
                    shape,
                );
                if let Some(node) = node_x {
                    grads.register::<Flex>(node.id, flex(dx, shape));
                }
                if let Some(node) = node_g {
                    grads.register::<Flex>(node.id, flex(dg, [shape[1]]));
                }
                if let Some(node) = node_b {
                    grads.register::<Flex>(node.id, flex(db, [shape[1]]));
                }
            }
        }

        match BnReluBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node(), stats.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let x = contiguous(x.into_primitive());
                let g = contiguous(gamma.into_primitive());
                let b = contiguous(beta.into_primitive());
                let st = contiguous(stats.into_primitive());
                let shape = dims::<3>(&x);
                let y = bn_relu_forward(f32s(&x), f32s(&g), f32s(&b), f32s(&st), eps, shape);
                prep.finish((x, g, b, st, eps), flex(y, shape))
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_bn_relu(
                x.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                stats.into_primitive(),
                eps,
            )),
        }
    }

    fn mer_max_pool(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct PoolBackward;

        impl Backward<Flex, 1> for PoolBackward {
            /// Flat input index of each output's maximum, and the sizes.
            type State = (Arc<Vec<u32>>, PoolDims);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_x] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let (argmax, d) = ops.state;
                if let Some(node) = node_x {
                    let dx = pool_backward(f32s(&grad), &argmax, &d);
                    grads.register::<Flex>(node.id, flex(dx, d.in_shape()));
                }
            }
        }

        let d = PoolDims::new(dims(x.primitive()), [kh, kw]);
        match PoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let xp = contiguous(x.into_primitive());
                let (y, argmax) = pool_forward(f32s(&xp), &d);
                prep.finish((Arc::new(argmax), d), flex(y, d.out_shape()))
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_max_pool(x.into_primitive(), kh, kw)),
        }
    }

    fn mer_lstm(
        gates_x: FloatTensor<Self>,
        w_hh: FloatTensor<Self>,
        mask: FloatTensor<Self>,
        reverse: bool,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct LstmBackward;

        /// What the backward pass needs from the forward pass.
        #[derive(Debug)]
        struct LstmState {
            tapes: Vec<LstmTape>,
            w: FlexTensor,
            mask: FlexTensor,
            dims: LstmDims,
            reverse: bool,
        }

        impl Backward<Flex, 3> for LstmBackward {
            type State = Arc<LstmState>;

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [node_gx, node_w, _mask] = ops.parents;
                let grad = contiguous(grads.consume::<Flex>(&ops.node));
                let s = &ops.state;
                let (dgx, dw) = lstm_backward_rows(
                    &s.tapes,
                    f32s(&s.w),
                    f32s(&s.mask),
                    f32s(&grad),
                    &s.dims,
                    s.reverse,
                );
                let d = &s.dims;
                if let Some(node) = node_gx {
                    grads.register::<Flex>(node.id, flex(dgx, [d.batch, d.steps, 4 * d.hidden]));
                }
                if let Some(node) = node_w {
                    grads.register::<Flex>(node.id, flex(dw, [d.hidden, 4 * d.hidden]));
                }
            }
        }

        let d = LstmDims::new(
            dims(gates_x.primitive()),
            dims(w_hh.primitive()),
            dims(mask.primitive()),
        );
        match LstmBackward
            .prepare::<C>([gates_x.node(), w_hh.node(), mask.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let gx = contiguous(gates_x.into_primitive());
                let w = contiguous(w_hh.into_primitive());
                let mask = contiguous(mask.into_primitive());
                let tapes = lstm_forward_rows(f32s(&gx), f32s(&w), f32s(&mask), &d, reverse);
                let y = flex(lstm_outputs(&tapes), [d.batch, d.steps, d.hidden]);
                let state = LstmState {
                    tapes,
                    w,
                    mask,
                    dims: d,
                    reverse,
                };
                prep.finish(Arc::new(state), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::mer_lstm(
                gates_x.into_primitive(),
                w_hh.into_primitive(),
                mask.into_primitive(),
                reverse,
            )),
        }
    }
}
