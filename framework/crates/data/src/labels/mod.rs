//! Label schemes: grid NxN and k-means K on valence/arousal, categorical,
//! binary subsets, and regression targets.
//!
//! Owns: mapping tracks to class indices or continuous targets, fitted on the
//! training fold only. Leaves splitting to `data` and models to `model`.
//!
//! # Schemes (as written in a spec)
//! | string | classes | needs |
//! |---|---|---|
//! | `quadrants` | `Q1_happy` (+V+A), `Q2_angry` (-V+A), `Q3_sad` (-V-A), `Q4_calm` (+V-A); `v = 0` counts as positive, likewise `a` | V/A, or a `Q1`..`Q4` category (4Q, MERGE) when V/A is absent |
//! | `gridN` (`grid4`, `grid16`, `grid64`; alias `absN`) | an equal `s x s` grid over `[-1, 1]^2`, `s = sqrt(N)`: cell `(i, j)` with `i` the valence bin and `j` the arousal bin (0 = lowest), class index `j * s + i`, named `v{i}a{j}`; values are clamped into the square, a value on a boundary goes to the upper cell | V/A |
//! | `kmeansK` (`kmeans4`, ...) | k-means on the training fold's V/A (best of 10 seeded k-means++ runs, see [`kmeans`]); clusters numbered by ascending centre valence, ties by arousal, named `c0`..; a track's class is its nearest centre | V/A |
//! | `categorical` | the training fold's distinct `category` values, sorted | category |
//! | `genre` | the training fold's distinct `genre` values, sorted | genre |
//! | `binary:happy_sad` | `happy`, `sad` | tags `happy`/`sad`, else V/A regions Q1 (happy) and Q3 (sad) |
//! | `binary:relaxing_energetic` | `relaxing`, `energetic` | tags `relaxing`/`energetic`, else V/A regions Q4 (relaxing) and arousal > 0 (energetic) |
//! | `valence`, `arousal`, `va` | regression targets `[v]`, `[a]`, `[v, a]` | V/A |
//!
//! Binary tasks use tags when any training track carries either tag of the
//! pair (a track with both or neither is then unlabelled), otherwise the V/A
//! regions; tracks outside both regions are unlabelled (`class_of` is `None`).
//! A class seen only in the test fold (categorical, genre) is unlabelled.

pub mod kmeans;

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Track;

pub use crate::QUADRANT_NAMES;

/// Number of k-means++ initialisations whose best (lowest inertia) is kept.
pub const KMEANS_N_INIT: usize = 10;

/// A binary task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BinaryTask {
    /// happy (Q1) vs sad (Q3).
    HappySad,
    /// relaxing (Q4) vs energetic (arousal > 0).
    RelaxingEnergetic,
}

impl BinaryTask {
    /// The two class names, positive first.
    pub fn classes(self) -> [&'static str; 2] {
        match self {
            BinaryTask::HappySad => ["happy", "sad"],
            BinaryTask::RelaxingEnergetic => ["relaxing", "energetic"],
        }
    }

    /// Class from V/A regions (`None` outside both).
    fn class_from_va(self, v: f64, a: f64) -> Option<usize> {
        let q = quadrant_of(v, a);
        match self {
            BinaryTask::HappySad => match q {
                0 => Some(0),
                2 => Some(1),
                _ => None,
            },
            BinaryTask::RelaxingEnergetic => {
                if q == 3 {
                    Some(0)
                } else if a > 0.0 {
                    Some(1)
                } else {
                    None
                }
            }
        }
    }

    /// Class from tags: exactly one of the pair.
    fn class_from_tags(self, tags: &[String]) -> Option<usize> {
        let [p, n] = self.classes();
        let has = |t: &str| tags.iter().any(|x| x.eq_ignore_ascii_case(t));
        match (has(p), has(n)) {
            (true, false) => Some(0),
            (false, true) => Some(1),
            _ => None,
        }
    }
}

