//! Which figures a report draws, from its data: per group the headline
//! metric per configuration with confidence intervals and the
//! critical-difference diagram; per featured configuration its normalised
//! confusion matrix, learning curves and gated-fusion weights per class.

use std::collections::BTreeMap;

use mer_metrics::Summary;
use mer_store::{PredictionRow, Split};

use super::compare::{friedman_for, mean_of, order_by};
use super::model::{Config, Detail, Group, direction_of};
use super::plot::{
    self, BoxChart, CdDiagram, CiChart, CiPoint, ColorScale, Heatmap, LearningCurves, Panel,
    PlotError, Series, SeriesPoint,
};
use super::tables::{group_classes, metric_label, p_text, shape_text};

/// Any figure a report writes (one enum so they can be listed together).
#[derive(Debug, Clone, PartialEq)]
pub enum AnyFigure {
    Ci(CiChart),
    Heatmap(Heatmap),
    Curves(LearningCurves),
    Boxes(BoxChart),
    Cd(CdDiagram),
    Bars(plot::BarChart),
    HBars(plot::HBarPanels),
    Scatter(plot::ScatterChart),
    Va(plot::VaScatter),
}

impl AnyFigure {
    /// The figure as (SVG text, PNG bytes).
    pub fn render(&self) -> Result<(String, Vec<u8>), PlotError> {
        fn both<F: plot::Figure>(f: &F) -> Result<(String, Vec<u8>), PlotError> {
            Ok((plot::to_svg(f)?, plot::to_png(f)?))
        }
        match self {
            AnyFigure::Ci(f) => both(f),
            AnyFigure::Heatmap(f) => both(f),
            AnyFigure::Curves(f) => both(f),
            AnyFigure::Boxes(f) => both(f),
            AnyFigure::Cd(f) => both(f),
            AnyFigure::Bars(f) => both(f),
            AnyFigure::HBars(f) => both(f),
            AnyFigure::Scatter(f) => both(f),
            AnyFigure::Va(f) => both(f),
        }
    }
}

/// A figure with where it goes and what the page says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedFigure {
    /// Path relative to the report folder, without extension.
    pub stem: String,
    pub caption: String,
    pub figure: AnyFigure,
}

/// Configurations of a group ordered best first by the mean of `metric`
/// (ties and missing values keep group order).
pub fn ranked(group: &Group, metric: &str) -> Vec<usize> {
    let dir = direction_of(metric);
    let mut idx: Vec<usize> = (0..group.configs.len())
        .filter(|&i| group.configs[i].series(Split::Test, metric).is_some())
        .collect();
    idx.sort_by(|&a, &b| {
        order_by(
            dir,
            mean_of(&group.configs[a], Split::Test, metric),
            mean_of(&group.configs[b], Split::Test, metric),
        )
        .then(a.cmp(&b))
    });
    idx
}

/// The headline metric per configuration with 95 % t-intervals, best first,
/// at most `max_rows` rows (the baseline is always kept).
pub fn ci_figure(
    group: &Group,
    metric: &str,
    baseline: Option<usize>,
    max_rows: usize,
) -> Option<PlannedFigure> {
    let order = ranked(group, metric);
    if order.is_empty() {
        return None;
    }
    let mut shown: Vec<usize> = order.iter().copied().take(max_rows.max(1)).collect();
    if let Some(b) = baseline
        && !shown.contains(&b)
        && order.contains(&b)
    {
        shown.push(b);
    }
    let label = metric_label(metric, group_classes(group));
    let points: Vec<CiPoint> = shown
        .iter()
        .map(|&i| {
            let c = &group.configs[i];
            let s = Summary::of(&c.values_of(Split::Test, metric));
            CiPoint {
                label: c.key.label(),
                mean: s.mean,
                interval: s.ci95,
                highlight: baseline == Some(i),
            }
        })
        .collect();
    let truncated = shown.len() < order.len();
    let title = format!(
        "{label} per configuration: {}{}",
        group.title(),
        if truncated {
            format!(" (best {} of {})", max_rows, order.len())
        } else {
            String::new()
        }
    );
    let reference = baseline.map(|b| mean_of(&group.configs[b], Split::Test, metric));
    Some(PlannedFigure {
        stem: format!(
            "figures/{}-{}-ci",
            group.slug(),
            super::model::slugify(metric)
        ),
        caption: format!(
            "{label} on the test folds of each configuration ({}): mean (dot) and 95 % Student-t \
             interval of the mean (bar), best first{}.",
            shape_text(group),
            if baseline.is_some() {
                "; the baseline in orange with a dashed line at its mean"
            } else {
                ""
            }
        ),
        figure: AnyFigure::Ci(CiChart {
            title,
            axis: format!("{label} (test folds; mean and 95 % CI)"),
            points,
            highlight_label: baseline
                .map(|b| format!("baseline ({})", group.configs[b].key.label()))
                .unwrap_or_default(),
            reference,
        }),
    })
}

