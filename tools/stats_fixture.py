#!/usr/bin/env python3
"""Reference values for `mer::metrics::stats` and `mer::metrics::Summary`.

Produces: framework/crates/metrics/tests/fixtures/metrics/stats.json, read by
framework/crates/metrics/tests/stats.rs.

Inputs are generated here from fixed seeds (numpy.random.default_rng) or
written out by hand; the outputs come from:

  summary        numpy mean / std(ddof=1) / min / max and
                 scipy.stats.t.interval(0.95, n-1, loc=mean, scale=std/sqrt(n))
  t_ppf          scipy.stats.t.ppf(q, df)
  wilcoxon       scipy.stats.wilcoxon(x, y) with every default (two-sided,
                 zero_method="wilcox", correction=False, method="auto"); the
                 path "auto" takes is recorded and checked here by calling
                 scipy again with that method named explicitly
  nadeau_bengio  the corrected resampled t-test written out from its formula
                 (Nadeau & Bengio 2003, Machine Learning 52:239-281; Bouckaert
                 & Frank 2004, PAKDD, LNCS 3056:3-12) with scipy.stats.t.sf;
                 with ratio 0 it is also checked against scipy.stats.ttest_rel
  holm           statsmodels.stats.multitest.multipletests(p, method="holm")
  friedman       scipy.stats.friedmanchisquare(*columns)
  ranks          scipy.stats.rankdata(row) (ascending, method="average") per
                 block, averaged over blocks; "higher is better" ranks -row
  nemenyi_q      scipy.stats.studentized_range.ppf(1 - alpha, k, inf) / sqrt(2)
                 for k = 2..=20 and alpha in {0.05, 0.10} (Demsar 2006, JMLR
                 7:1-30, Sec. 3.2.2 and Table 5)

Non-finite floats are written as the strings "NaN", "inf", "-inf".

Run:  pip install scipy numpy statsmodels
      python3 tools/stats_fixture.py
Versions used for the committed fixture are recorded in its "versions" key
(scipy 1.17.1, numpy 2.4.6, statsmodels 0.15.0, Python 3.11.7).
"""

import json
import math
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.multitest import multipletests

OUT = Path(__file__).resolve().parent.parent / "framework/crates/metrics/tests/fixtures/metrics/stats.json"


def num(x):
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


def summary_case(name, values):
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    mean = v.mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        std = v.std(ddof=1) if n > 1 else float("nan")
    case = {
        "name": name,
        "values": nums(v),
        "n": n,
        "mean": num(mean),
        "std": num(std),
        "min": num(v.min()),
        "max": num(v.max()),
    }
    if n >= 2 and std > 0:
        lo, hi = st.t.interval(0.95, n - 1, loc=mean, scale=std / math.sqrt(n))
        case["ci95"] = [num(lo), num(hi)]
    elif n >= 2:
        # scipy rejects scale=0 (returns NaN); the interval of a constant
        # sample is the formula's zero-width mean +- t * 0.
        case["ci95"] = [num(mean), num(mean)]
        case["note"] = "std 0: zero-width interval from the formula, not t.interval"
    else:
        case["ci95"] = None
    return case


def wilcoxon_method(d):
    """The path scipy 1.17's method="auto" takes (scipy/stats/_wilcoxon.py)."""
    n = len(d)
    if n > 50:
        return "asymptotic"
    nz = d[d != 0]
    has_zeros = len(nz) < n
    has_ties = len(np.unique(np.abs(nz))) < len(nz)
    if not (has_ties or has_zeros):
        return "exact"
    if n <= 13:
        return "permutation"
    return "asymptotic"