/// A label scheme; parsed from and displayed as the strings in the module
/// docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelScheme {
    /// Russell quadrants.
    Quadrants,
    /// Equal grid with this many cells (a perfect square >= 4).
    Grid(usize),
    /// k-means with this many clusters (>= 2).
    KMeans(usize),
    /// The dataset's category.
    Categorical,
    /// The dataset's genre.
    Genre,
    /// A binary task.
    Binary(BinaryTask),
    /// Regression on valence.
    Valence,
    /// Regression on arousal.
    Arousal,
    /// Regression on valence and arousal.
    Va,
}

/// Errors of parsing or fitting a label scheme.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    /// An unknown scheme string.
    #[error(
        "unknown label scheme \"{0}\", expected one of: quadrants, grid4, grid16, grid64 (any gridN \
         with N a perfect square), kmeans4, kmeans16, kmeans64 (any kmeansK), categorical, genre, \
         binary:happy_sad, binary:relaxing_energetic, valence, arousal, va"
    )]
    Unknown(String),
    /// A malformed number in `gridN` / `kmeansK`.
    #[error("label scheme \"{scheme}\": {message}")]
    BadParameter {
        /// The string.
        scheme: String,
        /// The rule broken.
        message: String,
    },
    /// The training fold has too little to fit on.
    #[error("label scheme {scheme}: {message}")]
    CannotFit {
        /// The scheme.
        scheme: String,
        /// Why.
        message: String,
    },
}

/// Quadrant index of a V/A point (`v = 0` / `a = 0` count as positive).
pub fn quadrant_of(v: f64, a: f64) -> usize {
    match (v >= 0.0, a >= 0.0) {
        (true, true) => 0,
        (false, true) => 1,
        (false, false) => 2,
        (true, false) => 3,
    }
}

fn grid_bin(x: f64, s: usize) -> usize {
    let b = ((x.clamp(-1.0, 1.0) + 1.0) / 2.0 * s as f64).floor() as usize;
    b.min(s - 1)
}

impl FromStr for LabelScheme {
    type Err = LabelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let number = |rest: &str| -> Result<usize, LabelError> {
            rest.parse::<usize>().map_err(|_| LabelError::BadParameter {
                scheme: s.to_string(),
                message: format!("`{rest}` is not a whole number"),
            })
        };
        Ok(match lower.as_str() {
            "quadrants" => LabelScheme::Quadrants,
            "categorical" => LabelScheme::Categorical,
            "genre" => LabelScheme::Genre,
            "binary:happy_sad" => LabelScheme::Binary(BinaryTask::HappySad),
            "binary:relaxing_energetic" => LabelScheme::Binary(BinaryTask::RelaxingEnergetic),
            "valence" => LabelScheme::Valence,
            "arousal" => LabelScheme::Arousal,
            "va" => LabelScheme::Va,
            other => {
                if let Some(rest) = other
                    .strip_prefix("grid")
                    .or_else(|| other.strip_prefix("abs"))
                {
                    let n = number(rest)?;
                    let side = (n as f64).sqrt().round() as usize;
                    if n < 4 || side * side != n {
                        return Err(LabelError::BadParameter {
                            scheme: s.to_string(),
                            message: format!(
                                "the cell count {n} must be a perfect square of at least 4 (4, 16, 64, ...)"
                            ),
                        });
                    }
                    LabelScheme::Grid(n)
                } else if let Some(rest) = other.strip_prefix("kmeans") {
                    let k = number(rest)?;
                    if k < 2 {
                        return Err(LabelError::BadParameter {
                            scheme: s.to_string(),
                            message: format!("k must be at least 2, got {k}"),
                        });
                    }
                    LabelScheme::KMeans(k)
                } else {
                    return Err(LabelError::Unknown(s.to_string()));
                }
            }
        })
    }
}

