//! Experiment specs: the TOML schema, validation and sweep expansion.
//!
//! Two stages (linfa's param guard): [`Spec::parse`] turns TOML into typed
//! settings and a [`Sweep`] (every struct is `deny_unknown_fields`, so a
//! misspelt key is an error), then [`Spec::validate`] resolves every
//! combination of the sweep, checks each one across axes (a text modality
//! needs lyrics, regression needs a continuous target, ...) and returns a
//! [`ValidSpec`] whose [`plan`](ValidSpec::plan) is the list of trials. Only a
//! `ValidSpec` runs. Every problem is reported at once, each as
//! `file:line:col: key.path: what is wrong`.
//!
//! Owns: the shape of a spec and the [`TrialConfig`] a trial resolves to,
//! whose canonical JSON (plus the dataset fingerprint and extractor versions)
//! is the [`TrialKey`]. Leaves the meaning of `[dataset]`, `[features.*]`,
//! `[evaluation]` and `[model.*]` to the modules that define those tables.

pub mod locate;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use locate::Locator;
use mer_audio::{AudioFeatureConfig, FeatureSet};
use mer_data::DatasetConfig;
use mer_data::config::MergeSubset;
use mer_data::labels::LabelScheme;
use mer_data::splits::EvaluationConfig;
use mer_model::neural::{NeuralConfig, VectorSource};
use mer_model::train::TrainConfig;
use mer_model::train::imbalance::Balancing;
pub use mer_model::{Architecture, Modality, Task};
use mer_model::{InputKind, ModelConfig, ModelSection};
use mer_text::TextFeatureConfig;
use mer_text::config::TokenIdsConfig;

/// Version of the trial-key recipe; bump it when [`TrialKey`] changes meaning.
const TRIAL_KEY_VERSION: &str = "mer/trial-key/1";

/// One problem in a spec, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted key path, e.g. `sweep.architecture`; empty for whole-file problems.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a spec cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{}: cannot read the spec: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_problems(.0))]
    Invalid(Vec<Problem>),
}

impl SpecError {
    /// The problems found, if the spec was read.
    pub fn problems(&self) -> &[Problem] {
        match self {
            SpecError::Invalid(p) => p,
            SpecError::Read { .. } => &[],
        }
    }
}

fn render_problems(problems: &[Problem]) -> String {
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

/// `[experiment]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSection {
    /// The experiment's name (letters, digits, `_`, `-`, `.`); required.
    /// Trials are grouped under it in the store, reports go to
    /// `reports/<name>/`.
    pub name: String,
    /// Free text shown in reports; defaults to empty.
    #[serde(default)]
    pub description: String,
    /// Every configuration runs once per seed; defaults to `[0]`. A seed
    /// drives the fold shuffle, model initialisation and k-means.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}

/// `[features]`: how tracks become model inputs. Each architecture reads
/// the representation it needs: classical models and the residual MLP the
/// track-level `audio` and `text` vectors, sequence models `sequence`, 2-D
/// CNNs `mel`, end-to-end models `waveform`, lyrics encoders `tokens`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeaturesSection {
    /// `[features.audio]`: decoding (rate, offset, duration, bad-audio
    /// policy) for every audio representation, and the track-level set.
    pub audio: AudioFeatureConfig,
    /// `[features.sequence]`: MFCC(+delta) frames for LSTM-CNN models.
    pub sequence: SequenceFeatures,
    /// `[features.mel]`: log-mel patches for 2-D CNNs and concat-LSTM.
    pub mel: MelFeatures,
    /// `[features.waveform]`: raw samples for end-to-end models.
    pub waveform: WaveformFeatures,
    /// `[features.text]`: lyrics vectors (see `text`); its `clean` and
    /// `missing_lyrics` also apply to `tokens`.
    pub text: TextFeatureConfig,
    /// `[features.tokens]`: token-id sequences for learned lyrics encoders.
    pub tokens: TokenIdsConfig,
}

/// `[features.sequence]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequenceFeatures {
    /// MFCCs per frame; defaults to `20`.
    pub n_mfcc: usize,
    /// Append first-order deltas; defaults to `true`.
    pub deltas: bool,
    /// Frames kept (hop 512: 431 frames = 10 s at 22050 Hz); defaults to `431`.
    pub frames: usize,
}

impl Default for SequenceFeatures {
    fn default() -> Self {
        SequenceFeatures {
            n_mfcc: 20,
            deltas: true,
            frames: 431,
        }
    }
}

/// `[features.mel]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MelFeatures {
    /// Mel bands; defaults to `64`.
    pub n_mels: usize,
    /// Frames per patch (hop 512); defaults to `128` (about 3 s at 22050 Hz,
    /// the centre of the clip).
    pub frames: usize,
}

impl Default for MelFeatures {
    fn default() -> Self {
        MelFeatures {
            n_mels: 64,
            frames: 128,
        }
    }
}

