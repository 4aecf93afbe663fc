//! The in-memory view of an experiment that reports render: trials grouped
//! into configurations, configurations into comparable groups, per-fold
//! values keyed by the block (seed, split, fold) they were measured on.
//!
//! Built once from the store (`load`, the only I/O here) and from then on
//! only read, so every table and figure is a pure function of it.

use std::collections::{BTreeMap, BTreeSet};

use mer_metrics::Direction;
use mer_store::{ExperimentMetric, MetricRow, PredictionRow, Split, Store, StoreError, TrialRow};

use super::params_text;

/// A configuration: every sweep axis but the seed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigKey {
    pub task: String,
    pub labels: String,
    pub modality: String,
    pub architecture: String,
    /// Swept settings as `path=value` joined by `, ` (empty when none).
    pub params: String,
}

impl ConfigKey {
    pub fn of(t: &TrialRow) -> ConfigKey {
        ConfigKey {
            task: t.task.clone(),
            labels: t.labels.clone(),
            modality: t.modality.clone(),
            architecture: t.architecture.clone(),
            params: params_text(&t.params_json),
        }
    }

    /// `modality / architecture[, settings]`: how figures and CD diagrams
    /// name a configuration within its group.
    pub fn label(&self) -> String {
        if self.params.is_empty() {
            format!("{} / {}", self.modality, self.architecture)
        } else {
            format!("{} / {}, {}", self.modality, self.architecture, self.params)
        }
    }

    /// A file-name-safe, stable identifier (readable prefix + hash).
    pub fn slug(&self) -> String {
        let text = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            self.task, self.labels, self.modality, self.architecture, self.params
        );
        let hash = blake3::hash(text.as_bytes()).to_hex();
        format!(
            "{}-{}-{}",
            slugify(&self.modality),
            slugify(&self.architecture),
            &hash[..8]
        )
    }
}

/// Lower-case ASCII letters, digits and `-`; everything else becomes `-`.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    if t.is_empty() { "x".into() } else { t.into() }
}

/// The unit two configurations are paired on: one fold of one seed's split.
/// Trials with the same seed but a different split (e.g. a label scheme that
/// changes the stratification) have different `split` hashes and so never
/// pair. An unknown split hash is empty.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Block {
    pub seed: u64,
    pub split: String,
    pub fold: i64,
}

/// One configuration and everything measured on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub key: ConfigKey,
    /// The swept settings, `path -> value` (JSON text; strings unquoted).
    pub settings: BTreeMap<String, String>,
    /// Its trials (one per seed, usually), by id.
    pub trials: Vec<i64>,
    pub seeds: Vec<u64>,
    /// `(split, metric) -> block -> value` (final, non-epoch metrics).
    pub values: BTreeMap<(Split, String), BTreeMap<Block, f64>>,
    /// Class names (classification), from the first trial that has them.
    pub classes: Option<Vec<String>>,
    /// Mean `n_test / n_train` over the folds of its trials, from the stored
    /// split manifests (`None` when no manifest was stored).
    pub test_train_ratio: Option<f64>,
}

impl Config {
    /// Per-block values of `metric` on `split`.
    pub fn series(&self, split: Split, metric: &str) -> Option<&BTreeMap<Block, f64>> {
        self.values.get(&(split, metric.to_string()))
    }

    /// All values of `metric` on `split`, in block order.
    pub fn values_of(&self, split: Split, metric: &str) -> Vec<f64> {
        self.series(split, metric)
            .map(|m| m.values().copied().collect())
            .unwrap_or_default()
    }

    /// Number of distinct folds per seed (the largest), for captions.
    pub fn folds(&self) -> usize {
        let mut per_seed: BTreeMap<u64, BTreeSet<i64>> = BTreeMap::new();
        for m in self.values.values() {
            for b in m.keys() {
                per_seed.entry(b.seed).or_default().insert(b.fold);
            }
        }
        per_seed.values().map(|s| s.len()).max().unwrap_or(0)
    }
}

/// Configurations that are compared with each other: same task and label
/// scheme (accuracy over 4 classes is not comparable with 16).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub task: String,
    pub labels: String,
    pub configs: Vec<Config>,
}

impl Group {
    pub fn title(&self) -> String {
        format!("{} · {}", self.task, self.labels)
    }
    pub fn slug(&self) -> String {
        format!("{}-{}", slugify(&self.task), slugify(&self.labels))
    }
    /// Metric names measured on `split` by any configuration, sorted.
    pub fn metric_names(&self, split: Split) -> Vec<String> {
        let set: BTreeSet<&String> = self
            .configs
            .iter()
            .flat_map(|c| c.values.keys())
            .filter(|(s, _)| *s == split)
            .map(|(_, n)| n)
            .collect();
        set.into_iter().cloned().collect()
    }
    /// Largest folds-per-seed and seeds-per-configuration, for captions.
    pub fn shape(&self) -> (usize, usize) {
        let folds = self.configs.iter().map(|c| c.folds()).max().unwrap_or(0);
        let seeds = self
            .configs
            .iter()
            .map(|c| c.seeds.len())
            .max()
            .unwrap_or(0);
        (folds, seeds)
    }
}

