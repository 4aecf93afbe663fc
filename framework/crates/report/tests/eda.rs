//! EDA numbers against scikit-learn / numpy (fixture written by
//! `tools/report_pca_fixture.py`), and the EDA files written from in-memory
//! inputs.

use std::path::Path;

use mer_report::eda::{
    EdaInput, ModalityFeatures, VaInput, centroid_distances, class_counts, correlation, relative,
    write_eda,
};
use mer_report::pca::{pca, standardize};
use mer_report::plot::Regions;
use serde_json::Value;

/// The fixture's input matrix (same expression as the Python script).
fn matrix(n: usize, d: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| {
            (0..d)
                .map(|j| {
                    (i % 7) as f64 * (j as f64 + 1.0).sin()
                        + 0.5 * (i % 11) as f64 * (2.0 * j as f64).cos()
                        + 0.1 * (0.013 * i as f64 * j as f64).sin()
                        + 0.01 * j as f64
                })
                .collect()
        })
        .collect()
}

fn labels(n: usize, k: usize) -> Vec<Option<usize>> {
    (0..n).map(|i| Some((i + i / 4) % k)).collect()
}

fn fixture() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/eda.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn vec1(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn vec2(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(vec1).collect()
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{what}: {a} vs reference {b} (tolerance {tol})"
    );
}

#[test]
fn pca_matches_scikit_learn_on_all_three_solver_paths() {
    let f = fixture();
    // Tolerances: the exact (Jacobi) paths agree to rounding; subspace
    // iteration converges to 1e-13 in the eigenvalues.
    for (case, tol) in [("tall", 1e-9), ("wide", 1e-9), ("big", 1e-7)] {
        let r = &f["pca"][case];
        let (n, d) = (
            r["n"].as_u64().unwrap() as usize,
            r["d"].as_u64().unwrap() as usize,
        );
        let x = matrix(n, d);
        let p = pca(&x, 2).unwrap();
        for (a, b) in p.mean.iter().zip(vec1(&r["mean"])) {
            close(*a, b, 1e-12, &format!("{case} mean"));
        }
        for (a, b) in p
            .explained_variance
            .iter()
            .zip(vec1(&r["explained_variance"]))
        {
            close(*a, b, tol, &format!("{case} explained variance"));
        }
        for (a, b) in p
            .explained_variance_ratio
            .iter()
            .zip(vec1(&r["explained_variance_ratio"]))
        {
            close(*a, b, tol, &format!("{case} explained variance ratio"));
        }
        // Components including their sign (svd_flip).
        for (c, (a, b)) in p.components.iter().zip(vec2(&r["components"])).enumerate() {
            for (x, y) in a.iter().zip(b) {
                close(*x, y, tol * 10.0, &format!("{case} component {c}"));
            }
        }
        let t = p.transform(&x[..5]);
        for (a, b) in t.iter().zip(vec2(&r["transform_head"])) {
            for (x, y) in a.iter().zip(b) {
                close(*x, y, tol * 10.0, &format!("{case} transform"));
            }
        }
    }
}

#[test]
fn standardize_correlation_and_centroids_match_numpy() {
    let f = fixture();
    let x = matrix(60, 8);
    let mut z = x.clone();
    standardize(&mut z);
    for (a, b) in z.iter().zip(vec2(&f["standardize"]["head"])) {
        for (p, q) in a.iter().zip(b) {
            close(*p, q, 1e-12, "StandardScaler");
        }
    }
    let c = correlation(&x);
    for (a, b) in c.iter().zip(vec2(&f["correlation"]["matrix"])) {
        for (p, q) in a.iter().zip(b) {
            close(*p, q, 1e-12, "corrcoef");
        }
    }
    let d = centroid_distances(&x, &labels(60, 4), 4);
    for (a, b) in d.iter().zip(vec2(&f["centroids"]["distances"])) {
        for (p, q) in a.iter().zip(b) {
            close(*p, q, 1e-12, "centroid distance");
        }
    }
    // Relative distances: the mean off-diagonal entry becomes 1.
    let r = relative(&d);
    let off: Vec<f64> = (0..4)
        .flat_map(|i| (0..4).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| r[i][j])
        .collect();
    close(
        off.iter().sum::<f64>() / off.len() as f64,
        1.0,
        1e-12,
        "mean relative",
    );
    // Unlabelled tracks and empty classes.
    assert_eq!(
        class_counts(&[Some(0), None, Some(2), Some(2)], 3),
        vec![1, 0, 2]
    );
    let d = centroid_distances(&x[..4], &[Some(0), Some(0), Some(1), None], 3);
    assert!(d[0][2].is_nan() && d[0][1].is_finite());
}

