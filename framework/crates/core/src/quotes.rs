//! The one check the `csv` crate does not make: a quote that opens a field
//! and is never closed. The crate reads such a field to the end of the file,
//! so one stray `"` in a manifest silently swallows every row after it. Every
//! CSV reader of `mer` (manifests, importers, lexicons, embeddings) asks
//! [`unterminated_quote`] first and refuses the file, naming the line.

/// The 1-based line of a quote that opens a field and is never closed, read
/// as the `csv` crate reads (RFC 4180: a quote opens a field only at its
/// start; `""` inside a quoted field is one quote). Lines whose first byte is
/// `comment` are skipped, as the crate skips them.
pub fn unterminated_quote(bytes: &[u8], delimiter: u8, comment: Option<u8>) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        LineStart,
        FieldStart,
        Unquoted,
        Comment,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::LineStart;
    let mut line = 1;
    let mut opened_on = 0;
    for &b in bytes {
        state = match (state, b) {
            (State::LineStart, c) if Some(c) == comment => State::Comment,
            (State::Comment, b'\n') => State::LineStart,
            (State::Comment, _) => State::Comment,
            (State::LineStart | State::FieldStart, b'"') => {
                opened_on = line;
                State::Quoted
            }
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b'\n') => State::LineStart,
            (_, c) if c == delimiter => State::FieldStart,
            (State::QuoteInQuoted | State::LineStart | State::FieldStart | State::Unquoted, _) => {
                State::Unquoted
            }
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(opened_on)
}
