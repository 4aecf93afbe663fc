//! The `[text]` config and the fit-on-train / transform-any-fold seam:
//! TOML parsing and defaults, canonical resolution and extractor ids, the
//! missing-lyrics policy, lexicon features with coverage, token ids.

use std::path::{Path, PathBuf};

use mer_text::{
    DocFreq, FeatureMatrix, MissingLyrics, Representation, TextError, TextFeatureConfig,
    TextResources, fit, fit_with, token_ids,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/text")
        .join(name)
}

fn parse(toml_text: &str) -> TextFeatureConfig {
    toml::from_str(toml_text).unwrap()
}

#[test]
fn empty_section_gets_documented_defaults() {
    let cfg = parse("").resolved().unwrap();
    assert_eq!(cfg.representation, Representation::Tfidf);
    assert_eq!(cfg.missing_lyrics, MissingLyrics::Drop);
    let t = cfg.tfidf.unwrap();
    assert_eq!(t.max_features, 2000);
    assert_eq!(t.min_df, DocFreq::Count(2));
    assert_eq!(t.max_df, DocFreq::Fraction(1.0));
    assert_eq!(t.ngram_range, [1, 1]);
    assert!(!t.sublinear_tf && t.smooth_idf && t.use_idf && !t.stem);
}

#[test]
fn unknown_keys_and_bad_values_are_rejected() {
    let e = toml::from_str::<TextFeatureConfig>("[tfidf]\nmax_feature = 10\n").unwrap_err();
    assert!(e.to_string().contains("max_feature"), "{e}");
    let e = toml::from_str::<TextFeatureConfig>("representation = \"bert\"\n").unwrap_err();
    assert!(e.to_string().contains("bert"), "{e}");
    let e = toml::from_str::<TextFeatureConfig>("[tfidf]\nstopwords = \"french\"\n").unwrap_err();
    assert!(e.to_string().contains("french"), "{e}");

    // Keys are named from the text features table; the spec prefixes its own.
    let key = |toml_text: &str| parse(toml_text).validate().unwrap_err().key().to_string();
    assert_eq!(key("[tfidf]\nngram_range = [2, 1]\n"), "tfidf.ngram_range");
    assert_eq!(key("[tfidf]\nmax_df = 1.5\n"), "tfidf.max_df");
    assert_eq!(key("representation = \"lexicon\"\n"), "lexicon.path");
    let e = parse("representation = \"token_ids\"\n[token_ids]\nvocab_size = 2\n")
        .validate()
        .unwrap_err();
    assert_eq!(e.key().to_string(), "token_ids.vocab_size");
    assert!(e.rule().contains("(found 2)"), "{e}");
}

#[test]
fn doc_freq_integer_counts_documents_float_is_a_fraction() {
    let cfg = parse("[tfidf]\nmin_df = 1\nmax_df = 1.0\nstopwords = [\"la\"]\n");
    let t = cfg.tfidf.unwrap();
    assert_eq!(t.min_df, DocFreq::Count(1));
    assert_eq!(t.max_df, DocFreq::Fraction(1.0));
    assert_eq!(t.max_df.resolve(10), 10.0);
    // The canonical JSON keeps the distinction (it is hashed into keys).
    let json = serde_json::to_string(&t).unwrap();
    assert!(
        json.contains("\"min_df\":1,") && json.contains("\"max_df\":1.0"),
        "{json}"
    );
    let back: mer_text::TfidfConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
}

