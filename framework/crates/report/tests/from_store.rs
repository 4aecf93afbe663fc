//! Reports written from stores built through the Store API: every file is
//! there, regenerating is byte-identical, tables rank direction-aware,
//! significance markers follow the paired tests and their Holm correction,
//! and the detail figures come from predictions and epoch curves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::store_builder::{StoreBuilder, TrialSpec, kfold_manifest};
use mer_metrics::stats::nadeau_bengio;
use mer_report::{ReportError, ReportOptions, write_report, write_report_with};
use mer_store::{MetricRow, PredictionRow, Split};

const FOLDS: usize = 5;
const TRACKS: usize = 40;
const CLASSES: [&str; 4] = ["Q1 happy", "Q2 angry", "Q3 sad", "Q4 calm"];

/// A small deterministic wiggle in [-1, 1].
fn wiggle(a: u64, b: usize, c: usize) -> f64 {
    ((a as f64 * 7.3 + b as f64 * 3.1 + c as f64 * 1.7).sin() * 43758.5453).fract()
}

fn per_fold(base: f64, seed: u64, salt: usize, spread: f64) -> Vec<f64> {
    (0..FOLDS)
        .map(|f| base + spread * wiggle(seed, f, salt))
        .collect()
}

/// A classification trial with all metrics, predictions and (optionally)
/// epoch curves and fusion weights.
fn classification(modality: &str, arch: &str, seed: u64, base: f64, salt: usize) -> TrialSpec {
    let mut s = TrialSpec::new(modality, arch, "quadrants", "classification", seed);
    for (name, shift) in [
        ("accuracy", 0.0),
        ("macro_f1", -0.02),
        ("balanced_accuracy", -0.01),
    ] {
        s = s.metric(Split::Test, name, &per_fold(base + shift, seed, salt, 0.02));
        s = s.metric(
            Split::Train,
            name,
            &per_fold(base + shift + 0.12, seed, salt + 1, 0.01),
        );
    }
    for c in 0..4 {
        let b = base + [0.1, 0.05, -0.12, -0.08][c];
        s = s.metric(
            Split::Test,
            &format!("f1_class_{c}"),
            &per_fold(b, seed, salt + 2 + c, 0.03),
        );
    }
    // Predictions: track i is in fold i % FOLDS with true class i % 4; the
    // model confuses Q3 and Q4 (the "quiet emotion" pair) more often.
    for i in 0..TRACKS {
        let truth = i % 4;
        let wrong = (i * 7 + seed as usize + salt) % 10 < ((1.0 - base) * 10.0) as usize;
        let pred = if !wrong {
            truth
        } else if truth >= 2 {
            5 - truth
        } else {
            (truth + 1) % 4
        };
        s.predictions.push(PredictionRow {
            fold: (i % FOLDS) as i64,
            track_id: format!("t{i}"),
            target: "class".into(),
            y_true: truth as f64,
            y_pred: pred as f64,
            scores: None,
            extra: (arch == "gated_fusion")
                .then(|| serde_json::json!({"alpha": 0.2 + 0.15 * truth as f64 + 0.05 * wiggle(seed, i, 9)})),
        });
    }
    if arch == "gated_fusion" {
        for f in 0..FOLDS {
            for e in 1..=12 {
                let x = e as f64;
                for (split, scale) in [(Split::Train, 1.0), (Split::Validation, 0.8)] {
                    s.epochs.push(MetricRow {
                        split,
                        fold: f as i64,
                        epoch: Some(e),
                        name: "loss".into(),
                        value: 1.4 - scale * (1.0 - (-x / 4.0).exp())
                            + 0.02 * wiggle(seed, f, e as usize),
                    });
                    s.epochs.push(MetricRow {
                        split,
                        fold: f as i64,
                        epoch: Some(e),
                        name: "macro_f1".into(),
                        value: 0.3 + scale * 0.5 * (1.0 - (-x / 4.0).exp()),
                    });
                }
            }
        }
    }
    s.classes = Some(CLASSES.iter().map(|c| c.to_string()).collect());
    s.split = Some((format!("split-{seed}"), kfold_manifest(TRACKS, FOLDS)));
    s
}

