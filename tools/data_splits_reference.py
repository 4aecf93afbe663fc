#!/usr/bin/env python3
"""Reference fold statistics for `mer`'s data::splits (test: framework/crates/data/tests/splits.rs).

Produces framework/crates/data/tests/fixtures/data/splits_reference.json: for labelled, grouped
track sets, scikit-learn's per-fold class counts of StratifiedKFold(shuffle=True)
(deterministic given the labels), and for StratifiedGroupKFold(shuffle=True) the
per-fold class counts over 20 random_states, summarised as the mean over seeds of the
largest absolute deviation of a fold's class count from its ideal share, so `mer`'s
greedy can be compared with scikit-learn's on the same data.

Run: python3 tools/data_splits_reference.py   (versions are recorded in the JSON)
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

OUT = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/data/tests/fixtures/data/splits_reference.json"


def fold_counts(splits, y, n_classes):
    return [np.bincount(y[test], minlength=n_classes).tolist() for _, test in splits]


def max_dev(counts, y, k):
    ideal = np.bincount(y) / k
    return float(np.max(np.abs(np.array(counts) - ideal[None, :])))


def case(name, y, groups, k):
    y = np.asarray(y)
    groups = np.asarray(groups)
    n_classes = int(y.max()) + 1
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
    skf_counts = fold_counts(skf.split(np.zeros(len(y)), y), y, n_classes)
    devs = []
    for rs in range(20):
        sgkf = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=rs)
        devs.append(max_dev(fold_counts(sgkf.split(np.zeros(len(y)), y, groups), y, n_classes), y, k))
    return {
        "name": name,
        "folds": k,
        "y": y.tolist(),
        "groups": groups.tolist(),
        "stratified_kfold_counts": sorted(skf_counts),
        "sgkf_mean_max_deviation": float(np.mean(devs)),
        "sgkf_max_max_deviation": float(np.max(devs)),
    }


def main():
    rng = np.random.default_rng(7)
    cases = []
    # Balanced quadrants, 50 artists with a home class (like the synthetic benchmark).
    n = 400
    artists = rng.integers(0, 50, size=n)
    home = rng.integers(0, 4, size=50)
    y = np.where(rng.random(n) < 0.7, home[artists], rng.integers(0, 4, size=n))
    cases.append(case("quadrants_400_artists50", y, artists, 5))
    # Imbalanced 9 classes (EMOTIFY-like counts), 80 groups.
    sizes = [98, 93, 53, 44, 34, 29, 27, 19, 3]
    y = np.repeat(np.arange(9), sizes)
    rng.shuffle(y)
    cases.append(case("emotify_like_400_groups80", y, rng.integers(0, 80, size=len(y)), 5))
    # Small: 103 tracks, 3 classes, 10 folds.
    y = rng.integers(0, 3, size=103)
    cases.append(case("small_103_k10", y, rng.integers(0, 30, size=103), 10))
    out = {
        "generator": "tools/data_splits_reference.py",
        "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__},
        "cases": cases,
    }
    OUT.write_text(json.dumps(out))
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
