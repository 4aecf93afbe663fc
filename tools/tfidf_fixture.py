#!/usr/bin/env python3
"""TF-IDF reference from scikit-learn's TfidfVectorizer, for
framework/crates/text/tests/tfidf.rs.

Writes framework/crates/text/tests/fixtures/text/tfidf_sklearn.json (or the path given as
the first argument): a small train/test corpus (punctuation, case, accents,
ligatures, Cyrillic, Greek final sigma, CJK, emoji, repeated words, a
document without any two-letter token, blank documents), and for
several settings the fitted vocabulary, idf and the dense weights of the
train and test documents (fit on train only, transform both).

Each setting also carries the equivalent mer config (`mer_config`, JSON of
`text::TextFeatureConfig`): tokenizer "sklearn", strip_markup false, and
max_features = 1_000_000 where scikit-learn has None.

scikit-learn breaks ties in max_features with NumPy's unstable argsort, mer
alphabetically; the script checks that each setting's selection does not
depend on that (no tie at the cut), so the fixture is valid either way.

    pip install scikit-learn numpy
    python tools/tfidf_fixture.py [OUT.json] [--corpus CORPUS.json]

With --corpus, the train/test documents are read from a JSON object
{"train": [...], "test": [...]} instead of the built-in corpus (how a
reviewer checks parity on a corpus that is not in the repository).

Versions used for the committed fixture: see "versions" in the JSON
(scikit-learn 1.9.1, numpy 2.4.6, Python 3.11.7).
"""

import json
import platform
import sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parent.parent
STOPWORDS = ROOT / "framework/crates/text/src/stopwords_en.txt"

TRAIN = [
    "Love, love, LOVE me do \u2014 you know I love you!",
    "I'm crying in the rain; the rain won't stop. Don't cry.",
    "Na\u00efve caf\u00e9 r\u00e9sum\u00e9: the CAF\u00c9 was closed (closed!).",
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u043d\u0435 \u0441\u043f\u0438\u0442, \u043d\u043e\u0447\u044c \u0438 \u043e\u0433\u043d\u0438; \u043d\u043e\u0447\u044c \u0434\u043b\u0438\u043d\u043d\u0430\u044f.",
    "\u65e5\u672c\u8a9e\u306e\u6b4c\u8a5e and English words mixed together, together.",
    "Emoji \U0001F600 party \U0001F389 party party tonight!!!",
    "The night is young, the stars are bright, the night is ours.",
    "I a !",
    "",
    "?! \u2026 \U0001F3B5",
    "Str\u00f6m stra\u00dfe STRASSE Stra\u00dfe \u2014 \ufb01re \ufb02y \u0130stanbul",
    "Numbers 2024 and 3.14 and 42nd street, street_name under_score",
    "\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u03a3\u039f\u03a6\u039f\u03a3: final sigma",
    "gone gone gone, hurt and cry; cry me a river",
    "peace angel star; angel of peace, star of peace",
    "Tab\tseparated\nnew line\r\nwindows lines, the end",
]

TEST = [
    "Love is a star; unseen words appear here.",
    "\u041d\u043e\u0447\u044c \u0438 \u0434\u0435\u043d\u044c \u2014 \u0434\u0435\u043d\u044c \u0438 \u043d\u043e\u0447\u044c",
    "",
    "cry cry cry CRY",
    "\U0001F600",
    "party together tonight, the night is young",
]

NO_LIMIT = 1_000_000


def load_stopwords():
    return [l.strip() for l in STOPWORDS.read_text(encoding="utf-8").splitlines()
            if l.strip() and not l.startswith("#")]


def settings():
    stop = load_stopwords()
    return [
        ("defaults", {}),
        ("bigrams_pruned", {"ngram_range": (1, 2), "min_df": 2, "max_df": 0.8,
                            "max_features": 12}),
        ("sublinear_nosmooth_stopwords", {"sublinear_tf": True, "smooth_idf": False,
                                          "stop_words": stop, "ngram_range": (1, 2)}),
        ("l1_fraction_min_df_count_max_df", {"norm": "l1", "min_df": 0.1, "max_df": 4}),
        ("no_norm_no_idf_bigrams_only", {"norm": None, "use_idf": False,
                                         "ngram_range": (2, 2)}),
        ("bigrams_max_features", {"ngram_range": (1, 2), "max_df": 0.2,
                                  "max_features": 6}),
        ("max_features_small", {"max_features": 7}),
    ]


