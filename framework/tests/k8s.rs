//! `mer submit k8s`: the Indexed Job manifest is valid against Kubernetes'
//! own Job schema (1.30, strict: unknown fields are errors; the fixture is
//! written by `tools/k8s_job_schema.py` from the `kubernetes-validate`
//! package, which also passes the manifest by hand: see the README), carries
//! no database URL or password, and the command queues the trials only with
//! a PostgreSQL database.

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

/// The Job schema (fixture) and a validator for the JSON Schema keywords it
/// uses: `$ref` (to `#/$defs/...`), `type`, `enum`, `properties`,
/// `additionalProperties` (false or a schema), `required`, `items`, `oneOf`;
/// `format` and the `x-kubernetes-*` annotations are annotations, as in
/// JSON Schema 2020-12. Any other keyword in the schema fails the test, so
/// the validator cannot silently skip a rule. (A test-only dependency on a
/// JSON Schema crate changed the features of crates burn shares and made the
/// test command rebuild burn: 6.5 min instead of 2.)
struct Schema {
    root: serde_json::Value,
}

const ANNOTATIONS: [&str; 17] = [
    "format",
    "description",
    "$comment",
    "$id",
    "$schema",
    "$defs",
    "x-kubernetes-list-type",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-unions",
    "x-kubernetes-group-version-kind",
    "discriminator",
    "fields-to-discriminateBy",
    "localhostProfile",
    "default",
];
const RULES: [&str; 8] = [
    "$ref",
    "type",
    "enum",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "oneOf",
];

fn schema() -> Schema {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s/job-batch-v1.schema.json");
    Schema {
        root: serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap(),
    }
}

impl Schema {
    fn check(&self, s: &serde_json::Value, v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        use serde_json::Value;
        let Value::Object(rules) = s else {
            panic!("{at}: a schema that is not an object: {s}")
        };
        for key in rules.keys() {
            assert!(
                RULES.contains(&key.as_str()) || ANNOTATIONS.contains(&key.as_str()),
                "{at}: the schema uses `{key}`, which this validator does not implement"
            );
        }
        if let Some(r) = rules.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/").expect("local $ref");
            self.check(&self.root["$defs"][name], v, at, out);
        }
        if let Some(t) = rules.get("type") {
            let types: Vec<&str> = match t {
                Value::String(x) => vec![x.as_str()],
                Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
                _ => panic!("{at}: type {t}"),
            };
            let is = |ty: &str| match ty {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                "number" => v.is_number(),
                "integer" => {
                    v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0)
                }
                other => panic!("{at}: type `{other}`"),
            };
            if !types.iter().any(|t| is(t)) {
                out.push(format!("{at}: {v} is not of type {types:?}"));
                return;
            }
        }
        if let Some(Value::Array(options)) = rules.get("enum")
            && !options.contains(v)
        {
            out.push(format!("{at}: {v} is not one of {options:?}"));
        }
        if let Some(Value::Array(subs)) = rules.get("oneOf") {
            let passing = subs
                .iter()
                .filter(|sub| {
                    let mut e = Vec::new();
                    self.check(sub, v, at, &mut e);
                    e.is_empty()
                })
                .count();
            if passing != 1 {
                out.push(format!(
                    "{at}: {v} matches {passing} of oneOf's schemas, not 1"
                ));
            }
        }
        if let Value::Object(fields) = v {
            let props = rules.get("properties").and_then(Value::as_object);
            for (k, x) in fields {
                let here = format!("{at}/{k}");
                match (
                    props.and_then(|p| p.get(k)),
                    rules.get("additionalProperties"),
                ) {
                    (Some(sub), _) => self.check(sub, x, &here, out),
                    (None, Some(Value::Bool(false))) => {
                        out.push(format!("{here}: not allowed here"))
                    }
                    (None, Some(sub @ Value::Object(_))) => self.check(sub, x, &here, out),
                    (None, _) => {}
                }
            }
            for r in rules
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap();
                if !fields.contains_key(r) {
                    out.push(format!("{at}: `{r}` is required"));
                }
            }
        }
        if let (Value::Array(xs), Some(sub)) = (v, rules.get("items")) {
            for (i, x) in xs.iter().enumerate() {
                self.check(sub, x, &format!("{at}/{i}"), out);
            }
        }
    }
}

fn errors(v: &Schema, manifest: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    v.check(&v.root, manifest, "", &mut out);
    out
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
    let mut bad = m.clone();
    bad["apiVersion"] = serde_json::json!("batch/v2");
    assert!(!errors(&v, &bad).is_empty());
    let mut bad = m.clone();
    bad["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]
        .as_object_mut()
        .unwrap()
        .remove("key");
    assert_eq!(
        errors(&v, &bad),
        ["/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef: `key` is required"]
    );
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
