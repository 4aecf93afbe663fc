//! Lyrics cleaning and tokens: decoding, Unicode normalisation, removal of
//! LRC timestamps/tags and section markers, tokenisation, stopwords,
//! Snowball stemming and word n-grams.
//!
//! Owns the text -> token pipeline that every text representation shares
//! ([`Analyzer`]). Leaves finding lyrics files to `data`; only
//! [`decode_lyrics_bytes`] and [`read_lyrics_file`] touch bytes and files.
//!
//! # The two tokenizers
//!
//! * `mer` (the default), tuned for lyrics: NFKC normalisation (full-width
//!   letters, ligatures and compatibility forms fold to their plain form),
//!   markup stripping, lowercasing, typographic apostrophes (`’ ‘ ʼ`) mapped
//!   to `'`, then Unicode word segmentation (UAX #29, the `unicode-segmentation`
//!   crate). Contractions stay whole (`don't`, `rock'n'roll`), one-letter
//!   words are kept (`i`, `a`; the stopword list removes them), CJK
//!   ideographs and Hiragana come out one character per token (UAX #29 has no
//!   dictionary segmentation), emoji and punctuation are dropped.
//! * `sklearn`: scikit-learn's `CountVectorizer` defaults, for parity checks:
//!   no normalisation, `str.lower()`, then the token pattern
//!   `(?u)\b\w\w+\b`, i.e. maximal runs of at least two word characters,
//!   where Python's Unicode `\w` is a letter (`\p{L}`), a number (`\p{N}`)
//!   or `_`. `don't` becomes `don` (and the lone `t` is dropped), CJK runs
//!   without spaces become one token, one-letter words disappear.
//!
//! Markup stripping ([`strip_markup`]) is independent of the tokenizer
//! (`clean.strip_markup`, on by default). For exact scikit-learn parity on a
//! corpus that contains square brackets, set `strip_markup = false`.
//!
//! # What "missing lyrics" means
//! A document is missing when it is `None` or when, after markup stripping,
//! it holds no alphanumeric character (an empty file, a file holding only LRC
//! tags, `[Instrumental]`). Missing documents are masked and follow the
//! `missing_lyrics` policy (see `text::fit` for how they count in fitting).
//! A present document can still produce zero tokens (only stopwords, or only
//! one-letter words under the `sklearn` tokenizer): it gets an all-zero row
//! and stays present.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use super::error::TextError;

/// The committed English stopword list (see the comment at the top of
/// `stopwords_en.txt` for where it comes from and why it is not
/// scikit-learn's).
const ENGLISH_STOPWORDS_TXT: &str = include_str!("stopwords_en.txt");

static ENGLISH_STOPWORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    ENGLISH_STOPWORDS_TXT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// mer's default English stopword list, in file order (lowercase, ASCII
/// apostrophes).
pub fn english_stopwords() -> &'static [&'static str] {
    &ENGLISH_STOPWORDS
}

// ---------------------------------------------------------------------------
// Configuration types shared with `text::config`.

/// Which tokenizer turns cleaned text into words (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tokenizer {
    /// NFKC + UAX #29 words, contractions kept whole. The default.
    #[default]
    Mer,
    /// scikit-learn's default `token_pattern` `(?u)\b\w\w+\b` after
    /// `str.lower()`, no normalisation; for parity with `TfidfVectorizer`.
    Sklearn,
}

/// Which stopwords are removed (before stemming and n-grams, as
/// scikit-learn does).
///
/// In TOML: `"english"` (mer's committed list, [`english_stopwords`]),
/// `"none"`, or a list of words `["la", "na", "oh"]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Stopwords {
    /// mer's English list. The default where a section says so.
    #[default]
    English,
    /// Keep every token.
    None,
    /// A user-supplied list. With the `mer` tokenizer the words get the same
    /// NFKC, apostrophe and lowercase normalisation as tokens; with the
    /// `sklearn` tokenizer they are compared as given, as scikit-learn does
    /// (so write them in lowercase).
    List(Vec<String>),
}