def mer_config(p):
    t = {
        "max_features": p.get("max_features") or NO_LIMIT,
        "min_df": p.get("min_df", 1),
        "max_df": p.get("max_df", 1.0),
        "ngram_range": list(p.get("ngram_range", (1, 1))),
        "sublinear_tf": p.get("sublinear_tf", False),
        "use_idf": p.get("use_idf", True),
        "smooth_idf": p.get("smooth_idf", True),
        "norm": {"l2": "l2", "l1": "l1", None: "none"}[p.get("norm", "l2")],
        "stopwords": p.get("stop_words") or "none",
        "stem": False,
    }
    return {"representation": "tfidf", "missing_lyrics": "zero",
            "clean": {"tokenizer": "sklearn", "strip_markup": False}, "tfidf": t}


def check_no_tie_at_cut(vec, train):
    """None when the kept terms do not depend on how ties in total count are
    broken, else a description of the tie."""
    limit = vec.max_features
    if limit is None:
        return None
    full = TfidfVectorizer(**{**vec.get_params(), "max_features": None})
    counts = full.build_analyzer()
    totals = {}
    df = {}
    for doc in train:
        terms = counts(doc)
        for t in terms:
            totals[t] = totals.get(t, 0) + 1
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    n = len(train)
    hi = vec.max_df if isinstance(vec.max_df, int) else vec.max_df * n
    lo = vec.min_df if isinstance(vec.min_df, int) else vec.min_df * n
    kept = sorted(t for t in totals if lo <= df[t] <= hi)
    if len(kept) <= limit:
        return None
    ranked = sorted(kept, key=lambda t: (-totals[t], t))
    if totals[ranked[limit - 1]] == totals[ranked[limit]]:
        return (f"tie at the max_features cut ({limit}): "
                f"{ranked[limit - 1]!r} and {ranked[limit]!r} both occur {totals[ranked[limit]]} times")
    assert sorted(ranked[:limit]) == sorted(vec.vocabulary_), "selection differs"


def main():
    args = sys.argv[1:]
    train, test = TRAIN, TEST
    custom = "--corpus" in args
    if custom:
        i = args.index("--corpus")
        corpus = json.loads(Path(args[i + 1]).read_text(encoding="utf-8"))
        train, test = corpus["train"], corpus["test"]
        del args[i:i + 2]
    out = Path(args[0]) if args else ROOT / "framework/crates/text/tests/fixtures/text/tfidf_sklearn.json"

    result = {
        "generator": "tools/tfidf_fixture.py",
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__},
        "train": train,
        "test": test,
        "settings": [],
    }
    for name, params in settings():
        vec = TfidfVectorizer(**params)
        try:
            w_train = vec.fit_transform(train).toarray()
        except ValueError as e:
            if not custom:
                raise
            # mer rejects the same settings (framework/crates/text/tests/features.rs)
            print(f"{name}: skipped, scikit-learn refuses this corpus: {e}")
            continue
        w_test = vec.transform(test).toarray()
        tie = check_no_tie_at_cut(vec, train)
        if tie and custom:
            print(f"{name}: skipped, {tie} (scikit-learn's pick is arbitrary there)")
            continue
        if tie:
            sys.exit(f"{name}: {tie}; choose another limit for the built-in corpus")
        vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        assert vocab == sorted(vocab), "sklearn columns are alphabetical"
        result["settings"].append({
            "name": name,
            "sklearn_params": {k: (list(v) if isinstance(v, tuple) else v)
                               for k, v in params.items() if k != "stop_words"}
            | ({"stop_words": "mer english list"} if "stop_words" in params else {}),
            "mer_config": mer_config(params),
            "vocabulary": vocab,
            "idf": vec.idf_.tolist() if vec.use_idf else None,
            "train_weights": w_train.tolist(),
            "test_weights": w_test.tolist(),
        })
        print(f"{name}: {len(vocab)} terms")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
