#!/usr/bin/env python3
"""Reference values for `mer::metrics` (classification and regression).

Produces: framework/crates/metrics/tests/fixtures/metrics/metrics.json, read by
framework/crates/metrics/tests/reference.rs.

Every vector is generated here from a fixed seed (numpy.random.default_rng) and
written to the JSON together with what scikit-learn / scipy compute from it:

  classification: accuracy_score, f1_score (average="macro" and average=None,
    labels=range(n_classes)), precision_score / recall_score (average=None,
    same labels), support from precision_recall_fscore_support,
    balanced_accuracy_score, confusion_matrix(labels=range(n_classes)).
    zero_division is left at its default ("warn"), which sets an undefined
    ratio to 0.0 and warns; the warnings are silenced here on purpose.
  regression: r2_score (default force_finite=True), root_mean_squared_error and
    sqrt(mean_squared_error), mean_absolute_error, scipy.stats.pearsonr, and
    Lin's concordance correlation coefficient from its textbook formula with
    population (ddof=0) moments (Lin 1989, Biometrics 45:255-268):
        ccc = 2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))**2),
    once in numpy floats ("ccc") and once in exact rational arithmetic
    (fractions.Fraction, "ccc_exact").

Non-finite floats are written as the strings "NaN", "inf", "-inf" (JSON has no
literal for them). A reference that the library refuses to compute (scipy's
pearsonr raises for fewer than two samples) is written as null together with a
"note".

Run:  pip install scikit-learn scipy numpy
      python3 tools/metrics_fixture.py
Versions used for the committed fixture are recorded in its "versions" key
(scikit-learn 1.9.1, scipy 1.17.1, numpy 2.4.6, Python 3.11.7).
"""

import json
import math
import platform
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    root_mean_squared_error,
)

OUT = Path(__file__).resolve().parent.parent / "framework/crates/metrics/tests/fixtures/metrics/metrics.json"


