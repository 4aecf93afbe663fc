//! PROVISIONAL: replaced by the data branch.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvaluationConfig {
    pub protocol: String,
    pub folds: usize,
    pub repeats: usize,
    pub stratify: bool,
    pub group_by: Option<String>,
    pub test_size: f64,
    pub validation: f64,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        EvaluationConfig {
            protocol: "kfold".into(),
            folds: 5,
            repeats: 1,
            stratify: true,
            group_by: None,
            test_size: 0.2,
            validation: 0.1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    pub repeat: usize,
    pub index: usize,
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
    pub test: Vec<usize>,
}
#[derive(Debug, thiserror::Error)]
#[error("split")]
pub struct SplitError;
pub fn make_folds(
    _: &EvaluationConfig,
    _: &[crate::data::Track],
    _: Option<&[usize]>,
    _: u64,
) -> Result<Vec<Fold>, SplitError> {
    unimplemented!()
}
pub fn split_hash(_: &[Fold]) -> String {
    unimplemented!()
}
