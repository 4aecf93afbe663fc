//! Replication bundles: written on one machine (here: one folder), checked
//! and reproduced on another from the bundle alone; tampered data, tampered
//! results and hostile archives.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::common::{Scratch, text};

const SPEC: &str = r#"
[experiment]
name = "paper"
seeds = [0, 1]

[dataset]
kind = "synthetic"
tracks = 40
duration_s = 2.0

[evaluation]
folds = 3

[train]
epochs = 3

[sweep]
modality = ["audio", "fusion"]
architecture = ["svm", "residual_mlp"]
labels = ["quadrants"]
"#;

/// One archive member: path, bytes, and whether it is a symbolic link.
struct Member {
    path: String,
    bytes: Vec<u8>,
    link: Option<String>,
}

fn read_members(bundle: &Path) -> Vec<Member> {
    let dec = zstd::stream::Decoder::new(std::fs::File::open(bundle).unwrap()).unwrap();
    let mut a = tar::Archive::new(dec);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = String::from_utf8(e.path_bytes().to_vec()).unwrap();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            Member {
                path,
                bytes,
                link: None,
            }
        })
        .collect()
}

/// Writes members as a bundle, byte for byte as given (no manifest update).
fn write_members(members: &[Member], out: &Path) {
    let enc = zstd::stream::Encoder::new(std::fs::File::create(out).unwrap(), 3).unwrap();
    let mut tar = tar::Builder::new(enc);
    for m in members {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match &m.link {
            Some(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                tar.append_link(&mut h, &m.path, target).unwrap();
            }
            None => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(m.bytes.len() as u64);
                // Raw name bytes, so that hostile paths (`../x`) go in as is.
                let name = m.path.as_bytes();
                h.as_old_mut().name[..name.len()].copy_from_slice(name);
                h.set_cksum();
                tar.append(&h, m.bytes.as_slice()).unwrap();
            }
        }
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

/// Re-records a member's size and blake3 in `bundle.json`, as a careful
/// tamperer would.
fn fix_manifest(members: &mut [Member]) {
    let hashes: Vec<(String, u64, String)> = members[1..]
        .iter()
        .map(|m| {
            (
                m.path.clone(),
                m.bytes.len() as u64,
                blake3::hash(&m.bytes).to_hex().to_string(),
            )
        })
        .collect();
    let mut manifest: serde_json::Value = serde_json::from_slice(&members[0].bytes).unwrap();
    for f in manifest["files"].as_array_mut().unwrap() {
        let (_, size, hash) = hashes.iter().find(|(p, _, _)| f["path"] == *p).unwrap();
        f["size"] = (*size).into();
        f["blake3"] = hash.clone().into();
    }
    members[0].bytes = serde_json::to_vec_pretty(&manifest).unwrap();
}

/// A swept, reported and bundled experiment in a scratch folder.
fn bundled(s: &Scratch, extra: &[&str]) -> PathBuf {
    let spec = s.write("paper.toml", SPEC);
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--report", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let mut args = vec!["bundle", "paper", "--quiet"];
    args.extend_from_slice(extra);
    let o = s.run(&args);
    assert!(o.status.success(), "{}", text(&o));
    s.path().join("paper.mer.tar.zst")
}

/// Another machine: a fresh folder with nothing but the bundle, and its own
/// (empty) database and cache settings.
fn elsewhere(bundle: &Path) -> Scratch {
    let t = Scratch::new();
    std::fs::copy(bundle, t.path().join("paper.mer.tar.zst")).unwrap();
    t
}

#[test]
fn a_bundle_reproduces_elsewhere_from_itself_alone_and_reports_the_same_tables() {
    let s = Scratch::new();
    let bundle = bundled(&s, &[]);
    let members = read_members(&bundle);
    let names: Vec<&str> = members.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(names[0], "bundle.json");
    for want in ["README.md", "Cargo.lock", "results.db", "specs/paper.toml"] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(names.iter().any(|n| n.starts_with("results.artifacts/")));
    assert!(names.iter().any(|n| n.starts_with("data/0/audio/")));
    let lock = &members
        .iter()
        .find(|m| m.path == "Cargo.lock")
        .unwrap()
        .bytes;
    assert_eq!(
        lock,
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock")).unwrap()
    );

    let t = elsewhere(&bundle);
    // The tables regenerate from the bundle without re-running anything,
    // byte for byte as on the first machine.
    let o = t.run(&["report", "paper.mer.tar.zst", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    for f in ["results.md", "results.csv", "results.tex"] {
        assert_eq!(
            std::fs::read(t.path().join("reports/paper").join(f)).unwrap(),
            std::fs::read(s.path().join("reports/paper").join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(!t.db().exists(), "report of a bundle created a database");

    let o = t.run(&["reproduce", "paper.mer.tar.zst", "--jobs", "2", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("every file matches the bundle"), "{out}");
    assert!(out.contains("8 trial(s) re-run: 8 identical"), "{out}");
    let csv = std::fs::read_to_string(t.path().join("reports/paper/reproduction.csv")).unwrap();
    assert_eq!(csv.lines().count(), 9, "{csv}");
    assert!(
        csv.lines().skip(1).all(|l| l.contains(",identical,")),
        "{csv}"
    );
    // The first machine's database was not touched; the re-runs live in the
    // unpacked one.
    assert!(t.path().join("paper.reproduction/results.db").is_file());
}

/// Data supplied by the reader (a bundle without it) is checked file by
/// file: every missing or changed file is named and the run refused, unless
/// asked; a copy that matches reproduces.
#[test]
fn data_outside_the_bundle_is_checked_file_by_file_before_anything_runs() {
    let s = Scratch::new();
    // A manifest dataset: the synthetic benchmark's files, copied.
    let generated = s.write(
        "gen.toml",
        &SPEC.replace("name = \"paper\"", "name = \"gen\""),
    );
    let o = s.run(&["data", "check", generated.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let synthetic = std::fs::read_dir(s.shared_cache().join("synthetic"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p.join("config.json"))
                .is_ok_and(|c| c.contains("\"tracks\":40") || c.contains("\"tracks\": 40"))
        })
        .expect("the generated dataset");
    copy_dir(&synthetic, &s.path().join("data"));
    let spec = SPEC
        .replace(
            "kind = \"synthetic\"\ntracks = 40\nduration_s = 2.0",
            "kind = \"manifest\"\npath = \"data/metadata.csv\"",
        )
        .replace("[\"audio\", \"fusion\"]", "[\"audio\"]");
    let spec = s.write("paper.toml", &spec);
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = s.run(&["bundle", "paper", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let bundle = s.path().join("paper.mer.tar.zst");
    assert!(
        !read_members(&bundle)
            .iter()
            .any(|m| m.path.starts_with("data/")),
        "data bundled without --with-data"
    );

    // The reader's copy, elsewhere, with one audio file altered and one
    // lyrics file gone.
    let t = elsewhere(&bundle);
    let copy = t.path().join("their-data");
    copy_dir(&s.path().join("data"), &copy);
    let audio = first_file(&copy.join("audio"));
    let mut bytes = std::fs::read(&audio).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b = b.wrapping_add(1);
    }
    std::fs::write(&audio, &bytes).unwrap();
    let lyrics = first_file(&copy.join("lyrics"));
    let saved_lyrics = std::fs::read(&lyrics).unwrap();
    std::fs::remove_file(&lyrics).unwrap();
    let data_root = copy.to_str().unwrap();
    let o = t.run(&[
        "reproduce",
        "paper.mer.tar.zst",
        "--data-root",
        data_root,
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let all = text(&o);
    let rel = |p: &Path| p.strip_prefix(&copy).unwrap().to_str().unwrap().to_string();
    assert!(
        all.contains(&format!(
            "{}: changed (same size, different content)",
            rel(&audio)
        )),
        "{all}"
    );
    assert!(all.contains(&format!("{}: missing", rel(&lyrics))), "{all}");
    assert!(all.contains("refusing to re-run"), "{all}");
    assert!(
        !t.path().join("reports").exists(),
        "a refused run wrote a report"
    );

    // Asked to, it re-runs on the changed data, and the results say so.
    std::fs::write(&lyrics, saved_lyrics).unwrap();
    let o = t.run(&[
        "reproduce",
        "paper.mer.tar.zst",
        "--data-root",
        data_root,
        "--allow-changed-data",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("differing"),
        "{}",
        text(&o)
    );

    // The unaltered copy reproduces every trial (a fresh work folder).
    std::fs::write(
        &audio,
        std::fs::read(
            s.path()
                .join("data")
                .join(audio.strip_prefix(&copy).unwrap()),
        )
        .unwrap(),
    )
    .unwrap();
    let o = t.run(&[
        "reproduce",
        "paper.mer.tar.zst",
        "--data-root",
        data_root,
        "--workdir",
        "again",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("4 trial(s) re-run: 4 identical"),
        "{}",
        text(&o)
    );
}

/// Results changed inside a bundle (with its manifest made consistent)
/// unpack, but do not reproduce: the reproduction names the trial.
#[test]
fn tampered_results_in_a_bundle_do_not_reproduce() {
    let s = Scratch::new();
    let bundle = bundled(&s, &[]);
    let mut members = read_members(&bundle);
    // Change one recorded metric in the bundled database.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("results.db");
    let i = members.iter().position(|m| m.path == "results.db").unwrap();
    std::fs::write(&db, &members[i].bytes).unwrap();
    let store = mer_store::Store::open(&db).unwrap();
    let victim = store.report_trials("paper").unwrap()[0].id;
    store
        .execute_raw_for_tests("DROP TRIGGER trial_metrics_frozen_update")
        .unwrap();
    let n = store
        .execute_raw_for_tests(&format!(
            "UPDATE trial_metrics SET value = value + 0.01 WHERE trial_id = {victim} AND split = 'test' AND epoch IS NULL"
        ))
        .unwrap();
    assert!(n > 0);
    drop(store);
    let export = dir.path().join("clean.db");
    mer_store::Store::open(&db)
        .unwrap()
        .export_experiment("paper", &export)
        .unwrap();
    members[i].bytes = std::fs::read(&export).unwrap();
    fix_manifest(&mut members);
    let tampered = s.path().join("tampered.mer.tar.zst");
    write_members(&members, &tampered);

    let t = Scratch::new();
    std::fs::copy(&tampered, t.path().join("tampered.mer.tar.zst")).unwrap();
    let o = t.run(&["reproduce", "tampered.mer.tar.zst", "--quiet"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let csv = std::fs::read_to_string(t.path().join("reports/paper/reproduction.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with(&format!("{victim},")))
        .unwrap();
    assert!(row.contains(",differs,"), "{row}");
}

/// Hostile and damaged archives are refused with what is wrong, and nothing
/// is written outside the folder they unpack into.
#[test]
fn hostile_and_damaged_bundles_are_refused_by_name() {
    let s = Scratch::new();
    let bundle = bundled(&s, &[]);
    let good = read_members(&bundle);
    let t = Scratch::new();
    let cases: Vec<(&str, Build, &str)> = vec![
        (
            "escaping path",
            Box::new(|| {
                let mut m = clone(&good);
                m[1].path = "../escaped.txt".into();
                let p = m[1].path.clone();
                rename_in_manifest(&mut m, 1, &p);
                m
            }),
            "member `../escaped.txt`",
        ),
        (
            "absolute path",
            Box::new(|| {
                let mut m = clone(&good);
                m[1].path = "/tmp/mer-absolute-escape.txt".into();
                let p = m[1].path.clone();
                rename_in_manifest(&mut m, 1, &p);
                m
            }),
            "member `/tmp/mer-absolute-escape.txt`",
        ),
        (
            "symbolic link",
            Box::new(|| {
                let mut m = clone(&good);
                m.push(Member {
                    path: "link".into(),
                    bytes: Vec::new(),
                    link: Some("/etc/passwd".into()),
                });
                m
            }),
            "member `link` is a Symlink",
        ),
        (
            "unlisted member",
            Box::new(|| {
                let mut m = clone(&good);
                m.push(Member {
                    path: "extra.sh".into(),
                    bytes: b"rm -rf /".to_vec(),
                    link: None,
                });
                m
            }),
            "member `extra.sh` is not listed",
        ),
        (
            "changed content",
            Box::new(|| {
                let mut m = clone(&good);
                let i = m.iter().position(|x| x.path == "README.md").unwrap();
                m[i].bytes[0] ^= 1;
                m
            }),
            "member `README.md`: its content does not match",
        ),
        (
            "missing member",
            Box::new(|| {
                let mut m = clone(&good);
                let i = m.iter().position(|x| x.path == "Cargo.lock").unwrap();
                m.remove(i);
                m
            }),
            "missing (the bundle is truncated?), first `Cargo.lock`",
        ),
        (
            "size bomb",
            Box::new(|| {
                let mut m = clone(&good);
                let mut manifest: serde_json::Value = serde_json::from_slice(&m[0].bytes).unwrap();
                manifest["files"][0]["size"] = (1u64 << 50).into();
                m[0].bytes = serde_json::to_vec(&manifest).unwrap();
                m
            }),
            "more than the limit",
        ),
        (
            "not a bundle",
            Box::new(|| {
                vec![Member {
                    path: "results.db".into(),
                    bytes: b"x".to_vec(),
                    link: None,
                }]
            }),
            "not a mer bundle",
        ),
    ];
    for (name, build, want) in &cases {
        let file = t.path().join("case.mer.tar.zst");
        write_members(&build(), &file);
        let work = t.path().join(format!("work-{}", name.replace(' ', "-")));
        let o = t.run(&[
            "reproduce",
            "case.mer.tar.zst",
            "--workdir",
            work.to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", text(&o));
        let all = text(&o);
        assert!(
            all.contains("case.mer.tar.zst") && all.contains(want),
            "{name}: {all}"
        );
        assert!(!all.contains("panicked"), "{name}: {all}");
        assert!(!t.path().join("escaped.txt").exists(), "{name}");
        assert!(
            !Path::new("/tmp/mer-absolute-escape.txt").exists(),
            "{name}"
        );
        assert!(!work.exists(), "{name}: a refused bundle left files behind");
    }
    // Truncated on disk: a damaged bundle, named.
    let bytes = std::fs::read(&bundle).unwrap();
    std::fs::write(t.path().join("cut.mer.tar.zst"), &bytes[..bytes.len() / 2]).unwrap();
    let o = t.run(&["reproduce", "cut.mer.tar.zst", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("cut.mer.tar.zst: damaged bundle"),
        "{}",
        text(&o)
    );
    // Random bytes.
    std::fs::write(t.path().join("noise.mer.tar.zst"), [7u8; 999]).unwrap();
    let o = t.run(&["reproduce", "noise.mer.tar.zst", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("noise.mer.tar.zst: damaged bundle"),
        "{}",
        text(&o)
    );
}

/// Builds one hostile archive's members.
type Build<'a> = Box<dyn Fn() -> Vec<Member> + 'a>;

fn clone(m: &[Member]) -> Vec<Member> {
    m.iter()
        .map(|x| Member {
            path: x.path.clone(),
            bytes: x.bytes.clone(),
            link: x.link.clone(),
        })
        .collect()
}

/// Renames member `i` in the manifest too, so only the path is hostile.
fn rename_in_manifest(m: &mut [Member], i: usize, to: &str) {
    let mut manifest: serde_json::Value = serde_json::from_slice(&m[0].bytes).unwrap();
    let size = m[i].bytes.len() as u64;
    let hash = blake3::hash(&m[i].bytes).to_hex().to_string();
    for f in manifest["files"].as_array_mut().unwrap() {
        if f["size"] == size && f["blake3"] == hash {
            f["path"] = to.into();
        }
    }
    m[0].bytes = serde_json::to_vec(&manifest).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn first_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.remove(0)
}

/// A lexicon the trials read travels in the bundle (it is part of their
/// keys): reproduced elsewhere without the original file.
#[test]
fn a_lexicon_travels_in_the_bundle() {
    let s = Scratch::new();
    s.write(
        "lex.csv",
        "word,valence,arousal\nlove,0.8,0.6\nfind,0.1,0.2\nwindow,-0.3,0.4\nhome,0.5,-0.2\ntime,0.0,0.1\n",
    );
    let spec = SPEC
        .replace("[\"audio\", \"fusion\"]", "[\"text\"]")
        .replace("[\"svm\", \"residual_mlp\"]", "[\"svm\"]")
        .replace(
            "[train]",
            "[features.text]\nrepresentation = \"lexicon\"\n[features.text.lexicon]\npath = \"lex.csv\"\n\n[train]",
        );
    let spec = s.write("paper.toml", &spec);
    let o = s.run(&["sweep", spec.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = s.run(&["bundle", "paper", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    let bundle = s.path().join("paper.mer.tar.zst");
    let members = read_members(&bundle);
    let lex = members
        .iter()
        .find(|m| m.path.starts_with("inputs/") && m.path.ends_with("lex.csv"))
        .expect("the lexicon is bundled");
    assert_eq!(lex.bytes, std::fs::read(s.path().join("lex.csv")).unwrap());

    let t = elsewhere(&bundle);
    assert!(!t.path().join("lex.csv").exists());
    let o = t.run(&["reproduce", "paper.mer.tar.zst", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("2 trial(s) re-run: 2 identical"),
        "{}",
        text(&o)
    );
}
