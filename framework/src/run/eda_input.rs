//! `mer eda SPEC`: the inputs of the EDA report ([`mer_report::eda`]),
//! built from a spec's dataset with the spec's own feature settings.
//!
//! Labels are fitted on every track (EDA looks at the whole dataset; no
//! model is trained here). Audio is the spec's track-level set
//! (`[features.audio] set`, seed37 by default), read through the feature
//! cache; lyrics are TF-IDF vectors (the spec's `[features.text.tfidf]`
//! settings, or the defaults when the spec uses another representation)
//! fitted on every track with lyrics.

use std::path::PathBuf;

use mer_audio::{self as audio, FeatureSet};
use mer_data::labels::{self, FittedLabels, LabelScheme};
use mer_data::{self as data, Dataset, LoadContext};
use mer_report::eda::{EdaInput, ModalityFeatures, VaInput};
use mer_report::plot::Regions;
use mer_spec::Spec;
use mer_text::{self as text, KeywordMethod, Representation, TextFeatureConfig};

use super::RunError;
use super::progress::Progress;

/// Keywords computed per class (the report shows the top ones).
const KEYWORDS: usize = 20;

/// Options of [`eda_input`].
#[derive(Debug, Clone)]
pub struct EdaOptions {
    /// Label scheme; defaults to the spec's first classification scheme.
    pub labels: Option<LabelScheme>,
    /// Feature cache (audio) and generated datasets.
    pub cache_dir: PathBuf,
    pub progress: bool,
    /// Add t-SNE projections to the PCA ones.
    pub tsne: bool,
}

/// Why EDA cannot be computed for a spec.
#[derive(Debug, thiserror::Error)]
pub enum EdaError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(
        "EDA colours tracks by class, and the spec sweeps only regression targets ({0}); \
         pass --labels (e.g. --labels quadrants)"
    )]
    NoClasses(String),
    #[error("--labels {0}: EDA needs a classification scheme, `{0}` is a continuous target")]
    RegressionScheme(String),
    #[error("labels `{scheme}`: {source}")]
    Labels {
        scheme: String,
        #[source]
        source: labels::LabelError,
    },
    #[error("lyrics: {0}")]
    Text(#[from] text::TextError),
}