/// `[features.waveform]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WaveformFeatures {
    /// Samples kept (the centre of the clip); defaults to `66150` (3 s at
    /// 22050 Hz).
    pub samples: usize,
}

impl Default for WaveformFeatures {
    fn default() -> Self {
        WaveformFeatures { samples: 66_150 }
    }
}

/// What to do with a track a label scheme cannot label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlabelledPolicy {
    /// Leave it out of the trial and record it as skipped.
    Skip,
    /// Fail the trial.
    Fail,
}

/// `[labels]`: options shared by every label scheme of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelsSection {
    /// A track the scheme cannot label (no valence/arousal, no category,
    /// outside both regions of a binary task): `"skip"` it (recorded in the
    /// trial's skipped tracks) or `"fail"` the trial; defaults to `"skip"`.
    pub unlabelled: UnlabelledPolicy,
    /// Class imbalance, handled inside the training fold only:
    /// `"none"`, `"class_weights"` (neural models), `"oversample"`,
    /// `"smote"` or `"smote:K"`; defaults to `"none"`. Classification only.
    #[serde(with = "balancing_serde")]
    pub balancing: Balancing,
}

mod balancing_serde {
    use super::Balancing;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &Balancing, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Balancing, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Default for LabelsSection {
    fn default() -> Self {
        LabelsSection {
            unlabelled: UnlabelledPolicy::Skip,
            balancing: Balancing::None,
        }
    }
}

/// Everything in a spec except `[sweep]`: the settings one combination of
/// swept values resolves to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub experiment: ExperimentSection,
    #[serde(default)]
    pub dataset: DatasetConfig,
    #[serde(default)]
    pub features: FeaturesSection,
    #[serde(default)]
    pub labels: LabelsSection,
    #[serde(default)]
    pub evaluation: EvaluationConfig,
    #[serde(default)]
    pub model: ModelSection,
    /// `[train]`: how neural networks train (see `train::TrainConfig`).
    #[serde(default)]
    pub train: TrainConfig,
    /// Parsed separately into [`Sweep`].
    #[serde(default, rename = "sweep")]
    _sweep: Option<toml::Value>,
}

/// A value or a list of values (`task = "regression"` or `task = [...]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// `[[sweep.exclude]]`: a combination is left out when it matches every
/// axis the rule names (an axis given as a list matches any of its values).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludeRule {
    pub modality: Option<OneOrMany<Modality>>,
    pub architecture: Option<OneOrMany<Architecture>>,
    pub labels: Option<OneOrMany<LabelScheme>>,
    pub task: Option<OneOrMany<Task>>,
    pub seed: Option<OneOrMany<u64>>,
}

impl ExcludeRule {
    fn matches(&self, c: &Combination) -> bool {
        fn hit<T: PartialEq + Clone>(axis: &Option<OneOrMany<T>>, v: &T) -> bool {
            axis.as_ref().is_none_or(|a| a.to_vec().contains(v))
        }
        hit(&self.modality, &c.modality)
            && hit(&self.architecture, &c.architecture)
            && hit(&self.labels, &c.labels)
            && hit(&self.task, &c.task)
            && hit(&self.seed, &c.seed)
    }

    fn is_empty(&self) -> bool {
        self.modality.is_none()
            && self.architecture.is_none()
            && self.labels.is_none()
            && self.task.is_none()
            && self.seed.is_none()
    }
}

/// A swept setting: `[sweep] "model.svm.c" = [0.1, 1, 10]` (or the nested
/// form `model.svm.c = [...]`) runs every value.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamAxis {
    /// Dotted path of the setting, e.g. `model.svm.c`.
    pub path: String,
    pub values: Vec<toml::Value>,
}

/// `[sweep]`: the axes whose cross product is the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Defaults to `["audio"]`.
    pub modality: Vec<Modality>,
    /// Required.
    pub architecture: Vec<Architecture>,
    /// Required: label schemes (`quadrants`, `grid16`, `kmeans4`, `va`, ...).
    pub labels: Vec<LabelScheme>,
    /// `None`: each label scheme's own task (regression for `valence`,
    /// `arousal`, `va`; classification otherwise).
    pub task: Option<Vec<Task>>,
    pub exclude: Vec<ExcludeRule>,
    pub params: Vec<ParamAxis>,
    /// Combinations the dataset cannot serve (no lyrics, no valence/arousal,
    /// ...): `"error"` (the default) or `"skip"` them, listed as warnings.
    pub unavailable: Unavailable,
}

/// `[sweep] unavailable`: what to do with combinations the dataset cannot
/// serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// They make the spec invalid (the default).
    Error,
    /// They are left out and listed as warnings, so one spec can run on
    /// datasets with and without (say) lyrics.
    Skip,
}

/// Sections whose settings can be swept.
const SWEEPABLE: [&str; 6] = [
    "dataset",
    "features",
    "labels",
    "evaluation",
    "model",
    "train",
];

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

