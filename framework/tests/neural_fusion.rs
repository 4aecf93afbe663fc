//! On the synthetic benchmark with fixed seeds, gated fusion beats the
//! audio-only and lyrics-only networks on quadrant macro-F1 by a clear
//! margin (issue 5), trained as the quadrants experiment trains it.

use std::collections::BTreeMap;

use mer_store::Split;

/// The dataset of `synthetic_structure.rs`, so both share one cache.
const SPEC: &str = r#"
[experiment]
name = "fusion"

[dataset]
kind = "synthetic"
tracks = 400
duration_s = 6.0
seed = 11

[evaluation]
folds = 5

[train]
epochs = 100
batch_size = 32
optimizer = "adamw"
lr = 3e-3
mixup_alpha = 0.4
early_stopping = { patience = 20 }

[sweep]
modality = ["audio", "text", "fusion"]
architecture = ["residual_mlp", "text_projection", "gated_fusion"]
labels = ["quadrants"]

[[sweep.exclude]]
architecture = "gated_fusion"
modality = ["audio", "text"]

[[sweep.exclude]]
architecture = "text_projection"
modality = ["audio", "fusion"]

[[sweep.exclude]]
architecture = "residual_mlp"
modality = "fusion"
"#;

#[test]
fn gated_fusion_beats_each_modality_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::common::sweep_spec(SPEC, "fusion.toml", dir.path());

    let metrics = store.report_metrics("fusion").unwrap();
    let mut f1: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for t in store.report_trials("fusion").unwrap() {
        let v = metrics
            .iter()
            .filter(|m| m.trial_id == t.id && m.split == Split::Test && m.name == "macro_f1")
            .map(|m| m.value);
        f1.entry(format!("{}/{}", t.modality, t.architecture))
            .or_default()
            .extend(v);
    }
    let mean = |k: &str| {
        let v = &f1[k];
        v.iter().sum::<f64>() / v.len() as f64
    };
    let fused = mean("fusion/gated_fusion");
    for single in [
        "audio/residual_mlp",
        "text/residual_mlp",
        "text/text_projection",
    ] {
        assert!(
            fused > mean(single) + 0.08,
            "gated fusion {fused:.3} vs {single} {:.3}",
            mean(single)
        );
    }
    // The fusion weight is recorded per track, between 0 and 1.
    let t = store
        .report_trials("fusion")
        .unwrap()
        .into_iter()
        .find(|t| t.architecture == "gated_fusion")
        .unwrap();
    let alphas: Vec<f64> = store
        .predictions(t.id)
        .unwrap()
        .iter()
        .map(|p| p.extra.as_ref().unwrap()["alpha"].as_f64().unwrap())
        .collect();
    assert!(alphas.iter().all(|a| (0.0..=1.0).contains(a)));
    assert!(alphas.iter().any(|a| *a > 0.0), "alpha is recorded");
}
