//! Drawing helpers shared by the figures: titles, axes with ticks and grid
//! lines, legends and markers, in backend pixels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Axis, PlotError, Theme, colors, draw_err, nice_ticks, sizes, text_size, tick_label};

pub(crate) type Area<DB> = DrawingArea<DB, Shift>;

/// Draws `text` at `(x, y)` with `style`.
pub(crate) fn text<DB: DrawingBackend>(
    root: &Area<DB>,
    figure: &str,
    s: &str,
    (x, y): (i32, i32),
    style: &TextStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    if s.is_empty() {
        return Ok(());
    }
    root.draw(&Text::new(s.to_string(), (x, y), style.clone()))
        .map_err(draw_err(figure))
}

pub(crate) fn line<DB: DrawingBackend>(
    root: &Area<DB>,
    figure: &str,
    points: Vec<(i32, i32)>,
    style: ShapeStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.draw(&PathElement::new(points, style))
        .map_err(draw_err(figure))
}

pub(crate) fn dashed<DB: DrawingBackend>(
    root: &Area<DB>,
    figure: &str,
    points: Vec<(i32, i32)>,
    theme: &Theme,
    style: ShapeStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.draw(&plotters::element::DashedPathElement::new(
        points,
        theme.px(5.0),
        theme.px(4.0),
        style,
    ))
    .map_err(draw_err(figure))
}

pub(crate) fn rect<DB: DrawingBackend>(
    root: &Area<DB>,
    figure: &str,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    style: ShapeStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.draw(&Rectangle::new([(x0, y0), (x1, y1)], style))
        .map_err(draw_err(figure))
}

/// A filled marker of `shape` (0 circle, 1 square, 2 triangle, 3 diamond)
/// with radius `r` backend pixels.
pub(crate) fn marker<DB: DrawingBackend>(
    root: &Area<DB>,
    figure: &str,
    (x, y): (i32, i32),
    r: i32,
    shape: usize,
    style: ShapeStyle,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let res = match shape % 4 {
        0 => root.draw(&Circle::new((x, y), r, style)),
        1 => {
            let h = (r as f64 * 0.85).round() as i32;
            root.draw(&Rectangle::new([(x - h, y - h), (x + h, y + h)], style))
        }
        2 => {
            let h = (r as f64 * 1.15).round() as i32;
            root.draw(&Polygon::new(
                vec![(x, y - h), (x + h, y + h * 3 / 4), (x - h, y + h * 3 / 4)],
                style,
            ))
        }
        _ => {
            let h = (r as f64 * 1.2).round() as i32;
            root.draw(&Polygon::new(
                vec![(x, y - h), (x + h, y), (x, y + h), (x - h, y)],
                style,
            ))
        }
    };
    res.map_err(draw_err(figure))
}

/// Draws the figure title centred at the top; returns the first free row.
pub(crate) fn title<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    figure: &str,
) -> Result<i32, PlotError>
where
    DB::ErrorType: 'static,
{
    let (w, _) = root.dim_in_pixel();
    let style = theme.text_at(sizes::TITLE, HPos::Center, VPos::Top);
    text(root, figure, figure, (w as i32 / 2, theme.px(10.0)), &style)?;
    Ok(theme.px(10.0 + sizes::TITLE * 1.45))
}

/// Ticks of a linear axis: positions and their labels.
pub(crate) fn ticks(axis: &Axis, target: usize) -> Vec<(f64, String)> {
    let t = nice_ticks(axis.lo, axis.hi, target);
    let step = if t.len() > 1 { t[1] - t[0] } else { 1.0 };
    t.into_iter().map(|v| (v, tick_label(v, step))).collect()
}

/// A plot rectangle in backend pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

/// Draws a linear x axis along the bottom of `r`: grid lines, ticks, labels
/// and the axis title below them.
pub(crate) fn x_axis<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    figure: &str,
    r: Rect,
    axis: &Axis,
    axis_title: &str,
    grid: bool,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let label = theme.text_at(sizes::LABEL, HPos::Center, VPos::Top);
    let width_px = (r.x1 - r.x0) as f64 / theme.scale;
    for (v, s) in ticks(axis, ((width_px / 90.0).round() as usize).clamp(2, 8)) {
        let x = axis.map(v);
        if grid {
            line(
                root,
                figure,
                vec![(x, r.y0), (x, r.y1)],
                theme.stroke(colors::GRID, 1.0),
            )?;
        }
        line(
            root,
            figure,
            vec![(x, r.y1), (x, r.y1 + theme.px(5.0))],
            theme.stroke(colors::AXIS, 1.0),
        )?;
        text(root, figure, &s, (x, r.y1 + theme.px(8.0)), &label)?;
    }
    line(
        root,
        figure,
        vec![(r.x0, r.y1), (r.x1, r.y1)],
        theme.stroke(colors::AXIS, 1.0),
    )?;
    let t = theme.text_at(sizes::AXIS, HPos::Center, VPos::Top);
    text(
        root,
        figure,
        axis_title,
        (
            (r.x0 + r.x1) / 2,
            r.y1 + theme.px(12.0 + sizes::LABEL * 1.3),
        ),
        &t,
    )
}

/// Height taken below a plot by [`x_axis`] (tick labels and title).
pub(crate) fn x_axis_height(theme: &Theme) -> i32 {
    theme.px(12.0 + sizes::LABEL * 1.3 + sizes::AXIS * 1.5)
}

