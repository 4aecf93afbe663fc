//! The `[dataset]` section of a spec: which dataset, where it lives, and what
//! to do with bad rows. One variant per importer; `kind` selects it.
//!
//! ```toml
//! [dataset]
//! kind = "deam"            # or "synthetic", "manifest", "pmemo", "four_q" (alias "4q"),
//! root = "~/data/DEAM"     # "merge", "emotify", "mtg_jamendo", "gtzan", "deezer"
//! on_error = "skip"        # defaults to "fail"
//! ```
//!
//! Relative paths are resolved by [`DatasetConfig::resolve_paths`] against the
//! directory the caller passes (the current directory for the CLI); a leading
//! `~` is the home directory. Sub-paths inside an importer's config (e.g.
//! DEAM's `audio_dir`) are relative to that config's `root`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::synthetic::SyntheticConfig;
use mer_core::ConfigError;

/// What to do with a malformed row, a missing referenced file or a duplicate
/// id. Defaults to `fail`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Stop at the first problem with an error naming file, row and rule.
    #[default]
    Fail,
    /// Leave the row out (or keep the track without the missing modality)
    /// and record the problem in the dataset's report.
    Skip,
}

/// Which dataset to load. The TOML key `kind` selects the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DatasetConfig {
    /// The generated benchmark (see [`crate::synthetic`]).
    Synthetic(SyntheticConfig),
    /// A generic manifest CSV (see [`crate::importers::manifest`]).
    Manifest(ManifestConfig),
    /// DEAM (MediaEval 2013-2015).
    Deam(DeamConfig),
    /// PMEmo 2019.
    Pmemo(PmemoConfig),
    /// Panda et al.'s 4Q audio emotion dataset (TAFFC 2018).
    #[serde(alias = "4q")]
    FourQ(FourQConfig),
    /// MERGE (audio, lyrics or bimodal subset).
    Merge(MergeConfig),
    /// EMOTIFY (GEMS-9 votes).
    Emotify(EmotifyConfig),
    /// MTG-Jamendo mood/theme subset.
    MtgJamendo(MtgJamendoConfig),
    /// GTZAN genre collection.
    Gtzan(GtzanConfig),
    /// Deezer mood detection dataset joined with musiXmatch bags of words.
    Deezer(DeezerConfig),
}

impl DatasetConfig {
    /// The values of `kind`, one per variant (`4q` is also accepted for
    /// `four_q`).
    pub const KINDS: [&'static str; 10] = [
        "synthetic",
        "manifest",
        "deam",
        "pmemo",
        "four_q",
        "merge",
        "emotify",
        "mtg_jamendo",
        "gtzan",
        "deezer",
    ];

    /// Reads a `[dataset]` table as the derived `Deserialize` does, but
    /// names the exact key of a problem (`root`, `tracks`): serde reads an
    /// internally tagged enum through a buffer and loses the path inside it,
    /// so the variant's own table is read here, by its own type, once `kind`
    /// has chosen it. Keys are named from `[dataset]`.
    pub fn from_table(table: &toml::Table) -> Result<DatasetConfig, ConfigError> {
        fn read<T: serde::de::DeserializeOwned>(rest: toml::Table) -> Result<T, ConfigError> {
            mer_core::config::from_toml(toml::Value::Table(rest))
        }
        let kind = match table.get("kind") {
            Some(toml::Value::String(k)) => k.as_str(),
            Some(other) => {
                return Err(ConfigError::found(
                    "kind",
                    other,
                    "must be a string naming the dataset",
                ));
            }
            None => {
                return Err(ConfigError::new(
                    "kind",
                    format!(
                        "missing: name the dataset, one of: {}",
                        Self::KINDS.join(", ")
                    ),
                ));
            }
        };
        let mut rest = table.clone();
        rest.remove("kind");
        Ok(match kind {
            "synthetic" => DatasetConfig::Synthetic(read(rest)?),
            "manifest" => DatasetConfig::Manifest(read(rest)?),
            "deam" => DatasetConfig::Deam(read(rest)?),
            "pmemo" => DatasetConfig::Pmemo(read(rest)?),
            "four_q" | "4q" => DatasetConfig::FourQ(read(rest)?),
            "merge" => DatasetConfig::Merge(read(rest)?),
            "emotify" => DatasetConfig::Emotify(read(rest)?),
            "mtg_jamendo" => DatasetConfig::MtgJamendo(read(rest)?),
            "gtzan" => DatasetConfig::Gtzan(read(rest)?),
            "deezer" => DatasetConfig::Deezer(read(rest)?),
            other => {
                return Err(ConfigError::new(
                    "kind",
                    format!(
                        "unknown value \"{other}\", expected one of: {}",
                        Self::KINDS.join(", ")
                    ),
                ));
            }
        })
    }
}

