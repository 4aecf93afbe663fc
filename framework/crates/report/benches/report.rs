//! How long `mer report` takes on a large experiment: about 10,000 completed
//! trials (2,016 configurations x 5 seeds x 5 folds, ~1.3 M metric rows,
//! 40 predictions per trial), generated through the Store API.
//!
//! Run: `cargo bench -p mer-report --bench report` (add `-- --quick` for a store of
//! 1,260 trials, `-- --db PATH` to keep the generated store and reuse it,
//! `-- --out DIR` to keep the report). Prints the time of each stage:
//! reading the store, rendering tables and statistics, drawing figures, and
//! a second full run into the same folder (which must be byte-identical).

#[path = "../tests/fixtures/report/store_builder.rs"]
mod store_builder;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use mer_report::{ReportOptions, model, write_report_with};
use mer_store::{PredictionRow, Split};
use store_builder::{StoreBuilder, TrialSpec, kfold_manifest};

const FOLDS: usize = 5;
const TRACKS: usize = 40;

fn wiggle(a: usize, b: usize, c: usize) -> f64 {
    ((a as f64 * 7.3 + b as f64 * 3.1 + c as f64 * 1.7).sin() * 43758.5453).fract()
}

fn per_fold(base: f64, salt: usize, seed: usize) -> Vec<f64> {
    (0..FOLDS)
        .map(|f| (base + 0.03 * wiggle(salt, f, seed)).clamp(0.0, 1.0))
        .collect()
}

