//! From a spec's text to its [`Plan`]: [`Spec::parse`] reads the settings
//! and the sweep, [`Spec::validate`] resolves every combination of the
//! sweep, checks it (its values, then the cross-axis rules) and expands it
//! into trials.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use mer_audio::{AudioFeatureConfig, FeatureSet};
use mer_core::{ConfigError, KeyPath};
use mer_data::labels::LabelScheme;
use mer_model::neural::{NeuralConfig, VectorSource};
use mer_model::train::imbalance::Balancing;
use mer_model::{Architecture, InputKind, Modality, ModelConfig, Task};

use crate::locate::Locator;
use crate::problems::{Problems, SpecError};
use crate::rules::{
    Axis, InvalidCombination, axis_name, axis_value, check_combination, check_experiment,
    implied_task,
};
use crate::schema::Settings;
use crate::sweep::{Sweep, Unavailable, parse_sweep};
use crate::trial::{Plan, PlannedTrial, TrialConfig, TrialFeatures};

/// A parsed spec: typed base settings and the sweep, not yet validated.
#[derive(Debug, Clone)]
pub struct Spec {
    pub path: PathBuf,
    pub text: String,
    pub settings: Settings,
    pub sweep: Sweep,
    base: toml::Table,
    locator: Locator,
}

/// A validated spec, ready to run.
#[derive(Debug, Clone)]
pub struct ValidSpec {
    spec: Spec,
    plan: Plan,
}

/// One point of the cross product, before resolution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Combination {
    pub(crate) modality: Modality,
    pub(crate) architecture: Architecture,
    pub(crate) labels: LabelScheme,
    pub(crate) task: Task,
    pub(crate) seed: u64,
    /// Index into the parameter combinations.
    pub(crate) params: usize,
}

impl Combination {
    fn describe(&self, params: &BTreeMap<String, toml::Value>) -> String {
        let mut s = format!(
            "modality={} architecture={} labels={} task={}",
            self.modality.as_str(),
            self.architecture,
            self.labels,
            self.task.as_str()
        );
        for (k, v) in params {
            s.push_str(&format!(" {k}={v}"));
        }
        s
    }
}

