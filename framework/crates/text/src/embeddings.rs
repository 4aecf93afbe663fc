//! Import of precomputed per-track lyrics embeddings (BERT, sentence
//! transformers, ... computed elsewhere, e.g. with `tools/embed_lyrics.py`).
//!
//! Owns reading and checking the three accepted formats into an
//! [`EmbeddingTable`] (track id -> vector) and reporting which dataset
//! tracks it covers. Leaves what happens to tracks without a vector to the
//! `missing_lyrics` policy applied in `text::fit`.
//!
//! # Formats
//! * **`.npy`** (NumPy format versions 1-3) holding a 2-D float array
//!   `[n_tracks, dim]` of `float16`, `float32` or `float64`, little- or
//!   big-endian, C or Fortran order; plus an **id list** (`text.embeddings.ids`):
//!   a UTF-8 text file with one track id per line, line `i` naming row `i`.
//! * **`.safetensors`**: a 2-D tensor named **`embeddings`** (or the file's
//!   only tensor), dtype `F32`, `F64`, `F16` or `BF16`, shape `[n_tracks, dim]`;
//!   the ids either in the file's metadata under the key **`ids`** as a JSON
//!   list of strings (`{"ids": "[\"t1\", \"t2\"]"}`, metadata values are
//!   strings), or in an id list file given by `text.embeddings.ids`, which
//!   takes precedence.
//! * **`.csv`**: `id,v0,v1,...,v{dim-1}`, one row per track, an optional
//!   header line (recognised when its first field is `id` or a later field is
//!   not a number); RFC 4180 quoting, so an id in double quotes may hold a
//!   comma or a doubled `""` quote.
//!
//! # Checks
//! Every vector has the same dimension (and `text.embeddings.dim` when
//! given), every value is finite once stored as `f32`, ids are non-empty
//! and unique, and the row count equals the id count. Errors name the file
//! and the line or row.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::csv_read;
use super::error::TextError;
use mer_core::ConfigError;

/// Per-track vectors keyed by track id.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingTable {
    source: PathBuf,
    ids: Vec<String>,
    index: HashMap<String, usize>,
    dim: usize,
    /// `[n_tracks, dim]`, row-major.
    values: Vec<f32>,
    content_hash: String,
}

/// Which dataset tracks an embedding table covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbeddingCoverage {
    /// Dataset tracks asked about.
    pub n_dataset: usize,
    /// Of those, tracks with a vector.
    pub n_found: usize,
    /// Dataset tracks without a vector, in dataset order.
    pub missing: Vec<String>,
    /// Vectors whose id is not a dataset track.
    pub n_extra: usize,
    /// Up to 10 of those ids, sorted, for messages.
    pub extra_examples: Vec<String>,
}

