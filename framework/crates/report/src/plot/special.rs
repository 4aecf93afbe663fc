//! Figures with their own geometry: the critical-difference diagram (Demšar
//! 2006, Fig. 1) and the valence-arousal plane with label regions.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{self, Area, LegendEntry};
use super::{Axis, Figure, PlotError, Theme, colors, ellipsize, padded, sizes};

/// A critical-difference diagram: configurations placed on an axis of
/// average ranks (1 = best, on the left), those not significantly different
/// (Nemenyi) joined by thick bars, the critical difference drawn above.
#[derive(Debug, Clone, PartialEq)]
pub struct CdDiagram {
    pub title: String,
    pub names: Vec<String>,
    /// Average rank per configuration (1 = best).
    pub ranks: Vec<f64>,
    /// The Nemenyi critical difference.
    pub cd: f64,
    /// Groups of configurations (indices) not significantly different.
    pub cliques: Vec<Vec<usize>>,
    /// A line under the axis: the Friedman test and the blocks used.
    pub note: String,
}

/// Vertical distance between clique bars and between name rows.
const CLIQUE_GAP: f64 = 18.0;
const CD_ROW: f64 = 30.0;

impl CdDiagram {
    fn half(&self) -> usize {
        self.names.len().div_ceil(2)
    }
}

impl Figure for CdDiagram {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        let h = 50.0
            + 48.0
            + CLIQUE_GAP * (self.cliques.len() + 1) as f64
            + 10.0
            + CD_ROW * self.half() as f64
            + 44.0;
        (980, h.ceil() as u32)
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        let k = self.names.len();
        if k < 2 || self.ranks.len() != k {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: format!("{} names and {} ranks", k, self.ranks.len()),
            });
        }
        let (w, h) = root.dim_in_pixel();
        let top = frame::title(root, t, fig)?;
        let side = t.px(280.0);
        let ax = Axis {
            lo: 1.0,
            hi: k as f64,
            p0: side,
            p1: w as i32 - side,
        };
        let axis_y = top + t.px(48.0);
        let st = t.stroke(colors::AXIS, 1.2);
        frame::line(root, fig, vec![(ax.p0, axis_y), (ax.p1, axis_y)], st)?;
        let tick = t.text_at(sizes::LABEL, HPos::Center, VPos::Bottom);
        for r in 1..=k {
            let x = ax.map(r as f64);
            frame::line(root, fig, vec![(x, axis_y), (x, axis_y - t.px(6.0))], st)?;
            frame::text(root, fig, &r.to_string(), (x, axis_y - t.px(8.0)), &tick)?;
        }
        for r in 1..k {
            let x = ax.map(r as f64 + 0.5);
            frame::line(root, fig, vec![(x, axis_y), (x, axis_y - t.px(3.0))], st)?;
        }
        let axis_title = t.text_at(sizes::SMALL, HPos::Right, VPos::Center);
        frame::text(
            root,
            fig,
            "average rank (1 = best)",
            (ax.p0 - t.px(14.0), axis_y - t.px(8.0)),
            &axis_title.color(&colors::MUTED),
        )?;
        // The critical difference as a bracket above the axis, from rank 1.
        if self.cd.is_finite() && self.cd > 0.0 {
            let y = top + t.px(6.0);
            let (xa, xb) = (ax.map(1.0), ax.map((1.0 + self.cd).min(k as f64 + 0.5)));
            let cs = t.stroke(RGBColor(0, 0, 0), 2.0);
            frame::line(root, fig, vec![(xa, y), (xb, y)], cs)?;
            frame::line(
                root,
                fig,
                vec![(xa, y - t.px(4.0)), (xa, y + t.px(4.0))],
                cs,
            )?;
            frame::line(
                root,
                fig,
                vec![(xb, y - t.px(4.0)), (xb, y + t.px(4.0))],
                cs,
            )?;
            let s = t.text_at(sizes::LABEL, HPos::Left, VPos::Center);
            frame::text(
                root,
                fig,
                &format!("CD = {:.2}", self.cd),
                (xb + t.px(8.0), y),
                &s,
            )?;
        }
        // Cliques: thick bars just under the axis.
        let clique_gap = t.px(CLIQUE_GAP);
        for (ci, c) in self.cliques.iter().enumerate() {
            let rs: Vec<f64> = c
                .iter()
                .filter_map(|&i| self.ranks.get(i))
                .copied()
                .collect();
            let lo = rs.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = rs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !(lo.is_finite() && hi.is_finite()) {
                continue;
            }
            let y = axis_y + clique_gap * (ci as i32 + 1);
            frame::line(
                root,
                fig,
                vec![(ax.map(lo) - t.px(3.0), y), (ax.map(hi) + t.px(3.0), y)],
                t.stroke(RGBColor(0, 0, 0), 4.0),
            )?;
        }
        // Names: better half to the left, worse half to the right.
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| self.ranks[a].total_cmp(&self.ranks[b]).then(a.cmp(&b)));
        let first_row = axis_y + clique_gap * (self.cliques.len() as i32 + 1) + t.px(10.0);
        let row = t.px(CD_ROW);
        let half = self.half();
        let ls = t.text_at(sizes::LABEL, HPos::Right, VPos::Center);
        let rs = t.text_at(sizes::LABEL, HPos::Left, VPos::Center);
        let thin = t.stroke(colors::AXIS, 1.0);
        for (pos, &i) in order.iter().enumerate() {
            let x = ax.map(self.ranks[i]);
            let label = format!("{} ({:.2})", ellipsize(&self.names[i], 26), self.ranks[i]);
            if pos < half {
                let y = first_row + row * pos as i32;
                let edge = side - t.px(20.0);
                frame::line(root, fig, vec![(x, axis_y), (x, y), (edge, y)], thin)?;
                frame::text(root, fig, &label, (edge - t.px(6.0), y), &ls)?;
            } else {
                let y = first_row + row * (k - 1 - pos) as i32;
                let edge = w as i32 - side + t.px(20.0);
                frame::line(root, fig, vec![(x, axis_y), (x, y), (edge, y)], thin)?;
                frame::text(root, fig, &label, (edge + t.px(6.0), y), &rs)?;
            }
        }
        let ns = t.text_at(sizes::SMALL, HPos::Center, VPos::Bottom);
        frame::text(
            root,
            fig,
            &self.note,
            (w as i32 / 2, h as i32 - t.px(8.0)),
            &ns.color(&colors::MUTED),
        )
    }
}

