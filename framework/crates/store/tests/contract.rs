//! The store contract (see `framework/crates/store/src/lib.rs`), checked on
//! every backend: SQLite always, PostgreSQL on the server that
//! `MER_TEST_POSTGRES_URL` names (`.ci/run` starts one with
//! `tools/pg-test-server` and sets `MER_REQUIRE_POSTGRES=1`, so there it
//! cannot be skipped).

use std::path::Path;
use std::time::Duration;

use mer_store::{
    Location, MetricRow, NewDataset, NewSweep, NewTrial, PredictionRow, SkippedTrack, Split, Store,
    StoreError, TrialFilter, TrialReason, TrialResult, TrialStatus,
};

/// Opens a fresh store of each backend under `dir`.
fn backends(dir: &Path) -> Vec<(&'static str, Store)> {
    locations(dir)
        .into_iter()
        .map(|(name, at)| (name, Store::open_at(&at).unwrap()))
        .collect()
}

/// Where a fresh store of each backend can be opened (by several processes
/// or threads at once).
fn locations(dir: &Path) -> Vec<(&'static str, Location)> {
    let mut out = vec![("sqlite", Location::Sqlite(dir.join("results.db")))];
    if let Some(url) = mer_store::testing::fresh_postgres() {
        out.push(("postgres", Location::Postgres(url)));
    }
    out
}

fn new_trial(key: &str) -> NewTrial {
    NewTrial {
        key: key.to_string(),
        modality: "audio".into(),
        architecture: "svm".into(),
        labels: "quadrants".into(),
        task: "classification".into(),
        seed: 3,
        params_json: "{}".into(),
        config_json: format!("{{\"k\":\"{key}\"}}"),
    }
}

/// An experiment, a dataset, a sweep and `keys` registered as trials.
fn setup(store: &Store, keys: &[&str]) -> (i64, i64, Vec<mer_store::TrialRow>) {
    let exp = store.ensure_experiment("exp", "d").unwrap();
    let ds = store
        .ensure_dataset(&NewDataset {
            fingerprint: "fp".into(),
            name: "synthetic".into(),
            kind: "synthetic".into(),
            n_tracks: 10,
            config_json: "{}".into(),
            summary_json: "{}".into(),
        })
        .unwrap();
    let sweep = store
        .begin_sweep(&NewSweep {
            experiment_id: exp,
            spec_path: "x.toml".into(),
            spec_text: "".into(),
            spec_hash: "h".into(),
            planned: keys.len() as i64,
            worker: "w".into(),
        })
        .unwrap();
    let trials: Vec<NewTrial> = keys.iter().map(|k| new_trial(k)).collect();
    let rows = store.register_trials(exp, sweep, ds, &trials).unwrap();
    (exp, sweep, rows)
}

fn result_with(metric: f64) -> TrialResult {
    TrialResult {
        metrics: vec![
            MetricRow {
                split: Split::Test,
                fold: 0,
                epoch: None,
                name: "accuracy".into(),
                value: metric,
            },
            MetricRow {
                split: Split::Test,
                fold: 1,
                epoch: None,
                name: "accuracy".into(),
                value: 0.5,
            },
        ],
        predictions: vec![PredictionRow {
            fold: 0,
            track_id: "t1".into(),
            target: "class".into(),
            y_true: 1.0,
            y_pred: 2.0,
            scores: Some(vec![0.1, 0.2, f64::NAN]),
            extra: Some(serde_json::json!({"alpha": 0.25})),
        }],
        skipped: vec![SkippedTrack {
            track_id: "t9".into(),
            stage: "lyrics".into(),
            reason: "no lyrics".into(),
        }],
        artifacts: vec![],
        classes: Some(vec!["Q1".into(), "Q2".into(), "Q3".into()]),
        split: Some(("splithash".into(), "[]".into())),
        duration_s: 1.5,
    }
}

