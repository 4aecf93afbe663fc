use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use mer_model::ModelConfig;

use super::*;

const MINIMAL: &str = r#"
[experiment]
name = "demo"
seeds = [1, 2]

[sweep]
modality = ["audio", "text"]
architecture = ["svm", "knn"]
labels = ["quadrants"]
"#;

fn parse(text: &str) -> Result<ValidSpec, SpecError> {
    Spec::parse(text, Path::new("x.toml"))?.validate()
}

/// A problem as the tests read it: every spec problem is placed in the file.
#[derive(Debug)]
struct Problem {
    line: usize,
    column: usize,
    key: String,
    message: String,
    shown: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(text) {
        Ok(_) => panic!("expected the spec to be rejected"),
        Err(e) => e
            .problems()
            .iter()
            .map(|p| {
                let pos = p.position().expect("every spec problem is placed");
                Problem {
                    line: pos.line,
                    column: pos.column,
                    key: p.key().to_string(),
                    message: p.rule().to_string(),
                    shown: p.to_string(),
                }
            })
            .collect(),
    }
}

#[test]
fn expands_the_cross_product_of_axes_and_seeds() {
    let v = parse(MINIMAL).unwrap();
    let plan = v.plan();
    assert_eq!(plan.trials.len(), 2 * 2 * 2);
    assert_eq!(plan.experiment.name, "demo");
    let t = &plan.trials[0].config;
    assert_eq!(
        t.task,
        Task::Classification,
        "task follows the label scheme"
    );
    assert!(t.features.audio.is_some() && t.features.text.is_none());
    let text = plan
        .trials
        .iter()
        .find(|t| t.config.modality == Modality::Text)
        .unwrap();
    assert!(text.config.features.audio.is_none() && text.config.features.text.is_some());
    let seeds: BTreeSet<u64> = plan.trials.iter().map(|t| t.config.seed).collect();
    assert_eq!(seeds, BTreeSet::from([1, 2]));
}

#[test]
fn unknown_architecture_names_file_line_column_key_and_choices() {
    let text = "[experiment]\nname = \"x\"\n[sweep]\nlabels = [\"quadrants\"]\narchitecture = [\"svm\", \"cnn3d\"]\n";
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    let s = p[0].to_string();
    assert!(
        s.starts_with(
            "x.toml:5:24: sweep.architecture: unknown variant `cnn3d`, expected one of `logreg`, `svm`"
        ),
        "{s}"
    );
}

#[test]
fn misspelt_keys_are_errors_at_their_position() {
    let text = "[experiment]\nname = \"x\"\n[model.svm]\ncc = 2.0\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\n";
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].line, p[0].column), (4, 1), "{}", p[0]);
    assert_eq!(p[0].key, "model.svm.cc");
    assert!(p[0].message.starts_with("unknown field `cc`"), "{}", p[0]);
}

#[test]
fn syntax_errors_carry_their_position() {
    let p = problems("[experiment]\nname = \"x\"\n[sweep\n");
    assert_eq!(p[0].line, 3, "{}", p[0]);
}

#[test]
fn a_spec_without_sweep_says_what_is_missing() {
    let p = problems("[experiment]\nname = \"x\"\n");
    assert_eq!(p[0].key, "sweep");
    assert!(p[0].message.contains("architecture"), "{}", p[0]);
    let p = problems("[experiment]\nname = \"x\"\n[sweep]\nlabels = [\"va\"]\n");
    assert!(p[0].message.contains("missing `architecture`"), "{}", p[0]);
}

