//! Discriminative keywords against an independent computation
//! (`tools/text_keywords_fixture.py`: the Monroe et al. 2008 log-odds in
//! NumPy, chi-squared from scikit-learn's `feature_selection.chi2`).

use std::path::Path;

use mer_text::{AnalyzerOptions, KeywordMethod, KeywordOptions, Stopwords, keywords_with};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    class_names: Vec<String>,
    docs: Vec<Option<String>>,
    labels: Vec<usize>,
    min_count: u64,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    method: String,
    prior_scale: Option<f64>,
    classes: Vec<Vec<Word>>,
}

#[derive(Deserialize)]
struct Word {
    term: String,
    score: f64,
    count_in_class: u64,
    count_in_rest: u64,
}

#[test]
fn keyword_scores_match_the_reference() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/text/keywords_reference.json");
    let fx: Fixture = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let docs: Vec<Option<&str>> = fx.docs.iter().map(|d| d.as_deref()).collect();
    assert_eq!(fx.cases.len(), 3);
    for case in &fx.cases {
        let method = match case.method.as_str() {
            "log_odds" => KeywordMethod::LogOdds,
            "chi_squared" => KeywordMethod::ChiSquared,
            other => panic!("unknown method {other}"),
        };
        let opts = KeywordOptions {
            method,
            top: 1000,
            min_count: fx.min_count,
            prior_scale: case.prior_scale.unwrap_or(1.0),
            analyzer: AnalyzerOptions {
                stopwords: Stopwords::None,
                ..Default::default()
            },
        };
        let got = keywords_with(&docs, &fx.labels, &fx.class_names, &opts).unwrap();
        assert_eq!(got.len(), fx.class_names.len());
        for (c, want) in case.classes.iter().enumerate() {
            let g = &got[c].keywords;
            let what = format!("{} s={:?} class {}", case.method, case.prior_scale, c);
            assert_eq!(
                g.iter().map(|k| k.term.as_str()).collect::<Vec<_>>(),
                want.iter().map(|k| k.term.as_str()).collect::<Vec<_>>(),
                "{what}"
            );
            for (k, w) in g.iter().zip(want) {
                let tol = 1e-9 * w.score.abs().max(1.0);
                assert!(
                    (k.score - w.score).abs() <= tol,
                    "{what} {}: {} vs {}",
                    w.term,
                    k.score,
                    w.score
                );
                assert_eq!(
                    (k.count_in_class, k.count_in_rest),
                    (w.count_in_class, w.count_in_rest)
                );
            }
        }
        // The empty class lists nothing; the seed-study contrast is visible.
        assert!(got[3].keywords.is_empty() && got[3].n_docs == 0);
        let top3 = |c: usize| -> Vec<&str> {
            got[c].keywords[..3]
                .iter()
                .map(|k| k.term.as_str())
                .collect()
        };
        assert!(
            top3(1).contains(&"cry") && top3(1).contains(&"gone"),
            "{:?}",
            top3(1)
        );
        assert!(
            top3(2).contains(&"star") && top3(2).contains(&"angel"),
            "{:?}",
            top3(2)
        );
    }
}

#[test]
fn output_is_deterministic_across_runs() {
    let docs = [Some("b a c"), Some("a b d"), Some("c d e"), Some("e e a")];
    let labels = [0, 0, 1, 1];
    let names = vec!["x".to_string(), "y".to_string()];
    let opts = KeywordOptions {
        min_count: 1,
        analyzer: AnalyzerOptions {
            stopwords: Stopwords::None,
            ..Default::default()
        },
        ..Default::default()
    };
    let first = keywords_with(&docs, &labels, &names, &opts).unwrap();
    for _ in 0..20 {
        assert_eq!(keywords_with(&docs, &labels, &names, &opts).unwrap(), first);
    }
    // "a" appears in both classes (2 vs 1) and "b" only in x (2): b first.
    let terms: Vec<&str> = first[0].keywords.iter().map(|k| k.term.as_str()).collect();
    assert_eq!(terms[0], "b", "{terms:?}");
}
