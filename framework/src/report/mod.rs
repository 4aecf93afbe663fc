//! Reports: tables rendered from the store, and the listings the CLI prints
//! (plans, runs, one trial, rerun comparisons). Reads the store only; never
//! trains.
//!
//! Rendering is pure (`render_*` functions over rows read from the store) and
//! deterministic: the same store gives byte-identical files.

pub mod listing;
pub mod plot;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::metrics::Summary;
use crate::store::{ExperimentMetric, Split, Store, StoreError, TrialRow};

/// Errors while writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: cannot write the report: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("experiment `{0}` has no completed trials yet: run `mer sweep` first")]
    Empty(String),
}

/// Metrics shown in result tables, per task, in column order.
pub const CLASSIFICATION_COLUMNS: [&str; 3] = ["accuracy", "macro_f1", "balanced_accuracy"];
pub const REGRESSION_COLUMNS: [&str; 5] = ["r2", "rmse", "mae", "ccc", "pearson"];

/// One row of a results table: a configuration, aggregated over its trials
/// (seeds) and their folds.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRow {
    pub modality: String,
    pub architecture: String,
    pub labels: String,
    pub task: String,
    /// Swept settings, `path=value` joined by `, `.
    pub params: String,
    pub trials: usize,
    /// Metric name -> per-fold test values across all seeds.
    pub values: BTreeMap<String, Vec<f64>>,
}

/// Groups trials into configurations (all axes but the seed).
pub fn config_rows(
    trials: &[TrialRow],
    metrics: &[ExperimentMetric],
    split: Split,
) -> Vec<ConfigRow> {
    let mut by_trial: BTreeMap<i64, Vec<&ExperimentMetric>> = BTreeMap::new();
    for m in metrics.iter().filter(|m| m.split == split) {
        by_trial.entry(m.trial_id).or_default().push(m);
    }
    let mut rows: BTreeMap<(String, String, String, String, String), ConfigRow> = BTreeMap::new();
    for t in trials {
        let params = params_text(&t.params_json);
        let key = (
            t.task.clone(),
            t.labels.clone(),
            t.modality.clone(),
            t.architecture.clone(),
            params.clone(),
        );
        let row = rows.entry(key).or_insert_with(|| ConfigRow {
            modality: t.modality.clone(),
            architecture: t.architecture.clone(),
            labels: t.labels.clone(),
            task: t.task.clone(),
            params,
            trials: 0,
            values: BTreeMap::new(),
        });
        row.trials += 1;
        for m in by_trial.get(&t.id).into_iter().flatten() {
            row.values.entry(m.name.clone()).or_default().push(m.value);
        }
    }
    rows.into_values().collect()
}

/// `{"model.svm.c":0.5}` -> `model.svm.c=0.5`.
pub fn params_text(json: &str) -> String {
    match serde_json::from_str::<BTreeMap<String, serde_json::Value>>(json) {
        Ok(m) => m
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => json.to_string(),
    }
}

/// `0.812 ± 0.034` (mean ± sample std over folds x seeds).
pub fn mean_std(values: &[f64]) -> String {
    if values.is_empty() {
        return "–".into();
    }
    let s = Summary::of(values);
    if s.n < 2 {
        format!("{:.3}", s.mean)
    } else {
        format!("{:.3} ± {:.3}", s.mean, s.std)
    }
}

/// The Markdown results tables of an experiment: one per task.
pub fn render_markdown(experiment: &str, rows: &[ConfigRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {experiment}\n");
    let _ = writeln!(
        s,
        "Test-fold metrics, mean ± standard deviation over folds × seeds. \
         `n` counts the trials (seeds) per configuration.\n"
    );
    for (task, columns) in [
        ("classification", &CLASSIFICATION_COLUMNS[..]),
        ("regression", &REGRESSION_COLUMNS[..]),
    ] {
        let task_rows: Vec<&ConfigRow> = rows.iter().filter(|r| r.task == task).collect();
        if task_rows.is_empty() {
            continue;
        }
        let with_params = task_rows.iter().any(|r| !r.params.is_empty());
        let _ = writeln!(s, "## {task}\n");
        let mut header = vec!["labels", "modality", "architecture"];
        if with_params {
            header.push("settings");
        }
        header.push("n");
        header.extend(columns.iter().copied());
        let _ = writeln!(s, "| {} |", header.join(" | "));
        let _ = writeln!(
            s,
            "|{}|",
            header
                .iter()
                .enumerate()
                .map(|(i, _)| if i < header.len() - columns.len() {
                    "---"
                } else {
                    "---:"
                })
                .collect::<Vec<_>>()
                .join("|")
        );
        for r in task_rows {
            let mut cells = vec![r.labels.clone(), r.modality.clone(), r.architecture.clone()];
            if with_params {
                cells.push(r.params.clone());
            }
            cells.push(r.trials.to_string());
            for c in columns {
                cells.push(mean_std(
                    r.values.get(*c).map(|v| v.as_slice()).unwrap_or(&[]),
                ));
            }
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(s);
    }
    s
}

/// One CSV row per trial with its mean test metrics.
pub fn render_csv(trials: &[TrialRow], metrics: &[ExperimentMetric]) -> String {
    let mut names: Vec<String> = metrics
        .iter()
        .filter(|m| m.split == Split::Test)
        .map(|m| m.name.clone())
        .collect();
    names.sort();
    names.dedup();
    let mut by_trial: BTreeMap<(i64, &str), Vec<f64>> = BTreeMap::new();
    for m in metrics.iter().filter(|m| m.split == Split::Test) {
        by_trial
            .entry((m.trial_id, &m.name))
            .or_default()
            .push(m.value);
    }
    let mut s = String::from("trial,key,modality,architecture,labels,task,seed,settings");
    for n in &names {
        s.push(',');
        s.push_str(n);
    }
    s.push('\n');
    for t in trials {
        let _ = write!(
            s,
            "{},{},{},{},{},{},{},{}",
            t.id,
            t.key,
            t.modality,
            t.architecture,
            csv_field(&t.labels),
            t.task,
            t.seed,
            csv_field(&params_text(&t.params_json))
        );
        for n in &names {
            s.push(',');
            if let Some(v) = by_trial.get(&(t.id, n.as_str())) {
                let _ = write!(s, "{}", Summary::of(v).mean);
            }
        }
        s.push('\n');
    }
    s
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Files a report wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub trials: usize,
}

/// Writes `results.md` and `results.csv` for an experiment into `out_dir`.
pub fn write_report(
    store: &Store,
    experiment: &str,
    out_dir: &Path,
) -> Result<ReportFiles, ReportError> {
    let trials = store.report_trials(experiment)?;
    if trials.is_empty() {
        return Err(ReportError::Empty(experiment.to_string()));
    }
    let metrics = store.report_metrics(experiment)?;
    let rows = config_rows(&trials, &metrics, Split::Test);
    let write = |name: &str, text: &str| -> Result<PathBuf, ReportError> {
        let path = out_dir.join(name);
        std::fs::create_dir_all(out_dir)
            .and_then(|_| std::fs::write(&path, text))
            .map_err(|source| ReportError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(path)
    };
    let files = vec![
        write("results.md", &render_markdown(experiment, &rows))?,
        write("results.csv", &render_csv(&trials, &metrics))?,
    ];
    Ok(ReportFiles {
        dir: out_dir.to_path_buf(),
        files,
        trials: trials.len(),
    })
}
