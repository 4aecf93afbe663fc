//! End-to-end tests of the `mer` binary on the synthetic benchmark: resume,
//! kill -9, concurrent sweeps on one database, malformed specs, rerun, and
//! metrics recomputed from the stored predictions.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use mer_store::{Store, TrialFilter, TrialStatus};

use super::common::{Scratch, text};

const SMALL: &str = r#"
[experiment]
name = "small"
seeds = [0]

[dataset]
kind = "synthetic"
tracks = 48
duration_s = 2.0

[evaluation]
folds = 3

[sweep]
modality = ["audio", "text", "fusion"]
architecture = ["logreg", "svm", "random_forest", "knn", "ridge"]
labels = ["quadrants", "kmeans4", "va"]

[[sweep.exclude]]
architecture = "logreg"
labels = "va"

[[sweep.exclude]]
architecture = "ridge"
labels = ["quadrants", "kmeans4"]
"#;

/// 3 modalities x (4 classifiers x 2 schemes + 4 regressors x 1) = 36.
const SMALL_TRIALS: usize = 36;

#[test]
fn a_sweep_records_every_trial_and_a_second_run_does_nothing_new() {
    let s = Scratch::new();
    let spec = s.write("small.toml", SMALL);
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--report", "--jobs", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("{SMALL_TRIALS} completed now")),
        "{out}"
    );

    let store = s.store();
    let trials = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(trials.len(), SMALL_TRIALS);
    assert!(trials.iter().all(|t| t.status == TrialStatus::Completed));
    // Provenance was recorded for each.
    let p = store.provenance(trials[0].id).unwrap().unwrap();
    assert_eq!(p.spec_text, SMALL);
    assert!(!p.rustc_version.is_empty() && !p.host.is_empty());

    // The report exists and has a row per configuration.
    let md = std::fs::read_to_string(s.path().join("reports/small/results.md")).unwrap();
    assert!(md.contains("| quadrants | fusion | logreg | 1 |"), "{md}");
    let csv = std::fs::read_to_string(s.path().join("reports/small/results.csv")).unwrap();
    assert_eq!(csv.lines().count(), SMALL_TRIALS + 1);

    let o = s.run(&["sweep", spec.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("0 completed now, {SMALL_TRIALS} already done")),
        "{out}"
    );
    assert_eq!(
        store.trials(&TrialFilter::default()).unwrap().len(),
        SMALL_TRIALS
    );
}

/// Every planned trial exactly once, completed, in a healthy database.
fn assert_complete_once(store: &Store, planned: usize) {
    let trials = store.trials(&TrialFilter::default()).unwrap();
    let primary: Vec<_> = trials
        .iter()
        .filter(|t| t.origin_trial_id.is_none())
        .collect();
    assert_eq!(primary.len(), planned);
    let mut keys: Vec<&str> = primary.iter().map(|t| t.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), planned, "a key was recorded twice");
    for t in &primary {
        assert_eq!(
            t.status,
            TrialStatus::Completed,
            "trial {}: {:?}",
            t.id,
            t.error
        );
        assert!(
            !store.metrics(t.id).unwrap().is_empty(),
            "trial {} has no metrics",
            t.id
        );
    }
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn kill_9_at_any_moment_then_resume_completes_every_trial_exactly_once() {
    let s = Scratch::new();
    let spec = s.write(
        "kill.toml",
        &SMALL
            .replace("name = \"small\"", "name = \"kill\"")
            .replace("seeds = [0]", "seeds = [0, 1]"),
    );
    let planned = 2 * SMALL_TRIALS;
    // Kill early (while loading or registering), then after some trials have
    // completed, then again mid-way; then let it finish.
    let mut killed_with_progress = 0;
    for kill_after_completed in [None, Some(3), Some(20)] {
        let mut child = s
            .cmd(&["sweep", spec.to_str().unwrap(), "--jobs", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(30));
            let done = match kill_after_completed {
                None => started.elapsed() > Duration::from_millis(400),
                Some(n) => {
                    s.db().exists()
                        && Store::open_existing(&s.db())
                            .and_then(|st| {
                                st.trials(&TrialFilter {
                                    status: Some(TrialStatus::Completed),
                                    ..TrialFilter::default()
                                })
                            })
                            .map(|t| t.len() >= n)
                            .unwrap_or(false)
                }
            };
            if done || child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "sweep never progressed"
            );
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed_with_progress += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        killed_with_progress >= 2,
        "the sweep finished before it could be killed"
    );
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--jobs", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    let store = s.store();
    assert_complete_once(&store, planned);
    // The trials in flight at a kill were re-run: some trial took 2 attempts.
    let trials = store.trials(&TrialFilter::default()).unwrap();
    assert!(
        trials.iter().any(|t| t.attempts >= 2),
        "no trial was interrupted"
    );
}