fn emb_err(path: &Path, place: impl Into<String>, rule: impl Into<String>) -> TextError {
    TextError::Embeddings {
        path: path.to_path_buf(),
        place: place.into(),
        rule: rule.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TextError> {
    std::fs::read(path).map_err(|source| TextError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl EmbeddingTable {
    /// Builds a table from ids and a row-major `[ids.len(), dim]` matrix,
    /// checking shape, ids and values. `source` names the file in errors.
    pub fn new(
        source: &Path,
        ids: Vec<String>,
        dim: usize,
        values: Vec<f32>,
    ) -> Result<Self, TextError> {
        if dim == 0 {
            return Err(emb_err(source, "shape", "vectors have dimension 0"));
        }
        if ids.is_empty() {
            return Err(emb_err(source, "shape", "the file holds no vectors"));
        }
        if values.len() != ids.len() * dim {
            return Err(emb_err(
                source,
                "shape",
                format!(
                    "{} values do not form {} rows of dimension {dim}",
                    values.len(),
                    ids.len()
                ),
            ));
        }
        let mut index = HashMap::with_capacity(ids.len());
        for (row, id) in ids.iter().enumerate() {
            if id.is_empty() {
                return Err(emb_err(
                    source,
                    format!("row {row}"),
                    "the track id is empty",
                ));
            }
            if let Some(prev) = index.insert(id.clone(), row) {
                return Err(emb_err(
                    source,
                    format!("row {row} (id {id:?})"),
                    format!("id already used by row {prev}; ids must be unique"),
                ));
            }
            let v = &values[row * dim..(row + 1) * dim];
            if let Some(col) = v.iter().position(|x| !x.is_finite()) {
                return Err(emb_err(
                    source,
                    format!("row {row} (id {id:?})"),
                    format!("value {} in column {col} is not finite as float32", v[col]),
                ));
            }
        }
        Ok(EmbeddingTable {
            source: source.to_path_buf(),
            ids,
            index,
            dim,
            values,
            content_hash: String::new(),
        })
    }

    /// Loads a table, choosing the format by extension (`.npy`,
    /// `.safetensors`, `.csv`), and checks `expected_dim` when given.
    pub fn load(
        path: &Path,
        ids_path: Option<&Path>,
        expected_dim: Option<usize>,
    ) -> Result<Self, TextError> {
        let bytes = read(path)?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let mut hasher = blake3::Hasher::new();
        hasher.update(&bytes);
        let ids = match ids_path {
            Some(p) => {
                let id_bytes = read(p)?;
                hasher.update(b"\0ids\0");
                hasher.update(&id_bytes);
                let text = super::clean::decode_lyrics_bytes(p, &id_bytes)?;
                Some((p, parse_id_list(p, &text)?))
            }
            None => None,
        };
        let mut table = match ext.as_str() {
            "npy" => {
                let (ids_file, ids) = ids.ok_or_else(|| {
                    TextError::Config(ConfigError::new(
                        "embeddings.ids",
                        format!(
                            "is required for {}: a .npy file holds no track ids",
                            path.display()
                        ),
                    ))
                })?;
                Self::from_npy_bytes(path, &bytes, ids, ids_file)?
            }
            "safetensors" => Self::from_safetensors_bytes(path, &bytes, ids.map(|(_, i)| i))?,
            "csv" => {
                if let Some((p, _)) = ids {
                    return Err(TextError::Config(ConfigError::new(
                        "embeddings.ids",
                        format!(
                            "{} is a CSV, whose first column holds the ids; remove ids = {:?}",
                            path.display(),
                            p.display().to_string()
                        ),
                    )));
                }
                let text = super::clean::decode_lyrics_bytes(path, &bytes)?;
                Self::from_csv_str(path, &text)?
            }
            other => {
                return Err(emb_err(
                    path,
                    "file name",
                    format!(
                        "unknown extension {other:?}; expected .npy (+ id list), .safetensors or .csv"
                    ),
                ));
            }
        };
        if let Some(d) = expected_dim
            && d != table.dim
        {
            return Err(emb_err(
                path,
                "shape",
                format!(
                    "vectors have dimension {}, but text.embeddings.dim = {d}",
                    table.dim
                ),
            ));
        }
        table.content_hash = hasher.finalize().to_hex().to_string();
        Ok(table)
    }

    /// Parses a `.npy` file; `ids[i]` names row `i`.
    pub fn from_npy_bytes(
        path: &Path,
        bytes: &[u8],
        ids: Vec<String>,
        ids_path: &Path,
    ) -> Result<Self, TextError> {
        let m = parse_npy(path, bytes)?;
        if m.rows != ids.len() {
            return Err(emb_err(
                path,
                "shape",
                format!(
                    "the array has {} rows but {} lists {} ids; they must match line for row",
                    m.rows,
                    ids_path.display(),
                    ids.len()
                ),
            ));
        }
        Self::new(path, ids, m.cols, m.values)
    }

    /// Parses a `.safetensors` file; `ids` (from an id list file) override
    /// the `"ids"` metadata key.
    pub fn from_safetensors_bytes(
        path: &Path,
        bytes: &[u8],
        ids: Option<Vec<String>>,
    ) -> Result<Self, TextError> {
        use safetensors::{Dtype, SafeTensors};
        let st_err = |source| TextError::Safetensors {
            path: path.to_path_buf(),
            source,
        };
        let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(st_err)?;
        let tensors = SafeTensors::deserialize(bytes).map_err(st_err)?;
        let mut names: Vec<&str> = tensors.names();
        names.sort_unstable();
        let name = if names.contains(&"embeddings") {
            "embeddings"
        } else if names.len() == 1 {
            names[0]
        } else {
            return Err(emb_err(
                path,
                "tensors",
                format!(
                    "expected a tensor named \"embeddings\" (or exactly one tensor), found {names:?}"
                ),
            ));
        };
        let view = tensors.tensor(name).map_err(st_err)?;
        let shape = view.shape();
        if shape.len() != 2 {
            return Err(emb_err(
                path,
                format!("tensor {name:?}"),
                format!("must be 2-D [n_tracks, dim], found shape {shape:?}"),
            ));
        }
        let (rows, cols) = (shape[0], shape[1]);
        let data = view.data();
        let values: Vec<f32> = match view.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F64 => data
                .chunks_exact(8)
                .map(|c| {
                    f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                })
                .collect(),
            Dtype::F16 => data
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            Dtype::BF16 => data
                .chunks_exact(2)
                .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
                .collect(),
            other => {
                return Err(emb_err(
                    path,
                    format!("tensor {name:?}"),
                    format!("dtype {other:?} is not a float type (F32, F64, F16, BF16)"),
                ));
            }
        };
        let ids = match ids {
            Some(ids) => ids,
            None => {
                let raw = metadata
                    .metadata()
                    .as_ref()
                    .and_then(|m| m.get("ids"))
                    .ok_or_else(|| {
                        emb_err(
                            path,
                            "metadata",
                            "no track ids: store a JSON list of strings under the metadata key \"ids\", or give text.embeddings.ids",
                        )
                    })?;
                serde_json::from_str::<Vec<String>>(raw).map_err(|source| {
                    TextError::SafetensorsIds {
                        path: path.to_path_buf(),
                        source,
                    }
                })?
            }
        };
        if ids.len() != rows {
            return Err(emb_err(
                path,
                format!("tensor {name:?}"),
                format!("has {rows} rows but {} ids were given", ids.len()),
            ));
        }
        Self::new(path, ids, cols, values)
    }

    /// Parses a CSV `id,v0,v1,...` with an optional header, read by the
    /// `csv` crate: a quoted id may hold a comma or a doubled `""` quote
    /// (`"Artist, The - ""Song""",0.1,...`, as Python's `csv` module writes
    /// it); fields are whitespace-trimmed.
    pub fn from_csv_str(path: &Path, text: &str) -> Result<Self, TextError> {
        let records = csv_read::records(text, b',', None).map_err(|e| {
            emb_err(
                path,
                format!("line {}", e.line),
                format!("cannot be read as CSV: {}", e.rule),
            )
        })?;
        let mut ids = Vec::new();
        let mut values = Vec::new();
        // The line of each data row, for errors found per row.
        let mut row_lines = Vec::new();
        let mut dim: Option<usize> = None;
        for (i, record) in records.iter().enumerate() {
            let line_no = record.line;
            let fields = &record.fields;
            if i == 0 {
                let is_header = fields[0].eq_ignore_ascii_case("id")
                    || fields[1..].iter().any(|f| f.parse::<f32>().is_err());
                if is_header {
                    dim = Some(fields.len() - 1);
                    continue;
                }
            }
            let id = fields[0].as_str();
            let place = || format!("line {line_no} (id {id:?})");
            if id.is_empty() {
                return Err(emb_err(
                    path,
                    format!("line {line_no}"),
                    "the id field is empty",
                ));
            }
            let n = fields.len() - 1;
            match dim {
                None => dim = Some(n),
                Some(d) if d != n => {
                    return Err(emb_err(
                        path,
                        place(),
                        format!(
                            "expected {d} values, found {n}; every vector needs the same dimension"
                        ),
                    ));
                }
                Some(_) => {}
            }
            for (col, f) in fields[1..].iter().enumerate() {
                let v: f64 = f.parse().map_err(|_| {
                    emb_err(
                        path,
                        place(),
                        format!("value {f:?} in column v{col} is not a number"),
                    )
                })?;
                values.push(v as f32);
            }
            ids.push(id.to_owned());
            row_lines.push(line_no);
        }
        let dim = dim.unwrap_or(0);
        // Point a non-finite or duplicate error at the CSV line, which is
        // what a user can find, not at the row index.
        let table = Self::new(path, ids, dim, values);
        table.map_err(|e| match e {
            TextError::Embeddings { path, place, rule } if place.starts_with("row ") => {
                let row: usize = place[4..]
                    .split_whitespace()
                    .next()
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0);
                let line = row_lines.get(row).copied().unwrap_or(0);
                TextError::Embeddings {
                    path,
                    place: format!("line {line} ({place})"),
                    rule,
                }
            }
            other => other,
        })
    }

    /// The file the table was read from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Track ids in file order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The vector of one track.
    pub fn get(&self, id: &str) -> Option<&[f32]> {
        self.index
            .get(id)
            .map(|&r| &self.values[r * self.dim..(r + 1) * self.dim])
    }

    /// BLAKE3 of the file bytes (and the id list's), hex; empty for tables
    /// built in memory. Hash it into trial keys next to the extractor id.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// Which of `dataset_ids` have a vector, which do not, and how many
    /// vectors belong to no dataset track.
    pub fn coverage(&self, dataset_ids: &[&str]) -> EmbeddingCoverage {
        let mut missing = Vec::new();
        let mut n_found = 0;
        for id in dataset_ids {
            if self.index.contains_key(*id) {
                n_found += 1;
            } else {
                missing.push((*id).to_owned());
            }
        }
        let wanted: HashSet<&str> = dataset_ids.iter().copied().collect();
        let mut extra: Vec<&String> = self
            .ids
            .iter()
            .filter(|id| !wanted.contains(id.as_str()))
            .collect();
        extra.sort_unstable();
        EmbeddingCoverage {
            n_dataset: dataset_ids.len(),
            n_found,
            missing,
            n_extra: extra.len(),
            extra_examples: extra.into_iter().take(10).cloned().collect(),
        }
    }
}

/// Parses an id list: one id per line, surrounding whitespace trimmed,
/// trailing blank lines allowed; a blank line before the last id or a
/// repeated id is an error naming the line.
pub fn parse_id_list(path: &Path, text: &str) -> Result<Vec<String>, TextError> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let last = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |p| p + 1);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut ids = Vec::with_capacity(last);
    for (i, id) in lines[..last].iter().enumerate() {
        if id.is_empty() {
            return Err(emb_err(
                path,
                format!("line {}", i + 1),
                "the line is empty; line i must name row i of the matrix",
            ));
        }
        if let Some(prev) = seen.insert(id, i + 1) {
            return Err(emb_err(
                path,
                format!("line {}", i + 1),
                format!("id {id:?} already appears on line {prev}; ids must be unique"),
            ));
        }
        ids.push((*id).to_owned());
    }
    Ok(ids)
}

