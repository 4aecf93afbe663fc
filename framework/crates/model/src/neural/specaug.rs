//! SpecAugment masking (Park et al., "SpecAugment: A Simple Data
//! Augmentation Method for Automatic Speech Recognition", Interspeech 2019,
//! section 2: frequency masking and time masking; time warping is left out,
//! as in most MIR uses) on host log-mel patches `[n_mels, frames]`.

use rand::Rng;

use super::config::SpecAugmentConfig;

/// Masks one patch `[n_mels, frames]` in place: `freq_masks` bands of height
/// `f ~ U{0..=freq_width}` starting at `f0 ~ U{0..=n_mels - f}`, and
/// `time_masks` spans of width `t ~ U{0..=time_width}` starting at
/// `t0 ~ U{0..=frames - t}` (widths clipped to the patch), all set to `0`.
pub fn mask_patch<R: Rng>(
    patch: &mut [f32],
    n_mels: usize,
    frames: usize,
    cfg: &SpecAugmentConfig,
    rng: &mut R,
) {
    debug_assert_eq!(patch.len(), n_mels * frames);
    for _ in 0..cfg.freq_masks {
        let f = rng.random_range(0..=cfg.freq_width.min(n_mels));
        let f0 = rng.random_range(0..=n_mels - f);
        for band in f0..f0 + f {
            patch[band * frames..(band + 1) * frames].fill(0.0);
        }
    }
    for _ in 0..cfg.time_masks {
        let t = rng.random_range(0..=cfg.time_width.min(frames));
        let t0 = rng.random_range(0..=frames - t);
        for band in 0..n_mels {
            patch[band * frames + t0..band * frames + t0 + t].fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Every zeroed cell must lie in a fully zeroed band or a fully zeroed
    /// frame, and the number of such bands/frames is bounded by the config.
    #[test]
    fn masks_whole_bands_and_frames_within_the_configured_widths() {
        let (m, t) = (32, 50);
        let cfg = SpecAugmentConfig {
            freq_masks: 2,
            freq_width: 5,
            time_masks: 3,
            time_width: 7,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut any_masked = false;
        for _ in 0..200 {
            let mut p = vec![1.0f32; m * t];
            mask_patch(&mut p, m, t, &cfg, &mut rng);
            let zero_bands: Vec<bool> = (0..m)
                .map(|b| p[b * t..(b + 1) * t].iter().all(|&v| v == 0.0))
                .collect();
            let zero_frames: Vec<bool> = (0..t)
                .map(|f| (0..m).all(|b| p[b * t + f] == 0.0))
                .collect();
            for b in 0..m {
                for f in 0..t {
                    if p[b * t + f] == 0.0 {
                        any_masked = true;
                        assert!(zero_bands[b] || zero_frames[f], "stray zero at {b},{f}");
                    } else {
                        assert_eq!(p[b * t + f], 1.0);
                    }
                }
            }
            assert!(zero_bands.iter().filter(|&&z| z).count() <= 2 * 5);
            assert!(zero_frames.iter().filter(|&&z| z).count() <= 3 * 7);
        }
        assert!(any_masked);
    }

    #[test]
    fn zero_widths_leave_the_patch_alone() {
        let cfg = SpecAugmentConfig {
            freq_masks: 3,
            freq_width: 0,
            time_masks: 3,
            time_width: 0,
        };
        let mut p = vec![2.0f32; 8 * 9];
        mask_patch(&mut p, 8, 9, &cfg, &mut ChaCha8Rng::seed_from_u64(1));
        assert!(p.iter().all(|&v| v == 2.0));
    }
}
