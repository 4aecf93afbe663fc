//! Figures for reports and EDA, drawn with plotters, written as SVG and PNG.
//!
//! Owns: the figure types (each a plain struct of in-memory data), their
//! layout and drawing, and the two encoders. Leaves reading the store and
//! choosing what to plot to `report`, and the numbers to `metrics`.
//!
//! Every figure implements [`Figure`]: `draw` lays it out on any plotters
//! backend at a [`Theme`] scale, so the same code writes a vector SVG at
//! scale 1 and a PNG at scale 2 (for print). Rendering is deterministic: no
//! clock, no randomness, no hash-map order, fixed float formatting, so the
//! same figure gives byte-identical files.
//!
//! Text is drawn with DejaVu Sans (`fonts/DejaVuSans.ttf`, Bitstream Vera
//! licence beside it), embedded in the binary and registered with plotters'
//! `ab_glyph` support under the family `sans-serif`. PNGs therefore render the
//! same on a machine without any system font; SVGs name `sans-serif` and leave
//! the glyphs to the viewer.

pub mod charts;
pub mod colors;
pub(crate) mod frame;
pub mod heatmap;
pub mod special;

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform};

pub use charts::{
    BarChart, BoxChart, CiChart, CiPoint, HBarPanels, LearningCurves, Panel, ScatterChart, Series,
    SeriesPoint,
};
pub use heatmap::{ColorScale, Heatmap};
pub use special::{CdDiagram, Regions, VaScatter};

/// The embedded font (DejaVu Sans 2.37).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// The family name figures ask plotters for.
pub const FAMILY: &str = "sans-serif";

static REGISTER: Once = Once::new();

/// Registers the embedded font with plotters (once per process).
pub fn register_fonts() {
    REGISTER.call_once(|| {
        // The font is a compile-time constant known to parse; a failure here
        // would be a broken build, caught by every figure test.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("the embedded DejaVu Sans font does not parse");
        }
    });
}

/// Errors while drawing or encoding a figure.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("drawing the figure `{figure}`: {source}")]
    Draw {
        figure: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    #[error("encoding the figure `{figure}` as PNG: {source}")]
    Png {
        figure: String,
        #[source]
        source: png::EncodingError,
    },
    #[error("the figure `{figure}` has no data to draw: {why}")]
    NoData { figure: String, why: String },
}

/// Drawing errors carry the backend's error type; box it with the figure's
/// title so the caller sees what failed and why.
pub(crate) fn draw_err<E>(figure: &str) -> impl Fn(E) -> PlotError + '_
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| PlotError::Draw {
        figure: figure.to_string(),
        source: Box::new(e),
    }
}

/// Scale of one rendering: sizes in figure code are logical pixels at
/// scale 1 (the SVG); the PNG is drawn at scale 2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub scale: f64,
}

impl Theme {
    pub const SVG: Theme = Theme { scale: 1.0 };
    pub const PNG: Theme = Theme { scale: 2.0 };

    /// A logical length in backend pixels.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    pub fn upx(&self, v: f64) -> u32 {
        self.px(v).max(0) as u32
    }

    /// Text of `size` logical points, black, anchored at its left middle.
    pub fn text(&self, size: f64) -> TextStyle<'static> {
        (FAMILY, size * self.scale)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center))
    }

    /// Text anchored as given.
    pub fn text_at(&self, size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
        self.text(size).pos(Pos::new(h, v))
    }

    /// Text rotated a quarter turn counter-clockwise (a y-axis title).
    pub fn vertical_text(&self, size: f64) -> TextStyle<'static> {
        (FAMILY, size * self.scale)
            .into_font()
            .transform(FontTransform::Rotate270)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center))
    }

    pub fn stroke(&self, color: RGBColor, width: f64) -> ShapeStyle {
        ShapeStyle {
            color: color.to_rgba(),
            filled: false,
            stroke_width: self.upx(width).max(1),
        }
    }
}

/// Standard text sizes, in logical pixels of plotters' font scale (the
/// SVG's `font-size` is this / 1.24). Chosen so that a figure scaled to a
/// column of text (about 16 cm for 800 px) prints labels at about 8-9 pt.
pub mod sizes {
    /// Figure titles.
    pub const TITLE: f64 = 22.0;
    /// Axis titles ("macro-F1 (test folds)").
    pub const AXIS: f64 = 19.0;
    /// Tick labels, legends, category names.
    pub const LABEL: f64 = 17.0;
    /// Notes and annotations inside cells.
    pub const SMALL: f64 = 15.0;
}

/// Width and height of `text` at `size` in logical pixels (scale 1), from
/// the embedded font; used to size figures before drawing them.
pub fn measure(text: &str, size: f64) -> (f64, f64) {
    register_fonts();
    let (w, h) = (FAMILY, size).into_font().box_size(text).unwrap_or((0, 0));
    (w as f64, h as f64)
}

/// Widest of `texts` at `size` (logical pixels).
pub fn measure_max<'a>(texts: impl IntoIterator<Item = &'a String>, size: f64) -> f64 {
    texts
        .into_iter()
        .map(|t| measure(t, size).0)
        .fold(0.0, f64::max)
}

