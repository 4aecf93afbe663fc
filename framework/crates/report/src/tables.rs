//! The tables of a report, built from groups of configurations: results per
//! group with significance markers, per-class and per-target breakdowns,
//! pivots along sweep axes, and the train-vs-test study table (the shape of
//! the results table of Delbouys et al.'s bi-modal study: rows are label
//! schemes and targets, columns are modalities, each split into train and
//! test).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::str::FromStr;

use mer_metrics::Direction;
use mer_store::Split;

use super::compare::{Reference, TableStats, mean_of, order_by};
use super::layout::{Cell, Marker, Row, Table};
use super::model::{Config, Group, direction_of};

/// Headline metrics of the main results table, per task, in column order.
pub const CLASSIFICATION_COLUMNS: [&str; 3] = ["accuracy", "macro_f1", "balanced_accuracy"];
pub const REGRESSION_COLUMNS: [&str; 5] = ["r2", "rmse", "mae", "ccc", "pearson"];

/// A reader's name for a stored metric: `macro_f1` -> `macro-F1`,
/// `f1_class_2` -> `F1 Q3` (with class names), `rmse_valence` -> `RMSE valence`.
pub fn metric_label(name: &str, classes: Option<&[String]>) -> String {
    let base = |n: &str| -> Option<&'static str> {
        Some(match n {
            "accuracy" => "accuracy",
            "macro_f1" => "macro-F1",
            "balanced_accuracy" => "balanced accuracy",
            "r2" => "R²",
            "rmse" => "RMSE",
            "mae" => "MAE",
            "ccc" => "CCC",
            "pearson" => "Pearson r",
            "loss" => "loss",
            _ => return None,
        })
    };
    if let Some(b) = base(name) {
        return b.to_string();
    }
    for (prefix, text) in [
        ("f1_class_", "F1"),
        ("precision_class_", "precision"),
        ("recall_class_", "recall"),
    ] {
        if let Some(i) = name
            .strip_prefix(prefix)
            .and_then(|i| i.parse::<usize>().ok())
        {
            let class = classes
                .and_then(|c| c.get(i))
                .cloned()
                .unwrap_or_else(|| format!("class {i}"));
            return format!("{text} {class}");
        }
    }
    for b in ["r2", "rmse", "mae", "ccc", "pearson"] {
        if let Some(target) = name.strip_prefix(b).and_then(|r| r.strip_prefix('_'))
            && let Some(l) = base(b)
        {
            return format!("{l} {target}");
        }
    }
    name.to_string()
}

/// `higher is better for …; lower is better for …` over `columns`.
fn direction_sentence(columns: &[String], classes: Option<&[String]>) -> String {
    let (mut hi, mut lo) = (Vec::new(), Vec::new());
    for c in columns {
        match direction_of(c) {
            Some(Direction::HigherIsBetter) => hi.push(metric_label(c, classes)),
            Some(Direction::LowerIsBetter) => lo.push(metric_label(c, classes)),
            None => {}
        }
    }
    match (hi.is_empty(), lo.is_empty()) {
        (false, true) => "higher is better in every column".to_string(),
        (true, false) => "lower is better in every column".to_string(),
        (false, false) => format!(
            "higher is better for {}, lower for {}",
            hi.join(", "),
            lo.join(", ")
        ),
        (true, true) => "no column is ranked".to_string(),
    }
}

/// Columns of the main table of a group that any configuration measured.
pub fn result_columns(group: &Group, split: Split) -> Vec<String> {
    let names = group.metric_names(split);
    let wanted: &[&str] = if group.task == "regression" {
        &REGRESSION_COLUMNS
    } else {
        &CLASSIFICATION_COLUMNS
    };
    wanted
        .iter()
        .filter(|w| names.iter().any(|n| n == *w))
        .map(|w| w.to_string())
        .collect()
}

/// `f1_class_<i>` columns, by class index.
pub fn class_columns(group: &Group, split: Split) -> Vec<String> {
    let mut v: Vec<(usize, String)> = group
        .metric_names(split)
        .into_iter()
        .filter_map(|n| {
            n.strip_prefix("f1_class_")
                .and_then(|i| i.parse::<usize>().ok())
                .map(|i| (i, n.clone()))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, n)| n).collect()
}

