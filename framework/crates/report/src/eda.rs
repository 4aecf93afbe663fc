//! Exploratory data analysis of a dataset, rendered from in-memory inputs:
//! class distribution, feature correlations, class-centroid distances per
//! modality (the "quiet emotion" measurement of seed study S0: Q3 and Q4
//! are close in audio and far apart in lyrics), top keywords per class, PCA
//! projections of the audio and text features, and the valence-arousal
//! plane with the label regions.
//!
//! Owns the numbers and figures; leaves loading data and extracting features
//! to the caller (`mer eda` in the binary). Every computation is a pure
//! function; [`write_eda`] is the only I/O.

use std::fmt::Write as _;
use std::path::Path;

use super::figures::{AnyFigure, PlannedFigure};
use super::html::{PageHeader, Section};
use super::layout::{Cell, Row, Table};
use super::pca::{PcaError, pca, standardize};
use super::plot::{BarChart, ColorScale, HBarPanels, Heatmap, Regions, ScatterChart, VaScatter};
use super::{ReportError, ReportFiles};

/// Features of one modality: a name per column and a row per track, in the
/// track order of [`EdaInput::labels`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityFeatures {
    /// `"audio"`, `"lyrics"`, ...
    pub modality: String,
    pub names: Vec<String>,
    /// `[n_tracks][n_features]`; an empty row is a track without this
    /// modality (no lyrics, undecodable audio), left out of its views.
    pub rows: Vec<Vec<f64>>,
}

impl ModalityFeatures {
    /// The rows of the tracks that have this modality, and their labels.
    pub fn present(&self, labels: &[Option<usize>]) -> (Vec<Vec<f64>>, Vec<Option<usize>>) {
        self.rows
            .iter()
            .zip(labels)
            .filter(|(r, _)| !r.is_empty())
            .map(|(r, l)| (r.clone(), *l))
            .unzip()
    }
}

/// Tracks in the valence-arousal plane with the regions that label them.
#[derive(Debug, Clone, PartialEq)]
pub struct VaInput {
    /// `(valence, arousal)` per track, in track order; NaN for a track
    /// without them.
    pub points: Vec<(f64, f64)>,
    pub regions: Regions,
    pub valence_range: Option<(f64, f64)>,
    pub arousal_range: Option<(f64, f64)>,
    /// What the regions are, for the title (e.g. "2 × 2 grid").
    pub scheme: String,
}

/// Everything EDA shows.
#[derive(Debug, Clone, PartialEq)]
pub struct EdaInput {
    /// Dataset name for titles.
    pub dataset: String,
    pub classes: Vec<String>,
    /// Class of each track (`None`: unlabelled, left out of per-class views).
    pub labels: Vec<Option<usize>>,
    /// Feature matrices (audio, lyrics, ...), each with a row per track.
    pub features: Vec<ModalityFeatures>,
    /// Top keywords per class: `(word, score)` best first (empty: none).
    pub keywords: Vec<Vec<(String, f64)>>,
    /// What the keyword scores are, for the table's legend.
    pub keyword_method: String,
    /// The keyword score's axis label (e.g. "log-odds z-score").
    pub keyword_score: String,
    /// Also project each modality with t-SNE (seconds for hundreds of
    /// tracks; at most [`TSNE_MAX_TRACKS`] are drawn).
    pub tsne: bool,
    /// Lines for the page header (e.g. the oracle ceiling of synthetic
    /// data).
    pub notes: Vec<String>,
    /// The valence-arousal plane, when the dataset has it.
    pub va: Option<VaInput>,
}

/// Most features drawn in a correlation heatmap (the most variable ones).
pub const MAX_HEATMAP_FEATURES: usize = 60;
/// Most tracks in a t-SNE projection (exact t-SNE is quadratic); above
/// it an evenly spaced subset is drawn.
pub const TSNE_MAX_TRACKS: usize = 1000;
/// Perplexity of the t-SNE projections (scikit-learn's default).
pub const TSNE_PERPLEXITY: f64 = 30.0;
/// Dimensions kept by PCA before t-SNE.
pub const TSNE_PCA_DIMS: usize = 50;
/// Keywords shown per class.
pub const KEYWORDS_SHOWN: usize = 10;

