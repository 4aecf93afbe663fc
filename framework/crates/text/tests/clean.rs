//! Tricky lyrics files through the cleaning and token pipeline: LRC, lyrics
//! site markup, mixed scripts, empty, huge and undecodable input, and
//! Snowball stems against the reference implementation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mer_text::clean::{self, Analyzer, AnalyzerOptions, Stopwords, Tokenizer};
use mer_text::{TextError, decode_lyrics_bytes, read_lyrics_file};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/text")
        .join(name)
}

fn all_words() -> Analyzer {
    Analyzer::new(AnalyzerOptions {
        stopwords: Stopwords::None,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn lrc_file_keeps_only_sung_lines() {
    let raw = read_lyrics_file(&fixture("lyrics/song.lrc")).unwrap();
    assert_eq!(
        clean::strip_markup(&raw),
        "I'm crying in the rain\nThe rain won't stop tonight\nHold me  close,  hold me\ngone, gone, gone"
    );
    let words = all_words().analyze(&raw).unwrap().words;
    assert_eq!(
        words,
        [
            "i'm", "crying", "in", "the", "rain", "the", "rain", "won't", "stop", "tonight",
            "hold", "me", "close", "hold", "me", "gone", "gone", "gone"
        ]
    );
    // No tag, artist or timestamp digit leaked into the tokens.
    assert!(words.iter().all(|w| !w.chars().any(|c| c.is_ascii_digit())));
    assert!(!words.iter().any(|w| w == "fixtures" || w == "ti"));
}

#[test]
fn lyrics_site_markup_is_removed() {
    let raw = read_lyrics_file(&fixture("lyrics/genius_style.txt")).unwrap();
    assert_eq!(
        clean::strip_markup(&raw),
        "Oh-oh, yeah\nWalking down the empty street\nEvery shadow that I meet (that I meet)\nPeace, angel, star\nShine on me\nSing the chorus one more time"
    );
}

#[test]
fn markup_only_and_empty_files_are_missing_lyrics() {
    let a = Analyzer::new(AnalyzerOptions::default()).unwrap();
    for name in ["lyrics/empty.txt", "lyrics/only_tags.lrc"] {
        let raw = read_lyrics_file(&fixture(name)).unwrap();
        assert!(a.analyze(&raw).is_none(), "{name} must count as missing");
    }
}

#[test]
fn mixed_scripts_tokenise_without_loss_or_panic() {
    let raw = read_lyrics_file(&fixture("lyrics/mixed_scripts.txt")).unwrap();
    let words = all_words().analyze(&raw).unwrap().words;
    for expected in [
        "любовь",
        "слёзы",
        "ночь",
        "愛",
        "涙",
        "我",
        "爱",
        "你",
        "αγάπη",
        "και",
        "σοφος",
        "مرحبا",
        "नमस्ते",
        "प्रेम",
        "café",
        "naïve",
        "fire",
        "full",
        "width",
    ] {
        assert!(
            words.iter().any(|w| w == expected),
            "{expected:?} missing from {words:?}"
        );
    }
    // Emoji and punctuation are not words.
    assert!(words.iter().all(|w| w.chars().any(char::is_alphanumeric)));
    // Final sigma: the lowercase of ΣΟΦΟΣ ends in ς, not σ.
    assert!(words.iter().any(|w| w == "σοφος"));

    // The sklearn tokenizer keeps CJK runs together and splits on marks.
    let sk = Analyzer::new(AnalyzerOptions {
        tokenizer: Tokenizer::Sklearn,
        strip_markup: false,
        stopwords: Stopwords::None,
        ..Default::default()
    })
    .unwrap();
    let sk_words = sk.analyze(&raw).unwrap().words;
    assert!(sk_words.iter().any(|w| w == "我爱你"), "{sk_words:?}");
    assert!(
        sk_words.iter().any(|w| w == "ﬁre"),
        "no NFKC in sklearn mode"
    );
}

#[test]
fn utf16_with_bom_decodes_and_invalid_utf8_names_file_and_offset() {
    let text = read_lyrics_file(&fixture("lyrics/utf16le_bom.txt")).unwrap();
    assert_eq!(text, "Hello rain\nДождь\n");

    let path = fixture("lyrics/invalid_utf8.txt");
    let err = read_lyrics_file(&path).unwrap_err();
    match &err {
        TextError::InvalidUtf8 {
            path: p,
            offset,
            line,
            ..
        } => {
            assert_eq!(p, &path);
            assert_eq!(*offset, "first line ok\nsecond line ".len());
            assert_eq!(*line, 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("invalid_utf8.txt") && msg.contains("byte offset 26"),
        "{msg}"
    );
    // The cause is kept.
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = read_lyrics_file(Path::new("/nonexistent/lyrics.txt")).unwrap_err();
    assert!(matches!(err, TextError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/lyrics.txt"));
}

#[test]
fn huge_input_is_handled_linearly() {
    // ~5 MB: many LRC lines, plus one 1.25 MB line of unclosed brackets and
    // parentheses (a worst case for the markup patterns).
    let line = "[00:12.34]Crying in the rain, love (x2) [Chorus] ((((\n";
    let mut raw = line.repeat(4_000_000 / line.len());
    raw.push_str(&"[(( x".repeat(250_000));
    raw.push('\n');
    assert!(raw.len() > 5_000_000);
    for tokenizer in [Tokenizer::Mer, Tokenizer::Sklearn] {
        let a = Analyzer::new(AnalyzerOptions {
            tokenizer,
            stem: true,
            ngram_range: (1, 2),
            ..Default::default()
        })
        .unwrap();
        let analyzed = a.analyze(&raw).unwrap();
        let n_lines = 4_000_000 / line.len();
        // "crying", "rain", "love" survive per line (stopwords removed),
        // stemmed; the last line holds only "x" tokens (mer) or nothing
        // (sklearn, one-letter).
        let cri = analyzed.words.iter().filter(|w| *w == "cri").count();
        assert_eq!(cri, n_lines, "{tokenizer:?}");
        assert!(!analyzed.words.iter().any(|w| w == "chorus" || w == "x2"));
        let terms = a.terms(&analyzed.words);
        assert!(terms.len() > 2 * analyzed.words.len() - 2);
    }
}

#[test]
fn random_unicode_never_panics() {
    // Seeded fuzzing over mixed scripts, combining marks, surrogate-free
    // random code points, brackets and digits, through every stage.
    let pools: [&[char]; 6] = [
        &['a', 'Z', 'é', '\'', '’', ' ', '\n', '\r', '\t'],
        &[
            '[', ']', '(', ')', '{', '}', ':', '.', '<', '>', '0', '9', 'x', '×',
        ],
        &['ж', 'Я', 'Σ', 'ς', 'İ', 'ß', 'ﬁ', 'Ａ', 'ǅ'],
        &['日', 'の', 'ア', '한', 'ก', 'ا', 'न', 'ि'],
        &[
            '\u{0301}', '\u{200D}', '\u{FE0F}', '😀', '👩', '\u{0000}', '\u{FEFF}',
        ],
        &['e', 's', 'i', 'n', 'g', 'l', 'y', 'a', 't', 'o'],
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let stemmed = Analyzer::new(AnalyzerOptions {
        stem: true,
        ngram_range: (1, 3),
        ..Default::default()
    })
    .unwrap();
    let sk = Analyzer::new(AnalyzerOptions {
        tokenizer: Tokenizer::Sklearn,
        stem: true,
        ..Default::default()
    })
    .unwrap();
    for _ in 0..2_000 {
        let len = rng.random_range(0..80);
        let s: String = (0..len)
            .map(|_| {
                if rng.random_bool(0.1) {
                    // any scalar value
                    loop {
                        if let Some(c) = char::from_u32(rng.random_range(0..0x11_0000)) {
                            break c;
                        }
                    }
                } else {
                    let pool = pools[rng.random_range(0..pools.len())];
                    pool[rng.random_range(0..pool.len())]
                }
            })
            .collect();
        for a in [&stemmed, &sk] {
            if let Some(w) = a.analyze(&s) {
                let _ = a.terms(&w.words);
            }
        }
        // Valid UTF-8 decodes to itself, unless it reads as a binary file.
        match decode_lyrics_bytes(Path::new("fuzz"), s.as_bytes()) {
            Ok(t) => assert_eq!(t, s.strip_prefix('\u{feff}').unwrap_or(&s)),
            Err(mer_text::TextError::Binary { .. }) => {
                assert!(s.chars().any(char::is_control), "{s:?}")
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn snowball_stems_match_the_reference_implementation() {
    let text = std::fs::read_to_string(fixture("stem_snowball.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let stems: BTreeMap<String, String> = serde_json::from_value(v["stems"].clone()).unwrap();
    assert!(stems.len() > 150);
    let wrong: Vec<String> = stems
        .iter()
        .filter(|(w, s)| clean::stem_english(w) != **s)
        .map(|(w, s)| format!("{w}: mer {} vs snowball {s}", clean::stem_english(w)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn custom_stopword_list_is_normalised_like_tokens() {
    let a = Analyzer::new(AnalyzerOptions {
        stopwords: Stopwords::List(vec!["NA".into(), "Don’t".into()]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        a.analyze("Na na na, don't you cry").unwrap().words,
        ["you", "cry"]
    );
}
