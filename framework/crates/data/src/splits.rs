//! Splits: which tracks train, validate (early stopping) and test in each
//! fold. The `[evaluation]` section of a spec is an [`EvaluationConfig`].
//!
//! # Algorithms
//! * **k-fold, stratified** (`protocol = "kfold"`, strata given, `stratify`):
//!   scikit-learn's `StratifiedKFold(shuffle=True)` allocation — the labels,
//!   numbered by first appearance, are sorted and dealt round-robin to the folds to get per-fold class
//!   counts (so each fold's count of a class differs by at most one from any
//!   other fold's), then each class's fold assignments are shuffled with the
//!   seeded RNG. Per-fold class counts therefore equal scikit-learn's exactly;
//!   the indices differ (different RNG).
//! * **k-fold, plain**: a seeded permutation cut into `folds` contiguous
//!   chunks, the first `n % folds` one larger (scikit-learn's `KFold`).
//! * **group k-fold** (`group_by = "artist"`): no group ever straddles two
//!   folds. Stratified: scikit-learn's `StratifiedGroupKFold(shuffle=True)`
//!   greedy — groups in seeded random order, stably sorted by the standard
//!   deviation of their class counts (most class-skewed first), each put in
//!   the fold that minimises the mean over classes of the std of per-fold
//!   class shares, ties to the fold with fewer samples. Plain: scikit-learn's
//!   `GroupKFold` — groups (shuffled, then stably sorted largest first) each
//!   go to the fold with the fewest samples.
//! * **repeated k-fold** (`repeats > 1`): the same with an independent seed
//!   per repeat (splitmix64 of `seed + repeat * golden ratio`).
//! * **holdout**: `ceil(test_size * n)` test tracks, allocated to classes in
//!   proportion (largest remainder) when stratified. With groups, the first
//!   fold of a group k-fold with `round(1 / test_size)` folds is the test set.
//! * **fixed**: the dataset's own `split` column (`train`/`training`,
//!   `validation`/`valid`/`val`/`validate`/`dev`, `test`/`testing`/`eval`).
//!
//! A validation set of `validation * |train|` tracks (rounded, at least one
//! when the fraction is positive) is carved out of each training fold, the
//! same way (stratified, and by whole groups when `group_by` is set), unless
//! a fixed split already provides one. All index lists are sorted.

use std::collections::BTreeMap;

use mer_core::{ConfigError, limits};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::Track;

/// How tracks are split into folds. Defaults to `kfold`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// k-fold cross-validation (possibly repeated, stratified, grouped).
    #[default]
    Kfold,
    /// One train/test split of `test_size`.
    Holdout,
    /// The dataset's own fixed split.
    Fixed,
}

/// The `[evaluation]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvaluationConfig {
    /// Defaults to `"kfold"`.
    pub protocol: Protocol,
    /// Number of folds for `kfold`; defaults to `5`.
    pub folds: usize,
    /// Number of repeats of `kfold` with fresh shuffles; defaults to `1`.
    pub repeats: usize,
    /// Keep class proportions in every fold when class strata are given;
    /// defaults to `true`.
    pub stratify: bool,
    /// Keep all tracks of a group in one fold: `"artist"` or `"genre"`;
    /// defaults to none.
    pub group_by: Option<String>,
    /// Test fraction for `holdout`; defaults to `0.2`.
    pub test_size: f64,
    /// Fraction of each training fold held out for early stopping; defaults
    /// to `0.1` (`0` for none).
    pub validation: f64,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        EvaluationConfig {
            protocol: Protocol::Kfold,
            folds: 5,
            repeats: 1,
            stratify: true,
            group_by: None,
            test_size: 0.2,
            validation: 0.1,
        }
    }
}

/// The tracks of one fold, as indices into the dataset's track list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Repeat number (0-based).
    pub repeat: usize,
    /// Fold number within the repeat (0-based).
    pub index: usize,
    /// Training tracks (validation excluded), sorted.
    pub train: Vec<usize>,
    /// Early-stopping tracks, sorted; disjoint from train and test.
    pub validation: Vec<usize>,
    /// Test tracks, sorted.
    pub test: Vec<usize>,
}

