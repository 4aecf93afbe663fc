//! Shared importer plumbing: reading delimited tables by column name (headers
//! and cells whitespace-trimmed), parsing numbers with the place they came
//! from, applying the `on_error` policy, and rejecting duplicate ids.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{DataError, ImportReport, OnError, Problem, ProblemKind, Track};

/// A delimited file read into memory: trimmed headers and rows with their
/// 1-based line numbers.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub path: PathBuf,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row: its line number and trimmed cells.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

impl Row {
    /// The cell at `col`, empty when the row is short.
    pub fn get(&self, col: usize) -> &str {
        self.cells.get(col).map(String::as_str).unwrap_or("")
    }

    /// The cell at an optional column; `None` for an absent column or an
    /// empty cell.
    pub fn opt(&self, col: Option<usize>) -> Option<&str> {
        col.map(|c| self.get(c)).filter(|s| !s.is_empty())
    }
}

/// How many cells a row may have, against its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    /// One cell per header column (trailing empty cells beyond the header,
    /// a spreadsheet's habit, are tolerated: they carry nothing).
    Exact,
    /// At least the header's columns; more are data (MTG-Jamendo's TSVs put
    /// one tag per trailing column).
    AtLeast,
}

/// Reads a CSV file with a header row and RFC 4180 quoting. Strict: an
/// unterminated quote, a file that is not text (UTF-8, or UTF-16 with a
/// byte-order mark), or a row with the wrong number of fields is an error
/// naming the file and line (a bad row goes through `sink`, so under
/// `on_error = "skip"` it is left out and listed).
pub(crate) fn read_table(path: &Path, delimiter: u8, sink: &mut Sink) -> Result<Table, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, "cannot read", e))?;
    read_table_bytes(path, &bytes, delimiter, true, Width::Exact, sink)
}

/// A tab-separated file without quoting (MTG-Jamendo's TSVs: a stray `"` in
/// a cell is data, not a quote), whose rows may have trailing tag columns.
pub(crate) fn read_tsv(path: &Path, sink: &mut Sink) -> Result<Table, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, "cannot read", e))?;
    read_table_bytes(path, &bytes, b'\t', false, Width::AtLeast, sink)
}

/// [`read_table`] over bytes already in memory (`path` only names them).
pub(crate) fn read_table_bytes(
    path: &Path,
    bytes: &[u8],
    delimiter: u8,
    quoting: bool,
    width: Width,
    sink: &mut Sink,
) -> Result<Table, DataError> {
    // mer-text's decoder: a byte-order mark (UTF-8 or UTF-16) is honoured;
    // invalid UTF-8 and binary files are errors naming the file and line.
    let text = mer_text::decode_lyrics_bytes(path, bytes)?;
    let bytes = text.as_bytes();
    if quoting && let Some(line) = mer_core::quotes::unterminated_quote(bytes, delimiter, None) {
        return Err(DataError::UnclosedQuote {
            path: path.to_path_buf(),
            line,
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(true)
        // Widths are checked below, by line and under the `on_error` policy.
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|source| DataError::Csv {
            path: path.to_path_buf(),
            source,
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect::<Vec<_>>();
    // The csv crate's own line counter skips blank lines, so line numbers
    // are computed from byte offsets instead.
    let newlines: Vec<u64> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i as u64)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|source| DataError::Csv {
            path: path.to_path_buf(),
            source,
        })?;
        let line = record
            .position()
            .map(|p| {
                // A record's position may point at blank lines before it.
                let mut at = p.byte() as usize;
                while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
                    at += 1;
                }
                newlines.partition_point(|&nl| nl < at as u64) as u64 + 1
            })
            .unwrap_or(0);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue; // blank line
        }
        if let Some(rule) = width_rule(&cells, headers.len(), width, delimiter) {
            sink.bad_row(path, line, None, rule)?;
            continue;
        }
        rows.push(Row { line, cells });
    }
    Ok(Table {
        path: path.to_path_buf(),
        headers,
        rows,
    })
}