/// A dataset where classes 2 and 3 (the "quiet" pair) share their audio
/// and differ in their lyrics features.
fn quiet_emotion_input() -> EdaInput {
    let n = 160;
    let classes: Vec<String> = ["Q1 happy", "Q2 angry", "Q3 sad", "Q4 calm"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let labels: Vec<Option<usize>> = (0..n)
        .map(|i| if i == 7 { None } else { Some(i % 4) })
        .collect();
    let wiggle = |i: usize, j: usize| ((i * 31 + j * 17) % 23) as f64 / 23.0 - 0.5;
    let audio_centre = [
        [2.0, 2.0, 0.0],
        [-2.0, 2.0, 0.5],
        [0.0, -2.0, 0.0],
        [0.2, -2.1, 0.1],
    ];
    let text_centre = [
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ];
    let audio = ModalityFeatures {
        modality: "audio".into(),
        names: vec!["rms".into(), "tempo".into(), "mfcc_1".into()],
        rows: (0..n)
            .map(|i| {
                (0..3)
                    .map(|j| audio_centre[i % 4][j] + wiggle(i, j))
                    .collect()
            })
            .collect(),
    };
    let text = ModalityFeatures {
        modality: "lyrics".into(),
        names: vec!["gone".into(), "love".into(), "hurt".into(), "peace".into()],
        rows: (0..n)
            .map(|i| {
                (0..4)
                    .map(|j| 2.0 * text_centre[i % 4][j] + 0.5 * wiggle(i, j + 5))
                    .collect()
            })
            .collect(),
    };
    let va: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let (v, a) = [(0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)][i % 4];
            (v + 0.4 * wiggle(i, 1), a + 0.4 * wiggle(i, 2))
        })
        .collect();
    EdaInput {
        dataset: "synthetic quadrants".into(),
        classes,
        labels,
        features: vec![audio, text],
        keywords: vec![
            vec![("love".into(), 0.31), ("dance".into(), 0.2)],
            vec![("fight".into(), 0.28), ("burn".into(), 0.21)],
            vec![
                ("gone".into(), 0.3),
                ("hurt".into(), 0.25),
                ("cry".into(), 0.2),
            ],
            vec![
                ("peace".into(), 0.29),
                ("angel".into(), 0.22),
                ("star".into(), 0.12),
            ],
        ],
        keyword_method: "Mean TF-IDF of the word in the class's lyrics.".into(),
        notes: vec!["Oracle ceiling: 93.1 %.".into()],
        keyword_score: "mean TF-IDF".into(),
        tsne: true,
        va: Some(VaInput {
            points: va,
            regions: Regions::equal_grid(2, (-1.0, 1.0), (-1.0, 1.0)),
            valence_range: Some((-1.0, 1.0)),
            arousal_range: Some((-1.0, 1.0)),
            scheme: "2 × 2 grid (Russell quadrants)".into(),
        }),
    }
}

