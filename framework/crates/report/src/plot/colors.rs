//! Colours: a categorical palette safe for colour-blind readers and two
//! colour maps (sequential and diverging).

use plotters::style::RGBColor;

/// Okabe & Ito (2008, "Color universal design") for the first eight
/// categories, then the remaining Tableau-10 hues, then greys.
pub const CATEGORICAL: [RGBColor; 14] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
    RGBColor(140, 86, 75),   // brown
    RGBColor(127, 127, 127), // grey
    RGBColor(188, 189, 34),  // olive
    RGBColor(148, 103, 189), // purple
    RGBColor(23, 190, 207),  // cyan
    RGBColor(199, 199, 199), // light grey
];

/// Colour of category `i` (cycles after 14).
pub fn category(i: usize) -> RGBColor {
    CATEGORICAL[i % CATEGORICAL.len()]
}

/// Marker shape of category `i`, so categories stay apart in greyscale print
/// (0 circle, 1 square, 2 triangle, 3 diamond, then again).
pub fn shape(i: usize) -> usize {
    (i / CATEGORICAL.len() + i) % 4
}

pub const GRID: RGBColor = RGBColor(225, 225, 225);
pub const AXIS: RGBColor = RGBColor(60, 60, 60);
pub const MUTED: RGBColor = RGBColor(110, 110, 110);
pub const HIGHLIGHT: RGBColor = RGBColor(213, 94, 0);

/// Sequential blues (ColorBrewer "Blues", 9 classes), from white to navy.
const BLUES: [(u8, u8, u8); 9] = [
    (247, 251, 255),
    (222, 235, 247),
    (198, 219, 239),
    (158, 202, 225),
    (107, 174, 214),
    (66, 146, 198),
    (33, 113, 181),
    (8, 81, 156),
    (8, 48, 107),
];

/// Diverging red-blue (ColorBrewer "RdBu", 11 classes), reversed so that
/// negative values are blue and positive red.
const RDBU: [(u8, u8, u8); 11] = [
    (5, 48, 97),
    (33, 102, 172),
    (67, 147, 195),
    (146, 197, 222),
    (209, 229, 240),
    (247, 247, 247),
    (253, 219, 199),
    (244, 165, 130),
    (214, 96, 77),
    (178, 24, 43),
    (103, 0, 31),
];

fn interpolate(stops: &[(u8, u8, u8)], t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (stops[i], stops[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// `t` in `[0, 1]` on the sequential blue map.
pub fn blues(t: f64) -> RGBColor {
    interpolate(&BLUES, t)
}

/// `t` in `[-1, 1]` on the diverging map (0 is near white).
pub fn red_blue(t: f64) -> RGBColor {
    interpolate(&RDBU, (t + 1.0) / 2.0)
}

/// Black or white, whichever reads better on `bg` (WCAG relative luminance).
pub fn text_on(bg: RGBColor) -> RGBColor {
    let lin = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(bg.0) + 0.7152 * lin(bg.1) + 0.0722 * lin(bg.2);
    if l > 0.4 {
        RGBColor(0, 0, 0)
    } else {
        RGBColor(255, 255, 255)
    }
}

/// A lighter tint of `c` (`t` = 0 is `c`, 1 is white).
pub fn tint(c: RGBColor, t: f64) -> RGBColor {
    let m = |v: u8| (v as f64 + (255.0 - v as f64) * t).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hit_their_end_stops() {
        assert_eq!(blues(0.0), RGBColor(247, 251, 255));
        assert_eq!(blues(1.0), RGBColor(8, 48, 107));
        assert_eq!(red_blue(-1.0), RGBColor(5, 48, 97));
        assert_eq!(red_blue(0.0), RGBColor(247, 247, 247));
        assert_eq!(red_blue(1.0), RGBColor(103, 0, 31));
    }

    #[test]
    fn text_contrasts_with_its_background() {
        assert_eq!(text_on(blues(1.0)), RGBColor(255, 255, 255));
        assert_eq!(text_on(blues(0.0)), RGBColor(0, 0, 0));
    }
}