/// Per-target regression columns `<metric>_<target>`, by metric (in
/// [`REGRESSION_COLUMNS`] order) then target.
pub fn target_columns(group: &Group, split: Split) -> Vec<String> {
    let names = group.metric_names(split);
    let mut out = Vec::new();
    for b in REGRESSION_COLUMNS {
        let prefix = format!("{b}_");
        out.extend(
            names
                .iter()
                .filter(|n| n.strip_prefix(&prefix).is_some_and(|t| !t.is_empty()))
                .cloned(),
        );
    }
    out
}

/// Classes of a group (the first configuration that has them).
pub fn group_classes(group: &Group) -> Option<&[String]> {
    group.configs.iter().find_map(|c| c.classes.as_deref())
}

/// What a results table says about its shape: "5 folds × 3 seeds".
pub fn shape_text(group: &Group) -> String {
    let (folds, seeds) = group.shape();
    format!(
        "{folds} fold{} × {seeds} seed{}",
        if folds == 1 { "" } else { "s" },
        if seeds == 1 { "" } else { "s" }
    )
}

/// The smallest two-sided p-value a Wilcoxon signed-rank test can reach
/// with `n` pairs: both tails of the single most extreme sign pattern.
pub fn wilcoxon_floor(n: usize) -> f64 {
    2.0 / 2f64.powi(n.min(1000) as i32)
}

/// A results table of one group: a row per configuration (stub: labels,
/// modality, architecture, settings when any, n), a column per metric,
/// best/second marked per column, significance markers from `stats`.
#[allow(clippy::too_many_arguments)]
pub fn results_table(
    group: &Group,
    columns: &[String],
    split: Split,
    stats: Option<&TableStats>,
    show_ci: bool,
    id: String,
    title: String,
    reference_note: &str,
) -> Table {
    let classes = group_classes(group);
    let with_params = group.configs.iter().any(|c| !c.key.params.is_empty());
    let mut stub = vec![
        "labels".to_string(),
        "modality".into(),
        "architecture".into(),
    ];
    if with_params {
        stub.push("settings".into());
    }
    stub.push("n".into());
    let baseline = match stats.map(|s| s.reference) {
        Some(Reference::Baseline(b)) => Some(b),
        _ => None,
    };
    let by_cell = stats.map(|s| s.by_cell()).unwrap_or_default();
    let rows: Vec<Row> = group
        .configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut s = vec![
                c.key.labels.clone(),
                c.key.modality.clone(),
                if baseline == Some(i) {
                    format!("{} (baseline)", c.key.architecture)
                } else {
                    c.key.architecture.clone()
                },
            ];
            if with_params {
                s.push(c.key.params.clone());
            }
            s.push(c.trials.len().to_string());
            let cells = columns
                .iter()
                .map(|m| {
                    let mut cell = Cell::of(&c.values_of(split, m), show_ci);
                    if let Some(t) = by_cell.get(&(i, m.as_str())) {
                        let alpha = stats.map_or(0.05, |s| s.alpha);
                        if t.nb_holm <= alpha {
                            cell.markers.push(Marker::NadeauBengio);
                        }
                        if t.wilcoxon_holm <= alpha {
                            cell.markers.push(Marker::Wilcoxon);
                        }
                    }
                    cell
                })
                .collect();
            Row { stub: s, cells }
        })
        .collect();
    let mut table = Table {
        id,
        title,
        stub,
        columns: columns.iter().map(|c| metric_label(c, classes)).collect(),
        spans: Vec::new(),
        rows,
        legend: Vec::new(),
    };
    let dirs: Vec<Option<Direction>> = columns.iter().map(|c| direction_of(c)).collect();
    table.rank_columns(&dirs);

    let mut legend = Vec::new();
    legend.push(format!(
        "{} folds: mean ± standard deviation over {} (n = trials, one per seed){}.",
        split_name(split),
        shape_text(group),
        if show_ci {
            "; in brackets the 95 % Student-t interval of the mean"
        } else {
            ""
        }
    ));
    legend.push(format!(
        "Bold: best in its column; underlined (italics in Markdown): second best; {}.",
        direction_sentence(columns, classes)
    ));
    if let Some(s) = stats {
        let (nb, w) = s.family_sizes();
        let max_pairs = s.tests.iter().map(|t| t.n_pairs).max().unwrap_or(0);
        let mut l = format!(
            "† differs from {reference_note} by the Nadeau-Bengio corrected resampled t-test, \
             ‡ by the Wilcoxon signed-rank test; both two-sided, paired on identical folds × seeds, \
             p Holm-adjusted over the comparisons of this table ({nb} for †, {w} for ‡), \
             significant at p ≤ {}.",
            s.alpha
        );
        if max_pairs > 0 && wilcoxon_floor(max_pairs) > s.alpha {
            let _ = write!(
                l,
                " With {max_pairs} pairs the Wilcoxon test cannot reach p < {:.4}, so ‡ cannot appear.",
                wilcoxon_floor(max_pairs)
            );
        }
        legend.push(l);
        let fr: Vec<String> = s
            .friedman
            .iter()
            .filter_map(|f| {
                f.result.map(|r| {
                    format!(
                        "{} χ²({}) = {:.2}, p = {}",
                        metric_label(&f.metric, classes),
                        r.df,
                        r.statistic,
                        p_text(r.p_value)
                    )
                })
            })
            .collect();
        if let Some(f) = s.friedman.iter().find(|f| f.result.is_some()) {
            legend.push(format!(
                "Friedman test over {} configurations × {} shared folds × seeds: {}.",
                f.configs.len(),
                f.n_blocks,
                fr.join("; ")
            ));
        } else if let Some(f) = s.friedman.first()
            && !f.note.is_empty()
        {
            legend.push(format!("No Friedman test: {}.", f.note));
        }
    }
    table.legend = legend;
    table
}