fn regression(modality: &str, seed: u64, r2: f64, salt: usize) -> TrialSpec {
    let mut s = TrialSpec::new(modality, "ridge", "va", "regression", seed);
    let rmse = 0.6 - r2 / 2.0;
    for (name, base, spread) in [
        ("r2", r2, 0.03),
        ("rmse", rmse, 0.02),
        ("mae", rmse * 0.8, 0.02),
        ("ccc", r2 + 0.05, 0.03),
        ("pearson", r2 + 0.1, 0.03),
    ] {
        s = s.metric(Split::Test, name, &per_fold(base, seed, salt, spread));
        s = s.metric(
            Split::Train,
            name,
            &per_fold(base + 0.05, seed, salt + 1, spread),
        );
        for (t, target) in ["valence", "arousal"].iter().enumerate() {
            let shift = if t == 0 { -0.04 } else { 0.04 };
            s = s.metric(
                Split::Test,
                &format!("{name}_{target}"),
                &per_fold(base + shift, seed, salt + 3 + t, spread),
            );
        }
    }
    s.split = Some((format!("split-{seed}"), kfold_manifest(TRACKS, FOLDS)));
    s
}

/// Two groups: quadrant classification (5 configurations) and V/A
/// regression (3), 3 seeds x 5 folds each.
fn build(db: &Path) -> StoreBuilder {
    let b = StoreBuilder::new(
        db,
        "demo",
        "A small experiment built through the Store API.",
    );
    let mut specs = Vec::new();
    for seed in [1u64, 2, 3] {
        specs.push(classification("audio", "svm", seed, 0.70, 10));
        specs.push(classification("audio", "logreg", seed, 0.66, 20));
        specs.push(classification("lyrics", "logreg", seed, 0.50, 30));
        specs.push(classification("fusion", "logreg", seed, 0.78, 40));
        specs.push(classification("fusion", "gated_fusion", seed, 0.81, 50));
        specs.push(regression("audio", seed, 0.35, 60));
        specs.push(regression("lyrics", seed, 0.10, 70));
        specs.push(regression("fusion", seed, 0.30, 80));
    }
    b.add(&specs);
    b
}

/// Every file under `dir`, relative path -> bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The Markdown row of a configuration in a table: its cells after the stub.
fn md_row<'a>(md: &'a str, section: &str, stub: &str) -> &'a str {
    let start = md
        .find(section)
        .unwrap_or_else(|| panic!("no section {section}"));
    md[start..]
        .lines()
        .find(|l| l.starts_with(stub))
        .unwrap_or_else(|| panic!("no row {stub} in {section}"))
}

