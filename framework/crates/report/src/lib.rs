//! Reports: paper-ready tables, statistics and figures rendered from the
//! store, EDA figures rendered from in-memory data, and the listings the CLI
//! prints (plans, runs, one trial, rerun comparisons). Reads the store only;
//! never trains.
//!
//! # What `mer report` writes
//! Into `reports/<experiment>/` ([`write_report`]):
//! - `results.csv`: one row per trial, its mean metrics over folds (test
//!   metrics by name, training metrics as `train_<name>`);
//! - `results.md`, `results.tex` (a standalone document) and
//!   `tables/<name>.tex` (fragments to `\input`): per group of comparable
//!   configurations (same task and label scheme) a results table (mean ± std
//!   over folds × seeds, optional 95 % interval, best bold and second
//!   underlined per column, direction-aware, significance markers against a
//!   baseline or the column's best with Holm correction, the Friedman test),
//!   per-class F1 or per-target tables, a modality × architecture pivot, and
//!   train-vs-test study tables per architecture;
//! - `comparisons.csv`: every paired test with raw and adjusted p-values;
//! - `figures/*.svg|png`: the headline metric per configuration with 95 %
//!   intervals, critical-difference diagrams, and for featured
//!   configurations their normalised confusion matrix, learning curves and
//!   gated-fusion weights per class;
//! - `index.html`, tying it all together (static, no script, no network).
//!
//! # Determinism
//! Rendering is pure ([`model`] is read once, every table and figure is a
//! function of it), orders come from `BTreeMap`s and sorted keys, floats are
//! printed with fixed decimals, and no file holds a timestamp: regenerating
//! a report from the same store gives byte-identical files. Files of an
//! earlier report that the new one does not write are removed from
//! `figures/` and `tables/` (and only there).

pub mod compare;
mod csv_out;
pub mod eda;
pub mod figures;
pub mod html;
pub mod layout;
pub mod listing;
pub mod model;
pub mod pca;
pub mod plot;
pub mod reproduction;
pub mod rerun;
pub mod tables;
pub mod tsne;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use mer_metrics::Summary;
use mer_store::{ExperimentMetric, Split, Store, StoreError, TrialRow};

use compare::{Reference, TableStats, table_stats};
use csv_out::CsvOut;
use figures::PlannedFigure;
use html::{PageHeader, Section};
use layout::Table;
use model::{Config, Group, ReportData};
pub use reproduction::Reproduction;
pub use rerun::{RerunReport, Verdict};
pub use tables::{CLASSIFICATION_COLUMNS, PivotSpec, REGRESSION_COLUMNS};

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
    #[error("baseline `{selector}`: {rule}")]
    Baseline { selector: String, rule: String },
    #[error("EDA projection: {0}")]
    Pca(#[from] pca::PcaError),
    #[error("{}: figure `{stem}`: {source}", dir.display())]
    Figure {
        dir: PathBuf,
        stem: String,
        #[source]
        source: plot::PlotError,
    },
}

/// Picks one configuration per group by its axes and settings:
/// `modality=audio,architecture=svm,model.svm.c=0.5`. Keys are `modality`,
/// `architecture`, `labels`, `task` or the path of a swept setting; settings
/// compare as numbers when both sides are numbers, else as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSelector {
    pub text: String,
    pub pairs: Vec<(String, String)>,
}

impl FromStr for ConfigSelector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut pairs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!("`{part}` in `{s}` is not KEY=VALUE (e.g. modality=audio,architecture=svm)")
            })?;
            pairs.push((k.trim().to_string(), v.trim().to_string()));
        }
        if pairs.is_empty() {
            return Err(format!(
                "`{s}` selects nothing: give KEY=VALUE pairs, e.g. modality=audio,architecture=svm"
            ));
        }
        Ok(ConfigSelector {
            text: s.to_string(),
            pairs,
        })
    }
}

