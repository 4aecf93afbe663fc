#!/usr/bin/env python3
"""Reference keyword scores for framework/crates/text/tests/keywords.rs.

Writes framework/crates/text/tests/fixtures/text/keywords_reference.json: a small
constructed corpus (lowercase words separated by spaces, so tokenisation is
trivially the same on both sides; one missing document; one class without
documents) and, per class, every listed word with its score:

* log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi &
  Quinn 2008, "Fightin' Words", eqs. 16-22), implemented here independently
  in NumPy, one class vs the rest, prior alpha_w = s * (corpus count of w),
  alpha_0 = s * (corpus token count), for two prior scales s;
* chi-squared from scikit-learn's `sklearn.feature_selection.chi2` on the
  document-term count matrix with labels "class i" vs "rest".

Words are listed when their corpus count is >= min_count and they are
over-represented in the class (z > 0, or observed > expected), best first,
ties alphabetical.

    pip install scikit-learn numpy
    python tools/text_keywords_fixture.py

Versions used for the committed fixture: see "versions" in the JSON
(scikit-learn 1.9.1, numpy 2.4.6, Python 3.11.7).
"""

import json
import platform
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.feature_selection import chi2

OUT = Path(__file__).resolve().parent.parent / "framework/crates/text/tests/fixtures/text/keywords_reference.json"

CLASS_NAMES = ["q1_happy", "q3_sad", "q4_calm", "unused"]
DOCS = [
    ("dance party sun smile dance love night", 0),
    ("party party love sun shine bright love", 0),
    ("smile shine dance love together night", 0),
    ("gone hurt cry tears alone night love", 1),
    ("cry cry gone alone rain tears hurt", 1),
    ("hurt gone rain cold alone night", 1),
    ("tears cry gone love lost", 1),
    ("peace angel star calm night sky", 2),
    ("angel star peace dream sky love", 2),
    ("calm sea peace star angel", 2),
    (None, 1),
    ("night love star", 2),
]
MIN_COUNT = 2


def listed(terms, scores, keep):
    order = sorted((i for i in range(len(terms)) if keep[i]),
                   key=lambda i: (-scores[i], terms[i]))
    return order


def main():
    present = [(d, l) for d, l in DOCS if d is not None]
    texts = [d for d, _ in present]
    labels = np.array([l for _, l in present])
    cv = CountVectorizer(token_pattern=r"\S+", lowercase=False)
    X = cv.fit_transform(texts).toarray().astype(np.float64)  # [docs, terms]
    terms = list(cv.get_feature_names_out())
    k = len(CLASS_NAMES)
    C = np.stack([X[labels == c].sum(axis=0) for c in range(k)])  # [classes, terms]
    y = C.sum(axis=0)
    n_c = C.sum(axis=1)
    n = n_c.sum()

    cases = []
    for s in (1.0, 0.1):
        classes = []
        for i in range(k):
            if not (labels == i).any():
                classes.append([])
                continue
            yi, yj = C[i], y - C[i]
            ni, nj = n_c[i], n - n_c[i]
            a, a0 = s * y, s * n
            delta = np.log((yi + a) / (ni + a0 - yi - a)) - np.log((yj + a) / (nj + a0 - yj - a))
            z = delta / np.sqrt(1.0 / (yi + a) + 1.0 / (yj + a))
            keep = (y >= MIN_COUNT) & (z > 0)
            classes.append([{"term": terms[j], "score": float(z[j]),
                             "count_in_class": int(yi[j]), "count_in_rest": int(yj[j])}
                            for j in listed(terms, z, keep)])
        cases.append({"method": "log_odds", "prior_scale": s, "classes": classes})

    classes = []
    for i in range(k):
        yb = labels == i
        if not yb.any():
            classes.append([])
            continue
        score, _ = chi2(X, yb)
        observed = X[yb].sum(axis=0)
        expected = yb.mean() * X.sum(axis=0)
        keep = (y >= MIN_COUNT) & (observed > expected)
        classes.append([{"term": terms[j], "score": float(score[j]),
                         "count_in_class": int(C[i][j]), "count_in_rest": int(y[j] - C[i][j])}
                        for j in listed(terms, score, keep)])
    cases.append({"method": "chi_squared", "prior_scale": None, "classes": classes})

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "generator": "tools/text_keywords_fixture.py",
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__},
        "class_names": CLASS_NAMES,
        "docs": [d for d, _ in DOCS],
        "labels": [l for _, l in DOCS],
        "min_count": MIN_COUNT,
        "cases": cases,
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