/// The resolved configuration of one trial: everything needed to run it
/// again, with only the settings this trial uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialConfig {
    pub experiment: String,
    pub modality: Modality,
    pub architecture: Architecture,
    pub labels: LabelScheme,
    pub task: Task,
    pub seed: u64,
    pub dataset: DatasetConfig,
    pub evaluation: EvaluationConfig,
    pub label_options: LabelsSection,
    pub features: TrialFeatures,
    pub model: ModelConfig,
    /// Neural architectures only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<TrainConfig>,
    /// Ensembles only: the member trials it combines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<TrialConfig>,
}

/// The feature settings a trial uses: at most one audio representation
/// (a track-level set, MFCC sequences, log-mel patches or waveforms) and one
/// lyrics representation (vectors or token ids).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialFeatures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioFeatureConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextFeatureConfig>,
}

impl TrialConfig {
    /// Canonical JSON: struct fields in declaration order, maps sorted.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("trial configs serialise")
    }

    /// Versioned identities of the feature extractors this trial uses.
    pub fn extractor_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        if let Some(a) = &self.features.audio {
            ids.push(a.extractor_id());
        }
        if let Some(t) = &self.features.text {
            // Without file locations: a lexicon or embeddings file is
            // identified by its content hash (see `TrialKey::new`).
            let mut t = t.clone();
            if let Some(l) = &mut t.lexicon {
                l.path = PathBuf::new();
            }
            if let Some(e) = &mut t.embeddings {
                e.path = PathBuf::new();
                e.ids = None;
            }
            ids.push(t.extractor_id());
        }
        ids
    }

    /// The inputs the trial's model takes.
    pub fn inputs(&self) -> Vec<InputKind> {
        match &self.model {
            ModelConfig::Ensemble(_) => Vec::new(),
            ModelConfig::Neural(n)
                if !matches!(n, mer_model::neural::NeuralConfig::ResidualMlp(_)) =>
            {
                n.required_inputs()
            }
            _ => match self.modality {
                Modality::Audio => vec![InputKind::AudioVector],
                Modality::Text => vec![InputKind::TextVector],
                Modality::Fusion => vec![InputKind::AudioVector, InputKind::TextVector],
            },
        }
    }

    /// A short human label: `audio/svm/quadrants/classification seed=0`.
    pub fn summary(&self) -> String {
        format!(
            "{}/{}/{}/{} seed={}",
            self.modality.as_str(),
            self.architecture,
            self.labels,
            self.task.as_str(),
            self.seed
        )
    }
}

/// A trial's identity: hash of its canonical resolved config (dataset
/// location excluded), the dataset's content fingerprint and the feature
/// extractor versions. Moving a dataset keeps its keys; changing its content
/// or an extractor changes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TrialKey(pub String);

impl TrialKey {
    /// `inputs_fingerprint` identifies the data the trial reads: the
    /// dataset's content fingerprint, plus the content hash of any lexicon or
    /// embeddings file (see the `mer` executor, `run`), so file locations never enter the key.
    pub fn new(config: &TrialConfig, inputs_fingerprint: &str) -> TrialKey {
        let mut value = serde_json::to_value(config).expect("trial configs serialise");
        if let Some(obj) = value.as_object_mut() {
            obj.remove("dataset");
        }
        if let Some(text) = value
            .pointer_mut("/features/text")
            .and_then(|t| t.as_object_mut())
        {
            for section in ["lexicon", "embeddings"] {
                if let Some(sec) = text.get_mut(section).and_then(|s| s.as_object_mut()) {
                    sec.remove("path");
                    sec.remove("ids");
                }
            }
        }
        let mut h = blake3::Hasher::new();
        h.update(TRIAL_KEY_VERSION.as_bytes());
        h.update(b"\n");
        h.update(value.to_string().as_bytes());
        h.update(b"\n");
        h.update(inputs_fingerprint.as_bytes());
        for id in config.extractor_ids() {
            h.update(b"\n");
            h.update(id.as_bytes());
        }
        TrialKey(h.finalize().to_hex().to_string())
    }

    /// The first 12 hex digits, for display.
    pub fn short(&self) -> &str {
        &self.0[..12.min(self.0.len())]
    }
}

impl fmt::Display for TrialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One trial of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTrial {
    pub config: TrialConfig,
    /// The swept settings that apply to this trial (path -> value).
    pub params: BTreeMap<String, serde_json::Value>,
}

impl PlannedTrial {
    pub fn params_json(&self) -> String {
        serde_json::to_string(&self.params).expect("params serialise")
    }
}

/// The expanded trials of a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub spec_path: PathBuf,
    pub spec_text: String,
    /// blake3 of the spec text.
    pub spec_hash: String,
    pub experiment: ExperimentSection,
    pub trials: Vec<PlannedTrial>,
    /// Combinations left out by `[[sweep.exclude]]` rules.
    pub excluded: usize,
    /// Combinations identical to an earlier one once resolved (e.g. an SVM
    /// setting swept alongside a KNN trial); run once.
    pub duplicates: usize,
    pub warnings: Vec<String>,
}

