//! `mer rerun`: stored trials re-executed on the same data, each recorded as
//! a new trial linked to its original, and compared with it metric by
//! metric and prediction by prediction: one trial, or a whole experiment
//! (`--experiment`, narrowed by `--sweep`, `--trials`, `--status`), run in
//! parallel and resumable, ending in a reproduction report.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use mer_data::LoadContext;
use mer_report::Reproduction;
use mer_report::rerun::{RerunReport, Verdict, compare};
use mer_spec::{TrialConfig, TrialKey};
use mer_store::{NewSweep, Store, StoreError, SweepStatus, TrialReason, TrialRow, TrialStatus};

use super::prepare::{TextFiles, load_datasets, prepare_features};
use super::progress::Progress;
use super::{RunError, SweepOptions, Work, neural_threads, provenance, run_work, worker};

/// Re-executes one stored trial's resolved config on the same data, records
/// it as a new trial linked to the original, and compares the results.
pub fn rerun(
    store: &Store,
    query: &str,
    opts: &SweepOptions,
    tolerance: Option<f64>,
) -> Result<RerunReport, RunError> {
    let progress = Progress::new(opts.progress);
    let origin = store.find_trial(query)?;
    if origin.status != TrialStatus::Completed {
        return Err(RunError::NotCompleted {
            trial: origin.id,
            status: origin.status,
        });
    }
    let mut reports = rerun_trials(store, &[origin], None, opts, tolerance, &progress)?;
    Ok(reports.remove(0))
}

/// Which recorded trials `mer rerun --experiment` re-runs.
#[derive(Debug, Clone)]
pub struct Selection {
    pub experiment: String,
    /// Only trials registered by this sweep.
    pub sweep: Option<i64>,
    /// Only these trial ids (empty: all).
    pub trials: Vec<i64>,
    /// Only trials in this state; a selected trial that is not completed has
    /// nothing to compare with and is listed as not re-run.
    pub status: Option<TrialStatus>,
}

impl Selection {
    /// How the selection reads on a command line (recorded with the
    /// reproduction's sweep row, and what a repeated command resumes).
    fn describe(&self) -> String {
        let mut s = format!("mer rerun --experiment {}", self.experiment);
        if let Some(sw) = self.sweep {
            s.push_str(&format!(" --sweep {sw}"));
        }
        if !self.trials.is_empty() {
            let ids: Vec<String> = self.trials.iter().map(i64::to_string).collect();
            s.push_str(&format!(" --trials {}", ids.join(",")));
        }
        if let Some(st) = self.status {
            s.push_str(&format!(" --status {}", st.as_str()));
        }
        s
    }
}

/// A selected trial that cannot be re-run, and why.
type NotRerun = (TrialRow, String);

/// The recorded trials a selection names, and those it names that cannot
/// be re-run (with why).
fn select(store: &Store, sel: &Selection) -> Result<(Vec<TrialRow>, Vec<NotRerun>), RunError> {
    let all = store.trials(&mer_store::TrialFilter {
        experiment: Some(sel.experiment.clone()),
        status: None,
        include_reruns: false,
    })?;
    for id in &sel.trials {
        if !all.iter().any(|t| t.id == *id) {
            return Err(RunError::Selection(format!(
                "trial {id} is not a recorded trial of experiment `{}` (`mer runs --experiment {}` lists them)",
                sel.experiment, sel.experiment
            )));
        }
    }
    // Without a narrower choice, the trials the paper's tables show: the
    // latest completed row of each key.
    let report_ids: Option<Vec<i64>> = (sel.trials.is_empty() && sel.sweep.is_none())
        .then(|| store.report_trials(&sel.experiment))
        .transpose()?
        .map(|ts| ts.into_iter().map(|t| t.id).collect());
    let status = sel.status.unwrap_or(TrialStatus::Completed);
    let chosen: Vec<TrialRow> = all
        .into_iter()
        .filter(|t| sel.sweep.is_none_or(|s| t.sweep_id == Some(s)))
        .filter(|t| sel.trials.is_empty() || sel.trials.contains(&t.id))
        .filter(|t| t.status == status)
        .filter(|t| {
            report_ids.as_ref().is_none_or(|ids| ids.contains(&t.id))
                || status != TrialStatus::Completed
        })
        .collect();
    if chosen.is_empty() {
        return Err(RunError::Selection(format!(
            "no trial selected: `{}` matches no {} trial",
            sel.describe(),
            status.as_str()
        )));
    }
    let mut by_key: BTreeMap<&str, i64> = BTreeMap::new();
    for t in &chosen {
        if let Some(other) = by_key.insert(&t.key, t.id) {
            return Err(RunError::Selection(format!(
                "trials {other} and {} are runs of the same configuration (key {}); select one of them with --trials",
                t.id,
                &t.key[..12.min(t.key.len())]
            )));
        }
    }
    let (origins, not): (Vec<TrialRow>, Vec<TrialRow>) = chosen
        .into_iter()
        .partition(|t| t.status == TrialStatus::Completed);
    let not = not
        .into_iter()
        .map(|t| {
            let why = format!(
                "the recorded trial is {}: there are no results to compare with",
                t.status.as_str()
            );
            (t, why)
        })
        .collect();
    Ok((origins, not))
}

