#!/usr/bin/env python3
"""Reference outputs of scikit-learn's classical models, for mer's baselines.

Writes framework/crates/model/tests/fixtures/model/classical.json: small standardised
feature matrices (one with more samples than features, one with fewer, as
TF-IDF gives) and what scikit-learn predicts for them:

- LogisticRegression(C) class probabilities (lbfgs, multinomial, tight tol);
- SVC(C, kernel="rbf", gamma="scale") one-vs-one decision values, the
  one-vs-rest scores of decision_function_shape="ovr", and labels;
- SVR(C, epsilon, rbf, gamma="scale") predictions;
- KNeighborsClassifier(5) probabilities and KNeighborsRegressor(5) values;
- Ridge(alpha) predictions.

Random forests are not compared (the trees' randomness differs).

Usage: pip install scikit-learn numpy && python3 tools/classical_fixture.py
"""

import json
import pathlib
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.svm import SVC, SVR

OUT = pathlib.Path(__file__).resolve().parent.parent / "framework/crates/model/tests/fixtures/model/classical.json"


def case(name, n_train, n_test, d, k, seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(k, d))
    y = np.arange(n_train + n_test) % k
    rng.shuffle(y)
    x = centres[y] + rng.normal(0, 1.0, size=(n_train + n_test, d))
    x = (x - x[:n_train].mean(0)) / x[:n_train].std(0)
    xtr, xte, ytr = x[:n_train], x[n_train:], y[:n_train]
    target = x @ rng.normal(0, 1, size=d) * 0.3 + rng.normal(0, 0.1, size=len(x))
    ttr = target[:n_train]

    lr = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(xtr, ytr)
    svc = SVC(C=1.0, kernel="rbf", gamma="scale", tol=1e-6, decision_function_shape="ovo").fit(xtr, ytr)
    svc_ovr = SVC(C=1.0, kernel="rbf", gamma="scale", tol=1e-6, decision_function_shape="ovr").fit(xtr, ytr)
    svr = SVR(C=1.0, epsilon=0.1, kernel="rbf", gamma="scale", tol=1e-6).fit(xtr, ttr)
    knn = KNeighborsClassifier(5).fit(xtr, ytr)
    knr = KNeighborsRegressor(5).fit(xtr, ttr)
    ridge = Ridge(alpha=1.0).fit(xtr, ttr)
    return {
        "name": name,
        "n_classes": k,
        "x_train": xtr.tolist(),
        "y_train": ytr.tolist(),
        "t_train": ttr.tolist(),
        "x_test": xte.tolist(),
        "logreg_proba": lr.predict_proba(xte).tolist(),
        "svc_ovo_decision": svc.decision_function(xte).tolist(),
        "svc_ovr_scores": svc_ovr.decision_function(xte).tolist(),
        "svc_labels": svc.predict(xte).tolist(),
        # SVC(break_ties=True): ties of one-vs-one votes go to the class with
        # the largest ovr decision value instead of the first tied class.
        "svc_labels_break_ties": SVC(
            C=1.0, kernel="rbf", gamma="scale", tol=1e-6, break_ties=True
        ).fit(xtr, ytr).predict(xte).tolist(),
        "svr_pred": svr.predict(xte).tolist(),
        "knn_proba": knn.predict_proba(xte).tolist(),
        "knn_reg_pred": knr.predict(xte).tolist(),
        "ridge_pred": ridge.predict(xte).tolist(),
    }


def main():
    out = {
        "generator": "tools/classical_fixture.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scikit-learn": sklearn.__version__},
        "cases": [
            case("tall_3class", 90, 30, 6, 3, 1),
            case("wide_4class", 24, 12, 40, 4, 2),
            case("binary", 40, 20, 5, 2, 3),
            # Six overlapping classes: some test rows tie in the one-vs-one
            # votes, so the two tie-breaking rules give different labels.
            case("ties_6class", 60, 60, 3, 6, 10),
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