/// Per-trial details read only for the configurations that get detail
/// figures (confusion matrices, learning curves, fusion weights).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detail {
    /// Test predictions of each trial.
    pub predictions: BTreeMap<i64, Vec<PredictionRow>>,
    /// Per-epoch metrics of each trial (rows with `epoch = Some(_)`).
    pub epochs: BTreeMap<i64, Vec<MetricRow>>,
}

/// Everything a report shows, in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    pub experiment: String,
    pub description: String,
    pub trials: Vec<TrialRow>,
    pub metrics: Vec<ExperimentMetric>,
    pub groups: Vec<Group>,
    pub detail: Detail,
}

/// The direction of a stored metric name: the names of `metrics`
/// ([`Direction::of_metric`]), per-target regression names such as
/// `rmse_valence` (their base metric's direction), and training losses
/// (`loss`, `*_loss`: lower is better). `None` for anything else.
pub fn direction_of(name: &str) -> Option<Direction> {
    if let Some(d) = Direction::of_metric(name) {
        return Some(d);
    }
    if name == "loss" || name.ends_with("_loss") {
        return Some(Direction::LowerIsBetter);
    }
    for base in ["r2", "rmse", "mae", "ccc", "pearson"] {
        if name
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|t| !t.is_empty())
        {
            return Direction::of_metric(base);
        }
    }
    None
}

/// `n_test / n_train` averaged over the folds of a split manifest (the JSON
/// array the executor stores: `[{"train": [ids], "validation": [ids],
/// "test": [ids], ..}, ..]`). Training data is train + validation: what the
/// fold's model was fitted on (validation only steers early stopping).
pub fn manifest_ratio(manifest: &str) -> Option<f64> {
    let folds: Vec<serde_json::Value> = serde_json::from_str(manifest).ok()?;
    let len =
        |f: &serde_json::Value, k: &str| f.get(k).and_then(|v| v.as_array()).map_or(0, |a| a.len());
    let ratios: Vec<f64> = folds
        .iter()
        .filter_map(|f| {
            let train = len(f, "train") + len(f, "validation");
            let test = len(f, "test");
            (train > 0 && test > 0).then(|| test as f64 / train as f64)
        })
        .collect();
    (!ratios.is_empty()).then(|| ratios.iter().sum::<f64>() / ratios.len() as f64)
}

