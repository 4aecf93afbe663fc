//! The static pages and documents that tie tables and figures together:
//! `index.html` (no script, no network), `results.md` and the standalone
//! LaTeX document `results.tex`.

use std::fmt::Write as _;

use super::figures::PlannedFigure;
use super::layout::{Table, html_escape, latex_escape};

/// A section of a report: a heading, tables, then figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub title: String,
    /// Sentences under the heading.
    pub intro: Vec<String>,
    pub tables: Vec<Table>,
    pub figures: Vec<PlannedFigure>,
}

/// What a page says at its top.
#[derive(Debug, Clone, PartialEq)]
pub struct PageHeader {
    pub title: String,
    pub description: String,
    /// Facts (counts, options) as sentences.
    pub facts: Vec<String>,
    /// `(file, what it holds)` for the files beside the page.
    pub files: Vec<(String, String)>,
}

const CSS: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2.2em}
nav ul{columns:2;font-size:.95em}
table{border-collapse:collapse;margin:1.2em 0 .3em;font-size:.88em}
caption{caption-side:top;text-align:left;font-weight:bold;padding-bottom:.4em}
th,td{padding:.25em .6em;text-align:right;white-space:nowrap}
th{border-top:2px solid #222;border-bottom:1px solid #222}
th.span{border-bottom:1px solid #888;text-align:center}
td.stub,th.stub{text-align:left}
tbody tr:last-child td{border-bottom:2px solid #222}
tbody tr:nth-child(even){background:#f5f7fa}
.legend{font-size:.85em;color:#444;max-width:1000px}.legend p{margin:.2em 0}
.scroll{overflow-x:auto}
figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.88em;color:#333;max-width:1000px}
.meta{color:#555;font-size:.92em}footer{margin-top:3em;font-size:.8em;color:#777}";

/// `index.html`. Figures are shown as PNG, linked to their SVG; every size
/// is fixed so the page is the same byte for byte when regenerated.
pub fn index_html(
    header: &PageHeader,
    sections: &[Section],
    figure_widths: &dyn Fn(&PlannedFigure) -> u32,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>",
        html_escape(&header.title)
    );
    let _ = writeln!(s, "<header>\n<h1>{}</h1>", html_escape(&header.title));
    if !header.description.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", html_escape(&header.description));
    }
    for f in &header.facts {
        let _ = writeln!(s, "<p class=\"meta\">{}</p>", html_escape(f));
    }
    if !header.files.is_empty() {
        let _ = writeln!(s, "<p class=\"meta\">Files:</p>\n<ul class=\"meta\">");
        for (f, what) in &header.files {
            let _ = writeln!(
                s,
                "<li><a href=\"{}\">{}</a>: {}</li>",
                html_escape(f),
                html_escape(f),
                html_escape(what)
            );
        }
        let _ = writeln!(s, "</ul>");
    }
    let _ = writeln!(s, "</header>\n<nav>\n<h2>Contents</h2>\n<ul>");
    for sec in sections {
        let _ = writeln!(
            s,
            "<li><a href=\"#{}\">{}</a></li>",
            html_escape(&sec.id),
            html_escape(&sec.title)
        );
    }
    let _ = writeln!(s, "</ul>\n</nav>");
    for sec in sections {
        let _ = writeln!(
            s,
            "<section id=\"{}\">\n<h2>{}</h2>",
            html_escape(&sec.id),
            html_escape(&sec.title)
        );
        for p in &sec.intro {
            let _ = writeln!(s, "<p>{}</p>", html_escape(p));
        }
        for t in &sec.tables {
            let _ = writeln!(s, "<div class=\"scroll\">\n{}</div>", t.to_html());
        }
        for f in &sec.figures {
            let _ = writeln!(
                s,
                "<figure>\n<a href=\"{stem}.svg\"><img src=\"{stem}.png\" width=\"{w}\" alt=\"{alt}\"></a>\n<figcaption>{cap} <a href=\"{stem}.svg\">SVG</a> · <a href=\"{stem}.png\">PNG</a></figcaption>\n</figure>",
                stem = html_escape(&f.stem),
                w = figure_widths(f),
                alt = html_escape(&f.caption),
                cap = html_escape(&f.caption),
            );
        }
        let _ = writeln!(s, "</section>");
    }
    let _ = writeln!(
        s,
        "<footer>Written by mer {} from the results store. The page holds no timestamp: the same store gives the same bytes.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    s
}

/// `results.md`: every table in Markdown, figures as image links.
pub fn markdown(header: &PageHeader, sections: &[Section]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", header.title);
    if !header.description.is_empty() {
        let _ = writeln!(s, "{}\n", header.description);
    }
    for f in &header.facts {
        let _ = writeln!(s, "{f}  ");
    }
    s.push('\n');
    for sec in sections {
        let _ = writeln!(s, "## {}\n", sec.title);
        for p in &sec.intro {
            let _ = writeln!(s, "{p}\n");
        }
        for t in &sec.tables {
            s.push_str(&t.to_markdown());
        }
        for f in &sec.figures {
            let _ = writeln!(
                s,
                "![{}]({}.png)\n",
                f.caption.replace(['[', ']'], ""),
                f.stem
            );
        }
    }
    s
}

/// The standalone LaTeX document: a section per group with its tables
/// (`\input` from `tables/`) and figures (PNG). Only `booktabs`,
/// `graphicx` and `longtable` beyond the base classes.
pub fn latex_document(header: &PageHeader, sections: &[Section], label_prefix: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "% Written by mer {}: every table is also in tables/<name>.tex, ready to \\input.\n\
         \\documentclass[10pt]{{article}}\n\\usepackage[T1]{{fontenc}}\n\\usepackage[utf8]{{inputenc}}\n\
         \\usepackage{{booktabs}}\n\\usepackage{{graphicx}}\n\\usepackage{{longtable}}\n\
         \\setlength{{\\textwidth}}{{16cm}}\\setlength{{\\oddsidemargin}}{{0cm}}\\setlength{{\\evensidemargin}}{{0cm}}\n\
         \\setlength{{\\textheight}}{{23cm}}\\setlength{{\\topmargin}}{{-1cm}}\n\
         \\begin{{document}}\n\\section*{{{}}}",
        env!("CARGO_PKG_VERSION"),
        latex_escape(&header.title)
    );
    if !header.description.is_empty() {
        let _ = writeln!(s, "{}\n", latex_escape(&header.description));
    }
    for f in &header.facts {
        let _ = writeln!(s, "{}\n", latex_escape(f));
    }
    for sec in sections {
        let _ = writeln!(s, "\\clearpage\n\\section{{{}}}", latex_escape(&sec.title));
        for p in &sec.intro {
            let _ = writeln!(s, "{}\n", latex_escape(p));
        }
        for t in &sec.tables {
            let _ = writeln!(s, "\\input{{tables/{}.tex}}", t.id);
        }
        for (i, f) in sec.figures.iter().enumerate() {
            if i > 0 && i % 8 == 0 {
                // Keep the queue of floats short (LaTeX allows 18 unplaced).
                let _ = writeln!(s, "\\clearpage");
            }
            let _ = writeln!(
                s,
                "\\begin{{figure}}[htbp]\n\\centering\n\\includegraphics[width=\\linewidth,height=0.42\\textheight,keepaspectratio]{{{}.png}}\n\\caption{{{}}}\\label{{fig:{label_prefix}{}}}\n\\end{{figure}}",
                f.stem,
                latex_escape(&f.caption),
                f.stem.trim_start_matches("figures/")
            );
        }
    }
    let _ = writeln!(s, "\\end{{document}}");
    s
}
