//! What a trial records about where and how it ran, before it trains.

use mer_spec::{Plan, TrialConfig};
use mer_store::{Provenance, now_rfc3339};

/// The git commit this binary was built from (`unknown` outside a checkout).
pub const GIT_COMMIT: &str = env!("MER_GIT_COMMIT");
/// `true`, `false` or `unknown`: whether the build had uncommitted changes.
pub const GIT_DIRTY: &str = env!("MER_GIT_DIRTY");
/// `rustc --version` of the compiler that built mer.
pub const RUSTC_VERSION: &str = env!("MER_RUSTC_VERSION");
/// The mer crate version.
pub const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Provenance of one trial of `plan`.
pub fn provenance(
    spec_path: &str,
    spec_text: &str,
    spec_hash: &str,
    seeds: &[u64],
    config: &TrialConfig,
    dataset_fingerprint: &str,
    threads: usize,
) -> Provenance {
    Provenance {
        spec_path: spec_path.to_string(),
        spec_text: spec_text.to_string(),
        spec_hash: spec_hash.to_string(),
        config_json: config.canonical_json(),
        seeds: seeds.to_vec(),
        dataset_fingerprint: dataset_fingerprint.to_string(),
        extractors: config.extractor_ids(),
        git_commit: GIT_COMMIT.to_string(),
        git_dirty: match GIT_DIRTY {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        crate_version: CRATE_VERSION.to_string(),
        rustc_version: RUSTC_VERSION.to_string(),
        host: super::worker::host_name(),
        os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        threads: threads as i64,
        backend: "cpu".to_string(),
        recorded_at: now_rfc3339(),
    }
}

/// Provenance for a trial of a plan.
pub fn for_plan(
    plan: &Plan,
    config: &TrialConfig,
    fingerprint: &str,
    threads: usize,
) -> Provenance {
    provenance(
        &plan.spec_path.display().to_string(),
        &plan.spec_text,
        &plan.spec_hash,
        &plan.experiment.seeds,
        config,
        fingerprint,
        threads,
    )
}
