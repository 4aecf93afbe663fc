//! Replication bundles: one `.mer.tar.zst` file holding an experiment's
//! specs, its rows (a standalone results database), its fitted models and
//! weights, its datasets' file fingerprints (and, with `--with-data` or for
//! the generated benchmark, the data), `Cargo.lock`, the mer version and
//! commit, and a README for a reader.
//!
//! # Format (`mer-bundle/1`)
//! A zstd-compressed tar of plain files only. The first member is
//! `bundle.json` ([`Manifest`]): every other member's path, size and blake3,
//! and each dataset's files. Then `README.md`, `Cargo.lock`, `results.db`,
//! `specs/*.toml`, `results.artifacts/<trial>/...`, `inputs/...` (lexicon
//! and embedding files the trials read) and `data/<i>/...`.
//!
//! # Opening one safely ([`extract`])
//! The manifest is read first (at most 64 MiB); every path in it must be
//! relative with plain components (no `..`, no root, no drive); the sizes it
//! declares are added up and checked against a limit before anything is
//! written. Then each member must be a regular file the manifest lists, once,
//! with the size it declares; it is written under the target folder only
//! (files created new, never through a link) and hashed on the way; a
//! member whose content does not match, a member the manifest does not
//! list, a link or device, or a manifest file never seen (a truncated
//! bundle) is an error naming it. Nothing in a bundle is ever executed: the
//! specs are read as data.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use mer_data::files::{DataFile, from_slashes};
use mer_data::{DatasetConfig, LoadContext};
use mer_store::{Store, TrialFilter};
use serde::{Deserialize, Serialize};

use crate::run::provenance;

/// The format this build writes and reads.
pub const FORMAT: &str = "mer-bundle/1";
/// The first member of every bundle.
pub const MANIFEST: &str = "bundle.json";
/// The largest manifest read.
const MAX_MANIFEST: u64 = 64 << 20;
/// The default limit on what a bundle may unpack to.
pub const DEFAULT_MAX_SIZE: u64 = 256 << 30;

/// `bundle.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub experiment: String,
    /// The mer that wrote the bundle.
    pub mer_version: String,
    pub git_commit: String,
    pub git_dirty: String,
    pub rustc: String,
    /// blake3 of the bundled `Cargo.lock`.
    pub lock_hash: String,
    pub trials: usize,
    /// Every other member of the archive.
    pub files: Vec<DataFile>,
    pub datasets: Vec<BundledDataset>,
    /// Lexicon and embedding files the trials read, always bundled.
    #[serde(default)]
    pub inputs: Vec<BundledInput>,
}

/// A lexicon or embeddings file: where the trials read it, and its member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundledInput {
    pub recorded: String,
    pub member: String,
}

/// One dataset the experiment ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundledDataset {
    pub kind: String,
    /// The content fingerprint the trials recorded.
    pub fingerprint: String,
    /// The `[dataset]` configuration as recorded (paths of the machine that
    /// ran the experiment).
    pub config: DatasetConfig,
    /// The directory holding every file below, on that machine.
    pub root: String,
    /// Whether the files are in the bundle, under `data/<index>/`.
    pub bundled: bool,
    pub files: Vec<DataFile>,
}