#[test]
fn invalid_combinations_are_all_listed_with_reasons_and_a_fix() {
    let text = r#"[experiment]
name = "x"
[sweep]
architecture = ["logreg", "svm"]
labels = ["quadrants", "va"]
task = ["classification", "regression"]
"#;
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    let msg = &p[0].message;
    // (quadrants, regression) x2 archs, (va, classification) x2 archs,
    // (logreg, regression) with va: 5 broken rules in all.
    assert!(msg.starts_with("5 combination(s)"), "{msg}");
    assert!(msg.contains("architecture=svm labels=quadrants task=regression: regression needs a continuous target"), "{msg}");
    assert!(
        msg.contains(
            "architecture=logreg labels=va task=regression: logistic regression is a classifier"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("[[sweep.exclude]]\n  labels = \"quadrants\"\n  task = \"regression\""),
        "{msg}"
    );
    assert_eq!((p[0].line, p[0].column), (3, 1));
}

#[test]
fn exclude_rules_remove_exactly_the_matching_combinations() {
    let text = r#"[experiment]
name = "x"
[sweep]
architecture = ["logreg", "svm"]
labels = ["quadrants", "va"]
task = ["classification", "regression"]
[[sweep.exclude]]
labels = "quadrants"
task = "regression"
[[sweep.exclude]]
labels = "va"
task = "classification"
[[sweep.exclude]]
architecture = "logreg"
task = "regression"
[[sweep.exclude]]
modality = "fusion"
"#;
    let v = parse(text).unwrap();
    let plan = v.plan();
    let got: Vec<String> = plan.trials.iter().map(|t| t.config.summary()).collect();
    assert_eq!(
        got,
        vec![
            "audio/logreg/quadrants/classification seed=0",
            "audio/svm/quadrants/classification seed=0",
            "audio/svm/va/regression seed=0",
        ]
    );
    assert_eq!(plan.excluded, 5);
    assert_eq!(plan.warnings.len(), 1, "the fusion rule matches nothing");
    assert!(
        plan.warnings[0].contains("sweep.exclude[3]"),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn swept_settings_apply_only_where_they_matter() {
    let text = r#"[experiment]
name = "x"
[sweep]
architecture = ["svm", "knn"]
labels = ["quadrants"]
model.svm.c = [0.5, 2.0]
"#;
    let v = parse(text).unwrap();
    let plan = v.plan();
    // Two SVM trials; the KNN trial would be identical twice: run once.
    assert_eq!(plan.trials.len(), 3);
    assert_eq!(plan.duplicates, 1);
    let svm: Vec<&PlannedTrial> = plan
        .trials
        .iter()
        .filter(|t| t.config.architecture == Architecture::Svm)
        .collect();
    let cs: Vec<f64> = svm
        .iter()
        .map(|t| match &t.config.model {
            ModelConfig::Svm(c) => c.c,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(cs, vec![0.5, 2.0]);
    assert_eq!(svm[0].params_json(), r#"{"model.svm.c":0.5}"#);
    let knn = plan
        .trials
        .iter()
        .find(|t| t.config.architecture == Architecture::Knn)
        .unwrap();
    assert!(knn.params.is_empty());
}

#[test]
fn bad_swept_values_point_at_the_sweep_list() {
    let text = r#"[experiment]
name = "x"
[sweep]
architecture = ["svm"]
labels = ["quadrants"]
"model.svm.c" = [1.0, -3.0]
"#;
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "sweep.model.svm.c");
    assert_eq!(p[0].line, 6);
    assert!(
        p[0].message.contains("-3.0") && p[0].message.contains("positive"),
        "{}",
        p[0]
    );

    let text = "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\nmodel.svm.cee = [1.0]\n";
    let p = problems(text);
    assert_eq!(p[0].key, "sweep.model.svm.cee");
    assert!(p[0].message.contains("unknown field `cee`"), "{}", p[0]);

    let text = "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\nmodel.svm.c = 1.0\n";
    let p = problems(text);
    assert!(p[0].message.contains("takes a list of values"), "{}", p[0]);

    let text = "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\nlearning_rate = [1.0]\n";
    let p = problems(text);
    assert_eq!(p[0].key, "sweep.learning_rate");
    assert!(p[0].message.contains("unknown sweep axis"), "{}", p[0]);
}

#[test]
fn out_of_range_model_settings_name_the_rule() {
    let text = "[experiment]\nname = \"x\"\n[model.knn]\nk = 0\n[sweep]\narchitecture = [\"knn\"]\nlabels = [\"quadrants\"]\n";
    let p = problems(text);
    assert_eq!(
        p[0].to_string(),
        "x.toml:4:5: model.knn.k: must lie in 1..=100000 (found 0)"
    );
}

#[test]
fn experiment_names_and_seeds_are_checked() {
    let p = problems(
        "[experiment]\nname = \"a b\"\nseeds = [3, 3]\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\n",
    );
    let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["experiment.name", "experiment.seeds[1]"]);
}

#[test]
fn several_problems_are_reported_together() {
    let p = problems(
        "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"nope\"]\nlabels = [\"nolabels\"]\nmodality = \"sound\"\n",
    );
    assert_eq!(p.len(), 3, "{p:?}");
}

#[test]
fn trial_keys_are_stable_and_depend_on_data_and_config() {
    let v = parse(MINIMAL).unwrap();
    let a = &v.plan().trials[0].config;
    let b = &v.plan().trials[1].config;
    let ka = TrialKey::new(a, "fp1");
    assert_eq!(ka, TrialKey::new(a, "fp1"));
    assert_eq!(ka.0.len(), 64);
    assert_ne!(ka, TrialKey::new(a, "fp2"));
    assert_ne!(ka, TrialKey::new(b, "fp1"));
    // The canonical JSON round-trips to the same config.
    let back: TrialConfig = serde_json::from_str(&a.canonical_json()).unwrap();
    assert_eq!(&back, a);
}

#[test]
fn reference_spec_parses_and_documents_every_section() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../experiments/reference.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let v = Spec::parse(&text, &path).unwrap().validate().unwrap();
    assert!(!v.plan().trials.is_empty());
    for section in [
        "[experiment]",
        "[dataset]",
        "[features.audio]",
        "[features.text]",
        "[labels]",
        "[evaluation]",
        "[model.logreg]",
        "[model.svm]",
        "[model.random_forest]",
        "[model.knn]",
        "[model.ridge]",
        "[features.sequence]",
        "[features.mel]",
        "[features.waveform]",
        "[features.tokens]",
        "[model.residual_mlp]",
        "[model.gated_fusion]",
        "[model.text_projection]",
        "[model.text_bilstm]",
        "[model.text_cnn]",
        "[model.lstm_cnn]",
        "[model.bilstm_cnn]",
        "[model.cnn2d]",
        "[model.cnn2d_specaug]",
        "[model.concat_lstm]",
        "[model.conv_gru_transformer]",
        "[model.ensemble]",
        "[train]",
        "[train.early_stopping]",
        "balancing =",
        "unavailable =",
        "[sweep]",
        "[[sweep.exclude]]",
    ] {
        assert!(text.contains(section), "reference.toml lacks {section}");
    }
}

#[test]
fn shipped_experiments_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../experiments");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let spec = Spec::load(&path).unwrap();
            spec.validate()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(
        n >= 7,
        "quickstart, reference and the five seed-study experiments"
    );
}

#[test]
fn combinations_the_dataset_cannot_serve_are_errors_or_skipped_on_request() {
    let base = r#"[experiment]
name = "x"
[dataset]
kind = "deam"
root = "/data/DEAM"
[sweep]
modality = ["audio", "text"]
architecture = ["svm"]
labels = ["quadrants"]
"#;
    // By default a missing modality is an error naming the reason.
    let p = problems(base);
    assert!(
        p[0].message
            .contains("the text modality needs lyrics, and this dataset has none"),
        "{}",
        p[0]
    );
    // With `unavailable = "skip"` the text trials are left out and listed.
    let v = parse(&format!("{base}unavailable = \"skip\"\n")).unwrap();
    let plan = v.plan();
    assert!(!plan.trials.is_empty());
    assert!(
        plan.trials
            .iter()
            .all(|t| t.config.modality == Modality::Audio)
    );
    let w = plan.warnings.join("\n");
    assert!(
        w.contains("1 combination(s) skipped because the dataset cannot serve them")
            && w.contains("modality=text"),
        "{w}"
    );
    // Rule violations (not the dataset's fault) stay errors even so.
    let broken = base.replace("[\"svm\"]", "[\"svm\", \"ridge\"]");
    let p = problems(&format!("{broken}unavailable = \"skip\"\n"));
    assert!(p[0].message.contains("ridge"), "{}", p[0]);
    // A bad value is named with its position.
    let p = problems(&format!("{base}unavailable = \"ignore\"\n"));
    assert_eq!(p[0].key, "sweep.unavailable");
}

/// The `[dataset]` table of `text` replaced by `table`.
fn with_dataset(text: &str, table: &str) -> String {
    let start = text.find("\n[dataset]\n").expect("a [dataset] table") + 1;
    let end = text[start + 1..]
        .find("\n[")
        .map_or(text.len(), |i| start + 1 + i + 1);
    format!("{}{table}\n{}", &text[..start], &text[end..])
}

#[test]
fn seed_study_experiments_switch_to_real_datasets_by_their_dataset_table_only() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../experiments");
    let cases: [(&str, &[&str]); 5] = [
        (
            "quadrants",
            &[
                "kind = \"merge\"\nroot = \"/d/MERGE_Bimodal_Complete\"\nsubset = \"bimodal\"",
                "kind = \"four_q\"\nroot = \"/d/MER_audio_taffc_dataset\"",
                "kind = \"deam\"\nroot = \"/d/DEAM\"",
                "kind = \"pmemo\"\nroot = \"/d/PMEmo2019\"",
            ],
        ),
        (
            "delbouys2018",
            &[
                "kind = \"deezer\"\nroot = \"/d/deezer\"\nmusixmatch = [\"mxm_dataset_train.txt\"]\naudio_dir = \"previews\"",
            ],
        ),
        ("emotify", &["kind = \"emotify\"\nroot = \"/d/emotify\""]),
        (
            "binary_moods",
            &["kind = \"mtg_jamendo\"\nroot = \"/d/mtg-jamendo-dataset\"\naudio_dir = \"audio\""],
        ),
        (
            "genre_lyrics",
            &[
                "kind = \"gtzan\"\nroot = \"/d/gtzan/genres_original\"\nlyrics = \"/d/gtzan/lyrics.json\"",
                "kind = \"gtzan\"\nroot = \"/d/gtzan/genres_original\"",
            ],
        ),
    ];
    for (name, tables) in cases {
        let path = dir.join(format!("{name}.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let synthetic_spec = Spec::parse(&text, &path).unwrap().validate().unwrap();
        let synthetic = synthetic_spec.plan();
        for table in tables {
            let switched = with_dataset(&text, &format!("[dataset]\n{table}\n"));
            let v = Spec::parse(&switched, &path)
                .and_then(Spec::validate)
                .unwrap_or_else(|e| panic!("{name} with\n{table}\n{e}"));
            let plan = v.plan();
            assert!(!plan.trials.is_empty(), "{name} with {table}: no trial");
            assert!(plan.trials.len() <= synthetic.trials.len());
            // Only the dataset changed: every remaining trial is one of the
            // synthetic plan's, up to its dataset.
            for t in &plan.trials {
                assert!(
                    synthetic
                        .trials
                        .iter()
                        .any(|s| s.config.architecture == t.config.architecture
                            && s.config.modality == t.config.modality
                            && s.config.labels == t.config.labels
                            && s.config.model == t.config.model),
                    "{name}: {:?} is not in the synthetic plan",
                    t.config.architecture
                );
            }
        }
    }
}

/// Every key comes from where serde or a section's check found the
/// problem, prefixed by the tables that hold it; none is guessed from a
/// message.
#[test]
fn keys_are_the_paths_where_problems_were_found() {
    let base =
        "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\n";
    let one = |extra: &str| {
        let p = problems(&format!("{base}{extra}"));
        assert_eq!(p.len(), 1, "{p:?}");
        p.into_iter().next().unwrap()
    };
    // Inside [dataset] (an internally tagged enum, which serde reads
    // through a buffer): the exact key, at its line.
    let p = one("[dataset]\nkind = \"synthetic\"\ntrack = 50\n");
    assert_eq!(
        (p.key.as_str(), p.line, p.column),
        ("dataset.track", 8, 1),
        "{p}"
    );
    let p = one("[dataset]\nkind = \"synthetic\"\nnoise = 2.0\n");
    assert_eq!((p.key.as_str(), p.line), ("dataset.noise", 8), "{p}");
    // A section's own check, prefixed by the section's place.
    let p = one("[features.audio]\nsample_rate = 500\n");
    assert_eq!(p.key, "features.audio.sample_rate");
    assert!(p.message.contains("(found 500)"), "{p}");
    let p = one("[features.mel]\nn_mels = 1000\n");
    assert_eq!((p.key.as_str(), p.line), ("features.mel.n_mels", 7), "{p}");
    let p = one("[features.tokens]\nvocab_size = 2\n");
    assert_eq!(p.key, "features.tokens.vocab_size");
    let p = one("[features.text]\nrepresentation = \"lexicon\"\n");
    assert_eq!(p.key, "features.text.lexicon.path");
    let p = one("[evaluation]\nfolds = 1\n");
    assert_eq!((p.key.as_str(), p.line), ("evaluation.folds", 7), "{p}");
    // An exclude rule's misspelt axis.
    let p = one("[[sweep.exclude]]\ntaks = \"regression\"\n");
    assert_eq!(
        (p.key.as_str(), p.line, p.column),
        ("sweep.exclude[0].taks", 7, 1),
        "{p}"
    );
    // A setting swept under its quoted dotted name is found in the file.
    let p = one("\"model.svm.c\" = [1.0, -2.0]\n");
    assert_eq!((p.key.as_str(), p.line), ("sweep.model.svm.c", 6), "{p}");
    assert!(p.message.starts_with("value -2.0: "), "{p}");
}

/// Sizes that would abort a sweep on a failed allocation are refused when the
/// spec is validated, each at its key (mer_core::limits).
#[test]
fn impossible_sizes_are_refused_at_validation() {
    let base = "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\", \"cnn2d\"]\nlabels = [\"quadrants\"]\n";
    let cases = [
        (
            "[dataset]\nkind = \"synthetic\"\nartists = 1000000000000\n",
            "dataset.artists",
        ),
        (
            "[dataset]\nkind = \"synthetic\"\ntracks = 1000000\nduration_s = 600.0\n",
            "dataset.duration_s",
        ),
        (
            "[evaluation]\nfolds = 2\nrepeats = 1000000000\n",
            "evaluation.repeats",
        ),
        ("[evaluation]\nfolds = 1000000\n", "evaluation.folds"),
        (
            "[features.mel]\nframes = 1000000000\n",
            "features.mel.frames",
        ),
        (
            "[features.tokens]\nmax_len = 1000000000\n",
            "features.tokens.max_len",
        ),
        (
            "[model.cnn2d]\nchannels = [32, 1000000000]\n",
            "model.cnn2d.channels",
        ),
        ("[model.cnn2d]\ndense = 1000000000\n", "model.cnn2d.dense"),
        (
            "[model.svm]\nc = 1.0\n[train]\nepochs = 1000000000\n",
            "train.epochs",
        ),
        ("[train]\nbatch_size = 1000000000000\n", "train.batch_size"),
    ];
    for (extra, key) in cases {
        let p = problems(&format!("{base}{extra}"));
        assert_eq!(p.len(), 1, "{extra}: {p:?}");
        assert_eq!(p[0].key, key, "{}", p[0]);
        assert!(p[0].message.contains("(found"), "{}", p[0]);
        assert!(p[0].line > 5, "{}", p[0]);
    }
}

#[test]
fn exclude_rules_and_duplicate_keys_name_the_value_and_the_key() {
    let base = "[experiment]\nname = \"x\"\n[sweep]\narchitecture = [\"svm\", \"knn\"]\nlabels = [\"quadrants\"]\n";
    // An unknown value in an exclude rule: its own type's error, at its index.
    let p = problems(&format!(
        "{base}[[sweep.exclude]]\narchitecture = [\"svm\", \"svn\"]\n"
    ));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].key, "sweep.exclude[0].architecture[1]", "{}", p[0]);
    assert!(p[0].message.contains("unknown variant `svn`"), "{}", p[0]);
    assert!(!p[0].message.contains("untagged"), "{}", p[0]);
    let p = problems(&format!("{base}[[sweep.exclude]]\ntask = \"regresion\"\n"));
    assert_eq!(p[0].key, "sweep.exclude[0].task", "{}", p[0]);
    assert!(
        p[0].message.contains("unknown variant `regresion`"),
        "{}",
        p[0]
    );
    // A duplicate key names the key, at the second occurrence.
    let p = problems("[experiment]\nname = \"x\"\n[model.svm]\nc = 1.0\nc = 2.0\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].key.as_str(), p[0].line),
        ("model.svm.c", 5),
        "{}",
        p[0]
    );
    assert!(p[0].message.contains("duplicate key"), "{}", p[0]);
    // A negative size points at the value, not the table header.
    let p = problems(&format!("{base}[evaluation]\nfolds = -1\n"));
    assert_eq!(
        (p[0].key.as_str(), p[0].line, p[0].column),
        ("evaluation.folds", 7, 9),
        "{}",
        p[0]
    );
}

/// The spec front door never panics, aborts or loops: arbitrary text and
/// byte-level mutations of the reference spec end in a plan or in problems.
mod fuzz {
    use proptest::prelude::*;

    const REFERENCE: &str = include_str!("../../../../experiments/reference.toml");

    fn check(text: &str) {
        match super::parse(text) {
            Ok(v) => assert!(!v.plan().trials.is_empty()),
            Err(e) => assert!(
                matches!(e, super::SpecError::Invalid(ref p) if !p.is_empty()),
                "{e}"
            ),
        }
    }

    /// Replaces, inserts or removes bytes at the given places.
    fn mutate(text: &str, edits: &[(prop::sample::Index, u8, u8)]) -> String {
        let mut b = text.as_bytes().to_vec();
        for (at, byte, op) in edits {
            let i = at.index(b.len().max(1)).min(b.len().saturating_sub(1));
            match op % 3 {
                0 if !b.is_empty() => b[i] = *byte,
                1 => b.insert(i, *byte),
                _ if !b.is_empty() => {
                    b.remove(i);
                }
                _ => {}
            }
        }
        String::from_utf8_lossy(&b).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn arbitrary_text_gives_problems_not_panics(text in "\\PC{0,400}") {
            check(&text);
        }

        #[test]
        fn mutated_reference_specs_give_a_plan_or_problems(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), any::<u8>()), 1..12)
        ) {
            check(&mutate(REFERENCE, &edits));
        }

        #[test]
        fn any_value_in_any_reference_key_gives_a_plan_or_problems(
            line in any::<prop::sample::Index>(),
            value in prop_oneof![
                Just("-1".to_string()),
                Just("1e308".to_string()),
                Just("nan".to_string()),
                Just("18446744073709551615".to_string()),
                Just("\"\"".to_string()),
                Just("[]".to_string()),
                Just("{}".to_string()),
                "\\PC{0,20}".prop_map(|s| format!("{s:?}")),
                any::<i64>().prop_map(|v| v.to_string()),
            ],
        ) {
            // Replace the value of one `key = value` line of the reference.
            let lines: Vec<&str> = REFERENCE.lines().collect();
            let keyed: Vec<usize> = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.trim_start().starts_with('#') && l.contains(" = "))
                .map(|(i, _)| i)
                .collect();
            let at = keyed[line.index(keyed.len())];
            let key = lines[at].split(" = ").next().unwrap();
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            out[at] = format!("{key} = {value}");
            check(&out.join("\n"));
        }
    }
}