/// `p = 0.0123`, `p < 1e-4` style text.
pub fn p_text(p: f64) -> String {
    if p.is_nan() {
        "NaN".into()
    } else if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

fn split_name(split: Split) -> &'static str {
    match split {
        Split::Test => "Test",
        Split::Train => "Training",
        Split::Validation => "Validation",
    }
}

/// A sweep axis a pivot table can use for its rows or columns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Axis {
    Modality,
    Architecture,
    Labels,
    Task,
    /// All swept settings together.
    Settings,
    /// One swept setting by its path, e.g. `model.svm.c`.
    Setting(String),
}

impl Axis {
    pub fn name(&self) -> String {
        match self {
            Axis::Modality => "modality".into(),
            Axis::Architecture => "architecture".into(),
            Axis::Labels => "labels".into(),
            Axis::Task => "task".into(),
            Axis::Settings => "settings".into(),
            Axis::Setting(p) => p.clone(),
        }
    }

    /// The value of a configuration on this axis.
    pub fn value(&self, c: &Config) -> String {
        match self {
            Axis::Modality => c.key.modality.clone(),
            Axis::Architecture => c.key.architecture.clone(),
            Axis::Labels => c.key.labels.clone(),
            Axis::Task => c.key.task.clone(),
            Axis::Settings => c.key.params.clone(),
            Axis::Setting(p) => c.settings.get(p).cloned().unwrap_or_else(|| "–".into()),
        }
    }
}

impl FromStr for Axis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "modality" => Axis::Modality,
            "architecture" => Axis::Architecture,
            "labels" => Axis::Labels,
            "task" => Axis::Task,
            "settings" => Axis::Settings,
            "" => return Err("an empty axis name".into()),
            other => Axis::Setting(other.to_string()),
        })
    }
}

/// A pivot table: one metric, configurations laid out by two axes.
#[derive(Debug, Clone, PartialEq)]
pub struct PivotSpec {
    pub rows: Axis,
    pub cols: Axis,
    /// `None`: the group's headline metric.
    pub metric: Option<String>,
    pub split: Split,
}

