//! What the CLI prints: the plan of a spec, lists of trials, one trial in
//! detail, and a rerun's comparison. Pure functions from rows to text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::csv_out::CsvOut;
use super::{mean_std, params_text};
use crate::rerun::{RerunReport, Verdict};
use mer_spec::{Plan, TrialKey};
use mer_store::{
    ArtifactRow, AttemptRow, MetricRow, PredictionRow, Provenance, SkippedTrack, Split, TrialRow,
};

/// Output formats of listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Left-aligned text table with a header rule.
pub fn text_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(w - c.chars().count()));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(|s| s.as_str())
            .collect(),
    ));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(|s| s.as_str()).collect()));
        out.push('\n');
    }
    out
}

/// `--format csv`: the header, then one record per row (the report's CSV
/// dialect, see `csv_out`).
fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = CsvOut::new();
    w.record(header);
    for r in rows {
        w.record(r);
    }
    w.finish()
}

fn json_rows(header: &[&str], rows: &[Vec<String>]) -> String {
    let objs: Vec<BTreeMap<&str, &str>> = rows
        .iter()
        .map(|r| {
            header
                .iter()
                .copied()
                .zip(r.iter().map(|s| s.as_str()))
                .collect()
        })
        .collect();
    serde_json::to_string_pretty(&objs).expect("strings serialise") + "\n"
}

fn render(format: Format, header: &[&str], rows: &[Vec<String>]) -> String {
    match format {
        Format::Table => text_table(header, rows),
        Format::Csv => csv(header, rows),
        Format::Json => json_rows(header, rows),
    }
}

/// `mer plan`: the expanded trials, then a count line (table format).
pub fn plan_listing(plan: &Plan, format: Format) -> String {
    let header = [
        "#",
        "modality",
        "architecture",
        "labels",
        "task",
        "seed",
        "settings",
        "config",
    ];
    let rows: Vec<Vec<String>> = plan
        .trials
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let c = &t.config;
            vec![
                (i + 1).to_string(),
                c.modality.as_str().into(),
                c.architecture.to_string(),
                c.labels.to_string(),
                c.task.as_str().into(),
                c.seed.to_string(),
                params_text(&t.params_json()),
                // Config digest: the key minus the dataset fingerprint.
                TrialKey::new(c, "").short().to_string(),
            ]
        })
        .collect();
    let mut s = render(format, &header, &rows);
    if format == Format::Table {
        let _ = writeln!(
            s,
            "\n{} trial(s) for experiment `{}`{}{}",
            plan.trials.len(),
            plan.experiment.name,
            if plan.excluded > 0 {
                format!("; {} combination(s) excluded by rules", plan.excluded)
            } else {
                String::new()
            },
            if plan.duplicates > 0 {
                format!("; {} duplicate(s) run once", plan.duplicates)
            } else {
                String::new()
            }
        );
        for w in &plan.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
    }
    s
}

