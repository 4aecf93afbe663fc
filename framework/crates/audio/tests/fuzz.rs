//! Every decoder's front door never panics, aborts or runs away: arbitrary
//! bytes and mutations of real files (headers above all) end in decoded
//! audio or in an error that names the file.

use std::path::{Path, PathBuf};

use mer_audio::{DecodeOptions, decode_bytes};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name);
    std::fs::read(p).unwrap()
}

fn check(name: &str, bytes: Vec<u8>) {
    let opts = DecodeOptions {
        sample_rate: 22050,
        offset_s: 0.0,
        duration_s: Some(2.0),
    };
    let path = Path::new(name);
    match decode_bytes(path, bytes, &opts) {
        Ok(d) => assert!(d.samples.iter().all(|x| x.is_finite())),
        Err(e) => assert!(e.to_string().contains(name), "{e}"),
    }
}

/// Overwrites bytes at the given places (most of them in the first 256
/// bytes, where the headers are).
fn mutate(mut b: Vec<u8>, edits: &[(prop::sample::Index, u8, bool)]) -> Vec<u8> {
    for (at, byte, in_header) in edits {
        let span = if *in_header {
            b.len().min(256)
        } else {
            b.len()
        };
        if span > 0 {
            let i = at.index(span);
            b[i] = *byte;
        }
    }
    b
}

fn edits() -> impl Strategy<Value = Vec<(prop::sample::Index, u8, bool)>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            any::<u8>(),
            prop::bool::weighted(0.8),
        ),
        1..10,
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_decode_or_fail_naming_the_file(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        prefix in prop_oneof![
            Just(Vec::new()),
            Just(b"RIFF\x00\x10\x00\x00WAVEfmt ".to_vec()),
            Just(b".snd".to_vec()),
            Just(b"fLaC".to_vec()),
            Just(b"OggS".to_vec()),
            Just(b"ID3".to_vec()),
        ],
    ) {
        let mut b = prefix;
        b.extend(bytes);
        check("random.bin", b);
    }

    #[test]
    fn mutated_wav_files_decode_or_fail_naming_the_file(e in edits()) {
        check("short.wav", mutate(fixture("short.wav"), &e));
    }

    #[test]
    fn mutated_compressed_files_decode_or_fail_naming_the_file(
        e in edits(),
        which in 0usize..3,
    ) {
        let name = ["chords.mp3", "chords.ogg", "gaps.flac"][which];
        check(name, mutate(fixture(name), &e));
    }
}
