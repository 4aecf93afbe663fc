//! [`TrainConfig`]: how a neural network is trained (optimiser, schedule,
//! regularisation, stopping). Parsed from the spec, hashed into the trial key,
//! so its serialisation is canonical: every field is always written.

use mer_core::{ConfigError, limits};
use serde::{Deserialize, Serialize};

/// Optimiser family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba 2015); `weight_decay` is an L2 term added to the
    /// gradient, as in `torch.optim.Adam`.
    #[default]
    Adam,
    /// AdamW (Loshchilov & Hutter 2019); `weight_decay` is decoupled, as in
    /// `torch.optim.AdamW`.
    Adamw,
}

/// Learning-rate schedule, stepped once per batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    /// Constant `lr`.
    #[default]
    None,
    /// `torch.optim.lr_scheduler.OneCycleLR(max_lr=lr, total_steps=epochs *
    /// batches_per_epoch)` with PyTorch's defaults (`pct_start = 0.3`, cosine
    /// annealing, `div_factor = 25`, `final_div_factor = 1e4`), without
    /// momentum cycling (`cycle_momentum = False`).
    OneCycle,
    /// `torch.optim.lr_scheduler.CosineAnnealingLR(T_max = total steps,
    /// eta_min = 0)`, stepped per batch.
    Cosine,
}

/// Early stopping on the validation loss (the validation split lives inside
/// the training fold; the executor makes it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EarlyStoppingConfig {
    /// Epochs without a strictly lower validation loss before training stops;
    /// `0` disables stopping (training runs all epochs). Defaults to `10`.
    pub patience: usize,
    /// Whether the weights of the epoch with the lowest validation loss are
    /// restored at the end (otherwise the last epoch's weights are kept).
    /// Defaults to `true`.
    pub restore_best: bool,
}

impl Default for EarlyStoppingConfig {
    fn default() -> Self {
        Self {
            patience: 10,
            restore_best: true,
        }
    }
}

/// How a neural network is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Maximum number of passes over the training data. Defaults to `30`.
    pub epochs: usize,
    /// Tracks per mini-batch (the last batch of an epoch may be smaller).
    /// Defaults to `32`.
    pub batch_size: usize,
    /// Optimiser. Defaults to `"adam"`.
    pub optimizer: OptimizerKind,
    /// Learning rate (the peak rate for `one_cycle`). Defaults to `1e-3`.
    pub lr: f64,
    /// Weight decay (L2 for Adam, decoupled for AdamW). Defaults to `0.0`.
    pub weight_decay: f64,
    /// Learning-rate schedule. Defaults to `"none"`.
    pub schedule: ScheduleKind,
    /// MixUp (Zhang et al., ICLR 2018) Beta(alpha, alpha) parameter; one
    /// mixing weight per batch, inputs and targets mixed with a shuffled copy
    /// of the batch. `0` disables MixUp. Defaults to `0.0`.
    pub mixup_alpha: f64,
    /// Maximum global L2 norm of all gradients together, as
    /// `torch.nn.utils.clip_grad_norm_`; `0` disables clipping.
    /// Defaults to `0.0`.
    pub grad_clip: f64,
    /// Early stopping on the validation loss.
    pub early_stopping: EarlyStoppingConfig,
    /// Weight the classification loss by inverse class frequency in the
    /// training fold (`n / (k * count_c)`, scikit-learn's "balanced");
    /// ignored for regression. Defaults to `false`.
    pub class_weights: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch_size: 32,
            optimizer: OptimizerKind::Adam,
            lr: 1e-3,
            weight_decay: 0.0,
            schedule: ScheduleKind::None,
            mixup_alpha: 0.0,
            grad_clip: 0.0,
            early_stopping: EarlyStoppingConfig::default(),
            class_weights: false,
        }
    }
}

impl TrainConfig {
    /// Checks every value against its rule.
    ///
    /// # Errors
    /// The first key that breaks its rule.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn err(key: &str, value: impl std::fmt::Display, rule: &str) -> ConfigError {
            ConfigError::found(key, value, rule)
        }
        limits::size("epochs", self.epochs, 1, limits::MAX_EPOCHS)?;
        limits::size("batch_size", self.batch_size, 1, limits::MAX_BATCH)?;
        limits::size(
            "early_stopping.patience",
            self.early_stopping.patience,
            0,
            limits::MAX_EPOCHS,
        )?;
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(err("lr", self.lr, "must be a positive, finite number"));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(err(
                "weight_decay",
                self.weight_decay,
                "must be a finite number >= 0",
            ));
        }
        if !(self.mixup_alpha.is_finite() && self.mixup_alpha >= 0.0) {
            return Err(err(
                "mixup_alpha",
                self.mixup_alpha,
                "must be a finite number >= 0 (0 disables MixUp)",
            ));
        }
        if !(self.grad_clip.is_finite() && self.grad_clip >= 0.0) {
            return Err(err(
                "grad_clip",
                self.grad_clip,
                "must be a finite number >= 0 (0 disables clipping)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_an_empty_table_and_round_trip() {
        let cfg: TrainConfig = toml::from_str("").unwrap();
        assert_eq!(cfg, TrainConfig::default());
        let text = toml::to_string(&cfg).unwrap();
        let back: TrainConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, cfg);
        cfg.validate().unwrap();
    }

    #[test]
    fn spec_values_parse_and_unknown_keys_are_rejected() {
        let cfg: TrainConfig = toml::from_str(
            "epochs = 5\noptimizer = \"adamw\"\nschedule = \"one_cycle\"\nmixup_alpha = 0.2\n\
             [early_stopping]\npatience = 3\nrestore_best = false\n",
        )
        .unwrap();
        assert_eq!(cfg.epochs, 5);
        assert_eq!(cfg.optimizer, OptimizerKind::Adamw);
        assert_eq!(cfg.schedule, ScheduleKind::OneCycle);
        assert_eq!(cfg.early_stopping.patience, 3);
        assert!(!cfg.early_stopping.restore_best);
        let err = toml::from_str::<TrainConfig>("epoch = 5").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let err = toml::from_str::<TrainConfig>("schedule = \"step\"").unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
    }

    #[test]
    fn validate_names_the_key_and_the_rule() {
        let cfg = TrainConfig {
            lr: -1.0,
            ..TrainConfig::default()
        };
        let err = cfg.validate().unwrap_err();
        assert_eq!(err.key().to_string(), "lr");
        assert_eq!(
            err.within("train").to_string(),
            "train.lr: must be a positive, finite number (found -1)"
        );
        let cfg = TrainConfig {
            mixup_alpha: f64::NAN,
            ..TrainConfig::default()
        };
        assert_eq!(cfg.validate().unwrap_err().key().to_string(), "mixup_alpha");
        let cfg = TrainConfig {
            batch_size: 0,
            ..TrainConfig::default()
        };
        assert_eq!(cfg.validate().unwrap_err().key().to_string(), "batch_size");
    }
}
