//! On the synthetic benchmark, the lyrics of Q3 (sad) and Q4 (calm) have
//! distinct discriminative vocabularies, the seed study's finding ("gone,
//! hurt, cry" vs "peace, angel, star"), although their audio is close.

use std::path::Path;

use mer_data::labels::{self, LabelScheme};
use mer_data::{self as data, DatasetConfig, LoadContext, SyntheticConfig};
use mer_text::{KeywordMethod, keywords};

#[test]
fn q3_and_q4_keywords_are_the_seed_studys() {
    let cfg = DatasetConfig::Synthetic(SyntheticConfig {
        tracks: 400,
        duration_s: 1.0,
        ..SyntheticConfig::default()
    });
    let ctx = LoadContext {
        cache_dir: Path::new(env!("CARGO_TARGET_TMPDIR")).join("mer-keywords-cache"),
    };
    let ds = data::load(&cfg, &ctx).unwrap();
    let all: Vec<&data::Track> = ds.tracks.iter().collect();
    let fitted = labels::fit(&LabelScheme::Quadrants, &all, 0).unwrap();
    let (docs, y): (Vec<Option<&str>>, Vec<usize>) = ds
        .tracks
        .iter()
        .filter_map(|t| Some((t.lyrics.as_deref(), fitted.class_of(t)?)))
        .unzip();
    // One-vs-rest log-odds: valence words lead every list (lyrics carry
    // valence by design); the quadrant words follow within the top 25.
    let per_class = keywords(&docs, &y, fitted.classes(), 25, KeywordMethod::LogOdds).unwrap();
    let top = |class: &str| -> Vec<String> {
        per_class
            .iter()
            .find(|c| c.class_name == class)
            .unwrap()
            .keywords
            .iter()
            .map(|k| k.term.clone())
            .collect()
    };
    let (q3, q4) = (top("Q3_sad"), top("Q4_calm"));
    let hits = |words: &[String], wanted: &[&str]| {
        wanted
            .iter()
            .filter(|w| words.iter().any(|t| t == *w))
            .count()
    };
    assert!(
        hits(&q3, &["gone", "hurt", "cry", "pain"]) >= 3,
        "Q3 keywords: {q3:?}"
    );
    assert!(
        hits(&q4, &["peace", "angel", "christmas", "star"]) >= 3,
        "Q4 keywords: {q4:?}"
    );
    assert_eq!(
        hits(&q3, &["peace", "angel", "christmas", "star"]),
        0,
        "Q3: {q3:?}"
    );
    assert_eq!(hits(&q4, &["gone", "hurt", "cry", "pain"]), 0, "Q4: {q4:?}");
}
