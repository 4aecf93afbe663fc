//! Fitting text features on a training fold and applying them to any fold.
//!
//! Owns the seam the executor calls: [`fit`] / [`fit_with`] return a
//! [`FittedText`] whose [`FittedText::transform`] produces [`TextFeatures`]
//! (one row per input document, plus a mask and counts for the trial
//! record). Also owns [`TextResources`], the I/O edge that reads the lexicon
//! or embeddings file a config names. Leaves finding lyrics to `data`,
//! applying the `drop` policy (removing masked rows) to the executor, and
//! models to `model`.
//!
//! # Missing lyrics
//! `transform` always returns one row per input, in input order. A row is
//! masked (`mask[i] = false`) when the document is missing (see
//! `text::clean`) or, for `embeddings`, when the track id has no vector. Its
//! values are all zero. With `missing_lyrics = "drop"` the executor removes
//! masked rows from text-only trials ([`TextFeatures::present_indices`]);
//! with `"zero"` it keeps them and passes the mask to fusion models.
//!
//! # What fitting sees
//! Only the training fold. TF-IDF's idf uses `n` = the number of training
//! documents given as `Some(text)`, blank ones included: exactly what
//! scikit-learn's `TfidfVectorizer.fit` counts for the same list of strings
//! (an empty string is a document there too). `None` (no lyrics file) is not
//! a document. Blank documents add no term, so they change nothing else;
//! the token vocabulary and the lexicon ignore them entirely.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::clean::Analyzer;
use super::config::{MissingLyrics, Representation, TextFeatureConfig};
use super::embeddings::EmbeddingTable;
use super::error::TextError;
use super::lexicon::{Lexicon, LexiconCoverage};
use super::tfidf::TfidfModel;
use super::token_ids::TokenVocabulary;

/// Files a config refers to, read once per dataset and shared by folds.
#[derive(Debug, Clone, Default)]
pub struct TextResources {
    pub lexicon: Option<Arc<Lexicon>>,
    pub embeddings: Option<Arc<EmbeddingTable>>,
}

impl TextResources {
    /// Reads what the (resolved) config's representation needs; relative
    /// paths are taken relative to `base_dir` (the spec file's folder).
    pub fn load(cfg: &TextFeatureConfig, base_dir: &Path) -> Result<Self, TextError> {
        let cfg = cfg.resolved()?;
        let mut out = TextResources::default();
        match cfg.representation {
            Representation::Lexicon => {
                let l = cfg.lexicon.as_ref().expect("resolved lexicon section");
                out.lexicon = Some(Arc::new(Lexicon::load(&base_dir.join(&l.path))?));
            }
            Representation::Embeddings => {
                let e = cfg
                    .embeddings
                    .as_ref()
                    .expect("resolved embeddings section");
                let ids = e.ids.as_ref().map(|p| base_dir.join(p));
                out.embeddings = Some(Arc::new(EmbeddingTable::load(
                    &base_dir.join(&e.path),
                    ids.as_deref(),
                    e.dim,
                )?));
            }
            Representation::Tfidf | Representation::TokenIds => {}
        }
        Ok(out)
    }

    /// BLAKE3 (hex) of the loaded file contents, for trial keys; `None` when
    /// nothing was loaded.
    pub fn content_hash(&self) -> Option<String> {
        match (&self.lexicon, &self.embeddings) {
            (Some(l), _) => Some(l.content_hash().to_owned()),
            (None, Some(e)) => Some(e.content_hash().to_owned()),
            (None, None) => None,
        }
    }
}

/// The feature values of a set of documents.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureMatrix {
    /// TF-IDF, lexicon statistics or embeddings.
    Dense {
        dim: usize,
        /// `[n_docs, dim]`, row-major; masked rows are all zero.
        values: Vec<f32>,
        /// `[dim]`: the term, statistic or `emb_<k>` of each column.
        names: Vec<String>,
    },
    /// Token-id sequences (vocabulary in [`FittedText::vocabulary`]).
    TokenIds {
        max_len: usize,
        /// `[n_docs, max_len]`, row-major, padded with `0`; masked rows are
        /// all padding.
        ids: Vec<u32>,
        /// `[n_docs]`: unpadded length of each sequence.
        lengths: Vec<usize>,
    },
}