/// Draws a linear y axis along the left of `r` with its title rotated.
/// Returns nothing; the caller reserved [`y_axis_width`] to the left.
pub(crate) fn y_axis<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    figure: &str,
    r: Rect,
    axis: &Axis,
    axis_title: &str,
    grid: bool,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let label = theme.text_at(sizes::LABEL, HPos::Right, VPos::Center);
    let height_px = (r.y1 - r.y0) as f64 / theme.scale;
    let ticks = ticks(axis, ((height_px / 60.0).round() as usize).clamp(2, 8));
    let mut widest = 0;
    for (v, s) in &ticks {
        let y = axis.map(*v);
        if grid {
            line(
                root,
                figure,
                vec![(r.x0, y), (r.x1, y)],
                theme.stroke(colors::GRID, 1.0),
            )?;
        }
        line(
            root,
            figure,
            vec![(r.x0 - theme.px(5.0), y), (r.x0, y)],
            theme.stroke(colors::AXIS, 1.0),
        )?;
        text(root, figure, s, (r.x0 - theme.px(8.0), y), &label)?;
        widest = widest.max(text_size(root, s, &label).0 as i32);
    }
    line(
        root,
        figure,
        vec![(r.x0, r.y0), (r.x0, r.y1)],
        theme.stroke(colors::AXIS, 1.0),
    )?;
    let t = theme.vertical_text(sizes::AXIS);
    text(
        root,
        figure,
        axis_title,
        (
            r.x0 - theme.px(14.0) - widest - theme.px(sizes::AXIS * 0.6),
            (r.y0 + r.y1) / 2,
        ),
        &t,
    )
}

/// Width to reserve left of a plot for [`y_axis`] with labels this wide.
pub(crate) fn y_axis_width(theme: &Theme, tick_label_px: i32) -> i32 {
    theme.px(14.0 + sizes::AXIS * 1.6) + tick_label_px
}

/// Widest tick label of a y axis (backend pixels).
pub(crate) fn y_tick_width<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    axis: &Axis,
    height_px: f64,
) -> i32
where
    DB::ErrorType: 'static,
{
    let label = theme.text_at(sizes::LABEL, HPos::Right, VPos::Center);
    ticks(axis, ((height_px / 60.0).round() as usize).clamp(2, 8))
        .iter()
        .map(|(_, s)| text_size(root, s, &label).0 as i32)
        .max()
        .unwrap_or(0)
}

/// The plot area of a chart whose y axis spans `y`: below the title
/// (`top`), `bottom` above the lower edge, `right` (e.g. a legend) plus a
/// margin left of the right edge, with room for the y labels; and the y axis
/// mapped onto it.
pub(crate) fn value_area<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    (top, bottom, right): (i32, i32, i32),
    (lo, hi): (f64, f64),
) -> (Rect, Axis)
where
    DB::ErrorType: 'static,
{
    let (w, h) = root.dim_in_pixel();
    let y0 = Axis {
        lo,
        hi,
        p0: 0,
        p1: 0,
    };
    let tick_w = y_tick_width(
        root,
        theme,
        &y0,
        (h as i32 - top - bottom) as f64 / theme.scale,
    );
    let r = Rect {
        x0: y_axis_width(theme, tick_w) + theme.px(6.0),
        y0: top + theme.px(6.0),
        x1: w as i32 - right - theme.px(20.0),
        y1: h as i32 - bottom,
    };
    let y = Axis {
        p0: r.y1,
        p1: r.y0,
        ..y0
    };
    (r, y)
}

/// [`value_area`] with a numeric x axis spanning `x` below it and a legend
/// `legend_w` wide to its right; returns the area and both axes.
pub(crate) fn xy_area<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    top: i32,
    legend_w: i32,
    (xl, xh): (f64, f64),
    y: (f64, f64),
) -> (Rect, Axis, Axis)
where
    DB::ErrorType: 'static,
{
    let (r, y) = value_area(root, theme, (top, x_axis_height(theme), legend_w), y);
    let x = Axis {
        lo: xl,
        hi: xh,
        p0: r.x0,
        p1: r.x1,
    };
    (r, x, y)
}

/// One legend entry: a colour and a marker shape (or a line when `None`).
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    pub label: String,
    pub color: RGBColor,
    pub shape: Option<usize>,
}

/// Width of a vertical legend with these entries (backend pixels).
pub(crate) fn legend_width<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    entries: &[LegendEntry],
    heading: &str,
) -> i32
where
    DB::ErrorType: 'static,
{
    let style = theme.text(sizes::LABEL);
    let w = entries
        .iter()
        .map(|e| text_size(root, &e.label, &style).0 as i32)
        .chain(std::iter::once(text_size(root, heading, &style).0 as i32))
        .max()
        .unwrap_or(0);
    w + theme.px(40.0)
}

/// A vertical legend with its top-left corner at `(x, y)`.
pub(crate) fn legend<DB: DrawingBackend>(
    root: &Area<DB>,
    theme: &Theme,
    figure: &str,
    (x, y): (i32, i32),
    heading: &str,
    entries: &[LegendEntry],
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let style = theme.text(sizes::LABEL);
    let row = theme.px(sizes::LABEL * 1.6);
    let mut yy = y + row / 2;
    if !heading.is_empty() {
        text(root, figure, heading, (x, yy), &style)?;
        yy += row;
    }
    for e in entries {
        let cx = x + theme.px(9.0);
        match e.shape {
            Some(shape) => marker(
                root,
                figure,
                (cx, yy),
                theme.px(4.5),
                shape,
                e.color.filled(),
            )?,
            None => line(
                root,
                figure,
                vec![(x, yy), (x + theme.px(18.0), yy)],
                theme.stroke(e.color, 2.5),
            )?,
        }
        text(root, figure, &e.label, (x + theme.px(25.0), yy), &style)?;
        yy += row;
    }
    Ok(())
}
