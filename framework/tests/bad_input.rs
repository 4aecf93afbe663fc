//! The bad-input suite: malformed specs, audio files, manifests, lyrics,
//! databases and predict calls, each run through the release binary against
//! a database that already holds recorded trials. Every case must exit with
//! its code, name the file and the cause, never panic, and leave the
//! recorded database byte for byte as it was.

use std::path::{Path, PathBuf};
use std::process::Command;

const MER: &str = env!("CARGO_BIN_EXE_mer");

const RECORDED: &str = r#"
[experiment]
name = "recorded"
[dataset]
kind = "synthetic"
tracks = 40
duration_s = 2.0
[evaluation]
folds = 2
[sweep]
architecture = ["svm"]
labels = ["quadrants"]
"#;

/// A spec around `extra` lines (a valid base; the case breaks it).
fn spec(extra: &str) -> String {
    format!(
        "[experiment]\nname = \"bad\"\n[dataset]\nkind = \"synthetic\"\ntracks = 40\nduration_s = 2.0\n\
         {extra}\n[sweep]\narchitecture = [\"svm\"]\nlabels = [\"quadrants\"]\n"
    )
}

/// A mono WAV: `format` 1 (PCM) or 3 (float), `bits` per sample, raw data.
fn wav(format: u16, bits: u16, data: &[u8], claimed: Option<u32>) -> Vec<u8> {
    let rate = 22050u32;
    let block = bits / 8;
    let size = claimed.unwrap_or(data.len() as u32);
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + size).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&format.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    b.extend_from_slice(&block.to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(data);
    b
}

fn tone_f32(n: usize, bad_at: Option<usize>) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            let v = if Some(i) == bad_at {
                f32::NAN
            } else {
                0.5 * (i as f32 * 0.05).sin()
            };
            v.to_le_bytes()
        })
        .collect()
}

fn tone_i16(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| ((8000.0 * (i as f32 * 0.05).sin()) as i16).to_le_bytes())
        .collect()
}

/// One malformed input: the files it writes, the command, the exit code it
/// must end with, and what its message must name.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    code: i32,
    says: Vec<&'static str>,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &[&'static str],
    code: i32,
    says: &[&'static str],
) -> Case {
    Case {
        name,
        files,
        args: args.to_vec(),
        code,
        says: says.to_vec(),
    }
}

