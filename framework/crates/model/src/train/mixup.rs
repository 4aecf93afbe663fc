//! MixUp (Zhang, Cisse, Dauphin & Lopez-Paz, "mixup: Beyond Empirical Risk
//! Minimization", ICLR 2018) on host batches: one weight
//! `lambda ~ Beta(alpha, alpha)` per batch and a random pairing `perm`;
//! every input row and target row becomes
//! `lambda * row[i] + (1 - lambda) * row[perm[i]]`.
//!
//! Works on plain row-major `f32` data so it is independent of the network;
//! token ids cannot be mixed, so `model::neural` rejects MixUp for
//! token-sequence inputs.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution};

/// One batch's mixing: weight and partner of every row.
#[derive(Debug, Clone, PartialEq)]
pub struct MixPlan {
    /// Weight of the row itself, in `[0, 1]` (`f32` rounding of a Beta draw
    /// can reach the ends).
    pub lambda: f32,
    /// `perm[i]` is the row mixed into row `i`.
    pub perm: Vec<usize>,
}

/// Draws a plan for a batch of `rows` rows, or `None` when `alpha <= 0`
/// (MixUp off) or the batch has a single row.
///
/// # Panics
/// Never for `alpha > 0` and finite (checked by `TrainConfig::validate`).
pub fn draw_plan<R: Rng>(rng: &mut R, rows: usize, alpha: f64) -> Option<MixPlan> {
    if alpha <= 0.0 || rows < 2 {
        return None;
    }
    let beta = Beta::new(alpha, alpha).expect("alpha > 0 and finite is a valid Beta parameter");
    let lambda = beta.sample(rng) as f32;
    let mut perm: Vec<usize> = (0..rows).collect();
    perm.shuffle(rng);
    Some(MixPlan { lambda, perm })
}

/// Mixes rows of `row_len` values each: `out[i] = l * data[i] + (1 - l) * data[perm[i]]`.
///
/// # Panics
/// If `data.len() != plan.perm.len() * row_len` (a programming error: the
/// loop builds both from the same batch).
#[must_use]
pub fn mix_rows(data: &[f32], row_len: usize, plan: &MixPlan) -> Vec<f32> {
    assert_eq!(
        data.len(),
        plan.perm.len() * row_len,
        "mix_rows: batch shape"
    );
    let l = plan.lambda;
    let mut out = Vec::with_capacity(data.len());
    for (i, &j) in plan.perm.iter().enumerate() {
        let a = &data[i * row_len..(i + 1) * row_len];
        let b = &data[j * row_len..(j + 1) * row_len];
        out.extend(a.iter().zip(b).map(|(&x, &y)| l * x + (1.0 - l) * y));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn off_when_alpha_is_zero_or_batch_is_single() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(draw_plan(&mut rng, 8, 0.0).is_none());
        assert!(draw_plan(&mut rng, 1, 0.4).is_none());
    }

    #[test]
    fn mixes_each_row_with_its_partner_by_lambda() {
        let plan = MixPlan {
            lambda: 0.25,
            perm: vec![1, 0, 2],
        };
        let data = [0.0, 4.0, 8.0, 12.0, 1.0, 1.0];
        let out = mix_rows(&data, 2, &plan);
        assert_eq!(out, vec![6.0, 10.0, 2.0, 6.0, 1.0, 1.0]);
    }

    #[test]
    fn lambda_follows_beta_and_perm_is_a_permutation() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut sum = 0.0;
        let n = 4000;
        for _ in 0..n {
            let plan = draw_plan(&mut rng, 16, 0.4).unwrap();
            assert!((0.0..=1.0).contains(&plan.lambda));
            let mut p = plan.perm.clone();
            p.sort_unstable();
            assert_eq!(p, (0..16).collect::<Vec<_>>());
            sum += f64::from(plan.lambda);
        }
        // Beta(a, a) has mean 1/2; the standard error here is about 0.006.
        assert!(
            (sum / f64::from(n) - 0.5).abs() < 0.03,
            "mean {}",
            sum / f64::from(n)
        );
    }

    #[test]
    fn mixed_one_hot_targets_stay_distributions() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let plan = draw_plan(&mut rng, 4, 1.0).unwrap();
        let one_hot = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0];
        let out = mix_rows(&one_hot, 2, &plan);
        for row in out.chunks(2) {
            assert!((row[0] + row[1] - 1.0).abs() < 1e-6);
        }
    }
}