impl FromStr for PivotSpec {
    type Err = String;
    /// `ROWS x COLS[:METRIC[:SPLIT]]`, e.g. `architecture x modality`,
    /// `model.svm.c x modality:accuracy:test`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, ':');
        let axes = parts.next().unwrap_or_default();
        let (r, c) = axes.split_once(" x ").ok_or_else(|| {
            format!("pivot `{s}`: expected `ROWS x COLS[:METRIC[:SPLIT]]`, e.g. `architecture x modality:accuracy`")
        })?;
        let metric = parts
            .next()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(String::from);
        let split = match parts.next().map(str::trim) {
            None | Some("") => Split::Test,
            Some(o) => o.parse().map_err(|e| format!("pivot `{s}`: {e}"))?,
        };
        Ok(PivotSpec {
            rows: r.parse().map_err(|e| format!("pivot `{s}`: {e}"))?,
            cols: c.parse().map_err(|e| format!("pivot `{s}`: {e}"))?,
            metric,
            split,
        })
    }
}

fn modality_rank(m: &str) -> (u8, String) {
    (super::model::modality_rank(m), m.to_string())
}

fn axis_values(axis: &Axis, configs: &[&Config]) -> Vec<String> {
    let set: BTreeSet<String> = configs.iter().map(|c| axis.value(c)).collect();
    let mut v: Vec<String> = set.into_iter().collect();
    if *axis == Axis::Modality {
        v.sort_by_key(|m| modality_rank(m));
    } else if let Axis::Setting(_) = axis {
        // Numeric settings in numeric order.
        if v.iter().all(|x| x.parse::<f64>().is_ok()) {
            v.sort_by(|a, b| {
                a.parse::<f64>()
                    .unwrap_or(0.0)
                    .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
            });
        }
    }
    v
}

/// The configuration shown in a cell where several share its position: the
/// best by mean under the metric's direction (first on ties).
fn best_of<'a>(cands: &[&'a Config], split: Split, metric: &str) -> Option<&'a Config> {
    let dir = direction_of(metric);
    let mut v: Vec<(usize, &Config, f64)> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| (i, *c, mean_of(c, split, metric)))
        .collect();
    v.sort_by(|a, b| order_by(dir, a.2, b.2).then(a.0.cmp(&b.0)));
    v.first().map(|x| x.1)
}

/// A pivot of `configs` (usually one group) by `spec`; `None` when a cell
/// axis has a single value (nothing to pivot) or the metric is absent.
pub fn pivot_table(
    configs: &[&Config],
    spec: &PivotSpec,
    metric: &str,
    classes: Option<&[String]>,
    id: String,
    scope: &str,
) -> Option<Table> {
    let configs: Vec<&Config> = configs
        .iter()
        .copied()
        .filter(|c| c.series(spec.split, metric).is_some())
        .collect();
    if configs.is_empty() {
        return None;
    }
    let rows = axis_values(&spec.rows, &configs);
    let cols = axis_values(&spec.cols, &configs);
    if rows.len() < 2 && cols.len() < 2 {
        return None;
    }
    let mut merged = false;
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            let cells = cols
                .iter()
                .map(|c| {
                    let cands: Vec<&Config> = configs
                        .iter()
                        .copied()
                        .filter(|x| spec.rows.value(x) == *r && spec.cols.value(x) == *c)
                        .collect();
                    merged |= cands.len() > 1;
                    match best_of(&cands, spec.split, metric) {
                        Some(b) => Cell::of(&b.values_of(spec.split, metric), false),
                        None => Cell::empty(),
                    }
                })
                .collect();
            Row {
                stub: vec![r.clone()],
                cells,
            }
        })
        .collect();
    let label = metric_label(metric, classes);
    let mut t = Table {
        id,
        title: format!(
            "{label} ({}) by {} and {}: {scope}",
            spec.split.as_str(),
            spec.rows.name(),
            spec.cols.name()
        ),
        stub: vec![format!("{} \\ {}", spec.rows.name(), spec.cols.name())],
        columns: cols.clone(),
        spans: Vec::new(),
        rows: table_rows,
        legend: Vec::new(),
    };
    // Best and second over the whole grid: rank as one column.
    if let Some(dir) = direction_of(metric) {
        let mut flat: Vec<(usize, usize, f64)> = Vec::new();
        for (i, r) in t.rows.iter().enumerate() {
            for (j, c) in r.cells.iter().enumerate() {
                if let Some(m) = c.mean() {
                    flat.push((i, j, m));
                }
            }
        }
        let mut one = Table {
            id: String::new(),
            title: String::new(),
            stub: Vec::new(),
            columns: vec![String::new()],
            spans: Vec::new(),
            rows: flat
                .iter()
                .map(|&(i, j, _)| Row {
                    stub: Vec::new(),
                    cells: vec![t.rows[i].cells[j].clone()],
                })
                .collect(),
            legend: Vec::new(),
        };
        one.rank_columns(&[Some(dir)]);
        for (k, &(i, j, _)) in flat.iter().enumerate() {
            t.rows[i].cells[j].rank = one.rows[k].cells[0].rank;
        }
    }
    t.legend.push(format!(
        "Mean ± standard deviation over folds × seeds. Bold: best cell; underlined (italics in Markdown): second best{}.",
        match direction_of(metric) {
            Some(Direction::HigherIsBetter) => " (higher is better)",
            Some(Direction::LowerIsBetter) => " (lower is better)",
            None => "",
        }
    ));
    if merged {
        t.legend.push(format!(
            "Where several configurations share a cell (they differ on other axes), the cell shows the one with the best mean {label}."
        ));
    }
    Some(t)
}

