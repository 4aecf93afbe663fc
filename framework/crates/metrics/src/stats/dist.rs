//! The few distribution functions the tests need, on statrs' special
//! functions, with NaN handled before statrs sees it (some statrs functions
//! assert on their arguments).
//!
//! - Student t: `cdf(t) = I_{ν/(ν+t²)}(ν/2, 1/2) / 2` for `t < 0` (the
//!   regularised incomplete beta, statrs `checked_beta_reg`); the quantile
//!   starts from statrs' `inv_beta_reg` (AS 64) and is polished with Newton
//!   steps on the lower tail, where the cdf has full relative precision.
//! - Standard normal survival function: `Q(1/2, z²/2) / 2` for `z >= 0`, the
//!   upper regularised incomplete gamma (statrs `checked_gamma_ur`). This is
//!   `erfc(z/√2)/2` by the identity `erfc(x) = Q(1/2, x²)`; statrs' own `erfc`
//!   was measured here at only about 1e-10 relative accuracy against
//!   `scipy.special.ndtr` (e.g. 4.5e-11 at z = 1.96), the gamma route at 1e-15.
//! - Chi-square survival function: the upper regularised incomplete gamma
//!   `Q(df/2, x/2)` (statrs `checked_gamma_ur`).

use statrs::function::{beta, gamma};

use crate::MetricsError;

fn special<E: std::error::Error + Send + Sync + 'static>(
    what: &'static str,
) -> impl FnOnce(E) -> MetricsError {
    move |source| MetricsError::Special {
        what,
        source: Box::new(source),
    }
}

/// Lower-tail probability `P(T <= t)` of Student's t with `df > 0` degrees of
/// freedom. NaN in, NaN out.
pub(crate) fn t_cdf(t: f64, df: f64) -> Result<f64, MetricsError> {
    if t.is_nan() || df.is_nan() {
        return Ok(f64::NAN);
    }
    if t.is_infinite() {
        return Ok(if t > 0.0 { 1.0 } else { 0.0 });
    }
    let x = df / (df + t * t);
    let half_tail =
        0.5 * beta::checked_beta_reg(df / 2.0, 0.5, x).map_err(special("Student t cdf"))?;
    Ok(if t <= 0.0 { half_tail } else { 1.0 - half_tail })
}

/// Upper-tail probability `P(T > t)` of Student's t. NaN in, NaN out.
pub(crate) fn t_sf(t: f64, df: f64) -> Result<f64, MetricsError> {
    // Symmetry keeps the small tail in the precise branch of `t_cdf`.
    t_cdf(-t, df)
}

/// Density of Student's t.
fn t_pdf(t: f64, df: f64) -> f64 {
    let ln_norm = gamma::ln_gamma((df + 1.0) / 2.0)
        - gamma::ln_gamma(df / 2.0)
        - 0.5 * (df * std::f64::consts::PI).ln();
    (ln_norm - (df + 1.0) / 2.0 * (t * t / df).ln_1p()).exp()
}

/// Quantile of Student's t: the `t` with `P(T <= t) = q`, for `q` in `[0, 1]`
/// and `df > 0` (matches `scipy.stats.t.ppf` to about 1e-12 relative; the
/// integration test `t_quantiles_match_scipy` checks it).
pub(crate) fn t_ppf(q: f64, df: f64) -> Result<f64, MetricsError> {
    if q.is_nan() || df.is_nan() || !(0.0..=1.0).contains(&q) || df <= 0.0 {
        return Ok(f64::NAN);
    }
    if q == 0.0 {
        return Ok(f64::NEG_INFINITY);
    }
    if q == 1.0 {
        return Ok(f64::INFINITY);
    }
    if q == 0.5 {
        return Ok(0.0);
    }
    if q > 0.5 {
        return Ok(-t_ppf(1.0 - q, df)?);
    }
    // Lower tail, q < 0.5, t < 0: I_x(df/2, 1/2) = 2q with x = df / (df + t²).
    let x = beta::inv_beta_reg(df / 2.0, 0.5, 2.0 * q);
    let mut t = -(df * (1.0 - x) / x).sqrt();
    for _ in 0..8 {
        let density = t_pdf(t, df);
        if !t.is_finite() || !density.is_finite() || density <= 0.0 {
            break;
        }
        let step = (t_cdf(t, df)? - q) / density;
        t -= step;
        if step.abs() <= 1e-15 * t.abs() {
            break;
        }
    }
    Ok(t)
}

