//! The generic manifest importer: columns by name, scale mapping, the
//! `on_error` policy for bad rows, missing files and duplicate ids, the
//! fingerprint, and serde errors of the `[dataset]` section.

use std::path::Path;

use mer_data::{self as data, DatasetConfig, LoadContext, ManifestConfig, OnError, ProblemKind};

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn cfg(path: &Path, on_error: OnError) -> DatasetConfig {
    DatasetConfig::Manifest(ManifestConfig {
        path: path.to_path_buf(),
        on_error,
        ..Default::default()
    })
}

fn ctx(dir: &Path) -> LoadContext {
    LoadContext {
        cache_dir: dir.join("cache"),
    }
}

#[test]
fn reads_columns_by_name_and_keeps_originals() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "audio/a.wav", "RIFF-ish bytes");
    write(d.path(), "lyrics/a.txt", "la la love");
    write(
        d.path(),
        "m.csv",
        " ID , Arousal,valence ,audio,lyrics,lyrics_text, label ,artist,split,tags,extra\n\
         b,-0.5,0.25,,,inline words,sad,x,test, sad ;happy,42\n\
         a,0.5,-0.25,audio/a.wav,lyrics/a.txt,,happy,y,train,,\n",
    );
    let ds = data::load(&cfg(&d.path().join("m.csv"), OnError::Fail), &ctx(d.path())).unwrap();
    assert_eq!(ds.tracks.len(), 2);
    let a = &ds.tracks[0];
    assert_eq!(a.id, "a", "sorted by id");
    assert_eq!((a.valence, a.arousal), (Some(-0.25), Some(0.5)));
    assert_eq!(
        a.audio.as_deref(),
        Some(d.path().join("audio/a.wav").as_path())
    );
    assert!(a.audio.as_ref().unwrap().is_absolute());
    assert_eq!(a.lyrics.as_deref(), Some("la la love"));
    assert_eq!(a.category.as_deref(), Some("happy"));
    let b = &ds.tracks[1];
    assert_eq!(b.lyrics.as_deref(), Some("inline words"));
    assert_eq!(b.tags, vec!["happy".to_string(), "sad".to_string()]);
    assert_eq!(b.original.get("extra").map(String::as_str), Some("42"));
    assert_eq!(b.original.get("valence").map(String::as_str), Some("0.25"));
    assert!(ds.report.is_empty());
    let summary =
        data::check(&cfg(&d.path().join("m.csv"), OnError::Fail), &ctx(d.path())).unwrap();
    let text = summary.to_string();
    assert!(
        text.contains("tracks      2") && text.contains("happy 1, sad 1"),
        "{text}"
    );
}

#[test]
fn va_range_maps_onto_the_common_scale_and_rejects_values_outside() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m.csv", "id,valence,arousal\nx,9,1\ny,5,7\n");
    let mut c = ManifestConfig {
        path: d.path().join("m.csv"),
        va_range: [1.0, 9.0],
        ..Default::default()
    };
    let ds = data::load(&DatasetConfig::Manifest(c.clone()), &ctx(d.path())).unwrap();
    assert_eq!(
        (ds.tracks[0].valence, ds.tracks[0].arousal),
        (Some(1.0), Some(-1.0))
    );
    assert_eq!(
        (ds.tracks[1].valence, ds.tracks[1].arousal),
        (Some(0.0), Some(0.5))
    );
    c.va_range = [0.0, 1.0];
    let e = data::load(&DatasetConfig::Manifest(c), &ctx(d.path()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("m.csv:2") && e.contains("outside the dataset's documented scale [0, 1]"),
        "{e}"
    );
}

