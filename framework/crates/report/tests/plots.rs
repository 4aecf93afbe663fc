//! Every figure type renders to a valid SVG and PNG, deterministically, with
//! the embedded font (no system fonts needed), and draws what it was given.
//!
//! Set `MER_KEEP_FIGURES=DIR` to keep the rendered files for looking at.

use mer_report::plot::{
    self, BarChart, BoxChart, CdDiagram, CiChart, CiPoint, ColorScale, Figure, HBarPanels, Heatmap,
    LearningCurves, Panel, Regions, ScatterChart, Series, SeriesPoint, VaScatter,
};

/// Decodes a PNG into (width, height, RGB bytes).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Renders `fig` both ways, checks the invariants every figure must keep,
/// and returns the decoded PNG pixels.
fn check<F: Figure>(name: &str, fig: &F) -> (u32, u32, Vec<u8>) {
    let svg = plot::to_svg(fig).unwrap();
    let png1 = plot::to_png(fig).unwrap();
    // Deterministic: a second rendering is byte-identical.
    assert_eq!(plot::to_svg(fig).unwrap(), svg, "{name}: SVG differs");
    assert_eq!(plot::to_png(fig).unwrap(), png1, "{name}: PNG differs");
    let (w, h) = fig.size();
    assert!(svg.starts_with("<svg"), "{name}");
    assert!(svg.contains(&format!("width=\"{w}\"")), "{name}");
    // The title is written as text in the SVG (escaped as XML).
    let escaped = fig.title().replace('&', "&amp;").replace('<', "&lt;");
    assert!(svg.contains(&escaped), "{name}: title missing");
    let (pw, ph, px) = decode(&png1);
    assert_eq!((pw, ph), (2 * w, 2 * h), "{name}: PNG is drawn at scale 2");
    // Text was rasterised: the top band (the title) has dark pixels, which
    // only the embedded font can have drawn.
    let title_band = &px[..(pw as usize * 3 * 60)];
    assert!(
        title_band.chunks(3).any(|p| p.iter().all(|&c| c < 80)),
        "{name}: no dark pixels where the title is"
    );
    if let Ok(dir) = std::env::var("MER_KEEP_FIGURES") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.svg"), &svg).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), &png1).unwrap();
    }
    (pw, ph, px)
}

/// The text content of every `<text>` element of an SVG.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|s| {
            let body = &s[s.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

fn pixel(px: &[u8], w: u32, x: u32, y: u32) -> [u8; 3] {
    let i = (y as usize * w as usize + x as usize) * 3;
    [px[i], px[i + 1], px[i + 2]]
}

fn count_color(px: &[u8], c: [u8; 3]) -> usize {
    px.chunks(3).filter(|p| *p == c).count()
}

#[test]
fn ci_chart_draws_one_row_per_configuration_and_the_baseline_in_orange() {
    let fig = CiChart {
        title: "Macro-F1 per configuration (quadrants)".into(),
        axis: "macro-F1 on test folds: mean and 95 % CI over 5 folds × 3 seeds".into(),
        points: vec![
            CiPoint {
                label: "audio / svm".into(),
                mean: 0.71,
                interval: Some((0.66, 0.76)),
                highlight: false,
            },
            CiPoint {
                label: "fusion / logreg".into(),
                mean: 0.64,
                interval: Some((0.60, 0.69)),
                highlight: true,
            },
            CiPoint {
                label: "lyrics / knn, model.knn.k=15".into(),
                mean: 0.41,
                interval: Some((0.35, 0.47)),
                highlight: false,
            },
        ],
        highlight_label: "baseline (fusion / logreg)".into(),
        reference: Some(0.64),
    };
    let (w, _, px) = check("ci_chart", &fig);
    // Orange (the highlight colour, 213 94 0) appears: baseline row and line.
    assert!(count_color(&px, [213, 94, 0]) > 50);
    // Blue markers for the other rows.
    assert!(count_color(&px, [0, 114, 178]) > 50);
    let _ = w;
    let svg = plot::to_svg(&fig).unwrap();
    assert!(svg.contains("0.710 [0.660, 0.760]"), "values are written");
}

#[test]
fn confusion_matrix_heatmap_colours_cells_by_value() {
    let fig = Heatmap {
        title: "Confusion matrix: audio / svm".into(),
        row_axis: "true class".into(),
        col_axis: "predicted class".into(),
        rows: vec!["Q1".into(), "Q2".into(), "Q3".into(), "Q4".into()],
        cols: vec!["Q1".into(), "Q2".into(), "Q3".into(), "Q4".into()],
        values: vec![
            vec![0.9, 0.05, 0.05, 0.0],
            vec![0.1, 0.8, 0.05, 0.05],
            vec![0.0, 0.05, 0.5, 0.45],
            vec![0.0, 0.0, 0.4, 0.6],
        ],
        scale: ColorScale::Sequential { lo: 0.0, hi: 1.0 },
        annotate: Some(2),
        colorbar: "proportion of the true class".into(),
        note: "rows sum to 1; 400 test predictions over 5 folds × 2 seeds".into(),
    };
    let (_, _, px) = check("confusion", &fig);
    let svg = plot::to_svg(&fig).unwrap();
    let texts = svg_texts(&svg);
    for v in ["0.90", "0.45", "0.60", "Q4", "predicted class"] {
        assert!(texts.iter().any(|t| t == v), "{v} is written: {texts:?}");
    }
    // A 0.0 cell is the lightest blue, a 0.9 cell dark.
    assert!(count_color(&px, [247, 251, 255]) > 1000);
}

#[test]
fn correlation_heatmap_of_many_features_has_no_annotations() {
    let n = 37;
    let names: Vec<String> = (0..n)
        .map(|i| {
            if i < 13 {
                format!("mfcc_{}", i + 1)
            } else if i < 25 {
                format!("chroma_{}", i - 12)
            } else {
                format!("contrast_{}", i - 24)
            }
        })
        .collect();
    let values: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if i == j {
                        1.0
                    } else {
                        ((i * 7 + j * 3) % 19) as f64 / 9.5 - 1.0
                    }
                })
                .collect()
        })
        .collect();
    let fig = Heatmap {
        title: "Pearson correlation of the audio features".into(),
        row_axis: "feature".into(),
        col_axis: "feature".into(),
        rows: names.clone(),
        cols: names,
        values,
        scale: ColorScale::Diverging { limit: 1.0 },
        annotate: None,
        colorbar: "Pearson r".into(),
        note: "200 tracks".into(),
    };
    let (_, _, px) = check("correlation", &fig);
    // Both ends of the diverging map are present (diagonal = 1 is dark red).
    assert!(count_color(&px, [103, 0, 31]) > 100);
}

