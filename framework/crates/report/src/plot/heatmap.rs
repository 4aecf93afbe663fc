//! Matrices as coloured cells: confusion matrices, correlation matrices and
//! distance matrices, with a colour bar.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{self, Area};
use super::{Figure, PlotError, Theme, colors, ellipsize, max_text_width, sizes};

/// How values map to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColorScale {
    /// White to dark blue over `[lo, hi]` (proportions, distances).
    Sequential { lo: f64, hi: f64 },
    /// Blue through white to red over `[-limit, limit]` (correlations).
    Diverging { limit: f64 },
}

impl ColorScale {
    fn color(&self, v: f64) -> RGBColor {
        match *self {
            ColorScale::Sequential { lo, hi } => {
                colors::blues(if hi > lo { (v - lo) / (hi - lo) } else { 0.0 })
            }
            ColorScale::Diverging { limit } => {
                colors::red_blue(if limit > 0.0 { v / limit } else { 0.0 })
            }
        }
    }
    fn range(&self) -> (f64, f64) {
        match *self {
            ColorScale::Sequential { lo, hi } => (lo, hi),
            ColorScale::Diverging { limit } => (-limit, limit),
        }
    }
}

/// A matrix of values drawn as cells, rows top to bottom, with row labels on
/// the left and column labels on top... bottom (rotated when long).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub title: String,
    /// Title of the row labels (e.g. "true class").
    pub row_axis: String,
    /// Title of the column labels (e.g. "predicted class").
    pub col_axis: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// `values[row][col]`; NaN cells are drawn grey with no text.
    pub values: Vec<Vec<f64>>,
    pub scale: ColorScale,
    /// Decimals of the value written in each cell; `None` writes nothing
    /// (cells too small, e.g. a 37 x 37 correlation matrix).
    pub annotate: Option<usize>,
    /// Title of the colour bar (what a cell's colour means).
    pub colorbar: String,
    /// A line under the title (e.g. "rows sum to 1; n = 1000 test predictions").
    pub note: String,
}

impl Heatmap {
    fn cell(&self) -> f64 {
        let n = self.rows.len().max(self.cols.len()).max(1) as f64;
        (560.0 / n).clamp(14.0, 72.0)
    }
    fn label_chars(&self) -> usize {
        if self.cell() < 20.0 { 18 } else { 24 }
    }
    fn label_size(&self) -> f64 {
        if self.cell() < 20.0 {
            13.0
        } else {
            sizes::LABEL
        }
    }
    fn rotate_cols(&self) -> bool {
        self.cols
            .iter()
            .any(|c| c.chars().count() as f64 * 7.5 > self.cell())
    }
}

