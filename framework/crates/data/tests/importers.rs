//! Each importer on a small fixture in that dataset's real on-disk layout,
//! generated here: column names, scale mapping, file naming, fixed splits,
//! and the `on_error` policy.

use std::path::{Path, PathBuf};

use mer_data::labels::{self, BinaryTask, LabelScheme};
use mer_data::splits::{EvaluationConfig, Protocol, make_folds};
use mer_data::{
    self, DatasetConfig, DeamConfig, DeezerConfig, EmotifyConfig, FourQConfig, GtzanConfig,
    LoadContext, MergeConfig, MergeSubset, MtgJamendoConfig, OnError, PmemoConfig, ProblemKind,
};

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// Stand-in audio: decoding is the audio module's job, the importer only
/// checks existence and hashes the bytes.
fn audio(root: &Path, rel: &str) -> PathBuf {
    write(root, rel, &format!("ID3 fake audio for {rel}"))
}

fn wav(root: &Path, rel: &str, seconds: f64) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(p, spec).unwrap();
    for i in 0..(seconds * 8000.0) as i32 {
        w.write_sample((i % 100) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn load(cfg: DatasetConfig, root: &Path) -> Result<mer_data::Dataset, mer_data::DataError> {
    mer_data::load(
        &cfg,
        &LoadContext {
            cache_dir: root.join(".cache"),
        },
    )
}

fn track<'a>(d: &'a mer_data::Dataset, id: &str) -> &'a mer_data::Track {
    d.tracks
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no track {id}"))
}

const DEAM_ANN: &str = "DEAM_Annotations/annotations/annotations averaged per song/song_level";

fn deam_fixture(root: &Path) {
    write(
        root,
        &format!("{DEAM_ANN}/static_annotations_averaged_songs_1_2000.csv"),
        "song_id, valence_mean, valence_std, arousal_mean, arousal_std\n\
         2, 3.1, 0.94, 3, 1.1\n\
         3, 9, 1.2, 1, 1.01\n\
         5, 5, 0.5, 5, 0.5\n",
    );
    write(
        root,
        &format!("{DEAM_ANN}/static_annotations_averaged_songs_2000_2058.csv"),
        "song_id, valence_mean, valence_std, valence_ max_mean, arousal_mean, arousal_std\n\
         2001, 7, 1, 8, 6.5, 1\n",
    );
    for id in [2, 3, 5, 2001] {
        audio(root, &format!("DEAM_audio/MEMD_audio/{id}.mp3"));
    }
    write(
        root,
        "metadata/metadata_2013.csv",
        "song_id,file_name,Artist,Song title,start of the segment (min.sec),end of the segment (min.sec),Genre\n\
         2,2.mp3,Kevin MacLeod,Ambient,0.00,0.45,Blues\n",
    );
    write(
        root,
        "metadata/metadata_2015.csv",
        "id,file_name,title,artist,album,genre\n2001,2001.mp3,T,A2015,Al,Rock\n",
    );
}