#[test]
fn a_report_writes_every_file_and_regenerates_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(&dir.path().join("results.db"));
    let out1 = dir.path().join("r1");
    let out2 = dir.path().join("r2");
    let files = write_report(&b.store, "demo", &out1).unwrap();
    // MER_KEEP_REPORT=DIR keeps a copy for looking at.
    if let Ok(keep) = std::env::var("MER_KEEP_REPORT") {
        write_report(&b.store, "demo", Path::new(&keep)).unwrap();
    }
    assert_eq!(files.trials, 24);
    write_report(&b.store, "demo", &out2).unwrap();
    let (t1, t2) = (tree(&out1), tree(&out2));
    assert_eq!(t1.keys().collect::<Vec<_>>(), t2.keys().collect::<Vec<_>>());
    for (k, v) in &t1 {
        assert!(
            t2[k] == *v,
            "{} differs between two renderings",
            k.display()
        );
    }
    // The files the issue asks for.
    for f in [
        "results.csv",
        "results.md",
        "results.tex",
        "comparisons.csv",
        "index.html",
    ] {
        assert!(t1.contains_key(Path::new(f)), "{f} missing");
    }
    let figs: Vec<String> = t1
        .keys()
        .filter_map(|p| p.strip_prefix("figures").ok())
        .map(|p| p.display().to_string())
        .collect();
    let has = |suffix: &str| figs.iter().any(|f| f.ends_with(suffix));
    for s in [
        "classification-quadrants-macro-f1-ci.png",
        "classification-quadrants-macro-f1-cd.svg",
        "regression-va-r2-ci.svg",
        "-confusion.png",
        "-curves.png",
        "-alpha.png",
    ] {
        assert!(has(s), "no figure ending {s} in {figs:?}");
    }
    // Every figure comes as SVG and PNG.
    assert_eq!(
        figs.iter().filter(|f| f.ends_with(".svg")).count(),
        figs.iter().filter(|f| f.ends_with(".png")).count()
    );
    // One CSV row per trial, with test and train metric columns.
    let csv = read(&out1, "results.csv");
    assert_eq!(csv.lines().count(), 25);
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains(",accuracy,") && header.contains("train_accuracy"),
        "{header}"
    );
    // index.html links every figure and table file it names, all present.
    let html = read(&out1, "index.html");
    for href in html
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
    {
        if !href.starts_with('#') {
            assert!(out1.join(href).exists(), "index.html links missing {href}");
        }
    }
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));

    // Writing again into the same folder changes nothing, and a stale
    // figure of an older report is removed.
    std::fs::write(out1.join("figures/stale.png"), b"old").unwrap();
    write_report(&b.store, "demo", &out1).unwrap();
    assert_eq!(tree(&out1), t1);
}

#[test]
fn tables_rank_best_and_second_per_column_by_direction() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(&dir.path().join("results.db"));
    let out = dir.path().join("r");
    write_report(&b.store, "demo", &out).unwrap();
    let md = read(&out, "results.md");
    // Classification: gated fusion (0.81) is best, fusion/logreg (0.78) second.
    let sec = "### Test results: classification · quadrants";
    let best = md_row(&md, sec, "| quadrants | fusion | gated_fusion |");
    let second = md_row(&md, sec, "| quadrants | fusion | logreg |");
    let worst = md_row(&md, sec, "| quadrants | lyrics | logreg |");
    assert_eq!(best.matches("**").count(), 6, "3 bold cells: {best}");
    assert_eq!(
        second.matches(" _").count(),
        3,
        "3 second-best cells: {second}"
    );
    assert!(!worst.contains("**") && !worst.contains(" _"), "{worst}");
    // Regression: lower RMSE is better. Audio has the highest R² and the
    // lowest RMSE: bold in both columns.
    let sec = "### Test results: regression · va";
    let audio = md_row(&md, sec, "| va | audio | ridge |");
    let lyrics = md_row(&md, sec, "| va | lyrics | ridge |");
    let cells: Vec<&str> = audio.split(" | ").collect();
    // stub: labels, modality, architecture, n; then r2, rmse, mae, ccc, pearson
    assert!(
        cells[4].starts_with("**") && cells[5].starts_with("**"),
        "{audio}"
    );
    assert!(!lyrics.contains("**"), "{lyrics}");
    // The per-class table names the classes.
    assert!(md.contains("F1 Q3 sad"));
    // The per-target table exists for regression.
    assert!(md.contains("R² valence") && md.contains("RMSE arousal"));
    // The study table: rows per label scheme and target, modalities split
    // into train and test (audio before lyrics before fusion).
    let study = &md[md
        .find("Train and test metrics per modality and label scheme: ridge")
        .unwrap()..];
    let head = study.lines().nth(2).unwrap();
    assert!(
        head.starts_with("| label scheme (metric) | audio train | audio test | lyrics train | lyrics test | fusion train | fusion test |"),
        "{head}"
    );
    assert!(study.contains("| valence (R²), va |") && study.contains("| arousal (R²), va |"));
    // The pivot: architectures x modalities.
    assert!(
        md.contains("macro-F1 (test) by architecture and modality: classification · quadrants")
    );
}