#[test]
fn four_concurrent_sweeps_on_one_database_share_the_work() {
    let s = Scratch::new();
    let spec = s.write(
        "conc.toml",
        &SMALL.replace("name = \"small\"", "name = \"conc\""),
    );
    let children: Vec<_> = (0..4)
        .map(|_| {
            s.cmd(&["sweep", spec.to_str().unwrap(), "--jobs", "1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut completed_now = 0;
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("locked"), "{stderr}");
        let out = String::from_utf8_lossy(&o.stdout);
        let n: usize = out
            .split(" completed now")
            .next()
            .and_then(|h| h.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no summary in {out}"));
        completed_now += n;
    }
    assert_eq!(completed_now, SMALL_TRIALS, "each trial ran exactly once");
    assert_complete_once(&s.store(), SMALL_TRIALS);
}

#[test]
fn malformed_specs_exit_2_with_file_line_column_and_rule() {
    let s = Scratch::new();
    let cases: &[(&str, &str, &str)] = &[
        (
            "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\", \"cnn3d\"]\nlabels = [\"quadrants\"]\n",
            ":4:24: sweep.architecture: unknown variant `cnn3d`, expected one of",
            "unknown architecture",
        ),
        (
            "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\ntask = [\"regression\"]\n",
            "regression needs a continuous target",
            "regression on classes",
        ),
        (
            "[experiment]\nnaem = \"x\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"va\"]\n",
            ":2:1: experiment.naem: unknown field `naem`",
            "misspelt key",
        ),
        (
            "[experiment]\nname = \"x\"\n[evaluation]\nfolds = \"five\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"va\"]\n",
            ":4:9: evaluation.folds:",
            "wrong type",
        ),
        ("[experiment\nname = \"x\"\n", ":1:", "syntax"),
        (
            "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\n\"model.svm.c\" = [1, -1]\n",
            ":6:",
            "bad swept value",
        ),
    ];
    for (i, (spec, expected, what)) in cases.iter().enumerate() {
        let path = s.write(&format!("bad{i}.toml"), spec);
        for cmd in ["plan", "sweep"] {
            let o = s.run(&[cmd, path.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(2), "{what} ({cmd}): {}", text(&o));
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(&format!("bad{i}.toml")), "{what}: {err}");
            assert!(
                err.contains(expected),
                "{what}: expected `{expected}` in\n{err}"
            );
        }
    }
    assert!(
        !s.db().exists(),
        "an invalid spec must not touch the database"
    );
    let o = s.run(&["sweep", "missing.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.toml"));
}

#[test]
fn rerun_reproduces_trials_of_every_kind_and_metrics_match_predictions() {
    let s = Scratch::new();
    let spec = s.write(
        "re.toml",
        &SMALL.replace("name = \"small\"", "name = \"re\""),
    );
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let store = s.store();
    let trials = store.trials(&TrialFilter::default()).unwrap();
    for t in &trials {
        // Recompute the stored metrics from the stored predictions.
        let preds = store.predictions(t.id).unwrap();
        let metrics = store.metrics(t.id).unwrap();
        let mut by_fold: BTreeMap<i64, Vec<&mer_store::PredictionRow>> = BTreeMap::new();
        for p in &preds {
            by_fold.entry(p.fold).or_default().push(p);
        }
        for (fold, ps) in by_fold {
            let stored = |name: &str| {
                metrics
                    .iter()
                    .find(|m| m.fold == fold && m.name == name && m.split == mer_store::Split::Test)
                    .unwrap_or_else(|| panic!("trial {} fold {fold}: no {name}", t.id))
                    .value
            };
            if t.task == "classification" {
                let acc =
                    ps.iter().filter(|p| p.y_true == p.y_pred).count() as f64 / ps.len() as f64;
                assert!((acc - stored("accuracy")).abs() < 1e-12, "trial {}", t.id);
            } else {
                for target in ["valence", "arousal"] {
                    let v: Vec<_> = ps.iter().filter(|p| p.target == target).collect();
                    let mse = v.iter().map(|p| (p.y_true - p.y_pred).powi(2)).sum::<f64>()
                        / v.len() as f64;
                    let rmse = stored(&format!("rmse_{target}"));
                    assert!((mse.sqrt() - rmse).abs() < 1e-9, "trial {} {target}", t.id);
                }
            }
        }
    }
    // One rerun per (architecture, task, modality) kind.
    let mut seen = std::collections::BTreeSet::new();
    for t in &trials {
        if !seen.insert((t.architecture.clone(), t.task.clone(), t.modality.clone())) {
            continue;
        }
        let o = s.run(&["rerun", &t.id.to_string(), "--quiet"]);
        assert!(o.status.success(), "trial {}: {}", t.id, text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("IDENTICAL"), "{out}");
        assert!(!out.contains("DIFFERS"), "{out}");
    }
    // Reruns are linked to their origin and hidden from reports.
    let all = store
        .trials(&TrialFilter {
            include_reruns: true,
            ..TrialFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), trials.len() + seen.len());
    assert_eq!(store.report_trials("re").unwrap().len(), trials.len());
}

#[test]
fn listings_show_the_plan_runs_and_one_trial() {
    let s = Scratch::new();
    let spec = s.write(
        "small.toml",
        &SMALL.replace("name = \"small\"", "name = \"list\""),
    );
    let o = s.run(&["plan", spec.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("{SMALL_TRIALS} trial(s) for experiment `list`")),
        "{out}"
    );
    assert!(out.contains("9 combination(s) excluded"), "{out}");
    assert!(!s.db().exists(), "plan runs nothing");

    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = s.run(&["runs", "--experiment", "list", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.len(), SMALL_TRIALS);
    assert!(rows.iter().all(|r| r["status"] == "completed"));
    let o = s.run(&["runs", "--experiment", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("known: list"));

    let id = rows[0]["id"].as_str().unwrap().to_string();
    let o = s.run(&["show", &id]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "test metrics (mean ± std over 3 fold(s))",
        "confusion matrix",
        "built from",
        "accuracy",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in\n{out}");
    }

    // The report's options reach the tables.
    let o = s.run(&[
        "report",
        "list",
        "--out",
        "rep",
        "--baseline",
        "modality=audio,architecture=svm",
        "--ci",
        "--pivot",
        "architecture x labels:accuracy",
        "--no-figures",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(s.path().join("rep/results.md")).unwrap();
    for needle in [
        "svm (baseline)",
        "in brackets the 95 % Student-t interval of the mean",
        "architecture \\ labels",
    ] {
        assert!(md.contains(needle), "missing `{needle}` in\n{md}");
    }
    assert!(!s.path().join("rep/figures").exists(), "--no-figures");
    // A classical trial predicts with each fold's saved model, without its
    // training data: with the dataset cache unreachable (`--cache` under a
    // file), fold 0's model on a track of fold 0's test set (copied out of
    // the cache) gives the recorded scores, for every kind of classical
    // model and modality, and the recorded values for regression.
    let ds = s.dataset(&spec);
    let lyrics_dir = tempfile::tempdir().unwrap();
    let no_cache = s.db().join("no-cache");
    let store = s.store();
    let mut checked = 0;
    let mut checked_values = 0;
    for row in &rows {
        if row["labels"] != "quadrants" && row["labels"] != "va" {
            continue;
        }
        let trial: i64 = row["id"].as_str().unwrap().parse().unwrap();
        let preds = store.predictions(trial).unwrap();
        let p = preds
            .iter()
            .filter(|p| p.fold == 0)
            .find(|p| {
                let t = ds.tracks.iter().find(|t| t.id == p.track_id).unwrap();
                t.lyrics.is_some() && t.audio.is_some()
            })
            .unwrap();
        let track = ds.tracks.iter().find(|t| t.id == p.track_id).unwrap();
        let lyrics = lyrics_dir.path().join(format!("{}.txt", track.id));
        std::fs::write(&lyrics, track.lyrics.as_ref().unwrap()).unwrap();
        let audio = lyrics_dir.path().join(format!("{}.wav", track.id));
        std::fs::copy(track.audio.as_ref().unwrap(), &audio).unwrap();
        let o = s.run(&[
            "predict",
            "--cache",
            no_cache.to_str().unwrap(),
            "--trial",
            &trial.to_string(),
            "--fold",
            "0",
            audio.to_str().unwrap(),
            "--lyrics",
            lyrics.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{trial}: {}", text(&o));
        let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let got = &out["predictions"][0];
        if row["labels"] == "va" {
            for p in preds
                .iter()
                .filter(|q| q.fold == 0 && q.track_id == track.id)
            {
                let v = got["values"][&p.target].as_f64().unwrap();
                assert!(
                    (v - p.y_pred).abs() < 1e-9,
                    "trial {trial} ({} {}): {} = {v}, recorded {}",
                    row["modality"],
                    row["architecture"],
                    p.target,
                    p.y_pred
                );
            }
            checked_values += 1;
            continue;
        }
        let scores = got
            .get("probabilities")
            .or_else(|| got.get("scores"))
            .unwrap();
        let classes = ["Q1_happy", "Q2_angry", "Q3_sad", "Q4_calm"];
        assert_eq!(
            got["label"], classes[p.y_pred as usize],
            "trial {trial} ({} {})",
            row["modality"], row["architecture"]
        );
        for (c, want) in classes.iter().zip(p.scores.iter().flatten()) {
            let v = scores[c].as_f64().unwrap();
            assert!(
                (v - want).abs() < 1e-9,
                "trial {trial} ({} {}): {c} = {v}, recorded {want}",
                row["modality"],
                row["architecture"]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 12, "3 modalities x 4 classifiers");
    assert_eq!(checked_values, 12, "3 modalities x 4 regressors");
    assert!(!no_cache.exists(), "predict read no dataset");
    let o = s.run(&["report", "list", "--baseline", "modality"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not KEY=VALUE"));
}

#[test]
fn eda_shows_the_quiet_pair_close_in_audio_and_apart_in_lyrics() {
    let s = Scratch::new();
    let spec = s.write(
        "eda.toml",
        &SMALL
            .replace("name = \"small\"", "name = \"explore\"")
            .replace("tracks = 48", "tracks = 120"),
    );
    let o = s.run(&["eda", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = s.path().join("reports/explore/eda");
    for f in ["index.html", "eda.md", "figures/valence-arousal.png"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let md = std::fs::read_to_string(out.join("eda.md")).unwrap();
    // The synthetic benchmark is built so that Q3 and Q4 sound alike and
    // differ in their lyrics.
    assert!(
        md.contains("Closest pair in audio: Q3_sad – Q4_calm"),
        "{md}"
    );
    assert!(md.contains("| Q1_happy |"), "{md}");
    assert!(md.contains("log-odds ratio"), "{md}");
    // The synthetic data's oracle ceiling, recomputed here from the
    // generator's metadata: annotated quadrant (from V/A) vs latent one.
    let ds = s.dataset(&spec);
    let quadrant = |v: f64, a: f64| match (v >= 0.0, a >= 0.0) {
        (true, true) => "Q1_happy",
        (false, true) => "Q2_angry",
        (false, false) => "Q3_sad",
        (true, false) => "Q4_calm",
    };
    let agree = ds
        .tracks
        .iter()
        .filter(|t| {
            quadrant(t.valence.unwrap(), t.arousal.unwrap()) == t.oracle.as_deref().unwrap()
        })
        .count();
    let share = format!("{:.1} % of 120 tracks", 100.0 * agree as f64 / 120.0);
    assert!(md.contains(&share), "`{share}` missing:\n{md}");

    // A regression-only spec needs --labels; a regression scheme is refused.
    let va = s.write(
        "va.toml",
        "[experiment]\nname = \"va\"\n[sweep]\narchitecture = [\"ridge\"]\nlabels = [\"va\"]\n",
    );
    let o = s.run(&["eda", va.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --labels"));
    let o = s.run(&["eda", va.to_str().unwrap(), "--labels", "arousal"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("continuous target"),
        "{}",
        text(&o)
    );
}

#[test]
fn embedding_files_count_by_content_not_location() {
    let s = Scratch::new();
    let emb = |scale: f64| -> String {
        let mut csv = String::from("id,e0,e1,e2\n");
        for i in 0..48 {
            let v = (i % 4) as f64 * scale;
            csv.push_str(&format!("syn{i:05},{v},{},{}\n", 1.0 - v, (i % 7) as f64));
        }
        csv
    };
    let spec_with = |path: &str| {
        format!(
            "[experiment]\nname = \"emb\"\n[dataset]\nkind = \"synthetic\"\ntracks = 48\nduration_s = 2.0\n\
             [features.text]\nrepresentation = \"embeddings\"\nembeddings = {{ path = \"{path}\" }}\n\
             [evaluation]\nfolds = 3\n[sweep]\nmodality = [\"text\"]\narchitecture = [\"logreg\"]\nlabels = [\"quadrants\"]\n"
        )
    };
    s.write("emb.csv", &emb(0.25));
    let spec = s.write("emb.toml", &spec_with("emb.csv"));
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 completed now"),
        "{}",
        text(&o)
    );

    // Moved, same content: the same trial, nothing to run.
    std::fs::create_dir(s.path().join("moved")).unwrap();
    std::fs::rename(s.path().join("emb.csv"), s.path().join("moved/emb.csv")).unwrap();
    let spec = s.write("emb.toml", &spec_with("moved/emb.csv"));
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 completed now, 1 already done"),
        "{}",
        text(&o)
    );

    // New content: a new trial; and the old one no longer reruns on it.
    let first = s.store().trials(&TrialFilter::default()).unwrap()[0].id;
    s.write("moved/emb.csv", &emb(0.5));
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 completed now"),
        "{}",
        text(&o)
    );
    // The first trial's file is gone: its rerun says which file.
    let o = s.run(&["rerun", &first.to_string(), "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("emb.csv"),
        "{}",
        text(&o)
    );
    // Back in its place with other content: the rerun refuses to compare.
    s.write("emb.csv", &emb(0.5));
    let o = s.run(&["rerun", &first.to_string(), "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("inputs changed"),
        "{}",
        text(&o)
    );
}

/// Every neural architecture and the ensemble, tiny, in one sweep.
const EVERY_NETWORK: &str = r#"
[experiment]
name = "nets"

[dataset]
kind = "synthetic"
tracks = 48
duration_s = 2.0

[evaluation]
folds = 2

[features.sequence]
frames = 32
[features.mel]
n_mels = 16
frames = 32
[features.waveform]
samples = 4096
[features.tokens]
max_len = 32

[train]
epochs = 2
batch_size = 16

[model.conv_gru_transformer]
input = "waveform"
frame = 256

[model.ensemble]
members = ["lstm_cnn", "cnn2d_specaug"]
method = "stacking"

[sweep]
modality = ["audio", "text", "fusion"]
architecture = ["residual_mlp", "gated_fusion", "text_projection", "text_bilstm", "text_cnn",
                "lstm_cnn", "bilstm_cnn", "cnn2d", "cnn2d_specaug", "concat_lstm",
                "conv_gru_transformer", "ensemble"]
labels = ["quadrants"]

[[sweep.exclude]]
architecture = ["gated_fusion", "concat_lstm"]
modality = ["audio", "text"]
[[sweep.exclude]]
architecture = ["text_projection", "text_bilstm", "text_cnn"]
modality = ["audio", "fusion"]
[[sweep.exclude]]
architecture = ["lstm_cnn", "bilstm_cnn", "cnn2d", "cnn2d_specaug", "conv_gru_transformer", "ensemble"]
modality = ["text", "fusion"]
[[sweep.exclude]]
architecture = "residual_mlp"
modality = ["text", "fusion"]
"#;

#[test]
fn every_network_trains_records_its_curves_and_reruns_identically() {
    let s = Scratch::new();
    let spec = s.write("nets.toml", EVERY_NETWORK);
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let store = s.store();
    let trials = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(trials.len(), 12, "{}", text(&o));
    for t in &trials {
        assert_eq!(
            t.status,
            TrialStatus::Completed,
            "{} {}: {:?}",
            t.id,
            t.architecture,
            t.error
        );
        let metrics = store.metrics(t.id).unwrap();
        if t.architecture != "ensemble" {
            // Per-epoch curves, and the weights of each fold with their hash.
            assert!(
                metrics
                    .iter()
                    .any(|m| m.epoch == Some(2) && m.split == mer_store::Split::Validation),
                "{}: no validation curve",
                t.architecture
            );
            let artifacts = store.artifacts(t.id).unwrap();
            assert_eq!(artifacts.iter().filter(|a| a.kind == "weights").count(), 2);
            for a in &artifacts {
                let bytes =
                    std::fs::read(s.path().join("results.artifacts").join(&a.path)).unwrap();
                assert_eq!(bytes.len() as i64, a.bytes);
            }
        }
        let o = s.run(&["rerun", &t.id.to_string(), "--quiet"]);
        assert!(
            o.status.success(),
            "{} {}: {}",
            t.id,
            t.architecture,
            text(&o)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("IDENTICAL"));
    }

    // `mer predict` with fold 0's network on a track of fold 0's test set
    // gives the probabilities recorded for it: the saved preprocessing
    // (normaliser, lyrics features) turns a file into the same input.
    let ds = s.dataset(&spec);
    let lyrics_dir = tempfile::tempdir().unwrap();
    for t in trials.iter().filter(|t| t.architecture != "ensemble") {
        let preds = store.predictions(t.id).unwrap();
        let row = preds
            .iter()
            .filter(|p| p.fold == 0)
            .find(|p| {
                let track = ds.tracks.iter().find(|x| x.id == p.track_id).unwrap();
                track.lyrics.is_some() && track.audio.is_some()
            })
            .unwrap_or_else(|| panic!("{}: no test track with audio and lyrics", t.id));
        let track = ds.tracks.iter().find(|x| x.id == row.track_id).unwrap();
        let lyrics = lyrics_dir.path().join(format!("{}.txt", track.id));
        std::fs::write(&lyrics, track.lyrics.as_ref().unwrap()).unwrap();
        let o = s.run(&[
            "predict",
            "--trial",
            &t.id.to_string(),
            "--fold",
            "0",
            track.audio.as_ref().unwrap().to_str().unwrap(),
            "--lyrics",
            lyrics.to_str().unwrap(),
        ]);
        assert!(
            o.status.success(),
            "{} {}: {}",
            t.id,
            t.architecture,
            text(&o)
        );
        let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let probs = &out["predictions"][0]["probabilities"];
        let stored = row.scores.as_ref().unwrap();
        let classes = ["Q1_happy", "Q2_angry", "Q3_sad", "Q4_calm"];
        for (c, want) in classes.iter().zip(stored) {
            let got = probs[c].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-5,
                "{} {}: P({c}) = {got}, recorded {want}",
                t.id,
                t.architecture
            );
        }
    }

    // Without --fold the folds' probabilities are averaged: still a
    // distribution over the classes.
    let mlp = trials
        .iter()
        .find(|t| t.architecture == "residual_mlp")
        .unwrap();
    let audio = ds.tracks.iter().find_map(|t| t.audio.clone()).unwrap();
    let o = s.run(&[
        "predict",
        "--trial",
        &mlp.id.to_string(),
        audio.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["folds"], serde_json::json!([0, 1]));
    let total: f64 = out["predictions"][0]["probabilities"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-5, "{total}");
    // `mer show` summarises a network's training per fold.
    let o = s.run(&["show", &mlp.id.to_string()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("training (per fold"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains(" at epoch ")).count(),
        2,
        "one line per fold:\n{out}"
    );
    // An ensemble has no model of its own.
    let ens = trials
        .iter()
        .find(|t| t.architecture == "ensemble")
        .unwrap();
    let o = s.run(&[
        "predict",
        "--trial",
        &ens.id.to_string(),
        audio.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("predict with one of its members"));
    // A file that is not audio is named in the error.
    let fails_with = |file: &Path, needle: &str| {
        let o = s.run(&[
            "predict",
            "--trial",
            &mlp.id.to_string(),
            file.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(needle),
            "{}",
            text(&o)
        );
    };
    fails_with(&s.write("junk.wav", "not audio"), "junk.wav");
    // A damaged weights file is refused by its recorded hash.
    let weights = store
        .artifacts(mlp.id)
        .unwrap()
        .into_iter()
        .find(|a| a.kind == "weights")
        .unwrap();
    let path = s.path().join("results.artifacts").join(&weights.path);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    fails_with(&audio, "differs from the recorded");
}

#[test]
fn a_device_that_is_not_built_in_fails_its_trials_and_loses_nothing() {
    let s = Scratch::new();
    let o = s.run(&["--device", "tpu", "plan", "x.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected cpu, cuda or cuda:N"));
    if cfg!(feature = "cuda") {
        return;
    }
    let spec = s.write(
        "dev.toml",
        r#"[experiment]
name = "dev"
[dataset]
kind = "synthetic"
tracks = 48
duration_s = 2.0
[evaluation]
folds = 2
[train]
epochs = 2
[sweep]
architecture = ["residual_mlp", "svm"]
labels = ["quadrants"]
"#,
    );
    let o = s.run(&[
        "--device",
        "cuda",
        "sweep",
        spec.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let store = s.store();
    let trials = store.trials(&TrialFilter::default()).unwrap();
    let net = trials
        .iter()
        .find(|t| t.architecture == "residual_mlp")
        .unwrap();
    assert_eq!(net.status, TrialStatus::Failed);
    assert!(
        net.error.as_deref().unwrap_or("").contains("cuda"),
        "{:?}",
        net.error
    );
    // The classical trial does not need the device and completed.
    let svm = trials.iter().find(|t| t.architecture == "svm").unwrap();
    assert_eq!(svm.status, TrialStatus::Completed);
    // On the CPU, --retry-failed completes the network.
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet", "--retry-failed"]);
    assert!(o.status.success(), "{}", text(&o));
    let trials = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(
        trials
            .iter()
            .filter(|t| t.status == TrialStatus::Completed)
            .count(),
        2
    );
}

/// Reading commands never create, migrate or lock a database, and refuse
/// another application's SQLite file untouched; a first sweep whose dataset
/// does not load leaves no database behind.
#[test]
fn reading_commands_never_write_and_a_failed_first_sweep_leaves_no_database() {
    let s = Scratch::new();
    // No database: reading commands say so and create none.
    for args in [&["runs"][..], &["show", "1"], &["report", "x"]] {
        let o = s.run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("results.db"),
            "{}",
            text(&o)
        );
        assert!(!s.db().exists(), "{args:?} created a database");
    }
    // A sweep whose manifest is missing fails before any trial.
    let spec = s.write(
        "m.toml",
        "[experiment]\nname = \"m\"\n[dataset]\nkind = \"manifest\"\npath = \"missing.csv\"\n\
         [sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\n",
    );
    let o = s.run(&["sweep", spec.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("missing.csv"),
        "{}",
        text(&o)
    );
    let left: Vec<_> = std::fs::read_dir(s.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("results.db"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