#[test]
fn deam_reads_static_averages_on_the_nine_point_scale() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("DEAM");
    deam_fixture(&root);
    let cfg = DatasetConfig::Deam(DeamConfig {
        root: root.clone(),
        ..Default::default()
    });
    let d = load(cfg.clone(), dir.path()).unwrap();
    assert_eq!(
        d.tracks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        vec!["2", "2001", "3", "5"]
    );
    let t3 = track(&d, "3");
    assert_eq!(
        (t3.valence, t3.arousal),
        (Some(1.0), Some(-1.0)),
        "(x - 5) / 4"
    );
    assert_eq!(
        (track(&d, "5").valence, track(&d, "5").arousal),
        (Some(0.0), Some(0.0))
    );
    let t2 = track(&d, "2");
    assert!((t2.valence.unwrap() - (3.1 - 5.0) / 4.0).abs() < 1e-12);
    assert_eq!(t2.artist.as_deref(), Some("Kevin MacLeod"));
    assert_eq!(t2.genre.as_deref(), Some("Blues"));
    assert_eq!(
        t2.original.get("valence_std").map(String::as_str),
        Some("0.94")
    );
    assert_eq!(track(&d, "2001").artist.as_deref(), Some("A2015"));
    assert_eq!(
        track(&d, "2001")
            .original
            .get("valence_ max_mean")
            .map(String::as_str),
        Some("8")
    );
    assert!(
        t2.audio
            .as_ref()
            .unwrap()
            .ends_with("DEAM_audio/MEMD_audio/2.mp3")
    );
    let summary = mer_data::check(
        &cfg,
        &LoadContext {
            cache_dir: dir.path().join(".cache"),
        },
    )
    .unwrap();
    assert!(
        summary
            .to_string()
            .contains("DEAM 9-point means: (x - 5) / 4")
    );

    // A missing mp3: an error naming the row and the file, or a report.
    std::fs::remove_file(root.join("DEAM_audio/MEMD_audio/5.mp3")).unwrap();
    let e = load(cfg.clone(), dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("static_annotations_averaged_songs_1_2000.csv:4")
            && e.contains("5.mp3 does not exist"),
        "{e}"
    );
    let skip = DatasetConfig::Deam(DeamConfig {
        root: root.clone(),
        on_error: OnError::Skip,
        ..Default::default()
    });
    let d = load(skip.clone(), dir.path()).unwrap();
    assert!(track(&d, "5").audio.is_none());
    assert_eq!(d.report.count(ProblemKind::MissingAudio), 1);

    // A value outside 1..9 is a bad row.
    write(
        &root,
        &format!("{DEAM_ANN}/static_annotations_averaged_songs_1_2000.csv"),
        "song_id, valence_mean, valence_std, arousal_mean, arousal_std\n2, 9.5, 1, 3, 1\n",
    );
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains(":2:") && e.contains("outside the dataset's documented scale [1, 9]"),
        "{e}"
    );
}

#[test]
fn deam_wrong_root_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = DatasetConfig::Deam(DeamConfig {
        root: dir.path().to_path_buf(),
        ..Default::default()
    });
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(e.contains("song_level") && e.contains("not here"), "{e}");
}

#[test]
fn pmemo_maps_unit_scale_and_strips_lrc() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("PMEmo2019");
    write(
        &root,
        "metadata.csv",
        "musicId,fileName,title,artist,album,duration,chorus_start_time,chorus_end_time\n\
         1,1.mp3,Song One,Singer A,Album,30.0,01:02,01:32\n\
         4,4.mp3,Song Four,Singer B,Album,30.0,00:40,01:10\n",
    );
    write(
        &root,
        "annotations/static_annotations.csv",
        "musicId,Arousal(mean),Valence(mean)\n1,0.4,0.75\n4,1,0\n",
    );
    audio(&root, "chorus/1.mp3");
    audio(&root, "chorus/4.mp3");
    write(
        &root,
        "lyrics/1.lrc",
        "[ti:Song One]\n[ar:Singer A]\n[00:01.20]first line\n[00:05.00][00:30.00]chorus line\n",
    );
    let cfg = DatasetConfig::Pmemo(PmemoConfig {
        root: root.clone(),
        ..Default::default()
    });
    let d = load(cfg.clone(), dir.path()).unwrap();
    let t1 = track(&d, "1");
    assert!(
        (t1.valence.unwrap() - 0.5).abs() < 1e-12 && (t1.arousal.unwrap() + 0.2).abs() < 1e-12,
        "2x - 1"
    );
    assert_eq!(t1.lyrics.as_deref(), Some("first line\nchorus line"));
    assert_eq!(t1.artist.as_deref(), Some("Singer A"));
    let t4 = track(&d, "4");
    assert_eq!((t4.valence, t4.arousal), (Some(-1.0), Some(1.0)));
    assert!(t4.lyrics.is_none(), "no .lrc: no lyrics");
    assert!(
        d.report.is_empty(),
        "a song without lyrics is not a problem"
    );
    std::fs::remove_file(root.join("chorus/4.mp3")).unwrap();
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("static_annotations.csv:3") && e.contains("chorus/4.mp3"),
        "{e}"
    );
}

