//! `mer rerun`: a stored trial re-executed on the same data, recorded as a
//! new trial linked to the original, and compared with it metric by metric
//! and prediction by prediction.

use std::collections::BTreeMap;

use mer_data::LoadContext;
use mer_report::rerun::{RerunReport, same};
use mer_spec::{TrialConfig, TrialKey};
use mer_store::{MetricRow, PredictionRow, Store, TrialReason, TrialStatus};

use super::prepare::{TextFiles, load_datasets, prepare_features};
use super::progress::Progress;
use super::{RunError, SweepOptions, Work, provenance, run_work};

/// Re-executes a stored trial's resolved config on the same data, records
/// it as a new trial linked to the original, and compares the results.
pub fn rerun(store: &Store, query: &str, opts: &SweepOptions) -> Result<RerunReport, RunError> {
    let progress = Progress::new(opts.progress);
    let origin = store.find_trial(query)?;
    if origin.status != TrialStatus::Completed {
        return Err(RunError::NotCompleted {
            trial: origin.id,
            status: origin.status,
        });
    }
    let config: TrialConfig =
        serde_json::from_str(&origin.config_json).map_err(|source| RunError::StoredConfig {
            trial: origin.id,
            source,
        })?;
    let ctx = LoadContext {
        cache_dir: opts.cache_dir.clone(),
    };
    let datasets = load_datasets(std::iter::once(&config.dataset), &ctx, &progress)?;
    let ds = datasets.values().next().expect("one dataset").clone();
    if ds.fingerprint != origin.dataset_fingerprint {
        return Err(RunError::DatasetChanged {
            trial: origin.id,
            recorded: origin.dataset_fingerprint.clone(),
            now: ds.fingerprint.clone(),
        });
    }
    let text_files = TextFiles::load(std::iter::once(&config))?;
    let key = TrialKey::new(
        &config,
        &text_files.inputs_fingerprint(&config, &ds.fingerprint),
    );
    if key.0 != origin.key {
        return Err(RunError::InputsChanged {
            trial: origin.id,
            recorded: origin.key.clone(),
            now: key.0,
        });
    }
    let mut prepared =
        prepare_features(datasets, text_files, &[&config], &opts.cache_dir, &progress)?;
    prepared.device = opts.device;
    let row = store.add_rerun(&origin, TrialReason::Rerun, None)?;
    let recorded_provenance = store.provenance(origin.id)?;
    let work = [Work {
        row: row.clone(),
        config: config.clone(),
    }];
    let outcome = run_work(store, &work, &prepared, opts, &progress, |cfg, fp| {
        let mut p = provenance::provenance("", "", "", &[cfg.seed], cfg, fp, 1);
        if let Some(r) = &recorded_provenance {
            p.spec_path = r.spec_path.clone();
            p.spec_text = r.spec_text.clone();
            p.spec_hash = r.spec_hash.clone();
            p.seeds = r.seeds.clone();
        }
        p
    })?;

    let key = |m: &MetricRow| {
        format!(
            "{}/fold{}/{}{}",
            m.split.as_str(),
            m.fold,
            m.epoch.map(|e| format!("epoch{e}/")).unwrap_or_default(),
            m.name
        )
    };
    let old: BTreeMap<String, f64> = store
        .metrics(origin.id)?
        .iter()
        .map(|m| (key(m), m.value))
        .collect();
    let new: BTreeMap<String, f64> = store
        .metrics(row.id)?
        .iter()
        .map(|m| (key(m), m.value))
        .collect();
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    let metrics = names
        .into_iter()
        .map(|n| (n.clone(), old.get(n).copied(), new.get(n).copied()))
        .collect();
    let pred_key = |p: &PredictionRow| (p.fold, p.track_id.clone(), p.target.clone());
    let old_p: BTreeMap<_, PredictionRow> = store
        .predictions(origin.id)?
        .into_iter()
        .map(|p| (pred_key(&p), p))
        .collect();
    let new_p: BTreeMap<_, PredictionRow> = store
        .predictions(row.id)?
        .into_iter()
        .map(|p| (pred_key(&p), p))
        .collect();
    let mut differing = old_p
        .iter()
        .filter(|(k, p)| new_p.get(*k).is_none_or(|q| !same_prediction(p, q)))
        .count();
    differing += new_p.keys().filter(|k| !old_p.contains_key(*k)).count();
    Ok(RerunReport {
        origin,
        rerun_id: row.id,
        metrics,
        differing_predictions: differing,
        rerun_error: outcome.failures.first().map(|f| f.2.clone()),
    })
}

fn same_prediction(a: &PredictionRow, b: &PredictionRow) -> bool {
    same(Some(a.y_true), Some(b.y_true))
        && same(Some(a.y_pred), Some(b.y_pred))
        && match (&a.scores, &b.scores) {
            (Some(x), Some(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(Some(*p), Some(*q)))
            }
            (None, None) => true,
            _ => false,
        }
        && a.extra == b.extra
}
