#!/usr/bin/env python3
"""Reference k-means results for `mer`'s labels::kmeans (test: framework/crates/data/tests/labels_kmeans.rs).

Produces framework/crates/data/tests/fixtures/data/kmeans_reference.json: 2-D valence/arousal-like
point sets, the initial centres both implementations start from, and scikit-learn's
KMeans(init=centres, n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4) result
(labels, centres, inertia), plus the best inertia of KMeans(n_init=10, init="k-means++")
for a statistical check of the seeding.

Run: python3 tools/data_kmeans_reference.py   (versions are recorded in the JSON)
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.cluster import KMeans

OUT = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/data/tests/fixtures/data/kmeans_reference.json"


def blobs(rng, n, centres, sd):
    pts = []
    for i in range(n):
        c = centres[i % len(centres)]
        pts.append(np.clip(rng.normal(c, sd), -1, 1))
    return np.array(pts)


def case(name, X, k, rng):
    init = X[rng.choice(len(X), size=k, replace=False)]
    km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4).fit(X)
    best = KMeans(n_clusters=k, init="k-means++", n_init=10, random_state=0).fit(X)
    return {
        "name": name,
        "k": k,
        "points": X.tolist(),
        "init": init.tolist(),
        "labels": km.labels_.tolist(),
        "centres": km.cluster_centers_.tolist(),
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
        "best_of_10_inertia": float(best.inertia_),
    }


def main():
    rng = np.random.default_rng(20261121)
    quads = [(0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)]
    cases = [
        case("quadrant_blobs_k4", blobs(rng, 200, quads, 0.2), 4, rng),
        case("uniform_k16", rng.uniform(-1, 1, size=(300, 2)), 16, rng),
        case("uniform_k64", rng.uniform(-1, 1, size=(500, 2)), 64, rng),
        case("overlapping_k4", blobs(rng, 150, [(0.1, 0.1), (-0.1, 0.0)], 0.4), 4, rng),
    ]
    out = {
        "generator": "tools/data_kmeans_reference.py",
        "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__},
        "cases": cases,
    }
    OUT.write_text(json.dumps(out, indent=1))
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