impl ConfigSelector {
    /// Whether `c` has every axis value and setting of the selector.
    pub fn matches(&self, c: &Config) -> bool {
        self.pairs.iter().all(|(k, v)| {
            let have = match k.as_str() {
                "modality" => Some(&c.key.modality),
                "architecture" => Some(&c.key.architecture),
                "labels" => Some(&c.key.labels),
                "task" => Some(&c.key.task),
                other => c.settings.get(other),
            };
            have.is_some_and(|h| {
                h == v || matches!((h.parse::<f64>(), v.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
            })
        })
    }
}

/// How a report is written. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Configuration every other one is compared with in each group;
    /// `None` compares each cell with the best of its column. Defaults to
    /// `None`. A group with no match falls back to the best (and says so).
    pub baseline: Option<ConfigSelector>,
    /// Significance level of the markers and of the Nemenyi critical
    /// difference (0.05 or 0.10). Defaults to `0.05`.
    pub alpha: f64,
    /// Print the 95 % t-interval in table cells. Defaults to `false`.
    pub ci: bool,
    /// Headline metric of classification groups (figures, pivots, study
    /// tables). Defaults to `"macro_f1"`.
    pub headline_classification: String,
    /// Headline metric of regression groups. Defaults to `"r2"`.
    pub headline_regression: String,
    /// Configurations per group (best by headline mean) that get confusion
    /// matrices, learning curves and fusion-weight plots; the baseline gets
    /// them too. Defaults to `3`.
    pub featured: usize,
    /// Architectures whose best configurations always get the detail
    /// figures (up to `featured` of them per group), because their detail is
    /// the point (fusion weights). Defaults to `["gated_fusion"]`.
    pub detail_architectures: Vec<String>,
    /// Most configurations drawn in a metric-with-intervals chart (the best
    /// by mean; the baseline is always added). Defaults to `30`.
    pub chart_rows: usize,
    /// Most configurations in a critical-difference diagram (the best by
    /// mean; the Nemenyi tables stop at 20). Defaults to `12`.
    pub cd_max: usize,
    /// Extra pivot tables, e.g. `model.svm.c x modality:accuracy`; every
    /// group already gets `architecture x modality` on its headline metric.
    /// Defaults to none.
    pub pivots: Vec<PivotSpec>,
    /// Draw figures (SVG and PNG). Defaults to `true`.
    pub figures: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            baseline: None,
            alpha: 0.05,
            ci: false,
            headline_classification: "macro_f1".into(),
            headline_regression: "r2".into(),
            featured: 3,
            detail_architectures: vec!["gated_fusion".into()],
            chart_rows: 30,
            cd_max: 12,
            pivots: Vec::new(),
            figures: true,
        }
    }
}

impl ReportOptions {
    /// The headline metric of a group's task.
    pub fn headline(&self, task: &str) -> &str {
        if task == "regression" {
            &self.headline_regression
        } else {
            &self.headline_classification
        }
    }
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
    layout::Cell::of(values, false).plain()
}

/// One CSV row per trial: identity, then the mean over folds of every test
/// metric (by name) and training metric (`train_<name>`), columns sorted.
pub fn render_csv(trials: &[TrialRow], metrics: &[ExperimentMetric]) -> String {
    let column = |split: Split, name: &str| -> Option<String> {
        match split {
            Split::Test => Some(name.to_string()),
            Split::Train => Some(format!("train_{name}")),
            Split::Validation => None,
        }
    };
    // Columns: test metrics first, then training metrics, each sorted.
    let mut names: BTreeSet<(u8, String)> = BTreeSet::new();
    let mut seen: BTreeSet<(Split, &str)> = BTreeSet::new();
    for m in metrics {
        if seen.insert((m.split, m.name.as_str()))
            && let Some(c) = column(m.split, &m.name)
        {
            names.insert((u8::from(m.split != Split::Test), c));
        }
    }
    let col_of: BTreeMap<(Split, &str), usize> = seen
        .iter()
        .filter_map(|&(split, name)| {
            let c = column(split, name)?;
            let i = names.iter().position(|(_, n)| *n == c)?;
            Some(((split, name), i))
        })
        .collect();
    let row_of: BTreeMap<i64, usize> = trials.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    // [trial][column] -> per-fold values.
    let mut cells: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); names.len()]; trials.len()];
    for m in metrics {
        if let (Some(&r), Some(&c)) = (
            row_of.get(&m.trial_id),
            col_of.get(&(m.split, m.name.as_str())),
        ) {
            cells[r][c].push(m.value);
        }
    }
    let mut w = CsvOut::new();
    w.record(
        [
            "trial",
            "key",
            "modality",
            "architecture",
            "labels",
            "task",
            "seed",
            "settings",
            "folds",
        ]
        .into_iter()
        .chain(names.iter().map(|(_, n)| n.as_str())),
    );
    for (t, row) in trials.iter().zip(&cells) {
        let folds = row.iter().map(|v| v.len()).max().unwrap_or(0);
        let fixed = [
            t.id.to_string(),
            t.key.clone(),
            t.modality.clone(),
            t.architecture.clone(),
            t.labels.clone(),
            t.task.clone(),
            t.seed.to_string(),
            params_text(&t.params_json),
            folds.to_string(),
        ];
        // Mean over folds with `{}` (shortest round-trip), empty when the
        // trial has no value for the column.
        let means = row.iter().map(|v| {
            if v.is_empty() {
                String::new()
            } else {
                Summary::of(v).mean.to_string()
            }
        });
        w.record(fixed.into_iter().chain(means));
    }
    w.finish()
}

