//! Dataset fingerprints: a blake3 hex digest over the content that was read —
//! annotation values, lyrics text and the bytes of every audio file — in track
//! id order. Paths and modification times are not part of it, so moving a
//! dataset keeps its fingerprint and editing one annotation changes it.
//!
//! Hashing every audio file on every run is slow for real datasets, so
//! per-file hashes are cached in `<cache_dir>/audio_hashes.tsv` keyed by
//! (absolute path, size, mtime); a file whose size or mtime changed is hashed
//! again. The cache is advisory: a missing or corrupt one is rebuilt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;

use super::{DataError, Track};

/// Version of the digest layout; bump it when the fields hashed change.
pub const FINGERPRINT_VERSION: u32 = 1;

const CACHE_FILE: &str = "audio_hashes.tsv";

/// The fingerprint of a dataset named `name` with these tracks (in any
/// order: they are hashed sorted by id).
pub fn fingerprint(name: &str, tracks: &[Track], cache_dir: &Path) -> Result<String, DataError> {
    let paths: Vec<&Path> = tracks.iter().filter_map(|t| t.audio.as_deref()).collect();
    let audio = hash_files(&paths, cache_dir)?;
    let mut order: Vec<&Track> = tracks.iter().collect();
    order.sort_by(|a, b| a.id.cmp(&b.id));
    let mut h = blake3::Hasher::new();
    field(&mut h, "mer-dataset");
    field(&mut h, &FINGERPRINT_VERSION.to_string());
    field(&mut h, name);
    field(&mut h, &order.len().to_string());
    for t in order {
        field(&mut h, &t.id);
        match &t.audio {
            Some(p) => field(&mut h, audio.get(p).map(String::as_str).unwrap_or("?")),
            None => field(&mut h, "-"),
        }
        opt(&mut h, t.lyrics.as_deref());
        // Shortest round-trip formatting is exact, so equal floats hash equal.
        opt(&mut h, t.valence.map(|v| format!("{v:?}")).as_deref());
        opt(&mut h, t.arousal.map(|v| format!("{v:?}")).as_deref());
        opt(&mut h, t.category.as_deref());
        opt(&mut h, t.genre.as_deref());
        opt(&mut h, t.artist.as_deref());
        opt(&mut h, t.split.as_deref());
        opt(&mut h, t.oracle.as_deref());
        field(&mut h, &t.tags.len().to_string());
        for tag in &t.tags {
            field(&mut h, tag);
        }
        field(&mut h, &t.original.len().to_string());
        for (k, v) in &t.original {
            field(&mut h, k);
            field(&mut h, v);
        }
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Length-prefixed so that field boundaries cannot be forged by content.
fn field(h: &mut blake3::Hasher, s: &str) {
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn opt(h: &mut blake3::Hasher, s: Option<&str>) {
    match s {
        Some(s) => {
            h.update(b"S");
            field(h, s);
        }
        None => {
            h.update(b"N");
        }
    }
}

/// (size, mtime in ns since the epoch) of a file.
fn stamp(path: &Path) -> Result<(u64, u128), DataError> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, "cannot stat", e))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok((meta.len(), mtime))
}

/// blake3 hex of each file's bytes, using and refreshing the cache.
pub fn hash_files(
    paths: &[&Path],
    cache_dir: &Path,
) -> Result<BTreeMap<PathBuf, String>, DataError> {
    let cache_path = cache_dir.join(CACHE_FILE);
    let mut cache = read_cache(&cache_path);
    let stamped: Vec<(PathBuf, (u64, u128))> = paths
        .par_iter()
        .map(|p| stamp(p).map(|s| (p.to_path_buf(), s)))
        .collect::<Result<_, _>>()?;
    let todo: Vec<&(PathBuf, (u64, u128))> = stamped
        .iter()
        .filter(|(p, s)| !matches!(cache.get(p), Some((cs, _)) if cs == s))
        .collect();
    let fresh: Vec<(PathBuf, (u64, u128), String)> = todo
        .par_iter()
        .map(|(p, s)| {
            let mut h = blake3::Hasher::new();
            let file = std::fs::File::open(p).map_err(|e| DataError::io(p, "cannot open", e))?;
            h.update_reader(file)
                .map_err(|e| DataError::io(p, "cannot read", e))?;
            Ok((p.clone(), *s, h.finalize().to_hex().to_string()))
        })
        .collect::<Result<_, DataError>>()?;
    let changed = !fresh.is_empty();
    for (p, s, hash) in fresh {
        cache.insert(p, (s, hash));
    }
    if changed {
        // Best effort: failing to write a cache must not fail the load.
        let _ignored = write_cache(&cache_path, &cache);
    }
    Ok(stamped
        .into_iter()
        .map(|(p, _)| {
            let hash = cache.get(&p).map(|(_, h)| h.clone()).unwrap_or_default();
            (p, hash)
        })
        .collect())
}