/// Errors of bundling and unbundling, each naming the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{bundle}: damaged bundle: {why}")]
    Damaged { bundle: PathBuf, why: String },
    #[error("{bundle}: {why}")]
    Refused { bundle: PathBuf, why: String },
    #[error(transparent)]
    Store(#[from] mer_store::StoreError),
    #[error(transparent)]
    Data(#[from] mer_data::DataError),
    #[error("{0}")]
    Other(String),
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> BundleError + 'a {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// What [`write`] put in a bundle.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub bytes: u64,
}

/// Writes experiment `experiment` of `store` into the bundle `out`
/// (atomically: a partial file never has the final name).
pub fn write(
    store: &Store,
    experiment: &str,
    out: &Path,
    with_data: bool,
    cache_dir: &Path,
) -> Result<Written, BundleError> {
    let staging = sibling(out, ".staging");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging, "cannot remove"))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging, "cannot create"))?;
    let result = write_staged(store, experiment, out, with_data, cache_dir, &staging);
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn write_staged(
    store: &Store,
    experiment: &str,
    out: &Path,
    with_data: bool,
    cache_dir: &Path,
    staging: &Path,
) -> Result<Written, BundleError> {
    // Members: archive path -> file on disk.
    let mut members: BTreeMap<String, PathBuf> = BTreeMap::new();
    let db = staging.join("results.db");
    let trials = store.export_experiment(experiment, &db)?;
    members.insert("results.db".into(), db);

    let rows = store.trials(&TrialFilter {
        experiment: Some(experiment.to_string()),
        status: None,
        include_reruns: true,
    })?;
    // Fitted models and weights, by trial id (the exported ids).
    let artifacts = crate::run::artifacts_root(store);
    for t in &rows {
        let dir = artifacts.join(t.id.to_string());
        if dir.is_dir() {
            for f in walk_files(&dir)? {
                let rel = mer_data::files::relative(&f, &artifacts).ok_or_else(|| {
                    BundleError::Other(format!("{}: not a plain UTF-8 path", f.display()))
                })?;
                members.insert(format!("results.artifacts/{rel}"), f.clone());
            }
        }
    }
    // The specs the trials were recorded from, by file name.
    let mut specs: BTreeMap<String, String> = BTreeMap::new();
    for t in &rows {
        let Some(p) = store.provenance(t.id)? else {
            continue;
        };
        if p.spec_text.is_empty() {
            continue;
        }
        let stem = Path::new(&p.spec_path)
            .file_stem()
            .map_or_else(|| "spec".into(), |s| s.to_string_lossy().into_owned());
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if specs.values().any(|t| *t == p.spec_text) {
            continue;
        }
        let mut name = format!("specs/{stem}.toml");
        let mut n = 2;
        while specs.contains_key(&name) {
            name = format!("specs/{stem}-{n}.toml");
            n += 1;
        }
        specs.insert(name, p.spec_text);
    }
    for (name, text) in &specs {
        let path = staging.join(from_slashes(name));
        write_file(&path, text.as_bytes())?;
        members.insert(name.clone(), path);
    }
    let lock = staging.join("Cargo.lock");
    write_file(&lock, provenance::CARGO_LOCK)?;
    members.insert("Cargo.lock".into(), lock);

    // Datasets: each distinct recorded config, loaded to list its files.
    let ctx = LoadContext {
        cache_dir: cache_dir.to_path_buf(),
    };
    // Each trial's stored config, read once.
    let mut trial_configs = Vec::with_capacity(rows.len());
    for t in &rows {
        let cfg: mer_spec::TrialConfig = serde_json::from_str(&t.config_json)
            .map_err(|e| BundleError::Other(format!("trial {}: stored config: {e}", t.id)))?;
        trial_configs.push(cfg);
    }
    let mut configs: BTreeMap<String, (DatasetConfig, String)> = BTreeMap::new();
    for (t, cfg) in rows.iter().zip(&trial_configs) {
        let key = serde_json::to_string(&cfg.dataset).expect("serialises");
        configs
            .entry(key)
            .or_insert_with(|| (cfg.dataset.clone(), t.dataset_fingerprint.clone()));
    }
    let mut datasets = Vec::new();
    for (i, (cfg, fingerprint)) in configs.into_values().enumerate() {
        let ds = mer_data::load(&cfg, &ctx)?;
        if ds.fingerprint != fingerprint {
            return Err(BundleError::Other(format!(
                "dataset {} ({}): its content changed since the experiment ran (fingerprint {fingerprint} then, {} now); a bundle is written from the data the trials saw",
                i,
                ds.root.display(),
                ds.fingerprint
            )));
        }
        let files = mer_data::files::dataset_files(&cfg, &ds, cache_dir)?;
        let bundled = with_data || matches!(cfg, DatasetConfig::Synthetic(_));
        if bundled {
            for f in &files.files {
                members.insert(
                    format!("data/{i}/{}", f.path),
                    files.root.join(from_slashes(&f.path)),
                );
            }
        }
        datasets.push(BundledDataset {
            kind: cfg.kind_name().to_string(),
            fingerprint,
            config: cfg,
            root: files.root.display().to_string(),
            bundled,
            files: files.files,
        });
    }
    // Lexicon and embedding files: small next to the data, and part of
    // every trial key, so always included.
    let mut inputs: Vec<BundledInput> = Vec::new();
    for (t, cfg) in rows.iter().zip(&mut trial_configs) {
        let Some(text) = &mut cfg.features.text else {
            continue;
        };
        for p in text.paths_mut() {
            let recorded = p.display().to_string();
            if inputs.iter().any(|i| i.recorded == recorded) {
                continue;
            }
            let name: String = p
                .file_name()
                .map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned())
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let member = format!("inputs/{}-{name}", inputs.len());
            if !p.is_file() {
                return Err(BundleError::Other(format!(
                    "{}: a file trial {} read is missing; a bundle carries every input",
                    p.display(),
                    t.id
                )));
            }
            members.insert(member.clone(), p.clone());
            inputs.push(BundledInput { recorded, member });
        }
    }
    let readme = staging.join("README.md");
    write_file(
        &readme,
        reader_readme(experiment, trials, &datasets, &specs).as_bytes(),
    )?;
    members.insert("README.md".into(), readme);

    let mut files = Vec::with_capacity(members.len());
    for (name, path) in &members {
        let (size, blake3) = hash_file(path)?;
        files.push(DataFile {
            path: name.clone(),
            size,
            blake3,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        experiment: experiment.to_string(),
        mer_version: provenance::CRATE_VERSION.into(),
        git_commit: provenance::GIT_COMMIT.into(),
        git_dirty: provenance::GIT_DIRTY.into(),
        rustc: provenance::RUSTC_VERSION.into(),
        lock_hash: provenance::lock_hash(),
        trials,
        files,
        datasets,
        inputs,
    };
    let partial = sibling(out, ".partial");
    let file = std::fs::File::create(&partial).map_err(io(&partial, "cannot create"))?;
    let enc = zstd::stream::Encoder::new(std::io::BufWriter::new(file), 9)
        .map_err(io(&partial, "cannot compress"))?;
    let mut tar = tar::Builder::new(enc);
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    append(
        &mut tar,
        MANIFEST,
        &mut json.as_slice(),
        json.len() as u64,
        &partial,
    )?;
    for f in &manifest.files {
        let path = &members[&f.path];
        let mut file = std::fs::File::open(path).map_err(io(path, "cannot open"))?;
        append(&mut tar, &f.path, &mut file, f.size, &partial)?;
    }
    let enc = tar.into_inner().map_err(io(&partial, "cannot write"))?;
    let mut w = enc.finish().map_err(io(&partial, "cannot compress"))?;
    w.flush().map_err(io(&partial, "cannot write"))?;
    drop(w);
    std::fs::rename(&partial, out).map_err(io(out, "cannot move the finished bundle to"))?;
    let bytes = std::fs::metadata(out)
        .map_err(io(out, "cannot stat"))?
        .len();
    Ok(Written {
        path: out.to_path_buf(),
        manifest,
        bytes,
    })
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    data: &mut dyn Read,
    size: u64,
    out: &Path,
) -> Result<(), BundleError> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    tar.append_data(&mut h, name, data)
        .map_err(io(out, "cannot write"))
}