/// A figure that can be drawn at any scale on any plotters backend.
pub trait Figure {
    /// Title, also used in error messages.
    fn title(&self) -> &str;
    /// Size in logical pixels (the SVG's size).
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure on `root` (already sized `size() * scale`).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static;
}

/// The figure as an SVG document.
pub fn to_svg<F: Figure>(fig: &F) -> Result<String, PlotError> {
    register_fonts();
    let (w, h) = fig.size();
    let mut out = String::new();
    {
        let backend = SVGBackend::with_string(&mut out, (w, h));
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(draw_err(fig.title()))?;
        fig.draw(&root, &Theme::SVG)?;
        root.present().map_err(draw_err(fig.title()))?;
    }
    Ok(out)
}

/// The figure as a PNG file (8-bit RGB, drawn at twice the SVG's size).
pub fn to_png<F: Figure>(fig: &F) -> Result<Vec<u8>, PlotError> {
    register_fonts();
    let theme = Theme::PNG;
    let (w, h) = fig.size();
    let (w, h) = (theme.upx(w as f64), theme.upx(h as f64));
    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let backend = BitMapBackend::with_buffer(&mut pixels, (w, h));
        let root = backend.into_drawing_area();
        fig.draw(&root, &theme)?;
        root.present().map_err(draw_err(fig.title()))?;
    }
    encode_png(fig.title(), w, h, &pixels)
}

fn encode_png(figure: &str, w: u32, h: u32, rgb: &[u8]) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    let err = |source| PlotError::Png {
        figure: figure.to_string(),
        source,
    };
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // 144 dpi (5669 px/m): the PNG is drawn at twice the SVG's scale.
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: 5669,
            yppu: 5669,
            unit: png::Unit::Meter,
        }));
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(rgb).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}

/// Width and height of `text` in backend pixels.
pub(crate) fn text_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> (u32, u32)
where
    DB::ErrorType: 'static,
{
    root.estimate_text_size(text, style).unwrap_or((0, 0))
}

/// Widest of `texts` in backend pixels.
pub(crate) fn max_text_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    texts: impl IntoIterator<Item = impl AsRef<str>>,
    style: &TextStyle,
) -> u32
where
    DB::ErrorType: 'static,
{
    texts
        .into_iter()
        .map(|t| text_size(root, t.as_ref(), style).0)
        .max()
        .unwrap_or(0)
}

/// Shortens `text` to at most `max` characters, ending it with `…`.
pub fn ellipsize(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// "Nice" tick positions covering `[lo, hi]` (1, 2, 2.5 or 5 times a power
/// of ten; about `target` of them).
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    // Round away the float noise of i * step (0.6000000000000001).
    let scale = 10f64.powi((2 - step.log10().floor() as i32).clamp(0, 15));
    (first..=last)
        .map(|i| (i as f64 * step * scale).round() / scale)
        .collect()
}

/// A tick label with as many decimals as the step needs.
pub fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize + usize::from(is_quarter(step))
    };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

fn is_quarter(step: f64) -> bool {
    let m = step / 10f64.powf(step.log10().floor());
    (m - 2.5).abs() < 1e-9
}

/// A range padded by `frac` of its width on each side (a constant range is
/// widened to ±0.5, or ±5 % of its value).
pub fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let w = if lo == 0.0 { 0.5 } else { lo.abs() * 0.05 };
        return (lo - w, hi + w);
    }
    let pad = (hi - lo) * frac;
    (lo - pad, hi + pad)
}

/// A linear map from data values to backend pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub p0: i32,
    pub p1: i32,
}

impl Axis {
    pub fn map(&self, v: f64) -> i32 {
        let t = if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        };
        (self.p0 as f64 + t * (self.p1 - self.p0) as f64).round() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_range_with_round_steps() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(0.13, 0.87, 4), vec![0.2, 0.4, 0.6, 0.8]);
        let t = nice_ticks(-3.0, 7.0, 5);
        assert_eq!(t, vec![-2.0, 0.0, 2.0, 4.0, 6.0]);
        assert_eq!(nice_ticks(1.0, 1.0, 5), vec![1.0]);
    }

    #[test]
    fn tick_labels_use_the_decimals_of_the_step() {
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(0.25, 0.25), "0.25");
        assert_eq!(tick_label(-0.0, 0.1), "0.0");
        assert_eq!(tick_label(20.0, 5.0), "20");
        assert_eq!(tick_label(0.05, 0.05), "0.05");
    }

    #[test]
    fn ellipsize_keeps_short_text_and_marks_cuts() {
        assert_eq!(ellipsize("svm", 10), "svm");
        assert_eq!(ellipsize("abcdefghijk", 5), "abcd…");
    }

    #[test]
    fn padded_widens_constant_ranges() {
        assert_eq!(padded(0.0, 0.0, 0.1), (-0.5, 0.5));
        let (lo, hi) = padded(0.0, 1.0, 0.1);
        assert!((lo + 0.1).abs() < 1e-12 && (hi - 1.1).abs() < 1e-12);
    }
}
