//! `mer submit slurm` and `mer submit k8s`: a sweep's trials queued in the
//! database, and a Slurm job array (or a Kubernetes Indexed Job) of
//! `mer worker`s to run them. The scheduler starts, cancels, preempts and
//! time-limits the workers; the database's claims keep every trial to one
//! run (a worker sent SIGTERM marks its trial interrupted, and another
//! worker picks it up).

use std::path::{Path, PathBuf};

/// What to ask Slurm for.
#[derive(Debug, Clone)]
pub struct SlurmJob {
    pub experiment: String,
    /// Array tasks, one `mer worker` each.
    pub workers: usize,
    /// At most this many tasks at once (`%K`).
    pub max_running: Option<usize>,
    pub partition: Option<String>,
    /// `--time`, e.g. `04:00:00`.
    pub time: Option<String>,
    pub cpus_per_task: usize,
    /// `--gres`, e.g. `gpu:1`.
    pub gres: Option<String>,
    /// Seconds a worker waits for more trials before it exits.
    pub idle_exit: u64,
    /// The `mer` binary the tasks run (absolute).
    pub mer: PathBuf,
    /// The database every task uses: an absolute SQLite path, or a
    /// PostgreSQL URL *without* its password (tasks read it from
    /// PGPASSWORD, which sbatch passes on from the submitting process, or
    /// from ~/.pgpass).
    pub db: String,
    /// The artifacts directory every task uses (absolute; required with
    /// PostgreSQL, else beside the SQLite file).
    pub artifacts: Option<PathBuf>,
    /// The cache every task uses (absolute).
    pub cache: PathBuf,
    /// Where the tasks' logs go (absolute).
    pub log_dir: PathBuf,
}

/// The sbatch script of a job: one array task per worker, each `exec`ing
/// `mer worker` (so the scheduler's signals reach it directly).
pub fn sbatch_script(j: &SlurmJob) -> String {
    let mut s = String::from("#!/bin/bash\n");
    let mut opt = |o: String| s.push_str(&format!("#SBATCH {o}\n"));
    opt(format!("--job-name=mer-{}", shell_word_safe(&j.experiment)));
    opt(format!(
        "--array=0-{}{}",
        j.workers.saturating_sub(1),
        j.max_running.map(|k| format!("%{k}")).unwrap_or_default()
    ));
    opt(format!("--cpus-per-task={}", j.cpus_per_task));
    opt("--ntasks=1".into());
    if let Some(p) = &j.partition {
        opt(format!("--partition={p}"));
    }
    if let Some(t) = &j.time {
        opt(format!("--time={t}"));
    }
    if let Some(g) = &j.gres {
        opt(format!("--gres={g}"));
    }
    opt(format!(
        "--output={}",
        j.log_dir.join("slurm-%A_%a.out").display()
    ));
    s.push_str(
        "# Written by `mer submit slurm`. Each array task is one `mer worker`: it\n\
         # claims waiting trials until none is left; on SIGTERM (scancel,\n\
         # preemption, time limit) it marks its trial interrupted for the others.\n",
    );
    let artifacts = j
        .artifacts
        .as_ref()
        .map(|a| format!(" --artifacts {}", quote(a)))
        .unwrap_or_default();
    s.push_str(&format!(
        "exec {} --db {}{artifacts} --cache {} --quiet worker --experiment {} --jobs {} --idle-exit {}\n",
        quote(&j.mer),
        quote(Path::new(&j.db)),
        quote(&j.cache),
        quote(Path::new(&j.experiment)),
        j.cpus_per_task,
        j.idle_exit
    ));
    s
}