/// Tracks per class.
pub fn class_counts(labels: &[Option<usize>], n_classes: usize) -> Vec<usize> {
    let mut c = vec![0; n_classes];
    for l in labels.iter().flatten() {
        if let Some(x) = c.get_mut(*l) {
            *x += 1;
        }
    }
    c
}

/// Pearson correlation of the columns of `rows` (`[n][d]` -> `[d][d]`); a
/// constant column correlates NaN with everything (numpy's `corrcoef`).
pub fn correlation(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = rows.len() as f64;
    let d = rows.first().map_or(0, |r| r.len());
    let mean: Vec<f64> = (0..d)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let mut cov = vec![vec![0.0; d]; d];
    for r in rows {
        for i in 0..d {
            let a = r[i] - mean[i];
            for j in i..d {
                cov[i][j] += a * (r[j] - mean[j]);
            }
        }
    }
    let mut out = vec![vec![0.0; d]; d];
    for i in 0..d {
        for j in i..d {
            let c = cov[i][j] / (cov[i][i] * cov[j][j]).sqrt();
            out[i][j] = if i == j && c.is_finite() { 1.0 } else { c };
            out[j][i] = out[i][j];
        }
    }
    out
}

/// Class centroids of z-scored features and the Euclidean distances between
/// them (`[k][k]`); a class with no track has NaN distances. Features are
/// z-scored over the labelled tracks so that no feature dominates by scale.
pub fn centroid_distances(rows: &[Vec<f64>], labels: &[Option<usize>], k: usize) -> Vec<Vec<f64>> {
    let mut labelled: Vec<Vec<f64>> = Vec::new();
    let mut cls: Vec<usize> = Vec::new();
    for (r, l) in rows.iter().zip(labels) {
        if let Some(l) = l.filter(|l| *l < k) {
            labelled.push(r.clone());
            cls.push(l);
        }
    }
    standardize(&mut labelled);
    let d = labelled.first().map_or(0, |r| r.len());
    let mut sums = vec![vec![0.0; d]; k];
    let mut counts = vec![0usize; k];
    for (r, &c) in labelled.iter().zip(&cls) {
        counts[c] += 1;
        for (s, v) in sums[c].iter_mut().zip(r) {
            *s += v;
        }
    }
    let centroids: Vec<Option<Vec<f64>>> = sums
        .into_iter()
        .zip(&counts)
        .map(|(s, &n)| (n > 0).then(|| s.into_iter().map(|v| v / n as f64).collect()))
        .collect();
    (0..k)
        .map(|i| {
            (0..k)
                .map(|j| match (&centroids[i], &centroids[j]) {
                    (Some(a), Some(b)) => a
                        .iter()
                        .zip(b)
                        .map(|(x, y)| (x - y) * (x - y))
                        .sum::<f64>()
                        .sqrt(),
                    _ => f64::NAN,
                })
                .collect()
        })
        .collect()
}

/// Distances divided by the mean distance between distinct classes, so that
/// modalities with different numbers of features compare: 1 is an average
/// pair, 0.5 a pair half as far apart as usual.
pub fn relative(distances: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = distances.len();
    let off: Vec<f64> = (0..k)
        .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| distances[i][j])
        .filter(|v| v.is_finite())
        .collect();
    let mean = off.iter().sum::<f64>() / off.len().max(1) as f64;
    distances
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| if mean > 0.0 { v / mean } else { f64::NAN })
                .collect()
        })
        .collect()
}

/// Indices of the `max` columns with the largest variance, in column order.
pub fn most_variable(rows: &[Vec<f64>], max: usize) -> Vec<usize> {
    let d = rows.first().map_or(0, |r| r.len());
    if d <= max {
        return (0..d).collect();
    }
    let n = rows.len().max(1) as f64;
    let var: Vec<f64> = (0..d)
        .map(|j| {
            let m = rows.iter().map(|r| r[j]).sum::<f64>() / n;
            rows.iter().map(|r| (r[j] - m) * (r[j] - m)).sum::<f64>() / n
        })
        .collect();
    let mut idx: Vec<usize> = (0..d).collect();
    idx.sort_by(|&a, &b| var[b].total_cmp(&var[a]).then(a.cmp(&b)));
    idx.truncate(max);
    idx.sort_unstable();
    idx
}

