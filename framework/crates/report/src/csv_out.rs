//! The CSV every file and listing of mer-report writes (`results.csv`,
//! `comparisons.csv`, `--format csv` listings), through the `csv` crate.
//!
//! The writer is configured to give the bytes the earlier hand-written
//! writer gave, so reports regenerated from the same store stay
//! byte-identical:
//! - `,` between fields and `\n` after every record (not the RFC's `\r\n`);
//! - [`csv::QuoteStyle::Necessary`]: a field is quoted only when it holds a
//!   `,`, a `"` or a line break, and a `"` inside it is doubled (`a "b"` ->
//!   `"a ""b"""`), exactly the old rule. Two cases no report writes differ:
//!   a field holding a bare `\r` is now quoted too (unquoted, a reader would
//!   end the record there), and a record of one empty field is written `""`
//!   (a blank line would read as no record);
//! - flexible: records need not all have the header's length (the old
//!   writer never checked either);
//! - fields are written as given: callers format numbers as before (`{}` of
//!   an `f64`), so no digit changes.

/// A CSV document built in memory.
pub(crate) struct CsvOut(csv::Writer<Vec<u8>>);

impl CsvOut {
    pub fn new() -> CsvOut {
        CsvOut(
            csv::WriterBuilder::new()
                .delimiter(b',')
                .terminator(csv::Terminator::Any(b'\n'))
                .quote_style(csv::QuoteStyle::Necessary)
                .quote(b'"')
                .double_quote(true)
                .flexible(true)
                .has_headers(false)
                .from_writer(Vec::new()),
        )
    }

    /// Writes one record (a header is a record like any other).
    pub fn record<I, T>(&mut self, fields: I)
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        // Writing into a Vec cannot fail, and a flexible writer accepts any
        // record length.
        self.0
            .write_record(fields)
            .expect("writing CSV into memory cannot fail");
    }

    /// The document written so far.
    pub fn finish(self) -> String {
        let bytes = self
            .0
            .into_inner()
            .expect("flushing CSV into memory cannot fail");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written quoting every report CSV used before the `csv`
    /// crate, kept as the reference the writer must reproduce.
    fn old_csv_field(s: &str) -> String {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    fn old_record(fields: &[&str]) -> String {
        let mut s = fields
            .iter()
            .map(|f| old_csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
        s.push('\n');
        s
    }

    #[test]
    fn writes_what_the_hand_written_writer_wrote() {
        let fields = [
            "",
            "plain",
            " spaced ",
            "a,b",
            "say \"hi\"",
            "\"",
            "\"\"",
            "line\nbreak",
            "trailing,",
            ",leading",
            "'single'",
            "tab\there",
            "#hash",
            "0.30000000000000004",
            "-1.5e-7",
            "NaN",
            "inf",
            "{\"c\": 0.5, \"kernel\": \"rbf\"}",
            "audio/svm/mood/classification",
            "élan ± 95 %",
            "x;y|z",
        ];
        // Every field alone beside another (one-field records aside), and
        // every pair, as a whole document.
        let mut w = CsvOut::new();
        let mut expect = String::new();
        for a in fields {
            for b in fields {
                w.record([a, b]);
                expect.push_str(&old_record(&[a, b]));
            }
        }
        w.record(fields);
        expect.push_str(&old_record(&fields));
        assert_eq!(w.finish(), expect);
    }

    #[test]
    fn the_two_documented_differences() {
        let mut w = CsvOut::new();
        w.record(["a\rb", "c"]);
        w.record([""]);
        assert_eq!(w.finish(), "\"a\rb\",c\n\"\"\n");
    }
}
