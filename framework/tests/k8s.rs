//! `mer submit k8s`: the Indexed Job manifest is valid against Kubernetes'
//! own Job schema (1.30, strict: unknown fields are errors; the fixture is
//! written by `tools/k8s_job_schema.py` from the `kubernetes-validate`
//! package), carries no database URL or password, and the command queues
//! the trials only with a PostgreSQL database.

use std::path::Path;

use super::common::{Scratch, text};

const SPEC: &str = r#"
[experiment]
name = "Cluster_Study.1"
seeds = [0]

[dataset]
kind = "synthetic"
tracks = 40
duration_s = 2.0

[evaluation]
folds = 3

[sweep]
modality = ["audio"]
architecture = ["svm", "knn"]
labels = ["quadrants"]
"#;

fn schema() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s/job-batch-v1.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn errors(v: &jsonschema::Validator, manifest: &serde_json::Value) -> Vec<String> {
    v.iter_errors(manifest)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

const ARGS: [&str; 13] = [
    "--workers",
    "3",
    "--max-running",
    "2",
    "--image",
    "ghcr.io/lab/mer:0.1",
    "--pvc",
    "mer-shared",
    "--memory",
    "8Gi",
    "--gpus",
    "1",
    "--cpus-per-task=4",
];

#[test]
fn the_manifest_is_a_valid_indexed_job_that_takes_the_database_from_a_secret() {
    let s = Scratch::new();
    let spec = s.write("study.toml", SPEC);
    let mut args = vec!["submit", "k8s", spec.to_str().unwrap(), "--dry-run"];
    args.extend(ARGS);
    let o = s
        .cmd(&args)
        .env("MER_DB", "postgres://mer:s3cret@db.lab:5432/mer")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("s3cret") && !out.contains("db.lab"), "{out}");
    let m: serde_json::Value = serde_json::from_str(&out).unwrap();

    let v = schema();
    assert_eq!(errors(&v, &m), Vec::<String>::new());
    assert_eq!(m["kind"], "Job");
    assert_eq!(m["metadata"]["name"], "mer-cluster-study-1");
    let spec = &m["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(
        (spec["completions"].as_u64(), spec["parallelism"].as_u64()),
        (Some(3), Some(2))
    );
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "ghcr.io/lab/mer:0.1");
    assert_eq!(
        c["args"],
        serde_json::json!([
            "--quiet",
            "worker",
            "--experiment",
            "Cluster_Study.1",
            "--jobs",
            "4",
            "--idle-exit",
            "30"
        ])
    );
    let db = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "MER_DB")
        .unwrap();
    assert_eq!(
        db["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": "mer-db", "key": "url"})
    );
    assert!(db.get("value").is_none(), "the URL is never inline");
    assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "mer-shared"
    );

    // The schema is strict, and the validator does reject: a misspelt
    // field, a string where a number goes, a missing image.
    let mut bad = m.clone();
    bad["spec"]["paralelism"] = serde_json::json!(2);
    assert!(!errors(&v, &bad).is_empty());
    let mut bad = m.clone();
    bad["spec"]["completions"] = serde_json::json!("three");
    assert!(!errors(&v, &bad).is_empty());
    let mut bad = m.clone();
    bad["spec"]["template"]["spec"]["containers"][0]["resources"]["limitz"] = serde_json::json!({});
    assert!(!errors(&v, &bad).is_empty());
}

#[test]
fn submitting_to_kubernetes_needs_postgresql_and_queues_the_trials() {
    let s = Scratch::with_postgres();
    let spec = s.write("study.toml", SPEC);
    let mut args = vec!["submit", "k8s", spec.to_str().unwrap(), "--out", "job.json"];
    args.extend(ARGS);
    let mut cmd = s.cmd(&args);
    let postgres = matches!(s.location(), mer_store::Location::Postgres(_));
    if !postgres {
        // SQLite: refused, nothing written.
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("PostgreSQL"), "{}", text(&o));
        assert!(!s.path().join("job.json").exists());
        return;
    }
    let url = match s.location() {
        mer_store::Location::Postgres(u) => u.replacen("mer@", "mer:s3cret@", 1),
        mer_store::Location::Sqlite(_) => unreachable!(),
    };
    let o = cmd
        .env("MER_DB", &url)
        .env_remove("MER_ARTIFACTS")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("2 queued for `mer worker`"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("kubectl apply -f job.json"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("s3cret"), "{}", text(&o));
    let written = std::fs::read_to_string(s.path().join("job.json")).unwrap();
    assert!(!written.contains("s3cret") && !written.contains("postgres"));
    let m: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(errors(&schema(), &m), Vec::<String>::new());
    assert_eq!(s.store().runnable_trials(None).unwrap().len(), 2);
}
