//! Helpers shared by mer's end-to-end tests.

/// Runs the spec `text` (named `name` in errors) into a new store in `dir`,
/// with the synthetic data and features cached across tests, and checks
/// that no trial failed.
pub fn sweep_spec(text: &str, name: &str, dir: &std::path::Path) -> mer_store::Store {
    let spec = mer_spec::Spec::parse(text, std::path::Path::new(name))
        .unwrap()
        .validate()
        .unwrap();
    let store = mer_store::Store::open(&dir.join("results.db")).unwrap();
    let mut opts = mer::run::SweepOptions::new(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mer-structure-cache"),
    );
    opts.progress = false;
    let summary = mer::run::sweep(spec.plan(), &store, &opts).unwrap();
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    store
}