#[test]
fn bad_rows_fail_with_file_and_row_or_are_reported_under_skip() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.wav", "x");
    write(
        d.path(),
        "m.csv",
        "id,valence,arousal,audio,lyrics\n\
         a,0.1,0.2,a.wav,\n\
         b,high,0.2,,\n\
         c,0.1,0.2,missing.wav,\n\
         a,0.3,0.3,,\n\
         d,0.1,0.1,,gone.txt\n\
         ,0.1,0.1,,\n",
    );
    let m = d.path().join("m.csv");
    let e = data::load(&cfg(&m, OnError::Fail), &ctx(d.path()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("m.csv:3") && e.contains("`high` is not a number"),
        "{e}"
    );

    let ds = data::load(&cfg(&m, OnError::Skip), &ctx(d.path())).unwrap();
    let ids: Vec<&str> = ds.tracks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, vec!["a", "c", "d"]);
    assert!(
        ds.tracks[1].audio.is_none(),
        "kept without the missing audio"
    );
    assert!(
        ds.tracks[2].lyrics.is_none(),
        "kept without the missing lyrics"
    );
    assert_eq!(
        ds.tracks[0].valence,
        Some(0.1),
        "the first of a duplicate id is kept"
    );
    let r = &ds.report;
    assert_eq!(r.count(ProblemKind::SkippedRow), 2);
    assert_eq!(r.count(ProblemKind::DuplicateId), 1);
    assert_eq!(r.count(ProblemKind::MissingAudio), 1);
    assert_eq!(r.count(ProblemKind::MissingLyrics), 1);
    let dup = r
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::DuplicateId)
        .unwrap();
    assert_eq!(dup.row, Some(5));
    assert!(
        dup.to_string()
            .contains("m.csv:5: duplicate id (track `a`)"),
        "{dup}"
    );

    // Under fail, a duplicate alone is an error naming both rows.
    write(d.path(), "dup.csv", "id,valence\nq,0\nq,0.5\n");
    let e = data::load(
        &cfg(&d.path().join("dup.csv"), OnError::Fail),
        &ctx(d.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("dup.csv:3: duplicate track id `q`") && e.contains("dup.csv:2"),
        "{e}"
    );
    // And a missing file names the row and the path.
    write(d.path(), "miss.csv", "id,audio\nz,nope.wav\n");
    let e = data::load(
        &cfg(&d.path().join("miss.csv"), OnError::Fail),
        &ctx(d.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("miss.csv:2") && e.contains("nope.wav does not exist"),
        "{e}"
    );
    // A missing required column lists the ones found.
    write(d.path(), "noid.csv", "name,valence\nz,0\n");
    let e = data::load(
        &cfg(&d.path().join("noid.csv"), OnError::Fail),
        &ctx(d.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("missing required column `id`") && e.contains("name, valence"),
        "{e}"
    );
}

#[test]
fn fingerprint_follows_content_not_location() {
    let d = tempfile::tempdir().unwrap();
    for dir in ["one", "two"] {
        write(d.path(), &format!("{dir}/a.wav"), "bytes");
        write(
            d.path(),
            &format!("{dir}/m.csv"),
            "id,valence,audio\na,0.5,a.wav\n",
        );
    }
    let one = data::load(
        &cfg(&d.path().join("one/m.csv"), OnError::Fail),
        &ctx(d.path()),
    )
    .unwrap();
    let two = data::load(
        &cfg(&d.path().join("two/m.csv"), OnError::Fail),
        &ctx(d.path()),
    )
    .unwrap();
    assert_eq!(one.fingerprint, two.fingerprint);
    write(d.path(), "two/a.wav", "other bytes");
    let two = data::load(
        &cfg(&d.path().join("two/m.csv"), OnError::Fail),
        &ctx(d.path()),
    )
    .unwrap();
    assert_ne!(one.fingerprint, two.fingerprint);
}

#[test]
fn dataset_config_parses_from_toml_with_clear_errors() {
    let c: DatasetConfig =
        toml::from_str("kind = \"manifest\"\npath = \"m.csv\"\non_error = \"skip\"\n").unwrap();
    let DatasetConfig::Manifest(m) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(m.on_error, OnError::Skip);
    let mut c2 = c.clone();
    c2.resolve_paths(Path::new("/base"));
    let DatasetConfig::Manifest(m2) = &c2 else {
        unreachable!()
    };
    assert_eq!(m2.path, Path::new("/base/m.csv"));

    let s: DatasetConfig = toml::from_str("kind = \"synthetic\"\ntracks = 50\n").unwrap();
    let DatasetConfig::Synthetic(syn) = &s else {
        panic!()
    };
    assert_eq!(
        (syn.tracks, syn.duration_s, syn.sample_rate),
        (50, 10.0, 22050)
    );
    let q: DatasetConfig = toml::from_str("kind = \"4q\"\nroot = \"x\"\n").unwrap();
    assert_eq!(q.kind_name(), "four_q");

    let e = toml::from_str::<DatasetConfig>("kind = \"synthetic\"\ntrack = 50\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `track`"), "{e}");
    let e = toml::from_str::<DatasetConfig>("kind = \"deam2\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown variant `deam2`") && e.contains("deam"),
        "{e}"
    );
    let e = toml::from_str::<DatasetConfig>(
        "kind = \"manifest\"\npath = \"m\"\non_error = \"ignore\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("unknown variant `ignore`") && e.contains("skip"),
        "{e}"
    );
    // Canonical serialisation round-trips.
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<DatasetConfig>(&json).unwrap(), s);
}

