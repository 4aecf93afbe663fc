//! Cartesian charts: a metric per configuration with confidence intervals,
//! bar charts, box plots, scatter plots and learning curves.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{self, Area, LegendEntry, Rect};
use super::{Axis, Figure, PlotError, Theme, colors, ellipsize, max_text_width, padded, sizes};

/// One configuration on a [`CiChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct CiPoint {
    pub label: String,
    pub mean: f64,
    /// The interval drawn as an error bar; `None` draws the mean only.
    pub interval: Option<(f64, f64)>,
    /// Drawn in the highlight colour (e.g. the baseline).
    pub highlight: bool,
}

/// A metric per configuration: one row per configuration, the mean as a dot
/// and its confidence interval as a horizontal error bar, the values written
/// in a column on the right. Rows are drawn in the given order, top first.
#[derive(Debug, Clone, PartialEq)]
pub struct CiChart {
    pub title: String,
    /// X-axis title, with the metric and what the bars mean.
    pub axis: String,
    pub points: Vec<CiPoint>,
    /// Legend text for highlighted rows (e.g. "baseline").
    pub highlight_label: String,
    /// A dashed vertical reference line (e.g. the baseline's mean).
    pub reference: Option<f64>,
}

const LABEL_CHARS: usize = 52;
/// Height of one configuration's row in a [`CiChart`].
const CI_ROW: f64 = 30.0;

fn value_text(p: &CiPoint) -> String {
    match p.interval {
        Some((lo, hi)) => format!("{:.3} [{:.3}, {:.3}]", p.mean, lo, hi),
        None => format!("{:.3}", p.mean),
    }
}

impl Figure for CiChart {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        let labels: Vec<String> = self
            .points
            .iter()
            .map(|p| ellipsize(&p.label, LABEL_CHARS))
            .collect();
        let values: Vec<String> = self.points.iter().map(value_text).collect();
        let left = 22.0 + super::measure_max(&labels, sizes::LABEL);
        let right = 24.0 + super::measure_max(&values, sizes::SMALL);
        let w = (left + 420.0 + right).max(860.0);
        let legend = if self.points.iter().any(|p| p.highlight) {
            26.0
        } else {
            0.0
        };
        let h = 50.0 + CI_ROW * self.points.len().max(3) as f64 + 70.0 + legend;
        (w.ceil() as u32, h.ceil() as u32)
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        if self.points.is_empty() {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: "no configuration to show".into(),
            });
        }
        let (w, h) = root.dim_in_pixel();
        let top = frame::title(root, t, fig)?;
        let label_style = t.text_at(sizes::LABEL, HPos::Right, VPos::Center);
        let labels: Vec<String> = self
            .points
            .iter()
            .map(|p| ellipsize(&p.label, LABEL_CHARS))
            .collect();
        let value_texts: Vec<String> = self.points.iter().map(value_text).collect();
        let value_style = t.text_at(sizes::SMALL, HPos::Left, VPos::Center);
        let left = t.px(12.0) + max_text_width(root, &labels, &label_style) as i32 + t.px(10.0);
        let right = max_text_width(root, &value_texts, &value_style) as i32 + t.px(24.0);
        let legend_h = if self.points.iter().any(|p| p.highlight) {
            t.px(26.0)
        } else {
            0
        };
        let r = Rect {
            x0: left,
            y0: top + t.px(4.0),
            x1: w as i32 - right,
            y1: h as i32 - frame::x_axis_height(t) - legend_h,
        };
        let head = t.text_at(sizes::SMALL, HPos::Left, VPos::Bottom);
        frame::text(
            root,
            fig,
            "mean [95 % CI]",
            (r.x1 + t.px(12.0), r.y0 + t.px(2.0)),
            &head.color(&colors::MUTED),
        )?;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in &self.points {
            for v in [
                Some(p.mean),
                p.interval.map(|i| i.0),
                p.interval.map(|i| i.1),
            ]
            .into_iter()
            .flatten()
            .filter(|v| v.is_finite())
            {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if let Some(rf) = self.reference.filter(|v| v.is_finite()) {
            lo = lo.min(rf);
            hi = hi.max(rf);
        }
        let (lo, hi) = padded(lo, hi, 0.06);
        let x = Axis {
            lo,
            hi,
            p0: r.x0,
            p1: r.x1,
        };
        frame::x_axis(root, t, fig, r, &x, &self.axis, true)?;
        let row_h = (r.y1 - r.y0) as f64 / self.points.len() as f64;
        if let Some(rf) = self.reference.filter(|v| v.is_finite()) {
            frame::dashed(
                root,
                fig,
                vec![(x.map(rf), r.y0), (x.map(rf), r.y1)],
                t,
                t.stroke(colors::HIGHLIGHT, 1.2),
            )?;
        }
        for (i, p) in self.points.iter().enumerate() {
            let y = (r.y0 as f64 + row_h * (i as f64 + 0.5)).round() as i32;
            let color = if p.highlight {
                colors::HIGHLIGHT
            } else {
                colors::CATEGORICAL[0]
            };
            frame::text(root, fig, &labels[i], (r.x0 - t.px(10.0), y), &label_style)?;
            if let Some((a, b)) = p.interval.filter(|(a, b)| a.is_finite() && b.is_finite()) {
                let (xa, xb) = (x.map(a), x.map(b));
                let cap = t.px(5.0);
                let st = t.stroke(color, 1.6);
                frame::line(root, fig, vec![(xa, y), (xb, y)], st)?;
                frame::line(root, fig, vec![(xa, y - cap), (xa, y + cap)], st)?;
                frame::line(root, fig, vec![(xb, y - cap), (xb, y + cap)], st)?;
            }
            if p.mean.is_finite() {
                frame::marker(root, fig, (x.map(p.mean), y), t.px(4.5), 0, color.filled())?;
            }
            frame::text(
                root,
                fig,
                &value_texts[i],
                (r.x1 + t.px(12.0), y),
                &value_style.clone().color(&color),
            )?;
        }
        if self.points.iter().any(|p| p.highlight) && !self.highlight_label.is_empty() {
            let s = t.text_at(sizes::SMALL, HPos::Center, VPos::Bottom);
            frame::text(
                root,
                fig,
                &format!("orange, dashed line: {}", self.highlight_label),
                ((r.x0 + r.x1) / 2, h as i32 - t.px(6.0)),
                &s.color(&colors::HIGHLIGHT),
            )?;
        }
        Ok(())
    }
}

