#!/usr/bin/env python3
"""Reference values for mer's neural code, computed with PyTorch.

Produces framework/crates/model/tests/fixtures/neural/torch_reference.json with:
  - OneCycleLR and CosineAnnealingLR learning rates per step
    (torch.optim.lr_scheduler, PyTorch defaults, cycle_momentum=False),
  - torch.nn.LSTM and torch.nn.GRU outputs for fixed weights and inputs,
  - weighted cross-entropy (one-hot targets) and mse_loss values.
The Rust tests (framework/crates/model/src/neural/tests.rs) compare against it.

Run: python3 tools/torch_reference.py
The JSON records the torch and Python versions that produced it.
"""
import json
import pathlib
import platform

import torch

torch.manual_seed(0)
out = {"torch_version": torch.__version__, "python_version": platform.python_version()}

# ---------------------------------------------------------------- schedules
schedules = []
for total, lr in [(10, 1e-3), (37, 3e-3), (100, 1e-2)]:
    for kind in ["one_cycle", "cosine"]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.Adam([p], lr=lr)
        if kind == "one_cycle":
            sched = torch.optim.lr_scheduler.OneCycleLR(
                opt, max_lr=lr, total_steps=total, cycle_momentum=False
            )
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=0.0)
        lrs = []
        for k in range(total):
            lrs.append(sched.get_last_lr()[0])
            opt.step()
            if k + 1 < total:
                sched.step()
        schedules.append({"kind": kind, "lr": lr, "total_steps": total, "lrs": lrs})
out["schedules"] = schedules

# ---------------------------------------------------------------- recurrent layers
B, T, D, H = 2, 5, 3, 4
x = torch.randn(B, T, D)

lstm = torch.nn.LSTM(D, H, batch_first=True)
with torch.no_grad():
    y, (h, c) = lstm(x)
out["lstm"] = {
    "batch": B, "steps": T, "d_in": D, "hidden": H,
    "x": x.flatten().tolist(),
    "weight_ih": lstm.weight_ih_l0.detach().flatten().tolist(),  # [4H, D], gates i f g o
    "weight_hh": lstm.weight_hh_l0.detach().flatten().tolist(),  # [4H, H]
    "bias_ih": lstm.bias_ih_l0.detach().tolist(),
    "bias_hh": lstm.bias_hh_l0.detach().tolist(),
    "outputs": y.flatten().tolist(),  # [B, T, H]
    "final_hidden": h[0].flatten().tolist(),  # [B, H]
}

gru = torch.nn.GRU(D, H, batch_first=True)
with torch.no_grad():
    y, h = gru(x)
out["gru"] = {
    "batch": B, "steps": T, "d_in": D, "hidden": H,
    "x": x.flatten().tolist(),
    "weight_ih": gru.weight_ih_l0.detach().flatten().tolist(),  # [3H, D], gates r z n
    "weight_hh": gru.weight_hh_l0.detach().flatten().tolist(),
    "bias_ih": gru.bias_ih_l0.detach().tolist(),
    "bias_hh": gru.bias_hh_l0.detach().tolist(),
    "outputs": y.flatten().tolist(),
}

# ---------------------------------------------------------------- losses
logits = torch.randn(6, 4)
labels = torch.tensor([0, 1, 1, 3, 2, 1])
weights = torch.tensor([0.5, 1.0, 2.0, 1.5])
out["cross_entropy"] = {
    "logits": logits.flatten().tolist(),
    "labels": labels.tolist(),
    "class_weights": weights.tolist(),
    "weighted": torch.nn.functional.cross_entropy(logits, labels, weight=weights).item(),
    "unweighted": torch.nn.functional.cross_entropy(logits, labels).item(),
}
pred = torch.randn(5, 2)
target = torch.randn(5, 2)
out["mse"] = {
    "pred": pred.flatten().tolist(),
    "target": target.flatten().tolist(),
    "value": torch.nn.functional.mse_loss(pred, target).item(),
}

path = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/model/tests/fixtures/neural/torch_reference.json"
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
