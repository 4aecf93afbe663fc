//! Ensembles: combine the recorded test predictions of member trials of the
//! same sweep (same data, folds, labels, task and seed).
//!
//! `average` takes the mean of the members' class probabilities (a member
//! without probabilities, the SVM or random forest, votes with a one-hot
//! vector) or of their regression outputs. `stacking` fits a logistic
//! regression (ridge for regression) on the members' outputs; for each fold
//! it is fitted on the out-of-fold predictions of the *other* folds, so no
//! label of the fold it predicts is seen.

use std::collections::{BTreeMap, BTreeSet};

use mer_model::classical::{self, ClassPrediction, Matrix, argmax};
use mer_model::{Architecture, EnsembleConfig, EnsembleMethod, ModelConfig, ModelSection, Task};
use mer_spec::TrialConfig;
use mer_store::{PredictionRow, Split, TrialResult};

use super::trial::{
    MemberResult, Output, Part, Skips, Target, TrialData, TrialError, TrialOutput, make_folds,
    record_split, split_manifest,
};

/// Whether a member's scores are class probabilities.
fn probabilistic(arch: Architecture) -> bool {
    arch.is_neural() || matches!(arch, Architecture::Logreg | Architecture::Knn)
}

/// A member's output for one (fold, track): probabilities or values.
fn member_vector(m: &MemberResult, rows: &[&PredictionRow], n_classes: usize) -> Vec<f64> {
    match m.config.task {
        Task::Classification => {
            let p = rows[0];
            match (&p.scores, probabilistic(m.config.architecture)) {
                (Some(s), true) => s.clone(),
                _ => {
                    let mut v = vec![0.0; n_classes];
                    v[p.y_pred as usize] = 1.0;
                    v
                }
            }
        }
        Task::Regression => rows.iter().map(|p| p.y_pred).collect(),
    }
}