#[test]
fn registering_a_key_twice_returns_the_same_row() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (exp, sweep, rows) = setup(&store, &["a", "b"]);
        let again = store
            .register_trials(exp, sweep, 1, &[new_trial("b"), new_trial("c")])
            .unwrap();
        assert_eq!(again[0].id, rows[1].id, "{name}");
        assert_eq!(again[1].status, TrialStatus::Pending, "{name}");
        let all = store.trials(&TrialFilter::default()).unwrap();
        assert_eq!(all.len(), 3, "{name}");
    }
}

#[test]
fn only_one_worker_wins_a_claim() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["a"]);
        let id = rows[0].id;
        assert!(store.claim(id, "w1").unwrap(), "{name}");
        assert!(!store.claim(id, "w2").unwrap(), "{name}");
        let t = store.trial(id).unwrap();
        assert_eq!(t.status, TrialStatus::Running);
        assert_eq!(t.worker.as_deref(), Some("w1"));
        assert_eq!(t.attempts, 1);
        // w2 cannot record a result for w1's trial.
        let err = store
            .complete_trial(id, "w2", &result_with(0.9))
            .unwrap_err();
        assert!(matches!(err, StoreError::LostClaim { .. }), "{name}: {err}");
        assert!(store.metrics(id).unwrap().is_empty(), "{name}");
    }
}

#[test]
fn completion_is_atomic_and_finished_trials_are_immutable() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["a"]);
        let id = rows[0].id;
        store.claim(id, "w1").unwrap();
        let provenance = mer_store::Provenance {
            spec_path: "s.toml".into(),
            spec_text: "text".into(),
            spec_hash: "h".into(),
            config_json: "{}".into(),
            seeds: vec![1],
            dataset_fingerprint: "d".into(),
            extractors: vec!["e".into()],
            git_commit: "c".into(),
            git_dirty: Some(false),
            crate_version: "0.1.0".into(),
            rustc_version: "rustc 1".into(),
            host: "h".into(),
            os: "linux-x86_64".into(),
            threads: 2,
            backend: "cpu".into(),
            recorded_at: "2026-12-05T00:00:00.000Z".into(),
            lock_hash: Some("l".into()),
            cpu_features: Some("x86_64: avx2".into()),
        };
        store.record_provenance(id, &provenance).unwrap();
        assert_eq!(store.provenance(id).unwrap().as_ref(), Some(&provenance));
        store.complete_trial(id, "w1", &result_with(0.75)).unwrap();
        let t = store.trial(id).unwrap();
        assert_eq!(t.status, TrialStatus::Completed, "{name}");
        assert_eq!(t.classes.as_ref().unwrap().len(), 3);
        assert_eq!(t.split_hash.as_deref(), Some("splithash"));
        assert_eq!(store.metrics(id).unwrap().len(), 2);
        assert_eq!(store.skipped_tracks(id).unwrap().len(), 1);
        assert_eq!(
            store.split_manifest("splithash").unwrap().as_deref(),
            Some("[]")
        );

        // Neither the row nor its results can change now.
        assert!(!store.claim(id, "w2").unwrap());
        for sql in [
            format!("UPDATE trials SET error = 'x' WHERE id = {id}"),
            format!("DELETE FROM trials WHERE id = {id}"),
            format!("DELETE FROM trial_metrics WHERE trial_id = {id}"),
            format!("DELETE FROM predictions WHERE trial_id = {id}"),
            format!(
                "INSERT INTO trial_metrics (trial_id, split, fold, name, value) VALUES ({id}, 'test', 5, 'x', 1)"
            ),
            // Schema 2: rows are frozen for updates too.
            format!("UPDATE trial_metrics SET value = 0.5 WHERE trial_id = {id}"),
            format!("UPDATE predictions SET y_pred = 2 WHERE trial_id = {id}"),
            format!("UPDATE provenance SET rustc_version = 'x' WHERE trial_id = {id}"),
        ] {
            let err = store.execute_raw_for_tests(&sql).unwrap_err();
            assert!(
                err.to_string().contains("finished trials are immutable"),
                "{name}: {sql}: {err}"
            );
        }
        assert!(store.complete_trial(id, "w1", &result_with(0.1)).is_err());
        assert_eq!(store.metrics(id).unwrap()[0].value, 0.75);
    }
}

