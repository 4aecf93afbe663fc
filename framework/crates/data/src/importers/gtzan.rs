//! GTZAN genre collection (Tzanetakis & Cook, IEEE TSAP 2002):
//!
//! ```text
//! <root>/<genre>/<genre>.<nnnnn>.wav    Kaggle copy: root = genres_original/
//! <root>/<genre>/<genre>.<nnnnn>.au     original archive: root = genres/
//! ```
//!
//! Ten genre folders of 100 30-second clips each. Every audio file (`.wav`,
//! `.au`, `.mp3`, `.flac`, `.ogg`) inside a genre folder is a track whose id
//! is its file stem (`blues.00000`) and whose genre is the folder name; files
//! directly under `root` and other files are ignored. (The Kaggle copy's
//! `jazz.00054.wav` is known to be undecodable: that is for the audio module
//! to report.)
//!
//! # Lyrics (optional)
//! A JSON file, either an object `{"blues.00000": "lyrics ...", ...}` or an
//! array `[{"id": "blues.00000", "lyrics": "..."}, ...]` (the seed study's
//! `data/lyrics.json`). Lyrics for an id that has no audio file are a bad
//! entry (error, or reported under `skip`).
//!
//! # Scale
//! No valence/arousal: genre only.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::super::csvutil::{Collector, Origin, Sink};
use super::super::{DataError, GtzanConfig, Problem, ProblemKind, Track};
use super::{list_dir, require_dir};

const AUDIO_EXT: [&str; 5] = ["wav", "au", "mp3", "flac", "ogg"];

pub(crate) fn import(
    cfg: &GtzanConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    require_dir(root, "GTZAN genres directory")?;
    let lyrics = match &cfg.lyrics {
        Some(p) => read_lyrics(p)?,
        None => BTreeMap::new(),
    };
    let mut out = Collector::new();
    for dir in list_dir(root)?.into_iter().filter(|p| p.is_dir()) {
        let genre = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        for file in list_dir(&dir)? {
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if !file.is_file() || !AUDIO_EXT.contains(&ext.as_str()) {
                continue;
            }
            let id = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            let mut t = Track::new(id.clone());
            t.genre = Some(genre.clone());
            t.lyrics = lyrics.get(&id).cloned();
            t.original.insert("genre".into(), genre.clone());
            t.original.insert(
                "file".into(),
                format!(
                    "{genre}/{}",
                    file.file_name().and_then(|n| n.to_str()).unwrap_or("")
                ),
            );
            t.audio = Some(file.clone());
            out.push(
                sink,
                t,
                Origin {
                    file: file.clone(),
                    line: 0,
                },
            )?;
        }
    }
    let tracks = out.finish();
    if let Some(path) = &cfg.lyrics {
        let known: std::collections::BTreeSet<&str> =
            tracks.iter().map(|t| t.id.as_str()).collect();
        for id in lyrics.keys().filter(|id| !known.contains(id.as_str())) {
            match sink.policy {
                super::super::OnError::Fail => {
                    return Err(DataError::Layout {
                        path: path.clone(),
                        message: format!(
                            "lyrics for `{id}`, which has no audio file under {}",
                            root.display()
                        ),
                    });
                }
                super::super::OnError::Skip => sink.report.problems.push(Problem {
                    file: path.clone(),
                    row: None,
                    id: Some(id.clone()),
                    kind: ProblemKind::SkippedRow,
                    message: "lyrics for a track with no audio file; ignored".into(),
                }),
            }
        }
    }
    Ok((root.clone(), tracks))
}

fn read_lyrics(path: &PathBuf) -> Result<BTreeMap<String, String>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, "cannot read", e))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| DataError::Json {
            path: path.clone(),
            source,
        })?;
    let mut map = BTreeMap::new();
    match value {
        serde_json::Value::Object(obj) => {
            for (k, v) in obj {
                let Some(s) = v.as_str() else {
                    return Err(DataError::Layout {
                        path: path.clone(),
                        message: format!("key `{k}`: lyrics must be a string"),
                    });
                };
                map.insert(k, s.to_string());
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let id = item.get("id").and_then(|v| v.as_str());
                let lyrics = item.get("lyrics").and_then(|v| v.as_str());
                let (Some(id), Some(lyrics)) = (id, lyrics) else {
                    return Err(DataError::Layout {
                        path: path.clone(),
                        message: format!("entry {i}: needs string fields `id` and `lyrics`"),
                    });
                };
                map.insert(id.to_string(), lyrics.to_string());
            }
        }
        _ => {
            return Err(DataError::Layout {
                path: path.clone(),
                message: "expected an object of id -> lyrics or an array of {id, lyrics}".into(),
            });
        }
    }
    Ok(map)
}