pub(crate) fn run(cfg: &TrialConfig, data: &TrialData) -> Result<TrialOutput, TrialError> {
    let started = std::time::Instant::now();
    let ModelConfig::Ensemble(EnsembleConfig { members, method }) = &cfg.model else {
        unreachable!("only ensembles come here")
    };
    let err = |m: String| TrialError::Ensemble(m);
    if data.members.len() != members.len() {
        return Err(err(format!(
            "{} member results were given for {} members",
            data.members.len(),
            members.len()
        )));
    }
    let tracks = &data.dataset.tracks;
    let folds = make_folds(cfg, tracks)?;
    let classes = data.members[0].classes.clone();
    if let Some((m, _)) = data
        .members
        .iter()
        .map(|m| (m, &m.classes))
        .find(|(_, c)| **c != classes)
    {
        return Err(err(format!(
            "member trial {} has classes {:?}, the first member {:?}",
            m.trial_id, m.classes, classes
        )));
    }
    let n_classes = classes.as_ref().map_or(0, Vec::len);

    // (fold, track) -> rows of each member (one row per target).
    type Rows<'a> = BTreeMap<(i64, &'a str), Vec<&'a PredictionRow>>;
    let by_member: Vec<Rows> = data
        .members
        .iter()
        .map(|m| {
            let mut r: Rows = BTreeMap::new();
            for p in &m.predictions {
                r.entry((p.fold, p.track_id.as_str())).or_default().push(p);
            }
            r
        })
        .collect();
    let target_names: Vec<String> = match cfg.task {
        Task::Classification => Vec::new(),
        Task::Regression => {
            let mut names: Vec<String> = Vec::new();
            for p in &data.members[0].predictions {
                if !names.contains(&p.target) {
                    names.push(p.target.clone());
                }
            }
            names
        }
    };
    let index: BTreeMap<&str, usize> = tracks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();

    // Per fold: the tracks every member predicted, their features (member
    // outputs side by side) and targets.
    let mut skips = Skips::default();
    let mut per_fold: Vec<(Part, Vec<Vec<f64>>)> = Vec::new();
    for f in 0..folds.len() as i64 {
        let keys: BTreeSet<&str> = by_member[0]
            .keys()
            .filter(|(fold, _)| *fold == f)
            .map(|(_, t)| *t)
            .collect();
        let mut part = Part::default();
        let mut x = Vec::new();
        for track in keys {
            let rows: Option<Vec<&Vec<&PredictionRow>>> =
                by_member.iter().map(|m| m.get(&(f, track))).collect();
            let Some(rows) = rows else {
                skips.add(track, "ensemble", "not predicted by every member");
                continue;
            };
            let Some(&i) = index.get(track) else {
                return Err(err(format!(
                    "member predictions name track `{track}`, which the dataset does not have"
                )));
            };
            let mut features = Vec::new();
            for (m, r) in data.members.iter().zip(&rows) {
                features.extend(member_vector(m, r, n_classes));
            }
            let first = rows[0];
            part.idx.push(i);
            part.y.push(match cfg.task {
                Task::Classification => Target::Class(first[0].y_true as usize),
                Task::Regression => Target::Values(first.iter().map(|p| p.y_true).collect()),
            });
            x.push(features);
        }
        per_fold.push((part, x));
    }

    let width = match cfg.task {
        Task::Classification => n_classes,
        Task::Regression => target_names.len(),
    };
    let mut result = TrialResult::default();
    for (f, (part, x)) in per_fold.iter().enumerate() {
        if part.idx.is_empty() {
            return Err(err(format!(
                "fold {f}: no track was predicted by every member"
            )));
        }
        let output = match method {
            EnsembleMethod::Average => {
                let mean: Vec<Vec<f64>> = x
                    .iter()
                    .map(|row| {
                        (0..width)
                            .map(|j| {
                                (0..members.len()).map(|m| row[m * width + j]).sum::<f64>()
                                    / members.len() as f64
                            })
                            .collect()
                    })
                    .collect();
                match cfg.task {
                    Task::Classification => Output::Classes(ClassPrediction {
                        labels: mean.iter().map(|r| argmax(r)).collect(),
                        scores: Some(mean),
                    }),
                    Task::Regression => Output::Values(mean),
                }
            }
            EnsembleMethod::Stacking => stack(cfg, f, &per_fold, x, n_classes)
                .map_err(|source| TrialError::Model { fold: f, source })?,
        };
        record_split(
            &mut result,
            f as i64,
            Split::Test,
            part,
            &output,
            None,
            n_classes,
            &target_names,
            tracks,
            cfg.task,
        )?;
    }
    result.classes = classes;
    result.skipped = skips.into_rows();
    result.split = Some((
        mer_data::splits::split_hash(&folds),
        split_manifest(&folds, tracks),
    ));
    result.duration_s = started.elapsed().as_secs_f64();
    Ok(TrialOutput {
        result,
        ..TrialOutput::default()
    })
}

/// The stacker for fold `f`, fitted on the other folds' member outputs.
fn stack(
    cfg: &TrialConfig,
    f: usize,
    per_fold: &[(Part, Vec<Vec<f64>>)],
    x: &[Vec<f64>],
    n_classes: usize,
) -> Result<Output, classical::ModelError> {
    let mut train_x = Vec::new();
    let mut train_y = Vec::new();
    for (g, (part, xs)) in per_fold.iter().enumerate() {
        if g != f {
            train_x.extend(xs.iter().cloned());
            train_y.extend(part.y.iter().cloned());
        }
    }
    let xm = Matrix::from_rows(&train_x)?;
    let xt = Matrix::from_rows(x)?;
    let section = ModelSection::default();
    let seed = super::trial::derive_seed(cfg.seed, "stacking", f);
    Ok(match cfg.task {
        Task::Classification => {
            let y: Vec<usize> = train_y.iter().map(Target::class).collect();
            let mut out = classical::fit_predict_classes(
                &section.config_for(Architecture::Logreg),
                &xm,
                &y,
                n_classes,
                &[&xt],
                seed,
            )?;
            Output::Classes(out.pop().expect("one output"))
        }
        Task::Regression => {
            let y: Vec<Vec<f64>> = train_y.iter().map(|t| t.values().to_vec()).collect();
            let mut out = classical::fit_predict_values(
                &section.config_for(Architecture::Ridge),
                &xm,
                &y,
                &[&xt],
                seed,
            )?;
            Output::Values(out.pop().expect("one output"))
        }
    })
}
