//! A rendered-agnostic table (stub columns naming the row, value cells with
//! their rank and significance markers, a legend) and its three renderings:
//! Markdown, LaTeX (booktabs) and HTML.
//!
//! Best and second-best cells are decided on the value as printed (three
//! decimals), so two cells that read the same are both marked.

use std::fmt::Write as _;

use mer_metrics::{Direction, Summary};

/// Decimals printed for metric values.
pub const DECIMALS: usize = 3;

/// A cell's place in its column (or row, for study tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    Best,
    Second,
}

/// A significance marker on a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Marker {
    /// Nadeau-Bengio corrected resampled t-test, Holm-adjusted.
    NadeauBengio,
    /// Wilcoxon signed-rank test, Holm-adjusted.
    Wilcoxon,
}

impl Marker {
    pub fn symbol(self) -> &'static str {
        match self {
            Marker::NadeauBengio => "†",
            Marker::Wilcoxon => "‡",
        }
    }
    fn latex(self) -> &'static str {
        match self {
            Marker::NadeauBengio => "\\dagger",
            Marker::Wilcoxon => "\\ddagger",
        }
    }
}

/// One value cell: a summary of per-fold values.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub summary: Option<Summary>,
    /// Print the 95 % t-interval after mean ± std.
    pub show_ci: bool,
    pub rank: Option<Rank>,
    pub markers: Vec<Marker>,
    /// Decimals printed (defaults to [`DECIMALS`]).
    pub decimals: usize,
}

impl Cell {
    pub fn of(values: &[f64], show_ci: bool) -> Cell {
        Cell {
            summary: (!values.is_empty()).then(|| Summary::of(values)),
            show_ci,
            rank: None,
            markers: Vec::new(),
            decimals: DECIMALS,
        }
    }

    /// A single number printed with `decimals` (counts, shares, distances).
    pub fn number(v: f64, decimals: usize) -> Cell {
        Cell {
            decimals,
            ..Cell::of(&[v], false)
        }
    }

    pub fn empty() -> Cell {
        Cell {
            summary: None,
            show_ci: false,
            rank: None,
            markers: Vec::new(),
            decimals: DECIMALS,
        }
    }

    /// The mean, if there is one.
    pub fn mean(&self) -> Option<f64> {
        self.summary.map(|s| s.mean)
    }

    /// The value as printed, without emphasis: `0.812 ± 0.034 [0.770, 0.854]`.
    pub fn plain(&self) -> String {
        let Some(s) = self.summary else {
            return "–".into();
        };
        let d = self.decimals;
        let mut out = num_with(s.mean, d);
        if s.n >= 2 {
            let _ = write!(out, " ± {}", num_with(s.std, d));
            if self.show_ci
                && let Some((lo, hi)) = s.ci95
            {
                let _ = write!(out, " [{}, {}]", num_with(lo, d), num_with(hi, d));
            }
        }
        out
    }

    fn marker_text(&self) -> String {
        self.markers.iter().map(|m| m.symbol()).collect()
    }

    fn latex(&self) -> String {
        let Some(s) = self.summary else {
            return "--".into();
        };
        let d = self.decimals;
        let mut body = latex_num(s.mean, d);
        if s.n >= 2 {
            let _ = write!(body, " \\pm {}", latex_num(s.std, d));
        }
        let mut out = match self.rank {
            Some(Rank::Best) => format!("$\\mathbf{{{body}}}$"),
            Some(Rank::Second) => format!("\\underline{{${body}$}}"),
            None => format!("${body}$"),
        };
        if s.n >= 2
            && self.show_ci
            && let Some((lo, hi)) = s.ci95
        {
            let _ = write!(
                out,
                " {{\\scriptsize $[{}, {}]$}}",
                latex_num(lo, d),
                latex_num(hi, d)
            );
        }
        if !self.markers.is_empty() {
            let m: String = self.markers.iter().map(|m| m.latex()).collect();
            let _ = write!(out, "$^{{{m}}}$");
        }
        out
    }