impl Serialize for Stopwords {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Stopwords::English => s.serialize_str("english"),
            Stopwords::None => s.serialize_str("none"),
            Stopwords::List(words) => words.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Stopwords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Stopwords;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"english\", \"none\" or a list of stopwords")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Stopwords, E> {
                match v {
                    "english" => Ok(Stopwords::English),
                    "none" => Ok(Stopwords::None),
                    other => Err(E::invalid_value(
                        serde::de::Unexpected::Str(other),
                        &"\"english\", \"none\" or a list of stopwords",
                    )),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Stopwords, A::Error> {
                let mut words = Vec::new();
                while let Some(w) = seq.next_element::<String>()? {
                    words.push(w);
                }
                Ok(Stopwords::List(words))
            }
        }
        d.deserialize_any(V)
    }
}

/// Everything that decides how raw lyrics become terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzerOptions {
    pub tokenizer: Tokenizer,
    /// Remove LRC timestamps/tags and section markers ([`strip_markup`]).
    pub strip_markup: bool,
    pub stopwords: Stopwords,
    /// Snowball English stemming (Porter2, the `rust-stemmers` crate).
    pub stem: bool,
    /// Word n-gram range `(min_n, max_n)`, inclusive, both >= 1.
    pub ngram_range: (usize, usize),
}

impl Default for AnalyzerOptions {
    /// mer tokenizer, markup stripped, English stopwords, no stemming,
    /// unigrams.
    fn default() -> Self {
        AnalyzerOptions {
            tokenizer: Tokenizer::Mer,
            strip_markup: true,
            stopwords: Stopwords::English,
            stem: false,
            ngram_range: (1, 1),
        }
    }
}

// ---------------------------------------------------------------------------
// Decoding.

/// Decodes the bytes of a lyrics file into text.
///
/// Accepts UTF-8 (a leading byte-order mark is dropped) and UTF-16 LE/BE when
/// the file starts with the matching byte-order mark (as Windows editors
/// write). Anything else that is not valid UTF-8 is an error naming `path`,
/// the byte offset from the start of the file and its line.
pub fn decode_lyrics_bytes(path: &Path, bytes: &[u8]) -> Result<String, TextError> {
    let text = decode_text(path, bytes)?;
    check_not_binary(path, &text)?;
    Ok(text)
}

/// A file of lyrics is text: a NUL, or control characters (other than tab,
/// line and page breaks and a DOS end-of-file mark) in more than 1 % of its
/// characters, mean a binary file that happened to decode, not lyrics.
fn check_not_binary(path: &Path, text: &str) -> Result<(), TextError> {
    let odd =
        |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1a');
    let binary = |rule: String| TextError::Binary {
        path: path.to_path_buf(),
        rule,
    };
    if let Some(at) = text.find('\0') {
        return Err(binary(format!("a NUL character at byte offset {at}")));
    }
    let total = text.chars().count();
    let n = text.chars().filter(|&c| odd(c)).count();
    if n * 100 > total {
        return Err(binary(format!(
            "{n} of its {total} characters are control characters"
        )));
    }
    Ok(())
}

fn decode_text(path: &Path, bytes: &[u8]) -> Result<String, TextError> {
    const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return decode_utf8(path, rest, UTF8_BOM.len(), bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(path, rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(path, rest, u16::from_be_bytes);
    }
    decode_utf8(path, bytes, 0, bytes)
}

fn decode_utf8(path: &Path, body: &[u8], skip: usize, whole: &[u8]) -> Result<String, TextError> {
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_owned()),
        Err(source) => {
            let offset = skip + source.valid_up_to();
            let line = 1 + whole[..offset].iter().filter(|&&b| b == b'\n').count();
            Err(TextError::InvalidUtf8 {
                path: path.to_path_buf(),
                offset,
                line,
                source,
            })
        }
    }
}