/// `P(Z > z)` for a standard normal `Z`. NaN in, NaN out.
pub(crate) fn normal_sf(z: f64) -> Result<f64, MetricsError> {
    if z.is_nan() {
        return Ok(f64::NAN);
    }
    if z.is_infinite() {
        return Ok(if z > 0.0 { 0.0 } else { 1.0 });
    }
    if z == 0.0 {
        // statrs rejects Q(a, 0); Q(a, 0) = 1.
        return Ok(0.5);
    }
    let upper = 0.5
        * gamma::checked_gamma_ur(0.5, z * z / 2.0).map_err(special("normal survival function"))?;
    Ok(if z >= 0.0 { upper } else { 1.0 - upper })
}

/// `P(X > x)` for a chi-square `X` with `df > 0` degrees of freedom.
/// NaN in, NaN out.
pub(crate) fn chi2_sf(x: f64, df: f64) -> Result<f64, MetricsError> {
    if x.is_nan() || df.is_nan() {
        return Ok(f64::NAN);
    }
    if x <= 0.0 {
        return Ok(1.0);
    }
    if x.is_infinite() {
        return Ok(0.0);
    }
    gamma::checked_gamma_ur(df / 2.0, x / 2.0).map_err(special("chi-square survival function"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_with_one_degree_of_freedom_is_cauchy() {
        // Cauchy: F(t) = 1/2 + atan(t)/pi, quantile tan(pi (q - 1/2)).
        for &t in &[-30.0, -2.5, -0.3, 0.0, 0.7, 4.0] {
            let want = 0.5 + f64::atan(t) / std::f64::consts::PI;
            assert!((t_cdf(t, 1.0).unwrap() - want).abs() < 1e-14, "t = {t}");
        }
        for &q in &[0.01, 0.2, 0.5, 0.9, 0.975] {
            let want = (std::f64::consts::PI * (q - 0.5)).tan();
            let got = t_ppf(q, 1.0).unwrap();
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "q = {q}");
        }
    }

    #[test]
    fn t_with_two_degrees_of_freedom_has_a_closed_form() {
        // df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)); quantile
        // t = (2q - 1) sqrt(2 / (4 q (1 - q))).
        for &q in &[0.001f64, 0.05, 0.3, 0.8, 0.995] {
            let want = (2.0 * q - 1.0) * (2.0 / (4.0 * q * (1.0 - q))).sqrt();
            let got = t_ppf(q, 2.0).unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "q = {q}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn nan_and_edge_arguments_do_not_reach_statrs() {
        assert!(t_cdf(f64::NAN, 3.0).unwrap().is_nan());
        assert!(t_sf(f64::NAN, 3.0).unwrap().is_nan());
        assert_eq!(t_sf(f64::INFINITY, 3.0).unwrap(), 0.0);
        assert_eq!(t_ppf(1.0, 3.0).unwrap(), f64::INFINITY);
        assert!(t_ppf(1.5, 3.0).unwrap().is_nan());
        assert!(chi2_sf(f64::NAN, 2.0).unwrap().is_nan());
        assert_eq!(chi2_sf(0.0, 2.0).unwrap(), 1.0);
        // Chi-square with 2 df: sf(x) = exp(-x/2).
        assert!((chi2_sf(3.0, 2.0).unwrap() - (-1.5f64).exp()).abs() < 1e-15);
        // scipy.special.ndtr(-1.959963984540054) = 0.025, ndtr(-1) = 0.15865525393145707
        assert!((normal_sf(1.959963984540054).unwrap() - 0.025).abs() < 1e-16);
        assert!((normal_sf(1.0).unwrap() - 0.15865525393145707).abs() < 1e-16);
        assert!((normal_sf(-1.0).unwrap() - (1.0 - 0.15865525393145707)).abs() < 1e-15);
        assert_eq!(normal_sf(0.0).unwrap(), 0.5);
        assert!(normal_sf(f64::NAN).unwrap().is_nan());
    }
}
