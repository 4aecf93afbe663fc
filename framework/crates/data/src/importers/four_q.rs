//! The 4Q audio emotion dataset (Panda, Malheiro & Paiva, "Novel audio
//! features for music emotion recognition", IEEE TAFFC 2018), the
//! `MER_audio_taffc_dataset/` directory:
//!
//! ```text
//! Q1/ Q2/ Q3/ Q4/                      <Song>.mp3, 30 s clips (225 per quadrant)
//! panda_dataset_taffc_metadata.csv     Song, Quadrant, Artist, Title, ..., MoodsStrSplit, GenresStr, ...
//! panda_dataset_taffc_annotations.csv  (not needed: the quadrant is in the metadata)
//! ```
//!
//! # Columns
//! `Song` and `Quadrant` (`Q1`..`Q4`) are required; `Artist` gives the
//! artist and the first entry of `GenresStr` (or `Genres`; `;`- or
//! `,`-separated) the genre. Every column is kept in `original`.
//!
//! # Scale
//! No valence/arousal: the quadrant is the track's `category` (`Q1`..`Q4`),
//! which the `quadrants` label scheme reads when V/A is absent (Q1 = +V+A,
//! Q2 = -V+A, Q3 = -V-A, Q4 = +V-A, as in Russell's model the dataset uses).

use std::path::PathBuf;

use super::super::csvutil::{self, Collector, Origin, Sink};
use super::super::{DataError, FourQConfig, ProblemKind, Track};
use super::{first_of_list, require_file};

pub(crate) fn import(
    cfg: &FourQConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    let meta = root.join(&cfg.metadata);
    require_file(&meta, "4Q metadata CSV")?;
    let table = csvutil::read_table(&meta, b',', sink)?;
    let song = table.require(&["Song"])?;
    let quadrant = table.require(&["Quadrant"])?;
    let artist = table.col("Artist");
    let genres = table.col_any(&["GenresStr", "Genres"]);
    let mut out = Collector::new();
    for row in &table.rows {
        let id = row.get(song).to_string();
        if id.is_empty() {
            sink.bad_row(&meta, row.line, None, "column `Song` is empty")?;
            continue;
        }
        let q = row.get(quadrant).to_ascii_uppercase();
        if !matches!(q.as_str(), "Q1" | "Q2" | "Q3" | "Q4") {
            sink.bad_row(
                &meta,
                row.line,
                Some(&id),
                format!(
                    "column `Quadrant`: `{}` is not one of Q1, Q2, Q3, Q4",
                    row.get(quadrant)
                ),
            )?;
            continue;
        }
        let mut t = Track::new(id.clone());
        t.artist = row.opt(artist).map(str::to_string);
        t.genre = row.opt(genres).and_then(first_of_list);
        t.original = table.original(row);
        let audio = root.join(&q).join(format!("{id}.mp3"));
        if audio.is_file() {
            t.audio = Some(audio);
        } else {
            sink.missing_file(
                ProblemKind::MissingAudio,
                &meta,
                Some(row.line),
                &id,
                &audio,
            )?;
        }
        t.category = Some(q);
        out.push(
            sink,
            t,
            Origin {
                file: meta.clone(),
                line: row.line,
            },
        )?;
    }
    Ok((root.clone(), out.finish()))
}
