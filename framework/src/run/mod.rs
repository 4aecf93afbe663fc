//! The executor: Plan -> pending trials -> results in the store; progress,
//! resume and rerun.
//!
//! A sweep registers every planned trial (a key seen before keeps its row),
//! marks trials of dead or silent workers `interrupted`, extracts the audio
//! features the pending trials need (once, cached on disk), then runs the
//! pending trials on `--jobs` threads. Each trial is claimed atomically before
//! it runs, so several `mer sweep` processes on one database share the work
//! and never run a trial twice; a trial's results are written in one
//! transaction when it ends. A failing trial records its error and the sweep
//! goes on. Killing a sweep at any moment loses at most the trials in flight,
//! which the next sweep re-runs.

pub mod artifacts;
pub mod eda_input;
mod ensemble;
mod neural;
pub mod pipeline;
pub mod predict;
mod prepare;
mod preprocess;
pub mod progress;
pub mod provenance;
pub mod queue;
mod rerun;
pub mod trial;
pub mod worker;

pub use queue::{WorkerOptions, WorkerSummary, work};
pub use rerun::{Selection, rerun, rerun_experiment};

pub use artifacts::{artifacts_root, set_artifacts_root};
pub use mer_model::neural::ComputeDevice;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mer_data::{DatasetConfig, LoadContext};
use mer_spec::{Plan, TrialConfig, TrialKey};
use mer_store::{
    MetricRow, NewDataset, NewSweep, NewTrial, Store, StoreError, SweepStatus, TrialReason,
    TrialRow, TrialStatus,
};
use prepare::{Prepared, TextFiles, load_datasets, prepare_features};
use progress::Progress;

/// How often a running sweep refreshes the heartbeat of its trials.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// Errors that stop a sweep or rerun as a whole (a failing trial does not).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("loading the dataset: {0}")]
    Data(#[from] mer_data::DataError),
    #[error("audio features: {0}")]
    Audio(#[from] mer_audio::AudioError),
    #[error("trial {trial}: stored config cannot be read: {source}")]
    StoredConfig {
        trial: i64,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "trial {trial}: the dataset changed since it ran (fingerprint {recorded} then, {now} now); \
         a rerun needs the same data"
    )]
    DatasetChanged {
        trial: i64,
        recorded: String,
        now: String,
    },
    #[error(
        "trial {trial}: its inputs changed since it ran (key {recorded} then, {now} now): \
         a lexicon or embeddings file, or a feature extractor version, differs"
    )]
    InputsChanged {
        trial: i64,
        recorded: String,
        now: String,
    },
    #[error("lyrics resources: {0}")]
    Text(#[from] mer_text::TextError),
    #[error("{0}")]
    Selection(String),
    #[error("trial {trial} is {status}; only completed trials can be re-run and compared")]
    NotCompleted { trial: i64, status: TrialStatus },
}

/// Options of `mer sweep`.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Trials run in parallel; defaults to the number of CPUs.
    pub jobs: usize,
    /// Re-run trials that already completed (as new rows linked to them).
    pub force: bool,
    /// Re-run trials that failed before (as new rows linked to them).
    pub retry_failed: bool,
    /// A running trial whose heartbeat is older than this is interrupted.
    pub stale_after: Duration,
    /// Where generated datasets and feature caches live.
    pub cache_dir: PathBuf,
    /// Draw progress bars (when stderr is a terminal) and log lines.
    pub progress: bool,
    /// Where neural networks train; defaults to the CPU. Not part of a
    /// trial's identity; recorded in its provenance.
    pub device: ComputeDevice,
    /// `mer rerun` / `mer reproduce`: the dataset to read instead of a
    /// recorded one (keyed by the recorded config's JSON), for data copied
    /// to another place.
    pub dataset_override: BTreeMap<String, DatasetConfig>,
    /// `mer reproduce --allow-changed-data`: re-run even where the data's
    /// fingerprint differs from the recorded one.
    pub allow_changed_data: bool,
    /// `mer reproduce`: lexicon and embedding files read from another place
    /// (recorded path -> path here).
    pub file_override: BTreeMap<PathBuf, PathBuf>,
    /// A trial whose worker stopped (crashed, killed, lost) runs again up to
    /// this many attempts in all, then fails with every attempt's error.
    /// Unlimited for a sweep (its user restarts it); `mer worker` defaults
    /// to 3, so a trial that kills every worker cannot loop forever.
    pub max_attempts: i64,
    /// `mer sweep --enqueue`: register the trials and run none.
    pub enqueue: bool,
}