/// The critical-difference diagram of the best `max_k` configurations by
/// mean (Nemenyi tables cover at most 20).
pub fn cd_figure(group: &Group, metric: &str, max_k: usize, alpha: f64) -> Option<PlannedFigure> {
    let order = ranked(group, metric);
    if order.len() < 3 {
        return None;
    }
    let subset: Vec<usize> = order.iter().copied().take(max_k.clamp(3, 20)).collect();
    let f = friedman_for(group, Split::Test, metric, &subset, alpha);
    let (Some(r), Some(cd)) = (f.result, f.cd) else {
        return None;
    };
    if f.ranks.len() != f.configs.len() {
        return None;
    }
    let label = metric_label(metric, group_classes(group));
    let subset_note = if subset.len() < order.len() {
        format!(
            "; the best {} of {} configurations by mean",
            subset.len(),
            order.len()
        )
    } else {
        String::new()
    };
    Some(PlannedFigure {
        stem: format!(
            "figures/{}-{}-cd",
            group.slug(),
            super::model::slugify(metric)
        ),
        caption: format!(
            "Critical-difference diagram (Demšar 2006) of {label}: average rank of each \
             configuration over {} shared folds × seeds (1 = best); configurations joined by a \
             bar are not significantly different (Nemenyi, α = {alpha}){subset_note}.",
            f.n_blocks
        ),
        figure: AnyFigure::Cd(CdDiagram {
            title: format!("Critical difference, {label}: {}", group.title()),
            names: f
                .configs
                .iter()
                .map(|&i| group.configs[i].key.label())
                .collect(),
            ranks: f.ranks.clone(),
            cd,
            cliques: f.cliques.clone(),
            note: format!(
                "Friedman χ²({}) = {:.2}, p = {}; {} blocks (folds × seeds); Nemenyi α = {alpha}{subset_note}",
                r.df,
                r.statistic,
                p_text(r.p_value),
                f.n_blocks
            ),
        }),
    })
}

fn predictions_of<'a>(c: &Config, detail: &'a Detail) -> Vec<&'a PredictionRow> {
    c.trials
        .iter()
        .filter_map(|id| detail.predictions.get(id))
        .flatten()
        .collect()
}

/// Row-normalised confusion matrix of a configuration's test predictions,
/// pooled over folds and seeds.
pub fn confusion_figure(group: &Group, c: &Config, detail: &Detail) -> Option<PlannedFigure> {
    let classes = c.classes.as_ref()?;
    let k = classes.len();
    let mut counts = vec![vec![0u64; k]; k];
    let mut n = 0u64;
    for p in predictions_of(c, detail)
        .into_iter()
        .filter(|p| p.target == "class")
    {
        let (a, b) = (p.y_true, p.y_pred);
        if a >= 0.0 && b >= 0.0 && (a as usize) < k && (b as usize) < k {
            counts[a as usize][b as usize] += 1;
            n += 1;
        }
    }
    if n == 0 {
        return None;
    }
    let values: Vec<Vec<f64>> = counts
        .iter()
        .map(|row| {
            let total: u64 = row.iter().sum();
            row.iter()
                .map(|&v| {
                    if total == 0 {
                        f64::NAN
                    } else {
                        v as f64 / total as f64
                    }
                })
                .collect()
        })
        .collect();
    Some(PlannedFigure {
        stem: format!("figures/{}-{}-confusion", group.slug(), c.key.slug()),
        caption: format!(
            "Confusion matrix of {} ({}), normalised per true class (rows sum to 1), pooled over \
             the {n} test predictions of all folds and seeds; grey rows had no test track.",
            c.key.label(),
            group.title()
        ),
        figure: AnyFigure::Heatmap(Heatmap {
            title: format!("Confusion matrix: {}", c.key.label()),
            row_axis: "true class".into(),
            col_axis: "predicted class".into(),
            rows: classes.clone(),
            cols: classes.clone(),
            values,
            scale: ColorScale::Sequential { lo: 0.0, hi: 1.0 },
            annotate: (k <= 16).then_some(2),
            colorbar: "proportion of the true class".into(),
            note: format!(
                "{}; {n} test predictions over {} fold(s) × {} seed(s)",
                group.title(),
                c.folds(),
                c.seeds.len()
            ),
        }),
    })
}