/// Why folds could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    /// An `[evaluation]` value is out of range (key named from the spec's
    /// root: `evaluation.folds`).
    #[error("{0}")]
    Config(mer_core::ConfigError),
    /// Strata and tracks differ in length.
    #[error("strata has {found} entries but there are {expected} tracks; give one class per track")]
    StrataLength {
        /// Number of tracks.
        expected: usize,
        /// Number of strata.
        found: usize,
    },
    /// Too few tracks or groups for the requested folds.
    #[error("cannot make {folds} folds from {found} {what}; need at least {folds}")]
    TooFew {
        /// Folds wanted.
        folds: usize,
        /// What was counted (`tracks`, `artist groups`).
        what: String,
        /// How many there are.
        found: usize,
    },
    /// Tracks lack the grouping field.
    #[error(
        "evaluation.group_by = \"{key}\" but {count} tracks have no {key} (first: `{first}`); \
         every track needs one for grouped splits"
    )]
    MissingGroup {
        /// The field.
        key: String,
        /// How many lack it.
        count: usize,
        /// The first such track id.
        first: String,
    },
    /// Fixed protocol but a track has no or an unknown split name.
    #[error("protocol \"fixed\": track `{id}`: {message}")]
    FixedSplit {
        /// The track.
        id: String,
        /// The rule broken.
        message: String,
    },
    /// Fixed protocol but the dataset's split has no test (or train) tracks.
    #[error("protocol \"fixed\": the dataset's own split has no {0} tracks")]
    FixedEmpty(&'static str),
}