#[test]
fn four_q_reads_quadrant_folders_and_feeds_quadrant_labels() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("MER_audio_taffc_dataset");
    write(
        &root,
        "panda_dataset_taffc_metadata.csv",
        "Song,Artist,Title,Relevance,Year,Quadrant,MoodsStrSplit,GenresStr\n\
         MT0000004637,Artist One,\"Title, with comma\",0.9,1999,Q1,\"Happy; Fun\",\"Pop; Rock\"\n\
         MT0000011975,Artist Two,T2,0.8,2001,Q3,Sad,Blues\n\
         MT0000040632,Artist One,T3,0.7,2003,q4,Calm,\n",
    );
    audio(&root, "Q1/MT0000004637.mp3");
    audio(&root, "Q3/MT0000011975.mp3");
    audio(&root, "Q4/MT0000040632.mp3");
    let cfg: DatasetConfig = toml::from_str(&format!(
        "kind = \"4q\"\nroot = {:?}\n",
        root.to_str().unwrap()
    ))
    .unwrap();
    let d = load(cfg, dir.path()).unwrap();
    let t = track(&d, "MT0000004637");
    assert_eq!(t.category.as_deref(), Some("Q1"));
    assert_eq!(t.genre.as_deref(), Some("Pop"));
    assert_eq!(
        t.original.get("Title").map(String::as_str),
        Some("Title, with comma")
    );
    assert!(t.valence.is_none());
    assert_eq!(track(&d, "MT0000040632").category.as_deref(), Some("Q4"));
    let refs: Vec<&mer_data::Track> = d.tracks.iter().collect();
    let q = labels::fit(&LabelScheme::Quadrants, &refs, 0).unwrap();
    let got: Vec<usize> = d.tracks.iter().map(|t| q.class_of(t).unwrap()).collect();
    assert_eq!(got, vec![0, 2, 3]);

    write(
        &root,
        "panda_dataset_taffc_metadata.csv",
        "Song,Quadrant\nMT0000004637,Q5\n",
    );
    let cfg = DatasetConfig::FourQ(FourQConfig {
        root: root.clone(),
        ..Default::default()
    });
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("metadata.csv:2") && e.contains("`Q5` is not one of Q1, Q2, Q3, Q4"),
        "{e}"
    );
}

#[test]
fn merge_bimodal_joins_av_values_lyrics_and_splits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("MERGE_Bimodal_Complete");
    write(
        &root,
        "merge_bimodal_complete_metadata.csv",
        "Audio_Song,Lyric_Song,Quadrant,AllMusic Id,Artist,Title,Genres\n\
         A001,L042,Q1,mt1,Band,Happy Song,\"Pop Rock; Dance\"\n\
         A002,L007,Q3,mt2,Solo,Sad Song,Folk\n\
         A003,L009,Q2,mt3,Band,Angry Song,Metal\n",
    );
    write(
        &root,
        "merge_bimodal_complete_av_values.csv",
        "Audio_Song,Lyric_Song,Arousal,Valence\nA001,L042,0.75,0.875\nA002,L007,0.25,0.125\nA003,L009,0.9,0.2\n",
    );
    audio(&root, "audio/Q1/A001.mp3");
    audio(&root, "audio/Q3/A002.mp3");
    audio(&root, "audio/Q2/A003.mp3");
    write(&root, "lyrics/Q1/L042.txt", "sunshine and dancing");
    write(&root, "lyrics/Q3/L007.txt", "tears fall");
    write(&root, "lyrics/Q2/L009.txt", "rage");
    let tvt = "tvt_dataframes/tvt_70_15_15";
    write(
        &root,
        &format!("{tvt}/tvt_70_15_15_train_bimodal_complete.csv"),
        "Audio_Song,Quadrant\nA001,Q1\n",
    );
    write(
        &root,
        &format!("{tvt}/tvt_70_15_15_validate_bimodal_complete.csv"),
        "Audio_Song,Quadrant\nA003,Q2\n",
    );
    write(
        &root,
        &format!("{tvt}/tvt_70_15_15_test_bimodal_complete.csv"),
        "Audio_Song,Quadrant\nA002,Q3\n",
    );
    let cfg = DatasetConfig::Merge(MergeConfig {
        root: root.clone(),
        ..Default::default()
    });
    let d = load(cfg.clone(), dir.path()).unwrap();
    let t = track(&d, "A001");
    assert_eq!((t.valence, t.arousal), (Some(0.75), Some(0.5)), "2x - 1");
    assert_eq!(t.lyrics.as_deref(), Some("sunshine and dancing"));
    assert_eq!(t.category.as_deref(), Some("Q1"));
    assert_eq!(t.genre.as_deref(), Some("Pop Rock"));
    assert_eq!(t.split.as_deref(), Some("train"));
    assert_eq!(track(&d, "A003").split.as_deref(), Some("validation"));
    let fixed = EvaluationConfig {
        protocol: Protocol::Fixed,
        ..Default::default()
    };
    let folds = make_folds(&fixed, &d.tracks, None, 0).unwrap();
    assert_eq!(
        (
            folds[0].train.clone(),
            folds[0].validation.clone(),
            folds[0].test.clone()
        ),
        (vec![0], vec![2], vec![1])
    );

    // A song missing from the AV file is a bad row; a missing lyrics file is
    // reported under skip.
    write(
        &root,
        "merge_bimodal_complete_av_values.csv",
        "Audio_Song,Arousal,Valence\nA001,0.75,0.875\nA002,0.25,0.125\n",
    );
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("metadata.csv:4") && e.contains("A003") && e.contains("no row for this song"),
        "{e}"
    );
    std::fs::remove_file(root.join("lyrics/Q3/L007.txt")).unwrap();
    let skip = DatasetConfig::Merge(MergeConfig {
        root: root.clone(),
        on_error: OnError::Skip,
        ..Default::default()
    });
    let d = load(skip, dir.path()).unwrap();
    assert_eq!(d.tracks.len(), 2);
    assert_eq!(d.report.count(ProblemKind::SkippedRow), 1);
    assert_eq!(d.report.count(ProblemKind::MissingLyrics), 1);
}

