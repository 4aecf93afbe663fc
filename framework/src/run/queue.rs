//! `mer worker`: claims and runs the trials waiting in a results database
//! (registered by `mer sweep --enqueue`, or left by a stopped sweep) until
//! none is left. Several workers, on one host or many sharing the database,
//! divide the queue: each trial is claimed atomically by one of them; a
//! worker that stops (crash, `kill -9`, a scheduler's time limit) is found
//! by the others, on its host by its pid and elsewhere by its silent
//! heartbeat, and its trial runs again, up to `max_attempts` in all.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mer_data::LoadContext;
use mer_spec::TrialConfig;
use mer_store::{Store, TrialRow};

use super::prepare::{TextFiles, load_datasets, prepare_features};
use super::progress::Progress;
use super::{RunError, SweepOptions, Work, neural_threads, provenance, run_work, worker};

/// What `mer worker` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct WorkerOptions {
    /// Only this experiment's trials.
    pub experiment: Option<String>,
    /// Stop after running this many trials.
    pub max_trials: Option<usize>,
    /// With nothing to run, wait this long for new trials before exiting
    /// (0: exit at once).
    pub idle_exit: Duration,
}

/// What a worker did.
#[derive(Debug, Clone, Default)]
pub struct WorkerSummary {
    pub completed: usize,
    pub failures: Vec<(i64, String, String)>,
    /// Trials of stopped workers found and queued again.
    pub recovered: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for WorkerSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "worker {}: {} trial(s) completed, {} failed, {} recovered from stopped workers ({:.1} s)",
            worker::worker_id(),
            self.completed,
            self.failures.len(),
            self.recovered,
            self.elapsed.as_secs_f64()
        )?;
        for (id, what, error) in &self.failures {
            write!(f, "\n  FAILED trial {id} {what}: {error}")?;
        }
        Ok(())
    }
}

/// Runs waiting trials until none is left (and none arrives within
/// `idle_exit`), or `max_trials` have run.
pub fn work(
    store: &Store,
    opts: &SweepOptions,
    w: &WorkerOptions,
) -> Result<WorkerSummary, RunError> {
    let started = Instant::now();
    let progress = Progress::new(opts.progress);
    let mut summary = WorkerSummary::default();
    let mut idle_since = Instant::now();
    loop {
        if w.max_trials
            .is_some_and(|m| summary.completed + summary.failures.len() >= m)
        {
            break;
        }
        // Reap first (the Optuna pattern): a stopped worker's trial is
        // pending again, or failed once it used up its attempts.
        let recovered =
            store.recover_stale(opts.stale_after, &worker::is_dead, opts.max_attempts)?;
        summary.recovered += recovered.len();
        let mut rows = store.runnable_trials(w.experiment.as_deref())?;
        if let Some(m) = w.max_trials {
            rows.truncate(m - summary.completed - summary.failures.len());
        }
        if rows.is_empty() {
            if idle_since.elapsed() >= w.idle_exit {
                break;
            }
            std::thread::sleep(Duration::from_millis(500).min(w.idle_exit));
            continue;
        }
        let batch = run_batch(store, &rows, opts, &progress)?;
        summary.completed += batch.completed;
        summary.failures.extend(batch.failures);
        idle_since = Instant::now();
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Prepares the data and features of `rows` once and runs them (claims
/// decide which this worker gets).
fn run_batch(
    store: &Store,
    rows: &[TrialRow],
    opts: &SweepOptions,
    progress: &Progress,
) -> Result<super::WorkOutcome, RunError> {
    let mut work = Vec::with_capacity(rows.len());
    for row in rows {
        let config: TrialConfig =
            serde_json::from_str(&row.config_json).map_err(|source| RunError::StoredConfig {
                trial: row.id,
                source,
            })?;
        work.push(Work {
            row: row.clone(),
            config,
        });
    }
    // Ensembles read their members' results: they run last.
    work.sort_by_key(|w| w.config.architecture == mer_model::Architecture::Ensemble);
    let ctx = LoadContext {
        cache_dir: opts.cache_dir.clone(),
    };
    let datasets = load_datasets(work.iter().map(|w| &w.config.dataset), &ctx, progress)?;
    let text_files = TextFiles::load(work.iter().map(|w| &w.config))?;
    let configs: Vec<&TrialConfig> = work.iter().map(|w| &w.config).collect();
    let mut prepared = prepare_features(datasets, text_files, &configs, &opts.cache_dir, progress)?;
    prepared.threads = neural_threads(opts.jobs);
    prepared.device = opts.device;
    // Provenance names the spec of the sweep that registered the trial.
    let mut specs: BTreeMap<i64, Option<(String, String, String)>> = BTreeMap::new();
    for w in &work {
        if let Some(s) = w.row.sweep_id
            && !specs.contains_key(&s)
        {
            specs.insert(s, store.sweep_spec(s)?);
        }
    }
    let by_config: BTreeMap<String, Option<i64>> = work
        .iter()
        .map(|w| (w.config.canonical_json(), w.row.sweep_id))
        .collect();
    run_work(
        store,
        &work,
        &prepared,
        opts,
        progress,
        |cfg, fp| {
            let spec = by_config
                .get(&cfg.canonical_json())
                .copied()
                .flatten()
                .and_then(|s| specs.get(&s).cloned().flatten());
            let (path, text, hash) = spec.unwrap_or_default();
            provenance::provenance(&path, &text, &hash, &[cfg.seed], cfg, fp, opts.jobs)
        },
        |_| None,
    )
}
