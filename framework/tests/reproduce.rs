//! `mer rerun --experiment`: a whole experiment re-run in one command,
//! compared trial by trial, resumable after kill -9, and its reproduction
//! report (per-trial verdicts, the paper table twice, provenance suspects).

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use mer_store::{Store, TrialFilter, TrialReason, TrialRow, TrialStatus};

use super::common::{Scratch, text};

const SPEC: &str = r#"
[experiment]
name = "repro"
seeds = [0, 1]

[dataset]
kind = "synthetic"
tracks = 48
duration_s = 2.0

[evaluation]
folds = 3

[train]
epochs = 4

[sweep]
modality = ["audio"]
architecture = ["svm", "knn", "residual_mlp"]
labels = ["quadrants"]
"#;

/// Rows of `reproduction.csv` by recorded trial id, as header -> cell.
fn csv_rows(path: &std::path::Path) -> BTreeMap<i64, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: BTreeMap<String, String> = headers
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect();
            (row["trial"].parse().unwrap(), row)
        })
        .collect()
}

fn reruns(store: &Store) -> Vec<TrialRow> {
    store
        .trials(&TrialFilter {
            include_reruns: true,
            ..TrialFilter::default()
        })
        .unwrap()
        .into_iter()
        .filter(|t| t.reason == TrialReason::Rerun)
        .collect()
}

