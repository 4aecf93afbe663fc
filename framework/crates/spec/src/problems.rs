//! Why a spec cannot run: every problem at once, each a [`ConfigError`]
//! placed in the file (`file:line:col: key.path: rule`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mer_core::{ConfigError, KeyPath, Position};

use crate::locate::Locator;

/// Why a spec cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{}: cannot read the spec: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Every problem found, each with its position in the file.
    #[error("{}", render_problems(.0))]
    Invalid(Vec<ConfigError>),
}

impl SpecError {
    /// The problems found, if the spec was read.
    pub fn problems(&self) -> &[ConfigError] {
        match self {
            SpecError::Invalid(p) => p,
            SpecError::Read { .. } => &[],
        }
    }
}

fn render_problems(problems: &[ConfigError]) -> String {
    let mut s = problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    if problems.len() > 1 {
        s.push_str(&format!("\n({} problems)", problems.len()));
    }
    s
}

/// Collects problems and places each in the file.
pub(crate) struct Problems<'a> {
    file: PathBuf,
    pub(crate) locator: &'a Locator,
    list: Vec<ConfigError>,
}

impl<'a> Problems<'a> {
    pub(crate) fn new(file: &Path, locator: &'a Locator) -> Self {
        Problems {
            file: file.to_path_buf(),
            locator,
            list: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// A problem at a given line and column.
    pub(crate) fn push_at(&mut self, (line, column): (usize, usize), e: ConfigError) {
        self.list.push(e.at(Position {
            file: self.file.clone(),
            line,
            column,
        }));
    }

    /// `key` breaks `rule`, placed at the key's value (or its nearest
    /// ancestor in the file: a missing key is reported at the table that
    /// should hold it).
    pub(crate) fn at(&mut self, key: &str, rule: &str) {
        self.error(ConfigError::new(key, rule));
    }

    /// A problem placed at its key's value, or nearest ancestor.
    pub(crate) fn error(&mut self, e: ConfigError) {
        let pos = self.locator.find_or_parent(e.key());
        self.push_at(pos, e);
    }

    /// A problem found while reading a table (unknown key, wrong type):
    /// placed at the key itself where the file has it.
    pub(crate) fn read_error(&mut self, e: ConfigError) {
        let pos = self
            .locator
            .find_key(e.key())
            .unwrap_or_else(|| self.locator.find_or_parent(e.key()));
        self.push_at(pos, e);
    }

    /// A problem in a resolved setting (keys named from the spec's root):
    /// at the sweep's list if the setting, or a table holding it, was swept
    /// (`sweep.model.svm.c: value -3.0: ...`), else at the setting itself.
    pub(crate) fn at_sweep_or_base(
        &mut self,
        e: ConfigError,
        params: &BTreeMap<String, toml::Value>,
    ) {
        let swept = params
            .iter()
            .find(|(path, _)| e.key().starts_with(&KeyPath::parse(path)));
        if let Some((path, value)) = swept {
            let param = KeyPath::parse(path);
            let quoted = KeyPath::root().child("sweep").child(path.as_str());
            let nested = KeyPath::parse("sweep").join(&param);
            let pos = self
                .locator
                .find(&nested)
                .or_else(|| self.locator.find(&quoted))
                .unwrap_or_else(|| self.locator.find_or_parent(&KeyPath::parse("sweep")));
            let rule = format!("value {value}: {}", e.rule());
            self.push_at(pos, ConfigError::new(e.key(), rule).within("sweep"));
        } else if e.key().is_empty() {
            self.push_at(
                self.locator.find_or_parent(&KeyPath::parse("sweep")),
                e.within("sweep"),
            );
        } else {
            self.error(e);
        }
    }

    /// A TOML syntax error: placed by its span.
    pub(crate) fn syntax(&mut self, e: &toml::de::Error) {
        let (pos, key) = match e.span() {
            Some(span) => (
                self.locator.line_col(span.start),
                self.locator
                    .path_at(span.start)
                    .or_else(|| self.locator.written_key_at(span))
                    .unwrap_or_default(),
            ),
            None => ((1, 1), KeyPath::root()),
        };
        self.push_at(pos, ConfigError::new(key, e.message().trim()));
    }

    pub(crate) fn into_error(self) -> SpecError {
        SpecError::Invalid(self.list)
    }
}
