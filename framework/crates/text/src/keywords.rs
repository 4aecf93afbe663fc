//! Discriminative keywords per class, for reports ("which words mark Q3
//! lyrics?").
//!
//! Owns two one-vs-rest word scores over token counts:
//!
//! * **log-odds ratio with an informative Dirichlet prior**, Monroe,
//!   Colaresi & Quinn (2008), "Fightin' Words: Lexical Feature Selection and
//!   Evaluation for Identifying the Content of Political Conflict",
//!   *Political Analysis* 16(4), eqs. 16-22. With `y_w^i` the count of word
//!   `w` in class `i`, `n^i` all tokens of class `i`, `j` the other classes
//!   together, and the prior taken from the whole corpus scaled by `s`
//!   (`alpha_w = s * y_w`, `alpha_0 = s * n`):
//!   `delta_w = ln((y_w^i + a_w) / (n^i + a_0 - y_w^i - a_w))
//!            - ln((y_w^j + a_w) / (n^j + a_0 - y_w^j - a_w))`,
//!   `var = 1 / (y_w^i + a_w) + 1 / (y_w^j + a_w)`, score `z = delta_w / sqrt(var)`.
//! * **chi-squared**, as scikit-learn's `feature_selection.chi2` computes it
//!   on a document-term count matrix with the labels "class i" vs "rest":
//!   observed = token counts per group, expected = (share of documents in
//!   the group) x (total count of the word), score = sum over the two
//!   groups of `(observed - expected)^2 / expected`.
//!
//! Only words over-represented in the class are listed (`z > 0`, or
//! observed > expected for chi-squared), best first; equal scores are
//! ordered alphabetically so the output is deterministic. Leaves rendering
//! to `report`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::clean::{Analyzer, AnalyzerOptions};
use super::error::TextError;

/// Which score ranks the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeywordMethod {
    /// Log-odds ratio with an informative Dirichlet prior (z-score).
    #[default]
    LogOdds,
    /// One-vs-rest chi-squared statistic.
    ChiSquared,
}

/// Options of [`keywords_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordOptions {
    /// Defaults to log-odds.
    pub method: KeywordMethod,
    /// Words listed per class. Defaults to `20`.
    pub top: usize,
    /// Words seen fewer times in the whole corpus are not listed (they still
    /// count in the totals `n`). Defaults to `2`.
    pub min_count: u64,
    /// `s` in `alpha_w = s * y_w`: weight of the corpus-wide prior relative
    /// to the data; must be positive. Defaults to `1.0`.
    pub prior_scale: f64,
    /// Cleaning and tokens. Defaults to the `mer` tokenizer with English
    /// stopwords, no stemming, unigrams.
    pub analyzer: AnalyzerOptions,
}

impl Default for KeywordOptions {
    fn default() -> Self {
        KeywordOptions {
            method: KeywordMethod::LogOdds,
            top: 20,
            min_count: 2,
            prior_scale: 1.0,
            analyzer: AnalyzerOptions::default(),
        }
    }
}

/// One listed word.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyword {
    pub term: String,
    /// z-score (log-odds) or chi-squared statistic.
    pub score: f64,
    /// Occurrences in the class.
    pub count_in_class: u64,
    /// Occurrences in the other classes.
    pub count_in_rest: u64,
}

/// The keywords of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassKeywords {
    pub class_index: usize,
    pub class_name: String,
    /// Present documents of the class.
    pub n_docs: usize,
    /// Tokens (after stopwords) in those documents.
    pub n_tokens: u64,
    /// Best first, at most `top`.
    pub keywords: Vec<Keyword>,
}

/// [`keywords_with`] with default options except `top` and `method`.
pub fn keywords(
    docs: &[Option<&str>],
    labels: &[usize],
    class_names: &[String],
    top: usize,
    method: KeywordMethod,
) -> Result<Vec<ClassKeywords>, TextError> {
    let opts = KeywordOptions {
        top,
        method,
        ..Default::default()
    };
    keywords_with(docs, labels, class_names, &opts)
}

