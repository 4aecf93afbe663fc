//! mer's random forest against scikit-learn's, statistically (fixture:
//! `tools/forest_fixture.py`, scikit-learn 1.9.1).
//!
//! The trees' random draws cannot match scikit-learn's, so each data set
//! carries scikit-learn's test score (accuracy, or R² for the regressor) for
//! each of many seeds. mer's forest is fitted with `N` seeds of its own and
//! the rule is: the mean of mer's `N` scores lies within three standard
//! errors of scikit-learn's mean, `|mean_mer - mean_sk| <= 3 * sd_sk /
//! sqrt(N)`, with `sd_sk` scikit-learn's seed-to-seed standard deviation.
//! A forest equivalent to scikit-learn's passes with probability ~0.997
//! (the mean of `N` seeds has standard error `sd / sqrt(N)`; the error of
//! scikit-learn's own mean over its 200 seeds, `sd / sqrt(200)`, is small
//! beside it). The seeds are fixed, so the outcome is too.
//!
//! The data make the difference show: smartcore 0.7's forest (mer's forest
//! before this one) misses by 3-5 times the allowance on both classification
//! data sets (measured: "text" 0.705 against 0.747 ± 0.021, allowed 0.009;
//! "fusion" 0.650 against 0.681 ± 0.028, allowed 0.012). Its regressor,
//! which already considered every feature per split, matched scikit-learn
//! (0.696 against 0.694 ± 0.008): the regression check guards the MSE
//! criterion, not a known gap.
//!
//! `cargo test -p mer-model --test tests forest -- --nocapture` prints mer's
//! mean beside scikit-learn's mean ± sd.

use mer_model::classical::Matrix;
use mer_model::classical::forest::{ForestParams, fit_classifier, fit_regressor};
use serde_json::Value;

/// mer's seeds per classification data set.
const SEEDS: u64 = 50;
/// mer's seeds for the regressor (every feature per split: slower).
const REGRESSION_SEEDS: u64 = 10;

struct Data {
    x_train: Matrix,
    x_test: Matrix,
    y_train: Vec<usize>,
    y_test: Vec<usize>,
    t_train: Vec<f64>,
    t_test: Vec<f64>,
    n_classes: usize,
}

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model/forest_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// The rows of a data set's features: "text" (stored sparse), or "audio ++
/// text" (the audio features followed by the text ones).
fn feature_rows(f: &Value, which: &str) -> Vec<Vec<f64>> {
    let text = &f["text"];
    let cols = text["cols"].as_u64().unwrap() as usize;
    let text_rows: Vec<Vec<f64>> = text["indices"]
        .as_array()
        .unwrap()
        .iter()
        .zip(text["values"].as_array().unwrap())
        .map(|(idx, val)| {
            let mut row = vec![0.0; cols];
            for (i, v) in usizes(idx).into_iter().zip(f64s(val)) {
                row[i] = v;
            }
            row
        })
        .collect();
    match which {
        "text" => text_rows,
        "audio ++ text" => f["audio"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&text_rows)
            .map(|(a, t)| [f64s(a), t.clone()].concat())
            .collect(),
        other => panic!("unknown features {other:?}"),
    }
}

fn data(f: &Value, dataset: &Value) -> Data {
    let n_train = f["n_train"].as_u64().unwrap() as usize;
    let rows = feature_rows(f, dataset["features"].as_str().unwrap());
    let labels = usizes(&f["labels"]);
    let target = f64s(&f["target"]);
    Data {
        x_train: Matrix::from_rows(&rows[..n_train]).unwrap(),
        x_test: Matrix::from_rows(&rows[n_train..]).unwrap(),
        y_train: labels[..n_train].to_vec(),
        y_test: labels[n_train..].to_vec(),
        t_train: target[..n_train].to_vec(),
        t_test: target[n_train..].to_vec(),
        n_classes: f["n_classes"].as_u64().unwrap() as usize,
    }
}

fn dataset<'a>(f: &'a Value, name: &str) -> &'a Value {
    f["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no data set {name:?} in the fixture"))
}

fn accuracy(pred: &[usize], truth: &[usize]) -> f64 {
    pred.iter().zip(truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64
}

fn r2(pred: &[f64], truth: &[f64]) -> f64 {
    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
    let ss_res: f64 = pred.iter().zip(truth).map(|(p, t)| (t - p).powi(2)).sum();
    let ss_tot: f64 = truth.iter().map(|t| (t - mean).powi(2)).sum();
    1.0 - ss_res / ss_tot
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The rule of the module doc: mer's mean of `scores.len()` seeds against
/// scikit-learn's seed distribution.
fn check(name: &str, what: &str, reference: &Value, scores: &[f64]) {
    let sk_mean = reference["mean"].as_f64().unwrap();
    let sk_sd = reference["sd"].as_f64().unwrap();
    let n = scores.len() as f64;
    let mer_mean = mean(scores);
    let allowed = 3.0 * sk_sd / n.sqrt();
    eprintln!(
        "{name}: {what} mer {mer_mean:.4} over {n} seeds; scikit-learn {sk_mean:.4} ± {sk_sd:.4} \
         over {} seeds; |diff| {:.4} (allowed {allowed:.4})",
        reference["seeds"],
        (mer_mean - sk_mean).abs()
    );
    assert!(
        (mer_mean - sk_mean).abs() <= allowed,
        "{name}: mer's mean {what} {mer_mean:.4} is not within 3 sd/sqrt({n}) = {allowed:.4} \
         of scikit-learn's {sk_mean:.4}"
    );
}

fn classifier_matches(name: &str) {
    let f = fixture();
    let reference = dataset(&f, name);
    let d = data(&f, reference);
    let p = ForestParams::classifier();
    let scores: Vec<f64> = (0..SEEDS)
        .map(|seed| {
            let forest = fit_classifier(&d.x_train, &d.y_train, d.n_classes, &p, seed);
            accuracy(&forest.predict(&d.x_test), &d.y_test)
        })
        .collect();
    check(name, "accuracy", reference, &scores);
}

#[test]
fn classifier_matches_scikit_learn_on_tfidf() {
    classifier_matches("text");
}

#[test]
fn classifier_matches_scikit_learn_on_fusion() {
    classifier_matches("fusion");
}

#[test]
fn regressor_matches_scikit_learn() {
    let f = fixture();
    let reference = dataset(&f, "regression");
    let d = data(&f, reference);
    let p = ForestParams::regressor();
    let scores: Vec<f64> = (0..REGRESSION_SEEDS)
        .map(|seed| {
            let forest = fit_regressor(&d.x_train, &d.t_train, &p, seed);
            r2(&forest.predict(&d.x_test), &d.t_test)
        })
        .collect();
    check("regression", "R²", reference, &scores);
}