#[test]
fn merge_audio_subset_reads_quadrant_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("MERGE_Audio_Complete");
    write(
        &root,
        "merge_audio_complete_metadata.csv",
        "Song,Quadrant,Artist\nA001,Q4,X\n",
    );
    write(
        &root,
        "merge_audio_complete_av_values.csv",
        "Song,Arousal,Valence\nA001,0.2,0.6\n",
    );
    audio(&root, "Q4/A001.mp3");
    let cfg = DatasetConfig::Merge(MergeConfig {
        root,
        subset: MergeSubset::Audio,
        ..Default::default()
    });
    let d = load(cfg, dir.path()).unwrap();
    assert!(
        d.tracks[0].audio.is_some() && d.tracks[0].lyrics.is_none() && d.tracks[0].split.is_none()
    );
}

#[test]
fn emotify_aggregates_votes_and_numbers_files_per_genre() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("emotify");
    let header = "track id, genre, amazement, solemnity, tenderness, nostalgia, calmness, power, joyful_activation, tension, sadness, mood, liked, disliked, age, gender, mother tongue\n";
    let rows = [
        // track 1 (classical): calmness 2/3, sadness 2/3 -> tie, calmness is earlier
        "1, classical, 0, 0, 0, 0, 1, 0, 0, 0, 1, 3, 1, 0, 25, 1, English",
        "1, classical, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 30, 0, Dutch",
        "1, classical, 0, 0, 1, 0, 0, 0, 0, 0, 1, 4, 0, 1, 41, 1, Russian",
        // track 2 (classical): solemnity
        "2, classical, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 25, 1, English",
        // track 101 (rock, the first rock id): power
        "101, rock, 0, 0, 0, 0, 0, 1, 0, 1, 0, 3, 1, 0, 25, 1, English",
        "101, rock, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 1, 0, 25, 1, English",
    ];
    write(&root, "data.csv", &format!("{header}{}\n", rows.join("\n")));
    audio(&root, "emotifymusic/classical/1.mp3");
    audio(&root, "emotifymusic/classical/2.mp3");
    audio(&root, "emotifymusic/rock/1.mp3");
    let cfg = DatasetConfig::Emotify(EmotifyConfig {
        root: root.clone(),
        ..Default::default()
    });
    let d = load(cfg.clone(), dir.path()).unwrap();
    let t1 = track(&d, "1");
    assert_eq!(
        t1.category.as_deref(),
        Some("calmness"),
        "ties go to the earlier column"
    );
    assert_eq!(
        t1.original.get("share:sadness").map(String::as_str),
        Some("0.666667")
    );
    assert_eq!(
        t1.original.get("participants").map(String::as_str),
        Some("3")
    );
    assert_eq!(track(&d, "2").category.as_deref(), Some("solemnity"));
    let t101 = track(&d, "101");
    assert_eq!(
        (t101.category.as_deref(), t101.genre.as_deref()),
        (Some("power"), Some("rock"))
    );
    assert!(
        t101.audio
            .as_ref()
            .unwrap()
            .ends_with("emotifymusic/rock/1.mp3")
    );
    let refs: Vec<&mer_data::Track> = d.tracks.iter().collect();
    let cat = labels::fit(&LabelScheme::Categorical, &refs, 0).unwrap();
    assert_eq!(
        cat.classes(),
        &["calmness".to_string(), "power".into(), "solemnity".into()]
    );

    write(
        &root,
        "data.csv",
        &format!(
            "{header}{}\n7, pop, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 1, 0, 25, 1, English\n",
            rows.join("\n")
        ),
    );
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("data.csv:8") && e.contains("vote 2 is not 0 or 1"),
        "{e}"
    );
}