impl fmt::Display for LabelScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelScheme::Quadrants => f.write_str("quadrants"),
            LabelScheme::Grid(n) => write!(f, "grid{n}"),
            LabelScheme::KMeans(k) => write!(f, "kmeans{k}"),
            LabelScheme::Categorical => f.write_str("categorical"),
            LabelScheme::Genre => f.write_str("genre"),
            LabelScheme::Binary(BinaryTask::HappySad) => f.write_str("binary:happy_sad"),
            LabelScheme::Binary(BinaryTask::RelaxingEnergetic) => {
                f.write_str("binary:relaxing_energetic")
            }
            LabelScheme::Valence => f.write_str("valence"),
            LabelScheme::Arousal => f.write_str("arousal"),
            LabelScheme::Va => f.write_str("va"),
        }
    }
}

impl Serialize for LabelScheme {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LabelScheme {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl LabelScheme {
    /// True for the regression targets (`valence`, `arousal`, `va`).
    pub fn is_regression(&self) -> bool {
        matches!(
            self,
            LabelScheme::Valence | LabelScheme::Arousal | LabelScheme::Va
        )
    }

    /// True when the scheme can label only tracks with valence and arousal
    /// (grid, k-means, regression). `quadrants` and binary tasks can also use
    /// categories / tags, so they are `false`.
    pub fn requires_va(&self) -> bool {
        matches!(
            self,
            LabelScheme::Grid(_)
                | LabelScheme::KMeans(_)
                | LabelScheme::Valence
                | LabelScheme::Arousal
                | LabelScheme::Va
        )
    }
}

/// What a binary task reads, decided on the training fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinarySource {
    /// The dataset's tags.
    Tags,
    /// V/A regions.
    Va,
}

/// A scheme fitted on a training fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLabels {
    scheme: LabelScheme,
    classes: Vec<String>,
    target_names: Vec<String>,
    /// k-means centres `[k][2]` in class order.
    centres: Vec<[f64; 2]>,
    binary_source: Option<BinarySource>,
}

fn va(t: &Track) -> Option<(f64, f64)> {
    Some((t.valence?, t.arousal?))
}

fn quadrant_from_category(t: &Track) -> Option<usize> {
    let c = t.category.as_deref()?.trim();
    let b = c.as_bytes();
    if b.len() >= 2
        && (b[0] == b'Q' || b[0] == b'q')
        && (b'1'..=b'4').contains(&b[1])
        && (b.len() == 2 || !b[2].is_ascii_digit())
    {
        return Some((b[1] - b'1') as usize);
    }
    None
}

