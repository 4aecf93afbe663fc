//! Class imbalance handling, applied to a training fold's rows only: class
//! weights, random oversampling and SMOTE.
//!
//! Every function takes the training rows `(x, y)` and nothing else, so no
//! test-fold row can reach them; synthetic rows are convex combinations of
//! two training rows of the same class.
//!
//! # Shapes
//! `x` is `[n][d]` (row-major feature vectors, all of length `d`), `y` is
//! `[n]` class indices below `n_classes`.
//!
//! # Algorithms
//! * [`class_weights`]: scikit-learn's `compute_class_weight("balanced")`,
//!   `n_samples / (n_classes * count[c])`; a class absent from the fold gets
//!   weight 0 (scikit-learn refuses such input).
//! * [`oversample`]: imbalanced-learn's `RandomOverSampler`: every class is
//!   topped up to the largest class's count by drawing its rows uniformly
//!   with replacement. Original rows come first, then the drawn ones, class
//!   by class in index order.
//! * [`smote`]: Chawla et al. (2002), as imbalanced-learn's `SMOTE`: for
//!   each class below the largest count, each new row picks a random row of
//!   the class, one of its `k` nearest same-class neighbours (Euclidean; ties
//!   to the lower index) at random, and a uniform step in `[0, 1)` along the
//!   segment between them. Where a class has `k` or fewer rows, `k` is
//!   reduced to `rows - 1` (imbalanced-learn raises instead); a class with a
//!   single row is duplicated (the only convex combination of one point).

use std::fmt;
use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Default number of SMOTE neighbours (imbalanced-learn's default).
pub const DEFAULT_SMOTE_K: usize = 5;

/// How a training fold is balanced. Written in a spec as `"none"` (the
/// default), `"class_weights"`, `"oversample"`, `"smote"` (k = 5) or
/// `"smote:K"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Balancing {
    /// No balancing.
    #[default]
    None,
    /// Per-class loss weights.
    ClassWeights,
    /// Random oversampling.
    Oversample,
    /// SMOTE with `k` neighbours.
    Smote {
        /// Neighbours per row (>= 1).
        k: usize,
    },
}

impl fmt::Display for Balancing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Balancing::None => f.write_str("none"),
            Balancing::ClassWeights => f.write_str("class_weights"),
            Balancing::Oversample => f.write_str("oversample"),
            Balancing::Smote { k } if *k == DEFAULT_SMOTE_K => f.write_str("smote"),
            Balancing::Smote { k } => write!(f, "smote:{k}"),
        }
    }
}

impl FromStr for Balancing {
    type Err = ImbalanceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "none" => Ok(Balancing::None),
            "class_weights" => Ok(Balancing::ClassWeights),
            "oversample" => Ok(Balancing::Oversample),
            "smote" => Ok(Balancing::Smote { k: DEFAULT_SMOTE_K }),
            other => match other.strip_prefix("smote:").map(str::parse::<usize>) {
                Some(Ok(k)) if k >= 1 => Ok(Balancing::Smote { k }),
                _ => Err(ImbalanceError::Unknown(s.to_string())),
            },
        }
    }
}

impl Serialize for Balancing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Balancing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Errors of the balancing functions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImbalanceError {
    /// An unknown balancing string.
    #[error(
        "unknown balancing \"{0}\", expected one of: none, class_weights, oversample, smote, smote:K (K >= 1)"
    )]
    Unknown(String),
    /// `x` and `y` differ in length.
    #[error("x has {x} rows but y has {y} labels; give one label per row")]
    Length {
        /// Rows.
        x: usize,
        /// Labels.
        y: usize,
    },
    /// A label is not below `n_classes`.
    #[error("row {row}: class {class} is not below the number of classes {n_classes}")]
    Class {
        /// Row index.
        row: usize,
        /// Its label.
        class: usize,
        /// Number of classes.
        n_classes: usize,
    },
    /// Rows differ in length.
    #[error(
        "row {row} has {found} features but row 0 has {expected}; all rows need the same width"
    )]
    Ragged {
        /// Row index.
        row: usize,
        /// Its width.
        found: usize,
        /// Row 0's width.
        expected: usize,
    },
}

fn counts(y: &[usize], n_classes: usize) -> Result<Vec<usize>, ImbalanceError> {
    let mut c = vec![0usize; n_classes];
    for (row, &class) in y.iter().enumerate() {
        if class >= n_classes {
            return Err(ImbalanceError::Class {
                row,
                class,
                n_classes,
            });
        }
        c[class] += 1;
    }
    Ok(c)
}

fn check(x: &[Vec<f32>], y: &[usize]) -> Result<usize, ImbalanceError> {
    if x.len() != y.len() {
        return Err(ImbalanceError::Length {
            x: x.len(),
            y: y.len(),
        });
    }
    let width = x.first().map_or(0, Vec::len);
    for (row, r) in x.iter().enumerate() {
        if r.len() != width {
            return Err(ImbalanceError::Ragged {
                row,
                found: r.len(),
                expected: width,
            });
        }
    }
    Ok(y.iter().copied().max().map_or(0, |m| m + 1))
}

