//! The CSV front door (a manifest, read by the same reader as every
//! importer) never panics, aborts or runs away: arbitrary bytes and
//! mutations of a valid manifest end in tracks or in an error naming the
//! file.

use mer_data::{self as data, DatasetConfig, LoadContext, ManifestConfig, OnError};
use proptest::prelude::*;

const VALID: &str = "id,valence,arousal,lyrics_text,artist,label\n\
                     a,0.5,-0.25,\"la, la \"\"love\"\"\",x,happy\n\
                     b,-0.5,0.75,words,y,sad\n\
                     c,0.1,0.2,,x,calm\n";

fn check(bytes: &[u8], on_error: OnError) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    std::fs::write(&path, bytes).unwrap();
    let cfg = DatasetConfig::Manifest(ManifestConfig {
        path: path.clone(),
        on_error,
        ..Default::default()
    });
    let ctx = LoadContext {
        cache_dir: dir.path().join("cache"),
    };
    match data::load(&cfg, &ctx) {
        Ok(ds) => {
            assert!(!ds.tracks.is_empty());
            for t in &ds.tracks {
                for v in [t.valence, t.arousal].into_iter().flatten() {
                    assert!(v.is_finite() && (-1.0..=1.0).contains(&v), "{v}");
                }
            }
        }
        Err(e) => assert!(e.to_string().contains("m.csv"), "{e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_manifests_load_or_fail_naming_the_file(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        skip in any::<bool>(),
    ) {
        let mut b = b"id,valence,arousal\n".to_vec();
        b.extend(bytes);
        check(&b, if skip { OnError::Skip } else { OnError::Fail });
    }

    #[test]
    fn mutated_manifests_load_or_fail_naming_the_file(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![
                Just(b'"'), Just(b','), Just(b'\n'), Just(b'\r'), Just(0u8), Just(0xff),
                any::<u8>(),
            ]),
            1..8,
        ),
        skip in any::<bool>(),
    ) {
        let mut b = VALID.as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at.index(b.len());
            b[i] = byte;
        }
        check(&b, if skip { OnError::Skip } else { OnError::Fail });
    }
}
