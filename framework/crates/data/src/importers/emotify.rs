//! EMOTIFY (Aljanaki, Wiering & Veltkamp, "Studying emotion induced by music
//! through a crowdsourcing game", Information Processing & Management 2016):
//!
//! ```text
//! data.csv                 one row per participant and track (headers carry spaces, trimmed):
//!                          track id, genre, amazement, solemnity, tenderness, nostalgia,
//!                          calmness, power, joyful_activation, tension, sadness, mood,
//!                          liked, disliked, age, gender, mother tongue
//! emotifymusic/<genre>/<n>.mp3   classical, electronic, pop, rock; n = 1..100 in each folder
//! ```
//!
//! # Aggregation rule
//! Each GEMS-9 column holds a 0/1 vote. Per track, the share of its
//! participants who ticked each emotion is computed; the `category` is the
//! emotion with the largest share, ties going to the earlier column in the
//! order above (the dataset's own column order). The shares are kept in
//! `original` as `share:<emotion>` (six decimals) and the participant count
//! as `participants`; the first row's `genre` is the genre, and a track whose
//! rows disagree on the genre is a bad row.
//!
//! # Audio naming
//! Track ids run 1..400 across the genres in blocks of 100 while files are
//! numbered 1..100 inside each genre folder (e.g. track 101, the first
//! electronic id, is `electronic/1.mp3` in the usual archive), so the file is
//! `<genre>/<id - first id of that genre + 1>.mp3`, with the first id of each
//! genre taken from `data.csv` itself rather than from a hard-coded order.
//!
//! # Scale
//! No valence/arousal.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::super::csvutil::{self, Collector, Origin, Sink};
use super::super::{DataError, EmotifyConfig, ProblemKind, Track};
use super::require_file;

/// GEMS-9 columns, in the file's order.
pub const EMOTIONS: [&str; 9] = [
    "amazement",
    "solemnity",
    "tenderness",
    "nostalgia",
    "calmness",
    "power",
    "joyful_activation",
    "tension",
    "sadness",
];

struct Acc {
    line: u64,
    genre: String,
    votes: [u32; 9],
    participants: u32,
}

pub(crate) fn import(
    cfg: &EmotifyConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    let path = root.join(&cfg.annotations);
    require_file(&path, "EMOTIFY data.csv")?;
    let table = csvutil::read_table(&path, b',', sink)?;
    let id_col = table.require(&["track id", "track_id"])?;
    let genre_col = table.require(&["genre"])?;
    let cols: Vec<usize> = EMOTIONS
        .iter()
        .map(|e| table.require(&[e]))
        .collect::<Result<_, _>>()?;

    let mut tracks: BTreeMap<u64, Acc> = BTreeMap::new();
    let mut bad: BTreeMap<u64, ()> = BTreeMap::new();
    'rows: for row in &table.rows {
        let raw = row.get(id_col);
        let Ok(id) = raw.parse::<u64>() else {
            sink.bad_row(
                &path,
                row.line,
                None,
                format!("column `track id`: `{raw}` is not a whole number"),
            )?;
            continue;
        };
        let genre = row.get(genre_col).to_ascii_lowercase();
        let mut votes = [0u32; 9];
        for (k, &c) in cols.iter().enumerate() {
            match csvutil::parse_f64(row.get(c), EMOTIONS[k]) {
                Ok(x) if x == 0.0 || x == 1.0 => votes[k] = x as u32,
                Ok(x) => {
                    sink.bad_row(
                        &path,
                        row.line,
                        Some(raw),
                        format!("column `{}`: vote {x} is not 0 or 1", EMOTIONS[k]),
                    )?;
                    continue 'rows;
                }
                Err(m) => {
                    sink.bad_row(&path, row.line, Some(raw), m)?;
                    continue 'rows;
                }
            }
        }
        let acc = tracks.entry(id).or_insert(Acc {
            line: row.line,
            genre: genre.clone(),
            votes: [0; 9],
            participants: 0,
        });
        if acc.genre != genre {
            sink.bad_row(
                &path,
                row.line,
                Some(raw),
                format!(
                    "genre `{genre}` disagrees with `{}` at line {}",
                    acc.genre, acc.line
                ),
            )?;
            bad.insert(id, ());
            continue;
        }
        for (total, v) in acc.votes.iter_mut().zip(votes) {
            *total += v;
        }
        acc.participants += 1;
    }
    // First track id of each genre, for the file numbering.
    let mut first: BTreeMap<&str, u64> = BTreeMap::new();
    for (id, acc) in &tracks {
        first
            .entry(acc.genre.as_str())
            .and_modify(|f| *f = (*f).min(*id))
            .or_insert(*id);
    }
    let audio_root = root.join(&cfg.audio_dir);
    let mut out = Collector::new();
    for (id, acc) in &tracks {
        if bad.contains_key(id) {
            continue;
        }
        let n = acc.participants.max(1) as f64;
        let shares: Vec<f64> = acc.votes.iter().map(|&v| v as f64 / n).collect();
        let mut best = 0;
        for k in 1..9 {
            if shares[k] > shares[best] {
                best = k;
            }
        }
        let mut t = Track::new(id.to_string());
        t.category = Some(EMOTIONS[best].to_string());
        t.genre = Some(acc.genre.clone());
        t.original.insert("track id".into(), id.to_string());
        t.original.insert("genre".into(), acc.genre.clone());
        t.original
            .insert("participants".into(), acc.participants.to_string());
        for (k, e) in EMOTIONS.iter().enumerate() {
            t.original
                .insert(format!("share:{e}"), format!("{:.6}", shares[k]));
        }
        let number = id - first[acc.genre.as_str()] + 1;
        let audio = audio_root.join(&acc.genre).join(format!("{number}.mp3"));
        if audio.is_file() {
            t.audio = Some(audio);
        } else {
            sink.missing_file(
                ProblemKind::MissingAudio,
                &path,
                Some(acc.line),
                &t.id,
                &audio,
            )?;
        }
        out.push(
            sink,
            t,
            Origin {
                file: path.clone(),
                line: acc.line,
            },
        )?;
    }
    Ok((root.clone(), out.finish()))
}