#[test]
fn a_failed_completion_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["a"]);
        let id = rows[0].id;
        store.claim(id, "w1").unwrap();
        // Two metric rows with the same key violate the unique index midway.
        let mut bad = result_with(0.5);
        bad.metrics.push(bad.metrics[0].clone());
        assert!(store.complete_trial(id, "w1", &bad).is_err(), "{name}");
        assert!(store.metrics(id).unwrap().is_empty(), "{name}");
        assert!(store.predictions(id).unwrap().is_empty(), "{name}");
        assert_eq!(store.trial(id).unwrap().status, TrialStatus::Running);
        // ... and the trial can still complete properly.
        store.complete_trial(id, "w1", &result_with(0.5)).unwrap();
    }
}

#[test]
fn nan_and_infinities_are_stored_explicitly() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["a"]);
        let id = rows[0].id;
        store.claim(id, "w").unwrap();
        let mut r = result_with(f64::NAN);
        r.metrics[1].value = f64::NEG_INFINITY;
        r.predictions[0].y_pred = f64::INFINITY;
        store.complete_trial(id, "w", &r).unwrap();
        let m = store.metrics(id).unwrap();
        assert!(m[0].value.is_nan(), "{name}");
        assert_eq!(m[1].value, f64::NEG_INFINITY, "{name}");
        let p = store.predictions(id).unwrap();
        assert_eq!(p[0].y_pred, f64::INFINITY);
        let s = p[0].scores.as_ref().unwrap();
        assert!(s[2].is_nan());
        assert_eq!(p[0].extra, Some(serde_json::json!({"alpha": 0.25})));
    }
}

#[test]
fn stale_and_dead_workers_are_interrupted_and_their_partial_rows_dropped() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["a", "b", "c"]);
        for (r, w) in rows.iter().zip(["dead", "alive", "quiet"]) {
            assert!(store.claim(r.id, w).unwrap());
        }
        // A curve written while "dead" ran.
        store
            .record_epoch_metrics(
                rows[0].id,
                &[MetricRow {
                    split: Split::Validation,
                    fold: 0,
                    epoch: Some(1),
                    name: "loss".into(),
                    value: 1.0,
                }],
            )
            .unwrap();
        let marked = store
            .recover_stale(Duration::from_secs(3600), &|w| w == "dead", 3)
            .unwrap();
        assert_eq!(marked, vec![rows[0].id], "{name}");
        // "quiet" last beat over 400 ms ago, "alive" just now: with a
        // 200 ms limit only "quiet" is stale (a margin for a slow server).
        std::thread::sleep(Duration::from_millis(400));
        store.heartbeat("alive").unwrap();
        let marked = store
            .recover_stale(Duration::from_millis(200), &|_| false, 3)
            .unwrap();
        assert_eq!(
            marked,
            vec![rows[2].id],
            "{name}: only the silent one is stale"
        );

        assert_eq!(
            store.trial(rows[0].id).unwrap().status,
            TrialStatus::Interrupted
        );
        assert!(store.claim(rows[0].id, "new").unwrap());
        let t = store.trial(rows[0].id).unwrap();
        assert_eq!(t.attempts, 2);
        assert!(store.metrics(rows[0].id).unwrap().is_empty(), "{name}");
    }
}