/// Fits a scheme on the training fold (`train` only: test tracks must never
/// be passed here). `seed` drives k-means++.
pub fn fit(scheme: &LabelScheme, train: &[&Track], seed: u64) -> Result<FittedLabels, LabelError> {
    let cannot = |message: String| LabelError::CannotFit {
        scheme: scheme.to_string(),
        message,
    };
    let mut fitted = FittedLabels {
        scheme: *scheme,
        classes: Vec::new(),
        target_names: Vec::new(),
        centres: Vec::new(),
        binary_source: None,
    };
    match scheme {
        LabelScheme::Quadrants => {
            fitted.classes = QUADRANT_NAMES.iter().map(|s| s.to_string()).collect();
        }
        LabelScheme::Grid(n) => {
            let s = (*n as f64).sqrt().round() as usize;
            fitted.classes = (0..*n).map(|c| format!("v{}a{}", c % s, c / s)).collect();
        }
        LabelScheme::KMeans(k) => {
            let points: Vec<[f64; 2]> = train
                .iter()
                .filter_map(|t| va(t))
                .map(|(v, a)| [v, a])
                .collect();
            let mut distinct = points.clone();
            distinct.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            distinct.dedup();
            if distinct.len() < *k {
                return Err(cannot(format!(
                    "the training fold has {} distinct valence/arousal points, fewer than k = {k}",
                    distinct.len()
                )));
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let result = kmeans::fit(&points, *k, KMEANS_N_INIT, &mut rng);
            let mut centres = result.centres;
            centres.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            fitted.classes = (0..*k).map(|c| format!("c{c}")).collect();
            fitted.centres = centres;
        }
        LabelScheme::Categorical | LabelScheme::Genre => {
            let mut classes: Vec<String> = train
                .iter()
                .filter_map(|t| {
                    if *scheme == LabelScheme::Genre {
                        t.genre.clone()
                    } else {
                        t.category.clone()
                    }
                })
                .collect();
            classes.sort();
            classes.dedup();
            fitted.classes = classes;
        }
        LabelScheme::Binary(task) => {
            let [p, n] = task.classes();
            let tagged = train.iter().any(|t| {
                t.tags
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(p) || x.eq_ignore_ascii_case(n))
            });
            fitted.binary_source = Some(if tagged {
                BinarySource::Tags
            } else {
                BinarySource::Va
            });
            fitted.classes = vec![p.to_string(), n.to_string()];
        }
        LabelScheme::Valence => fitted.target_names = vec!["valence".into()],
        LabelScheme::Arousal => fitted.target_names = vec!["arousal".into()],
        LabelScheme::Va => fitted.target_names = vec!["valence".into(), "arousal".into()],
    }
    // Every scheme must be able to label (or give targets for) the fold, and
    // a classifier needs two classes present.
    if scheme.is_regression() {
        if !train.iter().any(|t| fitted.targets_of(t).is_some()) {
            return Err(cannot("no training track has valence and arousal".into()));
        }
    } else {
        let mut present = vec![false; fitted.classes.len()];
        for t in train {
            if let Some(c) = fitted.class_of(t) {
                present[c] = true;
            }
        }
        let n_present = present.iter().filter(|&&x| x).count();
        if n_present < 2 {
            return Err(cannot(format!(
                "the training fold has {n_present} labelled class(es); a classifier needs at least 2 \
                 (check that the dataset has the fields this scheme needs)"
            )));
        }
    }
    Ok(fitted)
}

impl FittedLabels {
    /// The scheme.
    pub fn scheme(&self) -> &LabelScheme {
        &self.scheme
    }

    /// Class names in index order (empty for regression).
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// k-means centres `[k][2]` (`[valence, arousal]`) in class order; empty
    /// for other schemes.
    pub fn centres(&self) -> &[[f64; 2]] {
        &self.centres
    }

    /// For binary tasks: whether tags or V/A regions are used.
    pub fn binary_source(&self) -> Option<BinarySource> {
        self.binary_source
    }

    /// The class of a track, `None` when it cannot be labelled (missing
    /// fields, outside a binary task's regions, a category unseen in
    /// training) or the scheme is a regression.
    pub fn class_of(&self, t: &Track) -> Option<usize> {
        match self.scheme {
            LabelScheme::Quadrants => match va(t) {
                Some((v, a)) => Some(quadrant_of(v, a)),
                None => quadrant_from_category(t),
            },
            LabelScheme::Grid(n) => {
                let s = (n as f64).sqrt().round() as usize;
                let (v, a) = va(t)?;
                Some(grid_bin(a, s) * s + grid_bin(v, s))
            }
            LabelScheme::KMeans(_) => {
                let (v, a) = va(t)?;
                let mut best = (0, f64::INFINITY);
                for (j, c) in self.centres.iter().enumerate() {
                    let d = (c[0] - v).powi(2) + (c[1] - a).powi(2);
                    if d < best.1 {
                        best = (j, d);
                    }
                }
                Some(best.0)
            }
            LabelScheme::Categorical => {
                let c = t.category.as_ref()?;
                self.classes.iter().position(|x| x == c)
            }
            LabelScheme::Genre => {
                let g = t.genre.as_ref()?;
                self.classes.iter().position(|x| x == g)
            }
            LabelScheme::Binary(task) => match self.binary_source {
                Some(BinarySource::Tags) => task.class_from_tags(&t.tags),
                _ => {
                    let (v, a) = va(t)?;
                    task.class_from_va(v, a)
                }
            },
            LabelScheme::Valence | LabelScheme::Arousal | LabelScheme::Va => None,
        }
    }

