//! The synthetic benchmark has the structure MER papers report, as the
//! classical baselines see it (issue 4): audio separates arousal better than
//! valence, lyrics the reverse, audio+lyrics beats either on quadrants, and
//! for audio alone the largest confusion is Q3 (sad) vs Q4 (calm), the seed
//! study's "quiet emotion" overlap.

use std::collections::BTreeMap;

use mer_store::Split;

const SPEC: &str = r#"
[experiment]
name = "structure"

[dataset]
kind = "synthetic"
tracks = 400
duration_s = 6.0
seed = 11

[evaluation]
folds = 5

[sweep]
modality = ["audio", "text", "fusion"]
architecture = ["logreg", "svm", "ridge"]
labels = ["quadrants", "va"]

[[sweep.exclude]]
architecture = "logreg"
labels = "va"

[[sweep.exclude]]
architecture = "ridge"
labels = "quadrants"
"#;

#[test]
fn baselines_see_the_designed_structure() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::common::sweep_spec(SPEC, "structure.toml", dir.path());

    let trials = store.report_trials("structure").unwrap();
    let metrics = store.report_metrics("structure").unwrap();
    // Mean test value per (modality, architecture, metric).
    let mut mean: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for t in &trials {
        let values: Vec<f64> = metrics
            .iter()
            .filter(|m| m.trial_id == t.id && m.split == Split::Test)
            .map(|m| m.value)
            .collect();
        assert!(!values.is_empty());
        let mut by_name: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for m in metrics
            .iter()
            .filter(|m| m.trial_id == t.id && m.split == Split::Test)
        {
            by_name.entry(&m.name).or_default().push(m.value);
        }
        for (name, v) in by_name {
            mean.insert(
                (t.modality.clone(), t.architecture.clone(), name.to_string()),
                v.iter().sum::<f64>() / v.len() as f64,
            );
        }
    }
    let get = |modality: &str, arch: &str, name: &str| {
        *mean
            .get(&(modality.into(), arch.into(), name.into()))
            .unwrap_or_else(|| panic!("no {name} for {modality}/{arch}"))
    };

    for arch in ["ridge", "svm"] {
        let (a_val, a_aro) = (
            get("audio", arch, "r2_valence"),
            get("audio", arch, "r2_arousal"),
        );
        let (t_val, t_aro) = (
            get("text", arch, "r2_valence"),
            get("text", arch, "r2_arousal"),
        );
        eprintln!(
            "{arch}: audio aro {a_aro:.3} val {a_val:.3}; text val {t_val:.3} aro {t_aro:.3}"
        );
        assert!(
            a_aro > a_val + 0.2,
            "{arch}: audio arousal r2 {a_aro} vs valence {a_val}"
        );
        assert!(
            t_val > t_aro + 0.1,
            "{arch}: text valence r2 {t_val} vs arousal {t_aro}"
        );
    }
    for arch in ["logreg", "svm"] {
        let (a, t, f) = (
            get("audio", arch, "macro_f1"),
            get("text", arch, "macro_f1"),
            get("fusion", arch, "macro_f1"),
        );
        assert!(
            f > a.max(t) + 0.05,
            "{arch}: fusion {f} vs audio {a}, text {t}"
        );
    }

    // Audio-only quadrant confusions: the Q3/Q4 pair dominates.
    let audio_lr = trials
        .iter()
        .find(|t| t.modality == "audio" && t.architecture == "logreg")
        .unwrap();
    let classes = audio_lr.classes.clone().unwrap();
    assert_eq!(classes, ["Q1_happy", "Q2_angry", "Q3_sad", "Q4_calm"]);
    let mut cm = [[0usize; 4]; 4];
    for p in store.predictions(audio_lr.id).unwrap() {
        cm[p.y_true as usize][p.y_pred as usize] += 1;
    }
    let mut pairs: Vec<((usize, usize), usize)> = (0..4)
        .flat_map(|i| (i + 1..4).map(move |j| (i, j)))
        .map(|(i, j)| ((i, j), cm[i][j] + cm[j][i]))
        .collect();
    pairs.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    assert_eq!(
        pairs[0].0,
        (2, 3),
        "largest audio confusion: {pairs:?} in {cm:?}"
    );
}
