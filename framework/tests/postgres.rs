//! mer on PostgreSQL, end to end: a sweep queued in a real PostgreSQL
//! server, run by several `mer worker` processes (one killed with SIGKILL
//! mid-trial), copied home to SQLite with `mer db copy`, and reported with
//! the same bytes from both. Needs the test server that
//! `MER_TEST_POSTGRES_URL` names (`tools/pg-test-server`; `.ci/run` starts
//! one and sets `MER_REQUIRE_POSTGRES=1`, so CI never skips this).

use std::process::Stdio;
use std::time::{Duration, Instant};

use mer_store::{Location, Store, TrialFilter, TrialStatus};

use super::common::{Scratch, completed_by_worker, text};

const SPEC: &str = r#"
[experiment]
name = "pg"
seeds = [0, 1]

[dataset]
kind = "synthetic"
tracks = 40
duration_s = 2.0

[evaluation]
folds = 3

[train]
epochs = 3000

[sweep]
modality = ["audio"]
architecture = ["svm", "residual_mlp"]
labels = ["quadrants"]
"#;

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_sweep_on_postgres_runs_on_workers_survives_kill_9_and_copies_home_to_the_same_report() {
    let Some(url) = mer_store::testing::fresh_postgres() else {
        eprintln!("skipped: MER_TEST_POSTGRES_URL is not set (see tools/pg-test-server)");
        return;
    };
    // A password the server (trust authentication) never asks for: it must
    // appear in no output, error, script or record.
    let url = url.replacen("postgres://mer@", "postgres://mer:s3cret-pw@", 1);
    let s = Scratch::new();
    let spec = s.write("pg.toml", SPEC);
    let artifacts = s.path().join("shared-artifacts");
    let pg = |args: &[&str]| {
        let mut c = s.cmd(args);
        c.env("MER_DB", &url).env("MER_ARTIFACTS", &artifacts);
        c
    };
    let o = pg(&["sweep", spec.to_str().unwrap(), "--enqueue", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("4 queued for `mer worker`"),
        "{}",
        text(&o)
    );

    // Without a shared artifacts directory a PostgreSQL run is refused.
    let o = s
        .cmd(&["worker", "--quiet"])
        .env("MER_DB", &url)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--artifacts"), "{}", text(&o));

    // One worker is killed with SIGKILL while it runs a trial.
    let store = Store::open_read_only_at(&Location::Postgres(url.clone())).unwrap();
    let mut victim = pg(&["worker", "--jobs", "1", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let running = store
            .trials(&TrialFilter {
                status: Some(TrialStatus::Running),
                ..TrialFilter::default()
            })
            .unwrap();
        if running.iter().any(|t| t.architecture == "residual_mlp") {
            break;
        }
        assert!(
            victim.try_wait().unwrap().is_none(),
            "the worker finished first"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no trial started"
        );
    }
    victim.kill().unwrap();
    victim.wait().unwrap();

    // Two workers share what is left, the killed worker's trial included.
    let workers: Vec<_> = (0..2)
        .map(|_| {
            pg(&["worker", "--jobs", "1", "--quiet"])
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
        assert!(!text(&o).contains("s3cret-pw"), "{}", text(&o));
        done += completed_by_worker(&String::from_utf8_lossy(&o.stdout));
    }
    let all = store.trials(&TrialFilter::default()).unwrap();
    assert_eq!(all.len(), 4);
    assert!(
        all.iter().all(|t| t.status == TrialStatus::Completed),
        "{all:?}"
    );
    let retried: Vec<_> = all.iter().filter(|t| t.attempts == 2).collect();
    assert_eq!(retried.len(), 1, "the killed trial ran again: {all:?}");
    assert_eq!(
        store.attempts(retried[0].id).unwrap()[0].outcome,
        "interrupted"
    );
    assert!(done >= 1, "the workers ran the rest: {done}");
    for t in &all {
        let p = store.provenance(t.id).unwrap().unwrap();
        let record = serde_json::to_string(&p).unwrap();
        assert!(!record.contains("s3cret-pw"), "{record}");
    }
    let show = pg(&["show", &all[0].id.to_string()]).output().unwrap();
    assert!(show.status.success(), "{}", text(&show));
    assert!(!text(&show).contains("s3cret-pw"));

    // The report from PostgreSQL, and from a SQLite copy made with
    // `mer db copy`, are the same bytes; a second copy adds nothing.
    let o = pg(&["report", "pg", "--out", "from-pg"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let home = s.path().join("home.db");
    let copy = |s: &Scratch| {
        s.cmd(&[
            "db",
            "copy",
            "--from",
            &url,
            "--to",
            home.to_str().unwrap(),
            "--from-artifacts",
            artifacts.to_str().unwrap(),
        ])
        .output()
        .unwrap()
    };
    let o = copy(&s);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("pg: 4 trial(s) copied"), "{}", text(&o));
    assert!(
        text(&o).contains("4 artifact folder(s) copied"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("s3cret-pw"), "{}", text(&o));
    let o = copy(&s);
    assert!(
        text(&o).contains("pg: 0 trial(s) copied, 4 already in"),
        "{}",
        text(&o)
    );
    let o = s
        .cmd(&["report", "pg", "--out", "from-sqlite"])
        .env("MER_DB", &home)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let (a, b) = (
        tree(&s.path().join("from-pg")),
        tree(&s.path().join("from-sqlite")),
    );
    assert!(
        a.len() > 5,
        "{:?}",
        a.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    assert_eq!(
        a.iter().map(|x| &x.0).collect::<Vec<_>>(),
        b.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between the backends");
    }

    // A copied trial predicts at home, from the copied artifacts, exactly
    // as on the cluster.
    let ds = s.dataset(&spec);
    let audio = ds.tracks[0].audio.clone().unwrap();
    let audio = audio.to_str().unwrap();
    for t in &all {
        let id = t.id.to_string();
        let there = pg(&["predict", "--trial", &id, audio]).output().unwrap();
        assert!(there.status.success(), "{}", text(&there));
        let here = s
            .cmd(&["predict", "--trial", &id, audio])
            .env("MER_DB", &home)
            .output()
            .unwrap();
        assert!(here.status.success(), "{}", text(&here));
        assert_eq!(here.stdout, there.stdout, "trial {id}");
    }
}