#[test]
fn a_clearly_better_configuration_is_marked_against_a_declared_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(&dir.path().join("results.db"));
    let out = dir.path().join("r");
    let opts = ReportOptions {
        baseline: Some(
            "modality=audio,architecture=svm,task=classification"
                .parse()
                .unwrap(),
        ),
        ..ReportOptions::default()
    };
    write_report_with(&b.store, "demo", &out, &opts).unwrap();
    let md = read(&out, "results.md");
    let sec = "### Test results: classification · quadrants";
    // The baseline row is named and never marked.
    let base = md_row(&md, sec, "| quadrants | audio | svm (baseline) |");
    assert!(!base.contains('†') && !base.contains('‡'), "{base}");
    // Lyrics (0.50 vs 0.70, 15 paired blocks) differs in every column, by
    // both tests.
    let lyrics = md_row(&md, sec, "| quadrants | lyrics | logreg |");
    assert_eq!(lyrics.matches("†‡").count(), 3, "{lyrics}");
    // The legend explains the markers and names the baseline.
    assert!(md.contains("† differs from the baseline (audio / svm)"));
    // comparisons.csv has the raw and adjusted p of each cell.
    let csv = read(&out, "comparisons.csv");
    let row = csv
        .lines()
        .find(|l| l.contains(",accuracy,lyrics / logreg,audio / svm,"))
        .unwrap();
    let f: Vec<&str> = row.split(',').collect();
    assert_eq!(f[4], "15", "15 shared folds x seeds: {row}");
    let nb_p: f64 = f[9].parse().unwrap();
    let nb_holm: f64 = f[10].parse().unwrap();
    assert!(nb_p < 1e-4 && nb_holm >= nb_p, "{row}");
    assert_eq!(f[12], "split manifest");
    // The regression group has no audio/svm: it falls back to the best and
    // says so.
    assert!(md.contains("no configuration here matches the baseline"));
}

/// Baseline + one configuration with the given per-block differences (and
/// `noise` further configurations that differ by alternating ±0.01).
fn borderline_store(db: &Path, diffs: &[f64], noise: usize) -> StoreBuilder {
    let b = StoreBuilder::new(db, "holm", "");
    let mut specs = Vec::new();
    for seed in 0..3u64 {
        let base: Vec<f64> = (0..FOLDS)
            .map(|f| 0.6 + 0.03 * wiggle(seed, f, 1))
            .collect();
        let mk =
            |arch: &str, values: Vec<f64>| {
                let mut s = TrialSpec::new("audio", arch, "quadrants", "classification", seed)
                    .metric(Split::Test, "accuracy", &values);
                s.split = Some((format!("split-{seed}"), kfold_manifest(TRACKS, FOLDS)));
                s
            };
        specs.push(mk("baseline", base.clone()));
        let d = &diffs[seed as usize * FOLDS..(seed as usize + 1) * FOLDS];
        specs.push(mk(
            "borderline",
            base.iter().zip(d).map(|(x, y)| x + y).collect(),
        ));
        for k in 0..noise {
            let v = base
                .iter()
                .enumerate()
                .map(|(f, x)| {
                    x + if (f + k + seed as usize).is_multiple_of(2) {
                        0.01
                    } else {
                        -0.01
                    }
                })
                .collect();
            specs.push(mk(&format!("noise{k}"), v));
        }
    }
    b.add(&specs);
    b
}

