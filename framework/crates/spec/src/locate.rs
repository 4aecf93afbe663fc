//! Where things are in a TOML file: key paths <-> line:column.
//!
//! serde tells us *what* is wrong with a spec; this module tells the user
//! *where*: every key and value of the parsed document is indexed with its
//! byte span, so an error can be reported as `file:line:col: key.path: ...`
//! both for a [`KeyPath`] (validation errors) and for a byte offset (serde and
//! syntax errors).

use std::ops::Range;

use mer_core::KeyPath;
use toml_edit::{Document, Item, Value};

/// One indexed key or value.
#[derive(Debug, Clone)]
struct Entry {
    /// `sweep.architecture[2]`, `sweep.exclude[0].task`.
    path: KeyPath,
    /// The key's span (for array elements: the element's span).
    key: Option<Range<usize>>,
    /// The value's span (for tables: the header's span).
    value: Option<Range<usize>>,
}

/// Index of a TOML text's keys and values by path and position.
#[derive(Debug, Clone)]
pub struct Locator {
    text: String,
    entries: Vec<Entry>,
}

impl Locator {
    /// Indexes `text`. A text that is not valid TOML gives an empty index
    /// (its syntax error carries its own position).
    pub fn new(text: &str) -> Locator {
        let mut entries = Vec::new();
        if let Ok(doc) = Document::parse(text.to_string()) {
            walk_table(doc.as_table(), &KeyPath::root(), &mut entries);
        }
        Locator {
            text: text.to_string(),
            entries,
        }
    }

    /// 1-based line and column of a byte offset (column counts characters).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// Position of a key path: the value's position where it has one (so an
    /// error points at the offending value), else the key's.
    pub fn find(&self, path: &KeyPath) -> Option<(usize, usize)> {
        self.find_span(path).map(|s| self.line_col(s.start))
    }

    /// Position of a key path's KEY (for "this key is not allowed here").
    pub fn find_key(&self, path: &KeyPath) -> Option<(usize, usize)> {
        let e = self.entries.iter().find(|e| &e.path == path)?;
        e.key
            .clone()
            .or_else(|| e.value.clone())
            .map(|s| self.line_col(s.start))
    }

    fn find_span(&self, path: &KeyPath) -> Option<Range<usize>> {
        let e = self.entries.iter().find(|e| &e.path == path)?;
        e.value.clone().or_else(|| e.key.clone())
    }

    /// Position of `path`, or of its nearest ancestor that is in the file
    /// (a missing key is reported at the table that should hold it).
    pub fn find_or_parent(&self, path: &KeyPath) -> (usize, usize) {
        let mut p = Some(path.clone());
        while let Some(at) = p {
            if let Some(pos) = self.find(&at) {
                return pos;
            }
            p = at.parent();
        }
        (1, 1)
    }

    /// The deepest key path whose key or value span contains `offset`.
    pub fn path_at(&self, offset: usize) -> Option<KeyPath> {
        self.entries
            .iter()
            .filter(|e| {
                [&e.key, &e.value]
                    .into_iter()
                    .flatten()
                    .any(|s| s.start <= offset && offset < s.end.max(s.start + 1))
            })
            .max_by_key(|e| e.path.segments().len())
            .map(|e| e.path.clone())
    }
}