fn cases() -> Vec<Case> {
    let manifest = |body: &str| body.as_bytes().to_vec();
    let mspec = spec("").replace(
        "kind = \"synthetic\"\ntracks = 40\nduration_s = 2.0\n",
        "kind = \"manifest\"\npath = \"m.csv\"\n",
    );
    let mspec: &'static str = Box::leak(mspec.into_boxed_str());
    let s = |extra: &str| spec(extra).into_bytes();
    vec![
        // Specs: exit 2 before anything runs, naming file, key and rule.
        case(
            "unknown architecture",
            vec![(
                "x.toml",
                spec("").replace("\"svm\"", "\"svn\"").into_bytes(),
            )],
            &["sweep", "x.toml"],
            2,
            &["x.toml", "sweep.architecture", "svn"],
        ),
        case(
            "duplicate key",
            vec![("x.toml", s("[model.svm]\nc = 1.0\nc = 2.0"))],
            &["plan", "x.toml"],
            2,
            &["x.toml", "model.svm.c", "duplicate key"],
        ),
        case(
            "impossible size",
            vec![("x.toml", s("artists = 1000000000000"))],
            &["sweep", "x.toml"],
            2,
            &["x.toml", "dataset.artists"],
        ),
        case(
            "negative folds",
            vec![("x.toml", s("[evaluation]\nfolds = -1"))],
            &["sweep", "x.toml"],
            2,
            &["x.toml", "evaluation.folds"],
        ),
        case(
            "repeats that would abort",
            vec![("x.toml", s("[evaluation]\nfolds = 2\nrepeats = 1000000000"))],
            &["plan", "x.toml"],
            2,
            &["x.toml", "evaluation.repeats"],
        ),
        case(
            "exclude value",
            vec![(
                "x.toml",
                format!("{}[[sweep.exclude]]\ntask = \"regresion\"\n", spec("")).into_bytes(),
            )],
            &["plan", "x.toml"],
            2,
            &["x.toml", "sweep.exclude[0].task", "regresion"],
        ),
        case(
            "syntax",
            vec![("x.toml", b"[experiment\nname = \"x\"\n".to_vec())],
            &["plan", "x.toml"],
            2,
            &["x.toml:1"],
        ),
        case(
            "not utf-8",
            vec![("x.toml", b"[experiment]\nname = \"\xff\xfe\"\n".to_vec())],
            &["plan", "x.toml"],
            2,
            &["x.toml:2", "UTF-8"],
        ),
        // Audio: exit 1, naming the file and what is wrong with it.
        case(
            "NaN samples",
            vec![("nan.wav", wav(3, 32, &tone_f32(22050, Some(11025)), None))],
            &["features", "nan.wav"],
            1,
            &["nan.wav", "non-finite", "0.500 s"],
        ),
        case(
            "lying header",
            vec![("liar.wav", wav(1, 16, &tone_i16(22050), Some(0x7fff_fff0)))],
            &["features", "liar.wav"],
            1,
            &["liar.wav", "truncated"],
        ),
        case(
            "64-bit float",
            vec![("double.wav", wav(3, 64, &[0u8; 8 * 4410], None))],
            &["features", "double.wav"],
            1,
            &["double.wav", "64-bit float"],
        ),
        case(
            "empty file",
            vec![("empty.wav", Vec::new())],
            &["features", "empty.wav"],
            1,
            &["empty.wav", "empty"],
        ),
        case(
            "zero-length audio",
            vec![("zero.wav", wav(1, 16, &[], None))],
            &["features", "zero.wav"],
            1,
            &["zero.wav", "no audio frames"],
        ),
        case(
            "not audio",
            vec![("notes.wav", b"these are not samples".to_vec())],
            &["features", "notes.wav"],
            1,
            &["notes.wav", "not a recognised audio file"],
        ),
        // Bundles: a missing one, and a file that is not one.
        case(
            "missing bundle",
            vec![],
            &["report", "gone.mer.tar.zst"],
            1,
            &["gone.mer.tar.zst: no such bundle"],
        ),
        case(
            "spec passed as a bundle",
            vec![("x.toml", s(""))],
            &["reproduce", "x.toml"],
            1,
            &["x.toml: damaged bundle", "cannot read the first member"],
        ),
        case(
            "bundle of random bytes",
            vec![("r.mer.tar.zst", vec![0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5])],
            &["report", "r.mer.tar.zst"],
            1,
            &["r.mer.tar.zst: damaged bundle"],
        ),
        // Manifests and lyrics: exit 1, naming the CSV (and line) or the file.
        case(
            "unclosed quote",
            vec![
                ("m.toml", mspec.as_bytes().to_vec()),
                (
                    "m.csv",
                    manifest(
                        "id,valence,arousal,lyrics_text\na,0.5,0.5,\"open\nb,0.1,0.1,x\nc,0.2,0.2,y\n",
                    ),
                ),
            ],
            &["data", "check", "m.toml"],
            1,
            &["m.csv:2", "never closed"],
        ),
        case(
            "row with a field too many",
            vec![
                ("m.toml", mspec.as_bytes().to_vec()),
                (
                    "m.csv",
                    manifest("id,valence,arousal,artist\na,0.5,0.5,x\nb,0.1,0.1,Crosby, Stills\n"),
                ),
            ],
            &["data", "check", "m.toml"],
            1,
            &["m.csv:3", "5 fields but the header has 4"],
        ),
        case(
            "manifest in Latin-1",
            vec![
                ("m.toml", mspec.as_bytes().to_vec()),
                ("m.csv", {
                    let mut m = manifest("id,valence,arousal,artist\na,0.5,0.5,x\n");
                    m.extend_from_slice(b"b,0.1,0.1,Bj\xf6rk\n");
                    m
                }),
            ],
            &["data", "check", "m.toml"],
            1,
            &["m.csv:3", "not valid UTF-8"],
        ),
        case(
            "V/A labels on a manifest without V/A",
            vec![
                (
                    "m.toml",
                    mspec.replace("\"quadrants\"", "\"grid4\"").into_bytes(),
                ),
                ("m.csv", manifest("id,audio,category\na,a.wav,happy\n")),
            ],
            &["plan", "m.toml"],
            2,
            &[
                "m.toml",
                "grid4",
                "valence/arousal",
                "m.csv has the columns `id`, `audio`, `category`",
            ],
        ),
        case(
            "header-only manifest",
            vec![
                ("m.toml", mspec.as_bytes().to_vec()),
                ("m.csv", manifest("id,valence,arousal\n")),
            ],
            &["data", "check", "m.toml"],
            1,
            &["m.csv", "no tracks"],
        ),
        case(
            "binary lyrics",
            vec![
                ("m.toml", mspec.as_bytes().to_vec()),
                (
                    "m.csv",
                    manifest("id,valence,arousal,lyrics\na,0.5,0.5,song.txt\n"),
                ),
                ("song.txt", b"PK\x03\x04\x00\x00binary".to_vec()),
            ],
            &["data", "check", "m.toml"],
            1,
            &["song.txt", "not a text file"],
        ),
        // Databases: refused, untouched.
        case(
            "foreign database",
            vec![(
                "foreign.db",
                b"SQLite format 3\x00"
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0u8, 4080))
                    .collect(),
            )],
            &["runs", "--db", "foreign.db"],
            1,
            &["foreign.db"],
        ),
        case(
            "not a database",
            vec![("garbage.db", b"not sqlite at all".to_vec())],
            &["report", "recorded", "--db", "garbage.db"],
            1,
            &["garbage.db"],
        ),
        // Predict: a trial that does not exist, a file that is not audio.
        case(
            "unknown trial",
            vec![("ok.wav", wav(1, 16, &tone_i16(22050), None))],
            &["predict", "--trial", "999", "ok.wav"],
            1,
            &["999"],
        ),
        case(
            "predict on bad audio",
            vec![("nan.wav", wav(3, 32, &tone_f32(22050, Some(5)), None))],
            &["predict", "--trial", "1", "nan.wav"],
            1,
            &["nan.wav", "non-finite"],
        ),
    ]
}