fn decode_utf16(
    path: &Path,
    body: &[u8],
    to_unit: fn([u8; 2]) -> u16,
) -> Result<String, TextError> {
    if !body.len().is_multiple_of(2) {
        return Err(TextError::InvalidUtf16 {
            path: path.to_path_buf(),
            rule: format!("odd number of bytes ({}) after the mark", body.len()),
        });
    }
    let units = body.chunks_exact(2).map(|c| to_unit([c[0], c[1]]));
    let mut out = String::with_capacity(body.len() / 2);
    for (i, ch) in char::decode_utf16(units).enumerate() {
        match ch {
            Ok(c) => out.push(c),
            Err(e) => {
                return Err(TextError::InvalidUtf16 {
                    path: path.to_path_buf(),
                    rule: format!(
                        "unpaired surrogate {:#06x} at byte offset {}",
                        e.unpaired_surrogate(),
                        2 + 2 * i
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// Reads and decodes one lyrics file (the I/O edge of
/// [`decode_lyrics_bytes`]).
pub fn read_lyrics_file(path: &Path) -> Result<String, TextError> {
    let bytes = std::fs::read(path).map_err(|source| TextError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_lyrics_bytes(path, &bytes)
}

// ---------------------------------------------------------------------------
// Cleaning.

/// NFKC normalisation (Unicode Standard Annex #15): folds full-width forms,
/// ligatures (`ﬁ` -> `fi`) and other compatibility characters.
pub fn nfkc(text: &str) -> String {
    nfkc_cow(text).into_owned()
}

/// [`nfkc`] without a copy when the text is already NFKC (the quick check
/// of UAX #15 answers "yes" for plain ASCII and most lyrics).
fn nfkc_cow(text: &str) -> Cow<'_, str> {
    match unicode_normalization::is_nfkc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfkc().collect()),
    }
}

/// LRC time tags `[mm:ss]`, `[mm:ss.xx]`, `[mm:ss:xx]` and enhanced-LRC word
/// tags `<mm:ss.xx>`, anywhere on a line.
static TIME_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?\]|<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>")
        .expect("static regex")
});

/// An LRC ID tag line: `[ti:Title]`, `[ar:Artist]`, `[al:..]`, `[by:..]`,
/// `[offset:+100]`, `[length: 3:20]`, `[#: comment]`.
static ID_TAG_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\[[A-Za-z#]{1,16}\s*:[^\]]*\]\s*$").expect("static regex"));

/// Bracketed annotations: `[Chorus]`, `[Verse 1: Artist]`, `{Hook}`.
/// Square brackets and braces never hold sung words in lyrics sites' markup
/// (Genius, LyricWiki conventions); parentheses do (backing vocals), so they
/// are kept except for repeat markers.
static BRACKETED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[[^\[\]]*\]|\{[^{}]*\}").expect("static regex"));

/// Repeat markers in parentheses: `(x2)`, `(2x)`, `(×3)`, `(repeat)`,
/// `(repeat chorus)`, `(2 times)`.
static REPEAT_PAREN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\(\s*(?:[x×]\s*\d{1,3}|\d{1,3}\s*[x×]|\d{1,3}\s*times|repeat(?:\s[^()]*)?)\s*\)",
    )
    .expect("static regex")
});

/// A bare repeat marker at the end of a line: `Let it go x2`.
static REPEAT_TRAILING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|\s)(?:[x×]\d{1,3}|\d{1,3}[x×])\s*$").expect("static regex")
});

/// Section labels of English lyrics sites, plus the Russian, Portuguese and
/// Spanish ones common in multilingual collections (припев = chorus,
/// куплет = verse, refrão / estribillo = refrain).
const SECTION_NAMES: &str = r"pre[- ]?chorus|post[- ]?chorus|chorus|verse|bridge|intro|outro|pre[- ]?hook|hook|refrain|interlude|instrumental|breakdown|припев|куплет|refrão|estribillo";

/// A line that is only a section label: `Chorus`, `Verse 2:`, `(Bridge)`,
/// `Chorus x2`.
static SECTION_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*[\(\{{]?\s*(?:{SECTION_NAMES})(?:\s*\d{{1,2}})?(?:\s*[x×]\s*\d{{1,2}})?\s*[\)\}}]?\s*:?\s*$"
    ))
    .expect("static regex")
});

/// A section label that prefixes sung words: `Chorus: na na na`.
static SECTION_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*(?:{SECTION_NAMES})(?:\s*\d{{1,2}})?\s*:\s*"
    ))
    .expect("static regex")
});

/// Removes lyrics markup line by line: LRC time tags and ID tag lines,
/// bracketed section markers and annotations (`[Chorus]`, `{Hook}`),
/// section-label lines (`Verse 1:`, `(Chorus)`), section-label prefixes
/// (`Chorus: ...`) and repeat markers (`(x2)`, `... x2`). Lines that end up
/// blank are dropped; the rest are joined with `\n`.
///
/// Linear in the input: every pattern runs on one line at a time.
pub fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for raw_line in text.lines() {
        let mut line: Cow<str> = Cow::Borrowed(raw_line);
        if line.contains('[') || line.contains('<') {
            line = Cow::Owned(TIME_TAG.replace_all(&line, " ").into_owned());
            if ID_TAG_LINE.is_match(&line) {
                continue;
            }
        }
        if line.contains('[') || line.contains('{') {
            line = Cow::Owned(BRACKETED.replace_all(&line, " ").into_owned());
        }
        // Repeat markers first, so `Chorus (x2)` is left as a bare label.
        if line.contains('(') {
            line = Cow::Owned(REPEAT_PAREN.replace_all(&line, " ").into_owned());
        }
        if let Some(m) = REPEAT_TRAILING.find(&line) {
            line = Cow::Owned(line[..m.start()].to_owned());
        }
        if SECTION_LINE.is_match(&line) {
            continue;
        }
        if let Some(m) = SECTION_PREFIX.find(&line) {
            line = Cow::Owned(line[m.end()..].to_owned());
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(trimmed);
    }
    out
}