/// What a dataset can provide, known from its configuration alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provides {
    pub audio: bool,
    pub lyrics: bool,
    pub valence_arousal: bool,
    pub categories: bool,
    pub genres: bool,
    /// Mood tags (binary tasks can read them instead of V/A regions).
    pub tags: bool,
}

impl Provides {
    /// Everything (a generated or generic dataset).
    const ALL: Provides = Provides {
        audio: true,
        lyrics: true,
        valence_arousal: true,
        categories: true,
        genres: true,
        tags: true,
    };
    /// What a manifest with these (lower-case) header columns can hold; see
    /// the importer's column table.
    pub fn of_manifest(columns: &[String]) -> Provides {
        let has = |name: &str| columns.iter().any(|c| c == name);
        Provides {
            audio: has("audio"),
            lyrics: has("lyrics") || has("lyrics_text"),
            valence_arousal: has("valence") && has("arousal"),
            categories: has("category") || has("label"),
            genres: has("genre"),
            tags: has("tags"),
        }
    }

    /// Nothing; each dataset names what it adds.
    const NONE: Provides = Provides {
        audio: false,
        lyrics: false,
        valence_arousal: false,
        categories: false,
        genres: false,
        tags: false,
    };
}

impl DatasetConfig {
    /// What this dataset provides, known before any track is read so a spec
    /// is checked up front: from the configuration for the importers of
    /// published datasets, from the header row for a generic manifest (a
    /// manifest that cannot be read yet is taken to provide everything; its
    /// load then names what is wrong).
    pub fn provides(&self) -> Provides {
        let none = Provides::NONE;
        match self {
            DatasetConfig::Synthetic(_) => Provides::ALL,
            DatasetConfig::Manifest(m) => m
                .columns()
                .map_or(Provides::ALL, |cols| Provides::of_manifest(&cols)),
            DatasetConfig::Deam(_) => Provides {
                audio: true,
                valence_arousal: true,
                genres: true,
                ..none
            },
            DatasetConfig::Pmemo(_) => Provides {
                audio: true,
                lyrics: true,
                valence_arousal: true,
                ..none
            },
            // 4Q: the quadrant folder is the category.
            DatasetConfig::FourQ(_) => Provides {
                audio: true,
                categories: true,
                ..none
            },
            DatasetConfig::Merge(c) => Provides {
                audio: c.subset != MergeSubset::Lyrics,
                lyrics: c.subset != MergeSubset::Audio,
                valence_arousal: true,
                categories: true,
                ..none
            },
            DatasetConfig::Emotify(_) => Provides {
                audio: true,
                categories: true,
                genres: true,
                ..none
            },
            DatasetConfig::MtgJamendo(_) => Provides {
                audio: true,
                tags: true,
                ..none
            },
            DatasetConfig::Gtzan(c) => Provides {
                audio: true,
                lyrics: c.lyrics.is_some(),
                genres: true,
                ..none
            },
            DatasetConfig::Deezer(c) => Provides {
                audio: c.audio_dir.is_some(),
                lyrics: !c.musixmatch.is_empty(),
                valence_arousal: true,
                ..none
            },
        }
    }
}

impl Default for DatasetConfig {
    fn default() -> Self {
        DatasetConfig::Synthetic(SyntheticConfig::default())
    }
}

/// A generic manifest: one row per track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManifestConfig {
    /// The manifest CSV. Required.
    pub path: PathBuf,
    /// Field delimiter, one ASCII character; defaults to `","` (`"\t"` for TSV).
    pub delimiter: String,
    /// The scale valence and arousal are written on, mapped linearly onto
    /// `[-1, 1]`; defaults to `[-1.0, 1.0]` (no change).
    pub va_range: [f64; 2],
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

impl ManifestConfig {
    /// The header row's column names, trimmed and lower-cased; `None` when
    /// the file cannot be read or has no header (loading it reports why).
    pub fn columns(&self) -> Option<Vec<String>> {
        let bytes = std::fs::read(&self.path).ok()?;
        let text = mer_text::decode_lyrics_bytes(&self.path, &bytes).ok()?;
        let delimiter = self.delimiter.as_bytes().first().copied().unwrap_or(b',');
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let header = reader.records().next()?.ok()?;
        Some(
            header
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
        )
    }