#[test]
fn learning_curves_draw_a_line_per_split() {
    let curve = |base: f64, slope: f64| -> Vec<SeriesPoint> {
        (1..=30)
            .map(|e| {
                let y = base + slope * (1.0 - (-(e as f64) / 8.0).exp());
                SeriesPoint {
                    x: e as f64,
                    y,
                    band: Some((y - 0.03, y + 0.03)),
                }
            })
            .collect()
    };
    let fig = LearningCurves {
        title: "Learning curves: audio / residual_mlp".into(),
        x_axis: "epoch".into(),
        panels: vec![
            Panel {
                title: "loss".into(),
                y_axis: "cross-entropy loss".into(),
                series: vec![
                    Series {
                        name: "train".into(),
                        color: 0,
                        points: curve(1.4, -1.0),
                    },
                    Series {
                        name: "validation".into(),
                        color: 1,
                        points: curve(1.4, -0.7),
                    },
                ],
            },
            Panel {
                title: "macro-F1".into(),
                y_axis: "macro-F1".into(),
                series: vec![
                    Series {
                        name: "train".into(),
                        color: 0,
                        points: curve(0.25, 0.7),
                    },
                    Series {
                        name: "validation".into(),
                        color: 1,
                        points: curve(0.25, 0.45),
                    },
                ],
            },
        ],
        note: "mean over 5 folds × 1 seed; bands: ± 1 standard deviation".into(),
    };
    let (_, _, px) = check("curves", &fig);
    assert!(count_color(&px, [0, 114, 178]) > 200, "train line (blue)");
    assert!(
        count_color(&px, [230, 159, 0]) > 200,
        "validation line (orange)"
    );
}