impl Locator {
    /// The key path written at a byte span of a text that may not parse
    /// (a duplicate key): the nearest table header above it, then the key
    /// text at the span. `None` when the span does not hold a key.
    pub fn written_key_at(&self, span: std::ops::Range<usize>) -> Option<KeyPath> {
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(&self.text, span.end.min(self.text.len()));
        let word = self.text.get(start..end)?.trim();
        let bare = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
        };
        if !bare(word) {
            return None;
        }
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        if self.text[line_start..start].trim_start().starts_with('[') {
            // The span is inside a table header: the header is the key.
            return Some(KeyPath::parse(word));
        }
        let header = self.text[..line_start]
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map(|l| {
                l.trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim()
            })
            .unwrap_or("");
        Some(KeyPath::parse(header).join(&KeyPath::parse(word)))
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn walk_table(table: &toml_edit::Table, prefix: &KeyPath, out: &mut Vec<Entry>) {
    for (k, _) in table.iter() {
        let Some((k_, item)) = table.get_key_value(k) else {
            continue;
        };
        walk_item(item, &prefix.child(k), k_.span(), out);
    }
}

fn walk_item(item: &Item, path: &KeyPath, key_span: Option<Range<usize>>, out: &mut Vec<Entry>) {
    match item {
        Item::None => {}
        Item::Value(v) => walk_value(v, path, key_span, out),
        Item::Table(t) => {
            out.push(Entry {
                path: path.clone(),
                key: key_span,
                value: t.span(),
            });
            walk_table(t, path, out);
        }
        Item::ArrayOfTables(a) => {
            out.push(Entry {
                path: path.clone(),
                key: key_span,
                value: a.span(),
            });
            for (i, t) in a.iter().enumerate() {
                let p = path.element(i);
                out.push(Entry {
                    path: p.clone(),
                    key: t.span(),
                    value: t.span(),
                });
                walk_table(t, &p, out);
            }
        }
    }
}

fn walk_value(v: &Value, path: &KeyPath, key_span: Option<Range<usize>>, out: &mut Vec<Entry>) {
    out.push(Entry {
        path: path.clone(),
        key: key_span,
        value: v.span(),
    });
    match v {
        Value::Array(a) => {
            for (i, el) in a.iter().enumerate() {
                walk_value(el, &path.element(i), el.span(), out);
            }
        }
        Value::InlineTable(t) => {
            for (k, _) in t.iter() {
                if let Some((k_, item)) = t.get_key_value(k) {
                    walk_item(item, &path.child(k), k_.span(), out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"[experiment]
name = "x"

[sweep]
architecture = ["svm", "cnn3d"]
train.lr = [0.1, 0.01]

[[sweep.exclude]]
task = "regression"
"#;

    fn p(written: &str) -> KeyPath {
        KeyPath::parse(written)
    }

    #[test]
    fn finds_values_keys_and_array_elements_by_path() {
        let l = Locator::new(TEXT);
        assert_eq!(l.find(&p("experiment.name")), Some((2, 8)));
        assert_eq!(l.find_key(&p("experiment.name")), Some((2, 1)));
        assert_eq!(l.find(&p("sweep.architecture[1]")), Some((5, 24)));
        assert_eq!(l.find(&p("sweep.train.lr")), Some((6, 12)));
        assert_eq!(l.find(&p("sweep.exclude[0].task")), Some((9, 8)));
        assert_eq!(l.find(&p("sweep.nothing")), None);
        assert_eq!(l.find_or_parent(&p("sweep.nothing.deeper")), (4, 1));
    }

    #[test]
    fn maps_offsets_back_to_the_deepest_path() {
        let l = Locator::new(TEXT);
        let offset = TEXT.find("cnn3d").unwrap();
        assert_eq!(l.path_at(offset), Some(p("sweep.architecture[1]")));
        let offset = TEXT.find("regression").unwrap();
        assert_eq!(l.path_at(offset), Some(p("sweep.exclude[0].task")));
    }

    #[test]
    fn names_the_key_at_a_span_of_a_text_that_does_not_parse() {
        let text = "[model.svm]\nc = 1\nc = 2\n[[sweep.exclude]]\ntask = \"x\"\n";
        let l = Locator::new(text);
        let second_c = text.rfind("c =").unwrap();
        assert_eq!(
            l.written_key_at(second_c..second_c + 1),
            Some(p("model.svm.c"))
        );
        let header = text.find("model.svm").unwrap();
        assert_eq!(l.written_key_at(header..header + 9), Some(p("model.svm")));
        let task = text.find("task").unwrap();
        assert_eq!(
            l.written_key_at(task..task + 4),
            Some(p("sweep.exclude.task"))
        );
        assert_eq!(l.written_key_at(0..1), None, "a bracket is not a key");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let l = Locator::new("a = \"é\"\nb = 1\n");
        assert_eq!(l.line_col(l.find_span(&p("b")).unwrap().start), (2, 5));
        let l = Locator::new("[x]\n\"ké y\" = \"é\" \nz = 2\n");
        assert_eq!(l.find(&p("x.z")), Some((3, 5)));
        assert_eq!(l.find_key(&p("x.\"ké y\"")), Some((2, 1)));
    }
}