/// Re-runs every trial a selection names (resuming an interrupted
/// reproduction of the same selection) and compares each with its record.
pub fn rerun_experiment(
    store: &Store,
    sel: &Selection,
    opts: &SweepOptions,
    tolerance: Option<f64>,
) -> Result<Reproduction, RunError> {
    let progress = Progress::new(opts.progress);
    let (origins, not_rerun) = select(store, sel)?;
    let experiment = store.experiment(&sel.experiment)?;
    // The reproduction is a sweep row: its trials are the re-runs, and the
    // same command after an interrupt finds it and finishes it.
    let mut ids: Vec<String> = origins.iter().map(|t| t.id.to_string()).collect();
    ids.sort();
    let spec_text = format!("{}\nrecorded trials: {}\n", sel.describe(), ids.join(","));
    let spec_hash = blake3::hash(spec_text.as_bytes()).to_hex().to_string();
    let sweep_id = match store.unfinished_sweep(experiment.id, REPRODUCTION, &spec_hash)? {
        Some(id) => {
            progress.log(&format!("resuming the reproduction recorded as sweep {id}"));
            id
        }
        None => store.begin_sweep(&NewSweep {
            experiment_id: experiment.id,
            spec_path: REPRODUCTION.into(),
            spec_text,
            spec_hash,
            planned: origins.len() as i64,
            worker: worker::worker_id().to_string(),
        })?,
    };
    let reports = match rerun_trials(store, &origins, Some(sweep_id), opts, tolerance, &progress) {
        Ok(r) => r,
        Err(e) => {
            let _ = store.finish_sweep(sweep_id, SweepStatus::Failed);
            return Err(e);
        }
    };
    let status = if reports.iter().any(|r| r.verdict() == Verdict::Failed) {
        SweepStatus::Failed
    } else {
        SweepStatus::Completed
    };
    store.finish_sweep(sweep_id, status)?;
    let mut provenance = Vec::with_capacity(reports.len());
    for r in &reports {
        provenance.push((
            r.origin.id,
            store.provenance(r.origin.id)?,
            store.provenance(r.rerun_id)?,
        ));
    }
    Ok(Reproduction::new(
        &sel.experiment,
        tolerance,
        reports,
        not_rerun,
        provenance,
    ))
}

/// The `spec_path` of a reproduction's sweep row.
const REPRODUCTION: &str = "mer rerun";