/// Counts for the trial record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextStats {
    /// Documents transformed.
    pub n_docs: usize,
    /// Masked documents (no lyrics, or no embedding).
    pub n_missing: usize,
    /// Their track ids, in input order.
    pub missing_ids: Vec<String>,
    /// Present documents that produced no known term, word or lexicon match
    /// (an all-zero TF-IDF row, an all-unknown sequence, ...).
    pub n_without_features: usize,
    /// Lexicon coverage (lexicon representation only).
    pub lexicon: Option<LexiconCoverage>,
    /// Words mapped to the unknown id (token_ids only).
    pub n_unknown_tokens: Option<usize>,
    /// Documents cut at `max_len` (token_ids only).
    pub n_truncated: Option<usize>,
}

/// Features of a set of documents, row `i` for input `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct TextFeatures {
    /// `[n_docs]`: `false` = no lyrics (or no embedding) for this track.
    pub mask: Vec<bool>,
    pub matrix: FeatureMatrix,
    pub stats: TextStats,
}

impl TextFeatures {
    pub fn n_rows(&self) -> usize {
        self.mask.len()
    }

    /// Columns (dense) or sequence length (token ids).
    pub fn dim(&self) -> usize {
        match &self.matrix {
            FeatureMatrix::Dense { dim, .. } => *dim,
            FeatureMatrix::TokenIds { max_len, .. } => *max_len,
        }
    }

    /// Column names of a dense matrix (terms, statistics, `emb_<k>`); empty
    /// for token ids.
    pub fn names(&self) -> &[String] {
        match &self.matrix {
            FeatureMatrix::Dense { names, .. } => names,
            FeatureMatrix::TokenIds { .. } => &[],
        }
    }

    /// Row `i` of a dense matrix.
    pub fn dense_row(&self, i: usize) -> Option<&[f32]> {
        match &self.matrix {
            FeatureMatrix::Dense { dim, values, .. } => values.get(i * dim..(i + 1) * dim),
            FeatureMatrix::TokenIds { .. } => None,
        }
    }

    /// Indices of unmasked rows: the rows a text-only trial keeps under
    /// `missing_lyrics = "drop"`.
    pub fn present_indices(&self) -> Vec<usize> {
        (0..self.mask.len()).filter(|&i| self.mask[i]).collect()
    }

    /// The rows `indices` (in that order), with `n_docs`/`n_missing`
    /// recounted.
    pub fn select(&self, indices: &[usize]) -> TextFeatures {
        let matrix = match &self.matrix {
            FeatureMatrix::Dense { dim, values, names } => FeatureMatrix::Dense {
                dim: *dim,
                values: indices
                    .iter()
                    .flat_map(|&i| values[i * dim..(i + 1) * dim].iter().copied())
                    .collect(),
                names: names.clone(),
            },
            FeatureMatrix::TokenIds {
                max_len,
                ids,
                lengths,
            } => FeatureMatrix::TokenIds {
                max_len: *max_len,
                ids: indices
                    .iter()
                    .flat_map(|&i| ids[i * max_len..(i + 1) * max_len].iter().copied())
                    .collect(),
                lengths: indices.iter().map(|&i| lengths[i]).collect(),
            },
        };
        let mask: Vec<bool> = indices.iter().map(|&i| self.mask[i]).collect();
        let mut stats = self.stats.clone();
        stats.n_docs = mask.len();
        stats.n_missing = mask.iter().filter(|m| !**m).count();
        TextFeatures {
            mask,
            matrix,
            stats,
        }
    }
}

#[derive(Debug, Clone)]
enum Model {
    Tfidf {
        analyzer: Analyzer,
        model: TfidfModel,
    },
    Lexicon {
        analyzer: Analyzer,
        lexicon: Arc<Lexicon>,
    },
    Embeddings {
        table: Arc<EmbeddingTable>,
    },
    TokenIds {
        analyzer: Analyzer,
        vocab: TokenVocabulary,
        max_len: usize,
    },
}