fn slug(s: &str) -> String {
    super::model::slugify(s)
}

/// The EDA figures and tables, planned (pure): class distribution, feature
/// correlation, class-centroid distances, keywords, PCA and t-SNE
/// projections, and the valence-arousal plane, each where the input has
/// what it needs.
pub fn plan(input: &EdaInput) -> Result<Vec<Section>, PcaError> {
    let views = modality_views(input)?;
    let mut sections = vec![class_section(input)];
    sections.extend(figure_section(
        "correlation",
        "Feature correlation",
        Vec::new(),
        views.correlation,
    ));
    sections.extend(centroid_section(input));
    sections.extend(keyword_section(input));
    sections.extend(figure_section(
        "pca",
        "2-D projections (PCA)",
        views.pca_notes,
        views.pca,
    ));
    sections.extend(figure_section(
        "tsne",
        "2-D projections (t-SNE)",
        Vec::new(),
        views.tsne,
    ));
    sections.extend(va_section(input));
    Ok(sections)
}

/// A section of figures only; none when there is no figure.
fn figure_section(
    id: &str,
    title: &str,
    intro: Vec<String>,
    figures: Vec<PlannedFigure>,
) -> Option<Section> {
    (!figures.is_empty()).then(|| Section {
        id: id.into(),
        title: title.into(),
        intro,
        tables: Vec::new(),
        figures,
    })
}

/// The figures drawn per modality.
#[derive(Default)]
struct ModalityViews {
    correlation: Vec<PlannedFigure>,
    pca: Vec<PlannedFigure>,
    pca_notes: Vec<String>,
    tsne: Vec<PlannedFigure>,
}

/// Correlation heatmaps, PCA and t-SNE projections of every modality.
fn modality_views(input: &EdaInput) -> Result<ModalityViews, PcaError> {
    let k = input.classes.len();
    let mut views = ModalityViews::default();
    for fm in &input.features {
        let (rows, labels) = fm.present(&input.labels);
        if rows.is_empty() || fm.names.is_empty() {
            continue;
        }
        views.correlation.push(correlation_figure(fm, &rows));
        // Projections of the z-scored labelled tracks.
        let mut z: Vec<Vec<f64>> = Vec::new();
        let mut groups: Vec<usize> = Vec::new();
        for (r, l) in rows.iter().zip(&labels) {
            if let Some(l) = l.filter(|l| *l < k) {
                z.push(r.clone());
                groups.push(l);
            }
        }
        if z.len() >= 3 && fm.names.len() >= 2 {
            standardize(&mut z);
            let (figure, note) = pca_figure(input, fm, &z, &groups)?;
            views.pca.push(figure);
            views.pca_notes.push(note);
            if input.tsne && z.len() >= 10 {
                views.tsne.push(tsne_figure(input, fm, &z, &groups)?);
            }
        }
    }
    Ok(views)
}