/// Files a report wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub trials: usize,
}

/// Writes the report of an experiment into `out_dir` with default options.
pub fn write_report(
    store: &Store,
    experiment: &str,
    out_dir: &Path,
) -> Result<ReportFiles, ReportError> {
    write_report_with(store, experiment, out_dir, &ReportOptions::default())
}

/// Per group: the reference of its paired tests and a note for captions.
fn resolve_baselines(
    groups: &[Group],
    opts: &ReportOptions,
) -> Result<Vec<Option<usize>>, ReportError> {
    let Some(sel) = &opts.baseline else {
        return Ok(vec![None; groups.len()]);
    };
    // Unknown keys are an error, not a silent "no match".
    let axes = ["modality", "architecture", "labels", "task"];
    let settings: BTreeSet<&String> = groups
        .iter()
        .flat_map(|g| &g.configs)
        .flat_map(|c| c.settings.keys())
        .collect();
    for (k, _) in &sel.pairs {
        if !axes.contains(&k.as_str()) && !settings.contains(k) {
            return Err(ReportError::Baseline {
                selector: sel.text.clone(),
                rule: format!(
                    "`{k}` is neither an axis ({}) nor a swept setting of this experiment ({})",
                    axes.join(", "),
                    if settings.is_empty() {
                        "none".to_string()
                    } else {
                        settings
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            });
        }
    }
    let mut out = Vec::new();
    for g in groups {
        let m: Vec<usize> = (0..g.configs.len())
            .filter(|&i| sel.matches(&g.configs[i]))
            .collect();
        if m.len() > 1 {
            return Err(ReportError::Baseline {
                selector: sel.text.clone(),
                rule: format!(
                    "matches {} configurations of {} ({}): add keys until it names one",
                    m.len(),
                    g.title(),
                    m.iter()
                        .map(|&i| g.configs[i].key.label())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            });
        }
        out.push(m.first().copied());
    }
    if out.iter().all(Option::is_none) {
        let all: Vec<String> = groups
            .iter()
            .flat_map(|g| g.configs.iter().map(|c| c.key.label()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(ReportError::Baseline {
            selector: sel.text.clone(),
            rule: format!(
                "matches no configuration of the experiment (it has: {})",
                all.join("; ")
            ),
        });
    }
    Ok(out)
}

/// The configurations of a group that get detail figures.
fn featured(
    group: &Group,
    headline: &str,
    baseline: Option<usize>,
    opts: &ReportOptions,
) -> Vec<usize> {
    let order = figures::ranked(group, headline);
    let mut out: Vec<usize> = order.iter().copied().take(opts.featured).collect();
    if let Some(b) = baseline
        && !out.contains(&b)
    {
        out.push(b);
    }
    let extra: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| {
            opts.detail_architectures
                .contains(&group.configs[i].key.architecture)
        })
        .take(opts.featured)
        .collect();
    for i in extra {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// A group's tables: results (with statistics), the per-class or
/// per-target breakdown, and its pivots.
fn group_tables(
    data: &ReportData,
    gi: usize,
    reference: Reference,
    opts: &ReportOptions,
) -> (Vec<Table>, Vec<TableStats>) {
    let g = &data.groups[gi];
    let slug = g.slug();
    let reference_note = match reference {
        Reference::Baseline(b) => format!("the baseline ({})", g.configs[b].key.label()),
        Reference::Best => match &opts.baseline {
            Some(sel) => format!(
                "the best configuration of its column (no configuration here matches the baseline `{}`)",
                sel.text
            ),
            None => "the best configuration of its column (bold)".to_string(),
        },
    };
    let mut tables = Vec::new();
    let mut stats = Vec::new();
    let classes = tables::group_classes(g);
    let mut add = |columns: Vec<String>, id: String, title: String| {
        if columns.is_empty() {
            return;
        }
        let st = table_stats(g, &columns, Split::Test, reference, opts.alpha);
        tables.push(tables::results_table(
            g,
            &columns,
            Split::Test,
            Some(&st),
            opts.ci,
            id,
            title,
            &reference_note,
        ));
        stats.push(st);
    };
    add(
        tables::result_columns(g, Split::Test),
        format!("{slug}-results"),
        format!("Test results: {}", g.title()),
    );
    if g.task == "regression" {
        add(
            tables::target_columns(g, Split::Test),
            format!("{slug}-targets"),
            format!("Test results per target: {}", g.title()),
        );
    } else {
        let cols = tables::class_columns(g, Split::Test);
        if cols.len() > 1 {
            add(
                cols,
                format!("{slug}-classes"),
                format!("Test F1 per class: {}", g.title()),
            );
        }
    }
    let headline = opts.headline(&g.task).to_string();
    let configs: Vec<&Config> = g.configs.iter().collect();
    let default = PivotSpec {
        rows: tables::Axis::Architecture,
        cols: tables::Axis::Modality,
        metric: None,
        split: Split::Test,
    };
    if let Some(t) = tables::pivot_table(
        &configs,
        &default,
        &headline,
        classes,
        format!("{slug}-pivot-architecture-modality"),
        &g.title(),
    ) {
        tables.push(t);
    }
    (tables, stats)
}

/// Writes the report of `experiment` into `out_dir`.
pub fn write_report_with(
    store: &Store,
    experiment: &str,
    out_dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    let mut data = model::load(store, experiment)?;
    if data.trials.is_empty() {
        return Err(ReportError::Empty(experiment.to_string()));
    }
    let baselines = resolve_baselines(&data.groups, opts)?;
    let mut detail_trials = BTreeSet::new();
    let mut featured_sets = Vec::new();
    for (g, b) in data.groups.iter().zip(&baselines) {
        let f = if opts.figures {
            featured(g, opts.headline(&g.task), *b, opts)
        } else {
            Vec::new()
        };
        for &i in &f {
            detail_trials.extend(g.configs[i].trials.iter().copied());
        }
        featured_sets.push(f);
    }
    data.detail = model::load_detail(store, &detail_trials)?;
    let rendered = render(&data, &baselines, &featured_sets, opts);
    write_rendered(out_dir, &data, rendered, opts)
}

/// Everything a report writes, in memory: `(relative path, bytes)`.
pub struct Rendered {
    pub files: Vec<(String, Vec<u8>)>,
    pub figures: Vec<PlannedFigure>,
}

/// Builds the sections (tables and planned figures) of a report.
pub fn sections(
    data: &ReportData,
    baselines: &[Option<usize>],
    featured_sets: &[Vec<usize>],
    opts: &ReportOptions,
) -> (Vec<Section>, Vec<TableStats>, Vec<usize>) {
    let mut sections = Vec::new();
    let mut all_stats = Vec::new();
    let mut stats_group = Vec::new();
    for (gi, g) in data.groups.iter().enumerate() {
        let reference = match baselines.get(gi).copied().flatten() {
            Some(b) => Reference::Baseline(b),
            None => Reference::Best,
        };
        let (tables, stats) = group_tables(data, gi, reference, opts);
        for s in stats {
            all_stats.push(s);
            stats_group.push(gi);
        }
        let headline = opts.headline(&g.task);
        let mut figs = Vec::new();
        if opts.figures {
            let base = baselines.get(gi).copied().flatten();
            figs.extend(figures::ci_figure(g, headline, base, opts.chart_rows));
            figs.extend(figures::cd_figure(g, headline, opts.cd_max, opts.alpha));
            for &i in featured_sets.get(gi).into_iter().flatten() {
                let c = &g.configs[i];
                figs.extend(figures::confusion_figure(g, c, &data.detail));
                figs.extend(figures::curves_figure(g, c, &data.detail, headline));
                figs.extend(figures::alpha_figure(g, c, &data.detail));
            }
        }
        let (folds, seeds) = g.shape();
        sections.push(Section {
            id: g.slug(),
            title: g.title(),
            intro: vec![format!(
                "{} configuration(s), {} trial(s); up to {folds} fold(s) × {seeds} seed(s) each. Headline metric: {}.",
                g.configs.len(),
                g.configs.iter().map(|c| c.trials.len()).sum::<usize>(),
                tables::metric_label(headline, tables::group_classes(g))
            )],
            tables,
            figures: figs,
        });
    }
    // Extra pivots, in their scopes.
    let mut pivots = Vec::new();
    for (pi, spec) in opts.pivots.iter().enumerate() {
        for (scope, configs) in tables::pivot_scopes(&data.groups, spec) {
            let task = configs
                .first()
                .map(|c| c.key.task.clone())
                .unwrap_or_default();
            let metric = spec
                .metric
                .clone()
                .unwrap_or_else(|| opts.headline(&task).to_string());
            let classes = configs.iter().find_map(|c| c.classes.as_deref());
            if let Some(t) = tables::pivot_table(
                &configs,
                spec,
                &metric,
                classes,
                format!("pivot{}-{}", pi + 1, model::slugify(&scope)),
                &scope,
            ) {
                pivots.push(t);
            }
        }
    }
    if !pivots.is_empty() {
        sections.push(Section {
            id: "pivots".into(),
            title: "Pivot tables".into(),
            intro: Vec::new(),
            tables: pivots,
            figures: Vec::new(),
        });
    }
    let study = tables::study_tables(
        &data.groups,
        &opts.headline_classification,
        &opts.headline_regression,
        "",
    );
    if !study.is_empty() {
        sections.push(Section {
            id: "study".into(),
            title: "Train vs test per modality and label scheme".into(),
            intro: vec![
                "Training-fold and test-fold values side by side show over-fitting and which modality carries the signal for each label scheme (the layout of the results table of the bi-modal study after Delbouys et al., ISMIR 2018).".into(),
            ],
            tables: study,
            figures: Vec::new(),
        });
    }
    (sections, all_stats, stats_group)
}

/// `comparisons.csv`: one row per paired test.
pub fn comparisons_csv(groups: &[Group], stats: &[TableStats], stats_group: &[usize]) -> String {
    let mut w = CsvOut::new();
    w.record([
        "group",
        "metric",
        "configuration",
        "reference",
        "n_pairs",
        "mean_difference",
        "wilcoxon_p",
        "wilcoxon_p_holm",
        "nb_t",
        "nb_p",
        "nb_p_holm",
        "test_train_ratio",
        "ratio_source",
        "note",
    ]);
    for (st, &gi) in stats.iter().zip(stats_group) {
        let g = &groups[gi];
        for t in &st.tests {
            // Numbers with `{}` as before (shortest round-trip, `NaN`).
            w.record([
                g.title(),
                t.metric.clone(),
                g.configs[t.config].key.label(),
                g.configs[t.reference].key.label(),
                t.n_pairs.to_string(),
                t.mean_difference.to_string(),
                t.wilcoxon_p.to_string(),
                t.wilcoxon_holm.to_string(),
                t.nb_t.to_string(),
                t.nb_p.to_string(),
                t.nb_holm.to_string(),
                t.ratio.to_string(),
                t.ratio_source.as_str().to_string(),
                t.note.clone(),
            ]);
        }
    }
    w.finish()
}

/// Renders every file of a report in memory (no I/O).
pub fn render(
    data: &ReportData,
    baselines: &[Option<usize>],
    featured_sets: &[Vec<usize>],
    opts: &ReportOptions,
) -> Rendered {
    let (sections, stats, stats_group) = sections(data, baselines, featured_sets, opts);
    let n_configs: usize = data.groups.iter().map(|g| g.configs.len()).sum();
    let header = PageHeader {
        title: format!("Experiment {}", data.experiment),
        description: data.description.clone(),
        facts: vec![
            format!(
                "{} completed trial(s) in {} configuration(s) and {} group(s) of comparable configurations (same task and label scheme).",
                data.trials.len(),
                n_configs,
                data.groups.len()
            ),
            format!(
                "Paired tests against {} at α = {}; {}.",
                opts.baseline
                    .as_ref()
                    .map(|b| format!("the baseline `{}`", b.text))
                    .unwrap_or_else(|| "the best configuration of each column".into()),
                opts.alpha,
                "the Nadeau-Bengio correction uses n_test/n_train from the stored split manifests"
            ),
        ],
        files: vec![
            (
                "results.csv".into(),
                "one row per trial, mean metrics over folds".into(),
            ),
            ("results.md".into(), "all tables in Markdown".into()),
            (
                "results.tex".into(),
                "all tables and figures as a LaTeX document (tables/*.tex to \\input)".into(),
            ),
            (
                "comparisons.csv".into(),
                "every paired test: raw and Holm-adjusted p-values".into(),
            ),
        ],
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push((
        "results.csv".into(),
        render_csv(&data.trials, &data.metrics).into_bytes(),
    ));
    files.push((
        "results.md".into(),
        html::markdown(&header, &sections).into_bytes(),
    ));
    let label_prefix = format!("{}-", model::slugify(&data.experiment));
    for t in sections.iter().flat_map(|s| &s.tables) {
        files.push((
            format!("tables/{}.tex", t.id),
            t.to_latex(&label_prefix).into_bytes(),
        ));
    }
    files.push((
        "results.tex".into(),
        html::latex_document(&header, &sections, &label_prefix).into_bytes(),
    ));
    files.push((
        "comparisons.csv".into(),
        comparisons_csv(&data.groups, &stats, &stats_group).into_bytes(),
    ));
    let widths = |f: &PlannedFigure| figure_width(&f.figure);
    files.push((
        "index.html".into(),
        html::index_html(&header, &sections, &widths).into_bytes(),
    ));
    let figures = sections.into_iter().flat_map(|s| s.figures).collect();
    Rendered { files, figures }
}

/// Width of a figure in CSS pixels (its SVG size).
pub fn figure_width(f: &figures::AnyFigure) -> u32 {
    use figures::AnyFigure as A;
    use plot::Figure as _;
    match f {
        A::Ci(x) => x.size().0,
        A::Heatmap(x) => x.size().0,
        A::Curves(x) => x.size().0,
        A::Boxes(x) => x.size().0,
        A::Cd(x) => x.size().0,
        A::Bars(x) => x.size().0,
        A::HBars(x) => x.size().0,
        A::Scatter(x) => x.size().0,
        A::Va(x) => x.size().0,
    }
}

fn write_file(out_dir: &Path, rel: &str, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    let path = out_dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ReportError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    // Unchanged files are left alone (their modification time too).
    if std::fs::read(&path).is_ok_and(|old| old == bytes) {
        return Ok(path);
    }
    std::fs::write(&path, bytes).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Removes files with `exts` in `dir` that are not in `keep`.
fn prune(dir: &Path, keep: &BTreeSet<PathBuf>, exts: &[&str]) -> Result<(), ReportError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
                && !keep.contains(p)
        })
        .collect();
    stale.sort();
    for p in stale {
        std::fs::remove_file(&p).map_err(|source| ReportError::Write { path: p, source })?;
    }
    Ok(())
}

fn write_rendered(
    out_dir: &Path,
    data: &ReportData,
    rendered: Rendered,
    opts: &ReportOptions,
) -> Result<ReportFiles, ReportError> {
    let figures = if opts.figures {
        rendered.figures
    } else {
        Vec::new()
    };
    write_all(out_dir, rendered.files, figures, data.trials.len())
}

/// Writes `files`, draws and writes `figures` (SVG and PNG, drawn in
/// parallel, written in order), then prunes stale figures and tables.
pub(crate) fn write_all(
    out_dir: &Path,
    files: Vec<(String, Vec<u8>)>,
    figures: Vec<PlannedFigure>,
    trials: usize,
) -> Result<ReportFiles, ReportError> {
    use rayon::prelude::*;
    let mut written = Vec::new();
    for (rel, bytes) in &files {
        written.push(write_file(out_dir, rel, bytes)?);
    }
    let drawn: Vec<Result<(String, Vec<u8>), ReportError>> = figures
        .par_iter()
        .map(|f| {
            f.figure.render().map_err(|source| ReportError::Figure {
                dir: out_dir.to_path_buf(),
                stem: f.stem.clone(),
                source,
            })
        })
        .collect();
    for (f, d) in figures.iter().zip(drawn) {
        let (svg, png) = d?;
        written.push(write_file(
            out_dir,
            &format!("{}.svg", f.stem),
            svg.as_bytes(),
        )?);
        written.push(write_file(out_dir, &format!("{}.png", f.stem), &png)?);
    }
    let keep: BTreeSet<PathBuf> = written.iter().cloned().collect();
    prune(&out_dir.join("figures"), &keep, &["svg", "png"])?;
    prune(&out_dir.join("tables"), &keep, &["tex"])?;
    Ok(ReportFiles {
        dir: out_dir.to_path_buf(),
        files: written,
        trials,
    })
}
