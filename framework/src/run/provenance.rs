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
        lock_hash: Some(lock_hash()),
        cpu_features: Some(cpu_features()),
    }
}

/// blake3 of the `Cargo.lock` this binary was built with: every dependency's
/// exact version, as one value a reproduction report can compare.
pub fn lock_hash() -> String {
    blake3::hash(CARGO_LOCK).to_hex().to_string()
}

/// The `Cargo.lock` this binary was built with (bundles carry it).
pub const CARGO_LOCK: &[u8] = include_bytes!("../../../Cargo.lock");

/// The architecture and the SIMD features this CPU offers, detected at run
/// time (`x86_64: avx,avx2,fma,sse4.2`): a different set can change which
/// kernels run and so the last bits of a float sum.
pub fn cpu_features() -> String {
    #[allow(unused_mut)]
    let mut found: Vec<&str> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! probe {
            ($($f:tt),*) => {$(
                if std::arch::is_x86_feature_detected!($f) {
                    found.push($f);
                }
            )*};
        }
        probe!(
            "sse4.1", "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! probe {
            ($($f:tt),*) => {$(
                if std::arch::is_aarch64_feature_detected!($f) {
                    found.push($f);
                }
            )*};
        }
        probe!("neon", "fp16", "sve", "sve2");
    }
    format!("{}: {}", std::env::consts::ARCH, found.join(","))
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