/// Tracks per class: a table and a bar chart.
fn class_section(input: &EdaInput) -> Section {
    let k = input.classes.len();
    let counts = class_counts(&input.labels, k);
    let unlabelled = input.labels.iter().filter(|l| l.is_none()).count();
    let total: usize = counts.iter().sum();
    let mut t = Table {
        id: "eda-classes".into(),
        title: format!("Tracks per class: {}", input.dataset),
        stub: vec!["class".into()],
        columns: vec!["tracks".into(), "share".into()],
        spans: Vec::new(),
        rows: Vec::new(),
        legend: Vec::new(),
    };
    for (c, n) in input.classes.iter().zip(&counts) {
        t.rows.push(Row {
            stub: vec![c.clone()],
            cells: vec![
                count_cell(*n as f64, 0),
                count_cell(*n as f64 / total.max(1) as f64, 3),
            ],
        });
    }
    t.legend.push(format!(
        "{total} labelled track(s){}.",
        if unlabelled > 0 {
            format!("; {unlabelled} without a label are left out of the per-class views")
        } else {
            String::new()
        }
    ));
    Section {
        id: "classes".into(),
        title: "Class distribution".into(),
        intro: Vec::new(),
        tables: vec![t],
        figures: vec![PlannedFigure {
            stem: "figures/class-distribution".into(),
            caption: format!(
                "Number of tracks per class in {} ({total} labelled).",
                input.dataset
            ),
            figure: AnyFigure::Bars(BarChart {
                title: format!("Class distribution: {}", input.dataset),
                x_axis: "class".into(),
                y_axis: "tracks".into(),
                categories: input.classes.clone(),
                values: counts.iter().map(|&c| c as f64).collect(),
                decimals: 0,
            }),
        }],
    }
}

/// Pearson correlation of one modality's features (the most variable
/// ones), over the tracks that have it.
fn correlation_figure(fm: &ModalityFeatures, rows: &[Vec<f64>]) -> PlannedFigure {
    let keep = most_variable(rows, MAX_HEATMAP_FEATURES);
    let sub: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| keep.iter().map(|&j| r[j]).collect())
        .collect();
    let names: Vec<String> = keep.iter().map(|&j| fm.names[j].clone()).collect();
    let shown = if keep.len() < fm.names.len() {
        format!(
            "the {} most variable of {} features",
            keep.len(),
            fm.names.len()
        )
    } else {
        format!("all {} features", fm.names.len())
    };
    PlannedFigure {
        stem: format!("figures/correlation-{}", slug(&fm.modality)),
        caption: format!(
            "Pearson correlation between the {} features ({shown}) over {} tracks.",
            fm.modality,
            rows.len()
        ),
        figure: AnyFigure::Heatmap(Heatmap {
            title: format!("Feature correlation: {}", fm.modality),
            row_axis: "feature".into(),
            col_axis: "feature".into(),
            rows: names.clone(),
            cols: names,
            values: correlation(&sub),
            scale: ColorScale::Diverging { limit: 1.0 },
            annotate: (keep.len() <= 12).then_some(2),
            colorbar: "Pearson r".into(),
            note: format!("{shown}; {} tracks", rows.len()),
        }),
    }
}

/// PCA of one modality's z-scored labelled rows, coloured by class, and a
/// line on the variance the two components explain.
fn pca_figure(
    input: &EdaInput,
    fm: &ModalityFeatures,
    z: &[Vec<f64>],
    groups: &[usize],
) -> Result<(PlannedFigure, String), PcaError> {
    let p = pca(z, 2)?;
    let proj = p.transform(z);
    let note = format!(
        "{}: PC1 and PC2 explain {:.1} % and {:.1} % of the variance of the z-scored features.",
        fm.modality,
        100.0 * p.explained_variance_ratio[0],
        100.0 * p.explained_variance_ratio[1]
    );
    let figure = PlannedFigure {
        stem: format!("figures/pca-{}", slug(&fm.modality)),
        caption: format!(
            "PCA of the z-scored {} features ({} features, {} labelled tracks), coloured by class.",
            fm.modality,
            fm.names.len(),
            z.len()
        ),
        figure: AnyFigure::Scatter(ScatterChart {
            title: format!("PCA projection: {} features", fm.modality),
            x_axis: format!(
                "PC1 ({:.1} % of variance)",
                100.0 * p.explained_variance_ratio[0]
            ),
            y_axis: format!(
                "PC2 ({:.1} % of variance)",
                100.0 * p.explained_variance_ratio[1]
            ),
            points: proj.iter().map(|r| (r[0], r[1])).collect(),
            group_of: groups.to_vec(),
            groups: input.classes.clone(),
            legend: "class".into(),
            annotations: Vec::new(),
            diagonal: false,
        }),
    };
    Ok((figure, note))
}

