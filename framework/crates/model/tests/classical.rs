//! The classical baselines against scikit-learn on fixed matrices
//! (fixture: `tools/classical_fixture.py`, scikit-learn 1.9.1).
//!
//! Tolerances: logistic regression probabilities 1e-4 and SVM scores 2e-3,
//! since the optimisers stop at different (tight) tolerances; KNN and ridge
//! are closed-form, 1e-9.

use mer_model::classical::{Matrix, fit_predict_classes, fit_predict_values};
use mer_model::{Architecture, ModelConfig, ModelSection};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model/classical.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn matrix(v: &Value) -> Matrix {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect();
    Matrix::from_rows(&rows).unwrap()
}

fn vec_f(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn rows_f(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(vec_f).collect()
}

fn config(arch: Architecture) -> ModelConfig {
    let mut section = ModelSection::default();
    section.svm.tol = 1e-6;
    section.config_for(arch)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn classifiers_match_scikit_learn() {
    let f = fixture();
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["n_classes"].as_u64().unwrap() as usize;
        let x = matrix(&case["x_train"]);
        let xt = matrix(&case["x_test"]);
        let y: Vec<usize> = vec_f(&case["y_train"])
            .iter()
            .map(|v| *v as usize)
            .collect();

        let lr = fit_predict_classes(&config(Architecture::Logreg), &x, &y, k, &[&xt], 0).unwrap();
        let want = rows_f(&case["logreg_proba"]);
        for (r, (got, want)) in lr[0].scores.as_ref().unwrap().iter().zip(&want).enumerate() {
            for (g, w) in got.iter().zip(want) {
                assert!(
                    close(*g, *w, 1e-4),
                    "{name} logreg row {r}: {got:?} vs {want:?}"
                );
            }
        }

        let svc = fit_predict_classes(&config(Architecture::Svm), &x, &y, k, &[&xt], 0).unwrap();
        let labels: Vec<usize> = vec_f(&case["svc_labels"])
            .iter()
            .map(|v| *v as usize)
            .collect();
        assert_eq!(svc[0].labels, labels, "{name} svc labels");
        // SVC(break_ties=True) is a setting: ties of votes go to the largest
        // decision value. The ties case has rows where the two rules differ.
        let mut tie_cfg = config(Architecture::Svm);
        if let ModelConfig::Svm(c) = &mut tie_cfg {
            c.break_ties = true;
        }
        let broken = fit_predict_classes(&tie_cfg, &x, &y, k, &[&xt], 0).unwrap();
        let want_broken: Vec<usize> = vec_f(&case["svc_labels_break_ties"])
            .iter()
            .map(|v| *v as usize)
            .collect();
        assert_eq!(
            broken[0].labels, want_broken,
            "{name} svc labels, break_ties"
        );
        let differ = labels
            .iter()
            .zip(&want_broken)
            .filter(|(a, b)| a != b)
            .count();
        if name == "ties_6class" {
            assert!(differ > 0, "the ties case must tell the two rules apart");
        }
        // scikit-learn's binary "ovr" output is the single decision value;
        // with 3+ classes it is the votes + confidence matrix.
        if k > 2 {
            let want = rows_f(&case["svc_ovr_scores"]);
            for (r, (got, want)) in svc[0]
                .scores
                .as_ref()
                .unwrap()
                .iter()
                .zip(&want)
                .enumerate()
            {
                for (g, w) in got.iter().zip(want) {
                    assert!(
                        close(*g, *w, 2e-3),
                        "{name} svc row {r}: {got:?} vs {want:?}"
                    );
                }
            }
        } else {
            let want = vec_f(&case["svc_ovr_scores"]);
            for (r, (got, w)) in svc[0]
                .scores
                .as_ref()
                .unwrap()
                .iter()
                .zip(&want)
                .enumerate()
            {
                // Two classes: votes (0/1) + confidence; its sign is the decision.
                let margin = got[1] - got[0];
                assert_eq!(margin > 0.0, *w > 0.0, "{name} svc row {r}");
            }
        }

        let knn = fit_predict_classes(&config(Architecture::Knn), &x, &y, k, &[&xt], 0).unwrap();
        let want = rows_f(&case["knn_proba"]);
        for (got, want) in knn[0].scores.as_ref().unwrap().iter().zip(&want) {
            for (g, w) in got.iter().zip(want) {
                assert!(close(*g, *w, 1e-9), "{name} knn: {got:?} vs {want:?}");
            }
        }
    }
}

#[test]
fn regressors_match_scikit_learn() {
    let f = fixture();
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x = matrix(&case["x_train"]);
        let xt = matrix(&case["x_test"]);
        let t: Vec<Vec<f64>> = vec_f(&case["t_train"])
            .into_iter()
            .map(|v| vec![v])
            .collect();
        for (arch, key, tol) in [
            (Architecture::Ridge, "ridge_pred", 1e-9),
            (Architecture::Knn, "knn_reg_pred", 1e-9),
            (Architecture::Svm, "svr_pred", 2e-3),
        ] {
            let got = fit_predict_values(&config(arch), &x, &t, &[&xt], 0).unwrap();
            let want = vec_f(&case[key]);
            for (r, (g, w)) in got[0].iter().zip(&want).enumerate() {
                assert!(
                    close(g[0], *w, tol),
                    "{name} {arch} row {r}: {} vs {w}",
                    g[0]
                );
            }
        }
    }
}
