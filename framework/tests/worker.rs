//! `mer sweep --enqueue` and `mer worker`: a queue of trials in the
//! database, shared by several worker processes, surviving `kill -9`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use mer_store::{TrialFilter, TrialStatus};

use super::common::{Scratch, completed_by_worker, text};

const SPEC: &str = r#"
[experiment]
name = "queue"
seeds = [0, 1]

[dataset]
kind = "synthetic"
tracks = 40
duration_s = 2.0

[evaluation]
folds = 3

[train]
epochs = 30

[sweep]
modality = ["audio", "text"]
architecture = ["svm", "knn", "residual_mlp"]
labels = ["quadrants"]
"#;

#[test]
fn enqueued_trials_are_shared_by_workers_and_each_runs_once() {
    let s = Scratch::new();
    let spec = s.write("queue.toml", SPEC);
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--enqueue", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("12 queued for `mer worker`"),
        "{}",
        text(&o)
    );
    let store = s.store();
    let all = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(all.len(), 12);
    assert!(all.iter().all(|t| t.status == TrialStatus::Pending));
    // Enqueuing again registers nothing new.
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--enqueue", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(store.trials(&TrialFilter::default()).unwrap().len(), 12);

    let workers: Vec<_> = (0..3)
        .map(|_| {
            s.cmd(&["worker", "--jobs", "1", "--quiet"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut done = 0;
    for w in workers {
        let o = w.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        done += completed_by_worker(&String::from_utf8_lossy(&o.stdout));
    }
    assert_eq!(done, 12, "every trial ran once, across the workers");
    let all = store.trials(&TrialFilter::default()).unwrap();
    assert!(
        all.iter()
            .all(|t| t.status == TrialStatus::Completed && t.attempts == 1)
    );
    // Provenance names the spec that queued them.
    let p = store.provenance(all[0].id).unwrap().unwrap();
    assert_eq!(p.spec_text, SPEC);
}

/// A worker killed with SIGKILL loses nothing: the next worker finds its
/// trial (its process is gone), runs it again, and the trial keeps both
/// attempts.
#[test]
fn a_killed_worker_loses_nothing_and_its_trial_runs_again() {
    let s = Scratch::new();
    let spec = s.write(
        "queue.toml",
        &SPEC
            .replace("[\"svm\", \"knn\", \"residual_mlp\"]", "[\"residual_mlp\"]")
            .replace("epochs = 30", "epochs = 200"),
    );
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--enqueue", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let mut child = s
        .cmd(&["worker", "--jobs", "1", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let running = loop {
        std::thread::sleep(Duration::from_millis(20));
        let running: Vec<i64> = s
            .store()
            .trials(&TrialFilter {
                status: Some(TrialStatus::Running),
                ..TrialFilter::default()
            })
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        if !running.is_empty() {
            break running;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the worker finished first"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no trial started"
        );
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let o = s.run(&["worker", "--jobs", "2", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 recovered from stopped workers"),
        "{}",
        text(&o)
    );
    let store = s.store();
    let all = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|t| t.status == TrialStatus::Completed));
    let t = store.trial(running[0]).unwrap();
    assert_eq!(t.attempts, 2);
    let attempts = store.attempts(t.id).unwrap();
    assert_eq!(attempts[0].outcome, "interrupted");
    assert!(
        attempts[0].error.as_deref().unwrap().contains("stopped"),
        "{attempts:?}"
    );
    assert_eq!(attempts[1].outcome, "completed");
    // The completed trial's results are whole: one final metric set per fold.
    let finals = store
        .metrics(t.id)
        .unwrap()
        .into_iter()
        .filter(|m| m.epoch.is_none() && m.name == "accuracy" && m.split == mer_store::Split::Test)
        .count();
    assert_eq!(finals, 3);
    let o = s.run(&["show", &t.id.to_string()]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("attempts\n  1 interrupted on"),
        "{}",
        text(&o)
    );
}
