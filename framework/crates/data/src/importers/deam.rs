//! DEAM, the MediaEval "Emotion in Music" database (Aljanaki, Yang &
//! Soleymani, PLOS ONE 2017), as extracted from its archives:
//!
//! ```text
//! <root>/DEAM_Annotations/annotations/annotations averaged per song/song_level/
//!     static_annotations_averaged_songs_1_2000.csv
//!     static_annotations_averaged_songs_2000_2058.csv
//! <root>/DEAM_audio/MEMD_audio/<song_id>.mp3
//! <root>/metadata/metadata_2013.csv, metadata_2014.csv, metadata_2015.csv   (optional)
//! ```
//!
//! # Columns
//! Annotations (every `static_annotations_averaged_songs_*.csv`, read in name
//! order; headers carry spaces after the commas, trimmed here): `song_id`,
//! `valence_mean`, `arousal_mean` are required; `valence_std`, `arousal_std`
//! and the 2015 file's extra columns are kept in `original`. Metadata (any
//! `metadata_*.csv`): id `song_id` or `id`, `Artist`, `Genre` (names vary by
//! year and are matched case-insensitively); the first file naming an id wins.
//!
//! # Scale
//! Song-level means are on DEAM's 9-point scale (1..9): mapped by
//! `(x - 5) / 4` onto `[-1, 1]`; a value outside 1..9 is a bad row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::super::csvutil::{self, Collector, Origin, Sink};
use super::super::{DataError, DeamConfig, ProblemKind, Track};
use super::{list_dir, require_dir};

const DEFAULT_ANNOTATIONS: &str =
    "DEAM_Annotations/annotations/annotations averaged per song/song_level";
const DEFAULT_AUDIO: &str = "DEAM_audio/MEMD_audio";
const DEFAULT_METADATA: &str = "metadata";

pub(crate) fn import(
    cfg: &DeamConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    let ann_dir = root.join(
        cfg.annotations_dir
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_ANNOTATIONS)),
    );
    let audio_dir = root.join(cfg.audio_dir.as_deref().unwrap_or(Path::new(DEFAULT_AUDIO)));
    require_dir(&ann_dir, "DEAM song-level annotations directory")?;
    let files: Vec<PathBuf> = list_dir(&ann_dir)?
        .into_iter()
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("static_annotations_averaged_songs_") && n.ends_with(".csv")
            })
        })
        .collect();
    if files.is_empty() {
        return Err(DataError::Layout {
            path: ann_dir,
            message: "no static_annotations_averaged_songs_*.csv here".into(),
        });
    }
    let meta = read_metadata(
        &root.join(
            cfg.metadata_dir
                .as_deref()
                .unwrap_or(Path::new(DEFAULT_METADATA)),
        ),
        sink,
    )?;

    let mut out = Collector::new();
    for file in &files {
        let table = csvutil::read_table(file, b',', sink)?;
        let id_col = table.require(&["song_id"])?;
        let v_col = table.require(&["valence_mean"])?;
        let a_col = table.require(&["arousal_mean"])?;
        for row in &table.rows {
            let id = row.get(id_col).to_string();
            if id.is_empty() {
                sink.bad_row(file, row.line, None, "column `song_id` is empty")?;
                continue;
            }
            let parse = |col: usize, name: &str| {
                csvutil::parse_f64(row.get(col), name)
                    .and_then(|x| csvutil::to_common_scale(x, 1.0, 9.0, name))
            };
            let (v, a) = match (parse(v_col, "valence_mean"), parse(a_col, "arousal_mean")) {
                (Ok(v), Ok(a)) => (v, a),
                (Err(m), _) | (_, Err(m)) => {
                    sink.bad_row(file, row.line, Some(&id), m)?;
                    continue;
                }
            };
            let mut t = Track::new(id.clone());
            t.valence = Some(v);
            t.arousal = Some(a);
            t.original = table.original(row);
            if let Some((artist, genre, extra)) = meta.get(&id) {
                t.artist = artist.clone();
                t.genre = genre.clone();
                for (k, val) in extra {
                    t.original
                        .entry(format!("metadata:{k}"))
                        .or_insert_with(|| val.clone());
                }
            }
            let audio = audio_dir.join(format!("{id}.mp3"));
            if audio.is_file() {
                t.audio = Some(audio);
            } else {
                sink.missing_file(ProblemKind::MissingAudio, file, Some(row.line), &id, &audio)?;
            }
            out.push(
                sink,
                t,
                Origin {
                    file: file.clone(),
                    line: row.line,
                },
            )?;
        }
    }
    Ok((root.clone(), out.finish()))
}

type Meta = BTreeMap<String, (Option<String>, Option<String>, BTreeMap<String, String>)>;

/// Artist and genre per song id from the optional metadata CSVs.
fn read_metadata(dir: &Path, sink: &mut Sink) -> Result<Meta, DataError> {
    let mut meta = Meta::new();
    if !dir.is_dir() {
        return Ok(meta);
    }
    for file in list_dir(dir)? {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.starts_with("metadata") && name.ends_with(".csv")) {
            continue;
        }
        let table = csvutil::read_table(&file, b',', sink)?;
        let Some(id_col) = table.col_any(&["song_id", "id"]) else {
            continue;
        };
        let artist = table.col("artist");
        let genre = table.col("genre");
        for row in &table.rows {
            let id = row.get(id_col).to_string();
            if id.is_empty() || meta.contains_key(&id) {
                continue;
            }
            meta.insert(
                id,
                (
                    row.opt(artist).map(str::to_string),
                    row.opt(genre).map(str::to_string),
                    table.original(row),
                ),
            );
        }
    }
    Ok(meta)
}
