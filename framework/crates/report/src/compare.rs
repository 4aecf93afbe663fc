//! Which statistics a results table shows, and on which numbers: paired
//! comparisons of each configuration against a reference, Holm-adjusted over
//! the table, and the Friedman test with Nemenyi critical differences.
//!
//! The statistics themselves live in [`mer_metrics::stats`] (checked
//! against scipy there); this module only pairs the values and wires the
//! results to cells.
//!
//! # Pairing
//! Two configurations are compared on the blocks they share: a block is one
//! fold of one seed's split ([`Block`]), so values are paired fold by fold
//! and seed by seed, and folds of different splits never pair.
//!
//! # The Nadeau-Bengio correction
//! The corrected resampled t-test needs `n_test / n_train` of one split. It
//! is read from the split manifest the executor stores with every trial
//! (`|test| / (|train| + |validation|)` per fold, averaged), which is exact;
//! when a trial has no manifest, `1 / (k - 1)` for `k` folds per seed is used
//! (the k-fold value) and the comparisons file says so.

use std::collections::BTreeSet;

use mer_metrics::stats::{
    FriedmanResult, average_ranks, cd_cliques, critical_difference, friedman, holm,
    kfold_test_train_ratio, nadeau_bengio, wilcoxon,
};
use mer_metrics::{Direction, Summary};
use mer_store::Split;

use super::model::{Block, Config, Group, direction_of};

/// What each configuration is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The declared baseline configuration (index into the group).
    Baseline(usize),
    /// The best configuration of each column (by mean, direction-aware).
    Best,
}

/// Where the `n_test / n_train` of a corrected t-test came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatioSource {
    Manifest,
    KFold,
}

impl RatioSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RatioSource::Manifest => "split manifest",
            RatioSource::KFold => "1/(k-1)",
        }
    }
}

/// One paired comparison: a configuration against the reference on a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct CellTest {
    /// Index of the configuration in its group.
    pub config: usize,
    /// Index of the reference configuration.
    pub reference: usize,
    pub metric: String,
    /// Shared blocks (folds x seeds) the test used.
    pub n_pairs: usize,
    /// `mean(config - reference)` over the pairs.
    pub mean_difference: f64,
    /// Wilcoxon signed-rank, two-sided; NaN when not computable.
    pub wilcoxon_p: f64,
    /// Nadeau-Bengio corrected t and its two-sided p; NaN when not computable.
    pub nb_t: f64,
    pub nb_p: f64,
    pub ratio: f64,
    pub ratio_source: RatioSource,
    /// Holm-adjusted over all comparisons of the table (per test).
    pub wilcoxon_holm: f64,
    pub nb_holm: f64,
    /// Why a test could not be run (empty when both ran).
    pub note: String,
}

/// The Friedman test over configurations sharing blocks, with average ranks
/// and the Nemenyi critical difference.
#[derive(Debug, Clone, PartialEq)]
pub struct FriedmanSummary {
    pub metric: String,
    /// Configurations ranked (indices into the group).
    pub configs: Vec<usize>,
    pub n_blocks: usize,
    pub result: Option<FriedmanResult>,
    /// Average rank per entry of `configs` (1 = best).
    pub ranks: Vec<f64>,
    pub cd: Option<f64>,
    /// Cliques as indices into `configs`.
    pub cliques: Vec<Vec<usize>>,
    /// Why something is missing (empty when all was computed).
    pub note: String,
}

/// All statistics of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableStats {
    pub reference: Reference,
    pub alpha: f64,
    pub tests: Vec<CellTest>,
    pub friedman: Vec<FriedmanSummary>,
}

impl TableStats {
    /// The comparison of `config` on `metric`, if one was made.
    pub fn test(&self, config: usize, metric: &str) -> Option<&CellTest> {
        self.tests
            .iter()
            .find(|t| t.config == config && t.metric == metric)
    }

    /// Every comparison by `(config, metric)`, for filling a whole table.
    pub fn by_cell(&self) -> std::collections::BTreeMap<(usize, &str), &CellTest> {
        self.tests
            .iter()
            .map(|t| ((t.config, t.metric.as_str()), t))
            .collect()
    }
    /// Number of comparisons each Holm family counted (tests with a p-value).
    pub fn family_sizes(&self) -> (usize, usize) {
        let nb = self.tests.iter().filter(|t| !t.nb_p.is_nan()).count();
        let w = self.tests.iter().filter(|t| !t.wilcoxon_p.is_nan()).count();
        (nb, w)
    }
}