/// Why a row of `cells` does not fit a header of `columns`, if it does not.
fn width_rule(cells: &[String], columns: usize, width: Width, delimiter: u8) -> Option<String> {
    let n = cells.len();
    let sep = match delimiter {
        b'\t' => "a tab".to_string(),
        d => format!("`{}`", d as char),
    };
    if n < columns {
        return Some(format!(
            "the row has {n} fields but the header has {columns}; every row needs one cell per \
             column (leave a cell empty for an absent value)"
        ));
    }
    let extra_data = cells[columns..].iter().any(|c| !c.is_empty());
    if width == Width::Exact && extra_data {
        return Some(format!(
            "the row has {n} fields but the header has {columns}; a field that holds {sep} must \
             be in double quotes"
        ));
    }
    None
}

impl Table {
    /// The column whose trimmed header equals `name`, ignoring ASCII case.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// The first of several accepted names that is present.
    pub fn col_any(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.col(n))
    }

    /// Like [`Table::col_any`] but an error naming the first accepted name
    /// when none is present.
    pub fn require(&self, names: &[&str]) -> Result<usize, DataError> {
        self.col_any(names).ok_or_else(|| DataError::MissingColumn {
            path: self.path.clone(),
            column: names.join("` or `"),
            found: self.headers.join(", "),
        })
    }

    /// All cells of a row keyed by header, for `Track::original`. Extra cells
    /// beyond the header are keyed `column_<n>` (1-based).
    pub fn original(&self, row: &Row) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for (i, cell) in row.cells.iter().enumerate() {
            let key = match self.headers.get(i) {
                Some(h) if !h.is_empty() => h.clone(),
                _ => format!("column_{}", i + 1),
            };
            map.insert(key, cell.clone());
        }
        map
    }
}

/// Parses a finite number, or says why not.
pub(crate) fn parse_f64(cell: &str, column: &str) -> Result<f64, String> {
    match cell.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => Err(format!(
            "column `{column}`: value {v} is not a finite number"
        )),
        Err(_) => Err(format!("column `{column}`: `{cell}` is not a number")),
    }
}

/// Maps `x` linearly from `[lo, hi]` onto `[-1, 1]`; an error when it falls
/// outside `[lo, hi]` (a value outside the documented scale is a bad row, not
/// something to clamp silently).
pub(crate) fn to_common_scale(x: f64, lo: f64, hi: f64, column: &str) -> Result<f64, String> {
    let eps = 1e-9 * (hi - lo).abs();
    if x < lo - eps || x > hi + eps {
        return Err(format!(
            "column `{column}`: value {x} is outside the dataset's documented scale [{lo}, {hi}]"
        ));
    }
    // (x - centre) / half-width: exact for [-1, 1] and for DEAM's (x - 5) / 4.
    let centre = (lo + hi) / 2.0;
    let half = (hi - lo) / 2.0;
    Ok(((x - centre) / half).clamp(-1.0, 1.0))
}

/// Applies the `on_error` policy and collects the report.
pub(crate) struct Sink {
    pub policy: OnError,
    pub report: ImportReport,
}

impl Sink {
    pub fn new(policy: OnError) -> Sink {
        Sink {
            policy,
            report: ImportReport::default(),
        }
    }

    /// A malformed row: an error under `fail`, recorded and skipped under
    /// `skip` (the caller then leaves the row out).
    pub fn bad_row(
        &mut self,
        file: &Path,
        line: u64,
        id: Option<&str>,
        message: impl Into<String>,
    ) -> Result<(), DataError> {
        let message = message.into();
        match self.policy {
            OnError::Fail => Err(DataError::Row {
                path: file.to_path_buf(),
                row: line,
                message: match id {
                    Some(id) => format!("track `{id}`: {message}"),
                    None => message,
                },
            }),
            OnError::Skip => {
                self.report.problems.push(Problem {
                    file: file.to_path_buf(),
                    row: Some(line),
                    id: id.map(str::to_string),
                    kind: ProblemKind::SkippedRow,
                    message,
                });
                Ok(())
            }
        }
    }

    /// A referenced audio or lyrics file that does not exist: an error under
    /// `fail`; under `skip` the track is kept without that modality and the
    /// problem recorded.
    pub fn missing_file(
        &mut self,
        kind: ProblemKind,
        file: &Path,
        line: Option<u64>,
        id: &str,
        missing: &Path,
    ) -> Result<(), DataError> {
        let what = if kind == ProblemKind::MissingAudio {
            "audio"
        } else {
            "lyrics"
        };
        let message = format!("{what} file {} does not exist", missing.display());
        match self.policy {
            OnError::Fail => match line {
                Some(row) => Err(DataError::Row {
                    path: file.to_path_buf(),
                    row,
                    message: format!("track `{id}`: {message}"),
                }),
                None => Err(DataError::Layout {
                    path: missing.to_path_buf(),
                    message: format!("{what} file of track `{id}` does not exist"),
                }),
            },
            OnError::Skip => {
                self.report.problems.push(Problem {
                    file: file.to_path_buf(),
                    row: line,
                    id: Some(id.to_string()),
                    kind,
                    message,
                });
                Ok(())
            }
        }
    }
}