#[test]
fn mtg_jamendo_reads_trailing_tag_columns_and_official_splits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mtg-jamendo-dataset");
    let header = "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n";
    let rows = "track_0000948\tartist_000087\talbum_000149\t48/948.mp3\t212.7\tmood/theme---happy\tmood/theme---film\n\
                track_0001052\tartist_000100\talbum_000200\t52/1052.mp3\t100.0\tmood/theme---sad\n\
                track_0001100\tartist_000100\talbum_000201\t00/1100.mp3\t90.5\tmood/theme---relaxing\tmood/theme---happy\tmood/theme---sad\n";
    write(
        &root,
        "data/autotagging_moodtheme.tsv",
        &format!("{header}{rows}"),
    );
    let lines: Vec<&str> = rows.lines().collect();
    write(
        &root,
        "data/splits/split-0/autotagging_moodtheme-train.tsv",
        &format!("{header}{}\n{}\n", lines[0], lines[2]),
    );
    write(
        &root,
        "data/splits/split-0/autotagging_moodtheme-test.tsv",
        &format!("{header}{}\n", lines[1]),
    );
    for p in ["48/948.low.mp3", "52/1052.low.mp3", "00/1100.low.mp3"] {
        audio(&root, &format!("audio/{p}"));
    }
    let cfg = DatasetConfig::MtgJamendo(MtgJamendoConfig {
        root: root.clone(),
        low_quality: true,
        ..Default::default()
    });
    let d = load(cfg, dir.path()).unwrap();
    let t = track(&d, "track_0000948");
    assert_eq!(t.tags, vec!["film".to_string(), "happy".into()]);
    assert_eq!(t.artist.as_deref(), Some("artist_000087"));
    assert_eq!(t.split.as_deref(), Some("train"));
    assert!(t.audio.as_ref().unwrap().ends_with("audio/48/948.low.mp3"));
    assert_eq!(track(&d, "track_0001052").split.as_deref(), Some("test"));
    assert_eq!(track(&d, "track_0001100").tags.len(), 3);
    let refs: Vec<&mer_data::Track> = d.tracks.iter().collect();
    let hs = labels::fit(&LabelScheme::Binary(BinaryTask::HappySad), &refs, 0).unwrap();
    let got: Vec<Option<usize>> = d.tracks.iter().map(|t| hs.class_of(t)).collect();
    assert_eq!(got, vec![Some(0), Some(1), None], "both tags: unlabelled");

    let cfg = DatasetConfig::MtgJamendo(MtgJamendoConfig {
        root,
        ..Default::default()
    });
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("autotagging_moodtheme.tsv:2") && e.contains("948.mp3 does not exist"),
        "{e}"
    );
}

