//! MTG-Jamendo, mood/theme subset (Bogdanov et al., ICML 2019 ML4MD
//! workshop), a checkout of the `mtg-jamendo-dataset` repository plus the
//! downloaded audio:
//!
//! ```text
//! <root>/data/autotagging_moodtheme.tsv
//!     TRACK_ID  ARTIST_ID  ALBUM_ID  PATH  DURATION  TAGS     (tab-separated)
//!     track_0000948  artist_000087  album_000149  48/948.mp3  212.7  mood/theme---background  mood/theme---film
//! <root>/data/splits/split-<n>/autotagging_moodtheme-{train,validation,test}.tsv   (same format)
//! <root>/<audio_dir>/<PATH>      (`.low.mp3` instead of `.mp3` for the low-quality download)
//! ```
//!
//! # Columns
//! `TRACK_ID`, `PATH` and `TAGS` are required. Tags are every cell from the
//! `TAGS` column to the end of the row (the file's trailing tab-separated
//! columns); the `mood/theme---` prefix is removed, so `tags` holds e.g.
//! `happy`, `sad`, `relaxing`, `energetic` (the binary label tasks read
//! these). `ARTIST_ID` is the artist; the split files of `split-<n>` give the
//! fixed split (a track listed in none has no split).
//!
//! # Scale
//! No valence/arousal.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::super::csvutil::{self, Collector, Origin, Sink};
use super::super::{DataError, MtgJamendoConfig, ProblemKind, Track};
use super::require_file;

const PREFIX: &str = "mood/theme---";

pub(crate) fn import(
    cfg: &MtgJamendoConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    let tsv = root.join("data").join("autotagging_moodtheme.tsv");
    require_file(&tsv, "MTG-Jamendo mood/theme TSV")?;
    let mut splits: BTreeMap<String, &'static str> = BTreeMap::new();
    let split_dir = root
        .join("data")
        .join("splits")
        .join(format!("split-{}", cfg.split));
    for (name, split) in [
        ("train", "train"),
        ("validation", "validation"),
        ("test", "test"),
    ] {
        let p = split_dir.join(format!("autotagging_moodtheme-{name}.tsv"));
        if !p.is_file() {
            continue;
        }
        let table = csvutil::read_tsv(&p, sink)?;
        let id = table.require(&["TRACK_ID"])?;
        for row in &table.rows {
            splits.insert(row.get(id).to_string(), split);
        }
    }
    let table = csvutil::read_tsv(&tsv, sink)?;
    let id_col = table.require(&["TRACK_ID"])?;
    let path_col = table.require(&["PATH"])?;
    let tags_col = table.require(&["TAGS"])?;
    let artist = table.col("ARTIST_ID");
    let audio_root = root.join(&cfg.audio_dir);
    let mut out = Collector::new();
    for row in &table.rows {
        let id = row.get(id_col).to_string();
        if id.is_empty() {
            sink.bad_row(&tsv, row.line, None, "column `TRACK_ID` is empty")?;
            continue;
        }
        let rel = row.get(path_col);
        if rel.is_empty() {
            sink.bad_row(&tsv, row.line, Some(&id), "column `PATH` is empty")?;
            continue;
        }
        let mut t = Track::new(id.clone());
        t.tags = csvutil::normalise_tags(
            row.cells[tags_col.min(row.cells.len())..]
                .iter()
                .map(|c| c.strip_prefix(PREFIX).unwrap_or(c).to_string())
                .collect(),
        );
        t.artist = row.opt(artist).map(str::to_string);
        t.split = splits.get(&id).map(|s| s.to_string());
        t.original = table.original(row);
        let rel = if cfg.low_quality {
            rel.strip_suffix(".mp3")
                .map(|s| format!("{s}.low.mp3"))
                .unwrap_or_else(|| rel.to_string())
        } else {
            rel.to_string()
        };
        let audio = audio_root.join(rel);
        if audio.is_file() {
            t.audio = Some(audio);
        } else {
            sink.missing_file(ProblemKind::MissingAudio, &tsv, Some(row.line), &id, &audio)?;
        }
        out.push(
            sink,
            t,
            Origin {
                file: tsv.clone(),
                line: row.line,
            },
        )?;
    }
    Ok((root.clone(), out.finish()))
}
