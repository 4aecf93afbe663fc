//! `Store::export_experiment`: one experiment's rows, and only them, in a
//! new self-contained database that keeps the store's contract.

use std::path::Path;

use mer_store::{NewDataset, NewSweep, NewTrial, Store, TrialFilter};

#[test]
fn an_exported_experiment_keeps_its_rows_ids_and_contract_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let src_path = dir.path().join("results.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store");
    std::fs::copy(fixtures.join("schema_v2.db"), &src_path).unwrap();
    let src = Store::open(&src_path).unwrap();
    // A second experiment that must stay behind.
    let other = src.ensure_experiment("other", "").unwrap();
    let ds = src
        .ensure_dataset(&NewDataset {
            fingerprint: "other-fp".into(),
            name: "x".into(),
            kind: "synthetic".into(),
            n_tracks: 1,
            config_json: "{}".into(),
            summary_json: "{}".into(),
        })
        .unwrap();
    let sweep = src
        .begin_sweep(&NewSweep {
            experiment_id: other,
            spec_path: "o.toml".into(),
            spec_text: String::new(),
            spec_hash: "o".into(),
            planned: 1,
            worker: "w".into(),
        })
        .unwrap();
    src.register_trials(
        other,
        sweep,
        ds,
        &[NewTrial {
            key: "other-key".into(),
            modality: "audio".into(),
            architecture: "svm".into(),
            labels: "quadrants".into(),
            task: "classification".into(),
            seed: 1,
            params_json: "{}".into(),
            config_json: "{}".into(),
        }],
    )
    .unwrap();

    let dest = dir.path().join("out/results.db");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    assert_eq!(src.export_experiment("schema-v2", &dest).unwrap(), 4);
    // One file: no WAL, shared-memory or lock file beside it.
    let mut beside: Vec<String> = std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["results.db"]);

    let out = Store::open_read_only(&dest).unwrap();
    assert_eq!(out.integrity_check().unwrap(), "ok");
    let all = |s: &Store| {
        s.trials(&TrialFilter {
            include_reruns: true,
            ..TrialFilter::default()
        })
        .unwrap()
    };
    let want: Vec<_> = all(&src)
        .into_iter()
        .filter(|t| t.experiment == "schema-v2")
        .collect();
    assert_eq!(all(&out), want);
    for t in &want {
        assert_eq!(out.metrics(t.id).unwrap(), src.metrics(t.id).unwrap());
        assert_eq!(
            out.predictions(t.id).unwrap(),
            src.predictions(t.id).unwrap()
        );
        assert_eq!(out.provenance(t.id).unwrap(), src.provenance(t.id).unwrap());
        assert_eq!(out.artifacts(t.id).unwrap(), src.artifacts(t.id).unwrap());
        assert_eq!(
            out.skipped_tracks(t.id).unwrap(),
            src.skipped_tracks(t.id).unwrap()
        );
        let h = t.split_hash.as_deref().unwrap();
        assert_eq!(
            out.split_manifest(h).unwrap(),
            src.split_manifest(h).unwrap()
        );
    }
    assert_eq!(
        out.report_trials("schema-v2").unwrap(),
        src.report_trials("schema-v2").unwrap()
    );
    assert!(out.experiment("other").is_err());
    drop(out);

    // The copy is as immutable as the original.
    let out = Store::open(&dest).unwrap();
    let err = out
        .execute_raw_for_tests(&format!(
            "UPDATE trial_metrics SET value = 0 WHERE trial_id = {}",
            want[0].id
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("finished trials are immutable"),
        "{err}"
    );
    // An existing target is never overwritten.
    assert!(src.export_experiment("schema-v2", &dest).is_err());
}