/// `{"model.svm.c": 0.5, "x": "a"}` -> `{model.svm.c: "0.5", x: "a"}`.
pub fn settings_of(params_json: &str) -> BTreeMap<String, String> {
    serde_json::from_str::<BTreeMap<String, serde_json::Value>>(params_json)
        .map(|m| {
            m.into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, s)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Orders modalities as the seed studies do: audio, lyrics, fusion, then
/// anything else alphabetically.
pub fn modality_rank(m: &str) -> u8 {
    match m {
        "audio" => 0,
        "lyrics" | "text" => 1,
        "fusion" | "both" | "multimodal" | "audio+lyrics" => 2,
        _ => 3,
    }
}

/// Compares two setting values: numerically when both are numbers.
fn value_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

/// The order of rows in tables: modality (audio, lyrics, fusion, ...),
/// architecture, then settings (numbers in numeric order).
pub fn display_order(a: &Config, b: &Config) -> std::cmp::Ordering {
    let (ka, kb) = (&a.key, &b.key);
    (ka.task.as_str(), ka.labels.as_str())
        .cmp(&(kb.task.as_str(), kb.labels.as_str()))
        .then(modality_rank(&ka.modality).cmp(&modality_rank(&kb.modality)))
        .then(ka.modality.cmp(&kb.modality))
        .then(ka.architecture.cmp(&kb.architecture))
        .then_with(|| {
            for ((na, va), (nb, vb)) in a.settings.iter().zip(&b.settings) {
                let o = na.cmp(nb).then_with(|| value_order(va, vb));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            a.settings.len().cmp(&b.settings.len())
        })
        .then(ka.params.cmp(&kb.params))
}

/// Groups trials into configurations and configurations into groups.
/// `ratios` maps a split hash to its `n_test / n_train`.
pub fn build_groups(
    trials: &[TrialRow],
    metrics: &[ExperimentMetric],
    ratios: &BTreeMap<String, f64>,
) -> Vec<Group> {
    let by_id: BTreeMap<i64, &TrialRow> = trials.iter().map(|t| (t.id, t)).collect();
    let mut configs: BTreeMap<ConfigKey, Config> = BTreeMap::new();
    let mut trial_key: BTreeMap<i64, ConfigKey> = BTreeMap::new();
    for t in trials {
        let key = ConfigKey::of(t);
        trial_key.insert(t.id, key.clone());
        let c = configs.entry(key.clone()).or_insert_with(|| Config {
            key,
            settings: settings_of(&t.params_json),
            trials: Vec::new(),
            seeds: Vec::new(),
            values: BTreeMap::new(),
            classes: None,
            test_train_ratio: None,
        });
        c.trials.push(t.id);
        if !c.seeds.contains(&t.seed) {
            c.seeds.push(t.seed);
        }
        if c.classes.is_none() {
            c.classes = t.classes.clone();
        }
    }
    for m in metrics {
        let (Some(key), Some(t)) = (trial_key.get(&m.trial_id), by_id.get(&m.trial_id)) else {
            continue;
        };
        let block = Block {
            seed: t.seed,
            split: t.split_hash.clone().unwrap_or_default(),
            fold: m.fold,
        };
        if let Some(c) = configs.get_mut(key) {
            c.values
                .entry((m.split, m.name.clone()))
                .or_default()
                .insert(block, m.value);
        }
    }
    for c in configs.values_mut() {
        c.seeds.sort_unstable();
        let rs: Vec<f64> = c
            .trials
            .iter()
            .filter_map(|id| by_id.get(id)?.split_hash.as_ref())
            .filter_map(|h| ratios.get(h))
            .copied()
            .collect();
        c.test_train_ratio = (!rs.is_empty()).then(|| rs.iter().sum::<f64>() / rs.len() as f64);
    }
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    let mut configs: Vec<(ConfigKey, Config)> = configs.into_iter().collect();
    configs.sort_by(|a, b| display_order(&a.1, &b.1));
    for (key, c) in configs {
        groups
            .entry((key.task.clone(), key.labels.clone()))
            .or_insert_with(|| Group {
                task: key.task.clone(),
                labels: key.labels.clone(),
                configs: Vec::new(),
            })
            .configs
            .push(c);
    }
    groups.into_values().collect()
}

/// Reads what a report needs from the store (no details yet).
pub fn load(store: &Store, experiment: &str) -> Result<ReportData, StoreError> {
    let exp = store.experiment(experiment)?;
    let trials = store.report_trials(experiment)?;
    let metrics = store.report_metrics(experiment)?;
    let mut ratios = BTreeMap::new();
    let hashes: BTreeSet<&String> = trials
        .iter()
        .filter_map(|t| t.split_hash.as_ref())
        .collect();
    for h in hashes {
        if let Some(r) = store.split_manifest(h)?.as_deref().and_then(manifest_ratio) {
            ratios.insert(h.clone(), r);
        }
    }
    let groups = build_groups(&trials, &metrics, &ratios);
    Ok(ReportData {
        experiment: experiment.to_string(),
        description: exp.description,
        trials,
        metrics,
        groups,
        detail: Detail::default(),
    })
}

/// Reads predictions and epoch metrics of the given trials.
///
/// Today this is one query per trial over the public store API; a report
/// asks for the trials of a few featured configurations only, so the cost
/// stays bounded however large the experiment is.
pub fn load_detail(store: &Store, trial_ids: &BTreeSet<i64>) -> Result<Detail, StoreError> {
    let mut d = Detail::default();
    for &id in trial_ids {
        let preds = store.predictions(id)?;
        if !preds.is_empty() {
            d.predictions.insert(id, preds);
        }
        let epochs: Vec<MetricRow> = store
            .metrics(id)?
            .into_iter()
            .filter(|m| m.epoch.is_some())
            .collect();
        if !epochs.is_empty() {
            d.epochs.insert(id, epochs);
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_cover_per_target_names_and_losses() {
        assert_eq!(direction_of("rmse_valence"), Some(Direction::LowerIsBetter));
        assert_eq!(direction_of("r2_arousal"), Some(Direction::HigherIsBetter));
        assert_eq!(direction_of("macro_f1"), Some(Direction::HigherIsBetter));
        assert_eq!(direction_of("loss"), Some(Direction::LowerIsBetter));
        assert_eq!(direction_of("val_loss"), Some(Direction::LowerIsBetter));
        assert_eq!(direction_of("rmse_"), None);
        assert_eq!(direction_of("alpha"), None);
    }

    #[test]
    fn manifest_ratio_counts_validation_as_training() {
        let m = r#"[{"repeat":0,"index":0,"train":["a","b","c"],"validation":["d"],"test":["e","f"]},
                   {"repeat":0,"index":1,"train":["a","b","c","d"],"validation":[],"test":["e"]}]"#;
        let r = manifest_ratio(m).unwrap();
        assert!((r - (0.5 + 0.25) / 2.0).abs() < 1e-15);
        assert_eq!(manifest_ratio("not json"), None);
        assert_eq!(manifest_ratio("[]"), None);
    }

    #[test]
    fn slugs_are_file_safe_and_distinct() {
        let a = ConfigKey {
            task: "classification".into(),
            labels: "kmeans:4".into(),
            modality: "audio".into(),
            architecture: "svm".into(),
            params: "model.svm.c=0.5".into(),
        };
        let b = ConfigKey {
            params: "model.svm.c=1.0".into(),
            ..a.clone()
        };
        assert!(
            a.slug()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        );
        assert_ne!(a.slug(), b.slug());
        assert_eq!(slugify("Kmeans: 4/16"), "kmeans-4-16");
    }
}