impl Sink {
    /// A lyrics file that exists but is not text: the error (fail), or the
    /// track kept without lyrics and the problem reported (skip).
    pub fn unreadable_lyrics(
        &mut self,
        file: &Path,
        line: Option<u64>,
        id: &str,
        error: DataError,
    ) -> Result<(), DataError> {
        match self.policy {
            OnError::Fail => Err(error),
            OnError::Skip => {
                self.report.problems.push(Problem {
                    file: file.to_path_buf(),
                    row: line,
                    id: Some(id.to_string()),
                    kind: ProblemKind::MissingLyrics,
                    message: error.to_string(),
                });
                Ok(())
            }
        }
    }
}

/// Where a track came from, for duplicate messages.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub file: PathBuf,
    pub line: u64,
}

/// Collects tracks, rejecting (fail) or reporting and dropping (skip) the
/// second occurrence of an id.
pub(crate) struct Collector {
    tracks: Vec<Track>,
    seen: BTreeMap<String, Origin>,
}

impl Collector {
    pub fn new() -> Collector {
        Collector {
            tracks: Vec::new(),
            seen: BTreeMap::new(),
        }
    }

    pub fn push(&mut self, sink: &mut Sink, track: Track, origin: Origin) -> Result<(), DataError> {
        if let Some(first) = self.seen.get(&track.id) {
            return match sink.policy {
                OnError::Fail => Err(DataError::DuplicateId {
                    path: origin.file,
                    row: origin.line,
                    id: track.id,
                    first_path: first.file.clone(),
                    first_row: first.line,
                }),
                OnError::Skip => {
                    sink.report.problems.push(Problem {
                        file: origin.file,
                        row: Some(origin.line),
                        id: Some(track.id.clone()),
                        kind: ProblemKind::DuplicateId,
                        message: format!(
                            "id already seen at {}:{}; the first row was kept",
                            first.file.display(),
                            first.line
                        ),
                    });
                    Ok(())
                }
            };
        }
        self.seen.insert(track.id.clone(), origin);
        self.tracks.push(track);
        Ok(())
    }

    pub fn finish(self) -> Vec<Track> {
        self.tracks
    }
}

/// Reads a text file (lyrics): UTF-8, or UTF-16 with a byte-order mark.
pub(crate) fn read_text(path: &Path) -> Result<String, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, "cannot read", e))?;
    // mer-text's decoder: a BOM (UTF-8 or UTF-16) is honoured, invalid UTF-8
    // and binary files are errors naming the file, never garbled lyrics.
    Ok(mer_text::decode_lyrics_bytes(path, &bytes)?)
}

/// Sorts and deduplicates tags.
pub(crate) fn normalise_tags(mut tags: Vec<String>) -> Vec<String> {
    tags.retain(|t| !t.is_empty());
    tags.sort();
    tags.dedup();
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_cells_are_trimmed_and_found_by_name() {
        let t = read_table_bytes(
            Path::new("x.csv"),
            b"\xEF\xBB\xBFsong_id, valence_mean ,arousal_mean\n 3 , 5.5,2\n\n4,1,9\n",
            b',',
            true,
            Width::Exact,
            &mut Sink::new(OnError::Fail),
        )
        .unwrap();
        assert_eq!(t.col("VALENCE_MEAN"), Some(1));
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].get(0), "3");
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 4);
        assert!(t.require(&["nope"]).is_err());
    }

    #[test]
    fn scale_mapping_rejects_out_of_range() {
        assert_eq!(to_common_scale(5.0, 1.0, 9.0, "v").unwrap(), 0.0);
        assert_eq!(to_common_scale(9.0, 1.0, 9.0, "v").unwrap(), 1.0);
        assert!(to_common_scale(9.5, 1.0, 9.0, "v").is_err());
    }
}
