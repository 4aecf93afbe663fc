//! `mer_metrics::{classification, regression}` against scikit-learn and
//! scipy on fixed vectors.
//!
//! Fixture: `tests/fixtures/metrics/metrics.json`, written by
//! `tools/metrics_fixture.py` (its "versions" key records scikit-learn, scipy
//! and numpy). Tolerances: counts are compared exactly; ratios of counts
//! (accuracy, precision, recall, F1, balanced accuracy) to 1e-12 absolute;
//! sums of floats (R², RMSE, MAE, CCC, Pearson) to 1e-12 relative to
//! `max(1, |reference|)`. One exception: in the `large_offset` case (values
//! near 1e6 with spread 1e-3) numpy's float CCC is itself about 8.5e-9 off the
//! correctly rounded value (the fixture also holds the CCC computed in exact
//! rational arithmetic, `ccc_exact`), so that case is compared with numpy at
//! 1e-8 and with the exact value at 1e-12.

use mer_metrics::{MetricsError, classification, regression};
use serde::Deserialize;
use serde_json::Value;

use crate::common::{close, float, floats, report};

fn fixture() -> Value {
    crate::common::fixture("metrics/metrics.json")
}

#[derive(Deserialize)]
struct ClassCase {
    name: String,
    n_classes: usize,
    y_true: Vec<usize>,
    y_pred: Vec<usize>,
    accuracy: f64,
    macro_f1: f64,
    balanced_accuracy: f64,
    precision: Vec<f64>,
    recall: Vec<f64>,
    f1: Vec<f64>,
    support: Vec<u64>,
    confusion: Vec<Vec<u64>>,
}

#[test]
fn classification_matches_scikit_learn() {
    let fx = fixture();
    let cases: Vec<ClassCase> = serde_json::from_value(fx["classification"].clone()).unwrap();
    assert!(cases.len() >= 7, "fixture lost cases");
    for c in &cases {
        let m = classification(&c.y_true, &c.y_pred, c.n_classes).unwrap();
        let tol = 1e-12;
        close(&c.name, "accuracy", m.accuracy, c.accuracy, tol);
        close(&c.name, "macro_f1", m.macro_f1, c.macro_f1, tol);
        close(
            &c.name,
            "balanced_accuracy",
            m.balanced_accuracy,
            c.balanced_accuracy,
            tol,
        );
        assert_eq!(m.confusion, c.confusion, "{}: confusion", c.name);
        assert_eq!(m.per_class.len(), c.n_classes, "{}", c.name);
        for (i, s) in m.per_class.iter().enumerate() {
            close(
                &c.name,
                &format!("precision[{i}]"),
                s.precision,
                c.precision[i],
                tol,
            );
            close(&c.name, &format!("recall[{i}]"), s.recall, c.recall[i], tol);
            close(&c.name, &format!("f1[{i}]"), s.f1, c.f1[i], tol);
            assert_eq!(s.support, c.support[i], "{}: support[{i}]", c.name);
        }
    }
    report("classification_matches_scikit_learn");
}

#[test]
fn fixture_covers_the_documented_edge_cases() {
    // Guards the fixture itself: the cases the docs promise are really there.
    let fx = fixture();
    let cases: Vec<ClassCase> = serde_json::from_value(fx["classification"].clone()).unwrap();
    let absent = cases
        .iter()
        .find(|c| c.name == "four_class_absent")
        .unwrap();
    assert_eq!(absent.support[3], 0);
    assert!(!absent.y_pred.contains(&3));
    assert_eq!(absent.support[2], 0);
    assert!(absent.y_pred.contains(&2));
    assert_eq!(absent.f1[3], 0.0);
    let names: Vec<&str> = fx["regression"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for want in [
        "noise",
        "constant_prediction",
        "constant_truth",
        "one_sample",
    ] {
        assert!(names.contains(&want), "missing regression case {want}");
    }
    for key in ["scikit-learn", "scipy", "numpy"] {
        assert!(fx["versions"][key].is_string(), "versions.{key}");
    }
}

#[test]
fn regression_matches_scikit_learn_and_scipy() {
    let fx = fixture();
    let cases = fx["regression"].as_array().unwrap();
    assert!(cases.len() >= 10, "fixture lost cases");
    // large_offset last, so the printed worst error of the others is its own.
    let (mut ordered, large): (Vec<&Value>, Vec<&Value>) =
        cases.iter().partition(|c| c["name"] != "large_offset");
    ordered.extend(large);
    for c in ordered {
        let name = c["name"].as_str().unwrap();
        if name == "large_offset" {
            report("regression_matches_scikit_learn_and_scipy, all but large_offset");
        }
        let y_true = floats(&c["y_true"]);
        let y_pred = floats(&c["y_pred"]);
        let m = regression(&y_true, &y_pred).unwrap();
        let tol = if name == "large_offset" { 1e-8 } else { 1e-12 };
        close(name, "r2", m.r2, float(&c["r2"]), tol);
        close(name, "rmse", m.rmse, float(&c["rmse"]), tol);
        close(
            name,
            "rmse (sqrt of mse)",
            m.rmse,
            float(&c["rmse_from_mse"]),
            tol,
        );
        close(name, "mae", m.mae, float(&c["mae"]), tol);
        close(name, "ccc (numpy)", m.ccc, float(&c["ccc"]), tol);
        close(
            name,
            "ccc (exact rational)",
            m.ccc,
            float(&c["ccc_exact"]),
            1e-12,
        );
        match &c["pearson"] {
            // scipy raises for n < 2; the documented value here is NaN.
            Value::Null => assert!(m.pearson.is_nan(), "{name}: pearson {}", m.pearson),
            v => close(name, "pearson", m.pearson, float(v), tol),
        }
    }
    report("regression_matches_scikit_learn_and_scipy");
}

#[test]
fn errors_name_the_argument_and_the_rule() {
    let e = classification(&[0, 1, 4], &[0, 1, 1], 3).unwrap_err();
    assert_eq!(e.to_string(), "y_true[2] = 4: class labels must be in 0..3");
    let e = regression(&[0.0, 1.0], &[0.0]).unwrap_err();
    assert!(matches!(e, MetricsError::LengthMismatch { .. }));
    assert_eq!(
        e.to_string(),
        "y_true has 2 element(s) but y_pred has 1: they must be paired one to one"
    );
}