type Cache = BTreeMap<PathBuf, ((u64, u128), String)>;

/// Lines: `hash \t size \t mtime_ns \t path`. Malformed lines are ignored.
fn read_cache(path: &Path) -> Cache {
    let mut cache = Cache::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return cache;
    };
    for line in text.lines() {
        let mut parts = line.splitn(4, '\t');
        let (Some(hash), Some(size), Some(mtime), Some(p)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(size), Ok(mtime)) = (size.parse::<u64>(), mtime.parse::<u128>()) else {
            continue;
        };
        if hash.len() == 64 {
            cache.insert(PathBuf::from(p), ((size, mtime), hash.to_string()));
        }
    }
    cache
}

/// Written to a temporary file and renamed, so a reader never sees half.
fn write_cache(path: &Path, cache: &Cache) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::new();
    for (p, ((size, mtime), hash)) in cache {
        let Some(ps) = p.to_str() else { continue };
        if ps.contains('\n') {
            continue;
        }
        text.push_str(&format!("{hash}\t{size}\t{mtime}\t{ps}\n"));
    }
    // Unique per process and call (threads of one process may write at
    // once), and per moment: processes of two hosts sharing the cache over a
    // network filesystem may have the same pid.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = path.with_extension(format!("tmp{}-{n}-{nanos}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(id: &str, audio: Option<PathBuf>) -> Track {
        let mut t = Track::new(id);
        t.audio = audio;
        t.valence = Some(0.5);
        t
    }

    #[test]
    fn content_not_paths_or_order_determines_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.wav");
        let b = dir.path().join("sub/b.wav");
        std::fs::create_dir_all(b.parent().unwrap()).unwrap();
        std::fs::write(&a, b"same bytes").unwrap();
        std::fs::write(&b, b"same bytes").unwrap();
        let cache = dir.path().join("cache");
        let f1 = fingerprint(
            "x",
            &[track("1", Some(a.clone())), track("2", None)],
            &cache,
        )
        .unwrap();
        let f2 = fingerprint(
            "x",
            &[track("2", None), track("1", Some(b.clone()))],
            &cache,
        )
        .unwrap();
        assert_eq!(f1, f2, "moved file with same bytes, other order");
        std::fs::write(&b, b"other bytes").unwrap();
        let f3 = fingerprint(
            "x",
            &[track("1", Some(b.clone())), track("2", None)],
            &cache,
        )
        .unwrap();
        assert_ne!(f1, f3, "changed audio bytes must change the fingerprint");
        let mut t = track("1", Some(a.clone()));
        t.valence = Some(0.25);
        let f4 = fingerprint("x", &[t, track("2", None)], &cache).unwrap();
        assert_ne!(f1, f4, "changed annotation must change the fingerprint");
        assert!(cache.join(CACHE_FILE).exists());
    }

    #[test]
    fn cache_is_keyed_by_size_and_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.wav");
        std::fs::write(&a, b"one").unwrap();
        let h1 = hash_files(&[a.as_path()], dir.path()).unwrap();
        // Same size, new content and a different mtime: must be re-hashed.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&a, b"two").unwrap();
        let h2 = hash_files(&[a.as_path()], dir.path()).unwrap();
        assert_ne!(h1[&a], h2[&a]);
        assert_eq!(h2[&a], blake3::hash(b"two").to_hex().to_string());
    }
}
