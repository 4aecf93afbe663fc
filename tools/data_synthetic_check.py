#!/usr/bin/env python3
"""Independent check of the synthetic benchmark's structure with librosa + scikit-learn.

Reads a generated synthetic dataset directory (the one holding metadata.csv,
e.g. <cache_dir>/synthetic/<key>/), extracts the seed study's 37 track-mean audio
features with librosa defaults (13 MFCC, 12 chroma_stft, 7 spectral contrast, RMS,
ZCR, centroid, bandwidth, rolloff) and TF-IDF of the lyrics, and runs a
standardised logistic regression with stratified 5-fold CV for audio, text and
audio+text. Prints quadrant accuracy, valence-sign and arousal-sign accuracy per
modality and the audio-only quadrant confusion matrix, and exits non-zero if the
structure issue 4 asks for is absent:
  audio separates arousal better than valence; text the reverse;
  audio+text beats both on quadrants; Q3/Q4 is audio's largest confusion.

Run: python3 tools/data_synthetic_check.py DIR
Versions used: printed at start (librosa 0.11.0, scikit-learn 1.x, numpy 2.x here).
"""
import csv
import pathlib
import sys
from multiprocessing import Pool

import librosa
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

QUADRANTS = ["Q1_happy", "Q2_angry", "Q3_sad", "Q4_calm"]


def features(path):
    y, sr = librosa.load(path, sr=22050)
    parts = [
        librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13).mean(axis=1),
        librosa.feature.chroma_stft(y=y, sr=sr).mean(axis=1),
        librosa.feature.spectral_contrast(y=y, sr=sr).mean(axis=1),
        [librosa.feature.rms(y=y).mean()],
        [librosa.feature.zero_crossing_rate(y).mean()],
        [librosa.feature.spectral_centroid(y=y, sr=sr).mean()],
        [librosa.feature.spectral_bandwidth(y=y, sr=sr).mean()],
        [librosa.feature.spectral_rolloff(y=y, sr=sr).mean()],
    ]
    return np.concatenate([np.asarray(p, dtype=float) for p in parts])


def cv_predict(X, y, seed=0):
    pred = np.zeros_like(y)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        model.fit(X[train], y[train])
        pred[test] = model.predict(X[test])
    return pred


def main():
    root = pathlib.Path(sys.argv[1])
    print(f"numpy {np.__version__}, librosa {librosa.__version__}, scikit-learn {sklearn.__version__}")
    rows = list(csv.DictReader(open(root / "metadata.csv")))
    with Pool(2) as pool:
        A = np.array(pool.map(features, [str(root / r["audio"]) for r in rows]))
    lyrics = [(root / r["lyrics"]).read_text() if r["lyrics"] else "" for r in rows]
    q = np.array([QUADRANTS.index(r["oracle"]) for r in rows])
    valence = np.isin(q, [1, 2]).astype(int)  # negative valence
    arousal = np.isin(q, [2, 3]).astype(int)  # low arousal
    # TF-IDF fitted inside each fold would be stricter; the vocabulary here is
    # synthetic and closed, so fitting it once changes nothing material.
    T = TfidfVectorizer().fit_transform(lyrics).toarray()
    mods = {"audio": A, "text": T, "audio+text": np.hstack([A, T])}
    ok = True
    acc = {}
    for name, X in mods.items():
        pq = cv_predict(X, q)
        acc[name] = (
            (pq == q).mean(),
            (cv_predict(X, valence) == valence).mean(),
            (cv_predict(X, arousal) == arousal).mean(),
        )
        print(f"{name:>10}: quadrants {acc[name][0]:.3f}  valence {acc[name][1]:.3f}  arousal {acc[name][2]:.3f}")
        if name == "audio":
            cm = confusion_matrix(q, pq, labels=[0, 1, 2, 3])
            print("audio confusion (rows true Q1..Q4):\n", cm)
            off = cm + cm.T
            np.fill_diagonal(off, 0)
            worst = np.unravel_index(np.argmax(off), off.shape)
            print(f"largest audio confusion: Q{worst[0] + 1}/Q{worst[1] + 1}")
            ok &= set(worst) == {2, 3}
    ok &= acc["audio"][2] > acc["audio"][1]
    ok &= acc["text"][1] > acc["text"][2]
    ok &= acc["audio+text"][0] > max(acc["audio"][0], acc["text"][0])
    print("structure present" if ok else "STRUCTURE MISSING")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
