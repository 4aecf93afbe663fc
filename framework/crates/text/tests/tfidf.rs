//! TF-IDF against scikit-learn's `TfidfVectorizer` (fixture from
//! `tools/tfidf_fixture.py`): vocabulary identical, idf within 1e-9, weights
//! within 1e-6, for several settings, fitted on the train documents only and
//! applied to held-out ones.
//!
//! To check parity on another corpus: write it as
//! `{"train": [...], "test": [...]}`, run
//! `python tools/tfidf_fixture.py /tmp/other.json --corpus corpus.json`, then
//! `MER_TFIDF_FIXTURE=/tmp/other.json cargo test -p mer --test text_tfidf`.

use std::path::{Path, PathBuf};

use mer_text::{FeatureMatrix, TextFeatureConfig, fit};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    train: Vec<String>,
    test: Vec<String>,
    settings: Vec<Setting>,
}

#[derive(Deserialize)]
struct Setting {
    name: String,
    mer_config: TextFeatureConfig,
    vocabulary: Vec<String>,
    idf: Option<Vec<f64>>,
    train_weights: Vec<Vec<f64>>,
    test_weights: Vec<Vec<f64>>,
}

fn fixture_path() -> PathBuf {
    match std::env::var_os("MER_TFIDF_FIXTURE") {
        Some(p) => PathBuf::from(p),
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/text/tfidf_sklearn.json")
        }
    }
}

fn compare(name: &str, split: &str, got: &FeatureMatrix, want: &[Vec<f64>]) {
    let FeatureMatrix::Dense { dim, values, .. } = got else {
        panic!("tfidf must be dense")
    };
    assert_eq!(values.len(), want.len() * dim, "{name} {split}: shape");
    for (i, row) in want.iter().enumerate() {
        assert_eq!(row.len(), *dim, "{name} {split}: dim");
        for (j, w) in row.iter().enumerate() {
            let g = values[i * dim + j] as f64;
            assert!(
                (g - w).abs() <= 1e-6,
                "{name} {split}: doc {i} term {j}: mer {g} vs sklearn {w}"
            );
        }
    }
}

#[test]
fn tfidf_matches_scikit_learn() {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    let fx: Fixture = serde_json::from_str(&text).unwrap();
    // The committed fixture has 7 settings; another corpus may skip some
    // (see tools/tfidf_fixture.py).
    let min_settings = if std::env::var_os("MER_TFIDF_FIXTURE").is_some() {
        1
    } else {
        7
    };
    assert!(fx.settings.len() >= min_settings);
    let train: Vec<Option<&str>> = fx.train.iter().map(|d| Some(d.as_str())).collect();
    let test: Vec<Option<&str>> = fx.test.iter().map(|d| Some(d.as_str())).collect();
    let train_ids: Vec<String> = (0..train.len()).map(|i| format!("train{i}")).collect();
    let test_ids: Vec<String> = (0..test.len()).map(|i| format!("test{i}")).collect();
    let train_ids: Vec<&str> = train_ids.iter().map(String::as_str).collect();
    let test_ids: Vec<&str> = test_ids.iter().map(String::as_str).collect();

    for s in &fx.settings {
        let fitted =
            fit(&s.mer_config, &train, &train_ids).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let model = fitted.tfidf().unwrap();
        assert_eq!(model.vocabulary(), s.vocabulary.as_slice(), "{}", s.name);
        if let Some(idf) = &s.idf {
            for (j, (g, w)) in model.idf().iter().zip(idf).enumerate() {
                assert!((g - w).abs() < 1e-9, "{}: idf {j}: {g} vs {w}", s.name);
            }
        }
        let tr = fitted.transform(&train, &train_ids).unwrap();
        compare(&s.name, "train", &tr.matrix, &s.train_weights);
        let te = fitted.transform(&test, &test_ids).unwrap();
        compare(&s.name, "test", &te.matrix, &s.test_weights);
    }
}