impl SweepOptions {
    pub fn new(cache_dir: PathBuf) -> SweepOptions {
        SweepOptions {
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            force: false,
            retry_failed: false,
            stale_after: Duration::from_secs(120),
            cache_dir,
            progress: true,
            device: ComputeDevice::Cpu,
            dataset_override: BTreeMap::new(),
            allow_changed_data: false,
            file_override: BTreeMap::new(),
            max_attempts: i64::MAX,
            enqueue: false,
        }
    }
}

/// How a sweep went.
#[derive(Debug, Clone, Default)]
pub struct SweepSummary {
    pub experiment: String,
    pub sweep_id: i64,
    pub planned: usize,
    /// Completed before this sweep started (skipped).
    pub already_done: usize,
    /// Failed before this sweep started (skipped; see `--retry-failed`).
    pub failed_before: usize,
    /// Run by another live process.
    pub elsewhere: usize,
    pub completed: usize,
    /// `(trial id, summary, error)` of trials that failed in this sweep.
    pub failures: Vec<(i64, String, String)>,
    pub interrupted_recovered: usize,
    /// `--enqueue`: trials registered and left for workers.
    pub enqueued: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for SweepSummary {
    /// What `mer sweep` prints when it ends: the counts, then each failure.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.enqueued > 0 {
            return write!(
                f,
                "sweep {} of `{}`: {} planned, {} already done, {} queued for `mer worker`",
                self.sweep_id, self.experiment, self.planned, self.already_done, self.enqueued
            );
        }
        write!(
            f,
            "sweep {} of `{}`: {} planned, {} completed now, {} already done, {} failed now",
            self.sweep_id,
            self.experiment,
            self.planned,
            self.completed,
            self.already_done,
            self.failures.len(),
        )?;
        if self.failed_before > 0 {
            write!(
                f,
                ", {} failed earlier (--retry-failed re-runs them)",
                self.failed_before
            )?;
        }
        if self.elsewhere > 0 {
            write!(f, ", {} run by another process", self.elsewhere)?;
        }
        write!(f, " ({:.1} s)", self.elapsed.as_secs_f64())?;
        for (id, summary, error) in &self.failures {
            write!(f, "\n  failed: trial {id} {summary}: {error}")?;
        }
        Ok(())
    }
}

/// One unit of work: a trial row to claim and run.
struct Work {
    row: TrialRow,
    config: TrialConfig,
}