/// Train/validation curves per epoch of a configuration: `loss` first, then
/// `headline`, then any other metric (three panels at most).
pub fn curves_figure(
    group: &Group,
    c: &Config,
    detail: &Detail,
    headline: &str,
) -> Option<PlannedFigure> {
    // (metric, split) -> epoch -> values over seeds x folds
    let mut acc: BTreeMap<(String, Split), BTreeMap<i64, Vec<f64>>> = BTreeMap::new();
    for id in &c.trials {
        for m in detail.epochs.get(id).into_iter().flatten() {
            if let Some(e) = m.epoch {
                acc.entry((m.name.clone(), m.split))
                    .or_default()
                    .entry(e)
                    .or_default()
                    .push(m.value);
            }
        }
    }
    if acc.is_empty() {
        return None;
    }
    let mut names: Vec<String> = acc.keys().map(|(n, _)| n.clone()).collect();
    names.dedup();
    names.sort_by_key(|n| {
        (
            if n == "loss" {
                0
            } else if n == headline {
                1
            } else {
                2
            },
            n.clone(),
        )
    });
    names.dedup();
    names.truncate(3);
    let classes = c.classes.as_deref();
    let panels: Vec<Panel> = names
        .iter()
        .map(|name| {
            let series = [Split::Train, Split::Validation, Split::Test]
                .into_iter()
                .enumerate()
                .filter_map(|(color, split)| {
                    let by_epoch = acc.get(&(name.clone(), split))?;
                    let points = by_epoch
                        .iter()
                        .map(|(e, v)| {
                            let s = Summary::of(v);
                            SeriesPoint {
                                x: *e as f64,
                                y: s.mean,
                                band: (s.n >= 2).then_some((s.mean - s.std, s.mean + s.std)),
                            }
                        })
                        .collect();
                    Some(Series {
                        name: split.as_str().to_string(),
                        color,
                        points,
                    })
                })
                .collect();
            Panel {
                title: metric_label(name, classes),
                y_axis: metric_label(name, classes),
                series,
            }
        })
        .collect();
    Some(PlannedFigure {
        stem: format!("figures/{}-{}-curves", group.slug(), c.key.slug()),
        caption: format!(
            "Learning curves of {} ({}): per epoch, the mean over folds × seeds (line) ± one \
             standard deviation (band); folds that stopped early leave the later epochs.",
            c.key.label(),
            group.title()
        ),
        figure: AnyFigure::Curves(LearningCurves {
            title: format!("Learning curves: {}", c.key.label()),
            x_axis: "epoch".into(),
            panels,
            note: format!(
                "{}; mean over {} fold(s) × {} seed(s); band: ± 1 standard deviation",
                group.title(),
                c.folds(),
                c.seeds.len()
            ),
        }),
    })
}

/// The gated-fusion weight `alpha` of each test track (stored as the
/// prediction's `extra` `{"alpha": a}`), per true class (classification) or
/// over all tracks (regression).
pub fn alpha_figure(group: &Group, c: &Config, detail: &Detail) -> Option<PlannedFigure> {
    let alpha_of = |p: &PredictionRow| -> Option<f64> { p.extra.as_ref()?.get("alpha")?.as_f64() };
    let preds = predictions_of(c, detail);
    let (categories, values): (Vec<String>, Vec<Vec<f64>>) = match &c.classes {
        Some(classes) => {
            let mut v = vec![Vec::new(); classes.len()];
            for p in preds.iter().filter(|p| p.target == "class") {
                if let (Some(a), true) = (alpha_of(p), p.y_true >= 0.0)
                    && let Some(slot) = v.get_mut(p.y_true as usize)
                {
                    slot.push(a);
                }
            }
            (classes.clone(), v)
        }
        None => {
            // One value per track: regression stores a row per target with
            // the same alpha; keep the first target's.
            let first = preds.first().map(|p| p.target.clone())?;
            let v: Vec<f64> = preds
                .iter()
                .filter(|p| p.target == first)
                .filter_map(|p| alpha_of(p))
                .collect();
            (vec!["all test tracks".to_string()], vec![v])
        }
    };
    let n: usize = values.iter().map(|v| v.len()).sum();
    if n == 0 {
        return None;
    }
    Some(PlannedFigure {
        stem: format!("figures/{}-{}-alpha", group.slug(), c.key.slug()),
        caption: format!(
            "Gated fusion of {} ({}): the weight α given to the lyrics branch for each of {n} \
             test tracks (F = α·T + (1 − α)·A), by true class. Box: quartiles; line: median; \
             diamond: mean; whiskers: 1.5 IQR.",
            c.key.label(),
            group.title()
        ),
        figure: AnyFigure::Boxes(BoxChart {
            title: format!("Gated fusion weight α per class: {}", c.key.label()),
            x_axis: if c.classes.is_some() {
                "true class".into()
            } else {
                String::new()
            },
            y_axis: "α (0 = audio only, 1 = lyrics only)".into(),
            categories,
            values,
            y_range: Some((0.0, 1.0)),
        }),
    })
}
