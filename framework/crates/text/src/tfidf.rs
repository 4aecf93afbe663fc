//! TF-IDF over analysed terms, with scikit-learn's `TfidfVectorizer`
//! semantics (`CountVectorizer._limit_features` + `TfidfTransformer`).
//!
//! Owns vocabulary selection and idf weights fitted on a training fold, and
//! the per-document weighting. Leaves turning text into terms to
//! `text::clean::Analyzer`.
//!
//! The numbers follow scikit-learn 1.x:
//! * vocabulary: all terms, sorted by code point (Python string order);
//!   terms with `df < min_df` or `df > max_df` dropped (fractions are
//!   multiplied by the number of training documents, not rounded);
//!   if more than `max_features` remain, the ones with the largest total
//!   count in the training fold are kept. scikit-learn breaks ties with
//!   NumPy's unstable `argsort`; mer breaks them alphabetically, which is
//!   what a stable sort of its alphabetical columns would give.
//! * `idf = ln((1 + n) / (1 + df)) + 1` (`smooth_idf`) or `ln(n / df) + 1`;
//! * `tf` = raw count, or `1 + ln(count)` with `sublinear_tf`;
//! * weight = `tf * idf`, then each row scaled to unit L2 (or L1) norm;
//!   all-zero rows stay zero.

use std::collections::HashMap;

use super::config::{DocFreq, Norm, TfidfConfig};
use super::error::TextError;

/// A fitted TF-IDF vocabulary and idf vector.
#[derive(Debug, Clone, PartialEq)]
pub struct TfidfModel {
    /// Column `j` holds term `vocabulary[j]`; sorted by code point.
    vocabulary: Vec<String>,
    index: HashMap<String, usize>,
    /// `[n_terms]`, all ones when `use_idf = false`.
    idf: Vec<f64>,
    sublinear_tf: bool,
    norm: Norm,
    n_train_docs: usize,
}

impl TfidfModel {
    /// Fits on the terms of the present training documents (one `Vec` of
    /// terms per document, n-grams included).
    pub fn fit(docs: &[Vec<String>], cfg: &TfidfConfig) -> Result<Self, TextError> {
        let n_docs = docs.len();
        if n_docs == 0 {
            return Err(TextError::NothingToFit {
                rule: "TF-IDF needs at least one training document with lyrics".into(),
            });
        }
        // term -> (document frequency, total count)
        let mut stats: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for doc in docs {
            seen.clear();
            for t in doc {
                *seen.entry(t.as_str()).or_insert(0) += 1;
            }
            for (t, c) in &seen {
                let e = stats.entry(t).or_insert((0, 0));
                e.0 += 1;
                e.1 += c;
            }
        }
        if stats.is_empty() {
            return Err(TextError::NothingToFit {
                rule: "empty vocabulary: the training documents hold only stopwords or no tokens"
                    .into(),
            });
        }
        let mut terms: Vec<(&str, u64, u64)> =
            stats.into_iter().map(|(t, (df, tf))| (t, df, tf)).collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));

        let high = cfg.max_df.resolve(n_docs);
        let low = cfg.min_df.resolve(n_docs);
        if high < low {
            return Err(TextError::Config(mer_core::ConfigError::new(
                "tfidf.max_df",
                format!(
                    "max_df ({}) corresponds to fewer documents ({high}) than min_df ({}, {low} documents) for {n_docs} training documents",
                    describe(cfg.max_df),
                    describe(cfg.min_df)
                ),
            )));
        }
        let mut kept: Vec<(&str, u64, u64)> = terms
            .into_iter()
            .filter(|&(_, df, _)| (df as f64) <= high && (df as f64) >= low)
            .collect();
        if kept.len() > cfg.max_features {
            // Highest total count first, ties alphabetical (kept is sorted,
            // and the sort is stable).
            let mut order: Vec<usize> = (0..kept.len()).collect();
            order.sort_by(|&a, &b| kept[b].2.cmp(&kept[a].2));
            let mut chosen = order[..cfg.max_features].to_vec();
            chosen.sort_unstable();
            kept = chosen.into_iter().map(|i| kept[i]).collect();
        }
        if kept.is_empty() {
            return Err(TextError::NothingToFit {
                rule: format!(
                    "after pruning with min_df = {} and max_df = {} no terms remain in {n_docs} training documents; lower min_df or raise max_df",
                    describe(cfg.min_df),
                    describe(cfg.max_df)
                ),
            });
        }

        let n = n_docs as f64;
        let smooth = if cfg.smooth_idf { 1.0 } else { 0.0 };
        let idf = kept
            .iter()
            .map(|&(_, df, _)| {
                if cfg.use_idf {
                    ((n + smooth) / (df as f64 + smooth)).ln() + 1.0
                } else {
                    1.0
                }
            })
            .collect();
        let vocabulary: Vec<String> = kept.iter().map(|&(t, _, _)| t.to_owned()).collect();
        Self::from_parts(vocabulary, idf, n_docs, cfg)
    }

    /// A model from its fitted parts (as saved with a trained network):
    /// the vocabulary in column order and its idf, with `cfg`'s weighting.
    pub fn from_parts(
        vocabulary: Vec<String>,
        idf: Vec<f64>,
        n_train_docs: usize,
        cfg: &TfidfConfig,
    ) -> Result<Self, TextError> {
        if vocabulary.len() != idf.len() {
            return Err(TextError::LengthMismatch {
                what: "idf values (one per vocabulary term)".into(),
                expected: vocabulary.len(),
                found: idf.len(),
            });
        }
        let index = vocabulary
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i))
            .collect();
        Ok(TfidfModel {
            vocabulary,
            index,
            idf,
            sublinear_tf: cfg.sublinear_tf,
            norm: cfg.norm,
            n_train_docs,
        })
    }

    /// Terms in column order.
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// Inverse document frequencies in column order.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }

    /// How many training documents the idf was computed from.
    pub fn n_train_docs(&self) -> usize {
        self.n_train_docs
    }

    /// Writes the TF-IDF row of one document into `out` (`[n_features]`,
    /// overwritten). Terms outside the vocabulary are ignored. Returns how
    /// many of the document's terms were in the vocabulary.
    pub fn transform_into(&self, terms: &[String], out: &mut [f32]) -> usize {
        debug_assert_eq!(out.len(), self.vocabulary.len());
        let mut counts: HashMap<usize, u64> = HashMap::new();
        let mut known = 0;
        for t in terms {
            if let Some(&j) = self.index.get(t.as_str()) {
                *counts.entry(j).or_insert(0) += 1;
                known += 1;
            }
        }
        let mut row: Vec<(usize, f64)> = counts
            .into_iter()
            .map(|(j, c)| {
                let tf = if self.sublinear_tf {
                    1.0 + (c as f64).ln()
                } else {
                    c as f64
                };
                (j, tf * self.idf[j])
            })
            .collect();
        // Summation order fixed so the norm is reproducible bit for bit.
        row.sort_unstable_by_key(|&(j, _)| j);
        let norm = match self.norm {
            Norm::L2 => row.iter().map(|&(_, w)| w * w).sum::<f64>().sqrt(),
            Norm::L1 => row.iter().map(|&(_, w)| w.abs()).sum::<f64>(),
            Norm::None => 1.0,
        };
        out.fill(0.0);
        if norm > 0.0 {
            for (j, w) in row {
                out[j] = (w / norm) as f32;
            }
        }
        known
    }
}