/// A 2-D float array read from `.npy`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyMatrix {
    pub rows: usize,
    pub cols: usize,
    /// `[rows, cols]`, row-major, converted to `f32`.
    pub values: Vec<f32>,
}

/// Parses a NumPy `.npy` file (format versions 1.0, 2.0, 3.0; see
/// `numpy.lib.format`) holding a 2-D `float16`/`float32`/`float64` array.
pub fn parse_npy(path: &Path, bytes: &[u8]) -> Result<NpyMatrix, TextError> {
    let err = |rule: String| emb_err(path, "header", rule);
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(err(
            "not a .npy file (the magic string \\x93NUMPY is missing)".into(),
        ));
    }
    let major = bytes[6];
    let (header_len, start): (usize, usize) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(err("truncated header".into()));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(err(format!("unsupported .npy format version {v}"))),
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| err("truncated header".into()))?;
    let header = String::from_utf8_lossy(&bytes[start..end]);
    let descr = header_str_value(&header, "descr")
        .ok_or_else(|| err(format!("no 'descr' in header {header:?}")))?;
    let fortran = match header_raw_value(&header, "fortran_order") {
        Some(v) if v.starts_with("True") => true,
        Some(v) if v.starts_with("False") => false,
        _ => return Err(err(format!("no 'fortran_order' in header {header:?}"))),
    };
    let shape = header_shape(&header)
        .ok_or_else(|| err(format!("no readable 'shape' in header {header:?}")))?;
    if shape.len() != 2 {
        return Err(err(format!(
            "the array must be 2-D [n_tracks, dim], found shape {shape:?}"
        )));
    }
    let (rows, cols) = (shape[0], shape[1]);
    let (big_endian, kind) = descr.split_at(1);
    let big_endian = match big_endian {
        "<" | "|" | "=" => false,
        ">" => true,
        _ => return Err(err(format!("unsupported dtype {descr:?}"))),
    };
    let item = match kind {
        "f2" => 2,
        "f4" => 4,
        "f8" => 8,
        _ => {
            return Err(err(format!(
                "dtype {descr:?} is not float16, float32 or float64"
            )));
        }
    };
    let data = &bytes[end..];
    let need = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(item))
        .ok_or_else(|| err(format!("shape {shape:?} is too large")))?;
    if data.len() != need {
        return Err(emb_err(
            path,
            "data",
            format!(
                "shape {shape:?} of {descr} needs {need} bytes of data, found {}",
                data.len()
            ),
        ));
    }
    let read: Vec<f32> = data
        .chunks_exact(item)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..item].copy_from_slice(c);
            if big_endian {
                b[..item].reverse();
            }
            match item {
                2 => f16_to_f32(u16::from_le_bytes([b[0], b[1]])),
                4 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                _ => f64::from_le_bytes(b) as f32,
            }
        })
        .collect();
    let values = if fortran {
        // Column-major on disk: element (r, c) at c * rows + r.
        let mut v = vec![0.0f32; read.len()];
        for c in 0..cols {
            for r in 0..rows {
                v[r * cols + c] = read[c * rows + r];
            }
        }
        v
    } else {
        read
    };
    Ok(NpyMatrix { rows, cols, values })
}

