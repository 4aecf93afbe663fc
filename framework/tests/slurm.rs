//! `mer submit slurm` against a real single-node Slurm cluster (munge,
//! slurmctld and slurmd from the distribution's packages, started here with
//! a generated `slurm.conf` on free local ports, and stopped after).
//!
//! These tests need the packages `slurm-wlm` and `munge`; `.ci/run`
//! installs them and runs them with `cargo test ... -- --ignored slurm`.
//! The workers record into the PostgreSQL test server when
//! `MER_TEST_POSTGRES_URL` names one (as in CI), else into `results.db`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mer_store::{TrialFilter, TrialStatus};

use super::common::{SCRATCH_PASSWORD, Scratch, completed_by_worker, text};

/// A throwaway Slurm cluster of this host.
struct Cluster {
    dir: tempfile::TempDir,
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(o.status.success(), "{cmd:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["munge", "state", "spool", "log", "run"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let key = d.join("munge/munge.key");
        std::fs::write(
            &key,
            (0..1024).map(|i| (i * 7 + 13) as u8).collect::<Vec<_>>(),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
        let socket = d.join("munge/munge.socket");
        run(Command::new("munged")
            .arg("--force")
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!(
                "--pid-file={}",
                d.join("munge/munged.pid").display()
            ))
            .arg(format!(
                "--log-file={}",
                d.join("munge/munged.log").display()
            ))
            .arg(format!("--seed-file={}", d.join("munge/seed").display())));
        let host = run(Command::new("hostname").arg("-s"));
        let user = run(Command::new("id").arg("-un"));
        let conf = format!(
            "ClusterName=mertest\nSlurmctldHost={host}\nSlurmUser={user}\nSlurmdUser={user}\n\
             AuthType=auth/munge\nAuthInfo=socket={socket}\nCredType=cred/munge\n\
             StateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
             SlurmctldPidFile={d}/run/slurmctld.pid\nSlurmdPidFile={d}/run/slurmd.pid\n\
             SlurmctldLogFile={d}/log/slurmctld.log\nSlurmdLogFile={d}/log/slurmd.log\n\
             SlurmctldPort={}\nSlurmdPort={}\nProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\nJobAcctGatherType=jobacct_gather/none\nMpiDefault=none\n\
             SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nReturnToService=2\n\
             KillWait=10\n\
             NodeName={host} CPUs=2 RealMemory=2000 State=UNKNOWN\n\
             PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES\n",
            free_port(),
            free_port(),
            socket = socket.display(),
            d = d.display(),
        );
        std::fs::write(d.join("slurm.conf"), conf).unwrap();
        let c = Cluster { dir };
        run(&mut c.cmd("slurmctld"));
        run(&mut c.cmd("slurmd"));
        let started = Instant::now();
        loop {
            let o = c.cmd("sinfo").args(["-h", "-o", "%T"]).output().unwrap();
            if String::from_utf8_lossy(&o.stdout).trim() == "idle" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the Slurm node never became idle: {}",
                text(&o)
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        c
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("slurm.conf")
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", self.conf());
        c
    }

    /// Waits until job `id` has left the queue.
    fn wait(&self, id: &str) {
        let started = Instant::now();
        loop {
            let q = run(self.cmd("squeue").args(["-h", "-j", id]));
            if q.is_empty() {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "job {id} still queued: {q}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let d = self.dir.path();
        for pid in ["run/slurmd.pid", "run/slurmctld.pid", "munge/munged.pid"] {
            if let Ok(p) = std::fs::read_to_string(d.join(pid)) {
                let _ = Command::new("kill").arg(p.trim()).status();
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn submit(s: &Scratch, c: &Cluster, spec: &Path, extra: &[&str]) -> String {
    let mut args = vec!["submit", "slurm", spec.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = s.cmd(&args).env("SLURM_CONF", c.conf()).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(SCRATCH_PASSWORD), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    out.split("submitted Slurm job ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .unwrap_or_else(|| panic!("{out}"))
        .to_string()
}

const SPEC: &str = r#"
[experiment]
name = "array"
seeds = [0, 1]

[dataset]
kind = "synthetic"
tracks = 40
duration_s = 2.0

[evaluation]
folds = 3

[sweep]
modality = ["audio", "text"]
architecture = ["svm", "knn", "ridge"]
labels = ["quadrants", "va"]

[[sweep.exclude]]
architecture = ["svm", "knn"]
labels = "va"

[[sweep.exclude]]
architecture = "ridge"
labels = "quadrants"
"#;

#[test]
#[ignore = "needs Slurm and munge (slurm-wlm, munge); .ci/run installs and runs it"]
fn slurm_an_array_of_two_workers_runs_every_trial_once() {
    let c = Cluster::start();
    let s = Scratch::with_postgres();
    let spec = s.write("array.toml", SPEC);
    let id = submit(
        &s,
        &c,
        &spec,
        &["--workers", "2", "--idle-exit", "2", "--quiet"],
    );
    c.wait(&id);
    let store = s.store();
    let trials = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(trials.len(), 12);
    for t in &trials {
        assert_eq!(
            t.status,
            TrialStatus::Completed,
            "trial {}: {:?}",
            t.id,
            t.error
        );
        assert_eq!(t.attempts, 1, "trial {}", t.id);
    }
    // Both array tasks ran a worker, and their logs say what each did.
    let mut done = 0;
    for task in 0..2 {
        let log = s.path().join(format!("slurm-logs/slurm-{id}_{task}.out"));
        let log =
            std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        assert!(!log.contains(SCRATCH_PASSWORD), "{log}");
        done += completed_by_worker(&log);
    }
    // The database password is in no generated script.
    for e in std::fs::read_dir(s.path().join("slurm-logs")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!text.contains(SCRATCH_PASSWORD), "{text}");
    }
    assert_eq!(done, 12, "each trial ran exactly once across the array");
    // `mer status` sees the finished experiment.
    let o = s.run(&["status", "array"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("completed    12") && out.contains("nothing left to run"),
        "{out}"
    );
}

#[test]
#[ignore = "needs Slurm and munge (slurm-wlm, munge); .ci/run installs and runs it"]
fn slurm_a_cancelled_task_releases_its_trial_to_the_other_worker() {
    let c = Cluster::start();
    let s = Scratch::with_postgres();
    let spec = s.write(
        "long.toml",
        &SPEC
            .replace("name = \"array\"", "name = \"long\"")
            .replace("seeds = [0, 1]", "seeds = [0, 1, 2, 3]")
            .replace(
                "[sweep]",
                "[train]\nepochs = 3000\n[train.early_stopping]\npatience = 0\n\n[sweep]",
            )
            .replace("[\"audio\", \"text\"]", "[\"audio\"]")
            .replace("[\"svm\", \"knn\", \"ridge\"]", "[\"residual_mlp\"]")
            .replace("[\"quadrants\", \"va\"]", "[\"quadrants\"]"),
    );
    let id = submit(
        &s,
        &c,
        &spec,
        &["--workers", "2", "--idle-exit", "5", "--quiet"],
    );
    // Wait until both workers hold a trial, then cancel task 0 (SIGTERM).
    let started = Instant::now();
    loop {
        let running = s
            .store()
            .trials(&TrialFilter {
                status: Some(TrialStatus::Running),
                ..TrialFilter::default()
            })
            .unwrap();
        if running.len() == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "two trials never ran at once"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    run(c.cmd("scancel").arg(format!("{id}_0")));
    c.wait(&id);
    let store = s.store();
    let trials = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(trials.len(), 4);
    assert!(
        trials.iter().all(|t| t.status == TrialStatus::Completed),
        "{:?}",
        trials
            .iter()
            .map(|t| (t.id, t.status, t.error.clone()))
            .collect::<Vec<_>>()
    );
    let again: Vec<_> = trials.iter().filter(|t| t.attempts == 2).collect();
    assert_eq!(
        again.len(),
        1,
        "the cancelled worker's trial ran again, once"
    );
    let attempts = store.attempts(again[0].id).unwrap();
    assert_eq!(attempts[0].outcome, "interrupted");
    assert!(
        attempts[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("SIGTERM"),
        "{attempts:?}"
    );
    assert_ne!(
        attempts[0].worker, attempts[1].worker,
        "another worker ran it"
    );
}