#[test]
fn holm_correction_removes_a_borderline_marker() {
    // Paired differences whose corrected t-test gives p = 0.042 with the
    // manifest's n_test/n_train = 8/32 (checked below), while the Wilcoxon
    // test is far below 0.05.
    let diffs = [
        0.02, 0.015, -0.005, 0.025, 0.01, 0.03, 0.0, 0.02, 0.012, -0.004, 0.018, 0.022, 0.006,
        0.01, 0.016,
    ];
    let raw = nadeau_bengio(&diffs, &[0.0; 15], 0.25).unwrap().p_value;
    assert!(raw > 0.03 && raw < 0.05, "precondition: raw p = {raw}");
    let opts = ReportOptions {
        baseline: Some("architecture=baseline".parse().unwrap()),
        figures: false,
        ..ReportOptions::default()
    };
    let row_of = |noise: usize| -> (String, String) {
        let dir = tempfile::tempdir().unwrap();
        let b = borderline_store(&dir.path().join("db"), &diffs, noise);
        let out = dir.path().join("r");
        write_report_with(&b.store, "holm", &out, &opts).unwrap();
        let md = read(&out, "results.md");
        let row = md_row(
            &md,
            "### Test results",
            "| quadrants | audio | borderline |",
        )
        .to_string();
        let csv = read(&out, "comparisons.csv");
        let c = csv
            .lines()
            .find(|l| l.contains("audio / borderline"))
            .unwrap()
            .to_string();
        (row, c)
    };
    // Alone, the one comparison is significant by both tests.
    let (alone, csv_alone) = row_of(0);
    assert!(alone.contains("†‡"), "{alone}");
    let f: Vec<&str> = csv_alone.split(',').collect();
    assert!(
        (f[9].parse::<f64>().unwrap() - raw).abs() < 1e-9,
        "{csv_alone}"
    );
    assert_eq!(f[9], f[10], "one comparison: Holm leaves p unchanged");
    // With three more comparisons in the table, Holm multiplies the
    // smallest-but-one p by 4 (or more): the t-test marker goes, the
    // Wilcoxon marker (p = 0.0019 x 4) stays.
    let (crowded, csv_crowded) = row_of(3);
    assert!(crowded.contains('‡') && !crowded.contains('†'), "{crowded}");
    let f: Vec<&str> = csv_crowded.split(',').collect();
    let holm: f64 = f[10].parse().unwrap();
    assert!(holm > 0.05 && holm <= 1.0, "{csv_crowded}");
}

#[test]
fn without_a_split_manifest_the_k_fold_ratio_corrects_the_t_test() {
    let dir = tempfile::tempdir().unwrap();
    let b = StoreBuilder::new(&dir.path().join("db"), "nomanifest", "");
    let mut specs = Vec::new();
    for seed in 0..2u64 {
        for (arch, base) in [("a", 0.6), ("b", 0.7)] {
            specs.push(
                TrialSpec::new("audio", arch, "quadrants", "classification", seed).metric(
                    Split::Test,
                    "accuracy",
                    &per_fold(base, seed, 3, 0.02),
                ),
            );
        }
    }
    b.add(&specs);
    let out = dir.path().join("r");
    let opts = ReportOptions {
        figures: false,
        ..ReportOptions::default()
    };
    write_report_with(&b.store, "nomanifest", &out, &opts).unwrap();
    let csv = read(&out, "comparisons.csv");
    let row = csv.lines().nth(1).unwrap();
    let f: Vec<&str> = row.split(',').collect();
    // 5 folds per seed: n_test / n_train = 1 / 4.
    assert_eq!((f[11], f[12]), ("0.25", "1/(k-1)"), "{row}");
    assert_eq!(f[4], "10", "2 seeds x 5 folds paired: {row}");
}

#[test]
fn intervals_are_printed_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(&dir.path().join("results.db"));
    let out = dir.path().join("r");
    let opts = ReportOptions {
        ci: true,
        figures: false,
        ..ReportOptions::default()
    };
    write_report_with(&b.store, "demo", &out, &opts).unwrap();
    let md = read(&out, "results.md");
    let row = md_row(
        &md,
        "### Test results: classification",
        "| quadrants | lyrics | logreg |",
    );
    // mean ± std [lo, hi] in each of the three cells.
    assert_eq!(row.matches(" [0.").count(), 3, "{row}");
    assert!(md.contains("in brackets the 95 % Student-t interval"));
    let tex = read(&out, "tables/classification-quadrants-results.tex");
    assert!(tex.contains("{\\scriptsize $[0."), "{tex}");
    // No figures were asked for: none written.
    assert!(!out.join("figures").exists());
}