impl Spec {
    /// Reads and parses a spec file.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let bytes = std::fs::read(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                // Not text: an invalid spec, placed at its first bad byte.
                let at = e.utf8_error().valid_up_to();
                let before = &e.as_bytes()[..at];
                let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                let column = at
                    - before
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1)
                    + 1;
                return Err(SpecError::Invalid(vec![
                    ConfigError::whole(format!(
                        "not valid UTF-8 (byte offset {at}); a spec is UTF-8 text"
                    ))
                    .at(mer_core::Position {
                        file: path.to_path_buf(),
                        line,
                        column,
                    }),
                ]));
            }
        };
        Spec::parse(&text, path)
    }

    /// Parses spec text; `path` is used in error messages and to resolve
    /// relative paths (against the current directory).
    pub fn parse(text: &str, path: &Path) -> Result<Spec, SpecError> {
        let locator = Locator::new(text);
        let mut problems = Problems::new(path, &locator);
        let table: toml::Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                problems.syntax(&e);
                return Err(problems.into_error());
            }
        };
        let settings = match Settings::parse(text) {
            Ok(s) => s,
            Err((e, Some(span))) => {
                problems.push_at(locator.line_col(span.start), e);
                return Err(problems.into_error());
            }
            Err((e, None)) => {
                problems.read_error(e);
                return Err(problems.into_error());
            }
        };
        check_experiment(&settings.experiment, &mut problems);
        let sweep = match table.get("sweep") {
            Some(toml::Value::Table(t)) => parse_sweep(t, &mut problems),
            Some(_) => {
                problems.at("sweep", "must be a table: `[sweep]`");
                None
            }
            None => {
                problems.push_at(
                    (1, 1),
                    ConfigError::new(
                        "sweep",
                        "missing: a spec needs a [sweep] table naming at least `architecture` and `labels`",
                    ),
                );
                None
            }
        };
        let mut base = table;
        base.remove("sweep");
        match (problems.is_empty(), sweep) {
            (true, Some(sweep)) => Ok(Spec {
                path: path.to_path_buf(),
                text: text.to_string(),
                settings,
                sweep,
                base,
                locator,
            }),
            _ => Err(problems.into_error()),
        }
    }

    /// Resolves and checks every combination of the sweep.
    pub fn validate(self) -> Result<ValidSpec, SpecError> {
        let mut problems = Problems::new(&self.path, &self.locator);
        let provides = self.settings.dataset.provides();
        // A manifest's capabilities come from its header: say so where one
        // is missing, so the fix (a column) is plain.
        let dataset_note = match &self.settings.dataset {
            mer_data::DatasetConfig::Manifest(m) => m.columns_note(),
            _ => None,
        };
        let param_sets = self.param_combinations();

        // Resolve each parameter combination to typed settings.
        let mut resolved: Vec<Option<Settings>> = Vec::with_capacity(param_sets.len());
        let mut reported = HashSet::new();
        for params in &param_sets {
            match self.resolve(params) {
                Ok(s) => resolved.push(Some(s)),
                Err(e) => {
                    if reported.insert(e.clone()) {
                        problems.at_sweep_or_base(e, params);
                    }
                    resolved.push(None);
                }
            }
        }

        let mut trials: Vec<PlannedTrial> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut invalid: Vec<InvalidCombination> = Vec::new();
        let mut excluded = 0;
        let mut duplicates = 0;
        let mut unavailable: Vec<String> = Vec::new();
        let mut rule_hits = vec![0usize; self.sweep.exclude.len()];
        let tasks_given = self.sweep.task.is_some();

        for combo in self.combinations(param_sets.len()) {
            if let Some(i) = self.sweep.exclude.iter().position(|r| r.matches(&combo)) {
                rule_hits[i] += 1;
                excluded += 1;
                continue;
            }
            let Some(settings) = &resolved[combo.params] else {
                continue;
            };
            let mut reasons = check_combination(&combo, settings, &provides, tasks_given);
            if let Some(note) = &dataset_note {
                for r in reasons.iter_mut().filter(|r| r.dataset) {
                    r.why.push_str(&format!(" ({note})"));
                }
            }
            if !reasons.is_empty() {
                let whys = reasons.iter().map(|r| r.why.as_str()).collect::<Vec<_>>();
                if self.sweep.unavailable == Unavailable::Skip && reasons.iter().all(|r| r.dataset)
                {
                    unavailable.push(format!(
                        "{}: {}",
                        combo.describe(&param_sets[combo.params]),
                        whys.join("; ")
                    ));
                    continue;
                }
                let suggestions = reasons
                    .iter()
                    .map(|r| {
                        r.axes
                            .iter()
                            .map(|a| (*a, axis_value(&combo, *a)))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                invalid.push((
                    combo.describe(&param_sets[combo.params]),
                    whys.join("; "),
                    suggestions,
                ));
                continue;
            }
            let config = build_trial_config(&combo, settings);
            let broken = std::iter::once(&config)
                .chain(&config.members)
                .find_map(|c| c.validate().err());
            if let Some(e) = broken {
                if reported.insert(e.clone()) {
                    problems.at_sweep_or_base(e, &param_sets[combo.params]);
                }
                continue;
            }
            // An ensemble's members run first, as trials of their own.
            let members = config.members.clone();
            for t in members.into_iter().chain(std::iter::once(config)) {
                if !seen.insert(t.canonical_json()) {
                    duplicates += 1;
                    continue;
                }
                let params = param_sets[combo.params]
                    .iter()
                    .filter(|(path, _)| param_applies(path, &t))
                    .map(|(path, v)| (path.clone(), toml_to_json(v)))
                    .collect();
                trials.push(PlannedTrial { config: t, params });
            }
        }

        if !invalid.is_empty() {
            let pos = self.locator.find_or_parent(&KeyPath::parse("sweep"));
            let mut msg = format!(
                "{} combination(s) of the sweep cannot run:\n",
                invalid.len()
            );
            for (combo, why, _) in &invalid {
                msg.push_str(&format!("  - {combo}: {why}\n"));
            }
            msg.push_str("leave them out explicitly with rules such as:\n");
            let mut rules: Vec<Vec<(Axis, String)>> =
                invalid.into_iter().flat_map(|(_, _, s)| s).collect();
            rules.sort();
            rules.dedup();
            for rule in rules {
                msg.push_str("  [[sweep.exclude]]\n");
                for (axis, value) in rule {
                    msg.push_str(&format!("  {} = \"{value}\"\n", axis_name(axis)));
                }
            }
            problems.push_at(pos, ConfigError::new("sweep", msg.trim_end()));
        }

        let mut warnings = Vec::new();
        if !unavailable.is_empty() {
            let mut w = format!(
                "{} combination(s) skipped because the dataset cannot serve them (sweep.unavailable = \"skip\"):",
                unavailable.len()
            );
            for u in &unavailable {
                w.push_str(&format!("\n  - {u}"));
            }
            warnings.push(w);
        }
        for (i, hits) in rule_hits.iter().enumerate() {
            if *hits == 0 {
                let at = KeyPath::parse("sweep.exclude").element(i);
                let (line, col) = self.locator.find_or_parent(&at);
                warnings.push(format!(
                    "{}:{line}:{col}: sweep.exclude[{i}]: this rule matches no combination",
                    self.path.display()
                ));
            }
        }
        if problems.is_empty() && trials.is_empty() {
            problems.at("sweep", "every combination is excluded: nothing to run");
        }
        if !problems.is_empty() {
            return Err(problems.into_error());
        }
        let plan = Plan {
            spec_path: self.path.clone(),
            spec_text: self.text.clone(),
            spec_hash: blake3::hash(self.text.as_bytes()).to_hex().to_string(),
            experiment: self.settings.experiment.clone(),
            trials,
            excluded,
            duplicates,
            warnings,
        };
        Ok(ValidSpec { spec: self, plan })
    }

    /// Every combination of swept settings, as path -> value maps.
    fn param_combinations(&self) -> Vec<BTreeMap<String, toml::Value>> {
        let mut out = vec![BTreeMap::new()];
        for axis in &self.sweep.params {
            let mut next = Vec::with_capacity(out.len() * axis.values.len());
            for partial in &out {
                for v in &axis.values {
                    let mut m = partial.clone();
                    m.insert(axis.path.clone(), v.clone());
                    next.push(m);
                }
            }
            out = next;
        }
        out
    }

    /// The cross product of the axes, in a stable order.
    fn combinations(&self, n_params: usize) -> Vec<Combination> {
        let mut out = Vec::new();
        for &modality in &self.sweep.modality {
            for &architecture in &self.sweep.architecture {
                for labels in &self.sweep.labels {
                    let tasks = match &self.sweep.task {
                        Some(t) => t.clone(),
                        None => vec![implied_task(labels)],
                    };
                    for task in tasks {
                        for params in 0..n_params {
                            for &seed in &self.settings.experiment.seeds {
                                out.push(Combination {
                                    modality,
                                    architecture,
                                    labels: *labels,
                                    task,
                                    seed,
                                    params,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Applies swept values to the base settings, reads and checks them.
    fn resolve(&self, params: &BTreeMap<String, toml::Value>) -> Result<Settings, ConfigError> {
        let mut table = self.base.clone();
        for (path, value) in params {
            set_path(&mut table, path, value.clone())?;
        }
        Settings::from_table(&table)
    }
}

impl ValidSpec {
    /// The trials this spec runs.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }
}

/// Parses, validates and expands a spec file in one go.
pub fn load_plan(path: &Path) -> Result<Plan, SpecError> {
    Ok(Spec::load(path)?.validate()?.plan)
}

fn build_trial_config(c: &Combination, s: &Settings) -> TrialConfig {
    let inputs = c
        .architecture
        .inputs(c.modality, &s.model)
        .expect("checked before building");
    let with_set = |set: FeatureSet| AudioFeatureConfig {
        set,
        ..s.features.audio.clone()
    };
    let audio = inputs.iter().find_map(|k| match k {
        InputKind::AudioVector => Some(s.features.audio.clone()),
        InputKind::AudioSequence => Some(with_set(s.features.sequence.set())),
        InputKind::AudioMel => Some(with_set(s.features.mel.set())),
        InputKind::AudioWaveform => Some(with_set(s.features.waveform.set())),
        InputKind::TextVector | InputKind::TextTokens => None,
    });
    let text = inputs.iter().find_map(|k| match k {
        InputKind::TextVector => Some(s.features.text.clone()),
        InputKind::TextTokens => Some(s.features.tokens_config()),
        _ => None,
    });
    let mut model = s.model.config_for(c.architecture);
    if let ModelConfig::Neural(NeuralConfig::ResidualMlp(m)) = &mut model {
        // Lyrics-only trials feed the lyrics vector; audio and fusion feed
        // the audio vector (fusion: audio and lyrics concatenated).
        m.input = if c.modality == Modality::Text {
            VectorSource::Text
        } else {
            VectorSource::Audio
        };
    }
    let mut label_options = s.labels.clone();
    if c.task == Task::Regression {
        label_options.balancing = Balancing::None;
    }
    let members = if c.architecture == Architecture::Ensemble {
        s.model
            .ensemble
            .members
            .iter()
            .map(|&m| {
                build_trial_config(
                    &Combination {
                        architecture: m,
                        ..c.clone()
                    },
                    s,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    TrialConfig {
        experiment: s.experiment.name.clone(),
        modality: c.modality,
        architecture: c.architecture,
        labels: c.labels,
        task: c.task,
        seed: c.seed,
        dataset: s.dataset.clone(),
        evaluation: s.evaluation.clone(),
        label_options,
        features: TrialFeatures { audio, text },
        model,
        train: c.architecture.is_neural().then(|| s.train.clone()),
        members,
    }
}

/// Does a swept setting change this trial? (`model.svm.*` only matters to
/// SVM trials, `features.mel.*` only to trials that read log-mel patches,
/// `train.*` only to neural networks, ...). An ensemble depends on what its
/// members depend on.
fn param_applies(path: &str, t: &TrialConfig) -> bool {
    if t.members.iter().any(|m| param_applies(path, m)) {
        return true;
    }
    let set = t.features.audio.as_ref().map(|a| &a.set);
    let mut parts = path.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("model"), Some(arch), _) => arch == t.architecture.as_str(),
        (Some("features"), Some("audio"), Some("set")) => set.is_some_and(|s| s.is_track_level()),
        (Some("features"), Some("audio"), _) => set.is_some(),
        (Some("features"), Some("sequence"), _) => {
            matches!(set, Some(FeatureSet::MfccSequence { .. }))
        }
        (Some("features"), Some("mel"), _) => matches!(set, Some(FeatureSet::LogMel { .. })),
        (Some("features"), Some("waveform"), _) => {
            matches!(set, Some(FeatureSet::Waveform { .. }))
        }
        (Some("features"), Some("text"), _) => t.features.text.is_some(),
        (Some("features"), Some("tokens"), _) => t
            .features
            .text
            .as_ref()
            .is_some_and(|x| x.representation == mer_text::config::Representation::TokenIds),
        (Some("train"), _, _) => t.train.is_some(),
        (Some("labels"), Some("balancing"), _) => t.task == Task::Classification,
        (Some("experiment"), _, _) => false,
        _ => t.architecture != Architecture::Ensemble,
    }
}

/// Sets the value at a dotted path, creating tables on the way.
fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), ConfigError> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut t = table;
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            t.insert((*part).to_string(), value);
            return Ok(());
        }
        let entry = t
            .entry((*part).to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = match entry {
            toml::Value::Table(inner) => inner,
            _ => {
                return Err(ConfigError::new(
                    path,
                    format!("`{}` is a value, not a table", parts[..=i].join(".")),
                ));
            }
        };
    }
    Ok(())
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