#[test]
fn va_scatter_draws_grid_lines_or_voronoi_regions() {
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for i in 0..240 {
        let a = i as f64 * 0.7;
        let (v, ar) = (a.sin() * 0.8, (a * 1.3).cos() * 0.8);
        points.push((v, ar));
        labels.push(match (v >= 0.0, ar >= 0.0) {
            (true, true) => 0,
            (false, true) => 1,
            (false, false) => 2,
            (true, false) => 3,
        });
    }
    let classes: Vec<String> = ["Q1 happy", "Q2 angry", "Q3 sad", "Q4 calm"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let grid = VaScatter {
        title: "Valence-arousal plane: 2 × 2 grid (quadrants)".into(),
        points: points.clone(),
        labels: labels.clone(),
        classes: classes.clone(),
        regions: Regions::equal_grid(2, (-1.0, 1.0), (-1.0, 1.0)),
        valence_range: Some((-1.0, 1.0)),
        arousal_range: Some((-1.0, 1.0)),
    };
    check("va_grid", &grid);
    let km = VaScatter {
        title: "Valence-arousal plane: k-means (K = 4)".into(),
        regions: Regions::Centroids(vec![(0.5, 0.5), (-0.5, 0.45), (-0.4, -0.5), (0.45, -0.5)]),
        ..grid.clone()
    };
    let (_, _, px) = check("va_kmeans", &km);
    // The Voronoi cells are tinted: a light tint of the first class colour.
    let tint = mer_report::plot::colors::tint(mer_report::plot::colors::category(0), 0.85);
    assert!(count_color(&px, [tint.0, tint.1, tint.2]) > 5000);
}

#[test]
fn cd_diagram_places_every_configuration() {
    let names: Vec<String> = [
        "audio / svm",
        "audio / logreg",
        "fusion / logreg",
        "fusion / svm",
        "lyrics / knn",
        "lyrics / random_forest",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let fig = CdDiagram {
        title: "Critical difference: macro-F1, classification / quadrants".into(),
        names: names.clone(),
        ranks: vec![1.4, 2.1, 2.5, 3.6, 5.2, 6.2],
        cd: 1.9,
        cliques: vec![vec![0, 1, 2], vec![2, 3], vec![3, 4, 5]],
        note: "Friedman χ²(5) = 41.3, p = 8.1e-8; 15 blocks (5 folds × 3 seeds); Nemenyi α = 0.05"
            .into(),
    };
    check("cd", &fig);
    let svg = plot::to_svg(&fig).unwrap();
    for n in &names {
        assert!(svg.contains(n.as_str()), "{n}");
    }
    assert!(svg.contains("CD = 1.90"));
}

#[test]
fn bar_box_and_scatter_charts_render() {
    let bars = BarChart {
        title: "Class distribution".into(),
        x_axis: "class".into(),
        y_axis: "tracks".into(),
        categories: vec!["Q1".into(), "Q2".into(), "Q3".into(), "Q4".into()],
        values: vec![120.0, 80.0, 95.0, 61.0],
        decimals: 0,
    };
    check("bars", &bars);
    let boxes = BoxChart {
        title: "Gated fusion: lyrics weight α per class".into(),
        x_axis: "true class".into(),
        y_axis: "α (0 = audio only, 1 = lyrics only)".into(),
        categories: vec!["Q1".into(), "Q2".into(), "Q3".into(), "Q4".into()],
        values: (0..4)
            .map(|c| {
                (0..50)
                    .map(|i| ((i * 37 + c * 11) % 100) as f64 / 100.0 * 0.5 + 0.1 * c as f64)
                    .collect()
            })
            .collect(),
        y_range: Some((0.0, 1.0)),
    };
    check("alpha", &boxes);
    let scatter = ScatterChart {
        title: "Class-centroid distances: audio vs lyrics".into(),
        x_axis: "audio distance (relative)".into(),
        y_axis: "lyrics distance (relative)".into(),
        points: vec![(0.6, 1.4), (1.2, 1.1), (1.0, 0.9), (1.3, 0.8)],
        group_of: vec![0, 1, 1, 1],
        groups: vec!["Q3–Q4".into(), "other pairs".into()],
        legend: "class pair".into(),
        annotations: vec![
            "Q3–Q4".into(),
            "Q1–Q2".into(),
            "Q1–Q3".into(),
            "Q2–Q4".into(),
        ],
        diagonal: true,
    };
    check("distances", &scatter);
    let kw = HBarPanels {
        title: "Top lyrics keywords per class".into(),
        x_axis: "mean TF-IDF".into(),
        panels: vec![
            (
                "Q3".into(),
                vec![
                    ("gone".into(), 0.3),
                    ("hurt".into(), 0.25),
                    ("cry".into(), 0.2),
                ],
            ),
            (
                "Q4".into(),
                vec![
                    ("peace".into(), 0.28),
                    ("angel".into(), 0.22),
                    ("star".into(), 0.1),
                ],
            ),
        ],
    };
    check("keywords", &kw);
}

#[test]
fn empty_figures_are_errors_not_panics() {
    let fig = CiChart {
        title: "nothing".into(),
        axis: "x".into(),
        points: vec![],
        highlight_label: String::new(),
        reference: None,
    };
    let e = plot::to_png(&fig).unwrap_err();
    assert!(e.to_string().contains("nothing"), "{e}");
    let hm = Heatmap {
        title: "ragged".into(),
        row_axis: String::new(),
        col_axis: String::new(),
        rows: vec!["a".into()],
        cols: vec!["a".into(), "b".into()],
        values: vec![vec![1.0]],
        scale: ColorScale::Diverging { limit: 1.0 },
        annotate: None,
        colorbar: String::new(),
        note: String::new(),
    };
    assert!(plot::to_svg(&hm).is_err());
    let _ = pixel;
}
