//! The Deezer mood detection dataset (Delbouys, Hennequin, Piccoli,
//! Royo-Letelier & Moussallam, ISMIR 2018) joined with the musiXmatch
//! dataset's bags of words (part of the Million Song Dataset):
//!
//! ```text
//! <root>/train.csv, validation.csv, test.csv
//!     dzr_sng_id, MSD_sng_id, MSD_track_id, valence, arousal, artist_name, track_name
//! <root>/mxm_dataset_train.txt, mxm_dataset_test.txt       (when listed in `musixmatch`)
//!     # comment lines
//!     %word1,word2,...                 the 5000 words, stemmed
//!     TRACK_ID,mxm_track_id,idx:cnt,idx:cnt,...      idx is 1-based into the word list
//! <root>/<audio_dir>/<dzr_sng_id>.mp3                     (optional; audio is not distributed)
//! ```
//!
//! # Columns
//! `dzr_sng_id`, `valence`, `arousal` are required; `MSD_track_id` joins the
//! lyrics, `artist_name` is the artist, and the file (`train`, `validation`,
//! `test`) is the fixed split. A track with no musiXmatch entry has no
//! lyrics (not a problem: the two datasets only partly overlap).
//!
//! # Lyrics
//! A bag of words has no order: the lyrics text is each word repeated `cnt`
//! times, words in index order, space-separated (so TF-IDF sees the same
//! counts; word order and unstemmed forms are lost).
//!
//! # Scale
//! Deezer's valence and arousal are standardised (roughly -3..3, mean 0), so
//! the sign already marks the quadrant: mapped by `clamp(x / va_scale, -1, 1)`
//! with `va_scale` = 3 by default; the original value is kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::super::csvutil::{self, Collector, Origin, Sink};
use super::super::{DataError, DeezerConfig, ProblemKind, Track};
use super::require_file;

pub(crate) fn import(
    cfg: &DeezerConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    let mut lyrics: BTreeMap<String, String> = BTreeMap::new();
    for rel in &cfg.musixmatch {
        let path = root.join(rel);
        require_file(&path, "musiXmatch bag-of-words file")?;
        read_musixmatch(&path, &mut lyrics)?;
    }
    let mut out = Collector::new();
    let mut any = false;
    for split in ["train", "validation", "test"] {
        let path = root.join(format!("{split}.csv"));
        if !path.is_file() {
            continue;
        }
        any = true;
        let table = csvutil::read_table(&path, b',', sink)?;
        let id_col = table.require(&["dzr_sng_id"])?;
        let v_col = table.require(&["valence"])?;
        let a_col = table.require(&["arousal"])?;
        let msd = table.col("MSD_track_id");
        let artist = table.col("artist_name");
        for row in &table.rows {
            let id = row.get(id_col).to_string();
            if id.is_empty() {
                sink.bad_row(&path, row.line, None, "column `dzr_sng_id` is empty")?;
                continue;
            }
            let (v, a) = match (
                csvutil::parse_f64(row.get(v_col), "valence"),
                csvutil::parse_f64(row.get(a_col), "arousal"),
            ) {
                (Ok(v), Ok(a)) => (v, a),
                (Err(m), _) | (_, Err(m)) => {
                    sink.bad_row(&path, row.line, Some(&id), m)?;
                    continue;
                }
            };
            let mut t = Track::new(id.clone());
            t.valence = Some((v / cfg.va_scale).clamp(-1.0, 1.0));
            t.arousal = Some((a / cfg.va_scale).clamp(-1.0, 1.0));
            t.artist = row.opt(artist).map(str::to_string);
            t.split = Some(split.to_string());
            t.lyrics = row.opt(msd).and_then(|m| lyrics.get(m)).cloned();
            t.original = table.original(row);
            if let Some(dir) = &cfg.audio_dir {
                let p = root.join(dir).join(format!("{id}.mp3"));
                if p.is_file() {
                    t.audio = Some(p);
                } else {
                    sink.missing_file(ProblemKind::MissingAudio, &path, Some(row.line), &id, &p)?;
                }
            }
            out.push(
                sink,
                t,
                Origin {
                    file: path.clone(),
                    line: row.line,
                },
            )?;
        }
    }
    if !any {
        return Err(DataError::Layout {
            path: root.clone(),
            message: "none of train.csv, validation.csv, test.csv is here".into(),
        });
    }
    Ok((root.clone(), out.finish()))
}

/// Adds `MSD track id -> bag-of-words text` from one musiXmatch file.
fn read_musixmatch(path: &Path, out: &mut BTreeMap<String, String>) -> Result<(), DataError> {
    let text = csvutil::read_text(path)?;
    let mut words: Vec<String> = Vec::new();
    let bad = |line: usize, message: String| DataError::Row {
        path: path.to_path_buf(),
        row: line as u64,
        message,
    };
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(list) = line.strip_prefix('%') {
            words = list.split(',').map(|w| w.trim().to_string()).collect();
            continue;
        }
        if words.is_empty() {
            return Err(bad(line_no, "a track line before the `%` word list".into()));
        }
        let mut parts = line.split(',');
        let track = parts.next().unwrap_or("").trim().to_string();
        let _mxm_id = parts.next();
        let mut bag = Vec::new();
        for pair in parts {
            let (idx, cnt) = pair
                .split_once(':')
                .ok_or_else(|| bad(line_no, format!("`{pair}` is not idx:count")))?;
            let idx: usize = idx
                .trim()
                .parse()
                .map_err(|_| bad(line_no, format!("word index `{idx}` is not a whole number")))?;
            let cnt: usize = cnt
                .trim()
                .parse()
                .map_err(|_| bad(line_no, format!("count `{cnt}` is not a whole number")))?;
            if idx == 0 || idx > words.len() {
                return Err(bad(
                    line_no,
                    format!(
                        "word index {idx} is outside 1..={} (indices are 1-based)",
                        words.len()
                    ),
                ));
            }
            for _ in 0..cnt {
                bag.push(words[idx - 1].as_str());
            }
        }
        if !track.is_empty() {
            out.insert(track, bag.join(" "));
        }
    }
    Ok(())
}