/// Top discriminative words of each class (one-vs-rest). `labels[k]` is the
/// class index of `docs[k]`; missing documents are skipped.
pub fn keywords_with(
    docs: &[Option<&str>],
    labels: &[usize],
    class_names: &[String],
    opts: &KeywordOptions,
) -> Result<Vec<ClassKeywords>, TextError> {
    if labels.len() != docs.len() {
        return Err(TextError::LengthMismatch {
            what: "keyword labels (one per document)".into(),
            expected: docs.len(),
            found: labels.len(),
        });
    }
    if !(opts.prior_scale.is_finite() && opts.prior_scale > 0.0) {
        return Err(TextError::Config(mer_core::ConfigError::found(
            "prior_scale",
            opts.prior_scale,
            "must be a positive, finite number",
        )));
    }
    let n_classes = class_names.len();
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, l)| **l >= n_classes) {
        return Err(TextError::LabelOutOfRange {
            index,
            label,
            n_classes,
        });
    }
    let analyzer = Analyzer::new(opts.analyzer.clone())?;

    // counts[term][class]
    let mut term_index: HashMap<String, usize> = HashMap::new();
    let mut counts: Vec<Vec<u64>> = Vec::new();
    let mut class_docs = vec![0usize; n_classes];
    let mut class_tokens = vec![0u64; n_classes];
    for (doc, &label) in docs.iter().zip(labels) {
        let Some(analyzed) = doc.and_then(|d| analyzer.analyze(d)) else {
            continue;
        };
        class_docs[label] += 1;
        for w in analyzer.terms(&analyzed.words) {
            class_tokens[label] += 1;
            let next = counts.len();
            let t = *term_index.entry(w).or_insert(next);
            if t == next {
                counts.push(vec![0; n_classes]);
            }
            counts[t][label] += 1;
        }
    }
    let mut terms: Vec<(String, usize)> = term_index.into_iter().collect();
    terms.sort_unstable();

    let n_total: u64 = class_tokens.iter().sum();
    let docs_total: usize = class_docs.iter().sum();
    let s = opts.prior_scale;
    let mut out = Vec::with_capacity(n_classes);
    for (i, name) in class_names.iter().enumerate() {
        let mut scored: Vec<Keyword> = Vec::new();
        if class_docs[i] > 0 {
            for (term, t) in &terms {
                let y_w: u64 = counts[*t].iter().sum();
                if y_w < opts.min_count {
                    continue;
                }
                let y_i = counts[*t][i];
                let y_j = y_w - y_i;
                let score = match opts.method {
                    KeywordMethod::LogOdds => {
                        let (n_i, n_j) =
                            (class_tokens[i] as f64, (n_total - class_tokens[i]) as f64);
                        let a_w = s * y_w as f64;
                        let a_0 = s * n_total as f64;
                        let (yi, yj) = (y_i as f64, y_j as f64);
                        let delta = ((yi + a_w) / (n_i + a_0 - yi - a_w)).ln()
                            - ((yj + a_w) / (n_j + a_0 - yj - a_w)).ln();
                        let var = 1.0 / (yi + a_w) + 1.0 / (yj + a_w);
                        delta / var.sqrt()
                    }
                    KeywordMethod::ChiSquared => {
                        let p_i = class_docs[i] as f64 / docs_total as f64;
                        let f = y_w as f64;
                        let (e_i, e_j) = (p_i * f, (1.0 - p_i) * f);
                        if (y_i as f64) <= e_i {
                            continue;
                        }
                        let mut chi = (y_i as f64 - e_i).powi(2) / e_i;
                        if e_j > 0.0 {
                            chi += (y_j as f64 - e_j).powi(2) / e_j;
                        }
                        chi
                    }
                };
                // Non-finite scores only arise when one word is the whole
                // corpus; nothing discriminates there.
                if score.is_finite() && score > 0.0 {
                    scored.push(Keyword {
                        term: term.clone(),
                        score,
                        count_in_class: y_i,
                        count_in_rest: y_j,
                    });
                }
            }
        }
        scored.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.term.cmp(&b.term))
        });
        scored.truncate(opts.top);
        out.push(ClassKeywords {
            class_index: i,
            class_name: name.clone(),
            n_docs: class_docs[i],
            n_tokens: class_tokens[i],
            keywords: scored,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_vocabularies_surface_per_class() {
        // The seed study's Q3 vs Q4 contrast on a constructed corpus.
        let q3 = "gone hurt cry night alone gone cry hurt";
        let q4 = "peace angel star night calm star angel peace";
        let docs: Vec<Option<&str>> = vec![Some(q3), Some(q4), Some(q3), Some(q4), None];
        let labels = [0, 1, 0, 1, 0];
        let names = vec!["Q3".to_string(), "Q4".to_string()];
        for method in [KeywordMethod::LogOdds, KeywordMethod::ChiSquared] {
            let k = keywords(&docs, &labels, &names, 3, method).unwrap();
            let top =
                |c: usize| -> Vec<&str> { k[c].keywords.iter().map(|w| w.term.as_str()).collect() };
            // Ties are alphabetical: each word occurs equally often.
            assert_eq!(top(0), ["cry", "gone", "hurt"], "{method:?}");
            assert_eq!(top(1), ["angel", "peace", "star"], "{method:?}");
            assert_eq!(k[0].n_docs, 2);
            // "night" is shared: never listed.
            assert!(
                k.iter()
                    .all(|c| c.keywords.iter().all(|w| w.term != "night"))
            );
        }
    }

    #[test]
    fn bad_labels_are_errors() {
        let names = vec!["a".to_string()];
        assert!(matches!(
            keywords(&[Some("x")], &[1], &names, 5, KeywordMethod::LogOdds),
            Err(TextError::LabelOutOfRange { label: 1, .. })
        ));
        assert!(matches!(
            keywords(&[Some("x")], &[], &names, 5, KeywordMethod::LogOdds),
            Err(TextError::LengthMismatch { .. })
        ));
    }
}