/// t-SNE of one modality's z-scored labelled rows (at most
/// [`TSNE_MAX_TRACKS`], evenly spaced), coloured by class.
fn tsne_figure(
    input: &EdaInput,
    fm: &ModalityFeatures,
    z: &[Vec<f64>],
    groups: &[usize],
) -> Result<PlannedFigure, PcaError> {
    let step = z.len().div_ceil(TSNE_MAX_TRACKS);
    let keep: Vec<usize> = (0..z.len()).step_by(step).collect();
    let sub: Vec<Vec<f64>> = keep.iter().map(|&i| z[i].clone()).collect();
    let dims = TSNE_PCA_DIMS.min(fm.names.len()).min(sub.len() - 1);
    let reduced = if dims < fm.names.len() {
        pca(&sub, dims)?.transform(&sub)
    } else {
        sub
    };
    let (y, kl) = super::tsne::tsne(&reduced, TSNE_PERPLEXITY, 0);
    Ok(PlannedFigure {
        stem: format!("figures/tsne-{}", slug(&fm.modality)),
        caption: format!(
            "t-SNE of the z-scored {} features ({}, perplexity {}, \
         {} iterations, KL divergence {kl:.3}) for {} labelled tracks{}, coloured by class. \
         Distances between clusters are not meaningful in t-SNE; neighbourhoods are.",
            fm.modality,
            if dims < fm.names.len() {
                format!("first {dims} principal components")
            } else {
                format!("all {dims} features")
            },
            TSNE_PERPLEXITY.min((keep.len() - 1) as f64 / 3.0),
            super::tsne::ITERATIONS,
            keep.len(),
            if step > 1 {
                format!(" (every {step}th of {})", z.len())
            } else {
                String::new()
            }
        ),
        figure: AnyFigure::Scatter(ScatterChart {
            title: format!("t-SNE projection: {} features", fm.modality),
            x_axis: "t-SNE 1".into(),
            y_axis: "t-SNE 2".into(),
            points: y.iter().map(|r| (r[0], r[1])).collect(),
            group_of: keep.iter().map(|&i| groups[i]).collect(),
            groups: input.classes.clone(),
            legend: "class".into(),
            annotations: Vec::new(),
            diagonal: false,
        }),
    })
}