#[test]
fn bad_baselines_are_errors_that_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(&dir.path().join("results.db"));
    let out = dir.path().join("r");
    let with = |sel: &str| ReportOptions {
        baseline: Some(sel.parse().unwrap()),
        figures: false,
        ..ReportOptions::default()
    };
    let e = write_report_with(&b.store, "demo", &out, &with("modality=audio")).unwrap_err();
    assert!(matches!(e, ReportError::Baseline { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("matches 2 configurations") && msg.contains("audio / svm"),
        "{msg}"
    );
    let e = write_report_with(&b.store, "demo", &out, &with("arch=svm")).unwrap_err();
    assert!(e.to_string().contains("`arch` is neither an axis"), "{e}");
    let e = write_report_with(&b.store, "demo", &out, &with("modality=video")).unwrap_err();
    assert!(e.to_string().contains("matches no configuration"), "{e}");
    assert!("modality".parse::<mer_report::ConfigSelector>().is_err());
}

#[test]
fn the_friedman_test_and_cd_diagram_need_three_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(&dir.path().join("results.db"));
    let out = dir.path().join("r");
    write_report(&b.store, "demo", &out).unwrap();
    let md = read(&out, "results.md");
    assert!(md.contains("Friedman test over 5 configurations × 15 shared folds × seeds"));
    let svg = read(&out, "figures/classification-quadrants-macro-f1-cd.svg");
    for n in ["fusion / gated_fusion", "lyrics / logreg", "CD = "] {
        assert!(svg.contains(n), "{n} missing from the CD diagram");
    }
    // Two configurations only: no Friedman test, no CD diagram.
    let dir2 = tempfile::tempdir().unwrap();
    let b2 = borderline_store(&dir2.path().join("db"), &[0.01; 15], 0);
    let out2 = dir2.path().join("r");
    write_report(&b2.store, "holm", &out2).unwrap();
    let md2 = read(&out2, "results.md");
    assert!(
        md2.contains("No Friedman test: 2 configuration(s) measured it"),
        "{md2}"
    );
    assert!(
        !out2
            .join("figures/classification-quadrants-accuracy-cd.svg")
            .exists()
    );
}

#[test]
fn detail_figures_show_the_stored_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(&dir.path().join("results.db"));
    let out = dir.path().join("r");
    write_report(&b.store, "demo", &out).unwrap();
    let figs: Vec<PathBuf> = std::fs::read_dir(out.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let find = |a: &str, b: &str| {
        figs.iter()
            .find(|p| {
                let n = p.file_name().unwrap().to_str().unwrap();
                n.contains(a) && n.contains(b) && n.ends_with(".svg")
            })
            .unwrap_or_else(|| panic!("no {a} {b} figure"))
    };
    // The confusion matrix of the gated fusion: 3 seeds x 40 tracks; rows
    // normalised, so the class names and proportions are written.
    let cm = std::fs::read_to_string(find("gated-fusion", "-confusion")).unwrap();
    assert!(cm.contains("Q3 sad") && cm.contains("predicted class"));
    assert!(
        cm.contains("test predictions over 5 fold(s) × 3 seed(s)"),
        "note"
    );
    // Fusion weights: only the gated fusion has them.
    let alpha: Vec<&PathBuf> = figs
        .iter()
        .filter(|p| p.to_str().unwrap().ends_with("-alpha.svg"))
        .collect();
    assert_eq!(alpha.len(), 1, "{alpha:?}");
    assert!(alpha[0].to_str().unwrap().contains("gated-fusion"));
    let a = std::fs::read_to_string(alpha[0]).unwrap();
    assert!(
        a.contains("n = 30"),
        "30 test tracks per class (10 per seed)"
    );
    // Learning curves from the epoch metrics: loss and macro-F1 panels.
    let curves = std::fs::read_to_string(find("gated-fusion", "-curves")).unwrap();
    assert!(
        curves.contains("validation") && curves.contains("macro-F1") && curves.contains("loss")
    );
}
