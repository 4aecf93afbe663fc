//! The reproduction report of `mer rerun --experiment`: per trial whether
//! its re-run reproduced it (and where not, which metrics differ and by how
//! much, how many predictions changed, the first differing fold and epoch),
//! the paper's table twice (recorded, re-run), and what differs in
//! provenance between the two runs, so a difference has a suspect. Written
//! as `reproduction.md`, `reproduction.html` and `reproduction.csv`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mer_store::{ExperimentMetric, Provenance, Split, TrialRow};

use crate::csv_out::CsvOut;
use crate::html::{PageHeader, Section, index_html, markdown};
use crate::layout::{Row, Table};
use crate::model::{self, Group};
use crate::rerun::{RerunReport, Verdict};
use crate::tables::{result_columns, results_table};

/// The CSV columns naming a recorded trial (and its re-run, if any).
fn identity(t: &TrialRow, rerun: Option<i64>) -> [String; 8] {
    [
        t.id.to_string(),
        rerun.map_or(String::new(), |r| r.to_string()),
        t.key.clone(),
        t.modality.clone(),
        t.architecture.clone(),
        t.labels.clone(),
        t.task.clone(),
        t.seed.to_string(),
    ]
}

/// Differing metrics listed per trial in the report.
const MAX_LISTED: usize = 40;

/// How one provenance field reads.
type Field = fn(&Provenance) -> String;

/// A whole experiment re-run: what the report is made of.
#[derive(Debug, Clone)]
pub struct Reproduction {
    pub experiment: String,
    pub tolerance: Option<f64>,
    /// One per re-run trial, in trial order.
    pub trials: Vec<RerunReport>,
    /// Selected trials that were not re-run, and why.
    pub not_rerun: Vec<(TrialRow, String)>,
    /// `(origin id, recorded, re-run)` provenance of each re-run trial.
    pub provenance: Vec<(i64, Option<Provenance>, Option<Provenance>)>,
    /// The paper's table from the recorded trials, and from their re-runs
    /// (re-run metrics shown under the recorded trial's configuration).
    pub recorded_groups: Vec<Group>,
    pub rerun_groups: Vec<Group>,
}

impl Reproduction {
    /// Builds the report; `rerun_metrics` are each re-run's final metrics
    /// keyed by the recorded trial's id.
    pub fn new(
        experiment: &str,
        tolerance: Option<f64>,
        trials: Vec<RerunReport>,
        not_rerun: Vec<(TrialRow, String)>,
        provenance: Vec<(i64, Option<Provenance>, Option<Provenance>)>,
    ) -> Reproduction {
        let origins: Vec<TrialRow> = trials.iter().map(|r| r.origin.clone()).collect();
        let final_metrics = |recorded: bool| -> Vec<ExperimentMetric> {
            trials
                .iter()
                .flat_map(|r| {
                    r.metrics
                        .iter()
                        .filter(|m| m.epoch.is_none())
                        .filter_map(move |m| {
                            let v = if recorded { m.recorded } else { m.rerun };
                            v.map(|value| ExperimentMetric {
                                trial_id: r.origin.id,
                                split: m.split,
                                fold: m.fold,
                                name: m.name.clone(),
                                value,
                            })
                        })
                })
                .collect()
        };
        let ratios = BTreeMap::new();
        Reproduction {
            experiment: experiment.to_string(),
            tolerance,
            recorded_groups: model::build_groups(&origins, &final_metrics(true), &ratios),
            rerun_groups: model::build_groups(&origins, &final_metrics(false), &ratios),
            trials,
            not_rerun,
            provenance,
        }
    }