/// Text features fitted on one training fold.
#[derive(Debug, Clone)]
pub struct FittedText {
    config: TextFeatureConfig,
    model: Model,
}

fn check_lengths(docs: &[Option<&str>], ids: &[&str]) -> Result<(), TextError> {
    if docs.len() != ids.len() {
        return Err(TextError::LengthMismatch {
            what: "track ids (one per document)".into(),
            expected: docs.len(),
            found: ids.len(),
        });
    }
    Ok(())
}

/// Fits on the training fold, reading the lexicon/embeddings file the
/// config names (paths relative to the working directory). Prefer
/// [`TextResources::load`] once plus [`fit_with`] per fold.
pub fn fit(
    cfg: &TextFeatureConfig,
    train_docs: &[Option<&str>],
    train_ids: &[&str],
) -> Result<FittedText, TextError> {
    let resources = TextResources::load(cfg, Path::new(""))?;
    fit_with(cfg, &resources, train_docs, train_ids)
}

/// Fits on the training fold only: the TF-IDF vocabulary and idf, or the
/// token vocabulary, see nothing but `train_docs`. `train_ids[i]` is the
/// track of `train_docs[i]`.
pub fn fit_with(
    cfg: &TextFeatureConfig,
    resources: &TextResources,
    train_docs: &[Option<&str>],
    train_ids: &[&str],
) -> Result<FittedText, TextError> {
    check_lengths(train_docs, train_ids)?;
    let config = cfg.resolved()?;
    let repr = config.representation;
    let analyzer = config.analyzer_options().map(Analyzer::new).transpose()?;
    let missing = |what: &str| TextError::MissingResource {
        representation: repr.as_str().into(),
        what: what.into(),
    };
    let model = match repr {
        Representation::Tfidf => {
            let analyzer = analyzer.expect("tfidf tokenises");
            // Every Some(text) is a document for the idf (blank ones with no
            // terms), as in TfidfVectorizer; None is not.
            let docs: Vec<Vec<String>> = train_docs
                .iter()
                .flatten()
                .map(|d| match analyzer.analyze(d) {
                    Some(a) => analyzer.terms(&a.words),
                    None => Vec::new(),
                })
                .collect();
            let tfidf = config.tfidf.as_ref().expect("resolved tfidf section");
            Model::Tfidf {
                model: TfidfModel::fit(&docs, tfidf)?,
                analyzer,
            }
        }
        Representation::Lexicon => Model::Lexicon {
            analyzer: analyzer.expect("lexicon tokenises"),
            lexicon: resources
                .lexicon
                .clone()
                .ok_or_else(|| missing("a lexicon (TextResources::load)"))?,
        },
        Representation::Embeddings => {
            let table = resources
                .embeddings
                .clone()
                .ok_or_else(|| missing("an embeddings table (TextResources::load)"))?;
            if !train_ids.is_empty() && train_ids.iter().all(|id| table.get(id).is_none()) {
                let shown: Vec<&str> = train_ids.iter().take(3).copied().collect();
                return Err(TextError::NothingToFit {
                    rule: format!(
                        "none of the {} training track ids (e.g. {shown:?}) has a vector in {} (whose ids start {:?}); do the ids match the dataset's?",
                        train_ids.len(),
                        table.source().display(),
                        table.ids().iter().take(3).collect::<Vec<_>>()
                    ),
                });
            }
            Model::Embeddings { table }
        }
        Representation::TokenIds => {
            let analyzer = analyzer.expect("token_ids tokenises");
            let docs: Vec<Vec<String>> = train_docs
                .iter()
                .filter_map(|d| d.and_then(|d| analyzer.analyze(d)))
                .map(|a| a.words)
                .collect();
            if docs.is_empty() {
                return Err(TextError::NothingToFit {
                    rule: "no training document has lyrics to build a vocabulary from".into(),
                });
            }
            let t = config
                .token_ids
                .as_ref()
                .expect("resolved token_ids section");
            Model::TokenIds {
                vocab: TokenVocabulary::fit(&docs, t.vocab_size),
                max_len: t.max_len,
                analyzer,
            }
        }
    };
    Ok(FittedText { config, model })
}