/// Label regions drawn under a valence-arousal scatter.
#[derive(Debug, Clone, PartialEq)]
pub enum Regions {
    None,
    /// An equal (or any) grid: the interior boundaries on each axis.
    Grid {
        valence_edges: Vec<f64>,
        arousal_edges: Vec<f64>,
    },
    /// k-means clusters: the regions are the Voronoi cells of the centroids
    /// (nearest centroid, Euclidean in the valence-arousal plane); centroid
    /// `i` belongs to class `i`.
    Centroids(Vec<(f64, f64)>),
}

impl Regions {
    /// An `n x n` equal grid over the given ranges (e.g. the 4/16/64-class
    /// grids of Delbouys et al. 2018 are `n` = 2/4/8).
    pub fn equal_grid(n: usize, valence: (f64, f64), arousal: (f64, f64)) -> Regions {
        let edges = |(lo, hi): (f64, f64)| -> Vec<f64> {
            (1..n.max(1))
                .map(|i| lo + (hi - lo) * i as f64 / n as f64)
                .collect()
        };
        Regions::Grid {
            valence_edges: edges(valence),
            arousal_edges: edges(arousal),
        }
    }
}

/// Tracks in the valence-arousal plane coloured by their label, over the
/// regions that define the labels.
#[derive(Debug, Clone, PartialEq)]
pub struct VaScatter {
    pub title: String,
    /// `(valence, arousal)` per track.
    pub points: Vec<(f64, f64)>,
    /// Class index per track (into `classes`).
    pub labels: Vec<usize>,
    pub classes: Vec<String>,
    pub regions: Regions,
    /// Axis ranges; `None` fits the data (and the centroids).
    pub valence_range: Option<(f64, f64)>,
    pub arousal_range: Option<(f64, f64)>,
}