/// Vertical bars, one per category, each annotated with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub x_axis: String,
    pub y_axis: String,
    pub categories: Vec<String>,
    pub values: Vec<f64>,
    /// Decimals of the value written above each bar.
    pub decimals: usize,
}

impl Figure for BarChart {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        (
            (160 + 72 * self.categories.len() as u32).clamp(560, 1400),
            500,
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        if self.categories.is_empty() || self.categories.len() != self.values.len() {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: format!(
                    "{} categories and {} values",
                    self.categories.len(),
                    self.values.len()
                ),
            });
        }
        let (_, h) = root.dim_in_pixel();
        let top = frame::title(root, t, fig)?;
        let n = self.categories.len();
        let rotate = n > 8 || self.categories.iter().any(|c| c.chars().count() > 10);
        let cat_style = if rotate {
            t.vertical_text(sizes::LABEL)
                .pos(plotters::style::text_anchor::Pos::new(
                    HPos::Right,
                    VPos::Center,
                ))
        } else {
            t.text_at(sizes::LABEL, HPos::Center, VPos::Top)
        };
        let cats: Vec<String> = self.categories.iter().map(|c| ellipsize(c, 24)).collect();
        let cat_h = if rotate {
            max_text_width(root, &cats, &t.text(sizes::LABEL)) as i32 + t.px(10.0)
        } else {
            t.px(sizes::LABEL * 1.6)
        };
        let max = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let bottom = cat_h + t.px(12.0 + sizes::AXIS * 1.6);
        let hi = if max > 0.0 { max * 1.12 } else { 1.0 };
        let (r, y) = frame::value_area(root, t, (top, bottom, 0), (0.0, hi));
        frame::y_axis(root, t, fig, r, &y, &self.y_axis, true)?;
        let band = (r.x1 - r.x0) as f64 / n as f64;
        let value_style = t.text_at(sizes::SMALL, HPos::Center, VPos::Bottom);
        for (i, (c, v)) in cats.iter().zip(&self.values).enumerate() {
            let cx = (r.x0 as f64 + band * (i as f64 + 0.5)).round() as i32;
            let half = (band * 0.35).round() as i32;
            if v.is_finite() {
                frame::rect(
                    root,
                    fig,
                    (cx - half, y.map(*v)),
                    (cx + half, r.y1),
                    colors::CATEGORICAL[0].filled(),
                )?;
                frame::text(
                    root,
                    fig,
                    &format!("{:.*}", self.decimals, v),
                    (cx, y.map(*v) - t.px(3.0)),
                    &value_style,
                )?;
            }
            frame::text(root, fig, c, (cx, r.y1 + t.px(6.0)), &cat_style)?;
        }
        frame::line(
            root,
            fig,
            vec![(r.x0, r.y1), (r.x1, r.y1)],
            t.stroke(colors::AXIS, 1.0),
        )?;
        let at = t.text_at(sizes::AXIS, HPos::Center, VPos::Bottom);
        frame::text(
            root,
            fig,
            &self.x_axis,
            ((r.x0 + r.x1) / 2, h as i32 - t.px(6.0)),
            &at,
        )
    }
}