#[test]
fn resolution_drops_unused_sections_so_keys_ignore_them() {
    let a = parse("representation = \"tfidf\"\n");
    let b = parse(
        "representation = \"tfidf\"\n[token_ids]\nmax_len = 64\n[lexicon]\npath = \"x.csv\"\n",
    );
    let c = parse("[tfidf]\nmax_features = 2000\nmin_df = 2\n");
    assert_eq!(a.resolved().unwrap(), b.resolved().unwrap());
    assert_eq!(a.extractor_id(), b.extractor_id());
    assert_eq!(
        a.extractor_id(),
        c.extractor_id(),
        "explicit defaults change nothing"
    );
    let d = parse("[tfidf]\nsublinear_tf = true\n");
    assert_ne!(a.extractor_id(), d.extractor_id());
    let e = parse("[clean]\ntokenizer = \"sklearn\"\n");
    assert_ne!(a.extractor_id(), e.extractor_id());
    assert!(a.extractor_id().starts_with("text-tfidf-v1-"));
    // Stable: a fixed string for a fixed config (guards accidental changes
    // of the canonical form; update deliberately with TEXT_FEATURES_VERSION).
    assert_eq!(
        a.canonical_json(),
        r#"{"representation":"tfidf","missing_lyrics":"drop","clean":{"tokenizer":"mer","strip_markup":true},"tfidf":{"max_features":2000,"min_df":2,"max_df":1.0,"ngram_range":[1,1],"sublinear_tf":false,"use_idf":true,"smooth_idf":true,"norm":"l2","stopwords":"english","stem":false}}"#
    );
    // Round trip through TOML.
    let resolved = b.resolved().unwrap();
    let back: TextFeatureConfig = toml::from_str(&toml::to_string(&resolved).unwrap()).unwrap();
    assert_eq!(back, resolved);
}

const TRAIN: [Option<&str>; 5] = [
    Some("love love shine bright"),
    Some("cry rain tears love"),
    None,
    Some("[00:01.00][Instrumental]"),
    Some("rain shine love"),
];
const TRAIN_IDS: [&str; 5] = ["a", "b", "c", "d", "e"];

#[test]
fn vocabulary_comes_from_the_train_fold_only_and_missing_rows_are_masked() {
    let cfg = parse("missing_lyrics = \"zero\"\n[tfidf]\nmin_df = 1\n");
    let fitted = fit(&cfg, &TRAIN, &TRAIN_IDS).unwrap();
    let vocab = fitted.tfidf().unwrap().vocabulary().to_vec();
    assert_eq!(vocab, ["bright", "cry", "love", "rain", "shine", "tears"]);
    // idf's n counts every Some document, the markup-only one included (as
    // TfidfVectorizer counts an empty string); None is not a document.
    assert_eq!(fitted.tfidf().unwrap().n_train_docs(), 4);
    let idf_love = fitted.tfidf().unwrap().idf()[2];
    assert!((idf_love - ((5.0f64 / 4.0).ln() + 1.0)).abs() < 1e-12);

    let test = [Some("unseen words only"), Some("love unseen"), None];
    let out = fitted.transform(&test, &["x", "y", "z"]).unwrap();
    assert_eq!(out.mask, [true, true, false]);
    assert_eq!(out.stats.n_missing, 1);
    assert_eq!(out.stats.missing_ids, ["z"]);
    assert_eq!(out.stats.n_without_features, 1);
    assert_eq!(out.names(), vocab.as_slice());
    assert_eq!(out.dense_row(0).unwrap(), &[0.0; 6]);
    assert_eq!(out.dense_row(1).unwrap()[2], 1.0, "only known term, l2 = 1");
    assert_eq!(out.dense_row(2).unwrap(), &[0.0; 6]);
    // Refitting on another fold changes nothing about this fitted object.
    assert_eq!(fitted.tfidf().unwrap().vocabulary(), vocab.as_slice());
    // Dropping keeps the present rows in order.
    let kept = out.select(&out.present_indices());
    assert_eq!(kept.n_rows(), 2);
    assert_eq!(kept.stats.n_missing, 0);
    assert_eq!(kept.dense_row(1), out.dense_row(1));
}

#[test]
fn mismatched_ids_and_empty_folds_are_errors() {
    let cfg = TextFeatureConfig::default();
    assert!(matches!(
        fit(&cfg, &TRAIN, &TRAIN_IDS[..2]),
        Err(TextError::LengthMismatch { .. })
    ));
    let e = fit(&cfg, &[None, Some("[Chorus]")], &["a", "b"]).unwrap_err();
    assert!(matches!(e, TextError::NothingToFit { .. }), "{e}");
    // Default min_df = 2 prunes a vocabulary where every word is unique.
    let e = fit(
        &cfg,
        &[Some("alpha beta"), Some("gamma delta")],
        &["a", "b"],
    )
    .unwrap_err();
    assert!(e.to_string().contains("min_df"), "{e}");
}

