//! Valence/arousal/dominance lexicon features.
//!
//! Owns parsing a user-supplied lexicon and the per-document statistics over
//! the words it covers. mer ships no lexicon: the format is the shape of
//! Warriner, Kuperman & Brysbaert (2013), "Norms of valence, arousal, and
//! dominance for 13,915 English lemmas" and of Mohammad (2018), NRC-VAD,
//! reduced to one row per word:
//!
//! ```text
//! word,valence,arousal[,dominance]
//! love,8.00,5.36,5.92
//! ```
//!
//! * comma-separated, or tab-separated when the first line holds a tab
//!   (NRC-VAD's own `.txt` layout), read as CSV: a field in double quotes
//!   may hold the delimiter or a doubled `""` quote (`"rock""n""roll",5,6`);
//! * an optional header on line 1 (recognised when its second field is not
//!   a number); blank lines and lines starting with `#` are skipped;
//! * every row has the same number of fields, 3 or 4, all scores finite;
//! * words are NFKC-normalised and lowercased like `mer` tokens; a word
//!   that appears twice is an error; multi-word entries (holding a space)
//!   can never match a single token and are counted, not used.
//!
//! Scores are used on whatever scale the file has (Warriner: 1-9,
//! NRC-VAD: 0-1).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::clean::nfkc;
use super::csv_read;
use super::error::TextError;

const DIM_NAMES: [&str; 3] = ["valence", "arousal", "dominance"];

/// Statistics per lexicon dimension, in feature order.
const STAT_NAMES: [&str; 4] = ["mean", "std", "min", "max"];

/// A parsed lexicon: word -> scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Lexicon {
    source: PathBuf,
    n_dims: usize,
    index: HashMap<String, usize>,
    /// `[n_words, n_dims]`, row-major.
    scores: Vec<f64>,
    /// Mean of each dimension over all entries: the neutral value used for
    /// documents with no lexicon word.
    means: Vec<f64>,
    n_multiword: usize,
    content_hash: String,
}

/// Lexicon coverage of a set of documents.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LexiconCoverage {
    /// Tokens looked up (after stopword removal), over present documents.
    pub n_tokens: usize,
    /// Of those, tokens found in the lexicon.
    pub n_matched: usize,
    /// Present documents with no lexicon word at all.
    pub n_docs_without_match: usize,
}

impl LexiconCoverage {
    /// Fraction of tokens found in the lexicon (`0` when there were none).
    pub fn coverage(&self) -> f64 {
        if self.n_tokens == 0 {
            0.0
        } else {
            self.n_matched as f64 / self.n_tokens as f64
        }
    }

    pub(crate) fn add(&mut self, other: LexiconCoverage) {
        self.n_tokens += other.n_tokens;
        self.n_matched += other.n_matched;
        self.n_docs_without_match += other.n_docs_without_match;
    }
}

impl Lexicon {
    /// Reads and parses a lexicon file.
    pub fn load(path: &Path) -> Result<Self, TextError> {
        let bytes = std::fs::read(path).map_err(|source| TextError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = super::clean::decode_lyrics_bytes(path, &bytes)?;
        let mut lexicon = Self::parse(path, &text)?;
        lexicon.content_hash = blake3::hash(&bytes).to_hex().to_string();
        Ok(lexicon)
    }

    /// Parses lexicon text; `path` only names the source in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, TextError> {
        let err = |line: usize, rule: String| TextError::Lexicon {
            path: path.to_path_buf(),
            line,
            rule,
        };
        // A sniff of the raw first line picks the delimiter (NRC-VAD's own
        // `.txt` is tab-separated); the records are then read by the `csv`
        // crate, so a quoted word may hold the delimiter or a `""` quote.
        let delimiter = match text.lines().next() {
            Some(first) if first.contains('\t') => b'\t',
            _ => b',',
        };
        let records = csv_read::records(text, delimiter, Some(b'#')).map_err(|e| {
            err(
                e.line,
                format!("cannot be read as delimited text: {}", e.rule),
            )
        })?;
        let mut n_dims: Option<usize> = None;
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut first_line_of: Vec<usize> = Vec::new();
        let mut scores: Vec<f64> = Vec::new();
        let mut n_multiword = 0;
        for record in &records {
            let line_no = record.line;
            let fields = &record.fields;
            if line_no == 1 && fields.len() >= 2 && score_text(&fields[1]).parse::<f64>().is_err() {
                continue; // header
            }
            if !(3..=4).contains(&fields.len()) {
                return Err(err(
                    line_no,
                    format!(
                        "expected 3 or 4 fields (word,valence,arousal[,dominance]), found {}",
                        fields.len()
                    ),
                ));
            }
            let dims = fields.len() - 1;
            match n_dims {
                None => n_dims = Some(dims),
                Some(d) if d != dims => {
                    return Err(err(
                        line_no,
                        format!(
                            "has {} fields but earlier rows have {}; every row needs the same columns",
                            fields.len(),
                            d + 1
                        ),
                    ));
                }
                Some(_) => {}
            }
            let word = nfkc(&fields[0]).to_lowercase().replace('\u{2019}', "'");
            if word.is_empty() {
                return Err(err(line_no, "the word field is empty".into()));
            }
            let mut row = Vec::with_capacity(dims);
            for (k, f) in fields[1..].iter().map(|f| score_text(f)).enumerate() {
                let v: f64 = f.parse().map_err(|_| {
                    err(
                        line_no,
                        format!("{} score {f:?} is not a number", DIM_NAMES[k]),
                    )
                })?;
                if !v.is_finite() {
                    return Err(err(
                        line_no,
                        format!("{} score must be finite, found {f}", DIM_NAMES[k]),
                    ));
                }
                row.push(v);
            }
            if word.chars().any(char::is_whitespace) {
                n_multiword += 1;
                continue;
            }
            if let Some(&prev) = index.get(&word) {
                return Err(err(
                    line_no,
                    format!(
                        "word {word:?} already appears on line {} (after lowercasing); each word needs one row",
                        first_line_of[prev]
                    ),
                ));
            }
            index.insert(word, first_line_of.len());
            first_line_of.push(line_no);
            scores.extend(row);
        }
        let n_dims = match n_dims {
            Some(d) if !first_line_of.is_empty() => d,
            _ => {
                return Err(err(
                    text.lines().count().max(1),
                    "the lexicon holds no single-word entries".into(),
                ));
            }
        };
        let n_words = first_line_of.len();
        let means = (0..n_dims)
            .map(|k| (0..n_words).map(|w| scores[w * n_dims + k]).sum::<f64>() / n_words as f64)
            .collect();
        Ok(Lexicon {
            source: path.to_path_buf(),
            n_dims,
            index,
            scores,
            means,
            n_multiword,
            content_hash: String::new(),
        })
    }

