//! Learning-rate schedules as pure functions of the optimiser step, so they
//! can be checked against PyTorch's schedulers (fixture produced by
//! `tools/torch_schedules.py`).

use super::config::ScheduleKind;

/// The learning rate used for optimiser step `step` (0-based) out of
/// `total_steps`, for a base (or peak) rate `lr`.
///
/// - `None`: `lr`.
/// - `OneCycle`: `torch.optim.lr_scheduler.OneCycleLR(max_lr=lr,
///   total_steps, pct_start=0.3, anneal_strategy="cos", div_factor=25,
///   final_div_factor=1e4, three_phase=False)`, `get_last_lr()` after `step`
///   calls to `scheduler.step()`.
/// - `Cosine`: `CosineAnnealingLR(T_max=total_steps, eta_min=0)` in closed
///   form, `lr * (1 + cos(pi * step / total_steps)) / 2`.
///
/// Steps past `total_steps - 1` keep the last value.
#[must_use]
pub fn lr_at(kind: ScheduleKind, lr: f64, step: usize, total_steps: usize) -> f64 {
    let total = total_steps.max(1);
    let step = step.min(total - 1);
    match kind {
        ScheduleKind::None => lr,
        ScheduleKind::Cosine => {
            lr * (1.0 + (std::f64::consts::PI * step as f64 / total as f64).cos()) / 2.0
        }
        ScheduleKind::OneCycle => one_cycle(lr, step, total),
    }
}

/// PyTorch `OneCycleLR.get_lr` for two phases (see `torch/optim/lr_scheduler.py`).
fn one_cycle(max_lr: f64, step: usize, total_steps: usize) -> f64 {
    const PCT_START: f64 = 0.3;
    const DIV_FACTOR: f64 = 25.0;
    const FINAL_DIV_FACTOR: f64 = 1e4;
    let initial_lr = max_lr / DIV_FACTOR;
    let min_lr = initial_lr / FINAL_DIV_FACTOR;
    // Phase end steps as PyTorch computes them (floats).
    let phases = [
        (PCT_START * total_steps as f64 - 1.0, initial_lr, max_lr),
        (total_steps as f64 - 1.0, max_lr, min_lr),
    ];
    let step = step as f64;
    let mut start_step = 0.0;
    for (i, &(end_step, start_lr, end_lr)) in phases.iter().enumerate() {
        if step <= end_step || i == phases.len() - 1 {
            let span = end_step - start_step;
            let pct = if span == 0.0 {
                // PyTorch divides by zero here for tiny schedules and gets
                // nan/inf; we stay at the phase's end value instead.
                1.0
            } else {
                (step - start_step) / span
            };
            return anneal_cos(start_lr, end_lr, pct);
        }
        start_step = end_step;
    }
    unreachable!("the last phase always returns")
}

fn anneal_cos(start: f64, end: f64, pct: f64) -> f64 {
    end + (start - end) / 2.0 * ((std::f64::consts::PI * pct).cos() + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cycle_starts_low_peaks_at_30_percent_and_ends_near_zero() {
        let total = 100;
        let lr0 = lr_at(ScheduleKind::OneCycle, 1e-3, 0, total);
        assert!((lr0 - 1e-3 / 25.0).abs() < 1e-15);
        let peak = (0..total)
            .map(|s| (s, lr_at(ScheduleKind::OneCycle, 1e-3, s, total)))
            .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        assert_eq!(peak.0, 29);
        assert!((peak.1 - 1e-3).abs() < 1e-15);
        let last = lr_at(ScheduleKind::OneCycle, 1e-3, total - 1, total);
        assert!((last - 1e-3 / 25.0 / 1e4).abs() < 1e-18);
    }

    #[test]
    fn cosine_halves_at_midpoint_and_constant_is_constant() {
        assert!((lr_at(ScheduleKind::Cosine, 0.1, 50, 100) - 0.05).abs() < 1e-12);
        assert_eq!(lr_at(ScheduleKind::None, 0.1, 77, 100), 0.1);
    }
}
