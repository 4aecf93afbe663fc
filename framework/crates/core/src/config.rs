//! The one configuration error: which key, which rule, and (once the caller
//! knows the file) where.
//!
//! Every `validate()` in `mer` returns a [`ConfigError`] whose key is
//! relative to the table the validated type is read from: `TrainConfig`
//! names `lr`, `AudioFeatureConfig` names `sample_rate`. Whoever embeds a
//! table prefixes its own name with [`ConfigError::within`], so a key's name
//! is written once, where its rule is checked, and the full path
//! (`train.lr`, `features.audio.sample_rate`) is built by the nesting
//! itself. The spec adds the position ([`ConfigError::at`]) from its index
//! of the file.
//!
//! Serde errors become `ConfigError`s through [`deserialize`], which records
//! the path serde walked (`serde_path_to_error`) instead of guessing it from
//! the message.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A path of keys from a table down to a value: `model.svm.c`,
/// `sweep.exclude[1].task`. Empty for the whole document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPath(Vec<Segment>);

impl KeyPath {
    /// The empty path (the whole table).
    pub fn root() -> KeyPath {
        KeyPath(Vec::new())
    }

    /// Parses the written form: keys separated by `.`, array indices as
    /// `[i]`, keys that are not bare TOML keys in double quotes
    /// (`sweep."model.svm.c"`). An empty string is the root.
    pub fn parse(dotted: &str) -> KeyPath {
        let mut out = Vec::new();
        let mut chars = dotted.chars().peekable();
        let mut key = String::new();
        let mut has_key = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    for q in chars.by_ref() {
                        if q == '"' {
                            break;
                        }
                        key.push(q);
                    }
                    has_key = true;
                }
                '.' => {
                    if has_key {
                        out.push(Segment::Key(std::mem::take(&mut key)));
                        has_key = false;
                    }
                }
                '[' => {
                    if has_key {
                        out.push(Segment::Key(std::mem::take(&mut key)));
                        has_key = false;
                    }
                    let mut digits = String::new();
                    for d in chars.by_ref() {
                        if d == ']' {
                            break;
                        }
                        digits.push(d);
                    }
                    match digits.trim().parse() {
                        Ok(i) => out.push(Segment::Index(i)),
                        Err(_) => out.push(Segment::Key(format!("[{digits}]"))),
                    }
                }
                c => {
                    key.push(c);
                    has_key = true;
                }
            }
        }
        if has_key {
            out.push(Segment::Key(key));
        }
        KeyPath(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// `self` followed by `rest`.
    pub fn join(&self, rest: &KeyPath) -> KeyPath {
        KeyPath(self.0.iter().chain(&rest.0).cloned().collect())
    }

    /// This path followed by the table key `key`.
    pub fn child(&self, key: impl Into<String>) -> KeyPath {
        let mut out = self.clone();
        out.0.push(Segment::Key(key.into()));
        out
    }

    /// This path followed by the array index `i`.
    pub fn element(&self, i: usize) -> KeyPath {
        let mut out = self.clone();
        out.0.push(Segment::Index(i));
        out
    }

    /// The path without its last step (`None` for the root).
    pub fn parent(&self) -> Option<KeyPath> {
        let (_, up) = self.0.split_last()?;
        Some(KeyPath(up.to_vec()))
    }

    /// Does this path lie at or under `prefix`?
    pub fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The key of the last step, if it is a table key.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }
}

fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare(k) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "\"{k}\"")?;
                    }
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl From<Vec<Segment>> for KeyPath {
    fn from(segments: Vec<Segment>) -> KeyPath {
        KeyPath(segments)
    }
}

impl From<&KeyPath> for KeyPath {
    fn from(p: &KeyPath) -> KeyPath {
        p.clone()
    }
}

impl From<&str> for KeyPath {
    fn from(s: &str) -> KeyPath {
        KeyPath::parse(s)
    }
}

/// Where in a file a problem is (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A configuration value that breaks a rule: `key.path: rule`, prefixed by
/// `file:line:col: ` once the position is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigError {
    key: KeyPath,
    rule: String,
    position: Option<Position>,
}

impl ConfigError {
    /// `key` (written form, relative to the validated table) breaks `rule`.
    pub fn new(key: impl Into<KeyPath>, rule: impl Into<String>) -> ConfigError {
        ConfigError {
            key: key.into(),
            rule: rule.into(),
            position: None,
        }
    }

    /// `key` holds `value`, which breaks `rule`: the rule reads
    /// `"{rule} (found {value})"`.
    pub fn found(
        key: impl Into<KeyPath>,
        value: impl fmt::Display,
        rule: impl fmt::Display,
    ) -> ConfigError {
        ConfigError::new(key, format!("{rule} (found {value})"))
    }

    /// A problem of the table as a whole (no key).
    pub fn whole(rule: impl Into<String>) -> ConfigError {
        ConfigError::new(KeyPath::root(), rule)
    }

    /// The same error seen from the table that holds this one at `table`
    /// (written form: `features.audio`).
    #[must_use]
    pub fn within(mut self, table: impl Into<KeyPath>) -> ConfigError {
        self.key = table.into().join(&self.key);
        self
    }

    /// The same error, placed in a file.
    #[must_use]
    pub fn at(mut self, position: Position) -> ConfigError {
        self.position = Some(position);
        self
    }

    /// The key path (empty: the whole table).
    pub fn key(&self) -> &KeyPath {
        &self.key
    }

    /// The rule broken, in words.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// A serde error with the path serde walked to it; the rule is the
    /// deserializer's own message (its `Display`).
    pub fn from_serde<E: fmt::Display>(e: serde_path_to_error::Error<E>) -> ConfigError {
        ConfigError::from_serde_with(e, |inner| inner.to_string())
    }

    /// A serde error with the path serde walked to it; the rule is
    /// `message(inner error)`.
    pub fn from_serde_with<E>(
        e: serde_path_to_error::Error<E>,
        message: impl FnOnce(&E) -> String,
    ) -> ConfigError {
        let key = KeyPath(
            e.path()
                .iter()
                .filter_map(|s| match s {
                    serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
                    serde_path_to_error::Segment::Enum { variant } => {
                        Some(Segment::Key(variant.clone()))
                    }
                    serde_path_to_error::Segment::Unknown => None,
                })
                .collect(),
        );
        let rule = message(e.inner()).trim().to_string();
        ConfigError::new(key, rule)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.position {
            write!(f, "{p}: ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.rule)
    }
}

impl std::error::Error for ConfigError {}

/// Reads `T` from a TOML value, reporting a failure at the key path where it
/// happened, with `toml`'s message (without the `in `key`` context it
/// appends: the key path says where).
pub fn from_toml<T: serde::de::DeserializeOwned>(value: toml::Value) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| ConfigError::from_serde_with(e, |inner| inner.message().to_string()))
}

/// Deserialises `T`, reporting a failure at the key path where it happened.
pub fn deserialize<'de, D, T>(deserializer: D) -> Result<T, ConfigError>
where
    D: Deserializer<'de>,
    D::Error: fmt::Display,
    T: Deserialize<'de>,
{
    serde_path_to_error::deserialize(deserializer).map_err(ConfigError::from_serde)
}
