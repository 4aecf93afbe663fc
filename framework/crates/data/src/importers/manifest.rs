//! The generic manifest importer: one CSV row per track, for any dataset that
//! has no importer of its own (and for the synthetic benchmark).
//!
//! # Columns (by name, case-insensitive, whitespace trimmed)
//! | column | required | meaning |
//! |---|---|---|
//! | `id` | yes | unique track id |
//! | `audio` | no | audio file path, relative to the manifest's directory |
//! | `lyrics` | no | lyrics text file path, relative to the manifest's directory |
//! | `lyrics_text` | no | inline lyrics (used when `lyrics` is empty) |
//! | `valence`, `arousal` | no | on `va_range` (default `[-1, 1]`), mapped linearly to `[-1, 1]` |
//! | `category` (or `label`) | no | categorical emotion label |
//! | `genre`, `artist`, `split` | no | as named; `split` is `train`/`validation`/`test` |
//! | `tags` | no | `;`-separated tags |
//! | `oracle` | no | known-by-construction label |
//!
//! Every column of the row is kept in `Track::original`. An empty cell means
//! "absent". A value outside `va_range` is a bad row.

use std::path::{Path, PathBuf};

use super::super::csvutil::{self, Collector, Origin, Sink};
use super::super::{DataError, ManifestConfig, ProblemKind, Track};

/// Reads a manifest; returns its directory, the tracks and the sink's report.
pub(crate) fn import(
    cfg: &ManifestConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let path = &cfg.path;
    let delimiter = cfg.delimiter.as_bytes().first().copied().unwrap_or(b',');
    let table = csvutil::read_table(path, delimiter, sink)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let id_col = table.require(&["id"])?;
    let audio_col = table.col("audio");
    let lyrics_col = table.col("lyrics");
    let lyrics_text_col = table.col("lyrics_text");
    let v_col = table.col("valence");
    let a_col = table.col("arousal");
    let cat_col = table.col_any(&["category", "label"]);
    let genre_col = table.col("genre");
    let artist_col = table.col("artist");
    let split_col = table.col("split");
    let tags_col = table.col("tags");
    let oracle_col = table.col("oracle");
    let [lo, hi] = cfg.va_range;

    let mut out = Collector::new();
    for row in &table.rows {
        let id = row.get(id_col).to_string();
        if id.is_empty() {
            sink.bad_row(
                path,
                row.line,
                None,
                "column `id` is empty; every track needs an id",
            )?;
            continue;
        }
        let mut track = Track::new(id.clone());
        let scale = |col: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            match row.opt(col) {
                None => Ok(None),
                Some(cell) => {
                    let x = csvutil::parse_f64(cell, name)?;
                    csvutil::to_common_scale(x, lo, hi, name).map(Some)
                }
            }
        };
        match (scale(v_col, "valence"), scale(a_col, "arousal")) {
            (Ok(v), Ok(a)) => {
                track.valence = v;
                track.arousal = a;
            }
            (Err(m), _) | (_, Err(m)) => {
                sink.bad_row(path, row.line, Some(&id), m)?;
                continue;
            }
        }
        if let Some(rel) = row.opt(audio_col) {
            let p = base.join(rel);
            if p.is_file() {
                track.audio = Some(p);
            } else {
                sink.missing_file(ProblemKind::MissingAudio, path, Some(row.line), &id, &p)?;
            }
        }
        if let Some(rel) = row.opt(lyrics_col) {
            let p = base.join(rel);
            if p.is_file() {
                match csvutil::read_text(&p) {
                    Ok(text) => track.lyrics = Some(text),
                    Err(e) => sink.unreadable_lyrics(path, Some(row.line), &id, e)?,
                }
            } else {
                sink.missing_file(ProblemKind::MissingLyrics, path, Some(row.line), &id, &p)?;
            }
        } else if let Some(text) = row.opt(lyrics_text_col) {
            track.lyrics = Some(text.to_string());
        }
        track.category = row.opt(cat_col).map(str::to_string);
        track.genre = row.opt(genre_col).map(str::to_string);
        track.artist = row.opt(artist_col).map(str::to_string);
        track.split = row.opt(split_col).map(str::to_string);
        track.oracle = row.opt(oracle_col).map(str::to_string);
        if let Some(tags) = row.opt(tags_col) {
            track.tags =
                csvutil::normalise_tags(tags.split(';').map(|t| t.trim().to_string()).collect());
        }
        track.original = table.original(row);
        out.push(
            sink,
            track,
            Origin {
                file: path.clone(),
                line: row.line,
            },
        )?;
    }
    Ok((base, out.finish()))
}