    fn markdown(&self) -> String {
        let p = self.plain();
        let mut out = match self.rank {
            Some(Rank::Best) => format!("**{p}**"),
            Some(Rank::Second) => format!("_{p}_"),
            None => p,
        };
        let m = self.marker_text();
        if !m.is_empty() {
            out.push(' ');
            out.push_str(&m);
        }
        out
    }

    fn html(&self) -> String {
        let p = html_escape(&self.plain());
        let mut out = match self.rank {
            Some(Rank::Best) => format!("<b>{p}</b>"),
            Some(Rank::Second) => format!("<u>{p}</u>"),
            None => p,
        };
        let m = self.marker_text();
        if !m.is_empty() {
            let _ = write!(out, "<sup>{m}</sup>");
        }
        out
    }
}

/// `0.812`, `-0.034`, `NaN`, `inf`.
pub fn num(v: f64) -> String {
    num_with(v, DECIMALS)
}

/// [`num`] with `d` decimals.
pub fn num_with(v: f64, d: usize) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        let s = format!("{v:.d$}");
        // -0.000 reads as a sign error.
        if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
            s[1..].to_string()
        } else {
            s
        }
    }
}

fn latex_num(v: f64, d: usize) -> String {
    if v.is_nan() {
        "\\mathrm{NaN}".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "\\infty".into()
        } else {
            "-\\infty".into()
        }
    } else {
        num_with(v, d)
    }
}

/// A row: its stub cells (what it is) and its value cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub stub: Vec<String>,
    pub cells: Vec<Cell>,
}

/// A table ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Stable identifier: LaTeX label suffix, HTML anchor, file name.
    pub id: String,
    pub title: String,
    /// Headers of the stub columns.
    pub stub: Vec<String>,
    /// Headers of the value columns (plain text, may hold `R²`, `×`).
    pub columns: Vec<String>,
    /// Optional spanning headers over the value columns: `(text, width)`.
    pub spans: Vec<(String, usize)>,
    pub rows: Vec<Row>,
    /// Sentences under the table (plain text).
    pub legend: Vec<String>,
}