/// Runs a planned sweep against `store`.
pub fn sweep(plan: &Plan, store: &Store, opts: &SweepOptions) -> Result<SweepSummary, RunError> {
    let started = Instant::now();
    let progress = Progress::new(opts.progress);
    let worker = worker::worker_id();
    let ctx = LoadContext {
        cache_dir: opts.cache_dir.clone(),
    };
    let datasets = load_datasets(
        plan.trials.iter().map(|t| &t.config.dataset),
        &ctx,
        &progress,
    )?;
    let text_files = TextFiles::load(plan.trials.iter().map(|t| &t.config))?;

    let experiment_id =
        store.ensure_experiment(&plan.experiment.name, &plan.experiment.description)?;
    let sweep_id = store.begin_sweep(&NewSweep {
        experiment_id,
        spec_path: plan.spec_path.display().to_string(),
        spec_text: plan.spec_text.clone(),
        spec_hash: plan.spec_hash.clone(),
        planned: plan.trials.len() as i64,
        worker: worker.to_string(),
    })?;
    // From here on the sweep row exists: whatever fails marks it failed, so
    // no sweep is left `running` by an error before or between trials.
    let run = || -> Result<SweepSummary, RunError> {
        // Register every planned trial under its key.
        let mut dataset_ids = BTreeMap::new();
        for (id, ds) in &datasets {
            let row_id = store.ensure_dataset(&NewDataset {
                fingerprint: ds.fingerprint.clone(),
                name: ds.name.clone(),
                kind: serde_json::from_str::<DatasetConfig>(id)
                    .expect("own serialisation")
                    .kind_name()
                    .to_string(),
                n_tracks: ds.tracks.len() as i64,
                config_json: id.clone(),
                summary_json: serde_json::json!({ "tracks": ds.tracks.len() }).to_string(),
            })?;
            dataset_ids.insert(id.clone(), row_id);
        }
        let mut rows = Vec::with_capacity(plan.trials.len());
        for (id, ds) in &datasets {
            let mine: Vec<&mer_spec::PlannedTrial> = plan
                .trials
                .iter()
                .filter(|t| serde_json::to_string(&t.config.dataset).expect("serialises") == *id)
                .collect();
            let new: Vec<NewTrial> = mine
                .iter()
                .map(|t| NewTrial {
                    key: TrialKey::new(
                        &t.config,
                        &text_files.inputs_fingerprint(&t.config, &ds.fingerprint),
                    )
                    .0,
                    modality: t.config.modality.as_str().into(),
                    architecture: t.config.architecture.as_str().into(),
                    labels: t.config.labels.to_string(),
                    task: t.config.task.as_str().into(),
                    seed: t.config.seed,
                    params_json: t.params_json(),
                    config_json: t.config.canonical_json(),
                })
                .collect();
            let registered =
                store.register_trials(experiment_id, sweep_id, dataset_ids[id], &new)?;
            rows.extend(mine.into_iter().zip(registered));
        }

        let recovered =
            store.recover_stale(opts.stale_after, &worker::is_dead, opts.max_attempts)?;
        if !recovered.is_empty() {
            progress.log(&format!(
                "{} trial(s) of stopped sweeps marked interrupted; re-running them",
                recovered.len()
            ));
        }

        let mut summary = SweepSummary {
            experiment: plan.experiment.name.clone(),
            sweep_id,
            planned: plan.trials.len(),
            interrupted_recovered: recovered.len(),
            ..SweepSummary::default()
        };
        let mut work = Vec::new();
        for (planned, row) in rows {
            let row = if recovered.contains(&row.id) {
                store.trial(row.id)?
            } else {
                row
            };
            let row = match row.status {
                TrialStatus::Completed if opts.force => {
                    store.add_rerun(&row, TrialReason::Force, Some(sweep_id))?
                }
                TrialStatus::Failed if opts.force || opts.retry_failed => {
                    let reason = if opts.force {
                        TrialReason::Force
                    } else {
                        TrialReason::Retry
                    };
                    store.add_rerun(&row, reason, Some(sweep_id))?
                }
                TrialStatus::Completed => {
                    summary.already_done += 1;
                    continue;
                }
                TrialStatus::Failed => {
                    summary.failed_before += 1;
                    continue;
                }
                TrialStatus::Running => {
                    summary.elsewhere += 1;
                    continue;
                }
                TrialStatus::Pending | TrialStatus::Interrupted => row,
            };
            work.push(Work {
                row,
                config: planned.config.clone(),
            });
        }
        progress.log(&format!(
            "{}: {} trial(s) planned, {} already done, {} to run",
            plan.experiment.name,
            plan.trials.len(),
            summary.already_done,
            work.len()
        ));
        for w in &plan.warnings {
            progress.log(&format!("warning: {w}"));
        }
        if opts.enqueue {
            // Registered and left pending: `mer worker`s (here or on other
            // hosts sharing the database) claim and run them.
            summary.enqueued = work.len();
            store.finish_sweep(sweep_id, SweepStatus::Completed)?;
            summary.elapsed = started.elapsed();
            return Ok(summary);
        }

        // Ensembles read their members' results: they run last.
        work.sort_by_key(|w| w.config.architecture == mer_model::Architecture::Ensemble);
        let configs: Vec<&TrialConfig> = work.iter().map(|w| &w.config).collect();
        let mut prepared =
            prepare_features(datasets, text_files, &configs, &opts.cache_dir, &progress)?;
        prepared.threads = neural_threads(opts.jobs);
        prepared.device = opts.device;

        let outcome = run_work(
            store,
            &work,
            &prepared,
            opts,
            &progress,
            |cfg, fp| provenance::for_plan(plan, cfg, fp, opts.jobs),
            |_| None,
        )?;
        summary.completed = outcome.completed;
        summary.elsewhere += outcome.taken_elsewhere;
        summary.failures = outcome.failures;
        let status = if summary.failures.is_empty() {
            SweepStatus::Completed
        } else {
            SweepStatus::Failed
        };
        store.finish_sweep(sweep_id, status)?;
        summary.elapsed = started.elapsed();
        Ok(summary)
    };
    let outcome = run();
    if outcome.is_err() {
        let _ = store.finish_sweep(sweep_id, SweepStatus::Failed);
    }
    outcome
}

