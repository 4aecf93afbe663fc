//! Class weights, oversampling and SMOTE against scikit-learn and
//! imbalanced-learn (fixture from tools/data_imbalance_reference.py), and the
//! proof that no test-fold row is ever used to fit them.

use mer_data::Track;
use mer_data::splits::{EvaluationConfig, make_folds};
use mer_model::train::imbalance::{class_neighbours, class_weights, oversample, smote};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/data/imbalance_reference.json")).unwrap()
}

fn data(f: &Value) -> (Vec<Vec<f32>>, Vec<usize>) {
    let x = f["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect()
        })
        .collect();
    let y = f["y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    (x, y)
}

fn bincount(y: &[usize], n: usize) -> Vec<u64> {
    let mut c = vec![0u64; n];
    for &v in y {
        c[v] += 1;
    }
    c
}

#[test]
fn class_weights_match_scikit_learn_balanced() {
    let f = fixture();
    let (_, y) = data(&f);
    let ours = class_weights(&y, 3).unwrap();
    for (o, r) in ours.iter().zip(f["class_weights"].as_array().unwrap()) {
        assert!((*o as f64 - r.as_f64().unwrap()).abs() < 1e-6, "{o} vs {r}");
    }
    assert_eq!(class_weights(&[0, 0, 2], 3).unwrap(), vec![0.5, 0.0, 1.0]);
}

#[test]
fn oversampling_counts_match_imbalanced_learn() {
    let f = fixture();
    let (x, y) = data(&f);
    let (xo, yo) = oversample(x.clone(), y, 0).unwrap();
    let expected: Vec<u64> = f["oversample_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(bincount(&yo, 3), expected);
    for row in &xo[x.len()..] {
        assert!(
            x.contains(row),
            "an oversampled row is a copy of a training row"
        );
    }
}

#[test]
fn neighbours_match_scikit_learn() {
    let f = fixture();
    let (x, y) = data(&f);
    let k = f["k"].as_u64().unwrap() as usize;
    let reference = f["neighbours"].as_array().unwrap();
    let mut agree = 0;
    let mut total = 0;
    for c in 0..3 {
        let members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        let ours = class_neighbours(&x, &members, k);
        for (a, nn) in ours.iter().enumerate() {
            let mut mine: Vec<u64> = nn.iter().map(|&b| members[b] as u64).collect();
            let mut theirs: Vec<u64> = reference[members[a]]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            mine.sort_unstable();
            theirs.sort_unstable();
            total += 1;
            agree += usize::from(mine == theirs);
        }
    }
    // float32 inputs, float64 distances here; scikit-learn may break exact
    // distance ties differently, nothing else.
    assert!(
        agree as f64 >= 0.99 * total as f64,
        "{agree}/{total} neighbour sets agree"
    );
}

#[test]
fn smote_matches_imbalanced_learn_counts_geometry_and_means() {
    let f = fixture();
    let (x, y) = data(&f);
    let k = f["k"].as_u64().unwrap() as usize;
    let (xo, yo) = smote(x.clone(), y.clone(), k, 0).unwrap();
    let expected: Vec<u64> = f["smote_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(bincount(&yo, 3), expected);
    assert_eq!(&xo[..x.len()], &x[..], "original rows first, unchanged");
    // Every synthetic row lies on a segment from a same-class row to one of
    // its k nearest same-class neighbours as scikit-learn finds them.
    let nn = f["neighbours"].as_array().unwrap();
    for (row, &c) in xo[x.len()..].iter().zip(&yo[x.len()..]) {
        let on_segment = (0..x.len()).filter(|&i| y[i] == c).any(|i| {
            nn[i].as_array().unwrap().iter().any(|j| {
                let j = j.as_u64().unwrap() as usize;
                let (p, q) = (&x[i], &x[j]);
                // t from the largest coordinate difference, then all coordinates.
                let d = (0..p.len())
                    .max_by(|&a, &b| {
                        (q[a] - p[a])
                            .abs()
                            .partial_cmp(&(q[b] - p[b]).abs())
                            .unwrap()
                    })
                    .unwrap();
                if (q[d] - p[d]).abs() < 1e-6 {
                    return false;
                }
                let t = (row[d] - p[d]) / (q[d] - p[d]);
                (-1e-4..=1.0001).contains(&t)
                    && (0..p.len()).all(|m| (p[m] + t * (q[m] - p[m]) - row[m]).abs() < 1e-4)
            })
        });
        assert!(
            on_segment,
            "synthetic row {row:?} is not between a row and its neighbour"
        );
    }
    // Per-class means of the synthetic rows agree with imbalanced-learn's
    // within 4 standard errors of the difference (the RNGs differ).
    for (class, stats) in f["smote_synthetic"].as_object().unwrap() {
        let c: usize = class.parse().unwrap();
        let rows: Vec<&Vec<f32>> = xo[x.len()..]
            .iter()
            .zip(&yo[x.len()..])
            .filter(|(_, yy)| **yy == c)
            .map(|(r, _)| r)
            .collect();
        for dim in 0..3 {
            let mean = rows.iter().map(|r| r[dim] as f64).sum::<f64>() / rows.len() as f64;
            let theirs = stats["mean"][dim].as_f64().unwrap();
            let se = stats["se"][dim].as_f64().unwrap();
            assert!(
                (mean - theirs).abs() < 4.0 * se * 2f64.sqrt(),
                "class {c} dim {dim}: mean {mean} vs imbalanced-learn {theirs} (se {se})"
            );
        }
    }
}

#[test]
fn no_test_fold_row_is_ever_used_to_balance() {
    // Tracks 0..120; class 1 is the minority. Features encode the track index
    // so every synthetic row can be traced back to the rows it came from.
    let n = 120;
    let y_all: Vec<usize> = (0..n).map(|i| usize::from(i % 5 == 0)).collect();
    let x_all: Vec<Vec<f32>> = (0..n)
        .map(|i| vec![i as f32, (i * i % 17) as f32])
        .collect();
    let tracks: Vec<Track> = (0..n).map(|i| Track::new(format!("t{i:03}"))).collect();
    let folds = make_folds(&EvaluationConfig::default(), &tracks, Some(&y_all), 5).unwrap();
    for fold in &folds {
        let x: Vec<Vec<f32>> = fold.train.iter().map(|&i| x_all[i].clone()).collect();
        let y: Vec<usize> = fold.train.iter().map(|&i| y_all[i]).collect();
        let (xs, ys) = smote(x.clone(), y.clone(), 5, 1).unwrap();
        for (row, &c) in xs[x.len()..].iter().zip(&ys[x.len()..]) {
            // A convex combination of two training rows of its class ...
            let pair = fold.train.iter().any(|&i| {
                fold.train.iter().any(|&j| {
                    y_all[i] == c && y_all[j] == c && i != j && {
                        let (p, q) = (&x_all[i], &x_all[j]);
                        let t = (row[0] - p[0]) / (q[0] - p[0]);
                        (0.0..=1.0).contains(&t) && (p[1] + t * (q[1] - p[1]) - row[1]).abs() < 1e-3
                    }
                })
            });
            assert!(pair, "synthetic row {row:?} is not made of training rows");
            // ... and never equal to a test row.
            for &t in &fold.test {
                assert!(x_all[t] != *row || fold.train.iter().any(|&i| x_all[i] == *row));
            }
        }
        let (xo, _) = oversample(x.clone(), y, 2).unwrap();
        for row in &xo {
            assert!(
                fold.train.iter().any(|&i| x_all[i] == *row),
                "oversampled row from outside the fold"
            );
        }
    }
}
