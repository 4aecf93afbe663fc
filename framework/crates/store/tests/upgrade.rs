//! Every released schema upgrades to the current one without losing data.
//!
//! `fixtures/store/schema_v<N>.db` is a real store written by the release
//! whose newest migration was N (by `mer sweep fixtures/store/schema_v<N>.toml`).
//! When a migration is added, keep these files and add the new release's.

use std::path::Path;

use mer_store::{Store, TrialFilter, TrialStatus};

/// (fixture, experiment, trials it holds)
const RELEASED: &[(&str, &str, usize)] = &[
    ("schema_v1.db", "schema-v1", 4),
    ("schema_v2.db", "schema-v2", 4),
];

#[test]
fn every_released_schema_upgrades_and_keeps_its_data() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store");
    for (file, experiment, n) in RELEASED {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.db");
        std::fs::copy(fixtures.join(file), &path).unwrap();
        let store = Store::open(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(store.integrity_check().unwrap(), "ok", "{file}");
        let trials = store
            .trials(&TrialFilter {
                experiment: Some(experiment.to_string()),
                ..TrialFilter::default()
            })
            .unwrap();
        assert_eq!(trials.len(), *n, "{file}");
        for t in &trials {
            assert_eq!(t.status, TrialStatus::Completed, "{file}: trial {}", t.id);
            assert!(
                !store.metrics(t.id).unwrap().is_empty(),
                "{file}: trial {}",
                t.id
            );
            assert!(
                !store.predictions(t.id).unwrap().is_empty(),
                "{file}: trial {}",
                t.id
            );
            assert!(
                store.provenance(t.id).unwrap().is_some(),
                "{file}: trial {}",
                t.id
            );
        }
        assert_eq!(store.report_trials(experiment).unwrap().len(), *n);
        // The upgraded store takes new data.
        store.ensure_experiment("after-upgrade", "").unwrap();
        drop(store);
        // Re-opening is a no-op.
        Store::open(&path).unwrap();
    }
    assert_eq!(
        RELEASED.len() as i64,
        Store::schema_version(),
        "a migration was added: keep a store written by the release before it"
    );
}
