//! `Store::copy_experiment` (`mer db copy`): finished trials and all they
//! own move between backends with their ids and values, idempotently.

use std::path::Path;

use mer_store::{Location, NewTrial, Store, TrialFilter, TrialRow};

fn new_trial(key: &str) -> NewTrial {
    NewTrial {
        key: key.into(),
        modality: "audio".into(),
        architecture: "svm".into(),
        labels: "quadrants".into(),
        task: "classification".into(),
        seed: 1,
        params_json: "{}".into(),
        config_json: "{}".into(),
    }
}

fn all(s: &Store) -> Vec<TrialRow> {
    s.trials(&TrialFilter {
        include_reruns: true,
        ..TrialFilter::default()
    })
    .unwrap()
}

/// Every row `a` and `b` hold for the experiment's trials, compared.
fn assert_same_record(a: &Store, b: &Store, experiment: &str, what: &str) {
    let ta: Vec<TrialRow> = all(a)
        .into_iter()
        .filter(|t| t.experiment == experiment && t.status.is_finished())
        .collect();
    assert!(!ta.is_empty(), "{what}: nothing to compare");
    assert_eq!(all(b), ta, "{what}: trial rows");
    for t in &ta {
        assert_eq!(b.metrics(t.id).unwrap(), a.metrics(t.id).unwrap(), "{what}");
        let (pa, pb) = (a.predictions(t.id).unwrap(), b.predictions(t.id).unwrap());
        assert_eq!(format!("{pb:?}"), format!("{pa:?}"), "{what}: NaN-aware");
        assert_eq!(
            b.provenance(t.id).unwrap(),
            a.provenance(t.id).unwrap(),
            "{what}"
        );
        assert_eq!(
            b.artifacts(t.id).unwrap(),
            a.artifacts(t.id).unwrap(),
            "{what}"
        );
        assert_eq!(
            b.attempts(t.id).unwrap(),
            a.attempts(t.id).unwrap(),
            "{what}"
        );
        assert_eq!(
            b.skipped_tracks(t.id).unwrap(),
            a.skipped_tracks(t.id).unwrap(),
            "{what}"
        );
        if let Some(h) = t.split_hash.as_deref() {
            assert_eq!(b.split_manifest(h).unwrap(), a.split_manifest(h).unwrap());
        }
    }
    assert_eq!(
        b.report_trials(experiment).unwrap(),
        a.report_trials(experiment).unwrap(),
        "{what}"
    );
    assert_eq!(
        format!("{:?}", b.report_metrics(experiment).unwrap()),
        format!("{:?}", a.report_metrics(experiment).unwrap()),
        "{what}"
    );
}