#[test]
fn reruns_link_to_their_origin_and_reports_take_the_latest_result() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["a"]);
        let id = rows[0].id;
        store.claim(id, "w").unwrap();
        store.complete_trial(id, "w", &result_with(0.6)).unwrap();

        let check = store.add_rerun(&rows[0], TrialReason::Rerun, None).unwrap();
        assert_eq!(check.origin_trial_id, Some(id), "{name}");
        store.claim(check.id, "w").unwrap();
        store
            .complete_trial(check.id, "w", &result_with(0.6))
            .unwrap();
        let shown = store.report_trials("exp").unwrap();
        assert_eq!(shown.iter().map(|t| t.id).collect::<Vec<_>>(), vec![id]);

        let forced = store
            .add_rerun(&check, TrialReason::Force, Some(1))
            .unwrap();
        assert_eq!(forced.origin_trial_id, Some(id), "links to the primary row");
        store.claim(forced.id, "w").unwrap();
        store
            .complete_trial(forced.id, "w", &result_with(0.7))
            .unwrap();
        let shown = store.report_trials("exp").unwrap();
        assert_eq!(
            shown.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![forced.id]
        );
        let metrics = store.report_metrics("exp").unwrap();
        assert!(metrics.iter().all(|m| m.trial_id == forced.id));
        assert_eq!(metrics.len(), 2);

        // Listing hides rerun checks unless asked.
        assert_eq!(store.trials(&TrialFilter::default()).unwrap().len(), 2);
        let all = store
            .trials(&TrialFilter {
                include_reruns: true,
                ..TrialFilter::default()
            })
            .unwrap();
        assert_eq!(all.len(), 3);
    }
}

#[test]
fn trials_are_found_by_id_or_unique_key_prefix() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["abcd1111", "abcd2222"]);
        assert_eq!(
            store.find_trial(&rows[1].id.to_string()).unwrap().id,
            rows[1].id
        );
        assert_eq!(store.find_trial("abcd2").unwrap().id, rows[1].id, "{name}");
        let err = store.find_trial("abcd").unwrap_err();
        assert!(matches!(err, StoreError::AmbiguousTrial { .. }), "{err}");
        let err = store.find_trial("ffff").unwrap_err();
        assert!(matches!(err, StoreError::NoSuchTrial { .. }), "{err}");
        let err = store
            .trials(&TrialFilter {
                experiment: Some("nope".into()),
                ..TrialFilter::default()
            })
            .unwrap_err();
        assert!(err.to_string().contains("known: exp"), "{err}");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, b"these are my notes, not a database\n").unwrap();
    let err = Store::open(&path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("notes.db"), "{msg}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"these are my notes, not a database\n"
    );
    let err = Store::open_existing(&dir.path().join("missing.db")).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
    assert!(!dir.path().join("missing.db").exists());
}