/// Clips a convex polygon to the half-plane `a·x + b·y <= c`
/// (Sutherland-Hodgman, one edge).
fn clip(poly: &[(f64, f64)], a: f64, b: f64, c: f64) -> Vec<(f64, f64)> {
    let inside = |p: (f64, f64)| a * p.0 + b * p.1 <= c;
    let cross = |p: (f64, f64), q: (f64, f64)| {
        let (fp, fq) = (a * p.0 + b * p.1 - c, a * q.0 + b * q.1 - c);
        let s = fp / (fp - fq);
        (p.0 + s * (q.0 - p.0), p.1 + s * (q.1 - p.1))
    };
    let mut out = Vec::new();
    for i in 0..poly.len() {
        let (p, q) = (poly[i], poly[(i + 1) % poly.len()]);
        match (inside(p), inside(q)) {
            (true, true) => out.push(q),
            (true, false) => out.push(cross(p, q)),
            (false, true) => {
                out.push(cross(p, q));
                out.push(q);
            }
            (false, false) => {}
        }
    }
    out
}

/// The Voronoi cell of centroid `i` inside the box `[x0, x1] x [y0, y1]`.
pub fn voronoi_cell(
    centroids: &[(f64, f64)],
    i: usize,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Vec<(f64, f64)> {
    let mut poly = vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
    let ci = centroids[i];
    for (j, &cj) in centroids.iter().enumerate() {
        if j == i || cj == ci {
            continue;
        }
        // |p - ci|² <= |p - cj|²  <=>  2 (cj - ci)·p <= |cj|² - |ci|²
        let a = 2.0 * (cj.0 - ci.0);
        let b = 2.0 * (cj.1 - ci.1);
        let c = cj.0 * cj.0 + cj.1 * cj.1 - ci.0 * ci.0 - ci.1 * ci.1;
        poly = clip(&poly, a, b, c);
        if poly.is_empty() {
            break;
        }
    }
    poly
}

impl Figure for VaScatter {
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        (900, 720)
    }
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>, t: &Theme) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let fig = self.title.as_str();
        if self.points.is_empty() || self.points.len() != self.labels.len() {
            return Err(PlotError::NoData {
                figure: fig.into(),
                why: format!(
                    "{} points and {} labels",
                    self.points.len(),
                    self.labels.len()
                ),
            });
        }
        let top = frame::title(root, t, fig)?;
        let mut entries: Vec<LegendEntry> = self
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| LegendEntry {
                label: ellipsize(c, 24),
                color: colors::category(i),
                shape: Some(colors::shape(i)),
            })
            .collect();
        if let Regions::Centroids(_) = self.regions {
            entries.push(LegendEntry {
                label: "k-means centroid".into(),
                color: RGBColor(0, 0, 0),
                shape: Some(3),
            });
        }
        let lw = frame::legend_width(root, t, &entries, "label");
        let fit = |f: fn(&(f64, f64)) -> f64| {
            let extra: Vec<f64> = match &self.regions {
                Regions::Centroids(c) => c.iter().map(f).collect(),
                _ => Vec::new(),
            };
            let (lo, hi) = self
                .points
                .iter()
                .map(f)
                .chain(extra)
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
            padded(lo, hi, 0.04)
        };
        let (vl, vh) = self.valence_range.unwrap_or_else(|| fit(|p| p.0));
        let (al, ah) = self.arousal_range.unwrap_or_else(|| fit(|p| p.1));
        let (r, x, y) = frame::xy_area(root, t, top, lw, (vl, vh), (al, ah));
        let map = |p: (f64, f64)| (x.map(p.0), y.map(p.1));
        if let Regions::Centroids(cs) = &self.regions {
            for i in 0..cs.len() {
                let cell = voronoi_cell(cs, i, (vl, vh), (al, ah));
                if cell.len() >= 3 {
                    let poly: Vec<(i32, i32)> = cell.iter().map(|&p| map(p)).collect();
                    root.draw(&Polygon::new(
                        poly.clone(),
                        colors::tint(colors::category(i), 0.85).filled(),
                    ))
                    .map_err(super::draw_err(fig))?;
                    let mut closed = poly;
                    closed.push(closed[0]);
                    frame::line(root, fig, closed, t.stroke(colors::MUTED, 1.2))?;
                }
            }
        }
        frame::x_axis(root, t, fig, r, &x, "valence", false)?;
        frame::y_axis(root, t, fig, r, &y, "arousal", false)?;
        if let Regions::Grid {
            valence_edges,
            arousal_edges,
        } = &self.regions
        {
            for v in valence_edges.iter().filter(|v| **v > vl && **v < vh) {
                frame::dashed(
                    root,
                    fig,
                    vec![(x.map(*v), r.y0), (x.map(*v), r.y1)],
                    t,
                    t.stroke(colors::AXIS, 1.2),
                )?;
            }
            for a in arousal_edges.iter().filter(|a| **a > al && **a < ah) {
                frame::dashed(
                    root,
                    fig,
                    vec![(r.x0, y.map(*a)), (r.x1, y.map(*a))],
                    t,
                    t.stroke(colors::AXIS, 1.2),
                )?;
            }
        }
        let many = self.points.len() > 400;
        let radius = t.px(if many { 2.6 } else { 3.8 });
        for (p, &l) in self.points.iter().zip(&self.labels) {
            if !(p.0.is_finite() && p.1.is_finite()) {
                continue;
            }
            let c = colors::category(l);
            let style = c.mix(if many { 0.6 } else { 0.85 }).filled();
            frame::marker(root, fig, map(*p), radius, colors::shape(l), style)?;
        }
        if let Regions::Centroids(cs) = &self.regions {
            for (i, c) in cs.iter().enumerate() {
                let p = map(*c);
                frame::marker(root, fig, p, t.px(7.5), 3, RGBColor(255, 255, 255).filled())?;
                frame::marker(root, fig, p, t.px(7.5), 3, t.stroke(RGBColor(0, 0, 0), 2.0))?;
                frame::marker(root, fig, p, t.px(3.0), 3, colors::category(i).filled())?;
            }
        }
        frame::rect(
            root,
            fig,
            (r.x0, r.y0),
            (r.x1, r.y1),
            t.stroke(colors::AXIS, 1.0),
        )?;
        frame::legend(root, t, fig, (r.x1 + t.px(16.0), r.y0), "label", &entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(poly: &[(f64, f64)]) -> f64 {
        let n = poly.len();
        (0..n)
            .map(|i| {
                let (p, q) = (poly[i], poly[(i + 1) % n]);
                p.0 * q.1 - q.0 * p.1
            })
            .sum::<f64>()
            .abs()
            / 2.0
    }

    #[test]
    fn voronoi_cells_of_four_symmetric_centroids_are_quadrants() {
        let c = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)];
        let mut total = 0.0;
        for i in 0..4 {
            let cell = voronoi_cell(&c, i, (-1.0, 1.0), (-1.0, 1.0));
            assert!((area(&cell) - 1.0).abs() < 1e-12, "cell {i}: {cell:?}");
            total += area(&cell);
            // The centroid lies inside its own cell's bounding box.
            let (xs, ys): (Vec<f64>, Vec<f64>) = cell.iter().copied().unzip();
            let inside = |v: f64, s: &[f64]| {
                v >= s.iter().copied().fold(f64::INFINITY, f64::min)
                    && v <= s.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            };
            assert!(inside(c[i].0, &xs) && inside(c[i].1, &ys));
        }
        assert!((total - 4.0).abs() < 1e-12);
    }

    #[test]
    fn equal_grid_edges() {
        let Regions::Grid {
            valence_edges,
            arousal_edges,
        } = Regions::equal_grid(4, (-1.0, 1.0), (0.0, 8.0))
        else {
            panic!("a grid")
        };
        assert_eq!(valence_edges, vec![-0.5, 0.0, 0.5]);
        assert_eq!(arousal_edges, vec![2.0, 4.0, 6.0]);
    }
}