/// One row of a study table: which group and metric it shows.
struct StudyRow {
    label: String,
    task: String,
    labels: String,
    metric: String,
}

/// Train-vs-test tables, one per architecture: rows are label schemes
/// (classification, `headline_classification`) and regression targets
/// (`<headline_regression>_<target>`, or the headline when no per-target
/// metric was stored), columns are modalities split into train and test.
/// Where an architecture was swept over settings, each cell shows the
/// setting with the best mean test value.
pub fn study_tables(
    groups: &[Group],
    headline_classification: &str,
    headline_regression: &str,
    id_prefix: &str,
) -> Vec<Table> {
    let mut rows: Vec<StudyRow> = Vec::new();
    for g in groups {
        if g.task == "regression" {
            let prefix = format!("{headline_regression}_");
            let targets: Vec<String> = g
                .metric_names(Split::Test)
                .into_iter()
                .filter(|n| n.strip_prefix(&prefix).is_some_and(|t| !t.is_empty()))
                .collect();
            let metrics = if targets.is_empty() {
                vec![headline_regression.to_string()]
            } else {
                targets
            };
            for m in metrics {
                let target = m.strip_prefix(&prefix).unwrap_or("mean of targets");
                rows.push(StudyRow {
                    label: format!(
                        "{target} ({}), {}",
                        metric_label(headline_regression, None),
                        g.labels
                    ),
                    task: g.task.clone(),
                    labels: g.labels.clone(),
                    metric: m,
                });
            }
        } else {
            rows.push(StudyRow {
                label: format!(
                    "{} ({})",
                    g.labels,
                    metric_label(headline_classification, None)
                ),
                task: g.task.clone(),
                labels: g.labels.clone(),
                metric: headline_classification.to_string(),
            });
        }
    }
    let all: Vec<&Config> = groups.iter().flat_map(|g| &g.configs).collect();
    let archs: BTreeSet<String> = all.iter().map(|c| c.key.architecture.clone()).collect();
    let mut out = Vec::new();
    for arch in archs {
        let configs: Vec<&Config> = all
            .iter()
            .copied()
            .filter(|c| c.key.architecture == arch)
            .collect();
        let modalities = axis_values(&Axis::Modality, &configs);
        let mut merged = false;
        let mut table_rows = Vec::new();
        let mut dirs = Vec::new();
        for r in &rows {
            let mut cells = Vec::new();
            let mut any = false;
            for m in &modalities {
                let cands: Vec<&Config> = configs
                    .iter()
                    .copied()
                    .filter(|c| {
                        c.key.task == r.task && c.key.labels == r.labels && c.key.modality == *m
                    })
                    .filter(|c| c.series(Split::Test, &r.metric).is_some())
                    .collect();
                merged |= cands.len() > 1;
                match best_of(&cands, Split::Test, &r.metric) {
                    Some(b) => {
                        any = true;
                        cells.push(Cell::of(&b.values_of(Split::Train, &r.metric), false));
                        cells.push(Cell::of(&b.values_of(Split::Test, &r.metric), false));
                    }
                    None => {
                        cells.push(Cell::empty());
                        cells.push(Cell::empty());
                    }
                }
            }
            if any {
                table_rows.push(Row {
                    stub: vec![r.label.clone()],
                    cells,
                });
                dirs.push(direction_of(&r.metric));
            }
        }
        if table_rows.is_empty() {
            continue;
        }
        let mut t = Table {
            id: format!("{id_prefix}study-{}", super::model::slugify(&arch)),
            title: format!("Train and test metrics per modality and label scheme: {arch}"),
            stub: vec!["label scheme (metric)".into()],
            columns: modalities
                .iter()
                .flat_map(|_| ["train".to_string(), "test".to_string()])
                .collect(),
            spans: modalities.iter().map(|m| (m.clone(), 2)).collect(),
            rows: table_rows,
            legend: Vec::new(),
        };
        let test_cols: Vec<usize> = (0..modalities.len()).map(|i| 2 * i + 1).collect();
        t.rank_rows(&test_cols, &dirs);
        t.legend.push(
            "Mean ± standard deviation over folds × seeds of the training-fold and test-fold \
             metric. Bold: the modality with the best test value in its row; underlined \
             (italics in Markdown): second best."
                .to_string(),
        );
        if merged {
            t.legend.push(format!(
                "{arch} was swept over settings: each cell pair shows the setting with the best mean test value."
            ));
        }
        out.push(t);
    }
    out
}