fn rng_for(seed: u64, a: u64, b: u64) -> ChaCha8Rng {
    // splitmix64 over a combination, so (seed, repeat, fold) streams differ.
    let mut z = seed
        .wrapping_add(a.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(b.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

/// An [`EvaluationConfig`] error (keys named from `[evaluation]`) as a split
/// error (keys named from the spec's root).
impl From<ConfigError> for SplitError {
    fn from(e: ConfigError) -> SplitError {
        SplitError::Config(e.within("evaluation"))
    }
}

impl EvaluationConfig {
    /// Checks ranges; keys named from `[evaluation]`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.protocol == Protocol::Kfold {
            if self.folds < 2 {
                return Err(ConfigError::found(
                    "folds",
                    self.folds,
                    "must be at least 2",
                ));
            }
            limits::size("folds", self.folds, 2, limits::MAX_FOLDS)?;
        }
        limits::size("repeats", self.repeats, 1, limits::MAX_FOLD_RUNS)?;
        if self.protocol == Protocol::Kfold && self.folds * self.repeats > limits::MAX_FOLD_RUNS {
            return Err(ConfigError::found(
                "repeats",
                self.repeats,
                format!(
                    "folds x repeats ({} x {}) must be at most {}: each is one model fit",
                    self.folds,
                    self.repeats,
                    limits::MAX_FOLD_RUNS
                ),
            ));
        }
        if !(self.test_size > 0.0 && self.test_size < 1.0) {
            return Err(ConfigError::found(
                "test_size",
                self.test_size,
                "must be in (0, 1)",
            ));
        }
        if !(self.validation >= 0.0 && self.validation < 1.0) {
            return Err(ConfigError::found(
                "validation",
                self.validation,
                "must be in [0, 1)",
            ));
        }
        if let Some(g) = &self.group_by
            && g != "artist"
            && g != "genre"
        {
            return Err(ConfigError::new(
                "group_by",
                format!("unknown value \"{g}\", expected one of: artist, genre"),
            ));
        }
        Ok(())
    }
}

/// Makes the folds. `strata` (one class index per track) drives
/// stratification when `cfg.stratify`; pass `None` for regression.
pub fn make_folds(
    cfg: &EvaluationConfig,
    tracks: &[Track],
    strata: Option<&[usize]>,
    seed: u64,
) -> Result<Vec<Fold>, SplitError> {
    cfg.validate()?;
    let n = tracks.len();
    if let Some(s) = strata
        && s.len() != n
    {
        return Err(SplitError::StrataLength {
            expected: n,
            found: s.len(),
        });
    }
    let strata: Option<Vec<usize>> = if cfg.stratify {
        strata.map(dense_classes)
    } else {
        None
    };
    let groups = match &cfg.group_by {
        Some(key) => Some(group_ids(tracks, key)?),
        None => None,
    };
    let strata = strata.as_deref();
    let groups = groups.as_deref();

    let mut folds = Vec::new();
    match cfg.protocol {
        Protocol::Kfold => {
            for r in 0..cfg.repeats {
                let mut rng = rng_for(seed, r as u64, 0);
                let all: Vec<usize> = (0..n).collect();
                let assignment = assign_folds(&all, cfg.folds, strata, groups, &mut rng)?;
                for f in 0..cfg.folds {
                    let test: Vec<usize> = (0..n).filter(|&i| assignment[i] == f).collect();
                    let rest: Vec<usize> = (0..n).filter(|&i| assignment[i] != f).collect();
                    folds.push(finish(cfg, r, f, rest, test, strata, groups, seed)?);
                }
            }
        }
        Protocol::Holdout => {
            let mut rng = rng_for(seed, 0, 0);
            let all: Vec<usize> = (0..n).collect();
            let test = holdout(&all, cfg.test_size, strata, groups, &mut rng)?;
            let is_test = mask(n, &test);
            let rest: Vec<usize> = (0..n).filter(|&i| !is_test[i]).collect();
            folds.push(finish(cfg, 0, 0, rest, test, strata, groups, seed)?);
        }
        Protocol::Fixed => {
            let (mut train, mut validation, mut test) = (Vec::new(), Vec::new(), Vec::new());
            for (i, t) in tracks.iter().enumerate() {
                let name = t.split.as_deref().ok_or_else(|| SplitError::FixedSplit {
                    id: t.id.clone(),
                    message: "has no split; the dataset's own split must name every track".into(),
                })?;
                match name.trim().to_ascii_lowercase().as_str() {
                    "train" | "training" => train.push(i),
                    "validation" | "valid" | "val" | "validate" | "dev" | "development" => {
                        validation.push(i)
                    }
                    "test" | "testing" | "eval" | "evaluation" => test.push(i),
                    other => {
                        return Err(SplitError::FixedSplit {
                            id: t.id.clone(),
                            message: format!(
                                "unknown split \"{other}\", expected train, validation or test"
                            ),
                        });
                    }
                }
            }
            if train.is_empty() {
                return Err(SplitError::FixedEmpty("train"));
            }
            if test.is_empty() {
                return Err(SplitError::FixedEmpty("test"));
            }
            if validation.is_empty() {
                folds.push(finish(cfg, 0, 0, train, test, strata, groups, seed)?);
            } else {
                folds.push(Fold {
                    repeat: 0,
                    index: 0,
                    train,
                    validation,
                    test,
                });
            }
        }
    }
    Ok(folds)
}

/// Carves the validation set out of `rest` and builds the fold.
#[allow(clippy::too_many_arguments)]
fn finish(
    cfg: &EvaluationConfig,
    repeat: usize,
    index: usize,
    rest: Vec<usize>,
    mut test: Vec<usize>,
    strata: Option<&[usize]>,
    groups: Option<&[usize]>,
    seed: u64,
) -> Result<Fold, SplitError> {
    let mut validation = Vec::new();
    if cfg.validation > 0.0 && rest.len() >= 2 {
        let mut rng = rng_for(seed, repeat as u64, index as u64 + 1);
        let target =
            ((cfg.validation * rest.len() as f64).round() as usize).clamp(1, rest.len() - 1);
        validation = match groups {
            Some(g) => take_groups(&rest, target, g, &mut rng),
            None => take_stratified(&rest, target, strata, &mut rng),
        };
    }
    let size = rest.iter().max().map_or(0, |m| m + 1);
    let is_val = mask(size, &validation);
    let mut train: Vec<usize> = rest.into_iter().filter(|&i| !is_val[i]).collect();
    train.sort_unstable();
    validation.sort_unstable();
    test.sort_unstable();
    Ok(Fold {
        repeat,
        index,
        train,
        validation,
        test,
    })
}

fn mask(n: usize, idx: &[usize]) -> Vec<bool> {
    let mut m = vec![false; n];
    for &i in idx {
        if i < m.len() {
            m[i] = true;
        }
    }
    m
}

/// Maps arbitrary class labels onto 0..C in order of first appearance, as
/// scikit-learn's `StratifiedKFold` encodes them (this order decides how the
/// round-robin deal pairs classes within a fold).
fn dense_classes(strata: &[usize]) -> Vec<usize> {
    let mut code: BTreeMap<usize, usize> = BTreeMap::new();
    for &s in strata {
        let next = code.len();
        code.entry(s).or_insert(next);
    }
    strata.iter().map(|s| code[s]).collect()
}

/// Dense group ids (sorted by group name) per track.
fn group_ids(tracks: &[Track], key: &str) -> Result<Vec<usize>, SplitError> {
    let value = |t: &Track| match key {
        "artist" => t.artist.clone(),
        _ => t.genre.clone(),
    };
    let missing: Vec<&Track> = tracks.iter().filter(|t| value(t).is_none()).collect();
    if let Some(first) = missing.first() {
        return Err(SplitError::MissingGroup {
            key: key.to_string(),
            count: missing.len(),
            first: first.id.clone(),
        });
    }
    let names: BTreeMap<String, usize> = tracks
        .iter()
        .filter_map(value)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, g)| (g, i))
        .collect();
    Ok(tracks
        .iter()
        .map(|t| value(t).map(|v| names[&v]).unwrap_or(0))
        .collect())
}

