#!/usr/bin/env python3
"""Seed-to-seed reference distributions of scikit-learn's random forests, for
mer's forest (framework/crates/model/src/classical/forest.rs).

Writes framework/crates/model/tests/fixtures/model/forest_reference.json
(or the path given as the first argument), read by
framework/crates/model/tests/forest.rs.

A forest cannot be compared tree by tree (the random draws differ), so the
fixture holds what scikit-learn's forest scores over many seeds on fixed
data, and the test checks that mer's mean over its own seeds lies where
scikit-learn's seed distribution puts a mean of that many seeds.

The data imitate the inputs where smartcore's forest scored below
scikit-learn's (4 quadrant classes, 240 train / 120 test rows):

- "text": 300 TF-IDF-like features (l2-normalised tf * smooth idf of
  bag-of-words documents drawn from a Zipf background plus a weak
  per-class topic): sparse, non-negative, most values tied at zero, few
  features informative, so most of a sqrt draw of features is constant
  in a node;
- "fusion": 37 dense standardised audio-like features (weak class
  centres, correlated noise) followed by the 300 text features;
- "regression": the fusion features with a continuous target (linear in a
  few audio features, a class effect and noise).

All values are rounded (4 decimals) before fitting, so scikit-learn and mer
see identical numbers. The text matrix is stored sparse (per row, the
column indices and values of its non-zeros).

For each classification data set: RandomForestClassifier(n_estimators=100,
max_features="sqrt", random_state=s) for s in range(N) (N = --seeds,
default 200), test accuracy per seed. For the regression:
RandomForestRegressor(n_estimators=100, random_state=s), test R² per seed.
Every other hyper-parameter at scikit-learn's default (bootstrap, gini /
squared error, fully grown). The JSON keeps every seed's score and their
mean, sd (ddof=1) and quantiles. About 3 minutes on one core.

Usage: pip install scikit-learn numpy && python3 tools/forest_fixture.py [OUT.json] [--seeds N]
Versions used for the committed fixture: see "versions" in the JSON.
"""

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import r2_score

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "framework/crates/model/tests/fixtures/model/forest_reference.json"

N_TRAIN, N_TEST, N_CLASSES = 240, 120, 4
VOCAB, AUDIO = 300, 37
DECIMALS = 4
SEED = 20240601


def text_features(rng, y):
    """TF-IDF of documents: Zipf background words plus a weak class topic."""
    n = len(y)
    background = 1.0 / np.arange(1, VOCAB + 1) ** 1.1
    background /= background.sum()
    topics = []
    for _ in range(N_CLASSES):
        t = np.zeros(VOCAB)
        words = rng.choice(np.arange(20, VOCAB), size=25, replace=False)
        t[words] = rng.uniform(0.5, 1.5, size=25)
        topics.append(t / t.sum())
    counts = np.zeros((n, VOCAB))
    for i in range(n):
        length = 5 + rng.poisson(20)
        counts[i] = rng.multinomial(length, 0.88 * background + 0.12 * topics[y[i]])
    df = (counts[:N_TRAIN] > 0).sum(0)
    idf = np.log((1 + N_TRAIN) / (1 + df)) + 1
    x = counts * idf
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return x / norms


def audio_features(rng, y):
    """Weak class centres plus correlated noise, standardised on train."""
    centres = rng.normal(0, 0.1, size=(N_CLASSES, AUDIO))
    mix = np.eye(AUDIO) * 0.7 + rng.normal(0, 1, size=(AUDIO, AUDIO)) / np.sqrt(AUDIO) * 0.5
    x = centres[y] + rng.normal(0, 1, size=(len(y), AUDIO)) @ mix
    return (x - x[:N_TRAIN].mean(0)) / x[:N_TRAIN].std(0)


def build():
    rng = np.random.default_rng(SEED)
    y = np.arange(N_TRAIN + N_TEST) % N_CLASSES
    rng.shuffle(y)
    text = np.round(text_features(rng, y), DECIMALS)
    audio = np.round(audio_features(rng, y), DECIMALS)
    weights = np.zeros(AUDIO)
    weights[:6] = rng.normal(0, 0.5, size=6)
    target = audio @ weights + 0.4 * (y % 2) + rng.normal(0, 0.5, size=len(y))
    target = np.round(target, DECIMALS)
    return y, text, audio, target


def summary(values):
    v = np.asarray(values)
    return {
        "mean": float(v.mean()),
        "sd": float(v.std(ddof=1)),
        "quantiles": {q: float(np.quantile(v, float(q))) for q in ["0.025", "0.25", "0.5", "0.75", "0.975"]},
    }


def classification(name, features, x, y, seeds):
    xtr, xte, ytr, yte = x[:N_TRAIN], x[N_TRAIN:], y[:N_TRAIN], y[N_TRAIN:]
    acc = []
    for s in seeds:
        m = RandomForestClassifier(n_estimators=100, max_features="sqrt", random_state=s).fit(xtr, ytr)
        acc.append(float((m.predict(xte) == yte).mean()))
    print(f"{name}: accuracy {np.mean(acc):.4f} ± {np.std(acc, ddof=1):.4f}", file=sys.stderr)
    return {
        "name": name,
        "features": features,
        "task": "classification",
        "model": 'RandomForestClassifier(n_estimators=100, max_features="sqrt", random_state=seed)',
        "seeds": len(acc),
        "scores": [round(a, 6) for a in acc],
        **summary(acc),
    }


def regression(name, features, x, t, seeds):
    xtr, xte, ttr, tte = x[:N_TRAIN], x[N_TRAIN:], t[:N_TRAIN], t[N_TRAIN:]
    r2 = []
    for s in seeds:
        m = RandomForestRegressor(n_estimators=100, random_state=s).fit(xtr, ttr)
        r2.append(float(r2_score(tte, m.predict(xte))))
    print(f"{name}: R² {np.mean(r2):.4f} ± {np.std(r2, ddof=1):.4f}", file=sys.stderr)
    return {
        "name": name,
        "features": features,
        "task": "regression",
        "model": "RandomForestRegressor(n_estimators=100, random_state=seed)",
        "seeds": len(r2),
        "scores": [round(r, 6) for r in r2],
        **summary(r2),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default=str(OUT))
    ap.add_argument("--seeds", type=int, default=200)
    args = ap.parse_args()
    seeds = range(args.seeds)

    y, text, audio, target = build()
    fusion = np.hstack([audio, text])
    out = {
        "generator": "tools/forest_fixture.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "n_train": N_TRAIN,
        "n_test": N_TEST,
        "n_classes": N_CLASSES,
        "labels": y.tolist(),
        "target": target.tolist(),
        "text": {
            "cols": VOCAB,
            "indices": [np.flatnonzero(r).tolist() for r in text],
            "values": [r[r != 0].tolist() for r in text],
        },
        "audio": audio.tolist(),
        "datasets": [
            classification("text", "text", text, y, seeds),
            classification("fusion", "audio ++ text", fusion, y, seeds),
            regression("regression", "audio ++ text", fusion, target, seeds),
        ],
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)", file=sys.stderr)


if __name__ == "__main__":
    main()