/// Values of `a` and `b` on the blocks both have, in block order.
pub fn paired(a: &Config, b: &Config, split: Split, metric: &str) -> (Vec<f64>, Vec<f64>) {
    let (Some(x), Some(y)) = (a.series(split, metric), b.series(split, metric)) else {
        return (Vec::new(), Vec::new());
    };
    x.iter()
        .filter_map(|(blk, va)| y.get(blk).map(|vb| (*va, *vb)))
        .unzip()
}

/// Mean of a configuration's values of `metric` (NaN when none).
pub fn mean_of(c: &Config, split: Split, metric: &str) -> f64 {
    Summary::of(&c.values_of(split, metric)).mean
}

/// The best configuration of a column: the highest (or lowest) finite mean;
/// ties go to the first. `None` without a direction or without values.
pub fn best_index(group: &Group, split: Split, metric: &str) -> Option<usize> {
    let dir = direction_of(metric)?;
    let mut best: Option<(usize, f64)> = None;
    for (i, c) in group.configs.iter().enumerate() {
        let m = mean_of(c, split, metric);
        if !m.is_finite() {
            continue;
        }
        if best.is_none_or(|(_, b)| dir.better(m, b)) {
            best = Some((i, m));
        }
    }
    best.map(|(i, _)| i)
}

fn compare(group: &Group, split: Split, metric: &str, config: usize, reference: usize) -> CellTest {
    let (a, b) = (&group.configs[config], &group.configs[reference]);
    let (x, y) = paired(a, b, split, metric);
    let mut notes = Vec::new();
    let (ratio, ratio_source) = match b.test_train_ratio.or(a.test_train_ratio) {
        Some(r) => (r, RatioSource::Manifest),
        None => match kfold_test_train_ratio(b.folds().max(a.folds())) {
            Ok(r) => (r, RatioSource::KFold),
            Err(_) => (f64::NAN, RatioSource::KFold),
        },
    };
    let n = x.len();
    let mean_difference = if n == 0 {
        f64::NAN
    } else {
        x.iter().zip(&y).map(|(p, q)| p - q).sum::<f64>() / n as f64
    };
    let wilcoxon_p = match wilcoxon(&x, &y) {
        Ok(w) => {
            if w.p_value.is_nan() {
                notes.push("Wilcoxon undefined (all differences zero or NaN)".to_string());
            }
            w.p_value
        }
        Err(e) => {
            notes.push(format!("Wilcoxon not run: {e}"));
            f64::NAN
        }
    };
    let (nb_t, nb_p) = if ratio.is_nan() {
        notes.push("corrected t-test not run: fewer than 2 folds".to_string());
        (f64::NAN, f64::NAN)
    } else {
        match nadeau_bengio(&x, &y, ratio) {
            Ok(r) => {
                if r.p_value.is_nan() {
                    notes.push("corrected t undefined (all differences zero or NaN)".into());
                }
                (r.t, r.p_value)
            }
            Err(e) => {
                notes.push(format!("corrected t-test not run: {e}"));
                (f64::NAN, f64::NAN)
            }
        }
    };
    if n == 0 {
        notes = vec!["no shared folds x seeds".to_string()];
    }
    CellTest {
        config,
        reference,
        metric: metric.to_string(),
        n_pairs: n,
        mean_difference,
        wilcoxon_p,
        nb_t,
        nb_p,
        ratio,
        ratio_source,
        wilcoxon_holm: f64::NAN,
        nb_holm: f64::NAN,
        note: notes.join("; "),
    }
}

