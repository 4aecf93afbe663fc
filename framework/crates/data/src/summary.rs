//! `mer data check SPEC`: a summary of a loaded dataset — counts, classes,
//! missing modalities, durations (read from WAV headers; other formats are
//! left to the audio module) and the valence/arousal scale.

use std::collections::BTreeMap;
use std::fmt;

use super::{Dataset, DatasetConfig, ProblemKind};

/// Summary statistics of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSummary {
    /// Dataset kind.
    pub name: String,
    /// Where it was read from.
    pub root: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// Number of tracks.
    pub tracks: usize,
    /// Tracks with an audio file.
    pub with_audio: usize,
    /// Tracks with lyrics.
    pub with_lyrics: usize,
    /// Tracks with both valence and arousal.
    pub with_va: usize,
    /// Referenced audio files that were missing (kept without audio).
    pub missing_audio: usize,
    /// Referenced lyrics files that were missing (kept without lyrics).
    pub missing_lyrics: usize,
    /// Rows skipped (malformed or duplicate).
    pub skipped: usize,
    /// Track count per category.
    pub categories: BTreeMap<String, usize>,
    /// Track count per genre.
    pub genres: BTreeMap<String, usize>,
    /// Track count per fixed split.
    pub splits: BTreeMap<String, usize>,
    /// Track count per tag.
    pub tags: BTreeMap<String, usize>,
    /// Track count per oracle label.
    pub oracle: BTreeMap<String, usize>,
    /// Distinct artists.
    pub artists: usize,
    /// (min, mean, max) valence and arousal on the common scale.
    pub valence: Option<(f64, f64, f64)>,
    /// See `valence`.
    pub arousal: Option<(f64, f64, f64)>,
    /// (files measured, min, mean, max) seconds from WAV headers.
    pub durations: Option<(usize, f64, f64, f64)>,
    /// Audio files whose duration was not measured (not WAV).
    pub durations_unmeasured: usize,
    /// The scale mapping in words.
    pub scale: String,
    /// The first few problems, as text.
    pub first_problems: Vec<String>,
}

fn stats(xs: impl Iterator<Item = f64>) -> Option<(f64, f64, f64)> {
    let v: Vec<f64> = xs.collect();
    if v.is_empty() {
        return None;
    }
    let min = v.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    Some((min, v.iter().sum::<f64>() / v.len() as f64, max))
}

fn count<'a>(it: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in it {
        *m.entry(s.to_string()).or_insert(0) += 1;
    }
    m
}

impl DataSummary {
    /// Summarises a loaded dataset.
    pub fn of(d: &Dataset, cfg: &DatasetConfig) -> DataSummary {
        let t = &d.tracks;
        let mut durations = Vec::new();
        let mut unmeasured = 0;
        for p in t.iter().filter_map(|t| t.audio.as_ref()) {
            let is_wav = p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
            match is_wav.then(|| hound::WavReader::open(p)) {
                Some(Ok(r)) => {
                    let spec = r.spec();
                    let frames = r.duration() as f64;
                    durations.push(frames / spec.sample_rate as f64);
                }
                _ => unmeasured += 1,
            }
        }
        let dstats = stats(durations.iter().cloned()).map(|(a, b, c)| (durations.len(), a, b, c));
        let artists: std::collections::BTreeSet<&str> =
            t.iter().filter_map(|t| t.artist.as_deref()).collect();
        DataSummary {
            name: d.name.clone(),
            root: d.root.display().to_string(),
            fingerprint: d.fingerprint.clone(),
            tracks: t.len(),
            with_audio: t.iter().filter(|t| t.audio.is_some()).count(),
            with_lyrics: t.iter().filter(|t| t.lyrics.is_some()).count(),
            with_va: t
                .iter()
                .filter(|t| t.valence.is_some() && t.arousal.is_some())
                .count(),
            missing_audio: d.report.count(ProblemKind::MissingAudio),
            missing_lyrics: d.report.count(ProblemKind::MissingLyrics),
            skipped: d.report.count(ProblemKind::SkippedRow)
                + d.report.count(ProblemKind::DuplicateId),
            categories: count(t.iter().filter_map(|t| t.category.as_deref())),
            genres: count(t.iter().filter_map(|t| t.genre.as_deref())),
            splits: count(t.iter().filter_map(|t| t.split.as_deref())),
            tags: count(t.iter().flat_map(|t| t.tags.iter().map(String::as_str))),
            oracle: count(t.iter().filter_map(|t| t.oracle.as_deref())),
            artists: artists.len(),
            valence: stats(t.iter().filter_map(|t| t.valence)),
            arousal: stats(t.iter().filter_map(|t| t.arousal)),
            durations: dstats,
            durations_unmeasured: unmeasured,
            scale: cfg.scale_description(),
            first_problems: d
                .report
                .problems
                .iter()
                .take(10)
                .map(|p| p.to_string())
                .collect(),
        }
    }
}

fn write_counts(
    f: &mut fmt::Formatter<'_>,
    label: &str,
    m: &BTreeMap<String, usize>,
) -> fmt::Result {
    if m.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
    writeln!(f, "  {label:<11} {}", parts.join(", "))
}

impl fmt::Display for DataSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "dataset {} at {}", self.name, self.root)?;
        writeln!(f, "  fingerprint {}", self.fingerprint)?;
        writeln!(f, "  tracks      {}", self.tracks)?;
        writeln!(
            f,
            "  audio       {} with audio, {} missing files",
            self.with_audio, self.missing_audio
        )?;
        writeln!(
            f,
            "  lyrics      {} with lyrics, {} without ({} missing files)",
            self.with_lyrics,
            self.tracks - self.with_lyrics,
            self.missing_lyrics
        )?;
        writeln!(
            f,
            "  V/A         {} tracks with valence and arousal",
            self.with_va
        )?;
        if let Some((lo, mean, hi)) = self.valence {
            writeln!(f, "  valence     min {lo:.3}, mean {mean:.3}, max {hi:.3}")?;
        }
        if let Some((lo, mean, hi)) = self.arousal {
            writeln!(f, "  arousal     min {lo:.3}, mean {mean:.3}, max {hi:.3}")?;
        }
        writeln!(f, "  scale       {}", self.scale)?;
        write_counts(f, "categories", &self.categories)?;
        write_counts(f, "genres", &self.genres)?;
        write_counts(f, "splits", &self.splits)?;
        write_counts(f, "tags", &self.tags)?;
        write_counts(f, "oracle", &self.oracle)?;
        if self.artists > 0 {
            writeln!(f, "  artists     {}", self.artists)?;
        }
        match self.durations {
            Some((n, lo, mean, hi)) => writeln!(
                f,
                "  durations   {n} WAV files: min {lo:.2} s, mean {mean:.2} s, max {hi:.2} s{}",
                if self.durations_unmeasured > 0 {
                    format!(" ({} non-WAV not measured)", self.durations_unmeasured)
                } else {
                    String::new()
                }
            )?,
            None if self.durations_unmeasured > 0 => writeln!(
                f,
                "  durations   not measured ({} non-WAV files; decoding is the audio module's job)",
                self.durations_unmeasured
            )?,
            None => {}
        }
        writeln!(f, "  skipped     {} rows", self.skipped)?;
        for p in &self.first_problems {
            writeln!(f, "    {p}")?;
        }
        Ok(())
    }
}