#[test]
fn eda_writes_every_view_and_finds_the_quiet_pair() {
    let dir = tempfile::tempdir().unwrap();
    let input = quiet_emotion_input();
    let out = dir.path().join("eda");
    write_eda(&input, &out).unwrap();
    if let Ok(keep) = std::env::var("MER_KEEP_REPORT") {
        write_eda(&input, &Path::new(&keep).join("eda")).unwrap();
    }
    for f in [
        "index.html",
        "eda.md",
        "figures/class-distribution.png",
        "figures/correlation-audio.svg",
        "figures/correlation-lyrics.png",
        "figures/centroids-audio.png",
        "figures/centroids-lyrics.svg",
        "figures/centroids-by-modality.png",
        "figures/keywords.png",
        "figures/pca-audio.png",
        "figures/pca-lyrics.svg",
        "figures/tsne-audio.png",
        "figures/tsne-lyrics.svg",
        "figures/valence-arousal.png",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let md = std::fs::read_to_string(out.join("eda.md")).unwrap();
    // Counts: 40 per class, one track of class 3 unlabelled.
    assert!(md.contains("| Q4 calm | 39 |"), "{md}");
    assert!(md.contains("1 without a label"));
    assert!(md.contains("Oracle ceiling: 93.1 %."), "{md}");
    // The quiet pair is the closest in audio, and far apart in lyrics.
    assert!(
        md.contains("Closest pair in audio: Q3 sad – Q4 calm"),
        "{md}"
    );
    let line = md
        .lines()
        .find(|l| l.starts_with("| Q3 sad – Q4 calm |"))
        .unwrap();
    let cells: Vec<f64> = line
        .split('|')
        .filter_map(|c| c.trim().parse::<f64>().ok())
        .collect();
    // audio distance, audio relative, lyrics distance, lyrics relative
    assert_eq!(cells.len(), 4, "{line}");
    assert!(cells[1] < 0.3 && cells[3] > 0.9, "{line}");
    assert!(md.contains("gone (0.300), hurt (0.250), cry (0.200)"));
    assert!(md.contains("PC1 and PC2 explain"));
    // Regenerating is byte-identical.
    let before = std::fs::read(out.join("figures/pca-audio.png")).unwrap();
    write_eda(&input, &out).unwrap();
    assert_eq!(
        std::fs::read(out.join("figures/pca-audio.png")).unwrap(),
        before
    );
}

#[test]
fn tracks_without_a_modality_are_left_out_of_its_views_only() {
    let mut input = quiet_emotion_input();
    // Tracks 0, 4, 8, ... (class Q1) lose every fourth one's lyrics, and one
    // track has no valence/arousal.
    let gone: Vec<usize> = (0..160).filter(|i| i % 16 == 0).collect();
    for &i in &gone {
        input.features[1].rows[i].clear();
    }
    input.va.as_mut().unwrap().points[3] = (f64::NAN, f64::NAN);
    let (rows, labels) = input.features[1].present(&input.labels);
    assert_eq!(rows.len(), 160 - gone.len());
    let expected = mer_report::eda::centroid_distances(&rows, &labels, 4);
    let dir = tempfile::tempdir().unwrap();
    write_eda(&input, dir.path()).unwrap();
    let md = std::fs::read_to_string(dir.path().join("eda.md")).unwrap();
    assert!(
        md.contains(&format!(
            "lyrics features (all 4 features) over {} tracks",
            160 - gone.len()
        )),
        "{md}"
    );
    // Audio still sees all 160 tracks, and the class counts are unchanged.
    assert!(
        md.contains("audio features (all 3 features) over 160 tracks"),
        "{md}"
    );
    assert!(md.contains("| Q4 calm | 39 |"), "{md}");
    // The lyrics distances are those of the present tracks.
    assert!(
        md.contains(&format!("{:.3}", expected[0][1])),
        "Q1-Q2 lyrics distance {:.3} missing:\n{md}",
        expected[0][1]
    );
    // The point without valence/arousal is not drawn (158 labelled, finite).
    assert!(
        md.contains("158 labelled tracks in the valence-arousal plane"),
        "{md}"
    );
}

fn tsne_fixture() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/tsne.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Joint probabilities equal scikit-learn's `_joint_probabilities` (relative
/// error 1e-6); the optimiser reaches a KL divergence close to scikit-learn's
/// TSNE(method="exact") from another random start, and keeps the three
/// clusters apart.
#[test]
fn tsne_matches_scikit_learn() {
    use mer_report::tsne;
    let f = tsne_fixture();
    let x = vec2(&f["x"]);
    let perplexity = f["perplexity"].as_f64().unwrap();
    let p = tsne::joint_probabilities(&tsne::squared_distances(&x), perplexity);
    let want = vec1(&f["p_condensed"]);
    let n = x.len();
    let mut k = 0;
    for (i, row) in p.iter().enumerate() {
        for (j, &a) in row.iter().enumerate().skip(i + 1) {
            let b = want[k];
            assert!(
                (a - b).abs() <= 1e-6 * b.abs().max(1e-300),
                "P[{i}][{j}] = {a:e}, scikit-learn {b:e}"
            );
            k += 1;
        }
    }
    assert_eq!(k, want.len());

    let (y, kl) = tsne::tsne(&x, perplexity, 0);
    let sk = f["kl_divergence"].as_f64().unwrap();
    assert!(
        kl.is_finite() && kl < 1.5 * sk + 0.05,
        "KL {kl} vs scikit-learn {sk}"
    );
    let cluster = |i: usize| i / 15;
    let mut same = 0;
    for i in 0..n {
        let nearest = (0..n)
            .filter(|&j| j != i)
            .min_by(|&a, &b| {
                let d = |j: usize| (y[i][0] - y[j][0]).powi(2) + (y[i][1] - y[j][1]).powi(2);
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        same += usize::from(cluster(nearest) == cluster(i));
    }
    assert!(
        same >= n - 2,
        "{same} of {n} nearest neighbours in the same cluster"
    );
    // Reproducible from the seed.
    assert_eq!(tsne::tsne(&x, perplexity, 0).0, y);
}