#[test]
fn lexicon_features_and_coverage() {
    let cfg = parse(&format!(
        "representation = \"lexicon\"\n[lexicon]\npath = {:?}\n",
        fixture("lexicon_tiny.csv").display().to_string()
    ));
    let fitted = fit(&cfg, &TRAIN, &TRAIN_IDS).unwrap();
    assert_eq!(
        fitted.feature_names(),
        [
            "valence_mean",
            "valence_std",
            "valence_min",
            "valence_max",
            "arousal_mean",
            "arousal_std",
            "arousal_min",
            "arousal_max",
            "dominance_mean",
            "dominance_std",
            "dominance_min",
            "dominance_max",
            "coverage"
        ]
    );
    // lexicon_tiny.csv: love 8/6/7, cry 2/5/3, rain 4/3/4 (invented values).
    let out = fitted
        .transform(
            &[
                Some("I love the rain and the table"),
                Some("nothing here"),
                None,
            ],
            &["p", "q", "r"],
        )
        .unwrap();
    let row = out.dense_row(0).unwrap();
    // Tokens after English stopwords: love, rain, table -> 2 of 3 matched.
    assert!((row[0] - 6.0).abs() < 1e-6 && (row[1] - 2.0).abs() < 1e-6);
    assert_eq!((row[2], row[3]), (4.0, 8.0));
    assert!((row[12] - 2.0 / 3.0).abs() < 1e-6);
    let cov = out.stats.lexicon.unwrap();
    // "nothing here": "here" is a stopword, "nothing" is unmatched.
    assert_eq!(
        (cov.n_tokens, cov.n_matched, cov.n_docs_without_match),
        (4, 2, 1)
    );
    assert!((cov.coverage() - 0.5).abs() < 1e-12);
    assert_eq!(out.mask, [true, true, false]);

    // A lexicon config without loading the file is an error, not a panic.
    let e = fit_with(&cfg, &TextResources::default(), &TRAIN, &TRAIN_IDS).unwrap_err();
    assert!(matches!(e, TextError::MissingResource { .. }), "{e}");
    // Resources are loaded relative to a base directory.
    let rel = parse("representation = \"lexicon\"\n[lexicon]\npath = \"lexicon_tiny.csv\"\n");
    let res = TextResources::load(&rel, &fixture("")).unwrap();
    assert_eq!(res.content_hash().unwrap().len(), 64);
}

#[test]
fn token_ids_are_padded_sequences_over_a_train_vocabulary() {
    let cfg = parse("representation = \"token_ids\"\n[token_ids]\nmax_len = 4\nvocab_size = 5\n");
    let fitted = fit(&cfg, &TRAIN, &TRAIN_IDS).unwrap();
    let vocab = fitted.vocabulary().unwrap();
    // counts: love 4, rain 2, shine 2, then bright/cry/tears 1 -> 3 words fit.
    assert_eq!(vocab.tokens(), ["<pad>", "<unk>", "love", "rain", "shine"]);
    let out = fitted
        .transform(&[Some("Love the rain, love the sun"), None], &["p", "q"])
        .unwrap();
    let FeatureMatrix::TokenIds {
        max_len,
        ids,
        lengths,
    } = &out.matrix
    else {
        panic!("token ids expected")
    };
    assert_eq!(*max_len, 4);
    // love the rain love | the sun (cut); "the" is unknown (stopwords kept).
    assert_eq!(&ids[..4], &[2, token_ids::UNK_ID, 3, 2]);
    assert_eq!(&ids[4..], &[0, 0, 0, 0]);
    assert_eq!(lengths, &[4, 0]);
    assert_eq!(out.stats.n_truncated, Some(1));
    assert_eq!(out.stats.n_unknown_tokens, Some(1));
    assert_eq!(out.mask, [true, false]);
}

#[test]
fn fitted_features_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<mer_text::FittedText>();
    assert_send_sync::<mer_text::TextFeatures>();
    assert_send_sync::<TextResources>();
}