/// Distances between class centroids per modality: a heatmap each, a
/// table of every pair, and (two modalities) which separates each pair
/// better.
fn centroid_section(input: &EdaInput) -> Option<Section> {
    let k = input.classes.len();
    if k < 2 || input.features.is_empty() {
        return None;
    }
    let mut figs = Vec::new();
    // (modality, distances [k][k], relative distances [k][k])
    type PerModality = (String, Vec<Vec<f64>>, Vec<Vec<f64>>);
    let mut per_mod: Vec<PerModality> = Vec::new();
    for fm in input.features.iter() {
        let (rows, labels) = fm.present(&input.labels);
        if rows.is_empty() {
            continue;
        }
        let d = centroid_distances(&rows, &labels, k);
        let r = relative(&d);
        figs.push(PlannedFigure {
            stem: format!("figures/centroids-{}", slug(&fm.modality)),
            caption: format!(
                "Euclidean distance between class centroids of the z-scored {} features; \
                 small values mean the classes are hard to separate with this modality.",
                fm.modality
            ),
            figure: AnyFigure::Heatmap(Heatmap {
                title: format!("Class-centroid distances: {}", fm.modality),
                row_axis: "class".into(),
                col_axis: "class".into(),
                rows: input.classes.clone(),
                cols: input.classes.clone(),
                values: d.clone(),
                scale: ColorScale::Sequential {
                    lo: 0.0,
                    hi: d
                        .iter()
                        .flatten()
                        .copied()
                        .filter(|v| v.is_finite())
                        .fold(0.0, f64::max)
                        .max(1e-12),
                },
                annotate: (k <= 16).then_some(2),
                colorbar: "distance (z-scored features)".into(),
                note: format!("{} features", fm.names.len()),
            }),
        });
        per_mod.push((fm.modality.clone(), d, r));
    }
    let mut t = Table {
        id: "eda-centroids".into(),
        title: "Distances between class centroids per modality".into(),
        stub: vec!["class pair".into()],
        columns: Vec::new(),
        spans: per_mod.iter().map(|(m, _, _)| (m.clone(), 2)).collect(),
        rows: Vec::new(),
        legend: vec![
            "Euclidean distance between the centroids of two classes in the z-scored features, and relative to the modality's mean distance between classes (1 = an average pair). A pair that is close in one modality and far in another (e.g. Q3 sad and Q4 calm: close in audio, apart in lyrics) is where fusion helps.".into(),
        ],
    };
    for _ in &per_mod {
        t.columns.push("distance".into());
        t.columns.push("relative".into());
    }
    let mut pairs = Vec::new();
    for i in 0..k {
        for j in (i + 1)..k {
            pairs.push((i, j));
            let mut cells = Vec::new();
            for (_, d, r) in &per_mod {
                cells.push(count_cell(d[i][j], 3));
                cells.push(count_cell(r[i][j], 3));
            }
            t.rows.push(Row {
                stub: vec![format!("{} – {}", input.classes[i], input.classes[j])],
                cells,
            });
        }
    }
    let mut intro = Vec::new();
    for (m, _, r) in &per_mod {
        if let Some(&(i, j)) = pairs
            .iter()
            .filter(|(i, j)| r[*i][*j].is_finite())
            .min_by(|a, b| r[a.0][a.1].total_cmp(&r[b.0][b.1]))
        {
            let mut s = format!(
                "Closest pair in {m}: {} – {} (relative distance {:.2})",
                input.classes[i], input.classes[j], r[i][j]
            );
            for (m2, _, r2) in per_mod.iter().filter(|(m2, _, _)| m2 != m) {
                let _ = write!(s, "; in {m2} {:.2}", r2[i][j]);
            }
            s.push('.');
            intro.push(s);
        }
    }
    if per_mod.len() >= 2 {
        let (ma, _, ra) = &per_mod[0];
        let (mb, _, rb) = &per_mod[1];
        let closest = pairs
            .iter()
            .filter(|(i, j)| ra[*i][*j].is_finite())
            .min_by(|a, b| ra[a.0][a.1].total_cmp(&ra[b.0][b.1]))
            .copied();
        figs.push(PlannedFigure {
            stem: "figures/centroids-by-modality".into(),
            caption: format!(
                "Relative class-centroid distance of each class pair in {ma} (x) and {mb} (y). \
                 Pairs above the diagonal are better separated by {mb}, below by {ma}."
            ),
            figure: AnyFigure::Scatter(ScatterChart {
                title: format!("Class-pair separation: {ma} vs {mb}"),
                x_axis: format!("{ma}: relative centroid distance"),
                y_axis: format!("{mb}: relative centroid distance"),
                points: pairs.iter().map(|&(i, j)| (ra[i][j], rb[i][j])).collect(),
                group_of: pairs
                    .iter()
                    .map(|p| usize::from(Some(*p) != closest))
                    .collect(),
                groups: vec![format!("closest in {ma}"), "other pairs".into()],
                legend: "class pair".into(),
                annotations: pairs
                    .iter()
                    .map(|&(i, j)| {
                        format!("{}–{}", short(&input.classes[i]), short(&input.classes[j]))
                    })
                    .collect(),
                diagonal: true,
            }),
        });
    }
    Some(Section {
        id: "centroids".into(),
        title: "Class-centroid distances per modality".into(),
        intro,
        tables: vec![t],
        figures: figs,
    })
}

