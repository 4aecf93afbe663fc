//! Where things are in a TOML file: key paths <-> line:column.
//!
//! serde tells us *what* is wrong with a spec; this module tells the user
//! *where*: every key and value of the parsed document is indexed with its
//! byte span, so an error can be reported as `file:line:col: key.path: ...`
//! both for a key path (validation errors) and for a byte offset (serde and
//! syntax errors).

use std::ops::Range;

use toml_edit::{Document, Item, Value};

/// One indexed key or value.
#[derive(Debug, Clone)]
struct Entry {
    /// `sweep.architecture[2]`, `sweep.exclude[0].task`.
    path: String,
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
            walk_table(doc.as_table(), "", &mut entries);
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
    pub fn find(&self, path: &str) -> Option<(usize, usize)> {
        self.find_span(path).map(|s| self.line_col(s.start))
    }

    /// Position of a key path's KEY (for "this key is not allowed here").
    pub fn find_key(&self, path: &str) -> Option<(usize, usize)> {
        let e = self.entries.iter().find(|e| e.path == path)?;
        e.key
            .clone()
            .or_else(|| e.value.clone())
            .map(|s| self.line_col(s.start))
    }

    fn find_span(&self, path: &str) -> Option<Range<usize>> {
        let e = self.entries.iter().find(|e| e.path == path)?;
        e.value.clone().or_else(|| e.key.clone())
    }

    /// Position of `path`, or of its nearest ancestor that is in the file
    /// (a missing key is reported at the table that should hold it).
    pub fn find_or_parent(&self, path: &str) -> (usize, usize) {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.find(&p) {
                return pos;
            }
            match parent(&p) {
                Some(up) => p = up,
                None => return (1, 1),
            }
        }
    }

    /// The deepest key path whose key or value span contains `offset`.
    pub fn path_at(&self, offset: usize) -> Option<String> {
        self.entries
            .iter()
            .filter(|e| {
                [&e.key, &e.value]
                    .into_iter()
                    .flatten()
                    .any(|s| s.start <= offset && offset < s.end.max(s.start + 1))
            })
            .max_by_key(|e| e.path.len())
            .map(|e| e.path.clone())
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> None.
fn parent(path: &str) -> Option<String> {
    if path.ends_with(']') {
        return path.rfind('[').map(|i| path[..i].to_string());
    }
    path.rfind('.').map(|i| path[..i].to_string())
}

fn join(prefix: &str, key: &str) -> String {
    let key = if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        format!("\"{key}\"")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

fn walk_table(table: &toml_edit::Table, prefix: &str, out: &mut Vec<Entry>) {
    for (k, _) in table.iter() {
        let Some((key, item)) = table.get_key_value(k) else {
            continue;
        };
        let path = join(prefix, k);
        walk_item(item, &path, key.span(), out);
    }
}

fn walk_item(item: &Item, path: &str, key: Option<Range<usize>>, out: &mut Vec<Entry>) {
    match item {
        Item::None => {}
        Item::Value(v) => walk_value(v, path, key, out),
        Item::Table(t) => {
            out.push(Entry {
                path: path.to_string(),
                key,
                value: t.span(),
            });
            walk_table(t, path, out);
        }
        Item::ArrayOfTables(a) => {
            out.push(Entry {
                path: path.to_string(),
                key,
                value: a.span(),
            });
            for (i, t) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
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

fn walk_value(v: &Value, path: &str, key: Option<Range<usize>>, out: &mut Vec<Entry>) {
    out.push(Entry {
        path: path.to_string(),
        key,
        value: v.span(),
    });
    match v {
        Value::Array(a) => {
            for (i, el) in a.iter().enumerate() {
                walk_value(el, &format!("{path}[{i}]"), el.span(), out);
            }
        }
        Value::InlineTable(t) => {
            for (k, _) in t.iter() {
                if let Some((key, item)) = t.get_key_value(k) {
                    walk_item(item, &join(path, k), key.span(), out);
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

    #[test]
    fn finds_values_keys_and_array_elements_by_path() {
        let l = Locator::new(TEXT);
        assert_eq!(l.find("experiment.name"), Some((2, 8)));
        assert_eq!(l.find_key("experiment.name"), Some((2, 1)));
        assert_eq!(l.find("sweep.architecture[1]"), Some((5, 24)));
        assert_eq!(l.find("sweep.train.lr"), Some((6, 12)));
        assert_eq!(l.find("sweep.exclude[0].task"), Some((9, 8)));
        assert_eq!(l.find("sweep.nothing"), None);
        assert_eq!(l.find_or_parent("sweep.nothing.deeper"), (4, 1));
    }

    #[test]
    fn maps_offsets_back_to_the_deepest_path() {
        let l = Locator::new(TEXT);
        let offset = TEXT.find("cnn3d").unwrap();
        assert_eq!(l.path_at(offset).as_deref(), Some("sweep.architecture[1]"));
        let offset = TEXT.find("regression").unwrap();
        assert_eq!(l.path_at(offset).as_deref(), Some("sweep.exclude[0].task"));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let l = Locator::new("a = \"é\"\nb = 1\n");
        assert_eq!(l.line_col(l.find_span("b").unwrap().start), (2, 5));
        let l = Locator::new("[x]\n\"ké y\" = \"é\" \nz = 2\n");
        assert_eq!(l.find("x.z"), Some((3, 5)));
        assert_eq!(l.find_key("x.\"ké y\""), Some((2, 1)));
    }
}