/// `DatasetConfig::from_table` (the spec's reader) agrees with the derived
/// `Deserialize` on every kind, and names the exact key of a problem where
/// the derive can only name the table.
#[test]
fn dataset_tables_read_like_the_derive_and_name_the_key() {
    for kind in DatasetConfig::KINDS {
        let text = match kind {
            "synthetic" => "kind = \"synthetic\"\ntracks = 40\n".to_string(),
            "manifest" => "kind = \"manifest\"\npath = \"m.csv\"\n".to_string(),
            k => format!("kind = \"{k}\"\nroot = \"/data/{k}\"\n"),
        };
        let table: toml::Table = toml::from_str(&text).unwrap();
        let derived: DatasetConfig = toml::from_str(&text).unwrap();
        assert_eq!(
            DatasetConfig::from_table(&table).unwrap(),
            derived,
            "{kind}"
        );
        assert_eq!(derived.kind_name(), kind);
    }
    let table = |text: &str| toml::from_str::<toml::Table>(text).unwrap();
    let key = |text: &str| {
        DatasetConfig::from_table(&table(text))
            .unwrap_err()
            .key()
            .to_string()
    };
    assert_eq!(key("kind = \"synthetic\"\ntrack = 50\n"), "track");
    assert_eq!(key("kind = \"synthetic\"\ntracks = \"many\"\n"), "tracks");
    assert_eq!(
        key("kind = \"manifest\"\npath = \"m\"\non_error = \"ignore\"\n"),
        "on_error"
    );
    assert_eq!(key("kind = \"deam2\"\n"), "kind");
    assert_eq!(key("root = \"x\"\n"), "kind");
    let e = DatasetConfig::from_table(&table("kind = \"deam2\"\n")).unwrap_err();
    assert!(
        e.rule().contains("\"deam2\"") && e.rule().contains("mtg_jamendo"),
        "{e}"
    );
}

/// One unclosed quote would read the rest of the file as one field: eight
/// tracks became two. The file is refused, naming the line of the quote.
#[test]
fn an_unclosed_quote_is_an_error_naming_its_line_not_swallowed_rows() {
    let d = tempfile::tempdir().unwrap();
    let mut text = String::from("id,valence,arousal,lyrics_text\n");
    for i in 0..8 {
        let quote = if i == 1 { "\"" } else { "" };
        text.push_str(&format!("t{i},0.5,0.5,{quote}words {i}\n"));
    }
    write(d.path(), "m.csv", &text);
    for policy in [OnError::Fail, OnError::Skip] {
        let err = data::load(&cfg(&d.path().join("m.csv"), policy), &ctx(d.path())).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, data::DataError::UnclosedQuote { line: 3, .. }),
            "{msg}"
        );
        assert!(msg.contains("m.csv:3"), "{msg}");
    }
}