    /// How a missing capability shows in this manifest, for messages.
    pub fn columns_note(&self) -> Option<String> {
        self.columns().map(|cols| {
            format!(
                "{} has the columns {}",
                self.path.display(),
                cols.iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

impl Default for ManifestConfig {
    fn default() -> Self {
        ManifestConfig {
            path: PathBuf::new(),
            delimiter: ",".into(),
            va_range: [-1.0, 1.0],
            on_error: OnError::Fail,
        }
    }
}

/// DEAM: static per-song averages on 1..9 and `MEMD_audio/<id>.mp3`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeamConfig {
    /// The directory the DEAM archives were extracted into. Required.
    pub root: PathBuf,
    /// Directory holding `static_annotations_averaged_songs_*.csv`; defaults
    /// to `DEAM_Annotations/annotations/annotations averaged per song/song_level`.
    pub annotations_dir: Option<PathBuf>,
    /// Directory holding `<song_id>.mp3`; defaults to `DEAM_audio/MEMD_audio`.
    pub audio_dir: Option<PathBuf>,
    /// Directory holding `metadata_2013.csv` .. `metadata_2015.csv` (artist,
    /// genre); defaults to `metadata`, skipped when absent.
    pub metadata_dir: Option<PathBuf>,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

/// PMEmo 2019: `annotations/static_annotations.csv` on 0..1, `chorus/<id>.mp3`,
/// `lyrics/<id>.lrc`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PmemoConfig {
    /// The `PMEmo2019` directory. Required.
    pub root: PathBuf,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

/// 4Q audio emotion dataset: `Q1`..`Q4` folders of mp3 and a metadata CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FourQConfig {
    /// The `MER_audio_taffc_dataset` directory. Required.
    pub root: PathBuf,
    /// Metadata file, relative to `root`; defaults to
    /// `panda_dataset_taffc_metadata.csv`.
    pub metadata: PathBuf,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

impl Default for FourQConfig {
    fn default() -> Self {
        FourQConfig {
            root: PathBuf::new(),
            metadata: PathBuf::from("panda_dataset_taffc_metadata.csv"),
            on_error: OnError::Fail,
        }
    }
}

/// Which MERGE subset a root holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeSubset {
    /// `MERGE_Audio_*`: `Q1..Q4/<Song>.mp3`.
    Audio,
    /// `MERGE_Lyrics_*`: `Q1..Q4/<Song>.txt`.
    Lyrics,
    /// `MERGE_Bimodal_*`: `audio/Q*/<Audio_Song>.mp3` + `lyrics/Q*/<Lyric_Song>.txt`.
    #[default]
    Bimodal,
}

/// MERGE: one subset directory (`MERGE_{Audio,Lyrics,Bimodal}_{Complete,Balanced}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MergeConfig {
    /// The subset directory. Required.
    pub root: PathBuf,
    /// Defaults to `"bimodal"`.
    pub subset: MergeSubset,
    /// Which `tvt_dataframes/tvt_<split>` profile gives the fixed split;
    /// defaults to `"70_15_15"` (the other shipped one is `"40_30_30"`).
    pub split: String,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

impl Default for MergeConfig {
    fn default() -> Self {
        MergeConfig {
            root: PathBuf::new(),
            subset: MergeSubset::Bimodal,
            split: "70_15_15".into(),
            on_error: OnError::Fail,
        }
    }
}

/// EMOTIFY: `data.csv` of per-participant GEMS-9 votes, `<genre>/<n>.mp3`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmotifyConfig {
    /// The directory holding `data.csv`. Required.
    pub root: PathBuf,
    /// The votes file, relative to `root`; defaults to `data.csv`.
    pub annotations: PathBuf,
    /// The directory holding the genre folders, relative to `root`; defaults
    /// to `emotifymusic`.
    pub audio_dir: PathBuf,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

impl Default for EmotifyConfig {
    fn default() -> Self {
        EmotifyConfig {
            root: PathBuf::new(),
            annotations: PathBuf::from("data.csv"),
            audio_dir: PathBuf::from("emotifymusic"),
            on_error: OnError::Fail,
        }
    }
}

/// MTG-Jamendo mood/theme: the repository's `data/` TSVs and an audio tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MtgJamendoConfig {
    /// The `mtg-jamendo-dataset` repository checkout. Required.
    pub root: PathBuf,
    /// The audio tree holding `<NN>/<id>.mp3`, relative to `root`; defaults
    /// to `audio`.
    pub audio_dir: PathBuf,
    /// Which of the official `data/splits/split-<n>` to use; defaults to `0`.
    pub split: u32,
    /// Use the low-quality `<id>.low.mp3` files; defaults to `false`.
    pub low_quality: bool,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

impl Default for MtgJamendoConfig {
    fn default() -> Self {
        MtgJamendoConfig {
            root: PathBuf::new(),
            audio_dir: PathBuf::from("audio"),
            split: 0,
            low_quality: false,
            on_error: OnError::Fail,
        }
    }
}

/// GTZAN: `<genre>/<genre>.<nnnnn>.{wav,au}`, optional lyrics JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GtzanConfig {
    /// The directory holding the ten genre folders (`genres_original` in the
    /// Kaggle copy, `genres` in the original archive). Required.
    pub root: PathBuf,
    /// A JSON file of lyrics keyed by track id (`"blues.00000"`), resolved
    /// like `root` (not relative to it); absent by default.
    pub lyrics: Option<PathBuf>,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

/// Deezer mood detection CSVs joined with musiXmatch bags of words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeezerConfig {
    /// The directory holding `train.csv`, `validation.csv`, `test.csv`. Required.
    pub root: PathBuf,
    /// musiXmatch files (`mxm_dataset_train.txt`, `mxm_dataset_test.txt`),
    /// relative to `root`; defaults to none (no lyrics).
    pub musixmatch: Vec<PathBuf>,
    /// A directory of `<dzr_sng_id>.mp3` previews, relative to `root`;
    /// defaults to none (no audio).
    pub audio_dir: Option<PathBuf>,
    /// Divisor mapping Deezer's standardised valence/arousal onto `[-1, 1]`
    /// (values beyond it are clamped, the original kept); defaults to `3.0`.
    pub va_scale: f64,
    /// Defaults to `"fail"`.
    pub on_error: OnError,
}

impl Default for DeezerConfig {
    fn default() -> Self {
        DeezerConfig {
            root: PathBuf::new(),
            musixmatch: Vec::new(),
            audio_dir: None,
            va_scale: 3.0,
            on_error: OnError::Fail,
        }
    }
}

/// Expands a leading `~` and makes a relative path absolute against `base`.
pub fn resolve_path(path: &Path, base: &Path) -> PathBuf {
    let expanded = match path.to_str() {
        Some("~") => home().unwrap_or_else(|| path.to_path_buf()),
        Some(s) if s.starts_with("~/") => match home() {
            Some(h) => h.join(&s[2..]),
            None => path.to_path_buf(),
        },
        _ => path.to_path_buf(),
    };
    if expanded.as_os_str().is_empty() || expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

impl DatasetConfig {
    /// The `kind` string of this config (`"four_q"` for 4Q).
    pub fn kind_name(&self) -> &'static str {
        match self {
            DatasetConfig::Synthetic(_) => "synthetic",
            DatasetConfig::Manifest(_) => "manifest",
            DatasetConfig::Deam(_) => "deam",
            DatasetConfig::Pmemo(_) => "pmemo",
            DatasetConfig::FourQ(_) => "four_q",
            DatasetConfig::Merge(_) => "merge",
            DatasetConfig::Emotify(_) => "emotify",
            DatasetConfig::MtgJamendo(_) => "mtg_jamendo",
            DatasetConfig::Gtzan(_) => "gtzan",
            DatasetConfig::Deezer(_) => "deezer",
        }
    }

    /// Makes every top-level path absolute: relative ones against `base`
    /// (the CLI passes the current directory), `~` expanded. Sub-paths that
    /// the importers resolve against `root` are left alone.
    pub fn resolve_paths(&mut self, base: &Path) {
        for p in self.paths_mut() {
            *p = resolve_path(p, base);
        }
    }

    /// Every path the config names (the others are relative to these).
    pub(crate) fn paths_mut(&mut self) -> Vec<&mut PathBuf> {
        match self {
            DatasetConfig::Synthetic(_) => vec![],
            DatasetConfig::Manifest(c) => vec![&mut c.path],
            DatasetConfig::Deam(c) => vec![&mut c.root],
            DatasetConfig::Pmemo(c) => vec![&mut c.root],
            DatasetConfig::FourQ(c) => vec![&mut c.root],
            DatasetConfig::Merge(c) => vec![&mut c.root],
            DatasetConfig::Emotify(c) => vec![&mut c.root],
            DatasetConfig::MtgJamendo(c) => vec![&mut c.root],
            DatasetConfig::Gtzan(c) => {
                let mut v = vec![&mut c.root];
                v.extend(c.lyrics.as_mut());
                v
            }
            DatasetConfig::Deezer(c) => vec![&mut c.root],
        }
    }

    /// Checks values the types cannot (required paths, ranges); keys named
    /// from `[dataset]`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let need = |p: &Path, key: &str| {
            if p.as_os_str().is_empty() {
                Err(ConfigError::new(
                    key,
                    "is required: the directory the dataset was extracted into",
                ))
            } else {
                Ok(())
            }
        };
        match self {
            DatasetConfig::Synthetic(c) => c.validate(),
            DatasetConfig::Manifest(c) => {
                if c.path.as_os_str().is_empty() {
                    return Err(ConfigError::new(
                        "path",
                        "is required: the manifest CSV file",
                    ));
                }
                if c.delimiter.len() != 1 {
                    return Err(ConfigError::new(
                        "delimiter",
                        format!("must be exactly one ASCII character, got {:?}", c.delimiter),
                    ));
                }
                let [lo, hi] = c.va_range;
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return Err(ConfigError::new(
                        "va_range",
                        format!("must be [low, high] with low < high, got [{lo}, {hi}]"),
                    ));
                }
                Ok(())
            }
            DatasetConfig::Deam(c) => need(&c.root, "root"),
            DatasetConfig::Pmemo(c) => need(&c.root, "root"),
            DatasetConfig::FourQ(c) => need(&c.root, "root"),
            DatasetConfig::Merge(c) => need(&c.root, "root"),
            DatasetConfig::Emotify(c) => need(&c.root, "root"),
            DatasetConfig::MtgJamendo(c) => need(&c.root, "root"),
            DatasetConfig::Gtzan(c) => need(&c.root, "root"),
            DatasetConfig::Deezer(c) => {
                need(&c.root, "root")?;
                if !(c.va_scale.is_finite() && c.va_scale > 0.0) {
                    return Err(ConfigError::new(
                        "va_scale",
                        format!("must be a positive, finite number, got {}", c.va_scale),
                    ));
                }
                Ok(())
            }
        }
    }

