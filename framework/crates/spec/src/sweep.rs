//! `[sweep]`: the axes (modality, architecture, labels, task), the exclude
//! rules, the swept settings, and how the table is read.

use mer_core::{ConfigError, KeyPath};
use mer_data::labels::LabelScheme;
use mer_model::{Architecture, Modality, Task};
use serde::Deserialize;

use crate::plan::Combination;
use crate::problems::Problems;

/// A value or a list of values (`task = "regression"` or `task = [...]`).
/// Read by hand, not as an untagged enum: a bad value gets its own type's
/// error (``unknown variant `x`, expected one of ...``) at its index, not
/// serde's "did not match any variant of untagged enum".
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::SeqAccessDeserializer;
        use serde::de::{Error, IntoDeserializer, SeqAccess, Visitor};

        struct Visit<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Visit<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }

            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }

            fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }

            fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }

            fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }

        d.deserialize_any(Visit(std::marker::PhantomData))
    }
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
    pub(crate) fn matches(&self, c: &Combination) -> bool {
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
pub(crate) const SWEEPABLE: [&str; 6] = [
    "dataset",
    "features",
    "labels",
    "evaluation",
    "model",
    "train",
];

/// Reads `[sweep]`; every problem is added to `problems`.
pub(crate) fn parse_sweep(t: &toml::Table, problems: &mut Problems) -> Option<Sweep> {
    fn axis<T: for<'de> Deserialize<'de> + Clone>(
        t: &toml::Table,
        key: &str,
        problems: &mut Problems,
    ) -> Option<Vec<T>> {
        let v = t.get(key)?;
        let path = KeyPath::root().child("sweep").child(key);
        let items: Vec<toml::Value> = match v {
            toml::Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        if items.is_empty() {
            problems.error(ConfigError::new(&path, "must list at least one value"));
            return Some(Vec::new());
        }
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match mer_core::config::from_toml::<T>(item) {
                Ok(x) => out.push(x),
                Err(e) => {
                    let at = if matches!(v, toml::Value::Array(_)) {
                        path.element(i)
                    } else {
                        path.clone()
                    };
                    let pos = problems.locator.find_or_parent(&at);
                    problems.push_at(pos, ConfigError::new(&path, e.rule()));
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
                match mer_core::config::from_toml::<ExcludeRule>(r.clone()) {
                    Ok(rule) if rule.is_empty() => {
                        problems.at(&path, "an exclude rule must name at least one axis")
                    }
                    Ok(rule) => exclude.push(rule),
                    Err(e) => problems.read_error(e.within(path.as_str())),
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
        let at = KeyPath::root().child("sweep").child(k.as_str());
        collect_params(k, &at, v, &mut params, problems);
    }
    if problems.len() > before {
        return None;
    }
    let unavailable = match t.get("unavailable") {
        None => Unavailable::Error,
        Some(v) => match mer_core::config::from_toml::<Unavailable>(v.clone()) {
            Ok(u) => u,
            Err(e) => {
                problems.at("sweep.unavailable", e.rule());
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

/// Swept settings under `[sweep]`: `path` is the setting's dotted path
/// (`model.svm.c`, whether written nested or as one quoted key), `at` where
/// it is in the file.
fn collect_params(
    path: &str,
    at: &KeyPath,
    v: &toml::Value,
    out: &mut Vec<ParamAxis>,
    problems: &mut Problems,
) {
    let root = path.split('.').next().unwrap_or(path);
    if !SWEEPABLE.contains(&root) {
        let msg = if root == "experiment" {
            "the experiment section cannot be swept (list seeds in experiment.seeds)".to_string()
        } else {
            format!(
                "unknown sweep axis `{root}`: the axes are modality, architecture, labels, task and exclude, and a swept setting starts with one of: {}",
                SWEEPABLE.join(", ")
            )
        };
        problems.read_error(ConfigError::new(at, msg));
        return;
    }
    match v {
        toml::Value::Table(t) => {
            for (k, inner) in t {
                collect_params(
                    &format!("{path}.{k}"),
                    &at.child(k.as_str()),
                    inner,
                    out,
                    problems,
                );
            }
        }
        toml::Value::Array(values) if !values.is_empty() => out.push(ParamAxis {
            path: path.to_string(),
            values: values.clone(),
        }),
        toml::Value::Array(_) => problems.error(ConfigError::new(at, "must list at least one value")),
        _ => problems.error(ConfigError::new(
            at,
            "a swept setting takes a list of values, e.g. [0.1, 1.0]; set a single value in its own section instead",
        )),
    }
}