impl Table {
    /// Marks the best and second-best cell of each value column under its
    /// direction (`None`: the column is not ranked).
    pub fn rank_columns(&mut self, directions: &[Option<Direction>]) {
        for (j, dir) in directions.iter().enumerate() {
            let Some(dir) = dir else { continue };
            let cells: Vec<(usize, f64)> = self
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.cells.get(j).and_then(|c| c.mean()).map(|m| (i, m)))
                .collect();
            for (i, rank) in ranks(&cells, *dir) {
                self.rows[i].cells[j].rank = Some(rank);
            }
        }
    }

    /// Marks best and second best within each row over the columns `cols`.
    pub fn rank_rows(&mut self, cols: &[usize], dirs: &[Option<Direction>]) {
        for (ri, row) in self.rows.iter_mut().enumerate() {
            let Some(Some(dir)) = dirs.get(ri) else {
                continue;
            };
            let cells: Vec<(usize, f64)> = cols
                .iter()
                .filter_map(|&j| row.cells.get(j).and_then(|c| c.mean()).map(|m| (j, m)))
                .collect();
            for (j, rank) in ranks(&cells, *dir) {
                row.cells[j].rank = Some(rank);
            }
        }
    }

    /// The table as GitHub-flavoured Markdown, with a heading and legend.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "### {}\n", self.title);
        let mut header: Vec<String> = self.stub.clone();
        if self.spans.is_empty() {
            header.extend(self.columns.iter().cloned());
        } else {
            let mut j = 0;
            for (text, width) in &self.spans {
                for c in &self.columns[j..(j + width).min(self.columns.len())] {
                    header.push(format!("{text} {c}"));
                }
                j += width;
            }
        }
        let _ = writeln!(
            s,
            "| {} |",
            header
                .iter()
                .map(|h| md_escape(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let align: Vec<&str> = (0..header.len())
            .map(|i| if i < self.stub.len() { "---" } else { "---:" })
            .collect();
        let _ = writeln!(s, "|{}|", align.join("|"));
        for r in &self.rows {
            let mut cells: Vec<String> = r.stub.iter().map(|c| md_escape(c)).collect();
            cells.extend(r.cells.iter().map(|c| c.markdown()));
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        if !self.legend.is_empty() {
            let _ = writeln!(s);
            for l in &self.legend {
                let _ = writeln!(s, "{l}  ");
            }
        }
        s.push('\n');
        s
    }

    /// The table as a LaTeX float (booktabs). Wide tables are scaled to the
    /// line width; long ones (over 40 rows) become a `longtable`.
    /// Needs `booktabs`, `graphicx` and `longtable` in the preamble.
    pub fn to_latex(&self, label_prefix: &str) -> String {
        let ncols = self.stub.len() + self.columns.len();
        let spec: String = "l".repeat(self.stub.len()) + &"r".repeat(self.columns.len());
        let mut head = String::new();
        if !self.spans.is_empty() {
            let mut cells: Vec<String> = vec![String::new(); self.stub.len()];
            let mut rules = String::new();
            let mut col = self.stub.len() + 1;
            for (text, width) in &self.spans {
                cells.push(format!(
                    "\\multicolumn{{{width}}}{{c}}{{{}}}",
                    latex_escape(text)
                ));
                let _ = write!(rules, "\\cmidrule(lr){{{}-{}}}", col, col + width - 1);
                col += width;
            }
            let _ = writeln!(head, "{} \\\\", cells.join(" & "));
            let _ = writeln!(head, "{rules}");
        }
        let header: Vec<String> = self
            .stub
            .iter()
            .chain(&self.columns)
            .map(|h| latex_escape(h))
            .collect();
        let _ = writeln!(head, "{} \\\\", header.join(" & "));
        let mut body = String::new();
        for r in &self.rows {
            let mut cells: Vec<String> = r.stub.iter().map(|c| latex_escape(c)).collect();
            cells.extend(r.cells.iter().map(|c| c.latex()));
            let _ = writeln!(body, "{} \\\\", cells.join(" & "));
        }
        let caption = latex_escape(&self.title);
        let label = format!("tab:{label_prefix}{}", self.id);
        let legend: String = self
            .legend
            .iter()
            .map(|l| latex_escape(l))
            .collect::<Vec<_>>()
            .join(" ");
        let mut s = String::new();
        if self.rows.len() > 40 {
            let _ = writeln!(s, "{{\\small\n\\begin{{longtable}}{{{spec}}}");
            let _ = writeln!(s, "\\caption{{{caption}}}\\label{{{label}}} \\\\");
            let _ = write!(s, "\\toprule\n{head}\\midrule\n\\endfirsthead\n");
            let _ = write!(s, "\\toprule\n{head}\\midrule\n\\endhead\n");
            let _ = writeln!(s, "\\bottomrule\n\\endlastfoot");
            s.push_str(&body);
            let _ = writeln!(s, "\\end{{longtable}}\n}}");
            if !legend.is_empty() {
                let _ = writeln!(s, "{{\\footnotesize {legend}\\par}}\\medskip");
            }
            return s;
        }
        // Scale down only tables wider than a line (estimated from the text).
        let width: usize = (0..ncols)
            .map(|j| {
                let head_w = self
                    .stub
                    .iter()
                    .chain(&self.columns)
                    .nth(j)
                    .map_or(0, |h| h.chars().count());
                let body_w = self
                    .rows
                    .iter()
                    .map(|r| {
                        if j < self.stub.len() {
                            r.stub.get(j).map_or(0, |c| c.chars().count())
                        } else {
                            r.cells
                                .get(j - self.stub.len())
                                .map_or(0, |c| c.plain().chars().count() + 2)
                        }
                    })
                    .max()
                    .unwrap_or(0);
                head_w.max(body_w) + 2
            })
            .sum();
        let scale = width > 95;
        let _ = writeln!(s, "\\begin{{table}}[htbp]\n\\centering\n\\small");
        let _ = writeln!(s, "\\caption{{{caption}}}\\label{{{label}}}");
        if scale {
            let _ = writeln!(s, "\\resizebox{{\\linewidth}}{{!}}{{%");
        }
        let _ = writeln!(s, "\\begin{{tabular}}{{{spec}}}\n\\toprule");
        s.push_str(&head);
        s.push_str("\\midrule\n");
        s.push_str(&body);
        let _ = writeln!(s, "\\bottomrule\n\\end{{tabular}}");
        if scale {
            let _ = writeln!(s, "}}");
        }
        if !legend.is_empty() {
            let _ = writeln!(
                s,
                "\\par\\smallskip\\parbox{{\\linewidth}}{{\\footnotesize {legend}}}"
            );
        }
        let _ = writeln!(s, "\\end{{table}}");
        s
    }

    /// The table as an HTML fragment with its caption and legend.
    pub fn to_html(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<table id=\"{}\">\n<caption>{}</caption>\n<thead>",
            html_escape(&self.id),
            html_escape(&self.title)
        );
        if !self.spans.is_empty() {
            let _ = write!(s, "<tr>");
            for _ in &self.stub {
                let _ = write!(s, "<th></th>");
            }
            for (text, width) in &self.spans {
                let _ = write!(
                    s,
                    "<th colspan=\"{width}\" class=\"span\">{}</th>",
                    html_escape(text)
                );
            }
            let _ = writeln!(s, "</tr>");
        }
        let _ = write!(s, "<tr>");
        for h in &self.stub {
            let _ = write!(s, "<th class=\"stub\">{}</th>", html_escape(h));
        }
        for h in &self.columns {
            let _ = write!(s, "<th>{}</th>", html_escape(h));
        }
        let _ = writeln!(s, "</tr>\n</thead>\n<tbody>");
        for r in &self.rows {
            let _ = write!(s, "<tr>");
            for c in &r.stub {
                let _ = write!(s, "<td class=\"stub\">{}</td>", html_escape(c));
            }
            for c in &r.cells {
                let _ = write!(s, "<td>{}</td>", c.html());
            }
            let _ = writeln!(s, "</tr>");
        }
        let _ = writeln!(s, "</tbody>\n</table>");
        if !self.legend.is_empty() {
            let _ = writeln!(s, "<div class=\"legend\">");
            for l in &self.legend {
                let _ = writeln!(s, "<p>{}</p>", html_escape(l));
            }
            let _ = writeln!(s, "</div>");
        }
        s
    }
}

/// Best and second-best entries of `(index, mean)` under `dir`, compared as
/// printed (rounded to [`DECIMALS`]); non-finite means are not ranked.
fn ranks(cells: &[(usize, f64)], dir: Direction) -> Vec<(usize, Rank)> {
    let scale = 10f64.powi(DECIMALS as i32);
    let key = |m: f64| -> i64 {
        let k = (m * scale).round() as i64;
        match dir {
            Direction::HigherIsBetter => -k,
            Direction::LowerIsBetter => k,
        }
    };
    let mut keys: Vec<i64> = cells
        .iter()
        .filter(|(_, m)| m.is_finite())
        .map(|(_, m)| key(*m))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::new();
    for &(i, m) in cells.iter().filter(|(_, m)| m.is_finite()) {
        let k = key(m);
        if keys.first() == Some(&k) {
            out.push((i, Rank::Best));
        } else if keys.get(1) == Some(&k) {
            out.push((i, Rank::Second));
        }
    }
    out
}

/// Escapes Markdown table syntax in a stub cell (`|`).
fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for LaTeX: the ten special characters, and the few
/// non-ASCII symbols reports use, written as LaTeX commands so `pdflatex`
/// needs no Unicode set-up. Other non-ASCII letters are left to `inputenc`
/// (UTF-8 is the default since LaTeX 2018).
pub fn latex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' => out.push_str("\\&"),
            '%' => out.push_str("\\%"),
            '$' => out.push_str("\\$"),
            '#' => out.push_str("\\#"),
            '_' => out.push_str("\\_"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            '±' => out.push_str("$\\pm$"),
            '×' => out.push_str("$\\times$"),
            '²' => out.push_str("\\textsuperscript{2}"),
            '†' => out.push_str("$^\\dagger$"),
            '‡' => out.push_str("$^\\ddagger$"),
            '–' => out.push_str("--"),
            '—' => out.push_str("---"),
            '≤' => out.push_str("$\\le$"),
            '≥' => out.push_str("$\\ge$"),
            'α' => out.push_str("$\\alpha$"),
            'χ' => out.push_str("$\\chi$"),
            '·' => out.push_str("$\\cdot$"),
            '◦' => out.push_str("$\\circ$"),
            '…' => out.push_str("\\ldots{}"),
            '−' => out.push_str("$-$"),
            '≈' => out.push_str("$\\approx$"),
            '→' => out.push_str("$\\to$"),
            'β' => out.push_str("$\\beta$"),
            'μ' => out.push_str("$\\mu$"),
            'σ' => out.push_str("$\\sigma$"),
            'ρ' => out.push_str("$\\rho$"),
            '°' => out.push_str("\\textdegree{}"),
            '“' => out.push_str("``"),
            '”' => out.push_str("''"),
            '‘' => out.push('`'),
            '’' => out.push('\''),
            // Latin letters with accents are fine with T1 + UTF-8 input.
            c if (c as u32) < 0x180 => out.push(c),
            // Anything else would stop pdflatex: write its code point.
            c => {
                let _ = write!(out, "[U+{:04X}]", c as u32);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latex_specials_are_escaped() {
        assert_eq!(
            latex_escape("a_b & 50% #1 $x$ {y} ~^\\"),
            "a\\_b \\& 50\\% \\#1 \\$x\\$ \\{y\\} \\textasciitilde{}\\textasciicircum{}\\textbackslash{}"
        );
        assert_eq!(
            latex_escape("R² ± 1 × 2"),
            "R\\textsuperscript{2} $\\pm$ 1 $\\times$ 2"
        );
        assert_eq!(latex_escape("Demšar 1 − α"), "Demšar 1 $-$ $\\alpha$");
        assert_eq!(latex_escape("音"), "[U+97F3]");
    }

    #[test]
    fn cells_print_mean_std_and_optional_interval() {
        let c = Cell::of(&[1.0, 2.0, 3.0, 4.0], false);
        assert_eq!(c.plain(), "2.500 ± 1.291");
        let c = Cell::of(&[1.0, 2.0, 3.0, 4.0], true);
        // t(0.975, 3) * 1.291 / 2 = 2.054
        assert_eq!(c.plain(), "2.500 ± 1.291 [0.446, 4.554]");
        assert_eq!(Cell::of(&[0.5], true).plain(), "0.500");
        assert_eq!(Cell::of(&[], false).plain(), "–");
        assert_eq!(num(-0.0001), "0.000");
        assert_eq!(num(f64::NAN), "NaN");
    }

    #[test]
    fn ranking_is_direction_aware_and_ties_share_a_rank() {
        let cells = [(0, 0.81), (1, 0.8104), (2, 0.79), (3, 0.70), (4, f64::NAN)];
        let r = ranks(&cells, Direction::HigherIsBetter);
        assert_eq!(r, vec![(0, Rank::Best), (1, Rank::Best), (2, Rank::Second)]);
        let r = ranks(&cells, Direction::LowerIsBetter);
        assert_eq!(r, vec![(2, Rank::Second), (3, Rank::Best)]);
    }

    #[test]
    fn latex_cells_bold_underline_and_mark() {
        let mut c = Cell::of(&[0.5, 0.7], false);
        c.rank = Some(Rank::Best);
        c.markers = vec![Marker::NadeauBengio, Marker::Wilcoxon];
        assert_eq!(
            c.latex(),
            "$\\mathbf{0.600 \\pm 0.141}$$^{\\dagger\\ddagger}$"
        );
        c.rank = Some(Rank::Second);
        c.markers.clear();
        assert_eq!(c.latex(), "\\underline{$0.600 \\pm 0.141$}");
        assert_eq!(c.markdown(), "_0.600 ± 0.141_");
    }
}
