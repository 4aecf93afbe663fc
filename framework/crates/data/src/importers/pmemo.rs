//! PMEmo 2019 (Zhang et al., ICMR 2018), the `PMEmo2019/` directory:
//!
//! ```text
//! metadata.csv                         musicId, fileName, title, artist, album, duration,
//!                                      chorus_start_time, chorus_end_time
//! annotations/static_annotations.csv   musicId, Arousal(mean), Valence(mean)
//! chorus/<musicId>.mp3                 (or metadata's fileName)
//! lyrics/<musicId>.lrc                 LRC lyrics, not every song has one
//! ```
//!
//! # Columns
//! `musicId`, `Arousal(mean)`, `Valence(mean)` are required in the static
//! annotations; `metadata.csv` is optional and gives `artist` and `fileName`.
//! Songs without an `.lrc` have no lyrics (not a problem: PMEmo does not have
//! lyrics for every song); a song without its chorus mp3 is a missing file.
//!
//! # Scale
//! Static means are on `[0, 1]`: mapped by `2x - 1`.
//!
//! # Lyrics
//! LRC timestamps (`[mm:ss.xx]`, several per line allowed), enhanced-LRC word
//! times (`<mm:ss.xx>`) and ID tags (`[ar:...]`, `[ti:...]`, `[al:...]`,
//! `[by:...]`, `[offset:...]`, ...) are stripped, as the issue assigns to the
//! importer; empty lines are dropped. Any other cleaning is `text`'s job.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::super::csvutil::{self, Collector, Origin, Sink};
use super::super::{DataError, PmemoConfig, ProblemKind, Track};
use super::require_file;

/// Per song id: artist, file name, all metadata columns.
type Meta = BTreeMap<String, (Option<String>, Option<String>, BTreeMap<String, String>)>;

pub(crate) fn import(
    cfg: &PmemoConfig,
    sink: &mut Sink,
) -> Result<(PathBuf, Vec<Track>), DataError> {
    let root = &cfg.root;
    let ann = root.join("annotations").join("static_annotations.csv");
    require_file(&ann, "PMEmo static annotations")?;
    let mut meta = Meta::new();
    let meta_path = root.join("metadata.csv");
    if meta_path.is_file() {
        let table = csvutil::read_table(&meta_path, b',', sink)?;
        let id_col = table.require(&["musicId"])?;
        let artist = table.col("artist");
        let file_name = table.col("fileName");
        for row in &table.rows {
            meta.entry(row.get(id_col).to_string()).or_insert((
                row.opt(artist).map(str::to_string),
                row.opt(file_name).map(str::to_string),
                table.original(row),
            ));
        }
    }
    let table = csvutil::read_table(&ann, b',', sink)?;
    let id_col = table.require(&["musicId"])?;
    let a_col = table.require(&["Arousal(mean)"])?;
    let v_col = table.require(&["Valence(mean)"])?;
    let mut out = Collector::new();
    for row in &table.rows {
        let id = row.get(id_col).to_string();
        if id.is_empty() {
            sink.bad_row(&ann, row.line, None, "column `musicId` is empty")?;
            continue;
        }
        let parse = |col: usize, name: &str| {
            csvutil::parse_f64(row.get(col), name)
                .and_then(|x| csvutil::to_common_scale(x, 0.0, 1.0, name))
        };
        let (v, a) = match (parse(v_col, "Valence(mean)"), parse(a_col, "Arousal(mean)")) {
            (Ok(v), Ok(a)) => (v, a),
            (Err(m), _) | (_, Err(m)) => {
                sink.bad_row(&ann, row.line, Some(&id), m)?;
                continue;
            }
        };
        let mut t = Track::new(id.clone());
        t.valence = Some(v);
        t.arousal = Some(a);
        t.original = table.original(row);
        let mut file_name = format!("{id}.mp3");
        if let Some((artist, fname, extra)) = meta.get(&id) {
            t.artist = artist.clone();
            if let Some(f) = fname {
                file_name = f.clone();
            }
            for (k, val) in extra {
                t.original
                    .entry(format!("metadata:{k}"))
                    .or_insert_with(|| val.clone());
            }
        }
        let audio = root.join("chorus").join(&file_name);
        if audio.is_file() {
            t.audio = Some(audio);
        } else {
            sink.missing_file(ProblemKind::MissingAudio, &ann, Some(row.line), &id, &audio)?;
        }
        let lrc = root.join("lyrics").join(format!("{id}.lrc"));
        if lrc.is_file() {
            let text = strip_lrc(&csvutil::read_text(&lrc)?);
            if !text.is_empty() {
                t.lyrics = Some(text);
            }
        }
        out.push(
            sink,
            t,
            Origin {
                file: ann.clone(),
                line: row.line,
            },
        )?;
    }
    Ok((root.clone(), out.finish()))
}

/// Removes LRC timestamps, word times and ID-tag lines; drops empty lines.
pub fn strip_lrc(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut rest = line.trim();
        let mut had_tag_only = false;
        // Leading [..] groups: timestamps or ID tags.
        while let Some(stripped) = rest.strip_prefix('[') {
            let Some(end) = stripped.find(']') else { break };
            let inside = &stripped[..end];
            let is_time = inside.starts_with(|c: char| c.is_ascii_digit());
            if !is_time {
                had_tag_only = true; // [ar:..], [ti:..], [offset:..] ...
            }
            rest = stripped[end + 1..].trim_start();
        }
        if had_tag_only && rest.is_empty() {
            continue;
        }
        // Enhanced LRC word times <mm:ss.xx>.
        let mut clean = String::with_capacity(rest.len());
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let time_end = (c == '<')
                .then(|| rest[i..].find('>'))
                .flatten()
                .filter(|&end| {
                    let inside = &rest[i + 1..i + end];
                    !inside.is_empty()
                        && inside
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
                });
            if let Some(end) = time_end {
                while chars.peek().is_some_and(|(j, _)| *j <= i + end) {
                    chars.next();
                }
                continue;
            }
            clean.push(c);
        }
        let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
        if !clean.is_empty() {
            lines.push(clean);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::strip_lrc;

    #[test]
    fn lrc_timestamps_and_tags_are_stripped() {
        let lrc = "[ar:Someone]\n[ti:Song]\n[offset:+100]\n[00:01.00]\n[00:12.34][01:02.50]Hello <00:12.80>world\n\n[00:15.00] second  line\n[03:00]";
        assert_eq!(strip_lrc(lrc), "Hello world\nsecond line");
        assert_eq!(strip_lrc("plain text\nno tags"), "plain text\nno tags");
        assert_eq!(
            strip_lrc("a <b> c"),
            "a <b> c",
            "non-time angle brackets stay"
        );
    }
}