/// Assigns each of `items` (indices) to one of `k` folds; returns a vector
/// indexed by track index (entries for tracks not in `items` are `usize::MAX`).
fn assign_folds(
    items: &[usize],
    k: usize,
    strata: Option<&[usize]>,
    groups: Option<&[usize]>,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<usize>, SplitError> {
    let n_all = items.iter().max().map_or(0, |m| m + 1);
    let mut out = vec![usize::MAX; n_all];
    if items.len() < k {
        return Err(SplitError::TooFew {
            folds: k,
            what: "tracks".into(),
            found: items.len(),
        });
    }
    match (groups, strata) {
        (Some(g), s) => {
            // Group -> members.
            let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &i in items {
                members.entry(g[i]).or_default().push(i);
            }
            if members.len() < k {
                return Err(SplitError::TooFew {
                    folds: k,
                    what: "groups".into(),
                    found: members.len(),
                });
            }
            let mut order: Vec<Vec<usize>> = members.into_values().collect();
            order.shuffle(rng);
            let fold_of_group = match s {
                Some(s) => stratified_group_kfold(&order, k, s),
                None => group_kfold(&order, k),
            };
            for (gi, members) in order.iter().enumerate() {
                for &i in members {
                    out[i] = fold_of_group[gi];
                }
            }
        }
        (None, Some(s)) => {
            let n_classes = items.iter().map(|&i| s[i]).max().map_or(0, |m| m + 1);
            let mut sorted: Vec<usize> = items.iter().map(|&i| s[i]).collect();
            sorted.sort_unstable();
            // allocation[f][c]: the round-robin deal of sorted labels.
            let mut allocation = vec![vec![0usize; n_classes]; k];
            for (j, &c) in sorted.iter().enumerate() {
                allocation[j % k][c] += 1;
            }
            #[allow(clippy::needless_range_loop)] // c indexes the inner dimension
            for c in 0..n_classes {
                let mut folds_for_class: Vec<usize> = (0..k)
                    .flat_map(|f| std::iter::repeat_n(f, allocation[f][c]))
                    .collect();
                folds_for_class.shuffle(rng);
                let members = items.iter().filter(|&&i| s[i] == c);
                for (&i, &f) in members.zip(&folds_for_class) {
                    out[i] = f;
                }
            }
        }
        (None, None) => {
            let mut perm = items.to_vec();
            perm.shuffle(rng);
            let n = perm.len();
            let mut start = 0;
            for f in 0..k {
                let size = n / k + usize::from(f < n % k);
                for &i in &perm[start..start + size] {
                    out[i] = f;
                }
                start += size;
            }
        }
    }
    Ok(out)
}

/// scikit-learn's `GroupKFold`: largest group first to the lightest fold.
fn group_kfold(groups: &[Vec<usize>], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| groups[b].len().cmp(&groups[a].len())); // stable
    let mut load = vec![0usize; k];
    let mut fold = vec![0usize; groups.len()];
    for g in order {
        let lightest = (0..k).min_by_key(|&f| (load[f], f)).unwrap_or(0);
        load[lightest] += groups[g].len();
        fold[g] = lightest;
    }
    fold
}