    /// How this dataset's valence/arousal reach the common `[-1, 1]` scale.
    pub fn scale_description(&self) -> String {
        match self {
            DatasetConfig::Synthetic(_) => {
                "generated on [-1, 1] (no mapping); oracle = quadrant of the latent V/A".into()
            }
            DatasetConfig::Manifest(c) => format!(
                "manifest values on [{}, {}] mapped linearly to [-1, 1]",
                c.va_range[0], c.va_range[1]
            ),
            DatasetConfig::Deam(_) => "DEAM 9-point means: (x - 5) / 4".into(),
            DatasetConfig::Pmemo(_) => "PMEmo means on [0, 1]: 2x - 1".into(),
            DatasetConfig::FourQ(_) => {
                "no V/A: the quadrant Q1..Q4 is the category (quadrant labels use it)".into()
            }
            DatasetConfig::Merge(_) => {
                "MERGE AV values on [0, 1]: 2x - 1; quadrant Q1..Q4 kept as category".into()
            }
            DatasetConfig::Emotify(_) => "no V/A: majority GEMS-9 emotion is the category".into(),
            DatasetConfig::MtgJamendo(_) => "no V/A: mood/theme tags only".into(),
            DatasetConfig::Gtzan(_) => "no V/A: genre only".into(),
            DatasetConfig::Deezer(c) => {
                format!("Deezer standardised V/A: clamp(x / {}, -1, 1)", c.va_scale)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_and_relative_paths_resolve() {
        let base = Path::new("/work/here");
        assert_eq!(
            resolve_path(Path::new("data/x.csv"), base),
            PathBuf::from("/work/here/data/x.csv")
        );
        assert_eq!(resolve_path(Path::new("/abs"), base), PathBuf::from("/abs"));
        if let Some(h) = home() {
            assert_eq!(resolve_path(Path::new("~/d"), base), h.join("d"));
        }
    }
}