    /// Regression targets of a track (`None` for classification schemes or
    /// when the track lacks the values).
    pub fn targets_of(&self, t: &Track) -> Option<Vec<f64>> {
        match self.scheme {
            LabelScheme::Valence => Some(vec![t.valence?]),
            LabelScheme::Arousal => Some(vec![t.arousal?]),
            LabelScheme::Va => Some(vec![t.valence?, t.arousal?]),
            _ => None,
        }
    }

    /// Names of the regression targets (empty for classification).
    pub fn target_names(&self) -> &[String] {
        &self.target_names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: f64, a: f64) -> Track {
        let mut t = Track::new(format!("{v},{a}"));
        t.valence = Some(v);
        t.arousal = Some(a);
        t
    }

    #[test]
    fn schemes_round_trip_through_strings() {
        for s in [
            "quadrants",
            "grid4",
            "grid16",
            "grid64",
            "kmeans4",
            "kmeans16",
            "kmeans64",
            "kmeans7",
            "categorical",
            "genre",
            "binary:happy_sad",
            "binary:relaxing_energetic",
            "valence",
            "arousal",
            "va",
        ] {
            let parsed: LabelScheme = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
        }
        assert_eq!(
            "abs16".parse::<LabelScheme>().unwrap(),
            LabelScheme::Grid(16)
        );
        assert!(
            "grid8"
                .parse::<LabelScheme>()
                .unwrap_err()
                .to_string()
                .contains("perfect square")
        );
        assert!("kmeans1".parse::<LabelScheme>().is_err());
        assert!(matches!(
            "cnn3d".parse::<LabelScheme>(),
            Err(LabelError::Unknown(_))
        ));
    }

    #[test]
    fn grid_cells_and_boundaries() {
        let tracks = [
            t(-0.9, -0.9),
            t(0.9, -0.9),
            t(-0.9, 0.9),
            t(0.9, 0.9),
            t(0.0, 0.0),
            t(1.0, 1.0),
        ];
        let refs: Vec<&Track> = tracks.iter().collect();
        let g = fit(&LabelScheme::Grid(16), &refs, 0).unwrap();
        assert_eq!(g.classes().len(), 16);
        assert_eq!(g.class_of(&tracks[0]), Some(0));
        assert_eq!(g.class_of(&tracks[1]), Some(3)); // valence bin 3, arousal bin 0
        assert_eq!(g.class_of(&tracks[2]), Some(12));
        assert_eq!(g.class_of(&tracks[3]), Some(15));
        assert_eq!(g.class_of(&tracks[4]), Some(2 * 4 + 2)); // boundary goes up
        assert_eq!(g.class_of(&tracks[5]), Some(15)); // the top edge stays inside
        let q = fit(&LabelScheme::Quadrants, &refs, 0).unwrap();
        assert_eq!(q.class_of(&tracks[0]), Some(2));
        assert_eq!(q.class_of(&tracks[1]), Some(3));
        assert_eq!(q.class_of(&tracks[2]), Some(1));
        assert_eq!(q.class_of(&tracks[3]), Some(0));
    }

    #[test]
    fn quadrants_fall_back_to_q_categories() {
        let mut a = Track::new("a");
        a.category = Some("Q3".into());
        let mut b = Track::new("b");
        b.category = Some("Q1".into());
        let mut c = Track::new("c");
        c.category = Some("Q12".into());
        let q = fit(&LabelScheme::Quadrants, &[&a, &b], 0).unwrap();
        assert_eq!(q.class_of(&a), Some(2));
        assert_eq!(q.class_of(&c), None);
    }