#[test]
fn a_database_from_a_newer_mer_is_refused_without_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.db");
    {
        let store = Store::open(&path).unwrap();
        setup(&store, &["a"]);
        store
            .execute_raw_for_tests(
                "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
                 VALUES (9999, 'from the future', '2030-01-01', 1, x'00', 0)",
            )
            .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { version: 9999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade mer"), "{err}");
}

/// Workers that start together on a new store all open it: the schema is
/// created once (SQLite: under a file lock; PostgreSQL: under an advisory
/// lock), and each of them then works on it.
#[test]
fn many_workers_opening_a_new_store_at_once_create_its_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    for (name, at) in locations(dir.path()) {
        let versions: Vec<i64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..12)
                .map(|w| {
                    let at = at.clone();
                    s.spawn(move || {
                        let store = Store::open_at(&at).unwrap();
                        store.ensure_experiment(&format!("e{w}"), "").unwrap();
                        Store::schema_version()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(versions.iter().all(|&v| v == Store::schema_version()));
        let store = Store::open_read_only_at(&at).unwrap();
        assert_eq!(store.experiments().unwrap().len(), 12, "{name}");
    }
}

/// Sixteen independent stores (own pools, as sixteen worker processes)
/// race to claim and complete 160 trials: every trial is claimed exactly
/// once and completed, nobody fails with "locked".
#[test]
fn concurrent_writers_wait_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    for (name, at) in locations(dir.path()) {
        let store = Store::open_at(&at).unwrap();
        let keys: Vec<String> = (0..160).map(|i| format!("k{i:03}")).collect();
        let key_refs: Vec<&str> = keys.iter().map(|s| s.as_str()).collect();
        let (_, _, rows) = setup(&store, &key_refs);
        drop(store);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let won: Vec<Vec<i64>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|w| {
                    let at = at.clone();
                    let ids = ids.clone();
                    s.spawn(move || {
                        let store = Store::open_at(&at).unwrap();
                        let me = format!("w{w}");
                        let mut mine = Vec::new();
                        for id in ids {
                            if store.claim(id, &me).unwrap() {
                                store.complete_trial(id, &me, &result_with(0.5)).unwrap();
                                mine.push(id);
                            }
                        }
                        mine
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<i64> = won.concat();
        all.sort();
        assert_eq!(all, ids, "{name}: each trial claimed exactly once");
        let store = Store::open_at(&at).unwrap();
        let done = store
            .trials(&TrialFilter {
                status: Some(TrialStatus::Completed),
                ..TrialFilter::default()
            })
            .unwrap();
        assert_eq!(done.len(), 160, "{name}");
        for t in &done {
            assert_eq!(t.attempts, 1, "{name}: trial {} claimed once", t.id);
            assert_eq!(store.attempts(t.id).unwrap().len(), 1, "{name}");
        }
        assert_eq!(store.integrity_check().unwrap(), "ok", "{name}");
    }
}

/// A trial whose workers keep stopping runs again up to `max_attempts`
/// times, then fails with every attempt's error; each attempt is kept.
#[test]
fn a_trial_whose_workers_keep_stopping_fails_after_max_attempts_with_every_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in backends(dir.path()) {
        let (_, _, rows) = setup(&store, &["a", "b"]);
        let (a, b) = (rows[0].id, rows[1].id);
        for attempt in 1..=3 {
            let w = format!("w{attempt}");
            assert!(store.claim(a, &w).unwrap(), "{name}: attempt {attempt}");
            let marked = store
                .recover_stale(Duration::from_secs(3600), &|x| x == w, 3)
                .unwrap();
            if attempt < 3 {
                assert_eq!(marked, vec![a], "{name}");
                assert_eq!(store.trial(a).unwrap().status, TrialStatus::Interrupted);
            } else {
                assert!(marked.is_empty(), "{name}: given up, not queued again");
            }
        }
        let t = store.trial(a).unwrap();
        assert_eq!(t.status, TrialStatus::Failed, "{name}");
        assert_eq!(t.attempts, 3);
        let error = t.error.unwrap();
        assert!(
            error.starts_with("gave up after 3 attempt(s) (max_attempts = 3)"),
            "{error}"
        );
        for w in ["w1", "w2", "w3"] {
            assert!(
                error.contains(&format!("on {w}: interrupted: worker {w} stopped")),
                "{error}"
            );
        }
        let attempts = store.attempts(a).unwrap();
        assert_eq!(
            attempts
                .iter()
                .map(|x| (x.attempt, x.outcome.as_str(), x.worker.as_deref()))
                .collect::<Vec<_>>(),
            [
                (1, "interrupted", Some("w1")),
                (2, "interrupted", Some("w2")),
                (3, "interrupted", Some("w3"))
            ],
            "{name}"
        );
        assert!(
            !store.claim(a, "w4").unwrap(),
            "{name}: a failed trial is not claimed"
        );

        // A trial that completes keeps its one attempt too.
        store.claim(b, "w").unwrap();
        store.complete_trial(b, "w", &result_with(0.5)).unwrap();
        let attempts = store.attempts(b).unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(
            (attempts[0].outcome.as_str(), attempts[0].error.as_deref()),
            ("completed", None)
        );
        assert_eq!(
            store.runnable_trials(None).unwrap().len(),
            0,
            "{name}: nothing left to run"
        );
    }
}
