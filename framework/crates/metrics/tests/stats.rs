//! `mer_metrics::Summary` and `mer_metrics::stats` against scipy and
//! statsmodels on fixed vectors.
//!
//! Fixture: `tests/fixtures/metrics/stats.json`, written by
//! `tools/stats_fixture.py` (its "versions" key records scipy, numpy and
//! statsmodels). Tolerances, relative to `max(1, |reference|)`:
//! - exact counts and ratios of counts (exact / permutation Wilcoxon p-values,
//!   rank sums, average ranks, Holm products): 1e-12;
//! - statistics through special functions (t and normal tails, chi-square
//!   tails, t quantiles, intervals, t statistics): 1e-9.

use mer_metrics::stats::{
    WilcoxonMethod, average_ranks, cd_cliques, critical_difference, friedman, holm, nadeau_bengio,
    nemenyi_q, wilcoxon,
};
use mer_metrics::{Direction, Summary};
use serde_json::Value;

use crate::common::{close, float, floats, report, table};

const EXACT: f64 = 1e-12;
const SPECIAL: f64 = 1e-9;

fn fixture() -> Value {
    crate::common::fixture("metrics/stats.json")
}

fn cases<'a>(fx: &'a Value, key: &str, at_least: usize) -> &'a Vec<Value> {
    let v = fx[key]
        .as_array()
        .unwrap_or_else(|| panic!("fixture has no {key}"));
    assert!(v.len() >= at_least, "fixture lost {key} cases");
    v
}

#[test]
fn summary_matches_numpy_and_scipy_t_interval() {
    let fx = fixture();
    for c in cases(&fx, "summary", 6) {
        let name = c["name"].as_str().unwrap();
        let s = Summary::of(&floats(&c["values"]));
        assert_eq!(s.n, c["n"].as_u64().unwrap() as usize, "{name}");
        close(name, "mean", s.mean, float(&c["mean"]), EXACT);
        close(name, "std", s.std, float(&c["std"]), EXACT);
        close(name, "min", s.min, float(&c["min"]), 0.0);
        close(name, "max", s.max, float(&c["max"]), 0.0);
        match (&c["ci95"], s.ci95) {
            (Value::Null, None) => {}
            (Value::Array(ci), Some((lo, hi))) => {
                close(name, "ci95.lo", lo, float(&ci[0]), SPECIAL);
                close(name, "ci95.hi", hi, float(&ci[1]), SPECIAL);
            }
            (want, got) => panic!("{name}: ci95 {got:?}, reference {want}"),
        }
    }
    report("summary_matches_numpy_and_scipy_t_interval");
}

#[test]
fn t_quantiles_match_scipy() {
    // Not public API, but every interval rests on it: exercised through
    // Summary::t_interval with n = df + 1, mean 0 and std = sqrt(n), so the
    // upper bound is exactly the quantile.
    let fx = fixture();
    for c in cases(&fx, "t_ppf", 50) {
        let (q, df, want) = (float(&c["q"]), c["df"].as_u64().unwrap(), float(&c["ppf"]));
        if q <= 0.5 {
            continue; // the two-sided interval covers the upper quantiles
        }
        let n = df as usize + 1;
        let s = Summary {
            n,
            mean: 0.0,
            std: (n as f64).sqrt(),
            ci95: None,
            min: 0.0,
            max: 0.0,
        };
        let (lo, hi) = s.t_interval(2.0 * q - 1.0).unwrap().unwrap();
        close(&format!("t.ppf({q}, {df})"), "upper", hi, want, SPECIAL);
        close(&format!("t.ppf({q}, {df})"), "lower", -lo, want, SPECIAL);
    }
    report("t_quantiles_match_scipy");
}

