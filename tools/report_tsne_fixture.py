#!/usr/bin/env python3
"""Reference values for mer's t-SNE (framework/crates/report/src/tsne.rs), written to
framework/crates/report/tests/fixtures/report/tsne.json and checked by
framework/crates/report/tests/eda.rs.

Input: 45 points in 6 dimensions, three Gaussian clusters (numpy seed 7),
stored in the fixture. Reference: scikit-learn's exact t-SNE:
  - joint probabilities: sklearn.manifold._t_sne._joint_probabilities on the
    squared Euclidean distances cast to float32, perplexity 10 (the condensed
    upper triangle, row by row);
  - the final KL divergence of TSNE(method="exact", init="random",
    perplexity=10, random_state=0, max_iter=1000, learning_rate="auto"),
    which mer's optimiser (another random start) should approach.

Run: python3 tools/report_tsne_fixture.py
Versions used are recorded in the fixture ("versions").
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.manifold import TSNE
from sklearn.manifold._t_sne import _joint_probabilities
from sklearn.metrics import pairwise_distances

rng = np.random.default_rng(7)
centres = np.array([[0, 0, 0, 0, 0, 0], [4, 4, 0, 0, 0, 0], [0, 4, 4, 4, 0, 0]], float)
x = np.concatenate([c + rng.normal(size=(15, 6)) for c in centres])
d = pairwise_distances(x, metric="euclidean", squared=True).astype(np.float32)
p = _joint_probabilities(d, 10.0, 0)
t = TSNE(
    n_components=2,
    method="exact",
    init="random",
    perplexity=10.0,
    random_state=0,
    max_iter=1000,
    learning_rate="auto",
).fit(x)

out = {
    "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__},
    "perplexity": 10.0,
    "x": x.tolist(),
    "p_condensed": p.tolist(),
    "kl_divergence": float(t.kl_divergence_),
}
path = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/report/tests/fixtures/report/tsne.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}: KL {t.kl_divergence_:.4f}")