fn describe(d: DocFreq) -> String {
    match d {
        DocFreq::Count(c) => format!("{c}"),
        DocFreq::Fraction(f) => format!("{f:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(raw: &[&str]) -> Vec<Vec<String>> {
        raw.iter()
            .map(|d| d.split_whitespace().map(str::to_owned).collect())
            .collect()
    }

    fn cfg() -> TfidfConfig {
        TfidfConfig {
            min_df: DocFreq::Count(1),
            ..Default::default()
        }
    }

    #[test]
    fn idf_matches_the_smoothed_formula() {
        // "a" in 2 of 3 docs, "b" in 1, "c" in 1.
        let m = TfidfModel::fit(&docs(&["a b", "a", "c"]), &cfg()).unwrap();
        assert_eq!(m.vocabulary(), ["a", "b", "c"]);
        let expect_a = (4.0f64 / 3.0).ln() + 1.0;
        let expect_b = (4.0f64 / 2.0).ln() + 1.0;
        assert!((m.idf()[0] - expect_a).abs() < 1e-12);
        assert!((m.idf()[1] - expect_b).abs() < 1e-12);
        let mut row = vec![0.0; 3];
        m.transform_into(&docs(&["a b"])[0], &mut row);
        let norm = (expect_a * expect_a + expect_b * expect_b).sqrt();
        assert!((row[0] as f64 - expect_a / norm).abs() < 1e-7);
        assert!((row[1] as f64 - expect_b / norm).abs() < 1e-7);
        assert_eq!(row[2], 0.0);
    }

    #[test]
    fn max_features_ties_are_broken_alphabetically() {
        // Total counts: x 2, b 2, a 2, z 1. Keep 2 -> "a", "b".
        let c = TfidfConfig {
            max_features: 2,
            ..cfg()
        };
        let m = TfidfModel::fit(&docs(&["x b a", "x b a z"]), &c).unwrap();
        assert_eq!(m.vocabulary(), ["a", "b"]);
    }

    #[test]
    fn pruning_everything_is_an_error() {
        let c = TfidfConfig::default(); // min_df = 2 documents
        let err = TfidfModel::fit(&docs(&["a", "b"]), &c).unwrap_err();
        assert!(err.to_string().contains("no terms remain"), "{err}");
    }

    #[test]
    fn max_df_below_min_df_is_an_error_as_in_sklearn() {
        // 2 documents: max_df = 1.0 -> 2 documents < min_df = 5.
        let c = TfidfConfig {
            min_df: DocFreq::Count(5),
            ..Default::default()
        };
        let err = TfidfModel::fit(&docs(&["a", "b"]), &c).unwrap_err();
        assert!(err.to_string().contains("fewer documents"), "{err}");
    }

    #[test]
    fn unknown_terms_give_a_zero_row() {
        let m = TfidfModel::fit(&docs(&["a b"]), &cfg()).unwrap();
        let mut row = vec![1.0; 2];
        assert_eq!(m.transform_into(&docs(&["q r"])[0], &mut row), 0);
        assert_eq!(row, [0.0, 0.0]);
    }
}