/// Paired comparisons for every (configuration, column) of a table against
/// `reference`, Holm-adjusted over the whole table (each test separately),
/// and the Friedman test per column.
pub fn table_stats(
    group: &Group,
    columns: &[String],
    split: Split,
    reference: Reference,
    alpha: f64,
) -> TableStats {
    let mut tests = Vec::new();
    for metric in columns {
        let r = match reference {
            Reference::Baseline(b) => Some(b),
            Reference::Best => best_index(group, split, metric),
        };
        let Some(r) = r else { continue };
        for i in 0..group.configs.len() {
            if i == r || group.configs[i].series(split, metric).is_none() {
                continue;
            }
            tests.push(compare(group, split, metric, i, r));
        }
    }
    // Holm over the table; p-values are in [0, 1] or NaN by construction.
    let nb: Vec<f64> = tests.iter().map(|t| t.nb_p).collect();
    let w: Vec<f64> = tests.iter().map(|t| t.wilcoxon_p).collect();
    if let (Ok(nb_adj), Ok(w_adj)) = (holm(&nb), holm(&w)) {
        for ((t, a), b) in tests.iter_mut().zip(nb_adj).zip(w_adj) {
            t.nb_holm = a;
            t.wilcoxon_holm = b;
        }
    }
    let all: Vec<usize> = (0..group.configs.len()).collect();
    let friedman = columns
        .iter()
        .filter(|m| direction_of(m).is_some())
        .map(|m| friedman_for(group, split, m, &all, alpha))
        .collect();
    TableStats {
        reference,
        alpha,
        tests,
        friedman,
    }
}

/// Friedman test, average ranks and Nemenyi CD for `metric` over the
/// configurations `subset` (indices into the group) on the blocks all of
/// them share.
pub fn friedman_for(
    group: &Group,
    split: Split,
    metric: &str,
    subset: &[usize],
    alpha: f64,
) -> FriedmanSummary {
    let mut s = FriedmanSummary {
        metric: metric.to_string(),
        configs: Vec::new(),
        n_blocks: 0,
        result: None,
        ranks: Vec::new(),
        cd: None,
        cliques: Vec::new(),
        note: String::new(),
    };
    let Some(dir) = direction_of(metric) else {
        s.note = "no direction known for this metric".into();
        return s;
    };
    let configs: Vec<usize> = subset
        .iter()
        .copied()
        .filter(|&i| group.configs[i].series(split, metric).is_some())
        .collect();
    if configs.len() < 3 {
        s.note = format!(
            "{} configuration(s) measured it: the Friedman test needs 3 or more",
            configs.len()
        );
        s.configs = configs;
        return s;
    }
    let mut shared: Option<BTreeSet<&Block>> = None;
    for &i in &configs {
        let keys: BTreeSet<&Block> = group.configs[i]
            .series(split, metric)
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        shared = Some(match shared {
            None => keys,
            Some(prev) => prev.intersection(&keys).copied().collect(),
        });
    }
    let blocks: Vec<&Block> = shared.unwrap_or_default().into_iter().collect();
    s.configs = configs.clone();
    s.n_blocks = blocks.len();
    if blocks.len() < 2 {
        s.note = format!(
            "the configurations share {} fold(s) x seed(s): ranking needs 2 or more",
            blocks.len()
        );
        return s;
    }
    let table: Vec<Vec<f64>> = blocks
        .iter()
        .map(|b| {
            configs
                .iter()
                .map(|&i| {
                    group.configs[i]
                        .series(split, metric)
                        .and_then(|m| m.get(*b))
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .collect()
        })
        .collect();
    match friedman(&table) {
        Ok(r) => s.result = Some(r),
        Err(e) => s.note = format!("Friedman test not run: {e}"),
    }
    match average_ranks(&table, dir) {
        Ok(r) => s.ranks = r,
        Err(e) => {
            s.note = format!("cannot rank: {e}");
            return s;
        }
    }
    match critical_difference(alpha, configs.len(), blocks.len()) {
        Ok(cd) => {
            s.cd = Some(cd);
            match cd_cliques(&s.ranks, cd) {
                Ok(c) => s.cliques = c,
                Err(e) => s.note = format!("no cliques: {e}"),
            }
        }
        Err(e) => s.note = format!("no critical difference: {e}"),
    }
    s
}

/// Whether `direction` makes `a` better than `b`, for sorting (NaN last).
pub fn order_by(direction: Option<Direction>, a: f64, b: f64) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => match direction {
            Some(Direction::LowerIsBetter) => a.total_cmp(&b),
            _ => b.total_cmp(&a),
        },
    }
}