#[test]
fn wilcoxon_matches_scipy() {
    let fx = fixture();
    let mut seen = std::collections::BTreeSet::new();
    for c in cases(&fx, "wilcoxon", 12) {
        let name = c["name"].as_str().unwrap();
        let r = wilcoxon(&floats(&c["x"]), &floats(&c["y"])).unwrap();
        let method = match c["method"].as_str().unwrap() {
            "exact" => WilcoxonMethod::Exact,
            "permutation" => WilcoxonMethod::Permutation,
            "asymptotic" => WilcoxonMethod::Asymptotic,
            other => panic!("{name}: unknown method {other}"),
        };
        assert_eq!(
            r.method, method,
            "{name}: scipy's method=\"auto\" took another path"
        );
        seen.insert(format!("{method:?}"));
        close(
            name,
            "statistic",
            r.statistic,
            float(&c["statistic"]),
            EXACT,
        );
        let tol = if method == WilcoxonMethod::Asymptotic {
            SPECIAL
        } else {
            EXACT
        };
        close(name, "p-value", r.p_value, float(&c["pvalue"]), tol);
    }
    assert_eq!(
        seen.len(),
        3,
        "fixture must exercise all three paths: {seen:?}"
    );
    report("wilcoxon_matches_scipy");
}

#[test]
fn nadeau_bengio_matches_the_formula_with_scipy_t() {
    let fx = fixture();
    for c in cases(&fx, "nadeau_bengio", 6) {
        let name = c["name"].as_str().unwrap();
        let r = nadeau_bengio(
            &floats(&c["a"]),
            &floats(&c["b"]),
            float(&c["test_train_ratio"]),
        )
        .unwrap();
        assert_eq!(r.df as u64, c["df"].as_u64().unwrap(), "{name}");
        close(
            name,
            "mean difference",
            r.mean_difference,
            float(&c["mean_difference"]),
            EXACT,
        );
        close(name, "variance", r.variance, float(&c["variance"]), EXACT);
        close(name, "t", r.t, float(&c["t"]), SPECIAL);
        close(name, "p-value", r.p_value, float(&c["pvalue"]), SPECIAL);
        if let Some(rel) = c.get("scipy_ttest_rel") {
            close(name, "ttest_rel t", r.t, float(&rel["t"]), SPECIAL);
            close(
                name,
                "ttest_rel p",
                r.p_value,
                float(&rel["pvalue"]),
                SPECIAL,
            );
        }
    }
    report("nadeau_bengio_matches_the_formula_with_scipy_t");
}

#[test]
fn holm_matches_statsmodels() {
    let fx = fixture();
    for c in cases(&fx, "holm", 6) {
        let name = c["name"].as_str().unwrap();
        let adjusted = holm(&floats(&c["p"])).unwrap();
        let want = floats(&c["adjusted"]);
        let reject: Vec<bool> = c["reject_05"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect();
        for (i, (&got, &w)) in adjusted.iter().zip(&want).enumerate() {
            close(name, &format!("adjusted[{i}]"), got, w, EXACT);
            assert_eq!(got <= 0.05, reject[i], "{name}: reject[{i}]");
        }
    }
    report("holm_matches_statsmodels");
}

#[test]
fn holm_nan_is_statsmodels_on_the_tested_subset() {
    // A NaN p-value is an untested hypothesis: the others are adjusted as if
    // it were absent ("mixed" case of the fixture with a NaN inserted).
    let fx = fixture();
    let mixed = cases(&fx, "holm", 1)
        .iter()
        .find(|c| c["name"] == "mixed")
        .unwrap();
    let mut p = floats(&mixed["p"]);
    let want = floats(&mixed["adjusted"]);
    p.insert(2, f64::NAN);
    let adjusted = holm(&p).unwrap();
    assert!(adjusted[2].is_nan());
    let without: Vec<f64> = adjusted
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, v)| *v)
        .collect();
    for (got, w) in without.iter().zip(&want) {
        close("mixed+NaN", "adjusted", *got, *w, EXACT);
    }
    report("holm_nan_is_statsmodels_on_the_tested_subset");
}