/// One point of the cross product, before resolution.
#[derive(Debug, Clone, PartialEq)]
struct Combination {
    modality: Modality,
    architecture: Architecture,
    labels: LabelScheme,
    task: Task,
    seed: u64,
    /// Index into the parameter combinations.
    params: usize,
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

/// What a dataset can provide, known from its configuration alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provides {
    pub audio: bool,
    pub lyrics: bool,
    pub valence_arousal: bool,
    pub categories: bool,
    pub genres: bool,
    /// Mood tags (binary tasks can read them instead of V/A regions).
    pub tags: bool,
}

/// Why a combination cannot run, the axes involved (to suggest an exclude
/// rule), and whether it is only that the dataset lacks something (lyrics,
/// audio, annotations), which `unavailable = "skip"` tolerates.
#[derive(Debug, Clone)]
struct Reason {
    why: String,
    axes: Vec<Axis>,
    dataset: bool,
}

impl Reason {
    fn rule(why: String, axes: Vec<Axis>) -> Reason {
        Reason {
            why,
            axes,
            dataset: false,
        }
    }

    fn dataset(why: String, axes: Vec<Axis>) -> Reason {
        Reason {
            why,
            axes,
            dataset: true,
        }
    }
}

/// A combination that cannot run: its description, why, and the exclude
/// rules (axis = value pairs) that would leave it out.
type InvalidCombination = (String, String, Vec<Vec<(Axis, String)>>);

/// Which axes a cross-axis rule involves (to suggest an exclude rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Axis {
    Modality,
    Architecture,
    Labels,
    Task,
}

