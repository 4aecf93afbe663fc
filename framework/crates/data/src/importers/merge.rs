//! MERGE (Louro, Redinho, Santos, Malheiro, Panda & Paiva, "MERGE — A
//! Bimodal Dataset for Static Music Emotion Recognition", 2024), one subset
//! directory as extracted from its archives:
//!
//! ```text
//! MERGE_Audio_{Complete,Balanced}/
//!     merge_audio_complete_metadata.csv     Song, Quadrant, AllMusic Id, Artist, Title, ..., Genres, ...
//!     merge_audio_complete_av_values.csv    Song, Arousal, Valence
//!     Q1/ .. Q4/                            <Song>.mp3
//!     tvt_dataframes/tvt_70_15_15/          tvt_70_15_15_{train,validate,test}_audio_complete.csv
//!     tvt_dataframes/tvt_40_30_30/          likewise
//! MERGE_Lyrics_{Complete,Balanced}/         the same with `lyrics` and Q*/<Song>.txt
//! MERGE_Bimodal_{Complete,Balanced}/        *_metadata.csv and *_av_values.csv keyed by
//!                                           Audio_Song (+ Lyric_Song), audio/Q*/<Audio_Song>.mp3,
//!                                           lyrics/Q*/<Lyric_Song>.txt, tvt_dataframes/ likewise
//! ```
//!
//! # Columns
//! The one `*_metadata.csv` and the one `*_av_values.csv` of the directory
//! are read. Key: `Song` (audio, lyrics) or `Audio_Song` (bimodal; `Song`
//! accepted); bimodal lyrics files are named by `Lyric_Song`. `Quadrant`
//! (`Q1`..`Q4`) is required and becomes the `category`; `Artist` and the
//! first of `Genres` are kept as artist and genre. A metadata row without an
//! AV row is a bad row. The split CSVs (files whose name contains `_train_`,
//! `_validate_` or `_test_`) of the chosen profile give the fixed split; a
//! missing `tvt_dataframes` directory means no fixed split.
//!
//! # Scale
//! `Arousal` and `Valence` are on `[0, 1]`: mapped by `2x - 1`. The quadrant
//! is kept as given (for the `quadrants` scheme V/A takes precedence; use
//! `categorical` to train on MERGE's own quadrant labels).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::super::csvutil::{self, Collector, Origin, Sink, Table};
use super::super::{DataError, MergeConfig, MergeSubset, ProblemKind, Track};
use super::{first_of_list, list_dir};

fn one_with_suffix(root: &Path, suffix: &str) -> Result<PathBuf, DataError> {
    let found: Vec<PathBuf> = list_dir(root)?
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(suffix))
        })
        .collect();
    match found.len() {
        1 => Ok(found.into_iter().next().unwrap_or_default()),
        0 => Err(DataError::Layout {
            path: root.to_path_buf(),
            message: format!("no *{suffix} file here; is this a MERGE subset directory?"),
        }),
        n => Err(DataError::Layout {
            path: root.to_path_buf(),
            message: format!("{n} *{suffix} files here; expected exactly one"),
        }),
    }
}

fn key_col(table: &Table, subset: MergeSubset) -> Result<usize, DataError> {
    match subset {
        MergeSubset::Bimodal => table.require(&["Audio_Song", "Song"]),
        _ => table.require(&["Song"]),
    }
}