/// Small multiples of horizontal bars: one panel per group (e.g. the top
/// keywords of each class with their scores).
#[derive(Debug, Clone, PartialEq)]
pub struct HBarPanels {
    pub title: String,
    pub x_axis: String,
    /// `(panel title, [(bar label, value)])`, bars drawn top to bottom.
    pub panels: Vec<(String, Vec<(String, f64)>)>,
}

/// Width of one panel of [`HBarPanels`] and height of one bar's row.
const PANEL_W: f64 = 340.0;
const BAR_ROW: f64 = 28.0;

impl HBarPanels {
    fn columns(&self) -> usize {
        self.panels.len().clamp(1, 4)
    }
    fn rows_per_panel(&self) -> usize {
        self.panels
            .iter()
            .map(|p| p.1.len())
            .max()
            .unwrap_or(1)
            .max(1)
    }
}

impl Figure for HBarPanels {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        let cols = self.columns() as u32;
        let rows = self.panels.len().div_ceil(self.columns()).max(1) as u32;
        (
            PANEL_W as u32 * cols + 20,
            60 + rows * (84 + BAR_ROW as u32 * self.rows_per_panel() as u32),
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        if self.panels.is_empty() {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: "no panel".into(),
            });
        }
        let top = frame::title(root, t, fig)?;
        let cols = self.columns();
        let panel_w = t.px(PANEL_W);
        let panel_h = t.px(84.0 + BAR_ROW * self.rows_per_panel() as f64);
        let label_style = t.text_at(sizes::LABEL, HPos::Right, VPos::Center);
        let max = self
            .panels
            .iter()
            .flat_map(|p| p.1.iter().map(|b| b.1))
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        for (i, (name, bars)) in self.panels.iter().enumerate() {
            let (c, rr) = ((i % cols) as i32, (i / cols) as i32);
            let x0 = t.px(10.0) + c * panel_w;
            let y0 = top + rr * panel_h;
            let head = t.text_at(sizes::AXIS, HPos::Center, VPos::Top);
            frame::text(
                root,
                fig,
                &ellipsize(name, 30),
                (x0 + panel_w / 2, y0 + t.px(4.0)),
                &head,
            )?;
            let labels: Vec<String> = bars.iter().map(|b| ellipsize(&b.0, 16)).collect();
            let lw = max_text_width(root, &labels, &label_style) as i32;
            let r = Rect {
                x0: x0 + lw + t.px(14.0),
                y0: y0 + t.px(sizes::AXIS * 1.7),
                x1: x0 + panel_w - t.px(16.0),
                y1: y0 + panel_h - t.px(8.0 + sizes::LABEL * 1.5 + sizes::SMALL * 1.5),
            };
            let x = Axis {
                lo: 0.0,
                hi: if max > 0.0 { max * 1.05 } else { 1.0 },
                p0: r.x0,
                p1: r.x1,
            };
            let n = bars.len().max(1) as f64;
            let band = (r.y1 - r.y0) as f64 / self.rows_per_panel().max(1) as f64;
            let _ = n;
            for (j, ((_, v), label)) in bars.iter().zip(&labels).enumerate() {
                let cy = (r.y0 as f64 + band * (j as f64 + 0.5)).round() as i32;
                let half = (band * 0.36).round() as i32;
                if v.is_finite() {
                    frame::rect(
                        root,
                        fig,
                        (r.x0, cy - half),
                        (x.map(*v), cy + half),
                        colors::category(i).filled(),
                    )?;
                }
                frame::text(root, fig, label, (r.x0 - t.px(6.0), cy), &label_style)?;
            }
            frame::line(
                root,
                fig,
                vec![(r.x0, r.y0), (r.x0, r.y1)],
                t.stroke(colors::AXIS, 1.0),
            )?;
            let small = t.text_at(sizes::SMALL, HPos::Center, VPos::Top);
            for (v, s) in frame::ticks(&x, 3) {
                let xx = x.map(v);
                frame::line(
                    root,
                    fig,
                    vec![(xx, r.y1), (xx, r.y1 + t.px(4.0))],
                    t.stroke(colors::AXIS, 1.0),
                )?;
                frame::text(root, fig, &s, (xx, r.y1 + t.px(6.0)), &small)?;
            }
            frame::line(
                root,
                fig,
                vec![(r.x0, r.y1), (r.x1, r.y1)],
                t.stroke(colors::AXIS, 1.0),
            )?;
            frame::text(
                root,
                fig,
                &self.x_axis,
                ((r.x0 + r.x1) / 2, r.y1 + t.px(8.0 + sizes::SMALL * 1.3)),
                &small,
            )?;
        }
        Ok(())
    }
}