/// The text after `'key':` in a `.npy` header dict, left-trimmed.
fn header_raw_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    for quote in ['\'', '"'] {
        let pat = format!("{quote}{key}{quote}");
        if let Some(p) = header.find(&pat) {
            let rest = header[p + pat.len()..].trim_start();
            return rest.strip_prefix(':').map(str::trim_start);
        }
    }
    None
}

fn header_str_value(header: &str, key: &str) -> Option<String> {
    let rest = header_raw_value(header, key)?;
    let q = rest.chars().next()?;
    if q != '\'' && q != '"' {
        return None;
    }
    let body = &rest[1..];
    body.find(q).map(|e| body[..e].to_owned())
}

fn header_shape(header: &str) -> Option<Vec<usize>> {
    let rest = header_raw_value(header, "shape")?.strip_prefix('(')?;
    let inner = &rest[..rest.find(')')?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse().ok())
        .collect()
}

/// IEEE 754 binary16 -> binary32.
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f32;
    let v = match exp {
        0 => frac * 2f32.powi(-24),
        31 if frac == 0.0 => f32::INFINITY,
        31 => f32::NAN,
        e => (1.0 + frac / 1024.0) * 2f32.powi(e - 15),
    };
    sign * v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversion_matches_known_values() {
        assert_eq!(f16_to_f32(0x3C00), 1.0);
        assert_eq!(f16_to_f32(0xC000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7C00).is_infinite());
    }

    #[test]
    fn id_list_rejects_gaps_and_duplicates() {
        let p = Path::new("ids.txt");
        assert_eq!(parse_id_list(p, "a\nb\n\n").unwrap(), ["a", "b"]);
        let e = parse_id_list(p, "a\n\nb").unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = parse_id_list(p, "a\nb\na").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn csv_errors_name_the_line() {
        let p = Path::new("e.csv");
        let e = EmbeddingTable::from_csv_str(p, "id,v0,v1\na,1,2\nb,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("expected 2 values, found 1"),
            "{e}"
        );
        let e = EmbeddingTable::from_csv_str(p, "a,1,2\nb,1,nan\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("not finite"), "{e}");
        let e = EmbeddingTable::from_csv_str(p, "id,v0\na,1\na,2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("unique"), "{e}");
    }

    #[test]
    fn coverage_counts_missing_and_extra() {
        let t = EmbeddingTable::new(
            Path::new("m"),
            vec!["a".into(), "b".into(), "z".into()],
            1,
            vec![1.0, 2.0, 3.0],
        )
        .unwrap();
        let c = t.coverage(&["b", "c", "a"]);
        assert_eq!(c.n_found, 2);
        assert_eq!(c.missing, ["c"]);
        assert_eq!(c.n_extra, 1);
        assert_eq!(c.extra_examples, ["z"]);
    }
}