/// scikit-learn's "balanced" class weights: `n / (n_classes * count[c])`,
/// 0 for a class absent from `y`.
pub fn class_weights(y: &[usize], n_classes: usize) -> Result<Vec<f32>, ImbalanceError> {
    let c = counts(y, n_classes)?;
    let n = y.len() as f64;
    Ok(c.iter()
        .map(|&k| {
            if k == 0 {
                0.0
            } else {
                (n / (n_classes as f64 * k as f64)) as f32
            }
        })
        .collect())
}

/// Random oversampling of every class up to the largest class's count.
pub fn oversample(
    x: Vec<Vec<f32>>,
    y: Vec<usize>,
    seed: u64,
) -> Result<(Vec<Vec<f32>>, Vec<usize>), ImbalanceError> {
    let n_classes = check(&x, &y)?;
    let c = counts(&y, n_classes)?;
    let target = c.iter().copied().max().unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut xo, mut yo) = (x.clone(), y.clone());
    for class in 0..n_classes {
        let members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        if members.is_empty() {
            continue;
        }
        for _ in members.len()..target {
            let i = members[rng.random_range(0..members.len())];
            xo.push(x[i].clone());
            yo.push(class);
        }
    }
    Ok((xo, yo))
}

fn dist2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (*p as f64 - *q as f64).powi(2))
        .sum()
}

/// The `k` nearest same-class neighbours of each member (indices into
/// `members`), excluding itself; ties to the lower index.
pub fn class_neighbours(x: &[Vec<f32>], members: &[usize], k: usize) -> Vec<Vec<usize>> {
    members
        .iter()
        .enumerate()
        .map(|(a, &i)| {
            let mut others: Vec<(f64, usize)> = members
                .iter()
                .enumerate()
                .filter(|&(b, _)| b != a)
                .map(|(b, &j)| (dist2(&x[i], &x[j]), b))
                .collect();
            others.sort_by(|p, q| p.partial_cmp(q).unwrap_or(std::cmp::Ordering::Equal));
            others.into_iter().take(k).map(|(_, b)| b).collect()
        })
        .collect()
}

/// SMOTE: synthetic minority rows until every class has the largest count.
/// Returns the original rows followed by the synthetic ones.
pub fn smote(
    x: Vec<Vec<f32>>,
    y: Vec<usize>,
    k: usize,
    seed: u64,
) -> Result<(Vec<Vec<f32>>, Vec<usize>), ImbalanceError> {
    let n_classes = check(&x, &y)?;
    let c = counts(&y, n_classes)?;
    let target = c.iter().copied().max().unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut xo, mut yo) = (x.clone(), y.clone());
    for class in 0..n_classes {
        let members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        if members.is_empty() || members.len() >= target {
            continue;
        }
        let k_eff = k.max(1).min(members.len() - 1);
        if k_eff == 0 {
            for _ in members.len()..target {
                xo.push(x[members[0]].clone());
                yo.push(class);
            }
            continue;
        }
        let nn = class_neighbours(&x, &members, k_eff);
        for _ in members.len()..target {
            let a = rng.random_range(0..members.len());
            let b = nn[a][rng.random_range(0..k_eff)];
            let step: f32 = rng.random();
            let (p, q) = (&x[members[a]], &x[members[b]]);
            xo.push(p.iter().zip(q).map(|(u, v)| u + step * (v - u)).collect());
            yo.push(class);
        }
    }
    Ok((xo, yo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balancing_strings_round_trip() {
        for s in ["none", "class_weights", "oversample", "smote", "smote:3"] {
            assert_eq!(s.parse::<Balancing>().unwrap().to_string(), s);
        }
        assert_eq!(
            "smote:5".parse::<Balancing>().unwrap(),
            Balancing::Smote { k: 5 }
        );
        assert!("smote:0".parse::<Balancing>().is_err());
        assert!("adasyn".parse::<Balancing>().is_err());
    }

    #[test]
    fn oversample_equalises_counts_with_copies_of_training_rows() {
        let x: Vec<Vec<f32>> = (0..7).map(|i| vec![i as f32, -(i as f32)]).collect();
        let y = vec![0, 0, 0, 0, 0, 1, 1];
        let (xo, yo) = oversample(x.clone(), y.clone(), 3).unwrap();
        assert_eq!(yo.iter().filter(|&&c| c == 1).count(), 5);
        assert_eq!(&xo[..7], &x[..]);
        for (r, &c) in xo.iter().zip(&yo).skip(7) {
            assert_eq!(c, 1);
            assert!(r == &x[5] || r == &x[6]);
        }
    }

    #[test]
    fn errors_name_the_row() {
        assert!(matches!(
            class_weights(&[0, 3], 2),
            Err(ImbalanceError::Class {
                row: 1,
                class: 3,
                ..
            })
        ));
        assert!(matches!(
            smote(vec![vec![1.0], vec![1.0, 2.0]], vec![0, 1], 5, 0),
            Err(ImbalanceError::Ragged { row: 1, .. })
        ));
    }

    #[test]
    fn single_row_class_is_duplicated() {
        let x = vec![vec![0.0], vec![1.0], vec![2.0], vec![9.0]];
        let (xo, yo) = smote(x, vec![0, 0, 0, 1], 5, 0).unwrap();
        assert_eq!(yo.len(), 6);
        assert_eq!(&xo[4..], &[vec![9.0], vec![9.0]]);
    }
}