#[test]
fn an_experiment_goes_to_every_backend_and_back_unchanged_and_a_second_copy_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src_path = dir.path().join("results.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store");
    std::fs::copy(fixtures.join("schema_v2.db"), &src_path).unwrap();
    let src = Store::open(&src_path).unwrap();
    // A trial still queued stays behind.
    let exp = src.experiment("schema-v2").unwrap();
    let queued = src
        .register_trials(
            exp.id,
            all(&src)[0].sweep_id.unwrap(),
            1,
            &[new_trial("queued")],
        )
        .unwrap();
    assert_eq!(queued.len(), 1);
    let finished = all(&src).iter().filter(|t| t.status.is_finished()).count();

    let mut middles = vec![("sqlite", Location::Sqlite(dir.path().join("mid.db")))];
    if let Some(url) = mer_store::testing::fresh_postgres() {
        middles.push(("postgres", Location::Postgres(url)));
    }
    for (name, at) in middles {
        let mid = Store::open_at(&at).unwrap();
        let s = src.copy_experiment("schema-v2", &mid).unwrap();
        assert_eq!(s.trials_copied, finished, "{name}");
        assert_eq!((s.trials_present, s.trials_unfinished), (0, 1), "{name}");
        assert!(s.renumbered.is_empty() && s.conflicts.is_empty(), "{name}");
        assert_same_record(&src, &mid, "schema-v2", name);

        // Again: nothing new.
        let again = src.copy_experiment("schema-v2", &mid).unwrap();
        assert_eq!((again.trials_copied, again.trials_present), (0, finished));
        assert_eq!(all(&mid).len(), finished, "{name}: no duplicates");

        // And back, to a laptop's new file.
        let back_path = dir.path().join(format!("back-{name}.db"));
        let back = Store::open(&back_path).unwrap();
        mid.copy_experiment("schema-v2", &back).unwrap();
        assert_same_record(&src, &back, "schema-v2", &format!("{name} and back"));

        // The copies keep the contract: finished rows are immutable.
        let t = all(&mid)[0].id;
        let err = mid
            .execute_raw_for_tests(&format!("DELETE FROM trial_metrics WHERE trial_id = {t}"))
            .unwrap_err();
        assert!(
            err.to_string().contains("finished trials are immutable"),
            "{err}"
        );

        // Export (bundles) works from this backend too.
        let exported = dir.path().join(format!("export-{name}.db"));
        assert_eq!(
            mid.export_experiment("schema-v2", &exported).unwrap(),
            finished
        );
        let ex = Store::open_read_only(&exported).unwrap();
        assert_same_record(&src, &ex, "schema-v2", &format!("{name} export"));
        // New trials in the copy get fresh ids after the copied ones.
        let copied_max = all(&mid).iter().map(|t| t.id).max().unwrap();
        let row = mid
            .register_trials(
                mid.experiment("schema-v2").unwrap().id,
                all(&mid)[0].sweep_id.unwrap(),
                1,
                &[new_trial("new-after-copy")],
            )
            .unwrap();
        assert!(row[0].id > copied_max, "{name}");
    }
}

#[test]
fn a_key_recorded_by_another_run_is_a_conflict_not_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store");
    let a_path = dir.path().join("a.db");
    std::fs::copy(fixtures.join("schema_v2.db"), &a_path).unwrap();
    let a = Store::open(&a_path).unwrap();
    let first = all(&a)
        .into_iter()
        .find(|t| t.origin_trial_id.is_none())
        .unwrap();
    // b ran the same trial key itself (another row, another time).
    let b = Store::open(&dir.path().join("b.db")).unwrap();
    let exp = b.ensure_experiment("schema-v2", "").unwrap();
    let ds = b
        .ensure_dataset(&mer_store::NewDataset {
            fingerprint: "fp-b".into(),
            name: "b".into(),
            kind: "synthetic".into(),
            n_tracks: 1,
            config_json: "{}".into(),
            summary_json: "{}".into(),
        })
        .unwrap();
    let sweep = b
        .begin_sweep(&mer_store::NewSweep {
            experiment_id: exp,
            spec_path: "b.toml".into(),
            spec_text: String::new(),
            spec_hash: "b".into(),
            planned: 1,
            worker: "w".into(),
        })
        .unwrap();
    let mut nt = NewTrial {
        key: first.key.clone(),
        modality: first.modality.clone(),
        architecture: first.architecture.clone(),
        labels: first.labels.clone(),
        task: first.task.clone(),
        seed: first.seed,
        params_json: first.params_json.clone(),
        config_json: first.config_json.clone(),
    };
    b.register_trials(exp, sweep, ds, std::slice::from_mut(&mut nt))
        .unwrap();
    let s = a.copy_experiment("schema-v2", &b).unwrap();
    assert!(
        s.conflicts
            .iter()
            .any(|(k, id)| *k == first.key && *id == first.id),
        "{s:?}"
    );
    let rows = b.trials_by_key(&first.key).unwrap();
    assert_eq!(
        rows.iter().filter(|t| t.origin_trial_id.is_none()).count(),
        1,
        "one primary row per key"
    );
}