/// Reads a bundle into `dest` (created; it must be empty or absent), with
/// every check listed in the module documentation. Returns its manifest.
pub fn extract(bundle: &Path, dest: &Path, max_size: u64) -> Result<Manifest, BundleError> {
    let existed = dest.exists();
    let result = extract_into(bundle, dest, max_size);
    if result.is_err() {
        // Nothing of a refused bundle is kept (the folder was empty).
        if existed {
            if let Ok(entries) = std::fs::read_dir(dest) {
                for e in entries.flatten() {
                    let p = e.path();
                    let _ = if p.is_dir() {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                }
            }
        } else {
            let _ = std::fs::remove_dir_all(dest);
        }
    }
    result
}

fn extract_into(bundle: &Path, dest: &Path, max_size: u64) -> Result<Manifest, BundleError> {
    let damaged = |why: String| BundleError::Damaged {
        bundle: bundle.to_path_buf(),
        why,
    };
    let refused = |why: String| BundleError::Refused {
        bundle: bundle.to_path_buf(),
        why,
    };
    if dest.exists()
        && std::fs::read_dir(dest)
            .map_err(io(dest, "cannot list"))?
            .next()
            .is_some()
    {
        return Err(BundleError::Other(format!(
            "{}: the folder to unpack into is not empty",
            dest.display()
        )));
    }
    std::fs::create_dir_all(dest).map_err(io(dest, "cannot create"))?;
    let mut archive = open_archive(bundle)?;
    let mut entries = archive
        .entries()
        .map_err(|e| damaged(format!("cannot read the archive ({e})")))?;
    let (manifest, json) = manifest_member(bundle, &mut entries)?;
    if manifest.format != FORMAT {
        return Err(refused(format!(
            "format `{}`; this mer reads {FORMAT}",
            manifest.format
        )));
    }
    let mut expected: BTreeMap<&str, &DataFile> = BTreeMap::new();
    let mut total: u64 = 0;
    for f in &manifest.files {
        safe_relative(&f.path).map_err(|why| refused(format!("member `{}`: {why}", f.path)))?;
        if expected.insert(f.path.as_str(), f).is_some() {
            return Err(refused(format!("member `{}` is listed twice", f.path)));
        }
        total = total.saturating_add(f.size);
    }
    if total > max_size {
        return Err(refused(format!(
            "it unpacks to {total} bytes, more than the limit of {max_size} (raise it with --max-size)"
        )));
    }
    write_file(&dest.join(MANIFEST), &json)?;

    let mut seen: BTreeSet<String> = BTreeSet::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(format!("cannot read a member ({e})")))?;
        let name = entry_name(&entry).map_err(&damaged)?;
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::Directory {
            continue;
        }
        if kind != tar::EntryType::Regular {
            return Err(refused(format!(
                "member `{name}` is a {kind:?}, not a plain file; bundles hold plain files only"
            )));
        }
        let Some(f) = expected.get(name.as_str()) else {
            return Err(refused(format!(
                "member `{name}` is not listed in {MANIFEST}"
            )));
        };
        if !seen.insert(name.clone()) {
            return Err(refused(format!("member `{name}` appears twice")));
        }
        if entry.size() != f.size {
            return Err(damaged(format!(
                "member `{name}` holds {} bytes, {MANIFEST} says {}",
                entry.size(),
                f.size
            )));
        }
        let path = dest.join(from_slashes(&f.path));
        let parent = path.parent().expect("under dest");
        std::fs::create_dir_all(parent).map_err(io(parent, "cannot create"))?;
        let mut out = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io(&path, "cannot create"))?;
        let mut h = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut left = f.size;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = entry
                .read(&mut buf[..want])
                .map_err(|e| damaged(format!("member `{name}`: {e}")))?;
            if n == 0 {
                return Err(damaged(format!(
                    "member `{name}` ends {left} bytes early: the bundle is truncated"
                )));
            }
            h.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(io(&path, "cannot write"))?;
            left -= n as u64;
        }
        if h.finalize().to_hex().as_str() != f.blake3 {
            return Err(damaged(format!(
                "member `{name}`: its content does not match the blake3 {MANIFEST} records"
            )));
        }
    }
    let missing: Vec<&str> = expected
        .keys()
        .filter(|k| !seen.contains(**k))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(damaged(format!(
            "{} member(s) listed in {MANIFEST} are missing (the bundle is truncated?), first `{}`",
            missing.len(),
            missing[0]
        )));
    }
    Ok(manifest)
}