/// The trials of the benchmark experiment.
fn specs(settings: usize, seeds: usize) -> Vec<TrialSpec> {
    let mut out = Vec::new();
    let mut salt = 0;
    let labels = [
        ("quadrants", 4),
        ("kmeans4", 4),
        ("grid16", 16),
        ("kmeans16", 16),
    ];
    for (li, (labels, k)) in labels.iter().enumerate() {
        for (mi, modality) in ["audio", "lyrics", "fusion"].iter().enumerate() {
            for (ai, arch) in ["logreg", "svm", "random_forest", "knn"].iter().enumerate() {
                for s in 0..settings {
                    salt += 1;
                    let base = 0.35 + 0.1 * mi as f64 + 0.03 * ai as f64 - 0.05 * li as f64
                        + 0.002 * s as f64;
                    for seed in 0..seeds {
                        let mut t =
                            TrialSpec::new(modality, arch, labels, "classification", seed as u64);
                        t.params_json = format!("{{\"model.c\":{}}}", s);
                        for (name, shift) in [
                            ("accuracy", 0.0),
                            ("macro_f1", -0.02),
                            ("balanced_accuracy", -0.01),
                        ] {
                            t = t.metric(Split::Test, name, &per_fold(base + shift, salt, seed));
                            t = t.metric(
                                Split::Train,
                                name,
                                &per_fold(base + shift + 0.15, salt, seed),
                            );
                        }
                        for c in 0..*k {
                            t = t.metric(
                                Split::Test,
                                &format!("f1_class_{c}"),
                                &per_fold(base - 0.01 * c as f64, salt + c, seed),
                            );
                            t = t.metric(
                                Split::Train,
                                &format!("f1_class_{c}"),
                                &per_fold(base + 0.1, salt + c, seed),
                            );
                        }
                        t.classes = Some((0..*k).map(|c| format!("C{c}")).collect());
                        t.predictions = (0..TRACKS)
                            .map(|i| PredictionRow {
                                fold: (i % FOLDS) as i64,
                                track_id: format!("t{i}"),
                                target: "class".into(),
                                y_true: (i % k) as f64,
                                y_pred: if wiggle(salt, i, seed) > 0.0 {
                                    (i % k) as f64
                                } else {
                                    ((i + 1) % k) as f64
                                },
                                scores: Some(
                                    (0..*k)
                                        .map(|c| {
                                            if c == i % k {
                                                0.7
                                            } else {
                                                0.3 / (*k - 1) as f64
                                            }
                                        })
                                        .collect(),
                                ),
                                extra: None,
                            })
                            .collect();
                        t.split = Some((
                            format!("split-{labels}-{seed}"),
                            kfold_manifest(TRACKS, FOLDS),
                        ));
                        out.push(t);
                    }
                }
            }
        }
    }
    for (mi, modality) in ["audio", "lyrics", "fusion"].iter().enumerate() {
        for (ai, arch) in ["ridge", "svm", "random_forest", "knn", "mlp"]
            .iter()
            .enumerate()
        {
            for s in 0..settings {
                salt += 1;
                let r2 = 0.1 + 0.08 * mi as f64 + 0.02 * ai as f64 + 0.001 * s as f64;
                for seed in 0..seeds {
                    let mut t = TrialSpec::new(modality, arch, "va", "regression", seed as u64);
                    t.params_json = format!("{{\"model.c\":{}}}", s);
                    for (name, base) in [
                        ("r2", r2),
                        ("rmse", 0.6 - r2 / 2.0),
                        ("mae", 0.5 - r2 / 2.0),
                        ("ccc", r2 + 0.05),
                        ("pearson", r2 + 0.1),
                    ] {
                        t = t.metric(Split::Test, name, &per_fold(base, salt, seed));
                        t = t.metric(Split::Train, name, &per_fold(base + 0.05, salt, seed));
                        for target in ["valence", "arousal"] {
                            t = t.metric(
                                Split::Test,
                                &format!("{name}_{target}"),
                                &per_fold(base, salt + 1, seed),
                            );
                        }
                    }
                    t.predictions = (0..TRACKS)
                        .flat_map(|i| {
                            ["valence", "arousal"]
                                .into_iter()
                                .map(move |target| PredictionRow {
                                    fold: (i % FOLDS) as i64,
                                    track_id: format!("t{i}"),
                                    target: target.into(),
                                    y_true: wiggle(i, 1, 2),
                                    y_pred: wiggle(i, 1, 3),
                                    scores: None,
                                    extra: None,
                                })
                        })
                        .collect();
                    t.split = Some((format!("split-va-{seed}"), kfold_manifest(TRACKS, FOLDS)));
                    out.push(t);
                }
            }
        }
    }
    out
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let settings = if quick { 4 } else { 32 };
    let seeds = 5;
    let dir = tempfile::tempdir().unwrap();
    // `--db PATH` keeps the generated store there and reuses it next time.
    let db = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let reuse = db.exists();

    let t0 = Instant::now();
    let b = StoreBuilder::new(&db, "bench", "generated for the report benchmark");
    let all = specs(settings, seeds);
    if !reuse {
        for chunk in all.chunks(500) {
            b.add(chunk);
        }
    }
    let build = t0.elapsed().as_secs_f64();
    let db_mb = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "store: {} trials ({} configurations x {seeds} seeds x {FOLDS} folds), {db_mb:.0} MB, built in {build:.1} s",
        all.len(),
        all.len() / seeds
    );
    drop(all);

    let t = Instant::now();
    let trials = b.store.report_trials("bench").unwrap();
    let metrics = b.store.report_metrics("bench").unwrap();
    let read = t.elapsed().as_secs_f64();
    println!(
        "store reads (report_trials, report_metrics: {} rows): {read:.2} s",
        metrics.len()
    );
    let t = Instant::now();
    let groups = model::build_groups(&trials, &metrics, &BTreeMap::new());
    println!(
        "grouping into {} configurations in {} groups: {:.2} s",
        groups.iter().map(|g| g.configs.len()).sum::<usize>(),
        groups.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let csv = mer_report::render_csv(&trials, &metrics);
    println!(
        "results.csv ({:.1} MB): {:.2} s",
        csv.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    drop((trials, metrics, groups, csv));

    let t = Instant::now();
    let data = model::load(&b.store, "bench").unwrap();
    let load = t.elapsed().as_secs_f64();
    println!("model::load (reads + manifests + grouping): {load:.2} s");

    let opts = ReportOptions::default();
    let t = Instant::now();
    let baselines = vec![None; data.groups.len()];
    let featured: Vec<Vec<usize>> = vec![Vec::new(); data.groups.len()];
    let rendered = mer_report::render(&data, &baselines, &featured, &opts);
    let tables = t.elapsed().as_secs_f64();
    let bytes: usize = rendered.files.iter().map(|f| f.1.len()).sum();
    println!(
        "tables, statistics, CSV, Markdown, LaTeX, HTML (no detail figures): {tables:.2} s, {} files, {:.1} MB",
        rendered.files.len(),
        bytes as f64 / 1e6
    );

    // `--out DIR` keeps the report for looking at.
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("report"));
    let t = Instant::now();
    let files = write_report_with(&b.store, "bench", &out, &opts).unwrap();
    let full = t.elapsed().as_secs_f64();
    let figures = files
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .count();
    println!("full report (read + render + {figures} figures as SVG and PNG + write): {full:.2} s");
    let first = tree(&out);
    let t = Instant::now();
    write_report_with(&b.store, "bench", &out, &opts).unwrap();
    let again = t.elapsed().as_secs_f64();
    let second = tree(&out);
    assert!(first == second, "regeneration is not byte-identical");
    println!("second report into the same folder: {again:.2} s, byte-identical: yes");
}
