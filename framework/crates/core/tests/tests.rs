//! mer-core: the configuration error and the matrix.

use mer_core::{ConfigError, KeyPath, Matrix, Position, RaggedRows, Segment};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Doc {
    model: Model,
    #[serde(default)]
    exclude: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Model {
    svm: Svm,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Svm {
    c: f64,
    #[serde(default)]
    kernel: Kernel,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kernel {
    #[default]
    Rbf,
    Linear,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Rule {
    task: String,
}

fn parse(text: &str) -> Result<Doc, ConfigError> {
    let table: toml::Table = toml::from_str(text).unwrap();
    mer_core::config::from_toml(toml::Value::Table(table))
}

#[test]
fn serde_errors_carry_the_path_serde_walked() {
    let e = parse("[model.svm]\nc = 1.0\nkernal = \"rbf\"\n").unwrap_err();
    assert_eq!(e.key().to_string(), "model.svm.kernal");
    // toml's own message, without the "in `model.svm`" it appends to its
    // Display: the key path says where.
    assert_eq!(e.rule(), "unknown field `kernal`, expected `c` or `kernel`");

    let e = parse("[model.svm]\nc = 1.0\nkernel = \"poly\"\n").unwrap_err();
    assert_eq!(e.key().to_string(), "model.svm.kernel");
    assert!(e.rule().contains("`poly`"), "{}", e.rule());

    let e = parse("[model.svm]\nc = \"high\"\n").unwrap_err();
    assert_eq!(e.key().to_string(), "model.svm.c");

    let e = parse("[model.svm]\nc = 1.0\n[[exclude]]\ntask = \"x\"\n[[exclude]]\ntaks = \"y\"\n")
        .unwrap_err();
    assert_eq!(e.key().to_string(), "exclude[1].taks");
    assert_eq!(
        e.key().segments(),
        &[
            Segment::Key("exclude".into()),
            Segment::Index(1),
            Segment::Key("taks".into())
        ]
    );

    // Any deserializer: the rule is its error's Display.
    let e: ConfigError = mer_core::config::deserialize::<_, Doc>(serde_json::json!({
        "model": {"svm": {"c": "high"}}
    }))
    .unwrap_err();
    assert_eq!(e.key().to_string(), "model.svm.c");
    assert!(e.rule().starts_with("invalid type: string \"high\""), "{e}");

    let e = parse("[model]\n").unwrap_err();
    assert_eq!(e.key().to_string(), "model");
    assert!(e.rule().contains("missing field `svm`"), "{}", e.rule());
    assert!(parse("[model.svm]\nc = 1.0\nkernel = \"linear\"\n").is_ok());
}

#[test]
fn keys_are_named_where_checked_and_prefixed_by_the_tables_that_hold_them() {
    let e = ConfigError::found("lr", -1, "must be positive").within("train");
    assert_eq!(e.key().to_string(), "train.lr");
    assert_eq!(e.rule(), "must be positive (found -1)");
    assert_eq!(e.to_string(), "train.lr: must be positive (found -1)");

    let e = ConfigError::new("set.log_mel.n_mels", "must lie in 1..=512")
        .within("audio")
        .within("features");
    assert_eq!(e.key().to_string(), "features.audio.set.log_mel.n_mels");
    assert_eq!(e.key().last_key(), Some("n_mels"));
    assert!(e.key().starts_with(&KeyPath::parse("features.audio")));
    assert!(!e.key().starts_with(&KeyPath::parse("features.text")));

    let placed = e.clone().at(Position {
        file: "spec.toml".into(),
        line: 12,
        column: 3,
    });
    assert_eq!(
        placed.to_string(),
        "spec.toml:12:3: features.audio.set.log_mel.n_mels: must lie in 1..=512"
    );
    assert_eq!(
        ConfigError::whole("nothing to run").to_string(),
        "nothing to run"
    );
}

#[test]
fn key_paths_round_trip_their_written_form() {
    for written in [
        "sweep.architecture[2]",
        "sweep.exclude[0].task",
        "sweep.\"model.svm.c\"",
        "a",
        "",
    ] {
        assert_eq!(KeyPath::parse(written).to_string(), written);
    }
    assert_eq!(
        KeyPath::parse("sweep.\"model.svm.c\"").segments(),
        &[
            Segment::Key("sweep".into()),
            Segment::Key("model.svm.c".into())
        ]
    );
    assert!(KeyPath::parse("").is_empty());
}

#[test]
fn matrix_rows_columns_and_moments() {
    let m = Matrix::from_rows(&[vec![1.0f64, 2.0], vec![3.0, 6.0], vec![5.0, 10.0]]).unwrap();
    assert_eq!((m.rows, m.cols), (3, 2));
    assert_eq!(m.row(1), &[3.0, 6.0]);
    assert_eq!(m.col_means(), vec![3.0, 6.0]);
    // np.std([1, 3, 5]) = sqrt(8/3); np.std([2, 6, 10]) = sqrt(32/3).
    let s = m.col_stds();
    assert!((s[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
    assert!((s[1] - (32.0f64 / 3.0).sqrt()).abs() < 1e-15);
    let t = m.transpose();
    assert_eq!((t.rows, t.cols), (2, 3));
    assert_eq!(t.data, vec![1.0, 3.0, 5.0, 2.0, 6.0, 10.0]);
    assert_eq!(m.select(&[2, 0]).data, vec![5.0, 10.0, 1.0, 2.0]);
    assert_eq!(
        Matrix::from_rows(&[vec![1.0f32], vec![1.0, 2.0]]),
        Err(RaggedRows {
            row: 1,
            len: 2,
            expected: 1
        })
    );
    let mut z = Matrix::<f32>::zeros(2, 2);
    z.row_mut(1)[0] = 4.0;
    assert_eq!(z.data, vec![0.0, 0.0, 4.0, 0.0]);
    assert_eq!(z.col_means(), vec![2.0, 0.0]);
}

/// The form fitted models were saved in before the matrix moved here.
#[derive(Serialize)]
struct SavedBefore {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

#[test]
fn matrix_serialises_as_the_artifacts_saved_it() {
    let m = Matrix {
        rows: 2,
        cols: 1,
        data: vec![0.5f64, -1.25],
    };
    let before = SavedBefore {
        rows: 2,
        cols: 1,
        data: vec![0.5, -1.25],
    };
    assert_eq!(
        postcard::to_allocvec(&m).unwrap(),
        postcard::to_allocvec(&before).unwrap()
    );
    let back: Matrix<f64> = postcard::from_bytes(&postcard::to_allocvec(&before).unwrap()).unwrap();
    assert_eq!(back, m);
}

/// `1000000` -> `1,000,000`, as the README writes numbers.
fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The README's table of limits states the values the code enforces.
#[test]
fn the_readme_lists_the_limits_the_code_enforces() {
    use mer_core::limits::*;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../README.md"))
            .expect("the README");
    let table = &readme[readme.find("## Errors").expect("an Errors section")..];
    for (name, v) in [
        ("MAX_WIDTH", MAX_WIDTH as u64),
        ("MAX_KERNEL", MAX_KERNEL as u64),
        ("MAX_LAYERS", MAX_LAYERS as u64),
        ("MAX_HEADS", MAX_HEADS as u64),
        ("MAX_FRAMES", MAX_FRAMES as u64),
        ("MAX_WAVEFORM_SAMPLES", MAX_WAVEFORM_SAMPLES as u64),
        ("MAX_AUDIO_SECONDS", MAX_AUDIO_SECONDS as u64),
        ("MAX_TOKENS", MAX_TOKENS as u64),
        ("MAX_VOCABULARY", MAX_VOCABULARY as u64),
        ("MAX_EPOCHS", MAX_EPOCHS as u64),
        ("MAX_BATCH", MAX_BATCH as u64),
        ("MAX_FOLDS", MAX_FOLDS as u64),
        ("MAX_FOLD_RUNS", MAX_FOLD_RUNS as u64),
        ("MAX_TREES", MAX_TREES as u64),
        ("MAX_DEPTH", MAX_DEPTH as u64),
        ("MAX_NEIGHBOURS", MAX_NEIGHBOURS as u64),
        ("MAX_SYNTHETIC_TRACKS", MAX_SYNTHETIC_TRACKS as u64),
        ("MAX_SYNTHETIC_HOURS", MAX_SYNTHETIC_HOURS as u64),
    ] {
        assert!(
            table.contains(&with_commas(v)),
            "README's Errors section does not state {name} = {}",
            with_commas(v)
        );
    }
    assert_eq!(with_commas(1_000), "1,000");
    assert_eq!(with_commas(65_536), "65,536");
    assert_eq!(with_commas(100), "100");
}

#[test]
fn sizes_outside_their_limits_name_the_key_the_value_and_the_range() {
    assert!(mer_core::limits::size("k", 5, 1, 10).is_ok());
    let e = mer_core::limits::size("k", 11, 1, 10).unwrap_err();
    assert_eq!(e.to_string(), "k: must lie in 1..=10 (found 11)");
    assert!(mer_core::limits::size("k", 0, 1, 10).is_err());
}

#[test]
fn an_open_quote_is_found_on_its_line_and_closed_ones_are_not() {
    use mer_core::quotes::unterminated_quote;
    let ok =
        b"id,text\nt1,\"rock, \"\"n\"\" roll\"\nt2,\"two\nlines\"\nt3,plain \"quote\" inside\n";
    assert_eq!(unterminated_quote(ok, b',', None), None);
    let open = b"id,audio,valence\nt1,\"a.wav,0.5\nt2,b.wav,0.1\nt3,c.wav,0.3\n";
    assert_eq!(unterminated_quote(open, b',', None), Some(2));
    // A quote in a comment line is not a field.
    assert_eq!(
        unterminated_quote(b"# \"note\nw,1\n", b',', Some(b'#')),
        None
    );
    assert_eq!(
        unterminated_quote(b"#\"note\nw,1\n", b',', Some(b'#')),
        None
    );
    assert_eq!(
        unterminated_quote(b"\"note\nw,1\n", b',', Some(b'#')),
        Some(1)
    );
    // Mid-field, a quote is data (as the csv crate reads it).
    assert_eq!(unterminated_quote(b"# \"note\nw,1\n", b',', None), None);
    // Tab-separated, the quote at a field start after a tab.
    assert_eq!(unterminated_quote(b"a\tb\n1\t\"x\n", b'\t', None), Some(2));
}