    /// How many trials got each verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.trials
            .iter()
            .filter(|r| r.verdict() == verdict)
            .count()
    }

    /// True when every selected trial was re-run and reproduced.
    pub fn reproduced(&self) -> bool {
        self.not_rerun.is_empty() && self.trials.iter().all(RerunReport::reproduces)
    }

    /// One line for a terminal.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} trial(s) re-run: {} identical, {} within tolerance, {} differing, {} failed",
            self.trials.len(),
            self.count(Verdict::Identical),
            self.count(Verdict::WithinTolerance),
            self.count(Verdict::Differs),
            self.count(Verdict::Failed),
        );
        if !self.not_rerun.is_empty() {
            s.push_str(&format!("; {} not re-run", self.not_rerun.len()));
        }
        s
    }

    /// `reproduction.csv`: one row per selected trial.
    pub fn csv(&self) -> String {
        let mut out = CsvOut::new();
        out.record([
            "trial",
            "rerun_trial",
            "key",
            "modality",
            "architecture",
            "labels",
            "task",
            "seed",
            "verdict",
            "metrics_compared",
            "metrics_differing",
            "largest_difference",
            "largest_difference_metric",
            "predictions_compared",
            "predictions_changed",
            "predictions_differing",
            "first_differing_fold",
            "first_differing_epoch",
            "error",
        ]);
        for r in &self.trials {
            let t = &r.origin;
            let largest = r.largest_difference();
            let first = r.first_difference();
            out.record(
                identity(t, Some(r.rerun_id)).into_iter().chain([
                    r.verdict().as_str().to_string(),
                    r.metrics.len().to_string(),
                    r.differing_metrics().len().to_string(),
                    largest.map_or("0".into(), |(_, d)| format!("{d:e}")),
                    largest.map_or(String::new(), |(m, _)| m.label()),
                    r.compared_predictions.to_string(),
                    r.changed_predictions.to_string(),
                    r.differing_predictions.to_string(),
                    first.map_or(String::new(), |(f, _)| f.to_string()),
                    first
                        .and_then(|(_, e)| e)
                        .map_or(String::new(), |e| e.to_string()),
                    r.rerun_error.clone().unwrap_or_default(),
                ]),
            );
        }
        for (t, why) in &self.not_rerun {
            let mut row: Vec<String> = identity(t, None).into();
            row.push("not re-run".into());
            row.extend(std::iter::repeat_n(String::new(), 9));
            row.push(why.clone());
            out.record(row);
        }
        out.finish()
    }

    fn header(&self) -> PageHeader {
        let mut facts = vec![self.summary() + "."];
        facts.push(match self.tolerance {
            None => "Bit-identity required: a value reproduces when its bits are the same (NaN equals NaN).".into(),
            Some(t) => format!(
                "Absolute tolerance {t:e}: a value reproduces when it is within {t:e} of the recorded one; \"within tolerance\" trials are not bit-identical."
            ),
        });
        facts.push(
            if self.reproduced() {
                "Verdict: every selected trial reproduces."
            } else {
                "Verdict: the experiment does NOT reproduce; see the trials below."
            }
            .into(),
        );
        PageHeader {
            title: format!("Reproduction of experiment {}", self.experiment),
            description: "Each recorded trial was re-run on the same data with its stored configuration and compared with the recording, metric by metric and prediction by prediction.".into(),
            facts,
            files: vec![
                ("reproduction.md".into(), "this report in Markdown".into()),
                ("reproduction.csv".into(), "one row per trial".into()),
            ],
        }
    }

    fn trial_table(&self) -> Table {
        let rows = self
            .trials
            .iter()
            .map(|r| {
                let t = &r.origin;
                let largest = r.largest_difference();
                Row {
                    stub: vec![
                        t.id.to_string(),
                        r.rerun_id.to_string(),
                        format!(
                            "{} {} {} {} seed {}",
                            t.modality, t.architecture, t.labels, t.task, t.seed
                        ),
                        r.verdict().as_str().into(),
                        format!("{} of {}", r.differing_metrics().len(), r.metrics.len()),
                        largest.map_or("0".into(), |(m, d)| format!("{d:.3e} ({})", m.label())),
                        format!(
                            "{} of {}",
                            if r.tolerance.is_some() {
                                r.differing_predictions
                            } else {
                                r.changed_predictions
                            },
                            r.compared_predictions
                        ),
                        match r.first_difference() {
                            None => String::new(),
                            Some((f, Some(e))) => format!("fold {f}, epoch {e}"),
                            Some((f, None)) => format!("fold {f}, final model"),
                        },
                        r.rerun_error.clone().unwrap_or_default(),
                    ],
                    cells: Vec::new(),
                }
            })
            .chain(self.not_rerun.iter().map(|(t, why)| Row {
                stub: vec![
                    t.id.to_string(),
                    String::new(),
                    format!(
                        "{} {} {} {} seed {}",
                        t.modality, t.architecture, t.labels, t.task, t.seed
                    ),
                    "not re-run".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    why.clone(),
                ],
                cells: Vec::new(),
            }))
            .collect();
        Table {
            id: "reproduction-trials".into(),
            title: "Trials: recorded vs re-run".into(),
            stub: [
                "trial",
                "re-run",
                "configuration",
                "verdict",
                "metrics differing",
                "largest |difference|",
                "predictions differing",
                "first difference",
                "error",
            ]
            .map(String::from)
            .to_vec(),
            columns: Vec::new(),
            spans: Vec::new(),
            rows,
            legend: vec![
                "Metrics and predictions differ when their bits differ (or, with a tolerance, when they are further apart than it); a value present in one run only always differs. The first difference is the lowest fold, then epoch, with a differing metric.".into(),
            ],
        }
    }

    /// Every provenance field whose value changed between the recorded
    /// trials and their re-runs: `(field, recorded, re-run, trials)`.
    pub fn provenance_differences(&self) -> Vec<(String, String, String, usize)> {
        let fields: [(&str, Field); 9] = [
            ("mer version", |p| p.crate_version.clone()),
            ("git commit", |p| {
                format!(
                    "{}{}",
                    p.git_commit,
                    if p.git_dirty == Some(true) {
                        " (dirty)"
                    } else {
                        ""
                    }
                )
            }),
            ("rustc", |p| p.rustc_version.clone()),
            ("dependency lock (Cargo.lock blake3)", |p| {
                p.lock_hash.clone().unwrap_or_else(|| "not recorded".into())
            }),
            ("CPU features", |p| {
                p.cpu_features
                    .clone()
                    .unwrap_or_else(|| "not recorded".into())
            }),
            ("threads", |p| p.threads.to_string()),
            ("device", |p| p.backend.clone()),
            ("operating system", |p| p.os.clone()),
            ("host", |p| p.host.clone()),
        ];
        let mut out: BTreeMap<(usize, String, String), usize> = BTreeMap::new();
        for (_, a, b) in &self.provenance {
            let (Some(a), Some(b)) = (a, b) else { continue };
            for (i, (_, get)) in fields.iter().enumerate() {
                let (x, y) = (get(a), get(b));
                if x != y {
                    *out.entry((i, x, y)).or_default() += 1;
                }
            }
        }
        out.into_iter()
            .map(|((i, x, y), n)| (fields[i].0.to_string(), x, y, n))
            .collect()
    }

    fn provenance_section(&self) -> Section {
        let diffs = self.provenance_differences();
        let intro = if diffs.is_empty() {
            vec!["The recorded runs and the re-runs agree on mer version and commit, rustc, dependency lock, CPU features, threads, device, operating system and host.".into()]
        } else {
            vec!["What differs between the recorded runs and the re-runs: the suspects for any difference above.".into()]
        };
        let tables = if diffs.is_empty() {
            Vec::new()
        } else {
            vec![Table {
                id: "reproduction-provenance".into(),
                title: "Provenance differences".into(),
                stub: ["what", "recorded", "re-run", "trials"]
                    .map(String::from)
                    .to_vec(),
                columns: Vec::new(),
                spans: Vec::new(),
                rows: diffs
                    .into_iter()
                    .map(|(f, a, b, n)| Row {
                        stub: vec![f, a, b, n.to_string()],
                        cells: Vec::new(),
                    })
                    .collect(),
                legend: Vec::new(),
            }]
        };
        Section {
            id: "provenance".into(),
            title: "Provenance".into(),
            intro,
            tables,
            figures: Vec::new(),
        }
    }

    fn paper_sections(&self) -> Vec<Section> {
        self.recorded_groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let columns = result_columns(g, Split::Test);
                let table = |group: &Group, which: &str| {
                    results_table(
                        group,
                        &columns,
                        Split::Test,
                        None,
                        false,
                        format!("reproduction-{which}-{i}"),
                        format!("{} · test · {which}", g.title()),
                        "",
                    )
                };
                let mut tables = vec![table(g, "recorded")];
                if let Some(r) = self
                    .rerun_groups
                    .iter()
                    .find(|r| r.task == g.task && r.labels == g.labels)
                {
                    tables.push(table(r, "re-run"));
                }
                Section {
                    id: format!("paper-{i}"),
                    title: format!("Paper table: {}", g.title()),
                    intro: vec!["The experiment's results table (test split, mean ± std over folds and seeds), from the recorded trials and then from their re-runs.".into()],
                    tables,
                    figures: Vec::new(),
                }
            })
            .collect()
    }

    /// Every differing metric of every trial that does not reproduce (at
    /// most [`MAX_LISTED`] per trial), with both values and the difference.
    fn differences_section(&self) -> Option<Section> {
        let fmt = |v: Option<f64>| v.map_or_else(|| "missing".to_string(), |x| format!("{x}"));
        let mut rows = Vec::new();
        let mut cut = Vec::new();
        for r in self
            .trials
            .iter()
            .filter(|r| r.verdict() == Verdict::Differs)
        {
            let diffs = r.differing_metrics();
            if diffs.len() > MAX_LISTED {
                cut.push(format!(
                    "trial {}: {} more differing metrics are in the database (mer show {})",
                    r.origin.id,
                    diffs.len() - MAX_LISTED,
                    r.rerun_id
                ));
            }
            for m in diffs.into_iter().take(MAX_LISTED) {
                let d = m.difference();
                rows.push(Row {
                    stub: vec![
                        r.origin.id.to_string(),
                        m.label(),
                        fmt(m.recorded),
                        fmt(m.rerun),
                        if d.is_finite() {
                            format!("{d:.3e}")
                        } else {
                            "—".into()
                        },
                    ],
                    cells: Vec::new(),
                });
            }
        }
        if rows.is_empty() {
            return None;
        }
        Some(Section {
            id: "differences".into(),
            title: "Differences".into(),
            intro: vec!["Each metric that does not reproduce, recorded and re-run.".into()],
            tables: vec![Table {
                id: "reproduction-differences".into(),
                title: "Differing metrics".into(),
                stub: ["trial", "metric", "recorded", "re-run", "|difference|"]
                    .map(String::from)
                    .to_vec(),
                columns: Vec::new(),
                spans: Vec::new(),
                rows,
                legend: cut,
            }],
            figures: Vec::new(),
        })
    }

    fn sections(&self) -> Vec<Section> {
        let mut sections = vec![Section {
            id: "trials".into(),
            title: "Trials".into(),
            intro: Vec::new(),
            tables: vec![self.trial_table()],
            figures: Vec::new(),
        }];
        sections.extend(self.differences_section());
        sections.extend(self.paper_sections());
        sections.push(self.provenance_section());
        sections
    }

    /// `reproduction.md`.
    pub fn markdown(&self) -> String {
        markdown(&self.header(), &self.sections())
    }

    /// `reproduction.html` (no script, no network).
    pub fn html(&self) -> String {
        index_html(&self.header(), &self.sections(), &|_| 0)
    }

    /// Writes the three files into `dir` (created if needed); returns them.
    pub fn write(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for (name, text) in [
            ("reproduction.md", self.markdown()),
            ("reproduction.html", self.html()),
            ("reproduction.csv", self.csv()),
        ] {
            let path = dir.join(name);
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &path)?;
            written.push(path);
        }
        Ok(written)
    }
}
