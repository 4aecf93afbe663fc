//! Datasets: the in-memory `Track`/`Dataset`, one importer per real dataset's
//! own on-disk layout, the synthetic benchmark generator, label schemes
//! ([`labels`]) and splits.
//!
//! Owns: reading annotations, audio paths and lyrics into tracks on one common
//! valence/arousal scale, fingerprinting what was read, deciding folds, and
//! turning annotations into targets (fitted on a training fold). Leaves
//! feature extraction to `mer-audio` / `mer-text`.
//!
//! # The common scale
//! Valence and arousal are mapped onto `[-1, 1]` by every importer (0 is the
//! neutral centre, so a quadrant is the pair of signs). Each importer documents
//! its mapping at the top of its file and keeps the value as read in
//! `Track::original`; [`DatasetConfig::scale_description`] says it in words.
//!
//! # Problems while importing
//! Every importer takes `on_error = "fail" | "skip"` (default `fail`). With
//! `fail` the first malformed row, missing referenced file or duplicate id is
//! an error naming the file, the row and the rule. With `skip` the row is left
//! out (or, for a missing audio/lyrics file, the track is kept without that
//! modality) and the problem is recorded in [`Dataset::report`]: nothing is
//! ever dropped silently.

pub mod config;
pub(crate) mod csvutil;
pub mod files;
pub mod fingerprint;
pub mod importers;
pub mod labels;
pub mod splits;
pub mod summary;
pub mod synthetic;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use config::{
    DatasetConfig, DeamConfig, DeezerConfig, EmotifyConfig, FourQConfig, GtzanConfig,
    ManifestConfig, MergeConfig, MergeSubset, MtgJamendoConfig, OnError, PmemoConfig, Provides,
};
pub use summary::DataSummary;
pub use synthetic::SyntheticConfig;

/// Russell quadrant class names, in class order: Q1 (+valence, +arousal),
/// Q2 (-, +), Q3 (-, -), Q4 (+, -). Data-level, so that the synthetic
/// generator and the label schemes both read it from here.
pub const QUADRANT_NAMES: [&str; 4] = ["Q1_happy", "Q2_angry", "Q3_sad", "Q4_calm"];

/// One track as read from a dataset: where its audio is, its lyrics, and its
/// annotations on the common scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// The dataset's own id, unique within the dataset.
    pub id: String,
    /// Absolute path of the audio file, if the dataset has audio for it.
    pub audio: Option<PathBuf>,
    /// Raw lyrics text (cleaning is `text`'s job; PMEmo's LRC timestamps and
    /// tags are already stripped by its importer).
    pub lyrics: Option<String>,
    /// Valence on the common scale `[-1, 1]`.
    pub valence: Option<f64>,
    /// Arousal on the common scale `[-1, 1]`.
    pub arousal: Option<f64>,
    /// The dataset's categorical emotion label (e.g. EMOTIFY's majority
    /// emotion, 4Q/MERGE's quadrant `Q1`..`Q4`).
    pub category: Option<String>,
    /// Genre, where the dataset has one.
    pub genre: Option<String>,
    /// Artist id or name, where the dataset has one (grouped splits use it).
    pub artist: Option<String>,
    /// The dataset's own fixed split (`train`, `validation`, `test`).
    pub split: Option<String>,
    /// Dataset tags, e.g. binary mood tags (`happy`, `sad`, `relaxing`,
    /// `energetic`), sorted and deduplicated.
    pub tags: Vec<String>,
    /// The label a track has by construction (synthetic data only).
    pub oracle: Option<String>,
    /// The original values as read, keyed by column name.
    pub original: BTreeMap<String, String>,
}

impl Track {
    /// A track with only an id; importers fill in the rest.
    pub fn new(id: impl Into<String>) -> Track {
        Track {
            id: id.into(),
            audio: None,
            lyrics: None,
            valence: None,
            arousal: None,
            category: None,
            genre: None,
            artist: None,
            split: None,
            tags: Vec::new(),
            oracle: None,
            original: BTreeMap::new(),
        }
    }
}

/// A dataset as loaded: its tracks sorted by id, a fingerprint of the content
/// that was read, and every problem met while reading it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The dataset kind (`synthetic`, `deam`, ...).
    pub name: String,
    /// The directory (or manifest file) it was read from.
    pub root: PathBuf,
    /// Tracks sorted by id.
    pub tracks: Vec<Track>,
    /// blake3 hex over the content read (see [`fingerprint`]).
    pub fingerprint: String,
    /// Skipped rows, missing files and duplicates, with file and row.
    pub report: ImportReport,
}

/// Where a dataset may keep derived files (synthetic audio, hash cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadContext {
    /// Cache directory; created on demand.
    pub cache_dir: PathBuf,
}

/// Problems met while importing, in the order they were met.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// One entry per problem.
    pub problems: Vec<Problem>,
}

impl ImportReport {
    /// Number of problems of one kind.
    pub fn count(&self, kind: ProblemKind) -> usize {
        self.problems.iter().filter(|p| p.kind == kind).count()
    }