/// The member's path as UTF-8 text.
fn entry_name<R: Read>(e: &tar::Entry<'_, R>) -> Result<String, String> {
    let bytes = e.path_bytes();
    std::str::from_utf8(&bytes)
        .map(str::to_string)
        .map_err(|_| "a member's path is not UTF-8".into())
}

/// A member path is relative, `/`-separated, of plain components.
fn safe_relative(p: &str) -> Result<(), String> {
    if p.is_empty() || p.len() > 4096 {
        return Err("empty or overlong path".into());
    }
    if p.contains('\\') || p.contains('\0') || p.contains(':') {
        return Err("a path may not hold `\\`, `:` or NUL".into());
    }
    for part in p.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err("a path may not be absolute or hold `.`, `..` or empty parts".into());
        }
    }
    if Path::new(p)
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err("a path must be relative".into());
    }
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent, "cannot create"))?;
    }
    std::fs::write(path, bytes).map_err(io(path, "cannot write"))
}

fn hash_file(path: &Path) -> Result<(u64, String), BundleError> {
    let mut h = blake3::Hasher::new();
    let file = std::fs::File::open(path).map_err(io(path, "cannot open"))?;
    let n = std::io::copy(&mut std::io::BufReader::new(file), &mut h)
        .map_err(io(path, "cannot read"))?;
    Ok((n, h.finalize().to_hex().to_string()))
}