/// Submits a script with `sbatch --parsable`; returns the job id. A
/// database password goes to the job as PGPASSWORD in the environment sbatch
/// hands on (never into the script).
pub fn sbatch(script: &Path, password: Option<&str>) -> Result<String, String> {
    let mut cmd = std::process::Command::new("sbatch");
    cmd.arg("--parsable").arg(script);
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run sbatch ({e}); is Slurm installed and on PATH?"))?;
    if !out.status.success() {
        return Err(format!(
            "sbatch refused {}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // `--parsable` prints `id` or `id;cluster`.
    Ok(id.split(';').next().unwrap_or_default().to_string())
}

/// What to ask Kubernetes for: an Indexed Job whose pods each run one
/// `mer worker` against the database whose URL is in a Secret.
#[derive(Debug, Clone)]
pub struct K8sJob {
    pub experiment: String,
    /// Pods in all (`completions`): one worker each.
    pub workers: usize,
    /// Pods at once (`parallelism`); default: all.
    pub max_running: Option<usize>,
    /// The container image with `mer` on its PATH.
    pub image: String,
    /// The Secret holding the database URL, and its key.
    pub secret: String,
    pub secret_key: String,
    /// A PersistentVolumeClaim (ReadWriteMany) mounted at `mount`: the
    /// artifacts directory, the cache and the datasets live on it.
    pub volume_claim: Option<String>,
    pub mount: String,
    pub namespace: Option<String>,
    pub cpus_per_task: usize,
    /// Memory request and limit, e.g. `8Gi`.
    pub memory: Option<String>,
    /// GPUs per pod (`nvidia.com/gpu`).
    pub gpus: Option<usize>,
    pub idle_exit: u64,
    /// Seconds a pod has after SIGTERM before it is killed.
    pub grace_s: u64,
}

/// The Job manifest (JSON, which `kubectl apply -f` reads as it reads YAML).
/// The database URL is never inline: `MER_DB` comes from the Secret.
pub fn k8s_manifest(j: &K8sJob) -> serde_json::Value {
    use serde_json::json;
    let name = k8s_name(&format!("mer-{}", j.experiment));
    let labels = json!({
        "app.kubernetes.io/name": "mer",
        "app.kubernetes.io/component": "worker",
        "mer.experiment": k8s_label(&j.experiment),
    });
    let env = [
        json!({"name": "MER_DB", "valueFrom": {"secretKeyRef": {"name": j.secret, "key": j.secret_key}}}),
        json!({"name": "MER_ARTIFACTS", "value": format!("{}/artifacts", j.mount)}),
        json!({"name": "MER_CACHE", "value": format!("{}/cache", j.mount)}),
    ];
    let mut resources = json!({
        "requests": {"cpu": j.cpus_per_task.to_string()},
        "limits": {"cpu": j.cpus_per_task.to_string()},
    });
    if let Some(m) = &j.memory {
        resources["requests"]["memory"] = json!(m);
        resources["limits"]["memory"] = json!(m);
    }
    if let Some(g) = j.gpus {
        resources["limits"]["nvidia.com/gpu"] = json!(g.to_string());
    }
    let mut container = json!({
        "name": "worker",
        "image": j.image,
        "command": ["mer"],
        "args": [
            "--quiet", "worker",
            "--experiment", j.experiment,
            "--jobs", j.cpus_per_task.to_string(),
            "--idle-exit", j.idle_exit.to_string(),
        ],
        "workingDir": j.mount,
        "env": env,
        "resources": resources,
    });
    let mut pod = json!({
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": j.grace_s,
        "containers": [],
    });
    if let Some(claim) = &j.volume_claim {
        container["volumeMounts"] = json!([{"name": "shared", "mountPath": j.mount}]);
        pod["volumes"] = json!([{"name": "shared", "persistentVolumeClaim": {"claimName": claim}}]);
    }
    pod["containers"] = json!([container]);
    let mut metadata = json!({"name": name, "labels": labels});
    if let Some(ns) = &j.namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "completionMode": "Indexed",
            "completions": j.workers,
            "parallelism": j.max_running.unwrap_or(j.workers).min(j.workers),
            // A pod that fails (OOM, node lost) is replaced, up to a few
            // times per index; the trial it held is reaped by the others.
            "backoffLimitPerIndex": 3,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    })
}

/// A DNS-1123 name: lower-case alphanumerics and `-`, at most 63 characters.
fn k8s_name(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    out.truncate(63);
    out.trim_matches('-').to_string()
}

/// A label value: alphanumerics, `-`, `_`, `.`, at most 63, alphanumeric ends.
fn k8s_label(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(63);
    out.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// A path as one single-quoted shell word.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn shell_word_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_an_array_of_workers_with_quoted_paths() {
        let j = SlurmJob {
            experiment: "quick start".into(),
            workers: 4,
            max_running: Some(2),
            partition: Some("gpu".into()),
            time: Some("01:00:00".into()),
            cpus_per_task: 8,
            gres: Some("gpu:1".into()),
            idle_exit: 30,
            mer: "/opt/mer/bin/mer".into(),
            db: "/shared/it's.db".into(),
            artifacts: None,
            cache: "/shared/cache".into(),
            log_dir: "/shared/logs".into(),
        };
        let s = sbatch_script(&j);
        for line in [
            "#SBATCH --job-name=mer-quick_start\n",
            "#SBATCH --array=0-3%2\n",
            "#SBATCH --cpus-per-task=8\n",
            "#SBATCH --partition=gpu\n",
            "#SBATCH --time=01:00:00\n",
            "#SBATCH --gres=gpu:1\n",
            "#SBATCH --output=/shared/logs/slurm-%A_%a.out\n",
            "exec '/opt/mer/bin/mer' --db '/shared/it'\\''s.db' --cache '/shared/cache' --quiet worker --experiment 'quick start' --jobs 8 --idle-exit 30\n",
        ] {
            assert!(s.contains(line), "{line} not in:\n{s}");
        }
        assert!(s.starts_with("#!/bin/bash\n"));
    }
}