fn mer(dir: &Path, db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(MER)
        .current_dir(dir)
        .env("MER_DB", db)
        .env(
            "MER_CACHE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("mer-cli-cache"),
        )
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_bad_input_is_refused_by_name_without_panic_and_leaves_the_database_intact() {
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("results.db");
    std::fs::write(dir.path().join("recorded.toml"), RECORDED).unwrap();
    let o = mer(dir.path(), &db, &["sweep", "recorded.toml", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let recorded = std::fs::read(&db).unwrap();
    for c in cases() {
        let scratch = tempfile::tempdir().unwrap();
        for (name, bytes) in &c.files {
            std::fs::write(scratch.path().join(name), bytes).unwrap();
        }
        let o = mer(scratch.path(), &db, &c.args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let shown = format!(
            "{}: {:?} exited {:?}\nstdout: {}\nstderr: {stderr}",
            c.name,
            c.args,
            o.status.code(),
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(!stderr.contains("panicked"), "{shown}");
        assert_eq!(o.status.code(), Some(c.code), "{shown}");
        for s in &c.says {
            assert!(stderr.contains(s), "`{s}` missing: {shown}");
        }
        for (name, bytes) in &c.files {
            if name.ends_with(".db") {
                let after = std::fs::read(scratch.path().join(name)).unwrap();
                assert_eq!(&after, bytes, "{}: {name} was changed", c.name);
            }
        }
        assert_eq!(
            std::fs::read(&db).unwrap(),
            recorded,
            "{}: the recorded database changed",
            c.name
        );
    }
}
