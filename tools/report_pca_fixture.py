#!/usr/bin/env python3
"""Reference values for the EDA numbers of `mer::report` (PCA, standardisation,
correlation, class-centroid distances), written to
framework/crates/report/tests/fixtures/report/eda.json and checked by
framework/crates/report/tests/eda.rs.

The input matrices are generated from closed-form expressions (below, and
repeated in the Rust test) so the fixture holds only the results:
  - "tall":  60 x 8   (covariance path of mer's PCA)
  - "wide":  12 x 30  (Gram path)
  - "big":   450 x 420 (both sides above mer's exact-solver limit of 400:
             subspace iteration)

Reference implementations: sklearn.decomposition.PCA(n_components=2,
svd_solver="full"), sklearn.preprocessing.StandardScaler, numpy.corrcoef; the
centroid distances are numpy on StandardScaler output.

Run: python3 tools/report_pca_fixture.py
Versions used are recorded in the fixture ("versions").
"""

import json
import math
import pathlib

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

OUT = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/report/tests/fixtures/report/eda.json"


def matrix(n, d):
    """x[i][j] = (i % 7) sin(j + 1) + 0.5 (i % 11) cos(2 j) + 0.1 sin(0.013 i j) + 0.01 j
    (two strong directions, a weak nonlinear rest, distinct column means)."""
    x = np.empty((n, d))
    for i in range(n):
        for j in range(d):
            x[i, j] = (
                (i % 7) * math.sin(j + 1.0)
                + 0.5 * (i % 11) * math.cos(2.0 * j)
                + 0.1 * math.sin(0.013 * i * j)
                + 0.01 * j
            )
    return x


def labels(n, k):
    """Class of row i: (i + i // 4) % k."""
    return [(i + i // 4) % k for i in range(n)]


def pca_case(x):
    p = PCA(n_components=2, svd_solver="full").fit(x)
    return {
        "n": int(x.shape[0]),
        "d": int(x.shape[1]),
        "mean": p.mean_.tolist(),
        "components": p.components_.tolist(),
        "explained_variance": p.explained_variance_.tolist(),
        "explained_variance_ratio": p.explained_variance_ratio_.tolist(),
        # Projections of the first 5 rows.
        "transform_head": p.transform(x[:5]).tolist(),
    }


def main():
    out = {
        "versions": {
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "pca": {
            "tall": pca_case(matrix(60, 8)),
            "wide": pca_case(matrix(12, 30)),
            "big": pca_case(matrix(450, 420)),
        },
    }
    x = matrix(60, 8)
    z = StandardScaler().fit_transform(x)
    out["standardize"] = {"n": 60, "d": 8, "head": z[:5].tolist()}
    out["correlation"] = {"n": 60, "d": 8, "matrix": np.corrcoef(x, rowvar=False).tolist()}
    k = 4
    y = np.array(labels(60, k))
    cents = np.stack([z[y == c].mean(axis=0) for c in range(k)])
    dist = np.sqrt(((cents[:, None, :] - cents[None, :, :]) ** 2).sum(axis=2))
    out["centroids"] = {"n": 60, "d": 8, "k": k, "distances": dist.tolist()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