/// The configurations of each group keyed by a pivot's scope: the whole
/// experiment when an axis is the task, each task when an axis is the label
/// scheme, else each group.
pub fn pivot_scopes<'a>(groups: &'a [Group], spec: &PivotSpec) -> Vec<(String, Vec<&'a Config>)> {
    let uses = |a: &Axis| spec.rows == *a || spec.cols == *a;
    let mut scopes: BTreeMap<String, Vec<&Config>> = BTreeMap::new();
    for g in groups {
        let scope = if uses(&Axis::Task) {
            "all tasks".to_string()
        } else if uses(&Axis::Labels) {
            g.task.clone()
        } else {
            g.title()
        };
        scopes.entry(scope).or_default().extend(g.configs.iter());
    }
    scopes.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_labels_read_well() {
        let classes = vec!["Q1".to_string(), "Q2".to_string()];
        assert_eq!(metric_label("macro_f1", None), "macro-F1");
        assert_eq!(metric_label("f1_class_1", Some(&classes)), "F1 Q2");
        assert_eq!(metric_label("f1_class_7", Some(&classes)), "F1 class 7");
        assert_eq!(metric_label("rmse_valence", None), "RMSE valence");
        assert_eq!(metric_label("custom", None), "custom");
    }

    #[test]
    fn pivot_specs_parse_and_report_errors() {
        let p: PivotSpec = "architecture x modality:accuracy".parse().unwrap();
        assert_eq!(p.rows, Axis::Architecture);
        assert_eq!(p.cols, Axis::Modality);
        assert_eq!(p.metric.as_deref(), Some("accuracy"));
        assert_eq!(p.split, Split::Test);
        let p: PivotSpec = "model.svm.c x modality::train".parse().unwrap();
        assert_eq!(p.rows, Axis::Setting("model.svm.c".into()));
        assert_eq!(p.metric, None);
        assert_eq!(p.split, Split::Train);
        let e = "architecture by modality".parse::<PivotSpec>().unwrap_err();
        assert!(e.contains("ROWS x COLS"), "{e}");
        assert!(
            "a x b:m:tset"
                .parse::<PivotSpec>()
                .unwrap_err()
                .contains("tset")
        );
    }

    #[test]
    fn wilcoxon_floor_is_two_over_two_to_the_n() {
        assert_eq!(wilcoxon_floor(5), 0.0625);
        assert!(wilcoxon_floor(6) < 0.05);
    }
}