/// Box plots of values per category: the box spans the quartiles, the line
/// inside is the median, the whiskers reach the most extreme values within
/// 1.5 IQR of the box (Tukey), the diamond is the mean; `n` is written
/// under each box.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxChart {
    pub title: String,
    pub x_axis: String,
    pub y_axis: String,
    pub categories: Vec<String>,
    pub values: Vec<Vec<f64>>,
    /// Fixed y range, e.g. `(0, 1)` for a gate weight; `None` fits the data.
    pub y_range: Option<(f64, f64)>,
}

/// Quantile with linear interpolation between order statistics (numpy's
/// default, `method="linear"`), of sorted finite values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let f = pos - i as f64;
    if i + 1 < sorted.len() {
        sorted[i] + f * (sorted[i + 1] - sorted[i])
    } else {
        sorted[i]
    }
}

impl Figure for BoxChart {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        (
            (200 + 90 * self.categories.len() as u32).clamp(520, 1400),
            460,
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        if self.categories.is_empty() || self.categories.len() != self.values.len() {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: format!(
                    "{} categories and {} value lists",
                    self.categories.len(),
                    self.values.len()
                ),
            });
        }
        let (_, h) = root.dim_in_pixel();
        let top = frame::title(root, t, fig)?;
        let sorted: Vec<Vec<f64>> = self
            .values
            .iter()
            .map(|v| {
                let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
                s.sort_by(f64::total_cmp);
                s
            })
            .collect();
        let (lo, hi) = self.y_range.unwrap_or_else(|| {
            let all = sorted.iter().flatten();
            let lo = all.clone().copied().fold(f64::INFINITY, f64::min);
            let hi = all.copied().fold(f64::NEG_INFINITY, f64::max);
            padded(lo, hi, 0.05)
        });
        let bottom = t.px(12.0 + sizes::LABEL * 1.4 + sizes::SMALL * 1.4 + sizes::AXIS * 1.6);
        let (r, y) = frame::value_area(root, t, (top, bottom, 0), (lo, hi));
        frame::y_axis(root, t, fig, r, &y, &self.y_axis, true)?;
        let band = (r.x1 - r.x0) as f64 / self.categories.len() as f64;
        let cat_style = t.text_at(sizes::LABEL, HPos::Center, VPos::Top);
        let n_style = t.text_at(sizes::SMALL, HPos::Center, VPos::Top);
        for (i, (c, s)) in self.categories.iter().zip(&sorted).enumerate() {
            let cx = (r.x0 as f64 + band * (i as f64 + 0.5)).round() as i32;
            let half = (band * 0.28).round() as i32;
            let color = colors::category(i);
            frame::text(
                root,
                fig,
                &ellipsize(c, 16),
                (cx, r.y1 + t.px(6.0)),
                &cat_style,
            )?;
            frame::text(
                root,
                fig,
                &format!("n = {}", s.len()),
                (cx, r.y1 + t.px(8.0 + sizes::LABEL * 1.4)),
                &n_style.clone().color(&colors::MUTED),
            )?;
            if s.is_empty() {
                continue;
            }
            let (q1, med, q3) = (quantile(s, 0.25), quantile(s, 0.5), quantile(s, 0.75));
            let iqr = q3 - q1;
            let wl = s
                .iter()
                .copied()
                .find(|v| *v >= q1 - 1.5 * iqr)
                .unwrap_or(q1);
            let wh = s
                .iter()
                .rev()
                .copied()
                .find(|v| *v <= q3 + 1.5 * iqr)
                .unwrap_or(q3);
            let st = t.stroke(colors::AXIS, 1.4);
            frame::line(root, fig, vec![(cx, y.map(wl)), (cx, y.map(q1))], st)?;
            frame::line(root, fig, vec![(cx, y.map(q3)), (cx, y.map(wh))], st)?;
            for v in [wl, wh] {
                frame::line(
                    root,
                    fig,
                    vec![(cx - half / 2, y.map(v)), (cx + half / 2, y.map(v))],
                    st,
                )?;
            }
            frame::rect(
                root,
                fig,
                (cx - half, y.map(q3)),
                (cx + half, y.map(q1)),
                colors::tint(color, 0.45).filled(),
            )?;
            frame::rect(
                root,
                fig,
                (cx - half, y.map(q3)),
                (cx + half, y.map(q1)),
                st,
            )?;
            frame::line(
                root,
                fig,
                vec![(cx - half, y.map(med)), (cx + half, y.map(med))],
                t.stroke(RGBColor(0, 0, 0), 2.2),
            )?;
            let outliers = s.iter().filter(|v| **v < wl || **v > wh);
            for v in outliers {
                frame::marker(
                    root,
                    fig,
                    (cx, y.map(*v)),
                    t.px(2.0),
                    0,
                    t.stroke(colors::MUTED, 1.0),
                )?;
            }
            let mean = s.iter().sum::<f64>() / s.len() as f64;
            frame::marker(
                root,
                fig,
                (cx, y.map(mean)),
                t.px(4.0),
                3,
                RGBColor(255, 255, 255).filled(),
            )?;
            frame::marker(root, fig, (cx, y.map(mean)), t.px(4.0), 3, st)?;
        }
        frame::line(
            root,
            fig,
            vec![(r.x0, r.y1), (r.x1, r.y1)],
            t.stroke(colors::AXIS, 1.0),
        )?;
        let at = t.text_at(sizes::AXIS, HPos::Center, VPos::Bottom);
        frame::text(
            root,
            fig,
            &self.x_axis,
            ((r.x0 + r.x1) / 2, h as i32 - t.px(6.0)),
            &at,
        )
    }
}