/// Threads per neural network when `jobs` trials run at once.
fn neural_threads(jobs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / jobs.max(1)).max(1)
}

pub(crate) struct WorkOutcome {
    completed: usize,
    taken_elsewhere: usize,
    failures: Vec<(i64, String, String)>,
    /// Trial ids that completed, in completion order.
    completed_ids: Vec<i64>,
}

/// Claims and runs `work` on `opts.jobs` threads, with a heartbeat.
fn run_work(
    store: &Store,
    work: &[Work],
    prepared: &Prepared,
    opts: &SweepOptions,
    progress: &Progress,
    provenance_of: impl Fn(&TrialConfig, &str) -> mer_store::Provenance + Sync,
    after: impl Fn(&Work) -> Option<String> + Sync,
) -> Result<WorkOutcome, RunError> {
    let worker = worker::worker_id();
    let next = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let failed = AtomicUsize::new(0);
    let outcome = Mutex::new(WorkOutcome {
        completed: 0,
        taken_elsewhere: 0,
        failures: Vec::new(),
        completed_ids: Vec::new(),
    });
    let first_error: Mutex<Option<StoreError>> = Mutex::new(None);
    let bar = progress.bar(work.len() as u64, "trials");
    let jobs = opts.jobs.max(1).min(work.len().max(1));

    std::thread::scope(|s| {
        // Heartbeat: keeps this worker's running trials visibly alive.
        s.spawn(|| {
            let mut last = Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if last.elapsed() >= HEARTBEAT_EVERY {
                    let _ = store.heartbeat(worker);
                    last = Instant::now();
                }
            }
        });
        let handles: Vec<_> = (0..jobs)
            .map(|_| {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(w) = work.get(i) else { break };
                        if first_error.lock().expect("not poisoned").is_some() {
                            break;
                        }
                        match run_one(store, w, prepared, &provenance_of) {
                            Ok(One::Completed(line)) => {
                                let mut o = outcome.lock().expect("not poisoned");
                                o.completed += 1;
                                o.completed_ids.push(w.row.id);
                                drop(o);
                                bar.println(&line);
                                if let Some(m) = after(w) {
                                    bar.set_message(m);
                                }
                            }
                            Ok(One::Elsewhere) => {
                                outcome.lock().expect("not poisoned").taken_elsewhere += 1;
                            }
                            Ok(One::Failed(error)) => {
                                let n = failed.fetch_add(1, Ordering::SeqCst) + 1;
                                bar.set_message(format!("{n} failed"));
                                bar.println(&format!(
                                    "FAILED trial {} {}: {error}",
                                    w.row.id,
                                    w.config.summary()
                                ));
                                outcome.lock().expect("not poisoned").failures.push((
                                    w.row.id,
                                    w.config.summary(),
                                    error,
                                ));
                                if let Some(m) = after(w) {
                                    bar.set_message(m);
                                }
                            }
                            Err(e) => {
                                *first_error.lock().expect("not poisoned") = Some(e);
                                break;
                            }
                        }
                        bar.inc(1);
                    }
                })
            })
            .collect();
        for h in handles {
            let _ = h.join();
        }
        done.store(true, Ordering::Relaxed);
    });
    bar.finish_and_clear();
    if let Some(e) = first_error.into_inner().expect("not poisoned") {
        return Err(RunError::Store(e));
    }
    Ok(outcome.into_inner().expect("not poisoned"))
}

enum One {
    Completed(String),
    Elsewhere,
    Failed(String),
}

