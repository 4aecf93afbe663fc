//! Claims under contention: W worker threads, each with its own store (its
//! own connection pool, as separate worker processes have), walk the same
//! queue of tiny trials in the same order, claiming and completing what they
//! can, the way `mer worker` does. Prints claims per second, the latency of
//! a claim attempt (p50/p99, won or lost) and checks that no trial was
//! claimed twice.
//!
//!   cargo bench -p mer-store --bench claims -- [--workers 16] [--trials 2000]
//!       [--db postgres://...]     (default: a new SQLite file in a temp dir)

use std::time::{Duration, Instant};

use mer_store::{
    Location, MetricRow, NewDataset, NewSweep, NewTrial, Split, Store, TrialFilter, TrialResult,
    TrialStatus,
};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let workers: usize = arg("--workers").map_or(16, |v| v.parse().expect("--workers N"));
    let n: usize = arg("--trials").map_or(2000, |v| v.parse().expect("--trials N"));
    let dir = tempfile::tempdir().unwrap();
    let at = match arg("--db") {
        Some(text) => Location::parse(&text).expect("--db"),
        None => Location::Sqlite(dir.path().join("bench.db")),
    };
    let store = Store::open_at(&at).unwrap();
    let exp = store
        .ensure_experiment(&format!("claims-{}", std::process::id()), "")
        .unwrap();
    let ds = store
        .ensure_dataset(&NewDataset {
            fingerprint: "bench".into(),
            name: "bench".into(),
            kind: "synthetic".into(),
            n_tracks: 1,
            config_json: "{}".into(),
            summary_json: "{}".into(),
        })
        .unwrap();
    let sweep = store
        .begin_sweep(&NewSweep {
            experiment_id: exp,
            spec_path: "bench".into(),
            spec_text: String::new(),
            spec_hash: "bench".into(),
            planned: n as i64,
            worker: "bench".into(),
        })
        .unwrap();
    let tag = std::process::id();
    let trials: Vec<NewTrial> = (0..n)
        .map(|i| NewTrial {
            key: format!("bench-{tag}-{i:06}"),
            modality: "audio".into(),
            architecture: "svm".into(),
            labels: "quadrants".into(),
            task: "classification".into(),
            seed: 0,
            params_json: "{}".into(),
            config_json: "{}".into(),
        })
        .collect();
    let ids: Vec<i64> = store
        .register_trials(exp, sweep, ds, &trials)
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    let result = TrialResult {
        metrics: vec![MetricRow {
            split: Split::Test,
            fold: 0,
            epoch: None,
            name: "accuracy".into(),
            value: 0.5,
        }],
        duration_s: 0.0,
        ..TrialResult::default()
    };
    let started = Instant::now();
    let per_worker: Vec<(Vec<i64>, Vec<Duration>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (at, ids, result) = (at.clone(), ids.clone(), result.clone());
                s.spawn(move || {
                    let store = Store::open_at(&at).unwrap();
                    let me = format!("bench-{w}");
                    let (mut won, mut latency) = (Vec::new(), Vec::new());
                    for id in ids {
                        let t = Instant::now();
                        let mine = store.claim(id, &me).unwrap();
                        latency.push(t.elapsed());
                        if mine {
                            store.complete_trial(id, &me, &result).unwrap();
                            won.push(id);
                        }
                    }
                    (won, latency)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    let mut claimed: Vec<i64> = per_worker.iter().flat_map(|w| w.0.clone()).collect();
    let total = claimed.len();
    claimed.sort();
    claimed.dedup();
    let double = total - claimed.len();
    let mut lat: Vec<Duration> = per_worker.iter().flat_map(|w| w.1.clone()).collect();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    let done = store
        .trials(&TrialFilter {
            status: Some(TrialStatus::Completed),
            include_reruns: true,
            ..TrialFilter::default()
        })
        .unwrap()
        .iter()
        .filter(|t| t.key.starts_with(&format!("bench-{tag}-")))
        .filter(|t| t.attempts == 1)
        .count();
    println!(
        "{} workers, {} trials on {}: {:.0} claims+completions/s ({:.2} s), \
         claim attempt p50 {:.2} ms, p99 {:.2} ms; double claims: {double}; \
         completed once: {done}/{n}",
        workers,
        n,
        if matches!(at, Location::Postgres(_)) {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        n as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
    );
    assert_eq!(double, 0, "a trial was claimed twice");
    assert_eq!(done, n, "every trial completed exactly once");
}