/// Re-runs `origins` (completed trials) and compares each with its record.
/// With `sweep`, re-runs are registered under it and those it already holds
/// are reused: completed ones are compared as they are, interrupted ones
/// run again.
fn rerun_trials(
    store: &Store,
    origins: &[TrialRow],
    sweep: Option<i64>,
    opts: &SweepOptions,
    tolerance: Option<f64>,
    progress: &Progress,
) -> Result<Vec<RerunReport>, RunError> {
    let configs = origins
        .iter()
        .map(|o| {
            let mut c = serde_json::from_str::<TrialConfig>(&o.config_json).map_err(|source| {
                RunError::StoredConfig {
                    trial: o.id,
                    source,
                }
            })?;
            let recorded = serde_json::to_string(&c.dataset).expect("serialises");
            if let Some(d) = opts.dataset_override.get(&recorded) {
                c.dataset = d.clone();
            }
            if let Some(t) = &mut c.features.text {
                for p in t.paths_mut() {
                    if let Some(here) = opts.file_override.get(p.as_path()) {
                        *p = here.clone();
                    }
                }
            }
            Ok(c)
        })
        .collect::<Result<Vec<_>, RunError>>()?;
    let ctx = LoadContext {
        cache_dir: opts.cache_dir.clone(),
    };
    let datasets = load_datasets(configs.iter().map(|c| &c.dataset), &ctx, progress)?;
    let text_files = TextFiles::load(configs.iter())?;
    for (origin, config) in origins.iter().zip(&configs) {
        let id = serde_json::to_string(&config.dataset).expect("dataset configs serialise");
        let ds = &datasets[&id];
        if opts.allow_changed_data {
            continue;
        }
        if ds.fingerprint != origin.dataset_fingerprint {
            return Err(RunError::DatasetChanged {
                trial: origin.id,
                recorded: origin.dataset_fingerprint.clone(),
                now: ds.fingerprint.clone(),
            });
        }
        let key = TrialKey::new(
            config,
            &text_files.inputs_fingerprint(config, &ds.fingerprint),
        );
        if key.0 != origin.key {
            return Err(RunError::InputsChanged {
                trial: origin.id,
                recorded: origin.key.clone(),
                now: key.0,
            });
        }
    }

    // The re-run row of each origin: reused from the sweep being resumed,
    // or new.
    let existing: BTreeMap<String, TrialRow> = match sweep {
        Some(s) => {
            store.recover_stale(opts.stale_after, &worker::is_dead, opts.max_attempts)?;
            store
                .sweep_trials(s)?
                .into_iter()
                .filter(|t| t.reason == TrialReason::Rerun)
                .map(|t| (t.key.clone(), t))
                .collect()
        }
        None => BTreeMap::new(),
    };
    let mut rows = Vec::with_capacity(origins.len());
    let mut work = Vec::new();
    for (origin, config) in origins.iter().zip(&configs) {
        let row = match existing.get(&origin.key) {
            Some(r) if r.status != TrialStatus::Failed => r.clone(),
            _ => store.add_rerun(origin, TrialReason::Rerun, sweep)?,
        };
        if matches!(row.status, TrialStatus::Pending | TrialStatus::Interrupted) {
            work.push(Work {
                row: row.clone(),
                config: config.clone(),
            });
        }
        rows.push(row);
    }
    let reused = origins.len() - work.len();
    if reused > 0 {
        progress.log(&format!(
            "{reused} re-run(s) already recorded by this reproduction; {} to run",
            work.len()
        ));
    }

    // Each finished re-run is compared at once, for the live counts.
    let by_rerun: BTreeMap<i64, &TrialRow> =
        origins.iter().zip(&rows).map(|(o, r)| (r.id, o)).collect();
    let done: Mutex<BTreeMap<i64, RerunReport>> = Mutex::new(BTreeMap::new());
    let counts = [(); 4].map(|_| AtomicUsize::new(0));
    let tally = |r: &RerunReport| {
        let i = match r.verdict() {
            Verdict::Identical => 0,
            Verdict::WithinTolerance => 1,
            Verdict::Differs => 2,
            Verdict::Failed => 3,
        };
        counts[i].fetch_add(1, Ordering::SeqCst);
    };
    let message = || {
        let c = counts.each_ref().map(|c| c.load(Ordering::SeqCst));
        format!(
            "{} identical, {} within tolerance, {} differing, {} failed",
            c[0], c[1], c[2], c[3]
        )
    };
    let compare_one = |origin: &TrialRow, rerun_id: i64| -> Result<RerunReport, StoreError> {
        let row = store.trial(rerun_id)?;
        let error = match row.status {
            TrialStatus::Completed => None,
            s => Some(
                row.error
                    .clone()
                    .unwrap_or_else(|| format!("the re-run is {}", s.as_str())),
            ),
        };
        Ok(compare(
            origin.clone(),
            rerun_id,
            tolerance,
            &store.metrics(origin.id)?,
            &store.metrics(rerun_id)?,
            &store.predictions(origin.id)?,
            &store.predictions(rerun_id)?,
            error,
        ))
    };

    if !work.is_empty() {
        // Ensembles read their members' results: they run last.
        work.sort_by_key(|w| w.config.architecture == mer_model::Architecture::Ensemble);
        let work_configs: Vec<&TrialConfig> = work.iter().map(|w| &w.config).collect();
        let mut prepared = prepare_features(
            datasets,
            text_files,
            &work_configs,
            &opts.cache_dir,
            progress,
        )?;
        prepared.threads = neural_threads(opts.jobs);
        prepared.device = opts.device;
        // A re-run records the provenance of where it ran, with the
        // recorded trial's spec (it re-runs that spec's trial).
        let mut recorded = BTreeMap::new();
        for (o, c) in origins.iter().zip(&configs) {
            recorded.insert(c.canonical_json(), store.provenance(o.id)?);
        }
        run_work(
            store,
            &work,
            &prepared,
            opts,
            progress,
            |cfg, fp| {
                let mut p = provenance::provenance("", "", "", &[cfg.seed], cfg, fp, opts.jobs);
                if let Some(Some(r)) = recorded.get(&cfg.canonical_json()) {
                    p.spec_path = r.spec_path.clone();
                    p.spec_text = r.spec_text.clone();
                    p.spec_hash = r.spec_hash.clone();
                    p.seeds = r.seeds.clone();
                }
                p
            },
            |w| {
                let origin = by_rerun.get(&w.row.id)?;
                let report = compare_one(origin, w.row.id).ok()?;
                tally(&report);
                done.lock().expect("not poisoned").insert(w.row.id, report);
                Some(message())
            },
        )?;
    }
    let mut done = done.into_inner().expect("not poisoned");
    let mut reports = Vec::with_capacity(rows.len());
    for (origin, row) in origins.iter().zip(&rows) {
        reports.push(match done.remove(&row.id) {
            Some(r) => r,
            None => compare_one(origin, row.id)?,
        });
    }
    Ok(reports)
}
