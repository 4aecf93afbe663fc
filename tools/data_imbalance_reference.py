#!/usr/bin/env python3
"""Reference class weights, SMOTE and random oversampling for `mer`'s train::imbalance
(test: framework/crates/model/tests/imbalance.rs).

Produces framework/crates/model/tests/fixtures/data/imbalance_reference.json: an imbalanced
3-class training set, scikit-learn's compute_class_weight("balanced"), the k=5
same-class nearest neighbours of every row (sklearn NearestNeighbors, self excluded),
imbalanced-learn's SMOTE(k_neighbors=5, random_state=0) and RandomOverSampler
resampled class counts, and the per-class mean and standard error of SMOTE's
synthetic rows (for a statistical comparison; the RNGs differ).

Run: python3 tools/data_imbalance_reference.py   (versions are recorded in the JSON)
"""
import json
import pathlib

import imblearn
import numpy as np
import sklearn
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.class_weight import compute_class_weight

OUT = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/model/tests/fixtures/data/imbalance_reference.json"
K = 5


def main():
    rng = np.random.default_rng(11)
    sizes = [300, 60, 20]
    means = [(0, 0, 0), (3, 1, -1), (-2, 4, 1)]
    X = np.vstack([rng.normal(m, 1.0, size=(s, 3)) for m, s in zip(means, sizes)]).astype(np.float32)
    y = np.repeat(np.arange(3), sizes)
    perm = rng.permutation(len(y))
    X, y = X[perm], y[perm]

    weights = compute_class_weight("balanced", classes=np.arange(3), y=y)

    neighbours = [None] * len(y)
    for c in range(3):
        idx = np.flatnonzero(y == c)
        nn = NearestNeighbors(n_neighbors=K + 1).fit(X[idx])
        _, ind = nn.kneighbors(X[idx])
        for row, n in zip(idx, ind):
            neighbours[row] = [int(idx[j]) for j in n if idx[j] != row][:K]

    Xs, ys = SMOTE(k_neighbors=K, random_state=0).fit_resample(X, y)
    synth_X, synth_y = Xs[len(y):], ys[len(y):]
    smote_stats = {}
    for c in range(3):
        rows = synth_X[synth_y == c]
        if len(rows):
            smote_stats[str(c)] = {
                "n": int(len(rows)),
                "mean": rows.mean(axis=0).astype(float).tolist(),
                "se": (rows.std(axis=0, ddof=1) / np.sqrt(len(rows))).astype(float).tolist(),
            }
    _, yo = RandomOverSampler(random_state=0).fit_resample(X, y)

    out = {
        "generator": "tools/data_imbalance_reference.py",
        "versions": {
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "imbalanced-learn": imblearn.__version__,
        },
        "k": K,
        "x": X.astype(float).tolist(),
        "y": y.tolist(),
        "class_weights": weights.tolist(),
        "neighbours": neighbours,
        "smote_counts": np.bincount(ys).tolist(),
        "smote_synthetic": smote_stats,
        "oversample_counts": np.bincount(yo).tolist(),
    }
    OUT.write_text(json.dumps(out))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