    /// True when nothing went wrong.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What went wrong with one row or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A malformed row that was left out.
    SkippedRow,
    /// A second row with an id already seen; the first one was kept.
    DuplicateId,
    /// An audio file the annotations point to does not exist; the track was
    /// kept without audio.
    MissingAudio,
    /// A lyrics file the annotations point to does not exist; the track was
    /// kept without lyrics.
    MissingLyrics,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProblemKind::SkippedRow => "skipped row",
            ProblemKind::DuplicateId => "duplicate id",
            ProblemKind::MissingAudio => "missing audio",
            ProblemKind::MissingLyrics => "missing lyrics",
        })
    }
}

/// One problem: which file, which row (1-based line number), which track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The annotation file (or directory) the problem was found in.
    pub file: PathBuf,
    /// 1-based line number in `file`, where there is one.
    pub row: Option<u64>,
    /// The track id, where known.
    pub id: Option<String>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The rule broken, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(row) = self.row {
            write!(f, ":{row}")?;
        }
        write!(f, ": {}", self.kind)?;
        if let Some(id) = &self.id {
            write!(f, " (track `{id}`)")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Errors while reading, generating or checking a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file or directory could not be read or written.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What was being done (`cannot read`, `cannot create`, ...).
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A CSV/TSV file could not be parsed.
    #[error("{}: invalid CSV: {source}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: csv::Error,
    },
    /// A JSON file could not be parsed.
    #[error("{}: invalid JSON: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A WAV file could not be written or its header read.
    #[error("{}: WAV: {source}", path.display())]
    Wav {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: hound::Error,
    },
    /// A required column is absent.
    #[error("{}: missing required column `{column}` (columns found: {found})", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column looked for.
        column: String,
        /// The columns present, comma-separated.
        found: String,
    },
    /// A row breaks a rule (under `on_error = "fail"`).
    #[error("{}:{row}: {message}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        row: u64,
        /// The rule broken.
        message: String,
    },
    /// A file the layout requires is absent or unusable.
    #[error("{}: {message}", path.display())]
    Layout {
        /// The path that was expected.
        path: PathBuf,
        /// The rule broken.
        message: String,
    },
    /// A lyrics (or other text) file that is not valid text.
    #[error(transparent)]
    Text(#[from] mer_text::TextError),
    /// A quote opens a field and is never closed: the `csv` crate would read
    /// every following row into that field.
    #[error(
        "{}:{line}: a quote opens a field here and is never closed; it would swallow every row after it",
        path.display()
    )]
    UnclosedQuote { path: PathBuf, line: usize },
    /// A `[dataset]` value breaks a rule (its key is named from the spec's
    /// root: `dataset.tracks`).
    #[error("dataset config: {0}")]
    Config(mer_core::ConfigError),
    /// A second row with an id already seen (under `on_error = "fail"`).
    #[error(
        "{}:{row}: duplicate track id `{id}` (first seen at {}:{first_row}); ids must be unique",
        path.display(), first_path.display()
    )]
    DuplicateId {
        /// The file of the second occurrence.
        path: PathBuf,
        /// Its line.
        row: u64,
        /// The id.
        id: String,
        /// The file of the first occurrence.
        first_path: PathBuf,
        /// Its line.
        first_row: u64,
    },
    /// Nothing was read.
    #[error("{}: dataset has no tracks{hint}", path.display())]
    Empty {
        /// Where it was read from.
        path: PathBuf,
        /// A hint about why (may be empty).
        hint: String,
    },
}

impl DataError {
    pub(crate) fn io(path: &Path, action: &'static str, source: std::io::Error) -> DataError {
        DataError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}

/// A [`DatasetConfig`] error (keys named from `[dataset]`) as a data error
/// (keys named from the spec's root).
impl From<mer_core::ConfigError> for DataError {
    fn from(e: mer_core::ConfigError) -> DataError {
        DataError::Config(e.within("dataset"))
    }
}

/// Loads the dataset a config describes: generates the synthetic one into
/// the cache if it is missing, runs the importer, sorts tracks by id and
/// fingerprints the content.
pub fn load(cfg: &DatasetConfig, ctx: &LoadContext) -> Result<Dataset, DataError> {
    cfg.validate()?;
    let (root, tracks, report) = importers::import(cfg, ctx)?;
    let mut tracks = tracks;
    tracks.sort_by(|a, b| a.id.cmp(&b.id));
    if tracks.is_empty() {
        return Err(DataError::Empty {
            // A manifest is its CSV file, not the folder holding it.
            path: match cfg {
                DatasetConfig::Manifest(m) => m.path.clone(),
                _ => root,
            },
            hint: if report.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} problems, first: {})",
                    report.problems.len(),
                    report.problems[0]
                )
            },
        });
    }
    let name = cfg.kind_name().to_string();
    let fingerprint = fingerprint::fingerprint(&name, &tracks, &ctx.cache_dir)?;
    Ok(Dataset {
        name,
        root,
        tracks,
        fingerprint,
        report,
    })
}

/// Loads the dataset and summarises it for `mer data check SPEC`.
pub fn check(cfg: &DatasetConfig, ctx: &LoadContext) -> Result<DataSummary, DataError> {
    let dataset = load(cfg, ctx)?;
    Ok(DataSummary::of(&dataset, cfg))
}