fn recorded(s: &Scratch, spec: &str) -> Vec<TrialRow> {
    let path = s.write("repro.toml", spec);
    let o = s.run(&["sweep", path.to_str().unwrap(), "--jobs", "2", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    s.store().report_trials("repro").unwrap()
}

#[test]
fn an_experiment_reruns_in_one_command_and_its_report_says_identical() {
    let s = Scratch::new();
    let origins = recorded(&s, SPEC);
    assert_eq!(origins.len(), 6);
    let o = s.run(&["rerun", "--experiment", "repro", "--jobs", "2", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("6 trial(s) re-run: 6 identical, 0 within tolerance, 0 differing, 0 failed"),
        "{out}"
    );
    let dir = s.path().join("reports/repro");
    let rows = csv_rows(&dir.join("reproduction.csv"));
    let ids: Vec<i64> = origins.iter().map(|t| t.id).collect();
    assert_eq!(rows.keys().copied().collect::<Vec<_>>(), ids);
    let store = s.store();
    let reruns = reruns(&store);
    assert_eq!(reruns.len(), 6);
    for (id, row) in &rows {
        assert_eq!(row["verdict"], "identical", "trial {id}");
        assert_eq!(row["predictions_changed"], "0");
        // Every metric of both runs was compared, epochs included.
        let n: usize = row["metrics_compared"].parse().unwrap();
        assert_eq!(n, store.metrics(*id).unwrap().len(), "trial {id}");
        let rerun: i64 = row["rerun_trial"].parse().unwrap();
        let r = reruns.iter().find(|t| t.id == rerun).unwrap();
        assert_eq!(r.status, TrialStatus::Completed);
        assert_eq!(r.origin_trial_id, Some(*id));
        assert_eq!(store.metrics(rerun).unwrap(), store.metrics(*id).unwrap());
    }
    // Re-runs are checks, not results: the paper's rows are unchanged.
    assert_eq!(
        store
            .report_trials("repro")
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        ids
    );
    let md = std::fs::read_to_string(dir.join("reproduction.md")).unwrap();
    assert!(
        md.contains("Verdict: every selected trial reproduces."),
        "{md}"
    );
    assert!(
        md.contains("classification · quadrants · test · recorded"),
        "{md}"
    );
    assert!(
        md.contains("classification · quadrants · test · re-run"),
        "{md}"
    );
    assert!(md.contains("agree on mer version and commit"), "{md}");
    let html = std::fs::read_to_string(dir.join("reproduction.html")).unwrap();
    assert!(
        html.contains("<table id=\"reproduction-trials\">"),
        "{html}"
    );

    // A narrower selection re-runs only what it names.
    let o = s.run(&[
        "rerun",
        "--experiment",
        "repro",
        "--trials",
        &format!("{},{}", ids[0], ids[5]),
        "--out",
        "two",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let two = csv_rows(&s.path().join("two/reproduction.csv"));
    assert_eq!(two.keys().copied().collect::<Vec<_>>(), [ids[0], ids[5]]);
    let o = s.run(&[
        "rerun",
        "--experiment",
        "repro",
        "--trials",
        "9999",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("trial 9999 is not a recorded trial of experiment `repro`"),
        "{}",
        text(&o)
    );
}

/// Recorded results that were changed (here: in the database, with its
/// immutability triggers dropped) do not reproduce; the report names the
/// trial, the metric, the size of the difference and the first fold and
/// epoch, and a provenance change as a suspect. A tolerance accepts
/// differences below it, and says so.
#[test]
fn a_changed_result_is_named_with_its_size_fold_and_epoch_and_a_tolerance_accepts_small_ones() {
    let s = Scratch::new();
    let origins = recorded(&s, SPEC);
    let svm = origins.iter().find(|t| t.architecture == "svm").unwrap().id;
    let mlp = origins
        .iter()
        .find(|t| t.architecture == "residual_mlp")
        .unwrap()
        .id;
    let store = s.store();
    for sql in [
        "DROP TRIGGER trial_metrics_frozen_update".to_string(),
        "DROP TRIGGER provenance_frozen_update".into(),
        format!(
            "UPDATE trial_metrics SET value = value + 1e-9 \
             WHERE trial_id = {svm} AND split = 'test' AND fold = 1 AND name = 'accuracy'"
        ),
        format!(
            "UPDATE trial_metrics SET value = value + 0.5 \
             WHERE trial_id = {mlp} AND split = 'train' AND fold = 0 AND epoch = 2 AND name = 'loss'"
        ),
        format!("UPDATE provenance SET rustc_version = 'rustc 1.0.0' WHERE trial_id = {svm}"),
    ] {
        let changed = store.execute_raw_for_tests(&sql).unwrap();
        assert!(sql.starts_with("DROP") || changed > 0, "{sql}");
    }
    drop(store);

    let o = s.run(&["rerun", "--experiment", "repro", "--jobs", "2", "--quiet"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("4 identical, 0 within tolerance, 2 differing"),
        "{out}"
    );
    assert!(
        out.contains(&format!("trial {svm} (re-run")) && out.contains("test/fold1/accuracy"),
        "{out}"
    );
    let dir = s.path().join("reports/repro");
    let rows = csv_rows(&dir.join("reproduction.csv"));
    let r = &rows[&svm];
    assert_eq!(r["verdict"], "differs");
    assert_eq!(r["metrics_differing"], "1");
    assert_eq!(r["largest_difference_metric"], "test/fold1/accuracy");
    let d: f64 = r["largest_difference"].parse().unwrap();
    assert!((d - 1e-9).abs() < 1e-12, "{d}");
    assert_eq!(
        (
            r["first_differing_fold"].as_str(),
            r["first_differing_epoch"].as_str()
        ),
        ("1", "")
    );
    assert_eq!(r["predictions_differing"], "0");
    let m = &rows[&mlp];
    assert_eq!(m["verdict"], "differs");
    assert_eq!(
        (
            m["first_differing_fold"].as_str(),
            m["first_differing_epoch"].as_str()
        ),
        ("0", "2")
    );
    assert_eq!(m["largest_difference_metric"], "train/fold0/epoch2/loss");
    let md = std::fs::read_to_string(dir.join("reproduction.md")).unwrap();
    assert!(md.contains("does NOT reproduce"), "{md}");
    assert!(
        md.contains("## Differences") && md.contains(&format!("| {svm} | test/fold1/accuracy | ")),
        "{md}"
    );
    assert!(
        md.contains(&format!("| {mlp} | train/fold0/epoch2/loss | ")),
        "{md}"
    );
    assert!(
        md.contains("| rustc | rustc 1.0.0 |") && md.contains("Provenance differences"),
        "{md}"
    );

    // A tolerance above 1e-9 accepts the SVM's difference, not the 0.5.
    let o = s.run(&[
        "rerun",
        "--experiment",
        "repro",
        "--tolerance",
        "1e-6",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let rows = csv_rows(&dir.join("reproduction.csv"));
    assert_eq!(rows[&svm]["verdict"], "within tolerance");
    assert_eq!(rows[&mlp]["verdict"], "differs");
    let md = std::fs::read_to_string(dir.join("reproduction.md")).unwrap();
    assert!(md.contains("Absolute tolerance 1e-6"), "{md}");
}

#[test]
fn a_killed_reproduction_resumes_without_rerunning_what_it_finished() {
    let s = Scratch::new();
    let origins = recorded(
        &s,
        &SPEC
            .replace("epochs = 4", "epochs = 40")
            .replace("\"svm\", \"knn\", ", ""),
    );
    assert_eq!(origins.len(), 2);
    let mut child = s
        .cmd(&["rerun", "--experiment", "repro", "--jobs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut killed = false;
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let done = Store::open_existing(&s.db())
            .map(|st| {
                reruns(&st)
                    .iter()
                    .any(|t| t.status == TrialStatus::Completed)
            })
            .unwrap_or(false);
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if done {
            child.kill().unwrap(); // SIGKILL
            killed = true;
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "no progress");
    }
    child.wait().unwrap();
    assert!(
        killed,
        "the reproduction finished before it could be killed"
    );
    let before = reruns(&s.store());
    let finished: Vec<i64> = before
        .iter()
        .filter(|t| t.status == TrialStatus::Completed)
        .map(|t| t.id)
        .collect();
    assert_eq!(finished.len(), 1, "{before:?}");

    let o = s.run(&["rerun", "--experiment", "repro", "--jobs", "1", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("2 trial(s) re-run: 2 identical"),
        "{}",
        text(&o)
    );
    let after = reruns(&s.store());
    // One re-run per origin, all of one reproduction (sweep); the finished
    // one was kept, not run again.
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|t| t.status == TrialStatus::Completed));
    assert!(after.iter().all(|t| t.sweep_id == before[0].sweep_id));
    assert!(finished.iter().all(|id| after.iter().any(|t| t.id == *id)));
    let rows = csv_rows(&s.path().join("reports/repro/reproduction.csv"));
    assert!(
        finished
            .iter()
            .all(|id| rows.values().any(|r| r["rerun_trial"] == id.to_string()))
    );
}