pub(crate) fn import(
    cfg: &MergeConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    let meta_path = one_with_suffix(root, "_metadata.csv")?;
    let av_path = one_with_suffix(root, "_av_values.csv")?;
    let av = csvutil::read_table(&av_path, b',', sink)?;
    let av_key = key_col(&av, cfg.subset)?;
    let av_a = av.require(&["Arousal"])?;
    let av_v = av.require(&["Valence"])?;
    let av_lyric = av.col("Lyric_Song");
    let mut values: BTreeMap<String, (u64, f64, f64, Option<String>)> = BTreeMap::new();
    for row in &av.rows {
        let id = row.get(av_key).to_string();
        let parse = |col: usize, name: &str| {
            csvutil::parse_f64(row.get(col), name)
                .and_then(|x| csvutil::to_common_scale(x, 0.0, 1.0, name))
        };
        match (parse(av_v, "Valence"), parse(av_a, "Arousal")) {
            (Ok(v), Ok(a)) if !id.is_empty() => {
                values
                    .entry(id)
                    .or_insert((row.line, v, a, row.opt(av_lyric).map(str::to_string)));
            }
            (Err(m), _) | (_, Err(m)) => sink.bad_row(&av_path, row.line, Some(&id), m)?,
            _ => sink.bad_row(&av_path, row.line, None, "the key column is empty")?,
        }
    }
    let splits = read_splits(cfg, sink)?;

    let meta = csvutil::read_table(&meta_path, b',', sink)?;
    let key = key_col(&meta, cfg.subset)?;
    let quadrant = meta.require(&["Quadrant"])?;
    let lyric_col = meta.col("Lyric_Song");
    let artist = meta.col("Artist");
    let genres = meta.col("Genres");
    let mut out = Collector::new();
    for row in &meta.rows {
        let id = row.get(key).to_string();
        if id.is_empty() {
            sink.bad_row(&meta_path, row.line, None, "the key column is empty")?;
            continue;
        }
        let q = row.get(quadrant).to_ascii_uppercase();
        if !matches!(q.as_str(), "Q1" | "Q2" | "Q3" | "Q4") {
            sink.bad_row(
                &meta_path,
                row.line,
                Some(&id),
                format!(
                    "column `Quadrant`: `{}` is not one of Q1, Q2, Q3, Q4",
                    row.get(quadrant)
                ),
            )?;
            continue;
        }
        let Some((_, v, a, av_lyric_id)) = values.get(&id) else {
            sink.bad_row(
                &meta_path,
                row.line,
                Some(&id),
                format!("no row for this song in {}", av_path.display()),
            )?;
            continue;
        };
        let mut t = Track::new(id.clone());
        t.valence = Some(*v);
        t.arousal = Some(*a);
        t.artist = row.opt(artist).map(str::to_string);
        t.genre = row.opt(genres).and_then(first_of_list);
        t.split = splits.get(&id).cloned();
        t.original = meta.original(row);
        let (audio_dir, lyrics_dir) = match cfg.subset {
            MergeSubset::Audio => (Some(root.join(&q)), None),
            MergeSubset::Lyrics => (None, Some(root.join(&q))),
            MergeSubset::Bimodal => (
                Some(root.join("audio").join(&q)),
                Some(root.join("lyrics").join(&q)),
            ),
        };
        if let Some(dir) = audio_dir {
            let p = dir.join(format!("{id}.mp3"));
            if p.is_file() {
                t.audio = Some(p);
            } else {
                sink.missing_file(
                    ProblemKind::MissingAudio,
                    &meta_path,
                    Some(row.line),
                    &id,
                    &p,
                )?;
            }
        }
        if let Some(dir) = lyrics_dir {
            let lyric_id = row
                .opt(lyric_col)
                .map(str::to_string)
                .or_else(|| av_lyric_id.clone())
                .unwrap_or_else(|| id.clone());
            let p = dir.join(format!("{lyric_id}.txt"));
            if p.is_file() {
                t.lyrics = Some(csvutil::read_text(&p)?);
            } else {
                sink.missing_file(
                    ProblemKind::MissingLyrics,
                    &meta_path,
                    Some(row.line),
                    &id,
                    &p,
                )?;
            }
        }
        t.category = Some(q);
        out.push(
            sink,
            t,
            Origin {
                file: meta_path.clone(),
                line: row.line,
            },
        )?;
    }
    Ok((root.clone(), out.finish()))
}

/// Song key -> `train` / `validation` / `test` from the chosen profile.
fn read_splits(cfg: &MergeConfig, sink: &mut Sink) -> Result<BTreeMap<String, String>, DataError> {
    let dir = cfg
        .root
        .join("tvt_dataframes")
        .join(format!("tvt_{}", cfg.split));
    let mut splits = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(splits);
    }
    for file in list_dir(&dir)? {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !name.ends_with(".csv") {
            continue;
        }
        let split = if name.contains("_train_") {
            "train"
        } else if name.contains("_validate_") || name.contains("_validation_") {
            "validation"
        } else if name.contains("_test_") {
            "test"
        } else {
            continue;
        };
        let table = csvutil::read_table(&file, b',', sink)?;
        let key = key_col(&table, cfg.subset)?;
        for row in &table.rows {
            let id = row.get(key);
            if !id.is_empty() {
                splits.insert(id.to_string(), split.to_string());
            }
        }
    }
    Ok(splits)
}