/// `mer runs`: one line per trial with its headline test metric.
pub fn runs_listing(
    trials: &[TrialRow],
    headline: &BTreeMap<i64, String>,
    format: Format,
) -> String {
    let header = [
        "id",
        "key",
        "experiment",
        "modality",
        "architecture",
        "labels",
        "task",
        "seed",
        "settings",
        "status",
        "seconds",
        "test",
        "origin",
    ];
    let rows: Vec<Vec<String>> = trials
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.key[..12.min(t.key.len())].to_string(),
                t.experiment.clone(),
                t.modality.clone(),
                t.architecture.clone(),
                t.labels.clone(),
                t.task.clone(),
                t.seed.to_string(),
                params_text(&t.params_json),
                t.status.to_string(),
                t.duration_s.map(|d| format!("{d:.1}")).unwrap_or_default(),
                headline.get(&t.id).cloned().unwrap_or_default(),
                t.origin_trial_id
                    .map(|o| format!("{} of {o}", t.reason.as_str()))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut s = render(format, &header, &rows);
    if format == Format::Table {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for t in trials {
            *counts.entry(t.status.to_string()).or_default() += 1;
        }
        let _ = writeln!(
            s,
            "\n{} trial(s): {}",
            trials.len(),
            counts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

/// Everything `mer show` prints about one trial.
#[derive(Debug, Clone, Serialize)]
pub struct TrialDetail {
    pub trial: TrialRow,
    pub provenance: Option<Provenance>,
    pub metrics: Vec<MetricRow>,
    pub predictions: Vec<PredictionRow>,
    pub skipped: Vec<SkippedTrack>,
    pub artifacts: Vec<ArtifactRow>,
    /// Every finished attempt (more than one when a worker stopped).
    pub attempts: Vec<AttemptRow>,
}

/// Per fold of a neural trial: epochs run, final train loss, and the best
/// validation epoch (the weights early stopping keeps); empty for models
/// without per-epoch curves.
fn training_summary(metrics: &[MetricRow]) -> String {
    // fold -> (last epoch, last train loss, best (val loss, epoch))
    type FoldCurve = (i64, f64, Option<(f64, i64)>);
    let mut folds: BTreeMap<i64, FoldCurve> = BTreeMap::new();
    for m in metrics.iter().filter(|m| m.name == "loss") {
        let Some(e) = m.epoch else { continue };
        let f = folds.entry(m.fold).or_insert((0, f64::NAN, None));
        match m.split {
            Split::Train if e >= f.0 => {
                f.0 = e;
                f.1 = m.value;
            }
            Split::Validation if f.2.is_none_or(|(v, _)| m.value < v) => {
                f.2 = Some((m.value, e));
            }
            _ => {}
        }
    }
    let rows: Vec<Vec<String>> = folds
        .iter()
        .map(|(fold, (epochs, train, best))| {
            vec![
                fold.to_string(),
                epochs.to_string(),
                format!("{train:.4}"),
                best.map_or("–".into(), |(v, e)| format!("{v:.4} at epoch {e}")),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    indent(&text_table(
        &["fold", "epochs", "last train loss", "best validation loss"],
        &rows,
    ))
}

fn indent(t: &str) -> String {
    t.lines().map(|l| format!("  {l}\n")).collect()
}

/// `mer show` as text.
pub fn show_trial(d: &TrialDetail) -> String {
    let mut s = String::new();
    write_identity(&mut s, d);
    write_final_metrics(&mut s, d);
    write_confusion(&mut s, d);
    write_skipped(&mut s, d);
    // One attempt that ended as the trial did says nothing new.
    if d.attempts.len() > 1
        || d.attempts
            .iter()
            .any(|a| a.outcome != d.trial.status.as_str())
    {
        let _ = writeln!(
            s,
            "
attempts"
        );
        for a in &d.attempts {
            let _ = writeln!(
                s,
                "  {} {} on {} ({} .. {}){}",
                a.attempt,
                a.outcome,
                a.worker.as_deref().unwrap_or("?"),
                a.started_at.as_deref().unwrap_or("?"),
                a.ended_at,
                a.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
        }
    }
    let training = training_summary(&d.metrics);
    if !training.is_empty() {
        let _ = writeln!(
            s,
            "\ntraining (per fold: epochs run, the epoch with the lowest validation loss)"
        );
        s.push_str(&training);
    }
    if !d.artifacts.is_empty() {
        let _ = writeln!(s, "\nartifacts");
        for a in &d.artifacts {
            let _ = writeln!(
                s,
                "  {} {} ({} bytes, sha256 {})",
                a.kind,
                a.path,
                a.bytes,
                &a.sha256[..12.min(a.sha256.len())]
            );
        }
    }
    s
}

/// The trial's identity, status, origin, dataset and provenance.
fn write_identity(s: &mut String, d: &TrialDetail) {
    let t = &d.trial;
    let _ = writeln!(s, "trial {}  key {}", t.id, t.key);
    let field = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "  {k:<12} {v}");
    };
    field(s, "experiment", &t.experiment);
    field(
        s,
        "config",
        &format!(
            "{}/{}/{}/{} seed={}",
            t.modality, t.architecture, t.labels, t.task, t.seed
        ),
    );
    let params = params_text(&t.params_json);
    if !params.is_empty() {
        field(s, "settings", &params);
    }
    field(
        s,
        "status",
        &format!(
            "{} ({} attempt(s){}{})",
            t.status,
            t.attempts,
            t.duration_s
                .map(|d| format!(", {d:.2} s"))
                .unwrap_or_default(),
            t.finished_at
                .as_ref()
                .map(|f| format!(", finished {f}"))
                .unwrap_or_default()
        ),
    );
    if let Some(o) = t.origin_trial_id {
        field(s, "origin", &format!("{} of trial {o}", t.reason.as_str()));
    }
    field(
        s,
        "dataset",
        &format!("fingerprint {}", t.dataset_fingerprint),
    );
    if let Some(p) = &d.provenance {
        field(
            s,
            "built from",
            &format!(
                "mer {} git {}{} ({})",
                p.crate_version,
                &p.git_commit[..12.min(p.git_commit.len())],
                match p.git_dirty {
                    Some(true) => " +uncommitted changes",
                    Some(false) => "",
                    None => " (dirty state unknown)",
                },
                p.rustc_version
            ),
        );
        field(
            s,
            "ran on",
            &format!(
                "{} ({}), {} thread(s), backend {}",
                p.host, p.os, p.threads, p.backend
            ),
        );
        if let Some(cpu) = &p.cpu_features {
            field(s, "cpu", cpu);
        }
        if let Some(lock) = &p.lock_hash {
            field(
                s,
                "dependencies",
                &format!("Cargo.lock blake3 {}", &lock[..16.min(lock.len())]),
            );
        }
        field(
            s,
            "spec",
            &format!(
                "{} (blake3 {})",
                p.spec_path,
                &p.spec_hash[..12.min(p.spec_hash.len())]
            ),
        );
    }
    if let Some(e) = &t.error {
        field(s, "error", e);
    }
}

/// Final metrics, test then train: mean ± std over folds, then per fold.
fn write_final_metrics(s: &mut String, d: &TrialDetail) {
    let t = &d.trial;
    for split in [Split::Test, Split::Train] {
        let mut by_name: BTreeMap<&str, BTreeMap<i64, f64>> = BTreeMap::new();
        for m in d
            .metrics
            .iter()
            .filter(|m| m.split == split && m.epoch.is_none())
        {
            by_name.entry(&m.name).or_default().insert(m.fold, m.value);
        }
        if by_name.is_empty() {
            continue;
        }
        let folds: Vec<i64> = {
            let mut f: Vec<i64> = by_name.values().flat_map(|m| m.keys().copied()).collect();
            f.sort_unstable();
            f.dedup();
            f
        };
        let _ = writeln!(
            s,
            "\n{} metrics (mean ± std over {} fold(s))",
            split.as_str(),
            folds.len()
        );
        let mut header = vec!["metric".to_string(), "mean ± std".to_string()];
        header.extend(folds.iter().map(|f| format!("fold {f}")));
        let rows: Vec<Vec<String>> = by_name
            .iter()
            .map(|(name, per_fold)| {
                let values: Vec<f64> = per_fold.values().copied().collect();
                let mut r = vec![metric_label(name, t.classes.as_deref()), mean_std(&values)];
                r.extend(folds.iter().map(|f| {
                    per_fold
                        .get(f)
                        .map(|v| format!("{v:.4}"))
                        .unwrap_or_default()
                }));
                r
            })
            .collect();
        let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
        for line in text_table(&h, &rows).lines() {
            let _ = writeln!(s, "  {line}");
        }
    }
}

/// The confusion matrix of the test predictions of all folds.
fn write_confusion(s: &mut String, d: &TrialDetail) {
    let Some(classes) = &d.trial.classes else {
        return;
    };
    let k = classes.len();
    let mut cm = vec![vec![0u64; k]; k];
    let mut n = 0;
    for p in d.predictions.iter().filter(|p| p.target == "class") {
        let (a, b) = (p.y_true as usize, p.y_pred as usize);
        if a < k && b < k {
            cm[a][b] += 1;
            n += 1;
        }
    }
    if n > 0 {
        let _ = writeln!(
            s,
            "\nconfusion matrix (test predictions of all folds; rows = true, columns = predicted)"
        );
        let mut header = vec![String::new()];
        header.extend(classes.iter().cloned());
        let rows: Vec<Vec<String>> = (0..k)
            .map(|i| {
                let mut r = vec![classes[i].clone()];
                r.extend(cm[i].iter().map(|c| c.to_string()));
                r
            })
            .collect();
        let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
        for line in text_table(&h, &rows).lines() {
            let _ = writeln!(s, "  {line}");
        }
    }
}

/// The tracks the trial left out, by stage (the first ten listed).
fn write_skipped(s: &mut String, d: &TrialDetail) {
    if !d.skipped.is_empty() {
        let mut by_stage: BTreeMap<&str, usize> = BTreeMap::new();
        for k in &d.skipped {
            *by_stage.entry(&k.stage).or_default() += 1;
        }
        let _ = writeln!(
            s,
            "\n{} track(s) left out: {}",
            d.skipped.len(),
            by_stage
                .iter()
                .map(|(k, v)| format!("{v} for {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for k in d.skipped.iter().take(10) {
            let _ = writeln!(s, "  {} ({}): {}", k.track_id, k.stage, k.reason);
        }
        if d.skipped.len() > 10 {
            let _ = writeln!(
                s,
                "  ... and {} more (mer show --format json lists all)",
                d.skipped.len() - 10
            );
        }
    }
}

/// `f1_class_2` -> `f1_class_2 (Q3_sad)` when the class names are known.
pub fn metric_label(name: &str, classes: Option<&[String]>) -> String {
    let class = name
        .rsplit_once("_class_")
        .and_then(|(_, i)| i.parse::<usize>().ok())
        .and_then(|i| classes.and_then(|c| c.get(i)));
    match class {
        Some(c) => format!("{name} ({c})"),
        None => name.to_string(),
    }
}

/// `mer rerun`: recorded vs new metrics side by side.
pub fn rerun_listing(r: &RerunReport) -> String {
    let fmt = |v: Option<f64>| {
        v.map(|x| format!("{x}"))
            .unwrap_or_else(|| "missing".into())
    };
    let tol = r.tolerance.unwrap_or(0.0);
    let rows: Vec<Vec<String>> = r
        .metrics
        .iter()
        .map(|m| {
            let d = m.difference();
            vec![
                m.label(),
                fmt(m.recorded),
                fmt(m.rerun),
                if d == 0.0 {
                    "=".to_string()
                } else if d <= tol {
                    format!("within tolerance (|diff| {d:.3e})")
                } else {
                    "DIFFERS".to_string()
                },
            ]
        })
        .collect();
    let mut s = format!(
        "trial {} re-run as trial {} ({})\n\n",
        r.origin.id, r.rerun_id, r.origin.key
    );
    s.push_str(&text_table(&["metric", "recorded", "re-run", ""], &rows));
    if let Some(e) = &r.rerun_error {
        let _ = writeln!(s, "\nthe re-run failed: {e}");
    }
    let _ = writeln!(
        s,
        "\n{} of {} prediction(s) differ{}",
        r.differing_predictions,
        r.compared_predictions,
        match r.tolerance {
            Some(t) => format!(
                " beyond the tolerance {t:e} ({} not bit for bit)",
                r.changed_predictions
            ),
            None => String::new(),
        }
    );
    let _ = writeln!(
        s,
        "{}",
        match r.verdict() {
            Verdict::Identical =>
                "IDENTICAL: every metric and prediction matches bit for bit".into(),
            Verdict::WithinTolerance => format!(
                "WITHIN TOLERANCE: every metric and prediction within {:e} (largest difference {:.3e})",
                tol,
                r.largest_difference().map_or(0.0, |(_, d)| d)
            ),
            Verdict::Differs | Verdict::Failed =>
                "DIFFERENT: the re-run does not reproduce the recorded trial".into(),
        }
    );
    s
}

/// `mer status`: an experiment's trials per status, the workers whose
/// heartbeat is fresher than `stale_after`, and an ETA from the mean
/// duration of its completed trials.
pub fn status_listing(
    experiment: &str,
    trials: &[TrialRow],
    stale_after: std::time::Duration,
) -> String {
    use mer_store::TrialStatus;
    let mut s = format!("experiment `{experiment}`: {} trial(s)\n", trials.len());
    let count = |st: TrialStatus| trials.iter().filter(|t| t.status == st).count();
    for st in TrialStatus::ALL {
        let _ = writeln!(s, "  {:<12} {}", st.as_str(), count(st));
    }
    let now = std::time::SystemTime::now();
    let mut alive: Vec<&str> = trials
        .iter()
        .filter(|t| t.status == TrialStatus::Running)
        .filter(|t| {
            t.heartbeat_at
                .as_deref()
                .and_then(mer_store::parse_time)
                .is_some_and(|hb| now.duration_since(hb).unwrap_or_default() <= stale_after)
        })
        .filter_map(|t| t.worker.as_deref())
        .collect();
    alive.sort_unstable();
    alive.dedup();
    let _ = writeln!(s, "workers alive: {}", alive.len());
    for w in &alive {
        let _ = writeln!(s, "  {w}");
    }
    let durations: Vec<f64> = trials
        .iter()
        .filter(|t| t.status == TrialStatus::Completed)
        .filter_map(|t| t.duration_s)
        .collect();
    let left =
        count(TrialStatus::Pending) + count(TrialStatus::Interrupted) + count(TrialStatus::Running);
    if left == 0 {
        let _ = writeln!(s, "nothing left to run");
    } else if durations.is_empty() || alive.is_empty() {
        let _ = writeln!(
            s,
            "{left} trial(s) left; no ETA yet ({})",
            if alive.is_empty() {
                "no worker is running"
            } else {
                "no trial has completed"
            }
        );
    } else {
        let mean = durations.iter().sum::<f64>() / durations.len() as f64;
        let eta = mean * left as f64 / alive.len() as f64;
        let _ = writeln!(
            s,
            "{left} trial(s) left; ETA {} ({:.1} s per trial over {} completed, {} worker(s))",
            humantime_secs(eta),
            mean,
            durations.len(),
            alive.len()
        );
    }
    s
}

fn humantime_secs(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mer_store::{TrialStatus, now_rfc3339};

    #[test]
    fn status_counts_live_workers_and_gives_an_eta_from_completed_trials() {
        let t = |id, status, worker: Option<&str>, hb: Option<String>, d: Option<f64>| TrialRow {
            id,
            status,
            worker: worker.map(str::to_string),
            heartbeat_at: hb,
            duration_s: d,
            ..crate::rerun::test_trial()
        };
        let fresh = Some(now_rfc3339());
        let old = Some("2020-01-01T00:00:00.000Z".to_string());
        let trials = [
            t(1, TrialStatus::Completed, Some("a"), None, Some(10.0)),
            t(2, TrialStatus::Completed, Some("b"), None, Some(20.0)),
            t(3, TrialStatus::Running, Some("a"), fresh.clone(), None),
            t(4, TrialStatus::Running, Some("b"), fresh, None),
            t(5, TrialStatus::Running, Some("gone"), old, None),
            t(6, TrialStatus::Pending, None, None, None),
        ];
        let s = status_listing("e", &trials, std::time::Duration::from_secs(60));
        assert!(
            s.contains("completed    2") && s.contains("running      3"),
            "{s}"
        );
        assert!(s.contains("pending      1"), "{s}");
        assert!(s.contains("workers alive: 2\n  a\n  b\n"), "{s}");
        // 4 left (3 running, 1 pending) x 15 s mean / 2 workers = 30 s.
        assert!(
            s.contains(
                "4 trial(s) left; ETA 30 s (15.0 s per trial over 2 completed, 2 worker(s))"
            ),
            "{s}"
        );
        let done = status_listing("e", &trials[..2], std::time::Duration::from_secs(60));
        assert!(done.contains("nothing left to run"), "{done}");
    }
}
