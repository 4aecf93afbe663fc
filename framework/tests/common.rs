//! Helpers shared by mer's end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mer_store::Store;

pub const MER: &str = env!("CARGO_BIN_EXE_mer");

/// The password in the URL of a [`Scratch::with_postgres`] database.
pub const SCRATCH_PASSWORD: &str = "scratch-pw-9f3";

/// A scratch directory with its own database and cache.
pub struct Scratch {
    dir: tempfile::TempDir,
    /// A PostgreSQL database instead of `results.db`.
    postgres: Option<String>,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
            postgres: None,
        }
    }

    /// A scratch whose commands use a fresh database on the PostgreSQL test
    /// server (with a shared artifacts directory) when one is configured
    /// (`MER_TEST_POSTGRES_URL`), else `results.db`.
    /// The URL carries a password (the test server's trust authentication
    /// never asks for it) that must appear in no output, script or log:
    /// [`SCRATCH_PASSWORD`].
    pub fn with_postgres() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
            postgres: mer_store::testing::fresh_postgres().map(|url| {
                url.replacen(
                    "postgres://mer@",
                    &format!("postgres://mer:{SCRATCH_PASSWORD}@"),
                    1,
                )
            }),
        }
    }

    /// Where this scratch's results are.
    pub fn location(&self) -> mer_store::Location {
        match &self.postgres {
            Some(url) => mer_store::Location::Postgres(url.clone()),
            None => mer_store::Location::Sqlite(self.db()),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> PathBuf {
        self.path().join("results.db")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(MER);
        c.current_dir(self.path())
            .env("MER_DB", self.db())
            .env("MER_CACHE", self.shared_cache())
            .args(args);
        if let Some(url) = &self.postgres {
            c.env("MER_DB", url)
                .env("MER_ARTIFACTS", self.path().join("artifacts"));
        }
        c
    }

    /// The synthetic data and feature cache are shared between tests (the
    /// cache is keyed by content, and writes are atomic), so each test does
    /// not regenerate the same audio.
    pub fn shared_cache(&self) -> PathBuf {
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("mer-cli-cache")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub fn store(&self) -> Store {
        Store::open_existing_at(&self.location()).unwrap()
    }

    /// The dataset of a spec, as a sweep in this directory reads it.
    pub fn dataset(&self, spec: &Path) -> mer_data::Dataset {
        let mut cfg = mer_spec::Spec::load(spec).unwrap().settings.dataset;
        cfg.resolve_paths(self.path());
        let ctx = mer_data::LoadContext {
            cache_dir: self.shared_cache(),
        };
        mer_data::load(&cfg, &ctx).unwrap()
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs the spec `text` (named `name` in errors) into a new store in `dir`,
/// with the synthetic data and features cached across tests, and checks
/// that no trial failed.
pub fn sweep_spec(text: &str, name: &str, dir: &std::path::Path) -> mer_store::Store {
    let spec = mer_spec::Spec::parse(text, std::path::Path::new(name))
        .unwrap()
        .validate()
        .unwrap();
    let store = mer_store::Store::open(&dir.join("results.db")).unwrap();
    let mut opts = mer::run::SweepOptions::new(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mer-structure-cache"),
    );
    opts.progress = false;
    let summary = mer::run::sweep(spec.plan(), &store, &opts).unwrap();
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    store
}

/// How many trials a `mer worker` says it completed (`worker ...: N
/// trial(s) completed, ...`).
pub fn completed_by_worker(out: &str) -> usize {
    out.split(" trial(s) completed")
        .next()
        .and_then(|h| h.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no worker summary in: {out}"))
}