/// Claims, runs and records one trial. A trial error (or panic) is recorded
/// as the trial's failure; only store errors propagate.
fn run_one(
    store: &Store,
    w: &Work,
    prepared: &Prepared,
    provenance_of: &(impl Fn(&TrialConfig, &str) -> mer_store::Provenance + Sync),
) -> Result<One, StoreError> {
    let worker = worker::worker_id();
    if !store.claim(w.row.id, worker)? {
        return Ok(One::Elsewhere);
    }
    let mut data = prepared.trial_data(&w.config);
    let mut provenance = provenance_of(&w.config, &data.dataset.fingerprint);
    if w.config.architecture.is_neural() {
        provenance.backend = match data.device {
            ComputeDevice::Cpu => "burn-flex (cpu)".into(),
            ComputeDevice::Cuda(i) => format!("burn-cuda (gpu {i})"),
        };
        provenance.threads = data.threads as i64;
    }
    store.record_provenance(w.row.id, &provenance)?;
    let started = Instant::now();
    if !w.config.members.is_empty() {
        let fp = data.dataset.fingerprint.clone();
        match member_results(store, &w.config, |m| {
            prepared.text.inputs_fingerprint(m, &fp)
        }) {
            Ok(m) => data.members = m,
            Err(msg) => {
                store.fail_trial(w.row.id, worker, &msg, 0.0)?;
                return Ok(One::Failed(msg));
            }
        }
    }
    let result =
        std::panic::catch_unwind(AssertUnwindSafe(|| pipeline::run_trial(&w.config, &data)));
    let elapsed = started.elapsed().as_secs_f64();
    match result {
        Ok(Ok(out)) => {
            let line = format!(
                "done  trial {:>4} {:<48} {}  ({:.1} s)",
                w.row.id,
                w.config.summary(),
                headline(&out.result.metrics),
                elapsed
            );
            let mut r = out.result;
            match artifacts::save_models(
                store,
                w.row.id,
                &w.config,
                r.classes.as_deref(),
                &out.models,
            ) {
                Ok(rows) => r.artifacts = rows,
                Err(e) => {
                    let msg = format!("saving the trained weights: {e}");
                    store.fail_trial(w.row.id, worker, &msg, elapsed)?;
                    return Ok(One::Failed(msg));
                }
            }
            store.complete_trial(w.row.id, worker, &r)?;
            Ok(One::Completed(line))
        }
        Ok(Err(e)) => {
            let msg = error_chain(&e);
            store.fail_trial(w.row.id, worker, &msg, elapsed)?;
            Ok(One::Failed(msg))
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            let msg = format!("internal error (panic): {msg}");
            store.fail_trial(w.row.id, worker, &msg, elapsed)?;
            Ok(One::Failed(msg))
        }
    }
}

/// How long an ensemble waits for member trials another process runs.
const MEMBER_WAIT: Duration = Duration::from_secs(3600);

/// The recorded results of an ensemble's members (by their keys), waiting
/// for members another process is still running. `Err` is the ensemble's
/// failure message.
fn member_results(
    store: &Store,
    cfg: &TrialConfig,
    inputs_fingerprint: impl Fn(&TrialConfig) -> String,
) -> Result<Vec<trial::MemberResult>, String> {
    let started = Instant::now();
    let mut out = Vec::new();
    for m in &cfg.members {
        let key = TrialKey::new(m, &inputs_fingerprint(m));
        loop {
            let rows = store.trials_by_key(&key.0).map_err(|e| e.to_string())?;
            let done = rows
                .iter()
                .filter(|t| t.status == TrialStatus::Completed && t.reason != TrialReason::Rerun)
                .max_by_key(|t| t.id);
            if let Some(t) = done {
                out.push(trial::MemberResult {
                    trial_id: t.id,
                    config: m.clone(),
                    classes: t.classes.clone(),
                    predictions: store.predictions(t.id).map_err(|e| e.to_string())?,
                });
                break;
            }
            let running = rows.iter().any(|t| t.status == TrialStatus::Running);
            if !running || started.elapsed() > MEMBER_WAIT {
                let state = rows
                    .iter()
                    .max_by_key(|t| t.id)
                    .map(|t| format!("trial {} is {}", t.id, t.status))
                    .unwrap_or_else(|| "it has no trial".into());
                return Err(format!(
                    "member {} ({}) has no completed trial: {state}; fix it and run the sweep again",
                    m.architecture,
                    m.summary()
                ));
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }
    Ok(out)
}

/// `error: cause: cause`, the whole `source()` chain on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s
}

/// The headline test metric (mean over folds) of a result, for log lines.
pub fn headline(metrics: &[MetricRow]) -> String {
    for name in ["macro_f1", "r2"] {
        let v: Vec<f64> = metrics
            .iter()
            .filter(|m| m.name == name && m.split == mer_store::Split::Test && m.epoch.is_none())
            .map(|m| m.value)
            .collect();
        if !v.is_empty() {
            let s = mer_metrics::Summary::of(&v);
            return format!("{name}={:.3}±{:.3}", s.mean, s.std);
        }
    }
    String::new()
}

/// Marks this process's running trials and sweeps as interrupted (for the
/// binary's Ctrl-C handler).
pub fn interrupt(store: &Store) -> Result<u64, StoreError> {
    store.interrupt_worker(worker::worker_id())
}
