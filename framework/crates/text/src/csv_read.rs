//! The CSV reading behind the lexicon and the embeddings `.csv` readers,
//! through the `csv` crate: RFC 4180 quoting, so a field in double quotes may
//! hold the delimiter, a line break or a doubled `""` quote
//! (`"rock, ""n"" roll"` is the one field `rock, "n" roll`).
//!
//! Each record comes with the 1-based line it starts on, computed from byte
//! offsets (the `csv` crate's own line counter does not count the blank and
//! comment lines it skips), so errors keep naming the line a user can find.

use std::ops::Range;

/// One record: the line it starts on and its fields, whitespace-trimmed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A record that cannot be read, with the line it starts on and why.
#[derive(Debug)]
pub(crate) struct ReadError {
    pub line: usize,
    pub rule: String,
}

/// Reads every record of `text` (a header, if any, is the first record).
///
/// Rows may have different numbers of fields (the callers check and report
/// it by line). Skipped, as the hand-written readers did: records whose text
/// is only whitespace, and with `comment` set, lines whose first non-blank
/// character is `comment` (unless that character is inside a quoted field).
pub(crate) fn records(
    text: &str,
    delimiter: u8,
    comment: Option<u8>,
) -> Result<Vec<Record>, ReadError> {
    let bytes = text.as_bytes();
    if let Some(line) = mer_core::quotes::unterminated_quote(bytes, delimiter, comment) {
        return Err(ReadError {
            line,
            rule: "a quote opens a field here and is never closed; it would swallow every row after it"
                .into(),
        });
    }
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_of = |at: usize| newlines.partition_point(|&nl| nl < at) + 1;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .comment(comment)
        .from_reader(bytes);
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let from = reader.position().byte() as usize;
        let more = reader
            .read_record(&mut record)
            .map_err(|source| ReadError {
                line: line_of(record_start(bytes, from, comment)),
                rule: source.to_string(),
            })?;
        if !more {
            break;
        }
        let raw = record_start(bytes, from, comment)..reader.position().byte() as usize;
        if is_skipped(text, raw.clone(), comment) {
            continue;
        }
        out.push(Record {
            line: line_of(raw.start),
            fields: record.iter().map(|f| f.trim().to_owned()).collect(),
        });
    }
    Ok(out)
}

/// The byte where the record read from `from` on starts: past the line
/// breaks ending the previous record, blank lines and (column-0) comment
/// lines, all of which the `csv` crate skips before a record.
fn record_start(bytes: &[u8], mut at: usize, comment: Option<u8>) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\r' | b'\n' => at += 1,
            b if Some(b) == comment => {
                at = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |p| at + p + 1);
            }
            _ => break,
        }
    }
    at
}

/// Whether the record's text is blank, or an indented comment line (the
/// `csv` crate only knows comments that start in column 0).
fn is_skipped(text: &str, raw: Range<usize>, comment: Option<u8>) -> bool {
    let raw = text.get(raw).unwrap_or("").trim();
    raw.is_empty() || comment.is_some_and(|c| raw.as_bytes()[0] == c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, comment: Option<u8>) -> Vec<(usize, Vec<String>)> {
        records(text, b',', comment)
            .unwrap()
            .into_iter()
            .map(|r| (r.line, r.fields))
            .collect()
    }

    fn row(line: usize, fields: &[&str]) -> (usize, Vec<String>) {
        (line, fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn quoted_fields_and_line_numbers() {
        let text = "a, b ,c\r\n\r\n  \n\"x,1\",\"say \"\"hi\"\"\"\n\"multi\nline\",2\nlast,3";
        assert_eq!(
            read(text, None),
            [
                row(1, &["a", "b", "c"]),
                row(4, &["x,1", "say \"hi\""]),
                row(5, &["multi\nline", "2"]),
                row(7, &["last", "3"]),
            ]
        );
    }

    #[test]
    fn comments_are_skipped_unless_quoted() {
        let text = "# note, \"odd\n  # indented\nw,1\n\"#tag\",2\n";
        assert_eq!(
            read(text, Some(b'#')),
            [row(3, &["w", "1"]), row(4, &["#tag", "2"])]
        );
        // Without comments, `#` is data.
        assert_eq!(read("#a,1\n", None), [row(1, &["#a", "1"])]);
    }

    #[test]
    fn an_unclosed_quote_is_refused_at_its_line() {
        let e = records(
            "w,v,a\nhappy,0.9,0.5\n\"sad,0.1,0.2\ncalm,0.6,0.1\n",
            b',',
            None,
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.rule.contains("never closed"), "{}", e.rule);
        // A quote inside a comment line opens nothing.
        assert!(records("# \"note\nw,1\n", b',', Some(b'#')).is_ok());
    }
}
