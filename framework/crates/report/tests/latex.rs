//! The LaTeX a report writes compiles with pdflatex: names full of LaTeX
//! specials, a long table (longtable), figures. Skipped, with a message,
//! where pdflatex is not installed (Debian: texlive-latex-base and
//! texlive-latex-recommended).

use std::process::Command;

use crate::store_builder::{StoreBuilder, TrialSpec, kfold_manifest};
use mer_report::write_report;
use mer_store::{PredictionRow, Split};

fn pdflatex() -> Option<String> {
    let ok = Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| "pdflatex".to_string())
}

#[test]
fn the_latex_report_compiles_with_pdflatex() {
    let dir = tempfile::tempdir().unwrap();
    let b = StoreBuilder::new(
        &dir.path().join("results.db"),
        "tex_specials & 100% #1",
        "Names with $pecial {LaTeX} characters: _ ^ ~ \\ and µ-law, α, é.",
    );
    let mut specs = Vec::new();
    // 45 settings of one architecture: a table long enough for longtable.
    for k in 0..45 {
        for seed in 0..2u64 {
            let f: Vec<f64> = (0..5)
                .map(|i| 0.5 + 0.004 * k as f64 + 0.01 * ((i + seed as usize + k) % 3) as f64)
                .collect();
            let mut s = TrialSpec::new(
                "audio&lyrics",
                "my_model#2",
                "grid{4}~x",
                "classification",
                seed,
            )
            .metric(Split::Test, "accuracy", &f)
            .metric(Split::Test, "macro_f1", &f)
            .metric(Split::Train, "accuracy", &f);
            s.params_json = format!("{{\"model.k_%\": {k}}}");
            s.classes = Some(vec!["low_$".into(), "high^".into()]);
            s.predictions = (0..20)
                .map(|i| PredictionRow {
                    fold: (i % 5) as i64,
                    track_id: format!("t{i}"),
                    target: "class".into(),
                    y_true: (i % 2) as f64,
                    y_pred: ((i / 3) % 2) as f64,
                    scores: None,
                    extra: None,
                })
                .collect();
            s.split = Some((format!("s{seed}"), kfold_manifest(20, 5)));
            specs.push(s);
        }
    }
    b.add(&specs);
    let out = dir.path().join("report");
    write_report(&b.store, "tex_specials & 100% #1", &out).unwrap();
    let tex = std::fs::read_to_string(out.join("results.tex")).unwrap();
    assert!(tex.contains("\\begin{document}") && tex.contains("\\input{tables/"));
    let table = std::fs::read_dir(out.join("tables"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|t| t.contains("longtable"))
        .expect("a 45-row table is a longtable");
    assert!(
        table.contains("my\\_model\\#2") && table.contains("\\toprule"),
        "{table}"
    );
    let Some(bin) = pdflatex() else {
        eprintln!(
            "SKIPPED the_latex_report_compiles_with_pdflatex: pdflatex is not installed \
             (apt-get install texlive-latex-base texlive-latex-recommended)"
        );
        return;
    };
    // Twice, as a paper build would (longtable settles its widths).
    for _ in 0..2 {
        let o = Command::new(&bin)
            .args(["-interaction=nonstopmode", "-halt-on-error", "results.tex"])
            .current_dir(&out)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "pdflatex failed:\n{}",
            log.lines()
                .filter(|l| l.starts_with('!') || l.starts_with("l."))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let pdf = std::fs::read(out.join("results.pdf")).unwrap();
    if let Ok(keep) = std::env::var("MER_KEEP_REPORT") {
        std::fs::write(std::path::Path::new(&keep).join("latex-test.pdf"), &pdf).unwrap();
    }
    assert!(pdf.starts_with(b"%PDF") && pdf.len() > 10_000);
}