/// Points in a plane coloured (and shaped) by group, with a legend on the
/// right; optional text beside each point and an optional `y = x` line.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterChart {
    pub title: String,
    pub x_axis: String,
    pub y_axis: String,
    pub points: Vec<(f64, f64)>,
    /// Group of each point, an index into `groups`.
    pub group_of: Vec<usize>,
    pub groups: Vec<String>,
    /// Legend heading (e.g. "class").
    pub legend: String,
    /// Empty, or one label per point written beside it.
    pub annotations: Vec<String>,
    /// Draw the diagonal `y = x` (for comparing two distances).
    pub diagonal: bool,
}

impl Figure for ScatterChart {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        (900, 680)
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        let finite: Vec<usize> = (0..self.points.len())
            .filter(|&i| self.points[i].0.is_finite() && self.points[i].1.is_finite())
            .collect();
        if finite.is_empty() || self.group_of.len() != self.points.len() {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: format!(
                    "{} finite points, {} group indices for {} points",
                    finite.len(),
                    self.group_of.len(),
                    self.points.len()
                ),
            });
        }
        let top = frame::title(root, t, fig)?;
        let entries: Vec<LegendEntry> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| LegendEntry {
                label: ellipsize(g, 28),
                color: colors::category(i),
                shape: Some(colors::shape(i)),
            })
            .collect();
        let lw = frame::legend_width(root, t, &entries, &self.legend);
        let ext = |f: fn(&(f64, f64)) -> f64| {
            finite
                .iter()
                .map(|&i| f(&self.points[i]))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                })
        };
        let (mut xl, mut xh) = ext(|p| p.0);
        let (mut yl, mut yh) = ext(|p| p.1);
        if self.diagonal {
            let (l, hh) = (xl.min(yl).min(0.0), xh.max(yh));
            (xl, xh, yl, yh) = (l, hh, l, hh);
        }
        let (xl, xh) = padded(xl, xh, 0.05);
        let (yl, yh) = padded(yl, yh, 0.05);
        let (r, x, y) = frame::xy_area(root, t, top, lw, (xl, xh), (yl, yh));
        frame::x_axis(root, t, fig, r, &x, &self.x_axis, true)?;
        frame::y_axis(root, t, fig, r, &y, &self.y_axis, true)?;
        if self.diagonal {
            let lo = xl.max(yl);
            let hi = xh.min(yh);
            frame::dashed(
                root,
                fig,
                vec![(x.map(lo), y.map(lo)), (x.map(hi), y.map(hi))],
                t,
                t.stroke(colors::MUTED, 1.2),
            )?;
        }
        // Many points: smaller, translucent markers so dense regions show.
        let many = finite.len() > 400;
        let radius = t.px(if many { 2.6 } else { 4.0 });
        let ann = t.text_at(sizes::SMALL, HPos::Left, VPos::Bottom);
        for &i in &finite {
            let g = self.group_of[i];
            let c = colors::category(g);
            let style = if many {
                c.mix(0.55).filled()
            } else {
                c.mix(0.85).filled()
            };
            let p = (x.map(self.points[i].0), y.map(self.points[i].1));
            frame::marker(root, fig, p, radius, colors::shape(g), style)?;
            if let Some(a) = self.annotations.get(i) {
                frame::text(root, fig, a, (p.0 + t.px(5.0), p.1 - t.px(3.0)), &ann)?;
            }
        }
        frame::rect(
            root,
            fig,
            (r.x0, r.y0),
            (r.x1, r.y1),
            t.stroke(colors::AXIS, 1.0),
        )?;
        frame::legend(
            root,
            t,
            fig,
            (r.x1 + t.px(16.0), r.y0),
            &self.legend,
            &entries,
        )
    }
}