    pub fn source(&self) -> &Path {
        &self.source
    }

    /// BLAKE3 of the file bytes, hex; empty for a lexicon parsed from
    /// memory. Hash it into trial keys next to the extractor id.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// 2 (valence, arousal) or 3 (+ dominance).
    pub fn n_dims(&self) -> usize {
        self.n_dims
    }

    /// Single-word entries usable for lookup.
    pub fn n_words(&self) -> usize {
        self.index.len()
    }

    /// Multi-word entries skipped at load.
    pub fn n_multiword(&self) -> usize {
        self.n_multiword
    }

    /// Scores of one (lowercase) word.
    pub fn get(&self, word: &str) -> Option<&[f64]> {
        self.index
            .get(word)
            .map(|&i| &self.scores[i * self.n_dims..(i + 1) * self.n_dims])
    }

    /// Mean of each dimension over the lexicon's entries.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// Feature count: 4 statistics per dimension, then coverage.
    pub fn n_features(&self) -> usize {
        self.n_dims * STAT_NAMES.len() + 1
    }

    /// `valence_mean, valence_std, valence_min, valence_max, arousal_...,
    /// [dominance_...], coverage`.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names: Vec<String> = DIM_NAMES[..self.n_dims]
            .iter()
            .flat_map(|d| STAT_NAMES.iter().map(move |s| format!("{d}_{s}")))
            .collect();
        names.push("coverage".into());
        names
    }

    /// Writes the features of one document's words into `out`
    /// (`[n_features]`): per dimension the mean, population standard
    /// deviation, minimum and maximum over the matched token occurrences,
    /// then the fraction of tokens matched. A document with no lexicon
    /// word gets the lexicon-wide mean for mean/min/max, `0` for std and
    /// coverage, so it reads as neutral rather than as the bottom of the
    /// scale.
    pub fn features_into(&self, words: &[String], out: &mut [f32]) -> LexiconCoverage {
        debug_assert_eq!(out.len(), self.n_features());
        let d = self.n_dims;
        let mut n = 0usize;
        let mut sum = vec![0.0f64; d];
        let mut sum_sq = vec![0.0f64; d];
        let mut min = vec![f64::INFINITY; d];
        let mut max = vec![f64::NEG_INFINITY; d];
        for w in words {
            if let Some(s) = self.get(w) {
                n += 1;
                for k in 0..d {
                    sum[k] += s[k];
                    sum_sq[k] += s[k] * s[k];
                    min[k] = min[k].min(s[k]);
                    max[k] = max[k].max(s[k]);
                }
            }
        }
        for k in 0..d {
            let base = k * STAT_NAMES.len();
            if n == 0 {
                out[base] = self.means[k] as f32;
                out[base + 1] = 0.0;
                out[base + 2] = self.means[k] as f32;
                out[base + 3] = self.means[k] as f32;
            } else {
                let mean = sum[k] / n as f64;
                let var = (sum_sq[k] / n as f64 - mean * mean).max(0.0);
                out[base] = mean as f32;
                out[base + 1] = var.sqrt() as f32;
                out[base + 2] = min[k] as f32;
                out[base + 3] = max[k] as f32;
            }
        }
        let cov = LexiconCoverage {
            n_tokens: words.len(),
            n_matched: n,
            n_docs_without_match: usize::from(n == 0),
        };
        out[d * STAT_NAMES.len()] = cov.coverage() as f32;
        cov
    }
}

