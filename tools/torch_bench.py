#!/usr/bin/env python3
"""PyTorch CPU twin of framework/crates/model/benches/neural.rs: training throughput
(samples/s) of the same three networks with torch.set_num_threads(2).

Run: python3 tools/torch_bench.py [cnn2d|bilstm_cnn|residual_mlp ...]
     MER_BENCH_EPOCHS=5 MER_BENCH_THREADS=1 python3 tools/torch_bench.py
Prints a message and exits 0 when torch is not installed.
The figure is epochs * tracks / wall time of the whole fit (model build,
epochs of Adam lr 1e-3 with batch 32 in shuffled order, no validation), as
in the Rust benchmark; CPU time per sample is time.process_time() (user +
system of the whole process), comparable with the Rust figure on a loaded
machine.
"""
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("torch_bench: torch is not installed; skipping the PyTorch figures "
          "(pip install torch)")
    sys.exit(0)


class Cnn2d(nn.Module):
    """1x64x128 -> (Conv3x3 no bias, BN, ReLU, MaxPool2) x [16,32,64] -> Dense 128 -> Dropout 0.5 -> 9."""

    def __init__(self, channels=(16, 32, 64), mels=64, frames=128, dense=128, classes=9):
        super().__init__()
        layers, c_in = [], 1
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c),
                       nn.ReLU(), nn.MaxPool2d(2)]
            c_in = c
        self.features = nn.Sequential(*layers)
        k = len(channels)
        self.dense = nn.Linear(c_in * (mels >> k) * (frames >> k), dense)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(dense, classes)

    def forward(self, x):
        x = self.features(x.unsqueeze(1)).flatten(1)
        return self.head(self.drop(F.relu(self.dense(x))))


class BilstmCnn(nn.Module):
    """[frames, 40] -> (Conv1d k3 no bias, BN, ReLU, MaxPool2) x [256,128] -> BiLSTM 128 final states
    -> Dense 128 -> Dropout 0.3 -> 9."""

    def __init__(self, dims=40, channels=(256, 128), hidden=128, dense=128, classes=9):
        super().__init__()
        layers, c_in = [], dims
        for c in channels:
            layers += [nn.Conv1d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm1d(c),
                       nn.ReLU(), nn.MaxPool1d(2)]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.lstm = nn.LSTM(c_in, hidden, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(2 * hidden, dense)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(dense, classes)

    def forward(self, x):
        x = self.features(x.transpose(1, 2)).transpose(1, 2)
        _, (h, _) = self.lstm(x)
        h = torch.cat([h[0], h[1]], dim=1)
        return self.head(self.drop(F.relu(self.dense(h))))


class ResidualMlp(nn.Module):
    """37 -> Linear 128 -> ReLU -> 2 x [h -> ReLU(h + L2(Dropout(ReLU(L1(h)))))] -> Dropout 0.4 -> 4."""

    def __init__(self, d_in=37, hidden=128, blocks=2, classes=4, p=0.4):
        super().__init__()
        self.stem = nn.Linear(d_in, hidden)
        self.blocks = nn.ModuleList(
            nn.ModuleList([nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)]) for _ in range(blocks))
        self.drop = nn.Dropout(p)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        h = F.relu(self.stem(x))
        for l1, l2 in self.blocks:
            h = F.relu(h + l2(self.drop(F.relu(l1(h)))))
        return self.head(self.drop(h))


def run(name, make, shape, n, classes, epochs):
    g = torch.Generator().manual_seed(42)
    x = torch.rand((n,) + shape, generator=g) * 2 - 1
    y = torch.randint(0, classes, (n,), generator=g)
    cpu0 = time.process_time()
    start = time.perf_counter()
    model = make()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)
    for _ in range(epochs):
        order = torch.randperm(n, generator=g)
        for i in range(0, n, 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    secs = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    print(f"{name:<14} {epochs * n / secs:>9.1f} samples/s   {secs / epochs:>7.3f} s/epoch   "
          f"{1000 * cpu / (epochs * n):>7.2f} ms CPU/sample   "
          f"({epochs} epochs x {n} tracks, {torch.get_num_threads()} threads, torch {torch.__version__})")


def main():
    torch.set_num_threads(int(os.environ.get("MER_BENCH_THREADS", "2")))
    torch.manual_seed(7)
    wanted = sys.argv[1:]
    epochs = int(os.environ.get("MER_BENCH_EPOCHS", "3"))
    ok = lambda name: not wanted or any(w in name for w in wanted)
    if ok("cnn2d"):
        run("cnn2d", Cnn2d, (64, 128), 400, 9, epochs)
    if ok("bilstm_cnn"):
        run("bilstm_cnn", BilstmCnn, (256, 40), 400, 9, epochs)
    if ok("residual_mlp"):
        run("residual_mlp", ResidualMlp, (37,), 4000, 4, epochs)


if __name__ == "__main__":
    main()
