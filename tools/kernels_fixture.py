#!/usr/bin/env python3
"""PyTorch reference for mer's hand-written CPU kernels
(framework/crates/model/src/neural/kernels/): values *and gradients*.

Produces framework/crates/model/tests/fixtures/neural/kernels.json with, for fixed random
inputs and a fixed random upstream gradient `dy` (the loss is sum(y * dy)):
  - conv2d: torch.nn.functional.conv2d (stride 1, no bias) for a few kernel
    sizes and paddings: y, dL/dx, dL/dw;
  - conv1d: torch.nn.functional.conv1d, same;
  - bn_relu: relu(torch.nn.functional.batch_norm(training=True)) on
    [batch, channels, n]: y, dL/dx, dL/dgamma, dL/dbeta;
  - lstm: torch.nn.LSTM (one layer, batch_first) run forwards, and run on the
    time-reversed input with its outputs flipped back (the backward half of
    a BiLSTM): outputs, dL/dx, dL/dW_ih, dL/dW_hh, dL/db.
The unit tests in framework/crates/model/src/neural/kernels/tests.rs compare against it.

Run: python3 tools/kernels_fixture.py
"""
import json
import pathlib
import platform

import torch

torch.manual_seed(7)
out = {"torch_version": torch.__version__, "python_version": platform.python_version()}


def flat(t):
    return [float(v) for v in t.detach().flatten().tolist()]


def conv_case(conv, x_shape, w_shape, pad):
    x = torch.randn(*x_shape, requires_grad=True)
    w = torch.randn(*w_shape, requires_grad=True)
    y = conv(x, w, padding=pad)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    return {
        "x_shape": list(x_shape), "w_shape": list(w_shape),
        "pad": list(pad) if isinstance(pad, tuple) else pad,
        "x": flat(x), "w": flat(w), "dy": flat(dy),
        "y": flat(y), "dx": flat(x.grad), "dw": flat(w.grad),
    }


out["conv2d"] = [
    conv_case(torch.nn.functional.conv2d, x_shape, w_shape, pad)
    for x_shape, w_shape, pad in [
        ((2, 3, 6, 7), (4, 3, 3, 3), (1, 1)),
        ((1, 2, 5, 5), (3, 2, 5, 5), (2, 2)),
        ((3, 1, 4, 9), (2, 1, 2, 3), (0, 1)),
    ]
]
out["conv1d"] = [
    conv_case(torch.nn.functional.conv1d, x_shape, w_shape, pad)
    for x_shape, w_shape, pad in [((2, 4, 11), (5, 4, 3), 1), ((1, 3, 8), (2, 3, 5), 2)]
]

bn_relu = []
for shape in [(4, 3, 10), (2, 5, 17)]:
    x = (torch.randn(*shape) * 2 + 0.5).requires_grad_()
    c = shape[1]
    gamma = (torch.rand(c) + 0.5).requires_grad_()
    beta = (torch.randn(c) * 0.3).requires_grad_()
    y = torch.relu(torch.nn.functional.batch_norm(
        x, torch.zeros(c), torch.ones(c), gamma, beta, training=True, eps=1e-5))
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    bn_relu.append({
        "shape": list(shape), "eps": 1e-5,
        "x": flat(x), "gamma": flat(gamma), "beta": flat(beta), "dy": flat(dy),
        "y": flat(y), "dx": flat(x.grad), "dgamma": flat(gamma.grad), "dbeta": flat(beta.grad),
    })
out["bn_relu"] = bn_relu

lstm = []
B, T, D, H = 3, 7, 4, 5
for reverse in [False, True]:
    layer = torch.nn.LSTM(D, H, batch_first=True)
    x = torch.randn(B, T, D, requires_grad=True)
    y, _ = layer(torch.flip(x, [1]) if reverse else x)
    if reverse:
        y = torch.flip(y, [1])
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    lstm.append({
        "reverse": reverse, "batch": B, "steps": T, "d_in": D, "hidden": H,
        "x": flat(x),
        "weight_ih": flat(layer.weight_ih_l0),  # [4H, D], gates i f g o
        "weight_hh": flat(layer.weight_hh_l0),  # [4H, H]
        "bias_ih": flat(layer.bias_ih_l0),
        "bias_hh": flat(layer.bias_hh_l0),
        "dy": flat(dy),
        "y": flat(y),  # [B, T, H]
        "dx": flat(x.grad),
        "d_weight_ih": flat(layer.weight_ih_l0.grad),
        "d_weight_hh": flat(layer.weight_hh_l0.grad),
        # b_ih and b_hh enter as their sum, so their gradients are equal.
        "d_bias": flat(layer.bias_ih_l0.grad),
    })
out["lstm"] = lstm

path = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/model/tests/fixtures/neural/kernels.json"
path.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes)")