impl Figure for Heatmap {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        let cell = self.cell();
        let ls = self.label_size();
        let short = |v: &[String]| -> Vec<String> {
            v.iter().map(|s| ellipsize(s, self.label_chars())).collect()
        };
        let row_w = super::measure_max(&short(&self.rows), ls);
        let col_h = if self.rotate_cols() {
            super::measure_max(&short(&self.cols), ls) + 8.0
        } else {
            ls * 1.6
        };
        let (lo, hi) = self.scale.range();
        let tick_w = [lo, hi, (lo + hi) / 2.0]
            .iter()
            .map(|v| super::measure(&format!("{v:.2}"), sizes::SMALL).0)
            .fold(0.0, f64::max);
        let note = if self.note.is_empty() {
            0.0
        } else {
            sizes::SMALL * 1.5
        };
        let w = 16.0
            + sizes::AXIS * 1.6
            + row_w
            + 8.0
            + cell * self.cols.len() as f64
            + 24.0
            + 16.0
            + 6.0
            + tick_w
            + 14.0
            + sizes::LABEL * 1.4
            + 16.0;
        let h = 10.0
            + sizes::TITLE * 1.45
            + note
            + sizes::AXIS * 1.6
            + col_h
            + cell * self.rows.len() as f64
            + 24.0;
        let title_w = super::measure(&self.title, sizes::TITLE).0 + 40.0;
        (
            w.max(title_w).max(420.0).ceil() as u32,
            h.max(260.0).ceil() as u32,
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        if self.rows.is_empty()
            || self.cols.is_empty()
            || self.values.len() != self.rows.len()
            || self.values.iter().any(|r| r.len() != self.cols.len())
        {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: format!(
                    "{} row labels, {} column labels and a {}-row matrix",
                    self.rows.len(),
                    self.cols.len(),
                    self.values.len()
                ),
            });
        }
        let (w, _) = root.dim_in_pixel();
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
            top += t.px(sizes::SMALL * 1.5);
        }
        let cell = t.px(self.cell());
        let ls = self.label_size();
        let row_style = t.text_at(ls, HPos::Right, VPos::Center);
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|s| ellipsize(s, self.label_chars()))
            .collect();
        let cols: Vec<String> = self
            .cols
            .iter()
            .map(|s| ellipsize(s, self.label_chars()))
            .collect();
        let row_w = max_text_width(root, &rows, &row_style) as i32;
        let rotate = self.rotate_cols();
        let col_h = if rotate {
            max_text_width(root, &cols, &t.text(ls)) as i32 + t.px(8.0)
        } else {
            t.px(ls * 1.6)
        };
        let x0 = t.px(16.0 + sizes::AXIS * 1.6) + row_w + t.px(8.0);
        let y0 = top + t.px(sizes::AXIS * 1.6) + col_h;
        let (nr, nc) = (self.rows.len() as i32, self.cols.len() as i32);
        // Column axis title and labels above the matrix.
        let at = t.text_at(sizes::AXIS, HPos::Center, VPos::Top);
        frame::text(root, fig, &self.col_axis, (x0 + cell * nc / 2, top), &at)?;
        for (j, c) in cols.iter().enumerate() {
            let cx = x0 + cell * j as i32 + cell / 2;
            if rotate {
                let st = t.vertical_text(ls).pos(Pos::new(HPos::Left, VPos::Center));
                frame::text(root, fig, c, (cx, y0 - t.px(6.0)), &st)?;
            } else {
                let st = t.text_at(ls, HPos::Center, VPos::Bottom);
                frame::text(root, fig, c, (cx, y0 - t.px(4.0)), &st)?;
            }
        }
        frame::text(
            root,
            fig,
            &self.row_axis,
            (t.px(8.0 + sizes::AXIS * 0.6), y0 + cell * nr / 2),
            &t.vertical_text(sizes::AXIS),
        )?;
        let ann_size = (self.cell() * 0.3).clamp(9.0, sizes::LABEL);
        for (i, (row, label)) in self.values.iter().zip(&rows).enumerate() {
            let cy = y0 + cell * i as i32;
            frame::text(
                root,
                fig,
                label,
                (x0 - t.px(6.0), cy + cell / 2),
                &row_style,
            )?;
            for (j, v) in row.iter().enumerate() {
                let cx = x0 + cell * j as i32;
                let bg = if v.is_nan() {
                    RGBColor(200, 200, 200)
                } else {
                    self.scale.color(*v)
                };
                frame::rect(root, fig, (cx, cy), (cx + cell, cy + cell), bg.filled())?;
                if let (Some(d), false) = (self.annotate, v.is_nan()) {
                    let fg = colors::text_on(bg);
                    let st = t.text_at(ann_size, HPos::Center, VPos::Center).color(&fg);
                    frame::text(
                        root,
                        fig,
                        &format!("{v:.d$}"),
                        (cx + cell / 2, cy + cell / 2),
                        &st,
                    )?;
                }
            }
        }
        frame::rect(
            root,
            fig,
            (x0, y0),
            (x0 + cell * nc, y0 + cell * nr),
            t.stroke(colors::AXIS, 1.0),
        )?;
        // Colour bar to the right.
        let bx = x0 + cell * nc + t.px(24.0);
        let bh = (cell * nr).min(t.px(360.0));
        let bw = t.px(16.0);
        let (lo, hi) = self.scale.range();
        let steps = 64;
        for k in 0..steps {
            let v0 = hi - (hi - lo) * k as f64 / steps as f64;
            let ya = y0 + bh * k / steps;
            let yb = y0 + bh * (k + 1) / steps;
            frame::rect(
                root,
                fig,
                (bx, ya),
                (bx + bw, yb.max(ya + 1)),
                self.scale.color(v0).filled(),
            )?;
        }
        frame::rect(
            root,
            fig,
            (bx, y0),
            (bx + bw, y0 + bh),
            t.stroke(colors::AXIS, 1.0),
        )?;
        let ls2 = t.text_at(sizes::SMALL, HPos::Left, VPos::Center);
        let tick_w = frame::ticks(
            &super::Axis {
                lo,
                hi,
                p0: 0,
                p1: 1,
            },
            4,
        )
        .iter()
        .map(|(_, s)| super::text_size(root, s, &ls2).0 as i32)
        .max()
        .unwrap_or(0);
        let axis = super::Axis {
            lo,
            hi,
            p0: y0 + bh,
            p1: y0,
        };
        for (v, s) in frame::ticks(&axis, 4) {
            let y = axis.map(v);
            frame::line(
                root,
                fig,
                vec![(bx + bw, y), (bx + bw + t.px(4.0), y)],
                t.stroke(colors::AXIS, 1.0),
            )?;
            frame::text(root, fig, &s, (bx + bw + t.px(6.0), y), &ls2)?;
        }
        let cb = t.vertical_text(sizes::LABEL);
        frame::text(
            root,
            fig,
            &self.colorbar,
            (
                bx + bw + t.px(6.0) + tick_w + t.px(14.0 + sizes::LABEL * 0.6),
                y0 + bh / 2,
            ),
            &cb,
        )
    }
}