/// What a [`FittedText`] learnt from its training fold, in a form that
/// serialises (saved next to a trained network so that `mer predict` turns
/// new lyrics into the same features). Lexicons and embedding tables are
/// not copied: they are read again from the config's paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextState {
    pub config: TextFeatureConfig,
    pub fitted: FittedState,
}

/// The fitted part of a [`TextState`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FittedState {
    Tfidf {
        vocabulary: Vec<String>,
        idf: Vec<f64>,
        n_train_docs: usize,
    },
    TokenIds {
        tokens: Vec<String>,
    },
    /// Lexicon or embeddings: nothing fitted, the file is the model.
    Resource,
}

impl FittedText {
    /// The fitted state, to save with a model.
    pub fn state(&self) -> TextState {
        let fitted = match &self.model {
            Model::Tfidf { model, .. } => FittedState::Tfidf {
                vocabulary: model.vocabulary().to_vec(),
                idf: model.idf().to_vec(),
                n_train_docs: model.n_train_docs(),
            },
            Model::TokenIds { vocab, .. } => FittedState::TokenIds {
                tokens: vocab.tokens().to_vec(),
            },
            Model::Lexicon { .. } | Model::Embeddings { .. } => FittedState::Resource,
        };
        TextState {
            config: self.config.clone(),
            fitted,
        }
    }

    /// Rebuilds a fitted model from [`Self::state`]; `resources` supplies
    /// the lexicon or embeddings a `Resource` state needs.
    pub fn from_state(state: &TextState, resources: &TextResources) -> Result<Self, TextError> {
        let config = state.config.resolved()?;
        let analyzer = config.analyzer_options().map(Analyzer::new).transpose()?;
        let bad = |rule: &str| TextError::SavedState(rule.into());
        let model = match (&state.fitted, config.representation) {
            (
                FittedState::Tfidf {
                    vocabulary,
                    idf,
                    n_train_docs,
                },
                Representation::Tfidf,
            ) => Model::Tfidf {
                model: TfidfModel::from_parts(
                    vocabulary.clone(),
                    idf.clone(),
                    *n_train_docs,
                    config.tfidf.as_ref().expect("resolved tfidf section"),
                )?,
                analyzer: analyzer.expect("tfidf tokenises"),
            },
            (FittedState::TokenIds { tokens }, Representation::TokenIds) => Model::TokenIds {
                vocab: TokenVocabulary::from_tokens(tokens.clone())
                    .ok_or_else(|| bad("a token vocabulary starts with <pad> and <unk>"))?,
                max_len: config
                    .token_ids
                    .as_ref()
                    .expect("resolved token_ids section")
                    .max_len,
                analyzer: analyzer.expect("token_ids tokenises"),
            },
            (FittedState::Resource, Representation::Lexicon | Representation::Embeddings) => {
                return fit_with(&config, resources, &[], &[]);
            }
            _ => return Err(bad("the fitted state does not match the representation")),
        };
        Ok(FittedText { config, model })
    }

    /// The resolved config it was fitted with.
    pub fn config(&self) -> &TextFeatureConfig {
        &self.config
    }

    pub fn missing_policy(&self) -> MissingLyrics {
        self.config.missing_lyrics
    }

    /// Columns of the dense output, or the sequence length of token ids.
    pub fn dim(&self) -> usize {
        match &self.model {
            Model::Tfidf { model, .. } => model.n_features(),
            Model::Lexicon { lexicon, .. } => lexicon.n_features(),
            Model::Embeddings { table } => table.dim(),
            Model::TokenIds { max_len, .. } => *max_len,
        }
    }

    /// Column names of the dense output (empty for token ids).
    pub fn feature_names(&self) -> Vec<String> {
        match &self.model {
            Model::Tfidf { model, .. } => model.vocabulary().to_vec(),
            Model::Lexicon { lexicon, .. } => lexicon.feature_names(),
            Model::Embeddings { table } => (0..table.dim()).map(|k| format!("emb_{k}")).collect(),
            Model::TokenIds { .. } => Vec::new(),
        }
    }