/// The scheme EDA colours by: the one asked for, or the spec's first
/// classification scheme.
fn scheme(spec: &Spec, asked: Option<LabelScheme>) -> Result<LabelScheme, EdaError> {
    if let Some(s) = asked {
        if s.is_regression() {
            return Err(EdaError::RegressionScheme(s.to_string()));
        }
        return Ok(s);
    }
    spec.sweep
        .labels
        .iter()
        .find(|s| !s.is_regression())
        .copied()
        .ok_or_else(|| {
            EdaError::NoClasses(
                spec.sweep
                    .labels
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}

/// Loads the spec's dataset and computes everything EDA shows.
pub fn eda_input(spec: &Spec, opts: &EdaOptions) -> Result<EdaInput, EdaError> {
    let progress = Progress::new(opts.progress);
    let scheme = scheme(spec, opts.labels)?;
    let mut cfg = spec.settings.dataset.clone();
    cfg.resolve_paths(&std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")));
    let ctx = LoadContext {
        cache_dir: opts.cache_dir.clone(),
    };
    progress.log(&format!("loading dataset {}", cfg.kind_name()));
    let ds = data::load(&cfg, &ctx).map_err(RunError::from)?;
    let provides = cfg.provides();

    let all: Vec<&data::Track> = ds.tracks.iter().collect();
    let fitted = labels::fit(&scheme, &all, 0).map_err(|source| EdaError::Labels {
        scheme: scheme.to_string(),
        source,
    })?;
    let labels: Vec<Option<usize>> = ds.tracks.iter().map(|t| fitted.class_of(t)).collect();
    let classes = fitted.classes().to_vec();

    let mut features = Vec::new();
    if provides.audio && ds.tracks.iter().any(|t| t.audio.is_some()) {
        features.push(audio_matrix(spec, &ds, &opts.cache_dir, &progress)?);
    }
    let mut keywords = Vec::new();
    if provides.lyrics && ds.tracks.iter().any(|t| t.lyrics.is_some()) {
        features.push(text_matrix(spec, &ds)?);
        keywords = class_keywords(&ds, &labels, &classes)?;
    }
    let va = va_input(&ds, &fitted, &scheme);
    let notes = oracle_ceiling(&ds, &labels, &classes, &scheme)
        .into_iter()
        .collect();
    Ok(EdaInput {
        dataset: format!("{} ({} labels)", ds.name, scheme),
        classes,
        labels,
        features,
        keywords,
        keyword_method: "Words ranked by the log-odds ratio with an informative Dirichlet prior \
            (Monroe et al. 2008), one class against the rest; the score is its z-score."
            .into(),
        keyword_score: "log-odds z-score".into(),
        tsne: opts.tsne,
        notes,
        va,
    })
}

/// The spec's track-level audio features, an empty row for a track whose
/// audio is missing or could not be decoded.
fn audio_matrix(
    spec: &Spec,
    ds: &Dataset,
    cache_dir: &std::path::Path,
    progress: &Progress,
) -> Result<ModalityFeatures, EdaError> {
    let mut cfg = spec.settings.features.audio.clone();
    if !matches!(cfg.set, FeatureSet::Seed37 | FeatureSet::Extended) {
        cfg.set = FeatureSet::Seed37;
    }
    // A bad file leaves a gap in EDA rather than stopping it.
    cfg.on_bad_audio = audio::OnBadAudio::Skip;
    let columns =
        super::prepare::extract_audio(ds, std::slice::from_ref(&cfg), cache_dir, progress)?;
    let column = columns
        .into_values()
        .next()
        .expect("one feature set was asked for");
    let rows = column
        .iter()
        .map(|f| match f {
            Ok(f) if f.data.iter().all(|v| v.is_finite()) => {
                f.data.iter().map(|&v| f64::from(v)).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    Ok(ModalityFeatures {
        modality: "audio".into(),
        names: audio::feature_names(&cfg),
        rows,
    })
}

/// TF-IDF vectors of the lyrics, an empty row for a track without lyrics.
fn text_matrix(spec: &Spec, ds: &Dataset) -> Result<ModalityFeatures, EdaError> {
    let from_spec = &spec.settings.features.text;
    let cfg = TextFeatureConfig {
        representation: Representation::Tfidf,
        missing_lyrics: text::MissingLyrics::Drop,
        clean: from_spec.clean.clone(),
        tfidf: match from_spec.representation {
            Representation::Tfidf => from_spec.tfidf.clone(),
            _ => None,
        },
        ..TextFeatureConfig::default()
    };
    let docs: Vec<Option<&str>> = ds.tracks.iter().map(|t| t.lyrics.as_deref()).collect();
    let ids: Vec<&str> = ds.tracks.iter().map(|t| t.id.as_str()).collect();
    let fitted = text::fit(&cfg, &docs, &ids)?;
    let tf = fitted.transform(&docs, &ids)?;
    let rows = (0..tf.n_rows())
        .map(|i| match (tf.mask[i], tf.dense_row(i)) {
            (true, Some(r)) => r.iter().map(|&v| f64::from(v)).collect(),
            _ => Vec::new(),
        })
        .collect();
    Ok(ModalityFeatures {
        modality: "lyrics".into(),
        names: tf.names().to_vec(),
        rows,
    })
}

/// The most discriminative words of each class (log-odds with an
/// informative Dirichlet prior), over the labelled tracks with lyrics.
fn class_keywords(
    ds: &Dataset,
    labels: &[Option<usize>],
    classes: &[String],
) -> Result<Vec<Vec<(String, f64)>>, EdaError> {
    let (docs, y): (Vec<Option<&str>>, Vec<usize>) = ds
        .tracks
        .iter()
        .zip(labels)
        .filter_map(|(t, l)| l.map(|l| (t.lyrics.as_deref(), l)))
        .unzip();
    let per_class = text::keywords(&docs, &y, classes, KEYWORDS, KeywordMethod::LogOdds)?;
    Ok(per_class
        .into_iter()
        .map(|c| c.keywords.into_iter().map(|k| (k.term, k.score)).collect())
        .collect())
}

/// The valence-arousal plane with the scheme's regions, when the dataset
/// has valence and arousal.
fn va_input(ds: &Dataset, fitted: &FittedLabels, scheme: &LabelScheme) -> Option<VaInput> {
    let points: Vec<(f64, f64)> = ds
        .tracks
        .iter()
        .map(|t| match (t.valence, t.arousal) {
            (Some(v), Some(a)) => (v, a),
            _ => (f64::NAN, f64::NAN),
        })
        .collect();
    if !points.iter().any(|p| p.0.is_finite()) {
        return None;
    }
    let range = Some((-1.0, 1.0));
    let (regions, name) = match scheme {
        LabelScheme::Quadrants => (
            Regions::equal_grid(2, (-1.0, 1.0), (-1.0, 1.0)),
            "Russell quadrants (2 × 2 grid)".to_string(),
        ),
        LabelScheme::Grid(n) => {
            let s = (*n as f64).sqrt().round() as usize;
            (
                Regions::equal_grid(s, (-1.0, 1.0), (-1.0, 1.0)),
                format!("{s} × {s} grid"),
            )
        }
        LabelScheme::KMeans(k) => (
            Regions::Centroids(fitted.centres().iter().map(|c| (c[0], c[1])).collect()),
            format!("k-means regions (k = {k})"),
        ),
        other => (Regions::None, other.to_string()),
    };
    Some(VaInput {
        points,
        regions,
        valence_range: range,
        arousal_range: range,
        scheme: name,
    })
}

/// Synthetic data know each track's latent quadrant (its `oracle`); the
/// share of labelled tracks whose annotated quadrant agrees with it is the
/// accuracy a perfect model of the latent emotion would score against the
/// noisy annotations: the ceiling of quadrant classification.
fn oracle_ceiling(
    ds: &Dataset,
    labels: &[Option<usize>],
    classes: &[String],
    scheme: &LabelScheme,
) -> Option<String> {
    if *scheme != LabelScheme::Quadrants {
        return None;
    }
    let (mut n, mut agree) = (0usize, 0usize);
    for (t, l) in ds.tracks.iter().zip(labels) {
        if let (Some(o), Some(l)) = (t.oracle.as_deref(), l) {
            n += 1;
            agree += usize::from(classes.get(*l).map(String::as_str) == Some(o));
        }
    }
    (n > 0).then(|| {
        format!(
            "Oracle ceiling: the annotated quadrant agrees with the generator's latent quadrant for {:.1} % of {n} tracks; \
             that is the accuracy a perfect model of the latent emotion would score against these noisy labels.",
            100.0 * agree as f64 / n as f64
        )
    })
}