/// One point of a [`Series`]: `y` with an optional band `(lo, hi)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    pub x: f64,
    pub y: f64,
    pub band: Option<(f64, f64)>,
}

/// A line with an optional shaded band (e.g. mean ± std over folds).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// Palette index of its colour.
    pub color: usize,
    pub points: Vec<SeriesPoint>,
}

/// One panel of [`LearningCurves`].
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub y_axis: String,
    pub series: Vec<Series>,
}

/// Panels side by side sharing an x axis title (e.g. epochs): loss and a
/// metric per epoch, a line per split with its band.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningCurves {
    pub title: String,
    pub x_axis: String,
    pub panels: Vec<Panel>,
    /// A sentence under the title saying what the bands are.
    pub note: String,
}

impl Figure for LearningCurves {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        (40 + 500 * self.panels.len().max(1) as u32, 540)
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        if self
            .panels
            .iter()
            .all(|p| p.series.iter().all(|s| s.points.is_empty()))
        {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: "no epoch values".into(),
            });
        }
        let (w, h) = root.dim_in_pixel();
        let mut top = frame::title(root, t, fig)?;
        if !self.note.is_empty() {
            let s = t.text_at(sizes::SMALL, HPos::Center, VPos::Top);
            frame::text(
                root,
                fig,
                &self.note,
                (w as i32 / 2, top - t.px(4.0)),
                &s.color(&colors::MUTED),
            )?;
            top += t.px(sizes::SMALL * 1.4);
        }
        // Legend across the top: one entry per series name (shared colours).
        let mut names: Vec<(String, usize)> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if !names.iter().any(|(n, _)| *n == s.name) {
                names.push((s.name.clone(), s.color));
            }
        }
        let lstyle = t.text(sizes::LABEL);
        let mut lx = t.px(60.0);
        for (n, c) in &names {
            let yy = top + t.px(6.0);
            frame::line(
                root,
                fig,
                vec![(lx, yy), (lx + t.px(22.0), yy)],
                t.stroke(colors::category(*c), 2.5),
            )?;
            frame::text(root, fig, n, (lx + t.px(28.0), yy), &lstyle)?;
            lx += t.px(40.0) + super::text_size(root, n, &lstyle).0 as i32;
        }
        top += t.px(sizes::LABEL * 1.8);
        let pw = (w as i32 - t.px(20.0)) / self.panels.len().max(1) as i32;
        for (pi, p) in self.panels.iter().enumerate() {
            let px0 = t.px(10.0) + pi as i32 * pw;
            let pts: Vec<&SeriesPoint> = p.series.iter().flat_map(|s| &s.points).collect();
            let (mut xl, mut xh, mut yl, mut yh) = (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            );
            for q in &pts {
                for v in [Some(q.y), q.band.map(|b| b.0), q.band.map(|b| b.1)]
                    .into_iter()
                    .flatten()
                    .filter(|v| v.is_finite())
                {
                    yl = yl.min(v);
                    yh = yh.max(v);
                }
                if q.x.is_finite() {
                    xl = xl.min(q.x);
                    xh = xh.max(q.x);
                }
            }
            if !xl.is_finite() {
                continue;
            }
            let (yl, yh) = padded(yl, yh, 0.05);
            let (xl, xh) = if xh > xl {
                (xl, xh)
            } else {
                padded(xl, xh, 0.05)
            };
            let bottom = frame::x_axis_height(t);
            let y0 = Axis {
                lo: yl,
                hi: yh,
                p0: 0,
                p1: 0,
            };
            let head = t.text_at(sizes::AXIS, HPos::Center, VPos::Top);
            frame::text(root, fig, &p.title, (px0 + pw / 2, top), &head)?;
            let ptop = top + t.px(sizes::AXIS * 1.6);
            let tick_w =
                frame::y_tick_width(root, t, &y0, (h as i32 - ptop - bottom) as f64 / t.scale);
            let r = Rect {
                x0: px0 + frame::y_axis_width(t, tick_w),
                y0: ptop,
                x1: px0 + pw - t.px(16.0),
                y1: h as i32 - bottom,
            };
            let x = Axis {
                lo: xl,
                hi: xh,
                p0: r.x0,
                p1: r.x1,
            };
            let y = Axis {
                p0: r.y1,
                p1: r.y0,
                ..y0
            };
            frame::x_axis(root, t, fig, r, &x, &self.x_axis, true)?;
            frame::y_axis(root, t, fig, r, &y, &p.y_axis, true)?;
            for s in &p.series {
                let c = colors::category(s.color);
                let band: Vec<(f64, (f64, f64))> = s
                    .points
                    .iter()
                    .filter_map(|q| q.band.map(|b| (q.x, b)))
                    .filter(|(x, b)| x.is_finite() && b.0.is_finite() && b.1.is_finite())
                    .collect();
                if band.len() >= 2 {
                    let mut poly: Vec<(i32, i32)> = band
                        .iter()
                        .map(|(xx, b)| (x.map(*xx), y.map(b.1)))
                        .collect();
                    poly.extend(band.iter().rev().map(|(xx, b)| (x.map(*xx), y.map(b.0))));
                    root.draw(&Polygon::new(poly, c.mix(0.18).filled()))
                        .map_err(super::draw_err(fig))?;
                }
                let line: Vec<(i32, i32)> = s
                    .points
                    .iter()
                    .filter(|q| q.x.is_finite() && q.y.is_finite())
                    .map(|q| (x.map(q.x), y.map(q.y)))
                    .collect();
                if line.len() == 1 {
                    frame::marker(root, fig, line[0], t.px(3.0), 0, c.filled())?;
                } else {
                    frame::line(root, fig, line, t.stroke(c, 2.2))?;
                }
            }
            frame::rect(
                root,
                fig,
                (r.x0, r.y0),
                (r.x1, r.y1),
                t.stroke(colors::AXIS, 1.0),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.75]) = [1.75, 2.5, 3.25]
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&s, 0.25), 1.75);
        assert_eq!(quantile(&s, 0.5), 2.5);
        assert_eq!(quantile(&s, 0.75), 3.25);
        assert_eq!(quantile(&[5.0], 0.3), 5.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