/// A score field without the quotes of a `"8.00"` typed after a space
/// (`love, "8.00"`), which CSV does not unquote; a number never holds a
/// quote, so this only keeps such files readable as they always were.
fn score_text(field: &str) -> &str {
    field.trim_matches('"').trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Lexicon, TextError> {
        Lexicon::parse(Path::new("lex.csv"), text)
    }

    #[test]
    fn parses_header_tabs_and_comments() {
        let lex = parse("Word\tValence\tArousal\tDominance\n# note\nLove\t0.9\t0.6\t0.7\n\ncry\t0.1\t0.5\t0.2\n").unwrap();
        assert_eq!(lex.n_dims(), 3);
        assert_eq!(lex.get("love"), Some(&[0.9, 0.6, 0.7][..]));
        assert!((lex.means()[0] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn rejects_ragged_rows_duplicates_and_non_numbers() {
        let e = parse("love,8,5\ncry,2,5,4\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("same columns"), "{e}");
        let e = parse("love,8,5\nLOVE,7,5\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("line 1"), "{e}");
        let e = parse("love,8,5\ncry,x,5\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("valence"), "{e}");
        let e = parse("love,8,inf\n").unwrap_err().to_string();
        assert!(e.contains("finite"), "{e}");
        assert!(parse("word,valence,arousal\n").is_err());
    }

    #[test]
    fn a_quoted_word_may_hold_the_delimiter() {
        let lex = parse("word,valence,arousal\n\"a,b\",5,6\nlove,8,6\n").unwrap();
        assert_eq!(lex.n_words(), 2);
        assert_eq!(lex.get("a,b"), Some(&[5.0, 6.0][..]));
        assert_eq!(lex.get("love"), Some(&[8.0, 6.0][..]));
        // Tab-separated: a quoted tab makes a multi-word entry.
        let lex = parse("w\tv\ta\n\"two\twords\"\t3\t4\nlove\t1\t2\n").unwrap();
        assert_eq!((lex.n_words(), lex.n_multiword()), (1, 1));
    }

    #[test]
    fn a_quoted_word_may_hold_an_escaped_quote() {
        let lex = parse("\"rock\"\"n\"\"roll\",7,8\n\"\"\"hey\"\"\",1,2\n\"love\",8,6\n").unwrap();
        assert_eq!(lex.get("rock\"n\"roll"), Some(&[7.0, 8.0][..]));
        assert_eq!(lex.get("\"hey\""), Some(&[1.0, 2.0][..]));
        assert_eq!(lex.get("love"), Some(&[8.0, 6.0][..]));
        let lex = parse("w\tv\ta\n\"x\"\"y\"\t1\t2\n").unwrap();
        assert_eq!(lex.get("x\"y"), Some(&[1.0, 2.0][..]));
    }

    #[test]
    fn lines_stay_physical_lines_around_quotes_and_comments() {
        // A quoted line break, a CRLF, comments (one holding an unbalanced
        // quote, one indented) and a blank line: errors name the file line.
        let text = "love,8,6\r\n\"two\nlines\",1,2\n# a \"note\n  # indented, \"x\n\ncry,x,5\n";
        let e = parse(text).unwrap_err().to_string();
        assert!(
            e.contains("lex.csv") && e.contains("line 7") && e.contains("valence"),
            "{e}"
        );
        // Scores quoted after a space stay readable, as before.
        let lex = parse("love, \"8\", \"6\"\n").unwrap();
        assert_eq!(lex.get("love"), Some(&[8.0, 6.0][..]));
        assert_eq!(
            parse("\"love\",8,6\n\"love\",1,1\n")
                .unwrap_err()
                .to_string(),
            "lex.csv: line 2: word \"love\" already appears on line 1 (after lowercasing); each word needs one row"
        );
    }

    #[test]
    fn features_are_statistics_over_matched_tokens() {
        let lex = parse("love,8,6\ncry,2,4\n").unwrap();
        let words: Vec<String> = ["love", "cry", "love", "table"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut out = vec![0.0; lex.n_features()];
        let cov = lex.features_into(&words, &mut out);
        assert_eq!((cov.n_tokens, cov.n_matched), (4, 3));
        // valence over [8, 2, 8]: mean 6, population std sqrt(8), min 2, max 8.
        let expect = [6.0, 8f32.sqrt(), 2.0, 8.0];
        for (a, b) in out[..4].iter().zip(expect) {
            assert!((a - b).abs() < 1e-6, "{out:?}");
        }
        assert!((out[8] - 0.75).abs() < 1e-7);
        // No match: neutral lexicon mean.
        let cov = lex.features_into(&["table".to_string()], &mut out);
        assert_eq!(cov.n_docs_without_match, 1);
        assert_eq!(&out[..4], &[5.0, 0.0, 5.0, 5.0]);
        assert_eq!(out[8], 0.0);
    }
}