/// A row with a field too many (an unquoted comma inside a title) or too
/// few would shift or blank its columns: it is a bad row naming its line
/// (an error under `fail`, left out and listed under `skip`). Empty cells
/// past the header, a spreadsheet's habit, carry nothing and are accepted.
#[test]
fn a_row_with_the_wrong_number_of_fields_is_a_bad_row_naming_its_line() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "m.csv",
        "id,valence,arousal,artist\n\
         a,0.1,0.2,x\n\
         b,0.1,0.2,Crosby, Stills\n\
         c,0.1,0.2\n\
         d,0.3,0.4,y,,\n",
    );
    let path = d.path().join("m.csv");
    let err = data::load(&cfg(&path, OnError::Fail), &ctx(d.path())).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, data::DataError::Row { row: 3, .. }), "{msg}");
    assert!(
        msg.contains("m.csv:3") && msg.contains("5 fields but the header has 4"),
        "{msg}"
    );
    assert!(msg.contains("double quotes"), "{msg}");

    let ds = data::load(&cfg(&path, OnError::Skip), &ctx(d.path())).unwrap();
    let ids: Vec<&str> = ds.tracks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["a", "d"]);
    let lines: Vec<Option<u64>> = ds.report.problems.iter().map(|p| p.row).collect();
    assert_eq!(lines, [Some(3), Some(4)]);
    assert!(
        ds.report.problems[1]
            .message
            .contains("3 fields but the header has 4"),
        "{}",
        ds.report.problems[1].message
    );
    assert_eq!(ds.tracks[1].artist.as_deref(), Some("y"));
}

/// A manifest in a legacy 8-bit encoding is refused with its line, not read
/// with replacement characters in its ids; UTF-16 with a byte-order mark (a
/// spreadsheet's "Unicode text") is read.
#[test]
fn a_manifest_that_is_not_utf8_is_an_error_naming_its_line() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("m.csv");
    std::fs::write(
        &path,
        b"id,valence,arousal,artist\na,0.1,0.2,x\nb,0.1,0.2,Bj\xf6rk\n",
    )
    .unwrap();
    for policy in [OnError::Fail, OnError::Skip] {
        let msg = data::load(&cfg(&path, policy), &ctx(d.path()))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("m.csv:3") && msg.contains("not valid UTF-8"),
            "{msg}"
        );
    }
    let text = "id,valence,arousal,artist\na,0.1,0.2,Bj\u{f6}rk\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&path, utf16).unwrap();
    let ds = data::load(&cfg(&path, OnError::Fail), &ctx(d.path())).unwrap();
    assert_eq!(ds.tracks[0].artist.as_deref(), Some("Bj\u{f6}rk"));
}

#[test]
fn a_header_only_manifest_names_the_csv_not_its_folder() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m.csv", "id,valence,arousal\n");
    let err = data::load(&cfg(&d.path().join("m.csv"), OnError::Fail), &ctx(d.path())).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("m.csv") && msg.contains("no tracks"), "{msg}");
}

/// A lyrics file that is binary (or not valid UTF-8) is an error naming it,
/// never garbled lyrics.
#[test]
fn a_binary_lyrics_file_is_an_error_naming_it_not_lyrics() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("song.txt"),
        b"PK\x03\x04\x00\x00\x00\x08binary",
    )
    .unwrap();
    write(
        d.path(),
        "m.csv",
        "id,valence,arousal,lyrics\na,0.5,0.5,song.txt\n",
    );
    let err = data::load(&cfg(&d.path().join("m.csv"), OnError::Fail), &ctx(d.path())).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("song.txt") && msg.contains("not a text file"),
        "{msg}"
    );
}

#[test]
fn under_skip_a_binary_lyrics_file_keeps_the_track_without_lyrics_and_is_reported() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("song.txt"), b"\x00\x01\x02\x03").unwrap();
    write(
        d.path(),
        "m.csv",
        "id,valence,arousal,lyrics\na,0.5,0.5,song.txt\nb,0.1,0.1,\n",
    );
    let s = data::check(&cfg(&d.path().join("m.csv"), OnError::Skip), &ctx(d.path())).unwrap();
    let text = s.to_string();
    assert!(
        text.contains("song.txt") && text.contains("not a text file"),
        "{text}"
    );
    let ds = data::load(&cfg(&d.path().join("m.csv"), OnError::Skip), &ctx(d.path())).unwrap();
    assert_eq!(ds.tracks.len(), 2);
    assert!(ds.tracks.iter().all(|t| t.lyrics.is_none()));
}