fn walk_files(dir: &Path) -> Result<Vec<PathBuf>, BundleError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(io(&d, "cannot list"))? {
            let e = e.map_err(io(&d, "cannot list"))?;
            let p = e.path();
            let ft = e.file_type().map_err(io(&p, "cannot stat"))?;
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn reader_readme(
    experiment: &str,
    trials: usize,
    datasets: &[BundledDataset],
    specs: &BTreeMap<String, String>,
) -> String {
    let mut s = format!(
        "# Replication bundle of experiment `{experiment}`\n\n\
         Written by mer {} (git {}{}, {}).\n\n\
         ## What is inside\n\n\
         - `results.db`: the experiment's {trials} recorded trials (configurations, per-fold metrics, every test prediction, splits, provenance) as a standalone SQLite database (schema in mer's `migrations/`).\n\
         - `results.artifacts/<trial>/`: each trial's fitted models and network weights (what `mer predict` reads).\n\
         - `specs/`: the experiment specs the trials were run from ({}).\n\
         - `Cargo.lock`: the exact versions of every dependency of the mer that ran it.\n\
         - `inputs/`: the lexicon and embedding files the trials read, if any.\n\
         - `bundle.json`: every file's size and blake3, and each dataset's files with theirs.\n",
        provenance::CRATE_VERSION,
        provenance::GIT_COMMIT,
        if provenance::GIT_DIRTY == "true" {
            ", with uncommitted changes"
        } else {
            ""
        },
        provenance::RUSTC_VERSION,
        specs.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    for (i, d) in datasets.iter().enumerate() {
        s.push_str(&format!(
            "- dataset {i} (`{}`, {} files, fingerprint {}): {}\n",
            d.kind,
            d.files.len(),
            &d.fingerprint[..16.min(d.fingerprint.len())],
            if d.bundled {
                format!("the files are under `data/{i}/`")
            } else {
                format!(
                    "not included; it was read from `{}` (pass your copy with --data-root)",
                    d.root
                )
            }
        ));
    }
    s.push_str(
        "\n## Using it\n\n\
         - Regenerate the paper's tables without re-running anything: `mer report BUNDLE.mer.tar.zst`.\n\
         - Reproduce every trial: `mer reproduce BUNDLE.mer.tar.zst [--data-root DIR] [--jobs N]`. The data is checked file by file against `bundle.json` first (every missing or changed file is named; changed data is refused unless --allow-changed-data); the trials are re-run and compared with the recorded ones, and the reproduction report goes to `reports/<experiment>/reproduction.{md,html,csv}`.\n\
         - Nothing in a bundle is executed; opening one checks every path and size first.\n",
    );
    s
}

/// Reads only a bundle's manifest (its first member).
pub fn read_manifest(bundle: &Path) -> Result<Manifest, BundleError> {
    let mut archive = open_archive(bundle)?;
    let mut entries = archive.entries().map_err(|e| BundleError::Damaged {
        bundle: bundle.to_path_buf(),
        why: format!("cannot read the archive ({e})"),
    })?;
    Ok(manifest_member(bundle, &mut entries)?.0)
}

type Archive = tar::Archive<zstd::stream::Decoder<'static, std::io::BufReader<std::fs::File>>>;

fn open_archive(bundle: &Path) -> Result<Archive, BundleError> {
    let file = std::fs::File::open(bundle).map_err(io(bundle, "cannot open"))?;
    let dec = zstd::stream::Decoder::new(file).map_err(|e| BundleError::Damaged {
        bundle: bundle.to_path_buf(),
        why: format!("not zstd-compressed ({e})"),
    })?;
    Ok(tar::Archive::new(dec))
}

/// The first member, which must be the manifest (at most 64 MiB): parsed,
/// and its bytes.
fn manifest_member<R: Read>(
    bundle: &Path,
    entries: &mut tar::Entries<'_, R>,
) -> Result<(Manifest, Vec<u8>), BundleError> {
    let damaged = |why: String| BundleError::Damaged {
        bundle: bundle.to_path_buf(),
        why,
    };
    let refused = |why: String| BundleError::Refused {
        bundle: bundle.to_path_buf(),
        why,
    };
    let mut first = match entries.next() {
        Some(e) => e.map_err(|e| damaged(format!("cannot read the first member ({e})")))?,
        None => return Err(damaged("the archive is empty".into())),
    };
    let name = entry_name(&first).map_err(&damaged)?;
    if name != MANIFEST || first.header().entry_type() != tar::EntryType::Regular {
        return Err(refused(format!(
            "not a mer bundle: the first member is `{name}`, not {MANIFEST}"
        )));
    }
    if first.size() > MAX_MANIFEST {
        return Err(refused(format!(
            "{MANIFEST} declares {} bytes, more than the {MAX_MANIFEST} a manifest may have",
            first.size()
        )));
    }
    let mut json = Vec::new();
    (&mut first)
        .take(MAX_MANIFEST)
        .read_to_end(&mut json)
        .map_err(|e| damaged(format!("cannot read {MANIFEST} ({e})")))?;
    let manifest = serde_json::from_slice(&json)
        .map_err(|e| damaged(format!("{MANIFEST} is not a bundle manifest ({e})")))?;
    Ok((manifest, json))
}

/// Whether `path` looks like a bundle (a zstd frame), not a spec or a name.
pub fn is_bundle(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    path.is_file()
        && std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
        && magic == [0x28, 0xb5, 0x2f, 0xfd]
}

/// Unpacks a bundle into `workdir` for `mer reproduce`, or finds it already
/// unpacked there (the same manifest): a second `mer reproduce` of the same
/// bundle resumes where the first stopped.
pub fn unpack(bundle: &Path, workdir: &Path, max_size: u64) -> Result<Manifest, BundleError> {
    let existing = workdir.join(MANIFEST);
    if existing.is_file() {
        let there: Manifest = serde_json::from_slice(
            &std::fs::read(&existing).map_err(io(&existing, "cannot read"))?,
        )
        .map_err(|e| BundleError::Other(format!("{}: {e}", existing.display())))?;
        if there == read_manifest(bundle)? {
            return Ok(there);
        }
        return Err(BundleError::Other(format!(
            "{}: holds the reproduction of another bundle; choose another --workdir",
            workdir.display()
        )));
    }
    extract(bundle, workdir, max_size)
}

/// Where each lexicon or embeddings file of an unpacked bundle is now,
/// keyed by the path the trials recorded.
pub fn placed_inputs(manifest: &Manifest, workdir: &Path) -> BTreeMap<PathBuf, PathBuf> {
    manifest
        .inputs
        .iter()
        .map(|i| {
            (
                PathBuf::from(&i.recorded),
                workdir.join(from_slashes(&i.member)),
            )
        })
        .collect()
}

/// One dataset of a bundle as found on this machine.
#[derive(Debug, Clone)]
pub struct DataCheck {
    pub index: usize,
    pub kind: String,
    /// Where its files were looked for.
    pub root: PathBuf,
    pub problems: Vec<mer_data::files::FileProblem>,
}

/// Places each dataset of an unpacked bundle (bundled files, or `data_root`
/// for data supplied by the reader) and checks its files against the
/// bundle's fingerprints. Returns the checks and the dataset configs to run
/// on, keyed by the recorded config's JSON.
pub fn place_data(
    manifest: &Manifest,
    workdir: &Path,
    data_root: Option<&Path>,
    cache_dir: &Path,
) -> Result<(Vec<DataCheck>, BTreeMap<String, DatasetConfig>), BundleError> {
    let mut checks = Vec::new();
    let mut overrides = BTreeMap::new();
    let single = manifest.datasets.len() == 1;
    for (i, d) in manifest.datasets.iter().enumerate() {
        let unpacked = workdir.join("data").join(i.to_string());
        let root = match (&d.config, data_root) {
            (DatasetConfig::Synthetic(c), _) if d.bundled => {
                // Where the generator would write it: the bundled copy is
                // used (and checked) instead of generating anew.
                let target = mer_data::synthetic::output_dir(c, cache_dir);
                if !target.exists() && unpacked.is_dir() {
                    let parent = target.parent().expect("under the cache");
                    std::fs::create_dir_all(parent).map_err(io(parent, "cannot create"))?;
                    std::fs::rename(&unpacked, &target)
                        .map_err(io(&target, "cannot move data to"))?;
                }
                target
            }
            (_, Some(dr)) if single => dr.to_path_buf(),
            (_, Some(dr)) => dr.join(i.to_string()),
            (_, None) if d.bundled => unpacked,
            (_, None) => PathBuf::from(&d.root),
        };
        let problems = mer_data::files::check_files(&root, &d.files, cache_dir)?;
        overrides.insert(
            serde_json::to_string(&d.config).expect("serialises"),
            d.config.rebased(Path::new(&d.root), &root),
        );
        checks.push(DataCheck {
            index: i,
            kind: d.kind.clone(),
            root,
            problems,
        });
    }
    Ok((checks, overrides))
}