def num(x):
    """A float as JSON can hold it: non-finite values become strings."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def nums(xs):
    return [num(x) for x in xs]


def classification_case(name, y_true, y_pred, n_classes, why):
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    labels = list(range(n_classes))
    with warnings.catch_warnings():
        # UndefinedMetricWarning (zero_division) and balanced accuracy's
        # "y_pred contains classes not in y_true" are the documented defaults
        # under test; they are expected here.
        warnings.simplefilter("ignore")
        _, _, _, support = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=None
        )
        return {
            "name": name,
            "why": why,
            "n_classes": n_classes,
            "y_true": y_true.tolist(),
            "y_pred": y_pred.tolist(),
            "accuracy": num(accuracy_score(y_true, y_pred)),
            "macro_f1": num(f1_score(y_true, y_pred, labels=labels, average="macro")),
            "balanced_accuracy": num(balanced_accuracy_score(y_true, y_pred)),
            "precision": nums(precision_score(y_true, y_pred, labels=labels, average=None)),
            "recall": nums(recall_score(y_true, y_pred, labels=labels, average=None)),
            "f1": nums(f1_score(y_true, y_pred, labels=labels, average=None)),
            "support": [int(s) for s in support],
            "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        }


def ccc(x, y):
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(ddof=0), y.var(ddof=0)
    cov = ((x - mx) * (y - my)).mean()
    den = vx + vy + (mx - my) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.float64(2.0 * cov) / np.float64(den)


def ccc_exact(x, y):
    """The same formula in exact rational arithmetic, rounded once at the end.

    numpy's float version loses digits when the values are large and close
    (the large_offset case: about 1e-8 relative), so this is the reference
    that states what the correctly rounded value is.
    """
    xs = [Fraction(float(v)) for v in x]
    ys = [Fraction(float(v)) for v in y]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    vx = sum((v - mx) ** 2 for v in xs) / n
    vy = sum((v - my) ** 2 for v in ys) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / n
    den = vx + vy + (mx - my) ** 2
    return float("nan") if den == 0 else float(2 * cov / den)


def regression_case(name, y_true, y_pred, why):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    case = {"name": name, "why": why, "y_true": y_true.tolist(), "y_pred": y_pred.tolist()}
    with warnings.catch_warnings():
        # ConstantInputWarning (pearsonr) and UndefinedMetricWarning (r2 with
        # one sample) are part of what is being recorded.
        warnings.simplefilter("ignore")
        case["r2"] = num(r2_score(y_true, y_pred))
        case["rmse"] = num(root_mean_squared_error(y_true, y_pred))
        case["rmse_from_mse"] = num(math.sqrt(mean_squared_error(y_true, y_pred)))
        case["mae"] = num(mean_absolute_error(y_true, y_pred))
        try:
            case["pearson"] = num(scipy.stats.pearsonr(y_true, y_pred).statistic)
        except ValueError as e:
            case["pearson"] = None
            case["note"] = f"scipy.stats.pearsonr raises: {e}"
        case["ccc"] = num(ccc(y_true, y_pred))
        case["ccc_exact"] = num(ccc_exact(y_true, y_pred))
    return case


def main():
    rng = np.random.default_rng(20260521)
    cls = []

    # Binary, 40 samples, about 70 % correct.
    yt = rng.integers(0, 2, 40)
    yp = np.where(rng.random(40) < 0.7, yt, 1 - yt)
    cls.append(classification_case("binary", yt, yp, 2, "two classes, mixed errors"))

    # Four classes: class 3 never occurs in y_true nor y_pred; class 2 only in
    # y_pred (balanced accuracy drops it, macro-F1 counts it as 0); class 1 is
    # in y_true but never predicted (precision 0/0 -> 0).
    yt = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0])
    yp = np.array([0, 0, 2, 0, 0, 0, 2, 0, 2, 0, 0, 0])
    cls.append(
        classification_case(
            "four_class_absent",
            yt,
            yp,
            4,
            "class 3 absent everywhere, class 2 only predicted, class 1 never predicted",
        )
    )

    # Sixteen classes (the 4x4 grid scheme), 200 samples, skewed class sizes,
    # about half correct; some classes may be empty by chance.
    probs = rng.dirichlet(np.full(16, 0.8))
    yt = rng.choice(16, size=200, p=probs)
    yp = np.where(rng.random(200) < 0.5, yt, rng.integers(0, 16, 200))
    cls.append(classification_case("sixteen_class", yt, yp, 16, "4x4 grid labels, skewed sizes"))

    yt = rng.integers(0, 4, 30)
    cls.append(classification_case("perfect", yt, yt.copy(), 4, "every prediction right"))

    yt = rng.integers(0, 3, 30)
    cls.append(classification_case("all_wrong", yt, (yt + 1) % 3, 3, "every prediction wrong"))

    cls.append(
        classification_case("single_sample", [2], [2], 3, "one sample; two classes absent")
    )
    cls.append(
        classification_case(
            "one_class_predicted",
            [0, 1, 2, 2, 1, 0, 2],
            [2, 2, 2, 2, 2, 2, 2],
            3,
            "a constant classifier",
        )
    )

    reg = []
    x = rng.normal(0.0, 1.0, 50)
    reg.append(regression_case("noise", x, 0.8 * x + rng.normal(0.0, 0.4, 50), "signal plus noise"))
    x = rng.uniform(-1.0, 1.0, 40)
    reg.append(
        regression_case(
            "biased", x, 0.5 * x + 0.3 + rng.normal(0.0, 0.1, 40), "shifted and shrunk: ccc < pearson"
        )
    )
    x = rng.normal(0.0, 1.0, 30)
    reg.append(regression_case("anti", x, -x + rng.normal(0.0, 0.2, 30), "negative correlation"))
    x = rng.normal(0.0, 1.0, 25)
    reg.append(
        regression_case(
            "constant_prediction",
            x,
            np.full(25, x.mean()),
            "predicts the mean: pearson undefined (NaN), ccc 0",
        )
    )
    reg.append(
        regression_case(
            "constant_truth",
            np.full(10, 0.25),
            rng.normal(0.25, 0.1, 10),
            "constant y_true: sklearn's r2 is 0.0 (force_finite), pearson NaN",
        )
    )
    reg.append(
        regression_case(
            "constant_both_equal",
            np.full(6, -0.5),
            np.full(6, -0.5),
            "constant and exact: r2 1.0, pearson NaN, ccc 0/0 = NaN",
        )
    )
    reg.append(
        regression_case(
            "constant_both_different",
            np.full(6, 0.5),
            np.full(6, 0.1),
            "both constant, different: r2 0.0, pearson NaN, ccc 0",
        )
    )
    x = rng.normal(0.0, 1.0, 20)
    reg.append(regression_case("perfect", x, x.copy(), "exact predictions"))
    reg.append(regression_case("two_samples", [0.1, 0.7], [0.3, 0.2], "pearson is exactly -1"))
    reg.append(regression_case("one_sample", [0.4], [0.1], "r2 undefined (NaN)"))
    x = rng.normal(1e6, 1e-3, 30)
    reg.append(
        regression_case(
            "large_offset", x, x + rng.normal(0.0, 1e-3, 30), "values near 1e6 with spread 1e-3"
        )
    )

    out = {
        "generator": "tools/metrics_fixture.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "classification": cls,
        "regression": reg,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