    /// The fitted TF-IDF model (tfidf only).
    pub fn tfidf(&self) -> Option<&TfidfModel> {
        match &self.model {
            Model::Tfidf { model, .. } => Some(model),
            _ => None,
        }
    }

    /// The fitted token vocabulary (token_ids only).
    pub fn vocabulary(&self) -> Option<&TokenVocabulary> {
        match &self.model {
            Model::TokenIds { vocab, .. } => Some(vocab),
            _ => None,
        }
    }

    /// Features of `docs` (any fold), row `i` for `docs[i]` / `ids[i]`.
    pub fn transform(
        &self,
        docs: &[Option<&str>],
        ids: &[&str],
    ) -> Result<TextFeatures, TextError> {
        check_lengths(docs, ids)?;
        let n = docs.len();
        let mut mask = vec![false; n];
        let mut stats = TextStats {
            n_docs: n,
            ..Default::default()
        };
        let matrix = match &self.model {
            Model::Tfidf { analyzer, model } => {
                let dim = model.n_features();
                let mut values = vec![0.0f32; n * dim];
                for (i, doc) in docs.iter().enumerate() {
                    if let Some(a) = doc.and_then(|d| analyzer.analyze(d)) {
                        mask[i] = true;
                        let terms = analyzer.terms(&a.words);
                        let known =
                            model.transform_into(&terms, &mut values[i * dim..(i + 1) * dim]);
                        stats.n_without_features += usize::from(known == 0);
                    }
                }
                FeatureMatrix::Dense {
                    dim,
                    values,
                    names: model.vocabulary().to_vec(),
                }
            }
            Model::Lexicon { analyzer, lexicon } => {
                let dim = lexicon.n_features();
                let mut values = vec![0.0f32; n * dim];
                let mut cov = LexiconCoverage::default();
                for (i, doc) in docs.iter().enumerate() {
                    if let Some(a) = doc.and_then(|d| analyzer.analyze(d)) {
                        mask[i] = true;
                        let c =
                            lexicon.features_into(&a.words, &mut values[i * dim..(i + 1) * dim]);
                        stats.n_without_features += c.n_docs_without_match;
                        cov.add(c);
                    }
                }
                stats.lexicon = Some(cov);
                FeatureMatrix::Dense {
                    dim,
                    values,
                    names: lexicon.feature_names(),
                }
            }
            Model::Embeddings { table } => {
                let dim = table.dim();
                let mut values = vec![0.0f32; n * dim];
                for (i, id) in ids.iter().enumerate() {
                    if let Some(v) = table.get(id) {
                        mask[i] = true;
                        values[i * dim..(i + 1) * dim].copy_from_slice(v);
                    }
                }
                FeatureMatrix::Dense {
                    dim,
                    values,
                    names: self.feature_names(),
                }
            }
            Model::TokenIds {
                analyzer,
                vocab,
                max_len,
            } => {
                let mut out = vec![0u32; n * max_len];
                let mut lengths = vec![0usize; n];
                let (mut unknown, mut truncated) = (0, 0);
                for (i, doc) in docs.iter().enumerate() {
                    if let Some(a) = doc.and_then(|d| analyzer.analyze(d)) {
                        mask[i] = true;
                        let e = vocab.encode(&a.words, *max_len);
                        out[i * max_len..(i + 1) * max_len].copy_from_slice(&e.ids);
                        lengths[i] = e.length;
                        unknown += e.n_unknown;
                        truncated += usize::from(e.truncated);
                        stats.n_without_features += usize::from(e.n_unknown == e.length);
                    }
                }
                stats.n_unknown_tokens = Some(unknown);
                stats.n_truncated = Some(truncated);
                FeatureMatrix::TokenIds {
                    max_len: *max_len,
                    ids: out,
                    lengths,
                }
            }
        };
        for (i, m) in mask.iter().enumerate() {
            if !m {
                stats.n_missing += 1;
                stats.missing_ids.push(ids[i].to_owned());
            }
        }
        Ok(TextFeatures {
            mask,
            matrix,
            stats,
        })
    }
}
