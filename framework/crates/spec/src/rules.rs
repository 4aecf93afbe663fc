//! The rules a combination of the sweep must follow across axes (a text
//! modality needs lyrics, regression needs a continuous target, ...), and
//! the checks of `[experiment]`.

use std::collections::BTreeSet;

use mer_data::Provides;
use mer_data::labels::LabelScheme;
use mer_model::train::imbalance::Balancing;
use mer_model::{Architecture, InputKind, Task};

use crate::plan::Combination;
use crate::problems::Problems;
use crate::schema::{ExperimentSection, Settings};

/// Why a combination cannot run, the axes involved (to suggest an exclude
/// rule), and whether it is only that the dataset lacks something (lyrics,
/// audio, annotations), which `unavailable = "skip"` tolerates.
#[derive(Debug, Clone)]
pub(crate) struct Reason {
    pub(crate) why: String,
    pub(crate) axes: Vec<Axis>,
    pub(crate) dataset: bool,
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
pub(crate) type InvalidCombination = (String, String, Vec<Vec<(Axis, String)>>);

/// Which axes a cross-axis rule involves (to suggest an exclude rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Axis {
    Modality,
    Architecture,
    Labels,
    Task,
}

pub(crate) fn implied_task(labels: &LabelScheme) -> Task {
    if labels.is_regression() {
        Task::Regression
    } else {
        Task::Classification
    }
}

pub(crate) fn axis_name(a: Axis) -> &'static str {
    match a {
        Axis::Modality => "modality",
        Axis::Architecture => "architecture",
        Axis::Labels => "labels",
        Axis::Task => "task",
    }
}

pub(crate) fn axis_value(c: &Combination, a: Axis) -> String {
    match a {
        Axis::Modality => c.modality.as_str().to_string(),
        Axis::Architecture => c.architecture.to_string(),
        Axis::Labels => c.labels.to_string(),
        Axis::Task => c.task.as_str().to_string(),
    }
}

/// Cross-axis rules. Each broken rule gives its reason and the axes it
/// involves.
pub(crate) fn check_combination(
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

/// `[experiment]`: the name names a folder, the seeds must be distinct.
pub(crate) fn check_experiment(e: &ExperimentSection, problems: &mut Problems) {
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