/// The top lyrics keywords of each class: a table and bar panels.
fn keyword_section(input: &EdaInput) -> Option<Section> {
    if !input.keywords.iter().any(|k| !k.is_empty()) {
        return None;
    }
    let panels: Vec<(String, Vec<(String, f64)>)> = input
        .classes
        .iter()
        .zip(&input.keywords)
        .map(|(c, kw)| (c.clone(), kw.iter().take(KEYWORDS_SHOWN).cloned().collect()))
        .collect();
    let mut t = Table {
        id: "eda-keywords".into(),
        title: "Top lyrics keywords per class".into(),
        stub: vec!["class".into(), "keywords (score)".into()],
        columns: Vec::new(),
        spans: Vec::new(),
        rows: Vec::new(),
        legend: vec![input.keyword_method.clone()],
    };
    for (c, kw) in &panels {
        t.rows.push(Row {
            stub: vec![
                c.clone(),
                kw.iter()
                    .map(|(w, s)| format!("{w} ({s:.3})"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ],
            cells: Vec::new(),
        });
    }
    Some(Section {
        id: "keywords".into(),
        title: "Top keywords per class".into(),
        intro: Vec::new(),
        tables: vec![t],
        figures: vec![PlannedFigure {
            stem: "figures/keywords".into(),
            caption: format!("The {KEYWORDS_SHOWN} highest-scoring lyrics words of each class."),
            figure: AnyFigure::HBars(HBarPanels {
                title: format!("Top lyrics keywords per class: {}", input.dataset),
                x_axis: input.keyword_score.clone(),
                panels,
            }),
        }],
    })
}

/// The labelled tracks in the valence-arousal plane over the scheme's
/// regions.
fn va_section(input: &EdaInput) -> Option<Section> {
    let k = input.classes.len();
    let va = input.va.as_ref()?;
    let (points, labels): (Vec<(f64, f64)>, Vec<usize>) = va
        .points
        .iter()
        .zip(&input.labels)
        .filter(|(p, _)| p.0.is_finite() && p.1.is_finite())
        .filter_map(|(p, l)| l.filter(|l| *l < k).map(|l| (*p, l)))
        .unzip();
    if points.is_empty() {
        return None;
    }
    Some(Section {
        id: "va".into(),
        title: "Valence-arousal plane".into(),
        intro: Vec::new(),
        tables: Vec::new(),
        figures: vec![PlannedFigure {
            stem: "figures/valence-arousal".into(),
            caption: format!(
                "{} labelled tracks in the valence-arousal plane, coloured by their class; the regions of the {} are drawn underneath.",
                points.len(),
                va.scheme
            ),
            figure: AnyFigure::Va(VaScatter {
                title: format!("Valence-arousal plane: {}", va.scheme),
                points,
                labels,
                classes: input.classes.clone(),
                regions: va.regions.clone(),
                valence_range: va.valence_range,
                arousal_range: va.arousal_range,
            }),
        }],
    })
}

/// A class name's first word ("Q3 sad" or "Q3_sad" -> "Q3"), for dense
/// annotations.
fn short(c: &str) -> &str {
    c.split([' ', '_'])
        .next()
        .filter(|w| !w.is_empty())
        .unwrap_or(c)
}

fn count_cell(v: f64, decimals: usize) -> Cell {
    Cell::number(v, decimals)
}

/// Writes the EDA of `input` into `out_dir`: `index.html`, `eda.md` and
/// `figures/*.svg|png`.
pub fn write_eda(input: &EdaInput, out_dir: &Path) -> Result<ReportFiles, ReportError> {
    let sections = plan(input)?;
    let header = PageHeader {
        title: format!("EDA: {}", input.dataset),
        description: String::new(),
        facts: vec![format!(
            "{} track(s), {} class(es); feature sets: {}.",
            input.labels.len(),
            input.classes.len(),
            input
                .features
                .iter()
                .map(|f| format!("{} ({} features)", f.modality, f.names.len()))
                .collect::<Vec<_>>()
                .join(", ")
        )]
        .into_iter()
        .chain(input.notes.iter().cloned())
        .collect(),
        files: vec![("eda.md".into(), "the tables in Markdown".into())],
    };
    let mut files = vec![(
        "eda.md".to_string(),
        super::html::markdown(&header, &sections).into_bytes(),
    )];
    let widths = |f: &PlannedFigure| super::figure_width(&f.figure);
    files.push((
        "index.html".into(),
        super::html::index_html(&header, &sections, &widths).into_bytes(),
    ));
    let figures: Vec<PlannedFigure> = sections.into_iter().flat_map(|s| s.figures).collect();
    super::write_all(out_dir, files, figures, input.labels.len())
}
