//! Statistical tests for comparing configurations over shared folds.
//!
//! Owns the numbers behind a paper's significance markers and
//! critical-difference diagram; reports decide what to compare and how to
//! draw it.
//!
//! - Paired comparison of two configurations on identical folds x seeds:
//!   [`wilcoxon`] (signed-rank, scipy's defaults) and [`nadeau_bengio`] (the
//!   corrected resampled t-test, which accounts for the overlap of training
//!   sets between folds).
//! - Many comparisons in one table: [`holm`] adjusted p-values.
//! - Three or more configurations on shared blocks: [`friedman`], then
//!   [`average_ranks`], [`critical_difference`] (Nemenyi) and
//!   [`cd_cliques`] for the diagram.
//!
//! Tables of scores are `[n_blocks][k_configs]`: one row per block (a fold of
//! a repeat with a seed, or a dataset), one column per configuration, every
//! block scoring every configuration.
//!
//! NaN policy: the tests that return a statistic and a p-value propagate a NaN
//! input to NaN outputs, as scipy's default `nan_policy="propagate"` does;
//! ranking needs numbers, so [`average_ranks`] rejects NaN with
//! [`MetricsError::NanInTable`]. [`holm`] treats a NaN p-value as a
//! hypothesis that was not tested.

pub(crate) mod dist;
mod friedman;
mod holm;
mod nemenyi;
mod rank;
mod ttest;
mod wilcoxon;

pub use friedman::{FriedmanResult, average_ranks, friedman};
pub use holm::holm;
pub use nemenyi::{NEMENYI_Q_05, NEMENYI_Q_10, cd_cliques, critical_difference, nemenyi_q};
pub use rank::rank_average;
pub use ttest::{CorrectedTTest, kfold_test_train_ratio, nadeau_bengio};
pub use wilcoxon::{WilcoxonMethod, WilcoxonResult, wilcoxon};

use super::MetricsError;

/// Check a `[n_blocks][k]` table: at least `min_blocks` rows, at least
/// `min_k` columns, all rows as long as row 0. Returns `(n_blocks, k)`.
fn table_shape<R: AsRef<[f64]>>(
    table: &[R],
    min_blocks: usize,
    min_k: usize,
) -> Result<(usize, usize), MetricsError> {
    if table.len() < min_blocks {
        return Err(MetricsError::TooFew {
            what: "table (blocks)",
            n: table.len(),
            min: min_blocks,
        });
    }
    let k = table.first().map_or(0, |r| r.as_ref().len());
    if k < min_k {
        return Err(MetricsError::TooFew {
            what: "table row 0 (configurations)",
            n: k,
            min: min_k,
        });
    }
    for (block, row) in table.iter().enumerate() {
        let len = row.as_ref().len();
        if len != k {
            return Err(MetricsError::RaggedTable {
                block,
                len,
                expected: k,
            });
        }
    }
    Ok((table.len(), k))
}
