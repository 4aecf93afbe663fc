//! Pure metric functions, fold aggregation and statistical tests.
//!
//! Owns: numbers computed from (truth, prediction) pairs. Never touches the
//! store or files.

// PROVISIONAL (uncommitted type-check stubs; replaced by the metrics branch).
#[derive(Debug, thiserror::Error)]
#[error("metrics")]
pub struct MetricsError;
pub struct ClassificationMetrics;
impl ClassificationMetrics {
    pub fn scalars(&self) -> Vec<(String, f64)> {
        unimplemented!()
    }
}
pub struct RegressionMetrics;
impl RegressionMetrics {
    pub fn scalars(&self) -> [(&'static str, f64); 5] {
        unimplemented!()
    }
}
pub fn classification(
    _: &[usize],
    _: &[usize],
    _: usize,
) -> Result<ClassificationMetrics, MetricsError> {
    unimplemented!()
}
pub fn regression(_: &[f64], _: &[f64]) -> Result<RegressionMetrics, MetricsError> {
    unimplemented!()
}
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
}
impl Summary {
    pub fn of(_: &[f64]) -> Summary {
        unimplemented!()
    }
}