#[test]
fn friedman_and_average_ranks_match_scipy() {
    let fx = fixture();
    for c in cases(&fx, "friedman", 5) {
        let name = c["name"].as_str().unwrap();
        let t = table(&c["table"]);
        let r = friedman(&t).unwrap();
        assert_eq!(r.df as u64, c["df"].as_u64().unwrap(), "{name}");
        close(
            name,
            "statistic",
            r.statistic,
            float(&c["statistic"]),
            SPECIAL,
        );
        close(name, "p-value", r.p_value, float(&c["pvalue"]), SPECIAL);
        for (direction, key) in [
            (Direction::LowerIsBetter, "avg_ranks_lower_is_better"),
            (Direction::HigherIsBetter, "avg_ranks_higher_is_better"),
        ] {
            let ranks = average_ranks(&t, direction).unwrap();
            let want = floats(&c[key]);
            assert_eq!(ranks.len(), want.len(), "{name}: {key}");
            for (i, (&g, &w)) in ranks.iter().zip(&want).enumerate() {
                close(name, &format!("{key}[{i}]"), g, w, EXACT);
            }
        }
    }
    report("friedman_and_average_ranks_match_scipy");
}

#[test]
fn nemenyi_tables_match_scipy_and_demsar() {
    let fx = fixture();
    let q = &fx["nemenyi_q"];
    assert_eq!(q["k_from"], 2);
    assert_eq!(q["k_to"], 20);
    for (alpha, key) in [(0.05, "0.05"), (0.10, "0.1")] {
        let want = floats(&q["alpha"][key]);
        assert_eq!(want.len(), 19);
        for (i, w) in want.iter().enumerate() {
            let k = i + 2;
            close(
                &format!("q_{alpha}"),
                &format!("k = {k}"),
                nemenyi_q(alpha, k).unwrap(),
                *w,
                EXACT,
            );
        }
    }
    // Demšar 2006, Table 5, three decimals (his k = 3 and k = 7 values at
    // alpha 0.05 are 7e-4 off the exact quantile, hence the tolerance).
    let demsar_05 = [
        1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164,
    ];
    let demsar_10 = [
        1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920,
    ];
    for (i, (a, b)) in demsar_05.iter().zip(demsar_10).enumerate() {
        let k = i + 2;
        assert!((nemenyi_q(0.05, k).unwrap() - a).abs() < 1e-3, "k = {k}");
        assert!((nemenyi_q(0.10, k).unwrap() - b).abs() < 1e-3, "k = {k}");
    }
    report("nemenyi_tables_match_scipy_and_demsar");
}

#[test]
fn cd_diagram_pipeline_on_the_wide_fixture() {
    // Friedman -> average ranks -> CD -> cliques on the 30 x 12 table, with
    // the cliques checked against their definition (every pair inside a
    // clique is closer than CD; extending a clique by its next neighbour in
    // rank order breaks that).
    let fx = fixture();
    let wide = cases(&fx, "friedman", 5)
        .iter()
        .find(|c| c["name"] == "wide_30x12")
        .unwrap();
    let t = table(&wide["table"]);
    let ranks = average_ranks(&t, Direction::HigherIsBetter).unwrap();
    let cd = critical_difference(0.05, ranks.len(), t.len()).unwrap();
    close(
        "wide",
        "cd",
        cd,
        3.268003924466142 * (12.0f64 * 13.0 / 180.0).sqrt(),
        EXACT,
    );
    let cliques = cd_cliques(&ranks, cd).unwrap();
    assert!(!cliques.is_empty());
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_by(|&a, &b| ranks[a].partial_cmp(&ranks[b]).unwrap());
    for clique in &cliques {
        let lo = ranks[clique[0]];
        let hi = ranks[*clique.last().unwrap()];
        assert!(hi - lo < cd, "clique {clique:?} spans {} >= {cd}", hi - lo);
        let end = order
            .iter()
            .position(|&i| i == *clique.last().unwrap())
            .unwrap();
        if end + 1 < order.len() {
            assert!(
                ranks[order[end + 1]] - lo >= cd,
                "clique {clique:?} is not maximal"
            );
        }
    }
    report("cd_diagram_pipeline_on_the_wide_fixture");
}