    #[test]
    fn binary_tasks_use_regions_or_tags() {
        let tracks = [t(0.5, 0.5), t(-0.5, -0.5), t(-0.5, 0.5), t(0.5, -0.5)];
        let refs: Vec<&Track> = tracks.iter().collect();
        let hs = fit(&LabelScheme::Binary(BinaryTask::HappySad), &refs, 0).unwrap();
        assert_eq!(hs.binary_source(), Some(BinarySource::Va));
        let got: Vec<Option<usize>> = tracks.iter().map(|x| hs.class_of(x)).collect();
        assert_eq!(got, vec![Some(0), Some(1), None, None]);
        let re = fit(
            &LabelScheme::Binary(BinaryTask::RelaxingEnergetic),
            &refs,
            0,
        )
        .unwrap();
        let got: Vec<Option<usize>> = tracks.iter().map(|x| re.class_of(x)).collect();
        assert_eq!(got, vec![Some(1), None, Some(1), Some(0)]);

        let mut x = Track::new("x");
        x.tags = vec!["happy".into()];
        let mut y = Track::new("y");
        y.tags = vec!["sad".into()];
        let mut z = Track::new("z");
        z.tags = vec!["happy".into(), "sad".into()];
        let hs = fit(&LabelScheme::Binary(BinaryTask::HappySad), &[&x, &y], 0).unwrap();
        assert_eq!(hs.binary_source(), Some(BinarySource::Tags));
        assert_eq!(
            (hs.class_of(&x), hs.class_of(&y), hs.class_of(&z)),
            (Some(0), Some(1), None)
        );
    }

    #[test]
    fn categorical_classes_come_from_the_training_fold_only() {
        let mut a = Track::new("a");
        a.category = Some("sadness".into());
        let mut b = Track::new("b");
        b.category = Some("calmness".into());
        let mut c = Track::new("c");
        c.category = Some("power".into());
        let f = fit(&LabelScheme::Categorical, &[&a, &b], 0).unwrap();
        assert_eq!(
            f.classes(),
            &["calmness".to_string(), "sadness".to_string()]
        );
        assert_eq!(f.class_of(&c), None, "unseen in training");
        assert!(
            fit(&LabelScheme::Categorical, &[&a], 0).is_err(),
            "one class cannot train"
        );
    }

    #[test]
    fn regression_targets() {
        let a = t(0.25, -0.5);
        let f = fit(&LabelScheme::Va, &[&a], 0).unwrap();
        assert_eq!(f.targets_of(&a), Some(vec![0.25, -0.5]));
        assert_eq!(
            f.target_names(),
            &["valence".to_string(), "arousal".to_string()]
        );
        assert_eq!(f.class_of(&a), None);
        assert!(LabelScheme::Va.is_regression() && LabelScheme::Va.requires_va());
        assert!(!LabelScheme::Quadrants.requires_va());
    }

    #[test]
    fn kmeans_is_fitted_on_train_only_and_numbered_by_valence() {
        // Four tight blobs; train has all four.
        let mut train = Vec::new();
        for (cv, ca) in [(0.6, 0.6), (-0.6, 0.6), (-0.6, -0.6), (0.6, -0.6)] {
            for i in 0..10 {
                let d = i as f64 * 0.01;
                train.push(t(cv + d, ca - d));
            }
        }
        let refs: Vec<&Track> = train.iter().collect();
        let f = fit(&LabelScheme::KMeans(4), &refs, 5).unwrap();
        let c = f.centres();
        assert!(
            c.windows(2).all(|w| w[0] <= w[1]),
            "sorted by valence then arousal: {c:?}"
        );
        assert!(c[0][0] < 0.0 && c[0][1] < 0.0 && c[3][0] > 0.0 && c[3][1] > 0.0);
        // A test point far away changes nothing: it was never seen.
        let outlier = t(1.0, 1.0);
        assert_eq!(f.class_of(&outlier), Some(3));
        let again = fit(&LabelScheme::KMeans(4), &refs, 5).unwrap();
        assert_eq!(f, again, "deterministic for a seed");
    }
}