impl Spec {
    /// Reads and parses a spec file.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
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
                problems.serde(&e, "");
                return Err(problems.into_error());
            }
        };
        let settings: Settings = match toml::from_str(text) {
            Ok(s) => s,
            Err(e) => {
                problems.serde(&e, "");
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
                problems.push(
                    1,
                    1,
                    "sweep",
                    "missing: a spec needs a [sweep] table naming at least `architecture` and `labels`",
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
        let provides = dataset_provides(&self.settings.dataset);
        let param_sets = self.param_combinations();

        // Resolve each parameter combination to typed settings.
        let mut resolved: Vec<Option<Settings>> = Vec::with_capacity(param_sets.len());
        let mut reported = BTreeSet::new();
        for params in &param_sets {
            match self.resolve(params) {
                Ok(s) => resolved.push(Some(s)),
                Err((key, message)) => {
                    if reported.insert((key.clone(), message.clone())) {
                        problems.at_sweep_or_base(&key, params, &message);
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
            let reasons = check_combination(&combo, settings, &provides, tasks_given);
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
            if let Some((key, rule)) = broken {
                if reported.insert((key.clone(), rule.clone())) {
                    problems.at_sweep_or_base(&key, &param_sets[combo.params], &rule);
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
            let (line, column) = self.locator.find_or_parent("sweep");
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
            problems.push(line, column, "sweep", msg.trim_end());
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
                let (line, col) = self.locator.find_or_parent(&format!("sweep.exclude[{i}]"));
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

    /// Applies swept values to the base settings and deserialises them.
    /// Errors are `(key path, message)`.
    fn resolve(
        &self,
        params: &BTreeMap<String, toml::Value>,
    ) -> Result<Settings, (String, String)> {
        let mut table = self.base.clone();
        for (path, value) in params {
            set_path(&mut table, path, value.clone())?;
        }
        let mut settings: Settings =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    let key = params
                        .keys()
                        .find(|p| e.message().contains(last_segment(p)))
                        .cloned()
                        .unwrap_or_default();
                    (key, clean_serde_message(e.message()))
                })?;
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        settings.dataset.resolve_paths(&cwd);
        match settings.dataset.validate() {
            Ok(()) => {}
            Err(mer_data::DataError::Config { key, message }) => return Err((key, message)),
            Err(other) => return Err(("dataset".into(), other.to_string())),
        }
        if let Err(e) = settings.features.audio.validate() {
            return Err(("features.audio".into(), e.to_string()));
        }
        if !settings.features.audio.set.is_track_level() {
            return Err((
                "features.audio.set".into(),
                "must be a track-level set (\"seed37\" or \"extended\"); frame-level inputs have their own \
                 sections [features.sequence], [features.mel] and [features.waveform]"
                    .into(),
            ));
        }
        if let Err(mer_text::TextError::Config { key, rule }) =
            tokens_config_checked(&settings.features)
        {
            return Err((key.replacen("text.token_ids", "features.tokens", 1), rule));
        }
        // Lexicon / embedding files: absolute, like dataset paths.
        if let Some(l) = &mut settings.features.text.lexicon {
            l.path = mer_data::config::resolve_path(&l.path, &cwd);
        }
        if let Some(e) = &mut settings.features.text.embeddings {
            e.path = mer_data::config::resolve_path(&e.path, &cwd);
            if let Some(ids) = &mut e.ids {
                *ids = mer_data::config::resolve_path(ids, &cwd);
            }
        }
        match settings.features.text.resolved() {
            Ok(t) => settings.features.text = t,
            Err(mer_text::TextError::Config { key, rule }) => {
                // The text module names its keys from its own table.
                let key = match key.strip_prefix("text") {
                    Some(rest) => format!("features.text{rest}"),
                    None => key,
                };
                return Err((key, rule));
            }
            Err(other) => return Err(("features.text".into(), other.to_string())),
        }
        match settings.evaluation.validate() {
            Ok(()) => {}
            Err(mer_data::splits::SplitError::Config { key, message }) => {
                return Err((format!("evaluation.{key}"), message));
            }
            Err(other) => return Err(("evaluation".into(), other.to_string())),
        }
        Ok(settings)
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

fn implied_task(labels: &LabelScheme) -> Task {
    if labels.is_regression() {
        Task::Regression
    } else {
        Task::Classification
    }
}

fn axis_name(a: Axis) -> &'static str {
    match a {
        Axis::Modality => "modality",
        Axis::Architecture => "architecture",
        Axis::Labels => "labels",
        Axis::Task => "task",
    }
}

fn axis_value(c: &Combination, a: Axis) -> String {
    match a {
        Axis::Modality => c.modality.as_str().to_string(),
        Axis::Architecture => c.architecture.to_string(),
        Axis::Labels => c.labels.to_string(),
        Axis::Task => c.task.as_str().to_string(),
    }
}

/// Cross-axis rules. Each broken rule gives its reason and the axes it
/// involves.
fn check_combination(
    c: &Combination,
    s: &Settings,
    provides: &Provides,
    tasks_given: bool,
) -> Vec<Reason> {
    let mut out = Vec::new();
    if tasks_given {
        match (c.task, c.labels.is_regression()) {
            (Task::Regression, false) => out.push(Reason::rule(
                format!(
                    "regression needs a continuous target (valence, arousal or va), `{}` is a set of classes",
                    c.labels
                ),
                vec![Axis::Labels, Axis::Task],
            )),
            (Task::Classification, true) => out.push(Reason::rule(
                format!(
                    "classification needs classes, `{}` is a continuous target (use a grid, k-means, categorical or binary scheme)",
                    c.labels
                ),
                vec![Axis::Labels, Axis::Task],
            )),
            _ => {}
        }
    }
    if let Err(why) = c.architecture.check_task(c.task) {
        out.push(Reason::rule(why, vec![Axis::Architecture, Axis::Task]));
    }
    let inputs = match c.architecture.inputs(c.modality, &s.model) {
        Ok(i) => i,
        Err(why) => {
            out.push(Reason::rule(why, vec![Axis::Architecture, Axis::Modality]));
            Vec::new()
        }
    };
    if c.task == Task::Classification {
        match s.labels.balancing {
            Balancing::ClassWeights
                if !c.architecture.is_neural() && c.architecture != Architecture::Ensemble =>
            {
                out.push(Reason::rule(
                    format!(
                        "balancing = \"class_weights\" weights a neural network's loss and {} has none; use \"oversample\" or \"smote\"",
                        c.architecture
                    ),
                    vec![Axis::Architecture],
                ))
            }
            Balancing::Smote { .. } if inputs.contains(&InputKind::TextTokens) => out.push(Reason::rule(
                format!(
                    "SMOTE interpolates feature vectors and cannot make token ids, which {} reads; use \"oversample\"",
                    c.architecture
                ),
                vec![Axis::Architecture],
            )),
            _ => {}
        }
    }
    if c.architecture == Architecture::Ensemble {
        for &m in &s.model.ensemble.members {
            if m == Architecture::Ensemble {
                continue;
            }
            let member = Combination {
                architecture: m,
                ..c.clone()
            };
            for mut r in check_combination(&member, s, provides, tasks_given) {
                if !r.axes.contains(&Axis::Architecture) {
                    r.axes.push(Axis::Architecture);
                }
                r.why = format!("member {m}: {}", r.why);
                out.push(r);
            }
        }
    }
    if c.modality.uses_text() && !provides.lyrics {
        out.push(Reason::dataset(
            format!(
                "the {} modality needs lyrics, and this dataset has none",
                c.modality.as_str()
            ),
            vec![Axis::Modality],
        ));
    }
    if c.modality.uses_audio() && !provides.audio {
        out.push(Reason::dataset(
            format!(
                "the {} modality needs audio, and this dataset has none",
                c.modality.as_str()
            ),
            vec![Axis::Modality],
        ));
    }
    let labels_ok = match &c.labels {
        LabelScheme::Categorical => provides.categories,
        LabelScheme::Genre => provides.genres,
        // Quadrants read V/A signs or a Q1..Q4 category.
        LabelScheme::Quadrants => provides.valence_arousal || provides.categories,
        LabelScheme::Binary(_) => provides.valence_arousal || provides.tags,
        l if l.requires_va() => provides.valence_arousal,
        _ => true,
    };
    if !labels_ok {
        out.push(Reason::dataset(
            format!(
                "the `{}` labels need {}, which this dataset does not provide",
                c.labels,
                match &c.labels {
                    LabelScheme::Categorical => "categorical emotion labels",
                    LabelScheme::Genre => "genre labels",
                    LabelScheme::Quadrants => "valence/arousal or Q1..Q4 categories",
                    LabelScheme::Binary(_) => "valence/arousal or mood tags",
                    _ => "valence/arousal annotations",
                }
            ),
            vec![Axis::Labels],
        ));
    }
    out
}

/// What each dataset kind provides. Known from the configuration alone so a
/// spec is checked before any data is read; a generic manifest may hold
/// anything, and its missing columns surface as skipped tracks.
pub fn dataset_provides(cfg: &DatasetConfig) -> Provides {
    let p = |audio, lyrics, valence_arousal, categories, genres, tags| Provides {
        audio,
        lyrics,
        valence_arousal,
        categories,
        genres,
        tags,
    };
    match cfg {
        DatasetConfig::Synthetic(_) | DatasetConfig::Manifest(_) => {
            p(true, true, true, true, true, true)
        }
        DatasetConfig::Deam(_) => p(true, false, true, false, true, false),
        DatasetConfig::Pmemo(_) => p(true, true, true, false, false, false),
        // 4Q: the quadrant folder is the category.
        DatasetConfig::FourQ(_) => p(true, false, false, true, false, false),
        DatasetConfig::Merge(c) => p(
            c.subset != MergeSubset::Lyrics,
            c.subset != MergeSubset::Audio,
            true,
            true,
            false,
            false,
        ),
        DatasetConfig::Emotify(_) => p(true, false, false, true, true, false),
        DatasetConfig::MtgJamendo(_) => p(true, false, false, false, false, true),
        DatasetConfig::Gtzan(c) => p(true, c.lyrics.is_some(), false, false, true, false),
        DatasetConfig::Deezer(c) => p(
            c.audio_dir.is_some(),
            !c.musixmatch.is_empty(),
            true,
            false,
            false,
            false,
        ),
    }
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
        InputKind::AudioSequence => Some(with_set(FeatureSet::MfccSequence {
            n_mfcc: s.features.sequence.n_mfcc,
            deltas: s.features.sequence.deltas,
            frames: s.features.sequence.frames,
        })),
        InputKind::AudioMel => Some(with_set(FeatureSet::LogMel {
            n_mels: s.features.mel.n_mels,
            frames: s.features.mel.frames,
        })),
        InputKind::AudioWaveform => Some(with_set(FeatureSet::Waveform {
            samples: s.features.waveform.samples,
        })),
        InputKind::TextVector | InputKind::TextTokens => None,
    });
    let text = inputs.iter().find_map(|k| match k {
        InputKind::TextVector => Some(s.features.text.clone()),
        InputKind::TextTokens => Some(tokens_config(&s.features)),
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

fn tokens_config_checked(f: &FeaturesSection) -> Result<TextFeatureConfig, mer_text::TextError> {
    TextFeatureConfig {
        representation: mer_text::config::Representation::TokenIds,
        token_ids: Some(f.tokens.clone()),
        ..TextFeatureConfig::default()
    }
    .resolved()
}

/// The lyrics token-id config: `[features.tokens]` with the cleaning and
/// missing-lyrics policy of `[features.text]`.
fn tokens_config(f: &FeaturesSection) -> TextFeatureConfig {
    let cfg = TextFeatureConfig {
        representation: mer_text::config::Representation::TokenIds,
        missing_lyrics: f.text.missing_lyrics,
        clean: f.text.clean.clone(),
        token_ids: Some(f.tokens.clone()),
        ..TextFeatureConfig::default()
    };
    cfg.resolved().unwrap_or(cfg)
}

impl TrialConfig {
    /// Range checks of the model and training settings: `(key, rule)`.
    fn validate(&self) -> Result<(), (String, String)> {
        self.model.validate()?;
        if let Some(t) = &self.train {
            t.validate().map_err(|e| {
                (
                    format!("train.{}", e.key),
                    format!("{} (found {})", e.rule, e.value),
                )
            })?;
        }
        Ok(())
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

fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn set_path(
    table: &mut toml::Table,
    path: &str,
    value: toml::Value,
) -> Result<(), (String, String)> {
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
                return Err((
                    path.to_string(),
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

fn check_experiment(e: &ExperimentSection, problems: &mut Problems) {
    let name_ok = !e.name.is_empty()
        && e.name.len() <= 100
        && e.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !e.name.starts_with('.');
    if !name_ok {
        problems.at(
            "experiment.name",
            "must be 1-100 letters, digits, `_`, `-` or `.` (not starting with `.`): it names the report folder",
        );
    }
    if e.seeds.is_empty() {
        problems.at("experiment.seeds", "must list at least one seed");
    }
    let mut seen = BTreeSet::new();
    for (i, s) in e.seeds.iter().enumerate() {
        if !seen.insert(*s) {
            problems.at(
                &format!("experiment.seeds[{i}]"),
                &format!("seed {s} is listed twice"),
            );
        }
        if *s > i64::MAX as u64 {
            problems.at(
                &format!("experiment.seeds[{i}]"),
                "must be at most 9223372036854775807 (2^63 - 1)",
            );
        }
    }
}

fn parse_sweep(t: &toml::Table, problems: &mut Problems) -> Option<Sweep> {
    fn axis<T: for<'de> Deserialize<'de> + Clone>(
        t: &toml::Table,
        key: &str,
        problems: &mut Problems,
    ) -> Option<Vec<T>> {
        let v = t.get(key)?;
        let path = format!("sweep.{key}");
        let items: Vec<toml::Value> = match v {
            toml::Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        if items.is_empty() {
            problems.at(&path, "must list at least one value");
            return Some(Vec::new());
        }
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match item.try_into::<T>() {
                Ok(x) => out.push(x),
                Err(e) => {
                    let at = if matches!(v, toml::Value::Array(_)) {
                        format!("{path}[{i}]")
                    } else {
                        path.clone()
                    };
                    let (line, col) = problems.locator.find_or_parent(&at);
                    problems.push(line, col, &path, &clean_serde_message(e.message()));
                }
            }
        }
        Some(out)
    }

    let before = problems.len();
    let modality = axis::<Modality>(t, "modality", problems).unwrap_or(vec![Modality::Audio]);
    let architecture = axis::<Architecture>(t, "architecture", problems);
    let labels = axis::<LabelScheme>(t, "labels", problems);
    let task = axis::<Task>(t, "task", problems);
    if architecture.is_none() {
        problems.at(
            "sweep",
            "missing `architecture`: list the models to run, e.g. [\"svm\"]",
        );
    }
    if labels.is_none() {
        problems.at(
            "sweep",
            "missing `labels`: list label schemes, e.g. [\"quadrants\"] or [\"va\"]",
        );
    }
    for (name, dup) in [
        ("modality", has_duplicates(&modality)),
        (
            "architecture",
            architecture.as_ref().is_some_and(|a| has_duplicates(a)),
        ),
        ("labels", labels.as_ref().is_some_and(|a| has_duplicates(a))),
        ("task", task.as_ref().is_some_and(|a| has_duplicates(a))),
    ] {
        if dup {
            problems.at(&format!("sweep.{name}"), "lists a value twice");
        }
    }

    let mut exclude = Vec::new();
    match t.get("exclude") {
        None => {}
        Some(toml::Value::Array(rules)) => {
            for (i, r) in rules.iter().enumerate() {
                let path = format!("sweep.exclude[{i}]");
                match r.clone().try_into::<ExcludeRule>() {
                    Ok(rule) if rule.is_empty() => {
                        problems.at(&path, "an exclude rule must name at least one axis")
                    }
                    Ok(rule) => exclude.push(rule),
                    Err(e) => {
                        let msg = clean_serde_message(e.message());
                        let key = unknown_field(e.message())
                            .map(|f| format!("{path}.{f}"))
                            .or_else(|| {
                                ["modality", "architecture", "labels", "task", "seed"]
                                    .iter()
                                    .find(|k| msg.contains(*k) || r.get(*k).is_some())
                                    .map(|k| format!("{path}.{k}"))
                            })
                            .unwrap_or(path.clone());
                        let (line, col) = problems.locator.find_or_parent(&key);
                        problems.push(line, col, &key, &msg);
                    }
                }
            }
        }
        Some(_) => problems.at(
            "sweep.exclude",
            "must be an array of tables: write each rule as [[sweep.exclude]]",
        ),
    }

    let mut params = Vec::new();
    for (k, v) in t {
        if matches!(
            k.as_str(),
            "modality" | "architecture" | "labels" | "task" | "exclude" | "unavailable"
        ) {
            continue;
        }
        collect_params(k, v, &mut params, problems);
    }
    if problems.len() > before {
        return None;
    }
    let unavailable = match t.get("unavailable") {
        None => Unavailable::Error,
        Some(v) => match v.clone().try_into::<Unavailable>() {
            Ok(u) => u,
            Err(e) => {
                problems.at("sweep.unavailable", &clean_serde_message(e.message()));
                return None;
            }
        },
    };
    Some(Sweep {
        modality,
        architecture: architecture.unwrap_or_default(),
        labels: labels.unwrap_or_default(),
        task,
        exclude,
        params,
        unavailable,
    })
}

fn has_duplicates<T: PartialEq>(v: &[T]) -> bool {
    v.iter().enumerate().any(|(i, a)| v[..i].contains(a))
}

fn collect_params(path: &str, v: &toml::Value, out: &mut Vec<ParamAxis>, problems: &mut Problems) {
    let root = path.split('.').next().unwrap_or(path);
    let key = format!("sweep.{path}");
    if !SWEEPABLE.contains(&root) {
        let msg = if root == "experiment" {
            "the experiment section cannot be swept (list seeds in experiment.seeds)".to_string()
        } else {
            format!(
                "unknown sweep axis `{root}`: the axes are modality, architecture, labels, task and exclude, and a swept setting starts with one of: {}",
                SWEEPABLE.join(", ")
            )
        };
        let (line, col) = problems.locator.find_key(&key).unwrap_or((1, 1));
        problems.push(line, col, &key, &msg);
        return;
    }
    match v {
        toml::Value::Table(t) => {
            for (k, inner) in t {
                collect_params(&format!("{path}.{k}"), inner, out, problems);
            }
        }
        toml::Value::Array(values) if !values.is_empty() => out.push(ParamAxis {
            path: path.to_string(),
            values: values.clone(),
        }),
        toml::Value::Array(_) => problems.at(&key, "must list at least one value"),
        _ => problems.at(
            &key,
            "a swept setting takes a list of values, e.g. [0.1, 1.0]; set a single value in its own section instead",
        ),
    }
}

/// serde's "unknown variant `x`, expected one of `a`, `b`" becomes
/// `unknown value "x", expected one of: a, b`.
fn clean_serde_message(msg: &str) -> String {
    let msg = msg.trim();
    for prefix in ["unknown variant", "unknown field"] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let what = if prefix == "unknown variant" {
                "unknown value"
            } else {
                "unknown key"
            };
            let (value, expected) = match rest.split_once(", expected") {
                Some((v, e)) => (v.trim(), Some(e.trim())),
                None => (rest.trim(), None),
            };
            let value = value.trim_matches('`');
            let mut s = format!("{what} \"{value}\"");
            if let Some(e) = expected {
                let e = e.trim_start_matches("one of").trim().replace('`', "");
                s.push_str(&format!(", expected one of: {e}"));
            }
            return s;
        }
    }
    msg.to_string()
}

fn unknown_field(msg: &str) -> Option<String> {
    let rest = msg.trim().strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Collects problems with positions.
struct Problems<'a> {
    file: PathBuf,
    locator: &'a Locator,
    list: Vec<Problem>,
}

impl<'a> Problems<'a> {
    fn new(file: &Path, locator: &'a Locator) -> Self {
        Problems {
            file: file.to_path_buf(),
            locator,
            list: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn push(&mut self, line: usize, column: usize, key: &str, message: &str) {
        self.list.push(Problem {
            file: self.file.clone(),
            line,
            column,
            key: key.to_string(),
            message: message.to_string(),
        });
    }

    /// A problem at a key path (or its nearest ancestor in the file).
    fn at(&mut self, key: &str, message: &str) {
        let (line, col) = self.locator.find_or_parent(key);
        self.push(line, col, key, message);
    }

    /// A problem in a resolved setting: at the sweep's list if the setting
    /// was swept, else at the setting itself.
    fn at_sweep_or_base(
        &mut self,
        key: &str,
        params: &BTreeMap<String, toml::Value>,
        message: &str,
    ) {
        if !key.is_empty() && params.contains_key(key) {
            let swept = format!("sweep.{key}");
            let pos = self
                .locator
                .find(&swept)
                .or_else(|| self.locator.find(&format!("sweep.\"{key}\"")))
                .unwrap_or_else(|| self.locator.find_or_parent("sweep"));
            let value = params.get(key).map(|v| v.to_string()).unwrap_or_default();
            self.push(pos.0, pos.1, &swept, &format!("value {value}: {message}"));
        } else if key.is_empty() {
            let (line, col) = self.locator.find_or_parent("sweep");
            self.push(line, col, "sweep", message);
        } else {
            self.at(key, message);
        }
    }

    /// A serde/toml error: placed by its span, keyed by the path there.
    fn serde(&mut self, e: &toml::de::Error, fallback_key: &str) {
        let (line, col, key) = match e.span() {
            Some(span) => {
                let (l, c) = self.locator.line_col(span.start);
                let key = self
                    .locator
                    .path_at(span.start)
                    .unwrap_or_else(|| fallback_key.to_string());
                (l, c, key)
            }
            None => (1, 1, fallback_key.to_string()),
        };
        // An unknown key inside a table: name the key itself.
        let key = match unknown_field(e.message()) {
            Some(f) if !key.ends_with(&f) => {
                if key.is_empty() {
                    f
                } else {
                    format!("{key}.{f}")
                }
            }
            _ => key,
        };
        self.push(line, col, &key, &clean_serde_message(e.message()));
    }

    fn into_error(self) -> SpecError {
        SpecError::Invalid(self.list)
    }
}

#[cfg(test)]
mod tests;
