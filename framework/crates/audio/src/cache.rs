//! On-disk feature cache keyed by (audio content hash, extractor id).
//!
//! Owns the entry format, atomic writes and corruption detection. An entry
//! lives at `<dir>/<first 2 hex of key>/<key>.mfeat`, where `key =
//! blake3(blake3(audio bytes) || extractor id)`. It is written to a
//! temporary file in the same directory and renamed into place, so a
//! process killed at any moment leaves either no entry or a whole one. A
//! whole one is still checked on every read: magic, the extractor id it was
//! made for, the lengths, and a blake3 checksum of everything before it; a
//! mismatch counts as `corrupt` and the features are recomputed and the
//! entry rewritten.
//!
//! Entry layout (little endian):
//! `b"MERFEAT1"`, u32 id length, id bytes, u32 ndim, ndim x u64 dims,
//! u64 value count, values as f32, 32-byte blake3 of all preceding bytes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::{AudioError, Features};

const MAGIC: &[u8; 8] = b"MERFEAT1";

/// Counts of what the cache did during one [`super::extract_many`] call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Entries found and reused.
    pub hits: usize,
    /// Tracks extracted because no entry existed.
    pub misses: usize,
    /// Entries that failed their checks and were recomputed (also counted
    /// in `misses`).
    pub corrupt: usize,
    /// Entries written.
    pub written: usize,
}

/// A feature cache directory.
#[derive(Debug)]
pub struct FeatureCache {
    dir: PathBuf,
    counter: AtomicU64,
}

/// Thread-safe counters behind [`CacheStats`].
#[derive(Debug, Default)]
pub(crate) struct StatsCounter {
    hits: AtomicUsize,
    misses: AtomicUsize,
    corrupt: AtomicUsize,
    written: AtomicUsize,
}

impl StatsCounter {
    pub(crate) fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn corrupt(&self) {
        self.corrupt.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn written(&self) {
        self.written.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn snapshot(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            corrupt: self.corrupt.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
        }
    }
}

/// What a lookup found.
#[derive(Debug, PartialEq)]
pub enum Lookup {
    Hit(Features),
    Miss,
    /// An entry exists but fails its checks (why).
    Corrupt(String),
}

/// The cache key of an audio file's bytes under an extractor id.
pub fn cache_key(audio_bytes: &[u8], extractor_id: &str) -> String {
    let content = blake3::hash(audio_bytes);
    let mut h = blake3::Hasher::new();
    h.update(content.as_bytes());
    h.update(extractor_id.as_bytes());
    h.finalize().to_hex().to_string()
}

impl FeatureCache {
    /// Opens (creating it when needed) a cache directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, AudioError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| AudioError::Cache {
            path: dir.clone(),
            source,
        })?;
        Ok(FeatureCache {
            dir,
            counter: AtomicU64::new(0),
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry for `key` lives.
    pub fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.mfeat"))
    }

    /// Looks up and verifies an entry.
    pub fn get(&self, key: &str, extractor_id: &str) -> Lookup {
        let path = self.entry_path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Corrupt(format!("unreadable: {e}")),
        };
        match parse_entry(&bytes, extractor_id) {
            Ok(f) => Lookup::Hit(f),
            Err(why) => Lookup::Corrupt(why),
        }
    }

    /// Writes an entry atomically (temporary file, then rename).
    pub fn put(
        &self,
        key: &str,
        extractor_id: &str,
        features: &Features,
    ) -> Result<(), AudioError> {
        let path = self.entry_path(key);
        let parent = path.parent().expect("entry paths have a parent");
        let cache_err = |p: &Path, source| AudioError::Cache {
            path: p.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(parent).map_err(|e| cache_err(parent, e))?;
        let tmp = parent.join(format!(
            ".{key}.{}.{}.tmp",
            std::process::id(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        ));
        let bytes = encode_entry(extractor_id, features);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            Ok(())
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(cache_err(&tmp, e));
        }
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            cache_err(&path, e)
        })
    }
}

fn encode_entry(extractor_id: &str, f: &Features) -> Vec<u8> {
    let mut b = Vec::with_capacity(64 + extractor_id.len() + 4 * f.data.len());
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&(extractor_id.len() as u32).to_le_bytes());
    b.extend_from_slice(extractor_id.as_bytes());
    b.extend_from_slice(&(f.shape.len() as u32).to_le_bytes());
    for &d in &f.shape {
        b.extend_from_slice(&(d as u64).to_le_bytes());
    }
    b.extend_from_slice(&(f.data.len() as u64).to_le_bytes());
    for &x in &f.data {
        b.extend_from_slice(&x.to_le_bytes());
    }
    let sum = blake3::hash(&b);
    b.extend_from_slice(sum.as_bytes());
    b
}

fn parse_entry(b: &[u8], extractor_id: &str) -> Result<Features, String> {
    if b.len() < MAGIC.len() + 32 || &b[..MAGIC.len()] != MAGIC {
        return Err("bad magic or too short".into());
    }
    let (body, sum) = b.split_at(b.len() - 32);
    if blake3::hash(body).as_bytes() != sum {
        return Err("checksum mismatch".into());
    }
    let mut pos = MAGIC.len();
    let mut take = |n: usize| -> Result<&[u8], String> {
        let s = body
            .get(pos..pos + n)
            .ok_or("length fields overrun the entry")?;
        pos += n;
        Ok(s)
    };
    let id_len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
    if take(id_len)? != extractor_id.as_bytes() {
        return Err("made for another extractor id".into());
    }
    let ndim = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
    let mut shape = Vec::with_capacity(ndim.min(8));
    for _ in 0..ndim {
        shape.push(u64::from_le_bytes(take(8)?.try_into().expect("8 bytes")) as usize);
    }
    let n = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes")) as usize;
    if shape.iter().product::<usize>() != n {
        return Err("shape does not match the value count".into());
    }
    let raw = take(n.checked_mul(4).ok_or("value count overflows")?)?;
    let data = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    if pos != body.len() {
        return Err("trailing bytes before the checksum".into());
    }
    Ok(Features { shape, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Features {
        Features {
            shape: vec![2, 3],
            data: vec![1.0, -2.5, 3.25, f32::MIN_POSITIVE, 0.0, 1e9],
        }
    }

    #[test]
    fn round_trip_and_id_check() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FeatureCache::open(dir.path()).unwrap();
        let key = cache_key(b"audio", "id-a");
        assert_eq!(cache.get(&key, "id-a"), Lookup::Miss);
        cache.put(&key, "id-a", &sample()).unwrap();
        assert_eq!(cache.get(&key, "id-a"), Lookup::Hit(sample()));
        assert!(matches!(cache.get(&key, "id-b"), Lookup::Corrupt(_)));
        // No temporary files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(cache.entry_path(&key).parent().unwrap())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn every_truncation_and_bit_flip_is_detected() {
        let bytes = encode_entry("id", &sample());
        for cut in 0..bytes.len() {
            assert!(
                parse_entry(&bytes[..cut], "id").is_err(),
                "truncated at {cut} accepted"
            );
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(parse_entry(&b, "id").is_err(), "flip at byte {i} accepted");
        }
        assert_eq!(parse_entry(&bytes, "id").unwrap(), sample());
    }

    #[test]
    fn keys_depend_on_content_and_id() {
        assert_ne!(cache_key(b"a", "x"), cache_key(b"b", "x"));
        assert_ne!(cache_key(b"a", "x"), cache_key(b"a", "y"));
        assert_eq!(cache_key(b"a", "x"), cache_key(b"a", "x"));
    }
}
