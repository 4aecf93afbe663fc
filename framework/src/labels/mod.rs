//! Label schemes: grid NxN and k-means K on valence/arousal, categorical,
//! binary subsets, and regression targets.
//!
//! Owns: mapping tracks to class indices or continuous targets, fitted on the
//! training fold only. Leaves splitting to `data` and models to `model`.

// PROVISIONAL: replaced by the data branch (issue 4).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum LabelScheme {
    Quadrants,
    Grid(usize),
    KMeans(usize),
    Categorical,
    Genre,
    Binary(String),
    Valence,
    Arousal,
    ValenceArousal,
}

impl LabelScheme {
    pub fn is_regression(&self) -> bool {
        matches!(
            self,
            LabelScheme::Valence | LabelScheme::Arousal | LabelScheme::ValenceArousal
        )
    }
    pub fn requires_va(&self) -> bool {
        !matches!(self, LabelScheme::Categorical | LabelScheme::Genre)
    }
}

impl std::fmt::Display for LabelScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelScheme::Quadrants => write!(f, "quadrants"),
            LabelScheme::Grid(n) => write!(f, "grid{n}"),
            LabelScheme::KMeans(k) => write!(f, "kmeans{k}"),
            LabelScheme::Categorical => write!(f, "categorical"),
            LabelScheme::Genre => write!(f, "genre"),
            LabelScheme::Binary(b) => write!(f, "binary:{b}"),
            LabelScheme::Valence => write!(f, "valence"),
            LabelScheme::Arousal => write!(f, "arousal"),
            LabelScheme::ValenceArousal => write!(f, "va"),
        }
    }
}

impl std::str::FromStr for LabelScheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "quadrants" => LabelScheme::Quadrants,
            "categorical" => LabelScheme::Categorical,
            "genre" => LabelScheme::Genre,
            "valence" => LabelScheme::Valence,
            "arousal" => LabelScheme::Arousal,
            "va" => LabelScheme::ValenceArousal,
            _ => {
                if let Some(n) = s.strip_prefix("grid").and_then(|n| n.parse().ok()) {
                    LabelScheme::Grid(n)
                } else if let Some(k) = s.strip_prefix("kmeans").and_then(|n| n.parse().ok()) {
                    LabelScheme::KMeans(k)
                } else if let Some(b) = s.strip_prefix("binary:") {
                    LabelScheme::Binary(b.to_string())
                } else {
                    return Err(format!("unknown label scheme `{s}`"));
                }
            }
        })
    }
}

impl TryFrom<String> for LabelScheme {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<LabelScheme> for String {
    fn from(l: LabelScheme) -> String {
        l.to_string()
    }
}
#[derive(Debug, thiserror::Error)]
#[error("labels")]
pub struct LabelError;
pub struct FittedLabels;
impl FittedLabels {
    pub fn classes(&self) -> &[String] {
        unimplemented!()
    }
    pub fn class_of(&self, _: &crate::data::Track) -> Option<usize> {
        unimplemented!()
    }
    pub fn targets_of(&self, _: &crate::data::Track) -> Option<Vec<f64>> {
        unimplemented!()
    }
    pub fn target_names(&self) -> Vec<String> {
        unimplemented!()
    }
}
pub fn fit(_: &LabelScheme, _: &[&crate::data::Track], _: u64) -> Result<FittedLabels, LabelError> {
    unimplemented!()
}