def wilcoxon_case(name, x, y, why):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    d = x - y
    method = wilcoxon_method(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = st.wilcoxon(x, y)
        named = {
            "exact": "exact",
            "asymptotic": "asymptotic",
            "permutation": st.PermutationMethod(),
        }[method]
        again = st.wilcoxon(x, y, method=named)
    # The recorded path must reproduce "auto" exactly.
    for a, b in ((res.statistic, again.statistic), (res.pvalue, again.pvalue)):
        assert (math.isnan(a) and math.isnan(b)) or a == b, (name, method, res, again)
    return {
        "name": name,
        "why": why,
        "x": x.tolist(),
        "y": y.tolist(),
        "method": method,
        "statistic": num(res.statistic),
        "pvalue": num(res.pvalue),
    }


def nadeau_bengio(a, b, ratio):
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = len(d)
    mean = d.mean()
    var = d.var(ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / math.sqrt((1.0 / n + ratio) * var) if var > 0 else (
            math.copysign(math.inf, mean) if mean != 0 else math.nan
        )
    p = 2.0 * st.t.sf(abs(t), n - 1) if not math.isnan(t) else math.nan
    return t, p, n - 1, mean, var


def nb_case(name, a, b, ratio, why):
    t, p, df, mean, var = nadeau_bengio(a, b, ratio)
    case = {
        "name": name,
        "why": why,
        "a": nums(a),
        "b": nums(b),
        "test_train_ratio": ratio,
        "t": num(t),
        "pvalue": num(p),
        "df": df,
        "mean_difference": num(mean),
        "variance": num(var),
    }
    if ratio == 0.0:
        r = st.ttest_rel(a, b)
        assert abs(r.statistic - t) <= 1e-12 * max(1.0, abs(t)), (r, t)
        assert abs(r.pvalue - p) <= 1e-12, (r, p)
        case["scipy_ttest_rel"] = {"t": num(r.statistic), "pvalue": num(r.pvalue)}
    return case


def holm_case(name, p):
    reject, adjusted, _, _ = multipletests(p, alpha=0.05, method="holm")
    return {"name": name, "p": nums(p), "adjusted": nums(adjusted), "reject_05": reject.tolist()}


def friedman_case(name, table, why):
    t = np.asarray(table, dtype=np.float64)  # [n_blocks][k]
    res = st.friedmanchisquare(*[t[:, j] for j in range(t.shape[1])])
    ranks_lower = np.mean([st.rankdata(row) for row in t], axis=0)
    ranks_higher = np.mean([st.rankdata(-row) for row in t], axis=0)
    return {
        "name": name,
        "why": why,
        "table": t.tolist(),
        "statistic": num(res.statistic),
        "pvalue": num(res.pvalue),
        "df": t.shape[1] - 1,
        "avg_ranks_lower_is_better": nums(ranks_lower),
        "avg_ranks_higher_is_better": nums(ranks_higher),
    }


def main():
    rng = np.random.default_rng(7)
    out = {
        "generator": "tools/stats_fixture.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
        },
    }

    out["summary"] = [
        summary_case("five_folds", [0.71, 0.68, 0.74, 0.70, 0.69]),
        summary_case("two_values", [0.5, 0.9]),
        summary_case("single", [0.42]),
        summary_case("fifty", rng.normal(0.6, 0.05, 50)),
        summary_case("constant", [0.8, 0.8, 0.8, 0.8]),
        summary_case("negative", [-1.5, 2.25, -0.125, 3.0, 0.0, -7.5]),
    ]

    out["t_ppf"] = []
    for df in [1, 2, 3, 4, 5, 7, 9, 10, 14, 19, 24, 29, 49, 99, 1000]:
        for q in [0.5, 0.9, 0.95, 0.975, 0.995, 0.025, 0.0005]:
            out["t_ppf"].append({"q": q, "df": df, "ppf": num(st.t.ppf(q, df))})

    w = []
    # Small, no ties, no zeros: exact null distribution.
    x = np.array([0.81, 0.77, 0.85, 0.79, 0.74, 0.90, 0.83, 0.76])
    y = np.array([0.78, 0.79, 0.80, 0.72, 0.75, 0.84, 0.815, 0.705])
    w.append(wilcoxon_case("exact_n8", x, y, "n=8, distinct non-zero differences"))
    x = rng.normal(0.0, 1.0, 20)
    y = x + rng.normal(0.3, 1.0, 20)
    w.append(wilcoxon_case("exact_n20", x, y, "n=20, exact"))
    x = rng.normal(0.0, 1.0, 50)
    y = x + rng.normal(-0.2, 1.0, 50)
    w.append(wilcoxon_case("exact_n50", x, y, "n=50 is the largest exact case"))
    w.append(
        wilcoxon_case(
            "exact_all_positive", np.arange(1.0, 11.0), np.zeros(10), "smallest possible p for n=10"
        )
    )
    # Ties and zeros, n <= 13: exhaustive sign-flip permutation.
    x = np.array([3.0, 5.0, 2.0, 4.0, 6.0, 1.0, 5.0, 3.0, 7.0, 2.0])
    y = np.array([1.0, 5.0, 4.0, 2.0, 3.0, 2.0, 3.0, 6.0, 4.0, 2.0])
    w.append(wilcoxon_case("permutation_ties_zeros", x, y, "n=10, ties and two zeros"))
    x = np.array([1, 2, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 9], dtype=float)
    y = np.array([0, 1, 3, 1, 2, 4, 3, 3, 5, 6, 6, 6, 7], dtype=float)
    w.append(wilcoxon_case("permutation_n13_ties", x, y, "n=13, tied |d|"))
    w.append(
        wilcoxon_case(
            "permutation_all_zero",
            [0.5, 0.6, 0.7, 0.8],
            [0.5, 0.6, 0.7, 0.8],
            "every difference zero: p = 1",
        )
    )
    # Fold accuracies whose differences carry float round-off (scipy warns
    # about this; both sides compute x - y identically).
    x = np.array([0.8, 0.75, 0.7, 0.85, 0.8, 0.9, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8])
    y = np.array([0.75, 0.7, 0.7, 0.8, 0.85, 0.8, 0.6, 0.65, 0.75, 0.75, 0.8, 0.7])
    w.append(wilcoxon_case("fold_accuracies", x, y, "decimal scores, ties broken by round-off"))
    # Ties, n > 13: normal approximation with tie correction.
    x = rng.integers(0, 6, 30).astype(float)
    y = rng.integers(0, 6, 30).astype(float)
    w.append(wilcoxon_case("asymptotic_ties_n30", x, y, "integer scores: ties and zeros"))
    x = rng.normal(0.0, 1.0, 80)
    y = x + rng.normal(0.25, 1.0, 80)
    w.append(wilcoxon_case("asymptotic_n80", x, y, "n > 50, no ties"))
    x = np.round(rng.normal(0.0, 1.0, 60), 1)
    y = np.round(x + rng.normal(0.1, 0.5, 60), 1)
    d = np.round(x - y, 1)
    w.append(wilcoxon_case("asymptotic_rounded_n60", d, np.zeros(60), "differences on a 0.1 grid"))
    w.append(
        wilcoxon_case(
            "asymptotic_all_zero_n20", np.ones(20), np.ones(20), "every difference zero: p NaN"
        )
    )
    out["wilcoxon"] = w

    nb = []
    # 10 folds x 3 repeats = 30 paired scores; k-fold ratio 1/(k-1).
    a = rng.normal(0.72, 0.03, 30)
    b = a - rng.normal(0.01, 0.02, 30)
    nb.append(nb_case("k10_r3", a.tolist(), b.tolist(), 1.0 / 9.0, "10-fold CV repeated 3 times"))
    a = rng.normal(0.6, 0.05, 5)
    b = a + rng.normal(0.02, 0.03, 5)
    nb.append(nb_case("k5_r1", a.tolist(), b.tolist(), 1.0 / 4.0, "single 5-fold CV"))
    a = rng.normal(0.5, 0.1, 10)
    b = a + rng.normal(0.0, 0.05, 10)
    nb.append(nb_case("holdout_ratio", a.tolist(), b.tolist(), 0.25 / 0.75, "10 random 75/25 splits"))
    a = rng.normal(0.5, 0.1, 12)
    b = a + rng.normal(0.05, 0.05, 12)
    nb.append(nb_case("uncorrected", a.tolist(), b.tolist(), 0.0, "ratio 0 is ttest_rel"))
    nb.append(
        nb_case(
            "constant_shift",
            [0.5, 0.75, 0.25, 0.5],
            [0.25, 0.5, 0.0, 0.25],
            0.25,
            "every difference 0.25 exactly: variance 0, t = inf, p = 0",
        )
    )
    nb.append(
        nb_case(
            "identical", [0.5, 0.6, 0.7], [0.5, 0.6, 0.7], 0.5, "every difference 0: t = NaN, p = NaN"
        )
    )
    out["nadeau_bengio"] = nb

    out["holm"] = [
        holm_case("mixed", [0.01, 0.04, 0.03, 0.005, 0.2]),
        holm_case("ties", [0.02, 0.02, 0.02, 0.5]),
        holm_case("capped", [0.3, 0.6, 0.9, 0.45, 0.8, 0.1]),
        holm_case("single", [0.037]),
        holm_case("monotone_fix", [0.001, 0.0105, 0.011, 0.012, 0.9]),
        holm_case("random20", rng.uniform(0, 0.2, 20)),
    ]

    fr = []
    t = rng.normal(0.0, 1.0, (10, 4)) + np.array([0.0, 0.3, 0.6, 0.1])
    fr.append(friedman_case("continuous_10x4", t, "no ties"))
    t = np.array(
        [
            [0.80, 0.75, 0.80, 0.70, 0.65],
            [0.85, 0.85, 0.85, 0.80, 0.70],
            [0.70, 0.72, 0.68, 0.70, 0.60],
            [0.90, 0.88, 0.91, 0.85, 0.80],
            [0.75, 0.75, 0.70, 0.75, 0.75],
            [0.60, 0.62, 0.65, 0.58, 0.55],
        ]
    )
    fr.append(friedman_case("ties_6x5", t, "ties within blocks"))
    t = rng.integers(0, 3, (25, 3)).astype(float)
    fr.append(friedman_case("many_ties_25x3", t, "integer scores, heavy ties"))
    t = np.array([[1.0, 2.0, 3.0]])
    fr.append(friedman_case("one_block", t, "a single block"))
    t = rng.normal(0.0, 1.0, (30, 12)) + np.linspace(0.0, 1.0, 12)
    fr.append(friedman_case("wide_30x12", t, "12 configurations"))
    out["friedman"] = fr

    q = {}
    for alpha in (0.05, 0.10):
        q[str(alpha)] = [
            num(st.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))
            for k in range(2, 21)
        ]
    out["nemenyi_q"] = {"k_from": 2, "k_to": 20, "alpha": q}

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