/// Whether cleaned text holds any lyrics at all: at least one alphanumeric
/// character. Documents failing this are "missing" (see the module docs).
pub fn has_lyrics(cleaned: &str) -> bool {
    cleaned.chars().any(char::is_alphanumeric)
}

// ---------------------------------------------------------------------------
// Tokens.

/// scikit-learn's `(?u)\b\w\w+\b`: maximal runs of two or more Python word
/// characters (`str.isalnum()` or `_`, i.e. `\p{L}`, `\p{N}` or `_`). A match
/// never starts inside a run, so `\b` needs no separate check.
static SKLEARN_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{N}_]{2,}").expect("static regex"));

/// Maps typographic apostrophes to `'` so `don’t` and `don't` are one token.
fn normalise_apostrophes(text: &str) -> Cow<'_, str> {
    if text.contains(['\u{2019}', '\u{2018}', '\u{02BC}']) {
        Cow::Owned(text.replace(['\u{2019}', '\u{2018}', '\u{02BC}'], "'"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Splits already cleaned and lowercased text into word tokens with the given
/// tokenizer (no stopwords, no stemming).
pub fn tokenize(text: &str, tokenizer: Tokenizer) -> Vec<String> {
    match tokenizer {
        Tokenizer::Mer => normalise_apostrophes(text)
            .unicode_words()
            .map(str::to_owned)
            .collect(),
        Tokenizer::Sklearn => SKLEARN_TOKEN
            .find_iter(text)
            .map(|m| m.as_str().to_owned())
            .collect(),
    }
}

/// Word n-grams exactly as scikit-learn's `_word_ngrams`: for each `n` in
/// `min_n..=max_n` every run of `n` consecutive tokens joined by one space;
/// unigrams first, then bigrams, and so on. Documents shorter than `n`
/// contribute no `n`-grams.
pub fn ngrams(tokens: &[String], min_n: usize, max_n: usize) -> Vec<String> {
    let min_n = min_n.max(1);
    if max_n == 1 && min_n == 1 {
        return tokens.to_vec();
    }
    let mut out = Vec::new();
    for n in min_n..=max_n.min(tokens.len()) {
        for window in tokens.windows(n) {
            out.push(window.join(" "));
        }
    }
    out
}

/// Stems one lowercase token with Snowball English (Porter2).
pub fn stem_english(token: &str) -> String {
    rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)
        .stem(token)
        .into_owned()
}

/// The tokens of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Analyzed {
    /// Words after stopword removal and stemming, in document order.
    pub words: Vec<String>,
    /// How many tokens the tokenizer produced before stopword removal.
    pub n_raw_tokens: usize,
}

/// The configured text -> words -> terms pipeline (cleaning, tokenizer,
/// stopwords, stemming, n-grams).
#[derive(Debug, Clone)]
pub struct Analyzer {
    options: AnalyzerOptions,
    stopwords: HashSet<String>,
}

impl Analyzer {
    /// Builds the pipeline; fails if the n-gram range is invalid.
    pub fn new(options: AnalyzerOptions) -> Result<Self, TextError> {
        let (lo, hi) = options.ngram_range;
        if lo == 0 || hi < lo {
            return Err(TextError::Config(mer_core::ConfigError::found(
                "ngram_range",
                format!("[{lo}, {hi}]"),
                "must be [min_n, max_n] with 1 <= min_n <= max_n",
            )));
        }
        let list: Vec<&str> = match &options.stopwords {
            Stopwords::English => english_stopwords().to_vec(),
            Stopwords::None => Vec::new(),
            Stopwords::List(words) => words.iter().map(String::as_str).collect(),
        };
        let stopwords = list
            .iter()
            .map(|w| match options.tokenizer {
                Tokenizer::Mer => normalise_apostrophes(&nfkc(w)).trim().to_lowercase(),
                // scikit-learn compares tokens with the stop list as given.
                Tokenizer::Sklearn => (*w).to_owned(),
            })
            .collect();
        Ok(Analyzer { options, stopwords })
    }

    pub fn options(&self) -> &AnalyzerOptions {
        &self.options
    }

    /// Normalises, strips markup and lowercases one raw document. `None` when
    /// the document is missing (no alphanumeric character left).
    pub fn prepare(&self, raw: &str) -> Option<String> {
        let normalised: Cow<str> = match self.options.tokenizer {
            Tokenizer::Mer => nfkc_cow(raw),
            Tokenizer::Sklearn => Cow::Borrowed(raw),
        };
        let stripped: Cow<str> = if self.options.strip_markup {
            Cow::Owned(strip_markup(&normalised))
        } else {
            normalised
        };
        if !has_lyrics(&stripped) {
            return None;
        }
        Some(stripped.to_lowercase())
    }

    /// Tokens of one prepared document after stopwords and stemming.
    pub fn words(&self, prepared: &str) -> Analyzed {
        let tokens = tokenize(prepared, self.options.tokenizer);
        let n_raw_tokens = tokens.len();
        let stemmer = self
            .options
            .stem
            .then(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English));
        let words = tokens
            .into_iter()
            .filter(|t| !self.stopwords.contains(t))
            .map(|t| match &stemmer {
                Some(s) => s.stem(&t).into_owned(),
                None => t,
            })
            .collect();
        Analyzed {
            words,
            n_raw_tokens,
        }
    }

    /// The full pipeline on one raw document: `None` when it is missing.
    pub fn analyze(&self, raw: &str) -> Option<Analyzed> {
        self.prepare(raw).map(|p| self.words(&p))
    }

    /// Terms (n-grams over the words) of analysed words.
    pub fn terms(&self, words: &[String]) -> Vec<String> {
        let (lo, hi) = self.options.ngram_range;
        ngrams(words, lo, hi)
    }

    /// Whether `token` (already lowercased) is a stopword for this pipeline.
    pub fn is_stopword(&self, token: &str) -> bool {
        self.stopwords.contains(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(opts: AnalyzerOptions, raw: &str) -> Vec<String> {
        Analyzer::new(opts).unwrap().analyze(raw).unwrap().words
    }

    #[test]
    fn stopword_list_has_no_duplicates_and_is_lowercase() {
        let list = english_stopwords();
        let set: HashSet<_> = list.iter().collect();
        assert_eq!(set.len(), list.len());
        assert!(list.iter().all(|w| w.to_lowercase() == *w));
        assert!(list.contains(&"don't") && list.contains(&"the"));
        // Emotion-bearing words that scikit-learn's list removes must stay.
        for w in ["cry", "fire", "call", "hurt", "gone", "love"] {
            assert!(!list.contains(&w), "{w} must not be a stopword");
        }
    }

    #[test]
    fn lrc_time_and_id_tags_are_removed() {
        let lrc = "[ti:Song]\n[ar:Someone]\n[offset:+200]\n[00:12.34]Hello darkness\n[00:15.00][01:15.00]my old friend\n<00:20.10>word <00:20.50>by <00:21.00>word";
        assert_eq!(
            strip_markup(lrc),
            "Hello darkness\nmy old friend\nword  by  word"
        );
    }

    #[test]
    fn section_markers_and_repeats_are_removed() {
        let text = "[Verse 1: Someone]\nI walk alone\nChorus:\n(Chorus)\nChorus: na na na\nLet it go (x2)\nLet it go x3\n{Hook}\nVerse 2\nBridge x2\nChorus (x2)\nПрипев:\nПрипев 2: ля ля\n(oh yeah)";
        assert_eq!(
            strip_markup(text),
            "I walk alone\nna na na\nLet it go\nLet it go\nля ля\n(oh yeah)"
        );
    }

    #[test]
    fn words_that_look_like_markers_inside_lines_are_kept() {
        // "verse" and "chorus" as sung words, a parenthesis with lyrics.
        let text = "sing the chorus with me\nthis verse is mine (forever)";
        assert_eq!(strip_markup(text), text);
    }

    #[test]
    fn mer_tokenizer_keeps_contractions_and_normalises() {
        let opts = AnalyzerOptions {
            stopwords: Stopwords::None,
            ..Default::default()
        };
        assert_eq!(
            words(opts, "Don’t STOP ﬁre　ＦＵＬＬ rock'n'roll!"),
            ["don't", "stop", "fire", "full", "rock'n'roll"]
        );
    }

    #[test]
    fn sklearn_tokenizer_follows_the_default_token_pattern() {
        let toks = tokenize("don't stop, a b_c x9 é 日本語です", Tokenizer::Sklearn);
        assert_eq!(toks, ["don", "stop", "b_c", "x9", "日本語です"]);
    }

    #[test]
    fn stopwords_are_removed_before_stemming() {
        let opts = AnalyzerOptions {
            stem: true,
            ..Default::default()
        };
        // "crying" stems to "cri"; "i", "am", "the" are stopwords.
        assert_eq!(words(opts, "I am crying in the rain"), ["cri", "rain"]);
    }

    #[test]
    fn ngrams_follow_sklearn_order() {
        let t: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(ngrams(&t, 1, 2), ["a", "b", "c", "a b", "b c"]);
        assert_eq!(ngrams(&t, 2, 3), ["a b", "b c", "a b c"]);
        assert_eq!(ngrams(&t, 4, 5), Vec::<String>::new());
    }

    #[test]
    fn markup_only_documents_are_missing() {
        let a = Analyzer::new(AnalyzerOptions::default()).unwrap();
        assert!(a.analyze("[Instrumental]\n[00:01.00]").is_none());
        assert!(a.analyze("   \n\t").is_none());
        assert!(a.analyze("").is_none());
        assert!(a.analyze("♪ ♪ ♪").is_none());
        // Present but all stopwords: present, zero words.
        let only_stop = a.analyze("the and of").unwrap();
        assert!(only_stop.words.is_empty());
        assert_eq!(only_stop.n_raw_tokens, 3);
    }

    #[test]
    fn invalid_ngram_range_is_rejected() {
        let opts = AnalyzerOptions {
            ngram_range: (2, 1),
            ..Default::default()
        };
        assert!(matches!(Analyzer::new(opts), Err(TextError::Config(_))));
    }

    #[test]
    fn a_binary_file_that_decodes_is_not_lyrics() {
        let p = Path::new("song.txt");
        let e = decode_lyrics_bytes(p, b"la la\0\0\0\0").unwrap_err();
        assert!(matches!(e, TextError::Binary { .. }), "{e}");
        assert!(
            e.to_string().contains("song.txt") && e.to_string().contains("offset 5"),
            "{e}"
        );
        let e = decode_lyrics_bytes(p, b"\x01\x02\x03 la la la").unwrap_err();
        assert!(e.to_string().contains("control characters"), "{e}");
        // Tabs, CRLF, form feeds and a DOS end-of-file mark are text.
        assert_eq!(
            decode_lyrics_bytes(p, b"verse\tone\r\n\x0cchorus\x1a").unwrap(),
            "verse\tone\r\n\x0cchorus\x1a"
        );
    }

    #[test]
    fn decode_reports_offset_and_line_of_invalid_utf8() {
        let bytes = b"line one\nline \xff two";
        let err = decode_lyrics_bytes(Path::new("x.txt"), bytes).unwrap_err();
        match err {
            TextError::InvalidUtf8 { offset, line, .. } => {
                assert_eq!(offset, 14);
                assert_eq!(line, 2);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn decode_handles_boms() {
        let p = Path::new("x");
        assert_eq!(decode_lyrics_bytes(p, b"\xEF\xBB\xBFhi").unwrap(), "hi");
        assert_eq!(
            decode_lyrics_bytes(p, &[0xFF, 0xFE, b'h', 0, b'i', 0]).unwrap(),
            "hi"
        );
        assert_eq!(
            decode_lyrics_bytes(p, &[0xFE, 0xFF, 0, b'h', 0, b'i']).unwrap(),
            "hi"
        );
        assert!(matches!(
            decode_lyrics_bytes(p, &[0xFF, 0xFE, b'h']),
            Err(TextError::InvalidUtf16 { .. })
        ));
        // Offset counts the BOM.
        match decode_lyrics_bytes(p, b"\xEF\xBB\xBFab\xC3") {
            Err(TextError::InvalidUtf8 { offset, .. }) => assert_eq!(offset, 5),
            other => panic!("unexpected {other:?}"),
        }
    }
}