fn std_pop(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// scikit-learn's `StratifiedGroupKFold` greedy (see the module docs).
fn stratified_group_kfold(groups: &[Vec<usize>], k: usize, strata: &[usize]) -> Vec<usize> {
    let n_classes = groups
        .iter()
        .flatten()
        .map(|&i| strata[i])
        .max()
        .map_or(0, |m| m + 1);
    let counts: Vec<Vec<f64>> = groups
        .iter()
        .map(|members| {
            let mut c = vec![0.0; n_classes];
            for &i in members {
                c[strata[i]] += 1.0;
            }
            c
        })
        .collect();
    let mut y_cnt = vec![0.0; n_classes];
    for c in &counts {
        for (t, x) in y_cnt.iter_mut().zip(c) {
            *t += x;
        }
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    let spread: Vec<f64> = counts.iter().map(|c| std_pop(c)).collect();
    // Descending std, stable (mergesort in scikit-learn).
    order.sort_by(|&a, &b| {
        spread[b]
            .partial_cmp(&spread[a])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut per_fold = vec![vec![0.0; n_classes]; k];
    let mut fold = vec![0usize; groups.len()];
    for g in order {
        let mut best = 0;
        let mut min_eval = f64::INFINITY;
        let mut min_samples = f64::INFINITY;
        for f in 0..k {
            for c in 0..n_classes {
                per_fold[f][c] += counts[g][c];
            }
            let mut eval = 0.0;
            for c in 0..n_classes {
                let shares: Vec<f64> = (0..k).map(|ff| per_fold[ff][c] / y_cnt[c]).collect();
                eval += std_pop(&shares);
            }
            eval /= n_classes as f64;
            for c in 0..n_classes {
                per_fold[f][c] -= counts[g][c];
            }
            let samples: f64 = per_fold[f].iter().sum();
            let close = (eval - min_eval).abs() <= 1e-8 + 1e-5 * min_eval.abs();
            if eval < min_eval || (close && samples < min_samples) {
                best = f;
                min_eval = eval;
                min_samples = samples;
            }
        }
        for c in 0..n_classes {
            per_fold[best][c] += counts[g][c];
        }
        fold[g] = best;
    }
    fold
}

/// Holdout test indices.
fn holdout(
    items: &[usize],
    test_size: f64,
    strata: Option<&[usize]>,
    groups: Option<&[usize]>,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<usize>, SplitError> {
    let n_test =
        ((test_size * items.len() as f64).ceil() as usize).min(items.len().saturating_sub(1));
    if n_test == 0 {
        return Err(SplitError::TooFew {
            folds: 2,
            what: "tracks".into(),
            found: items.len(),
        });
    }
    if groups.is_some() {
        let k = ((1.0 / test_size).round() as usize).max(2);
        let assignment = assign_folds(items, k, strata, groups, rng)?;
        return Ok(items
            .iter()
            .copied()
            .filter(|&i| assignment[i] == 0)
            .collect());
    }
    Ok(take_stratified(items, n_test, strata, rng))
}

/// `target` items drawn at random, per class in proportion when stratified.
fn take_stratified(
    items: &[usize],
    target: usize,
    strata: Option<&[usize]>,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    match strata {
        None => {
            let mut perm = items.to_vec();
            perm.shuffle(rng);
            perm.truncate(target);
            perm
        }
        Some(s) => {
            let mut by_class: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &i in items {
                by_class.entry(s[i]).or_default().push(i);
            }
            let total = items.len() as f64;
            let classes: Vec<usize> = by_class.keys().copied().collect();
            let exact: Vec<f64> = classes
                .iter()
                .map(|c| by_class[c].len() as f64 / total * target as f64)
                .collect();
            let mut take: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
            let mut left = target - take.iter().sum::<usize>();
            let mut order: Vec<usize> = (0..classes.len()).collect();
            order.sort_by(|&a, &b| {
                let fa = exact[a] - exact[a].floor();
                let fb = exact[b] - exact[b].floor();
                fb.partial_cmp(&fa)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.cmp(&b))
            });
            for &ci in &order {
                if left == 0 {
                    break;
                }
                if take[ci] < by_class[&classes[ci]].len() {
                    take[ci] += 1;
                    left -= 1;
                }
            }
            let mut out = Vec::with_capacity(target);
            for (ci, c) in classes.iter().enumerate() {
                let mut members = by_class[c].clone();
                members.shuffle(rng);
                out.extend(members.into_iter().take(take[ci]));
            }
            out
        }
    }
}

/// Whole groups in random order until at least `target` items (never all).
fn take_groups(
    items: &[usize],
    target: usize,
    groups: &[usize],
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in items {
        members.entry(groups[i]).or_default().push(i);
    }
    if members.len() < 2 {
        return Vec::new(); // one group: it cannot be split without leaking
    }
    let mut order: Vec<Vec<usize>> = members.into_values().collect();
    order.shuffle(rng);
    let mut out = Vec::new();
    for (gi, g) in order.iter().enumerate() {
        if out.len() >= target || gi + 1 == order.len() {
            break;
        }
        out.extend(g.iter().copied());
    }
    out
}

/// A blake3 hex digest of the folds (repeat, index and the three sorted
/// index lists of each), so a re-run can prove it used the same tracks.
/// Indices refer to the dataset's track order (sorted by id), so store it
/// together with the dataset fingerprint.
pub fn split_hash(folds: &[Fold]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"mer-splits v1");
    h.update(&(folds.len() as u64).to_le_bytes());
    for f in folds {
        h.update(&(f.repeat as u64).to_le_bytes());
        h.update(&(f.index as u64).to_le_bytes());
        for list in [&f.train, &f.validation, &f.test] {
            h.update(&(list.len() as u64).to_le_bytes());
            for &i in list.iter() {
                h.update(&(i as u64).to_le_bytes());
            }
        }
    }
    h.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracks(n: usize, artists: usize) -> Vec<Track> {
        (0..n)
            .map(|i| {
                let mut t = Track::new(format!("t{i:03}"));
                t.artist = Some(format!("a{}", i % artists));
                t
            })
            .collect()
    }

    #[test]
    fn every_track_is_tested_exactly_once_and_sets_are_disjoint() {
        let ts = tracks(103, 20);
        let strata: Vec<usize> = (0..103).map(|i| (i * 7) % 3).collect();
        for group_by in [None, Some("artist".to_string())] {
            let cfg = EvaluationConfig {
                group_by: group_by.clone(),
                repeats: 2,
                ..Default::default()
            };
            let folds = make_folds(&cfg, &ts, Some(&strata), 7).unwrap();
            assert_eq!(folds.len(), 10);
            for r in 0..2 {
                let mut seen = vec![0; 103];
                for f in folds.iter().filter(|f| f.repeat == r) {
                    for &i in &f.test {
                        seen[i] += 1;
                    }
                    let all: std::collections::BTreeSet<usize> = f
                        .train
                        .iter()
                        .chain(&f.validation)
                        .chain(&f.test)
                        .copied()
                        .collect();
                    assert_eq!(all.len(), 103, "train/validation/test partition the tracks");
                    assert!(!f.validation.is_empty());
                }
                assert!(seen.iter().all(|&c| c == 1));
            }
            assert_ne!(folds[0].test, folds[5].test, "repeats reshuffle");
        }
    }

    #[test]
    fn same_seed_same_folds_and_hash() {
        let ts = tracks(50, 10);
        let cfg = EvaluationConfig::default();
        let a = make_folds(&cfg, &ts, None, 3).unwrap();
        let b = make_folds(&cfg, &ts, None, 3).unwrap();
        let c = make_folds(&cfg, &ts, None, 4).unwrap();
        assert_eq!(split_hash(&a), split_hash(&b));
        assert_ne!(split_hash(&a), split_hash(&c));
    }

    #[test]
    fn missing_group_is_an_error_naming_the_track() {
        let mut ts = tracks(10, 5);
        ts[3].artist = None;
        let cfg = EvaluationConfig {
            group_by: Some("artist".into()),
            ..Default::default()
        };
        let e = make_folds(&cfg, &ts, None, 0).unwrap_err().to_string();
        assert!(e.contains("t003") && e.contains("artist"), "{e}");
    }
}