#[test]
fn gtzan_reads_genre_folders_and_optional_lyrics() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("genres_original");
    wav(&root, "blues/blues.00000.wav", 0.5);
    wav(&root, "blues/blues.00001.wav", 0.25);
    wav(&root, "jazz/jazz.00054.wav", 1.0);
    write(&root, "features_30_sec.csv", "not a genre folder");
    write(&root, "blues/notes.txt", "not audio");
    let lyrics = write(
        dir.path(),
        "lyrics.json",
        r#"{"blues.00000": "woke up this morning", "jazz.00054": "scat"}"#,
    );
    let cfg = DatasetConfig::Gtzan(GtzanConfig {
        root: root.clone(),
        lyrics: Some(lyrics.clone()),
        ..Default::default()
    });
    let d = load(cfg.clone(), dir.path()).unwrap();
    assert_eq!(d.tracks.len(), 3);
    assert_eq!(track(&d, "jazz.00054").genre.as_deref(), Some("jazz"));
    assert_eq!(
        track(&d, "blues.00000").lyrics.as_deref(),
        Some("woke up this morning")
    );
    assert!(track(&d, "blues.00001").lyrics.is_none());
    let summary = mer_data::check(
        &cfg,
        &LoadContext {
            cache_dir: dir.path().join(".cache"),
        },
    )
    .unwrap()
    .to_string();
    assert!(
        summary.contains("3 WAV files: min 0.25 s, mean 0.58 s, max 1.00 s"),
        "{summary}"
    );
    assert!(summary.contains("genres      blues 2, jazz 1"), "{summary}");

    write(
        dir.path(),
        "lyrics.json",
        r#"[{"id": "blues.00001", "lyrics": "x"}, {"id": "rock.00003", "lyrics": "y"}]"#,
    );
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("lyrics.json") && e.contains("`rock.00003`"),
        "{e}"
    );
    let skip = DatasetConfig::Gtzan(GtzanConfig {
        root,
        lyrics: Some(lyrics),
        on_error: OnError::Skip,
    });
    let d = load(skip, dir.path()).unwrap();
    assert_eq!(track(&d, "blues.00001").lyrics.as_deref(), Some("x"));
    assert_eq!(d.report.count(ProblemKind::SkippedRow), 1);
}

#[test]
fn deezer_joins_musixmatch_bags_with_one_based_indices() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("deezer");
    let header = "dzr_sng_id,MSD_sng_id,MSD_track_id,valence,arousal,artist_name,track_name\n";
    write(
        &root,
        "train.csv",
        &format!("{header}3135555,SOABC,TRAAAAW128F429D538,1.5,-0.75,Artist A,Song A\n"),
    );
    write(
        &root,
        "validation.csv",
        &format!("{header}3135556,SOABD,TRAAABD128F429CF47,-4.2,0.3,Artist B,Song B\n"),
    );
    write(
        &root,
        "test.csv",
        &format!("{header}3135557,SOABE,TRNOLYRICS00000000,0,0,Artist C,Song C\n"),
    );
    write(
        &root,
        "mxm_dataset_train.txt",
        "# musiXmatch dataset\n# comment\n%i,the,you,love,cri\n\
         TRAAAAW128F429D538,3321,1:2,4:1\n\
         TRAAABD128F429CF47,4567,5:3,2:1\n",
    );
    let cfg = DatasetConfig::Deezer(DeezerConfig {
        root: root.clone(),
        musixmatch: vec!["mxm_dataset_train.txt".into()],
        ..Default::default()
    });
    let d = load(cfg, dir.path()).unwrap();
    let a = track(&d, "3135555");
    assert_eq!(
        a.lyrics.as_deref(),
        Some("i i love"),
        "index 1 is the first word"
    );
    assert_eq!((a.valence, a.arousal), (Some(0.5), Some(-0.25)), "x / 3");
    assert_eq!(a.split.as_deref(), Some("train"));
    let b = track(&d, "3135556");
    assert_eq!(b.lyrics.as_deref(), Some("cri cri cri the"));
    assert_eq!(b.valence, Some(-1.0), "clamped");
    assert_eq!(b.original.get("valence").map(String::as_str), Some("-4.2"));
    assert!(track(&d, "3135557").lyrics.is_none());
    assert!(d.tracks.iter().all(|t| t.audio.is_none()));

    write(
        &root,
        "mxm_dataset_train.txt",
        "%i,the\nTRAAAAW128F429D538,3321,0:2\n",
    );
    let cfg = DatasetConfig::Deezer(DeezerConfig {
        root,
        musixmatch: vec!["mxm_dataset_train.txt".into()],
        ..Default::default()
    });
    let e = load(cfg, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("mxm_dataset_train.txt:2") && e.contains("1-based"),
        "{e}"
    );
}
