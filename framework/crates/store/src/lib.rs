//! The results store (sqlx over SQLite). The only place SQL appears.
//!
//! # Contract
//! Every backend of this module keeps these promises, and the contract tests
//! in `framework/crates/store/tests/contract.rs` check them:
//! - A trial is created `pending`, is claimed `running` by exactly one worker
//!   (a claim is a single conditional UPDATE, so two processes never both win),
//!   and ends `completed` or `failed`. A finished trial is immutable: its row,
//!   metrics and predictions can neither change nor be deleted (enforced by
//!   triggers in `migrations/`). A re-run is a new row linked to its origin.
//! - There is one primary row per trial key (`mer_spec::TrialKey`, stored as text); a sweep
//!   that registers a key twice gets the existing row back.
//! - A `running` trial whose worker is gone (dead process on this host, or a
//!   heartbeat older than the stale limit) can be marked `interrupted`, and an
//!   interrupted trial can be claimed again; the partial rows of the earlier
//!   attempt are removed when it is re-claimed.
//! - Completing a trial writes its metrics, predictions, skipped tracks and
//!   split manifest and flips its status in ONE transaction: a crash leaves
//!   either all of them or none.
//! - NaN and infinities are stored explicitly (a `nonfinite` column beside the
//!   value) and read back bit-for-bit as NaN/inf.
//! - Reads return snapshots; times are UTC RFC 3339 strings.
//!
//! SQLite runs in WAL mode with a busy timeout and foreign keys on; every
//! multi-statement write starts with `BEGIN IMMEDIATE`, so concurrent writers
//! wait for each other instead of failing with "database is locked".
//! Migrations are embedded with `sqlx::migrate!` and applied under an
//! exclusive file lock, so several processes can open a new database at once.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

/// How long a writer waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../../migrations");

/// Errors of the results store. Every variant names the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot open the results database: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error("{path}: no results database here (run a sweep first, or pass --db / MER_DB)")]
    Missing { path: PathBuf },
    #[error("{path}: cannot lock the database for migration: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: the database schema is newer than this mer (it has migration {version} \
         that this build does not know); upgrade mer, the data is untouched"
    )]
    NewerSchema { path: PathBuf, version: i64 },
    #[error(
        "{path}: not a mer results database (it holds {tables}); mer leaves it untouched: \
         pass another --db"
    )]
    Foreign { path: PathBuf, tables: String },
    #[error(
        "{path}: the database is at schema version {found}, this mer reads version {latest}; \
         upgrade it in place with `mer db upgrade` (listing, showing and reporting never write)"
    )]
    OldSchema {
        path: PathBuf,
        found: i64,
        latest: i64,
    },
    #[error("{path}: cannot migrate the database schema: {source}")]
    Migrate {
        path: PathBuf,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("{path}: {what}: {source}")]
    Query {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("{path}: {what}: stored value is not valid: {detail}")]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("{path}: no trial matches `{query}`")]
    NoSuchTrial { path: PathBuf, query: String },
    #[error("{path}: `{query}` is ambiguous: it matches trials {matches}")]
    AmbiguousTrial {
        path: PathBuf,
        query: String,
        matches: String,
    },
    #[error("{path}: no experiment named `{name}` (known: {known})")]
    NoSuchExperiment {
        path: PathBuf,
        name: String,
        known: String,
    },
    #[error(
        "{path}: trial {trial} is no longer running under worker {worker} \
         (another process took it over); its result was not recorded"
    )]
    LostClaim {
        path: PathBuf,
        trial: i64,
        worker: String,
    },
    #[error("cannot start the store's async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Lifecycle state of a trial row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Interrupted,
}

impl TrialStatus {
    pub const ALL: [TrialStatus; 5] = [
        TrialStatus::Pending,
        TrialStatus::Running,
        TrialStatus::Completed,
        TrialStatus::Failed,
        TrialStatus::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrialStatus::Pending => "pending",
            TrialStatus::Running => "running",
            TrialStatus::Completed => "completed",
            TrialStatus::Failed => "failed",
            TrialStatus::Interrupted => "interrupted",
        }
    }

    /// Completed and failed trials are finished, and immutable.
    pub fn is_finished(self) -> bool {
        matches!(self, TrialStatus::Completed | TrialStatus::Failed)
    }
}

impl std::fmt::Display for TrialStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TrialStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrialStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| unknown("trial status", s, TrialStatus::ALL.map(TrialStatus::as_str)))
    }
}

/// `unknown split `x`, expected one of: train, validation, test`.
fn unknown<const N: usize>(what: &str, found: &str, expected: [&str; N]) -> String {
    format!(
        "unknown {what} `{found}`, expected one of: {}",
        expected.join(", ")
    )
}

/// Why a trial row exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrialReason {
    /// Created by a sweep for a key it had not seen.
    Sweep,
    /// Re-run by `mer sweep --force`.
    Force,
    /// Re-run of a failed trial by `mer sweep --retry-failed`.
    Retry,
    /// Re-run by `mer rerun` to check reproducibility.
    Rerun,
}

impl TrialReason {
    pub const ALL: [TrialReason; 4] = [
        TrialReason::Sweep,
        TrialReason::Force,
        TrialReason::Retry,
        TrialReason::Rerun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrialReason::Sweep => "sweep",
            TrialReason::Force => "force",
            TrialReason::Retry => "retry",
            TrialReason::Rerun => "rerun",
        }
    }
}

impl FromStr for TrialReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrialReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| unknown("trial reason", s, TrialReason::ALL.map(TrialReason::as_str)))
    }
}

/// Which data a metric was computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];

    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

impl FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Split::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| unknown("split", s, Split::ALL.map(Split::as_str)))
    }
}

/// A trial as the sweep registers it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrial {
    pub key: String,
    pub modality: String,
    pub architecture: String,
    pub labels: String,
    pub task: String,
    pub seed: u64,
    /// The swept hyper-parameters that apply to this trial, as a JSON object.
    pub params_json: String,
    /// The canonical resolved configuration.
    pub config_json: String,
}

/// A stored trial row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialRow {
    pub id: i64,
    pub key: String,
    pub experiment: String,
    pub sweep_id: Option<i64>,
    pub dataset_fingerprint: String,
    pub origin_trial_id: Option<i64>,
    pub reason: TrialReason,
    pub modality: String,
    pub architecture: String,
    pub labels: String,
    pub task: String,
    pub seed: u64,
    pub params_json: String,
    pub config_json: String,
    pub status: TrialStatus,
    pub attempts: i64,
    pub worker: Option<String>,
    pub heartbeat_at: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_s: Option<f64>,
    pub error: Option<String>,
    pub classes: Option<Vec<String>>,
    pub split_hash: Option<String>,
}

/// One metric value: per split, fold, and (for neural nets) epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    pub split: Split,
    pub fold: i64,
    /// `None`: the fold's final model. `Some(e)`: after epoch `e` (1-based).
    pub epoch: Option<i64>,
    pub name: String,
    pub value: f64,
}

/// One prediction for one track, fold and target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionRow {
    pub fold: i64,
    pub track_id: String,
    /// `class` for classification, otherwise the regression target's name.
    pub target: String,
    pub y_true: f64,
    pub y_pred: f64,
    /// Class probabilities (or decision scores), in class order.
    pub scores: Option<Vec<f64>>,
    /// Model-specific extras, e.g. `{"alpha": 0.7}` for gated fusion.
    pub extra: Option<serde_json::Value>,
}

/// A track left out of a trial, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SkippedTrack {
    pub track_id: String,
    pub stage: String,
    pub reason: String,
}

/// A file a trial produced (e.g. model weights).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ArtifactRow {
    pub fold: Option<i64>,
    pub kind: String,
    pub path: String,
    pub sha256: String,
    pub bytes: i64,
}

/// Everything a finished trial records, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrialResult {
    pub metrics: Vec<MetricRow>,
    pub predictions: Vec<PredictionRow>,
    pub skipped: Vec<SkippedTrack>,
    pub artifacts: Vec<ArtifactRow>,
    pub classes: Option<Vec<String>>,
    /// `(hash, manifest JSON)` of the folds the trial used.
    pub split: Option<(String, String)>,
    pub duration_s: f64,
}

/// Provenance recorded before a trial trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub spec_path: String,
    pub spec_text: String,
    pub spec_hash: String,
    pub config_json: String,
    pub seeds: Vec<u64>,
    pub dataset_fingerprint: String,
    pub extractors: Vec<String>,
    pub git_commit: String,
    pub git_dirty: Option<bool>,
    pub crate_version: String,
    pub rustc_version: String,
    pub host: String,
    pub os: String,
    pub threads: i64,
    pub backend: String,
    pub recorded_at: String,
    /// blake3 of the `Cargo.lock` mer was built with (`None`: recorded
    /// before schema 2).
    #[serde(default)]
    pub lock_hash: Option<String>,
    /// The CPU's architecture and the SIMD features detected at run time,
    /// e.g. `x86_64: avx,avx2,fma,sse4.2` (`None`: before schema 2).
    #[serde(default)]
    pub cpu_features: Option<String>,
}

/// A dataset as a sweep saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDataset {
    pub fingerprint: String,
    pub name: String,
    pub kind: String,
    pub n_tracks: i64,
    pub config_json: String,
    pub summary_json: String,
}

/// A sweep run as it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSweep {
    pub experiment_id: i64,
    pub spec_path: String,
    pub spec_text: String,
    pub spec_hash: String,
    pub planned: i64,
    pub worker: String,
}

/// Final state of a sweep run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepStatus {
    Completed,
    Failed,
    Interrupted,
}

/// An experiment and how many trials it holds per status.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ExperimentRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub trials: i64,
    pub completed: i64,
    pub failed: i64,
}

/// Which trials `trials()` returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrialFilter {
    pub experiment: Option<String>,
    pub status: Option<TrialStatus>,
    /// Include `mer rerun` rows (they are checks, not results).
    pub include_reruns: bool,
}

/// One finished attempt at a trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AttemptRow {
    pub attempt: i64,
    pub worker: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: String,
    /// `completed`, `failed` or `interrupted`.
    pub outcome: String,
    pub error: Option<String>,
}

/// A metric of a trial, joined with the trial's identity: what reports read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentMetric {
    pub trial_id: i64,
    pub split: Split,
    pub fold: i64,
    pub name: String,
    pub value: f64,
}

/// The current time as a UTC RFC 3339 string with milliseconds.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// Parses a time written by [`now_rfc3339`].
pub fn parse_time(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(s).ok()
}

/// Splits a float into the stored `(value, nonfinite)` pair.
fn encode_f64(v: f64) -> (Option<f64>, Option<&'static str>) {
    if v.is_nan() {
        (None, Some("nan"))
    } else if v == f64::INFINITY {
        (None, Some("inf"))
    } else if v == f64::NEG_INFINITY {
        (None, Some("-inf"))
    } else {
        (Some(v), None)
    }
}

fn decode_f64(value: Option<f64>, nonfinite: Option<&str>) -> Result<f64, String> {
    match (value, nonfinite) {
        (Some(v), None) => Ok(v),
        (None, Some("nan")) => Ok(f64::NAN),
        (None, Some("inf")) => Ok(f64::INFINITY),
        (None, Some("-inf")) => Ok(f64::NEG_INFINITY),
        (v, n) => Err(format!("value {v:?} with nonfinite marker {n:?}")),
    }
}

/// The results store: a synchronous facade over an sqlx pool.
pub struct Store {
    rt: tokio::runtime::Runtime,
    pool: SqlitePool,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// `<db>.lock`, the file migrations lock.
fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// The store's own runtime: one worker thread.
fn runtime() -> Result<tokio::runtime::Runtime, StoreError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mer-store")
        .enable_all()
        .build()
        .map_err(StoreError::Runtime)
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema
    /// up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_with(path, true)
    }

    /// Opens an existing database; a missing file is an error, not a new store.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        Self::open_with(path, false)
    }

    /// Opens an existing database for reading only: nothing is created,
    /// migrated or switched to WAL, and no lock file is written. A database
    /// that is not mer's, or whose schema is older or newer than this build's,
    /// is refused untouched.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let path = path.to_path_buf();
        let rt = runtime()?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = rt
            .block_on(
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(BUSY_TIMEOUT * 2)
                    .connect_with(options),
            )
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        let store = Store { rt, pool, path };
        if store.table_names()?.is_empty() {
            return Err(StoreError::Missing {
                path: store.path.clone(),
            });
        }
        store.check_ours()?;
        let found: i64 = store
            .rt
            .block_on(
                sqlx::query_scalar(
                    "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
                )
                .fetch_one(&store.pool),
            )
            .map_err(store.q("reading the schema version"))?;
        let latest = Self::schema_version();
        if found > latest {
            return Err(StoreError::NewerSchema {
                path: store.path.clone(),
                version: found,
            });
        }
        if found < latest {
            return Err(StoreError::OldSchema {
                path: store.path.clone(),
                found,
                latest,
            });
        }
        Ok(store)
    }

    /// The names of the tables in the database.
    fn table_names(&self) -> Result<Vec<String>, StoreError> {
        self.rt
            .block_on(
                sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .fetch_all(&self.pool),
            )
            .map_err(self.q("listing the tables"))
    }

    /// Refuses a database that holds tables and is not mer's: no migration
    /// table, or one recording a migration whose checksum is not mer's
    /// (another sqlx application). A migration table alone is a mer
    /// database being created by another process.
    fn check_ours(&self) -> Result<(), StoreError> {
        let tables = self.table_names()?;
        let foreign = |what: String| StoreError::Foreign {
            path: self.path.clone(),
            tables: what,
        };
        if tables.is_empty() {
            return Ok(());
        }
        if !tables.iter().any(|t| t == "_sqlx_migrations") {
            let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
            return Err(foreign(format!(
                "the table(s) {}{}",
                shown.join(", "),
                if tables.len() > 5 { ", ..." } else { "" }
            )));
        }
        let applied: Vec<(i64, Vec<u8>)> = self
            .rt
            .block_on(
                sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations")
                    .fetch_all(&self.pool),
            )
            .map_err(self.q("reading the migrations"))?;
        for (version, checksum) in applied {
            if let Some(m) = MIGRATOR.iter().find(|m| m.version == version)
                && *m.checksum != *checksum
            {
                return Err(foreign(format!(
                    "a migration {version} that differs from this mer's: another \
                     application's, or one of an unreleased development build of mer"
                )));
            }
        }
        Ok(())
    }

    fn open_with(path: &Path, create: bool) -> Result<Store, StoreError> {
        // A file that is there is checked before anything writes to it (WAL,
        // migrations, the lock file).
        if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
            && let Err(e @ (StoreError::Foreign { .. } | StoreError::NewerSchema { .. })) =
                Self::open_read_only(path)
        {
            return Err(e);
        }
        let path = path.to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Lock {
                path: path.clone(),
                source,
            })?;
        }
        let rt = runtime()?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // Switching a new database to WAL takes a lock SQLite does not wait
        // for (no busy handler); when several processes open a new database
        // at once, the losers retry for as long as a writer would wait.
        let started = std::time::Instant::now();
        let pool = loop {
            let attempt = rt.block_on(
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(BUSY_TIMEOUT * 2)
                    .connect_with(options.clone()),
            );
            match attempt {
                Err(sqlx::Error::Database(e))
                    if e.code().as_deref() == Some("5") && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => {
                    break other.map_err(|source| StoreError::Open {
                        path: path.clone(),
                        source,
                    })?;
                }
            }
        };
        let store = Store { rt, pool, path };
        store.migrate()?;
        Ok(store)
    }

    /// Applies pending migrations under an exclusive lock on `<db>.lock`, so
    /// processes that open a fresh database together do not race.
    fn migrate(&self) -> Result<(), StoreError> {
        let lock_path = lock_path(&self.path);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::Lock {
                path: self.path.clone(),
                source,
            })?;
        lock.lock().map_err(|source| StoreError::Lock {
            path: self.path.clone(),
            source,
        })?;
        let result = self.rt.block_on(MIGRATOR.run(&self.pool));
        let _ = lock.unlock();
        match result {
            Ok(()) => Ok(()),
            Err(sqlx::migrate::MigrateError::VersionMissing(version)) => {
                Err(StoreError::NewerSchema {
                    path: self.path.clone(),
                    version,
                })
            }
            Err(source) => Err(StoreError::Migrate {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest schema version this build knows.
    pub fn schema_version() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    fn q(&self, what: &'static str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        move |source| StoreError::Query {
            path: self.path.clone(),
            what,
            source,
        }
    }

    fn corrupt(&self, what: &'static str, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what,
            detail: detail.into(),
        }
    }

    async fn begin_immediate(
        &self,
        what: &'static str,
    ) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(self.q(what))
    }

    /// `PRAGMA integrity_check`: `"ok"` for a healthy database.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.rt.block_on(async {
            let rows = sqlx::query("PRAGMA integrity_check")
                .fetch_all(&self.pool)
                .await
                .map_err(self.q("integrity check"))?;
            let lines: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()
                .map_err(self.q("integrity check"))?;
            Ok(lines.join("\n"))
        })
    }

    // ----- experiments, datasets, sweeps ---------------------------------

    /// Returns the id of the experiment `name`, creating it if new. The
    /// description is updated to the latest spec's.
    pub fn ensure_experiment(&self, name: &str, description: &str) -> Result<i64, StoreError> {
        self.rt.block_on(async {
            let what = "register experiment";
            let row = sqlx::query(
                "INSERT INTO experiments (name, description, created_at) VALUES (?, ?, ?)
                 ON CONFLICT(name) DO UPDATE SET description = excluded.description
                 RETURNING id",
            )
            .bind(name)
            .bind(description)
            .bind(now_rfc3339())
            .fetch_one(&self.pool)
            .await
            .map_err(self.q(what))?;
            row.try_get::<i64, _>(0).map_err(self.q(what))
        })
    }

    /// Returns the id of the dataset with this fingerprint, recording it if new.
    pub fn ensure_dataset(&self, d: &NewDataset) -> Result<i64, StoreError> {
        self.rt.block_on(async {
            let what = "register dataset";
            let row = sqlx::query(
                "INSERT INTO datasets (fingerprint, name, kind, n_tracks, config_json, summary_json, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(fingerprint) DO UPDATE SET fingerprint = excluded.fingerprint
                 RETURNING id",
            )
            .bind(&d.fingerprint)
            .bind(&d.name)
            .bind(&d.kind)
            .bind(d.n_tracks)
            .bind(&d.config_json)
            .bind(&d.summary_json)
            .bind(now_rfc3339())
            .fetch_one(&self.pool)
            .await
            .map_err(self.q(what))?;
            row.try_get::<i64, _>(0).map_err(self.q(what))
        })
    }

    /// Records the start of a sweep run.
    pub fn begin_sweep(&self, s: &NewSweep) -> Result<i64, StoreError> {
        self.rt.block_on(async {
            let what = "record sweep";
            let row = sqlx::query(
                "INSERT INTO sweeps (experiment_id, spec_path, spec_text, spec_hash, planned, worker, started_at, status)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'running') RETURNING id",
            )
            .bind(s.experiment_id)
            .bind(&s.spec_path)
            .bind(&s.spec_text)
            .bind(&s.spec_hash)
            .bind(s.planned)
            .bind(&s.worker)
            .bind(now_rfc3339())
            .fetch_one(&self.pool)
            .await
            .map_err(self.q(what))?;
            row.try_get::<i64, _>(0).map_err(self.q(what))
        })
    }

    /// Records how a sweep run ended.
    pub fn finish_sweep(&self, sweep_id: i64, status: SweepStatus) -> Result<(), StoreError> {
        let status = match status {
            SweepStatus::Completed => "completed",
            SweepStatus::Failed => "failed",
            SweepStatus::Interrupted => "interrupted",
        };
        self.rt.block_on(async {
            sqlx::query("UPDATE sweeps SET status = ?, finished_at = ? WHERE id = ?")
                .bind(status)
                .bind(now_rfc3339())
                .bind(sweep_id)
                .execute(&self.pool)
                .await
                .map_err(self.q("finish sweep"))?;
            Ok(())
        })
    }

    /// The latest sweep of `experiment_id` recorded under `spec_path` and
    /// `spec_hash` that did not finish (`running`: its process may have been
    /// killed; `interrupted`): what a repeated command resumes.
    pub fn unfinished_sweep(
        &self,
        experiment_id: i64,
        spec_path: &str,
        spec_hash: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.rt.block_on(async {
            sqlx::query_scalar(
                "SELECT id FROM sweeps
                 WHERE experiment_id = ? AND spec_path = ? AND spec_hash = ?
                   AND status IN ('running', 'interrupted')
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(experiment_id)
            .bind(spec_path)
            .bind(spec_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.q("find unfinished sweep"))
        })
    }

    /// Every trial row a sweep created or registered, by id.
    pub fn sweep_trials(&self, sweep_id: i64) -> Result<Vec<TrialRow>, StoreError> {
        self.rt.block_on(async {
            let rows = sqlx::query(TRIAL_SELECT_SWEEP)
                .bind(sweep_id)
                .fetch_all(&self.pool)
                .await
                .map_err(self.q("list sweep trials"))?;
            rows.iter().map(|r| self.trial_from_row(r)).collect()
        })
    }

    /// Writes `experiment`'s rows (the experiment, its sweeps, datasets,
    /// splits, trials and everything they own) into a new database at
    /// `dest` (which must not exist) with the same ids, so artifact folders
    /// keyed by trial id stay valid. The new file is self-contained (no WAL
    /// beside it) and enforces the same contract: its triggers are dropped
    /// while the finished rows are copied and put back after. Returns the
    /// number of trials written.
    pub fn export_experiment(&self, experiment: &str, dest: &Path) -> Result<usize, StoreError> {
        let exp = self.experiment(experiment)?;
        if dest.exists() {
            return Err(StoreError::Open {
                path: dest.to_path_buf(),
                source: sqlx::Error::Protocol("the export target already exists".into()),
            });
        }
        let out = Store::open(dest)?;
        let src = self.path.to_string_lossy().into_owned();
        let n = out.rt.block_on(async {
            let what = "export experiment";
            let mut conn = out.pool.acquire().await.map_err(out.q(what))?;
            sqlx::query("ATTACH DATABASE ? AS src")
                .bind(&src)
                .execute(&mut *conn)
                .await
                .map_err(out.q(what))?;
            let triggers: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' ORDER BY name",
            )
            .fetch_all(&mut *conn)
            .await
            .map_err(out.q(what))?;
            let mut tx = sqlx::Connection::begin(&mut *conn)
                .await
                .map_err(out.q(what))?;
            for (name, _) in &triggers {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TRIGGER main.\"{name}\"")))
                    .execute(&mut *tx)
                    .await
                    .map_err(out.q(what))?;
            }
            const COPIES: [&str; 11] = [
                "INSERT INTO main.experiments SELECT * FROM src.experiments WHERE id = ?1",
                "INSERT INTO main.datasets SELECT * FROM src.datasets
                 WHERE id IN (SELECT dataset_id FROM src.trials WHERE experiment_id = ?1)",
                "INSERT INTO main.sweeps SELECT * FROM src.sweeps WHERE experiment_id = ?1",
                "INSERT INTO main.splits SELECT * FROM src.splits
                 WHERE hash IN (SELECT split_hash FROM src.trials WHERE experiment_id = ?1)",
                "INSERT INTO main.trials SELECT * FROM src.trials WHERE experiment_id = ?1",
                "INSERT INTO main.provenance SELECT * FROM src.provenance
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = ?1)",
                "INSERT INTO main.trial_metrics SELECT * FROM src.trial_metrics
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = ?1)",
                "INSERT INTO main.predictions SELECT * FROM src.predictions
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = ?1)",
                "INSERT INTO main.skipped_tracks SELECT * FROM src.skipped_tracks
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = ?1)",
                "INSERT INTO main.artifacts SELECT * FROM src.artifacts
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = ?1)",
                "INSERT INTO main.trial_attempts SELECT * FROM src.trial_attempts
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = ?1)",
            ];
            for sql in COPIES {
                sqlx::query(sql)
                    .bind(exp.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(out.q(what))?;
            }
            for (_, sql) in &triggers {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut *tx)
                    .await
                    .map_err(out.q(what))?;
            }
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM main.trials")
                .fetch_one(&mut *tx)
                .await
                .map_err(out.q(what))?;
            tx.commit().await.map_err(out.q(what))?;
            sqlx::query("DETACH DATABASE src")
                .execute(&mut *conn)
                .await
                .map_err(out.q(what))?;
            Ok::<_, StoreError>(n as usize)
        })?;
        drop(out);
        // One self-contained file: the WAL folded in and switched off, by
        // the only connection left.
        self.rt.block_on(async {
            use sqlx::Connection as _;
            let what = "export experiment: leave WAL mode";
            let q = |source| StoreError::Query {
                path: dest.to_path_buf(),
                what,
                source,
            };
            let opts = SqliteConnectOptions::new().filename(dest);
            let mut conn = sqlx::SqliteConnection::connect_with(&opts)
                .await
                .map_err(q)?;
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE")
                .execute(&mut conn)
                .await
                .map_err(q)?;
            conn.close().await.map_err(q)
        })?;
        let _ = std::fs::remove_file(lock_path(dest));
        Ok(n)
    }

    /// Experiments with their trial counts, by name.
    pub fn experiments(&self) -> Result<Vec<ExperimentRow>, StoreError> {
        self.rt.block_on(async {
            sqlx::query_as(
                "SELECT e.id, e.name, e.description, e.created_at,
                        COUNT(t.id) AS trials,
                        COALESCE(SUM(t.status = 'completed'), 0) AS completed,
                        COALESCE(SUM(t.status = 'failed'), 0) AS failed
                 FROM experiments e LEFT JOIN trials t
                   ON t.experiment_id = e.id AND t.reason != 'rerun'
                 GROUP BY e.id ORDER BY e.name",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(self.q("list experiments"))
        })
    }

    fn no_such_experiment(&self, name: &str) -> StoreError {
        let known = self
            .experiments()
            .map(|e| {
                if e.is_empty() {
                    "none yet".to_string()
                } else {
                    e.iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            })
            .unwrap_or_else(|e| format!("unreadable: {e}"));
        StoreError::NoSuchExperiment {
            path: self.path.clone(),
            name: name.to_string(),
            known,
        }
    }

    /// Checks that an experiment exists, with the list of known ones if not.
    pub fn experiment(&self, name: &str) -> Result<ExperimentRow, StoreError> {
        self.experiments()?
            .into_iter()
            .find(|e| e.name == name)
            .ok_or_else(|| self.no_such_experiment(name))
    }

    // ----- trials: registration and lifecycle ------------------------------

    /// Registers the planned trials: each key gets a `pending` primary row
    /// unless it already has one. Returns the primary rows, in plan order.
    pub fn register_trials(
        &self,
        experiment_id: i64,
        sweep_id: i64,
        dataset_id: i64,
        trials: &[NewTrial],
    ) -> Result<Vec<TrialRow>, StoreError> {
        let ids = self.rt.block_on(async {
            let what = "register trials";
            let mut tx = self.begin_immediate(what).await?;
            let now = now_rfc3339();
            let mut ids = Vec::with_capacity(trials.len());
            for t in trials {
                sqlx::query(
                    "INSERT INTO trials (key, experiment_id, sweep_id, dataset_id, reason,
                        modality, architecture, labels, task, seed, params_json, config_json,
                        status, created_at)
                     VALUES (?, ?, ?, ?, 'sweep', ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                     ON CONFLICT(key) WHERE origin_trial_id IS NULL DO NOTHING",
                )
                .bind(&t.key)
                .bind(experiment_id)
                .bind(sweep_id)
                .bind(dataset_id)
                .bind(&t.modality)
                .bind(&t.architecture)
                .bind(&t.labels)
                .bind(&t.task)
                .bind(t.seed as i64)
                .bind(&t.params_json)
                .bind(&t.config_json)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
                let id: i64 = sqlx::query_scalar(
                    "SELECT id FROM trials WHERE key = ? AND origin_trial_id IS NULL",
                )
                .bind(&t.key)
                .fetch_one(&mut *tx)
                .await
                .map_err(self.q(what))?;
                ids.push(id);
            }
            tx.commit().await.map_err(self.q(what))?;
            Ok::<_, StoreError>(ids)
        })?;
        ids.into_iter().map(|id| self.trial(id)).collect()
    }

    /// Creates a new `pending` row that re-runs `origin` (for `--force`,
    /// `--retry-failed` and `mer rerun`). Returns the new row.
    pub fn add_rerun(
        &self,
        origin: &TrialRow,
        reason: TrialReason,
        sweep_id: Option<i64>,
    ) -> Result<TrialRow, StoreError> {
        let primary = origin.origin_trial_id.unwrap_or(origin.id);
        let id = self.rt.block_on(async {
            let what = "register re-run";
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO trials (key, experiment_id, sweep_id, dataset_id, origin_trial_id, reason,
                    modality, architecture, labels, task, seed, params_json, config_json,
                    status, created_at)
                 SELECT key, experiment_id, ?, dataset_id, ?, ?, modality, architecture, labels,
                        task, seed, params_json, config_json, 'pending', ?
                 FROM trials WHERE id = ?
                 RETURNING id",
            )
            .bind(sweep_id)
            .bind(primary)
            .bind(reason.as_str())
            .bind(now_rfc3339())
            .bind(origin.id)
            .fetch_one(&self.pool)
            .await
            .map_err(self.q(what))?;
            Ok::<_, StoreError>(id)
        })?;
        self.trial(id)
    }

    /// Marks `running` trials whose worker is gone as `interrupted`: those
    /// `is_dead` says are dead, and those whose heartbeat is older than
    /// `stale_after`. Returns the ids marked.
    pub fn recover_stale(
        &self,
        stale_after: Duration,
        is_dead: &dyn Fn(&str) -> bool,
        max_attempts: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let running = self.trials_with_status(TrialStatus::Running)?;
        let now = SystemTime::now();
        let mut marked = Vec::new();
        for t in running {
            let worker = t.worker.clone().unwrap_or_default();
            let stale = t
                .heartbeat_at
                .as_deref()
                .and_then(parse_time)
                .map(|hb| now.duration_since(hb).unwrap_or_default() > stale_after)
                .unwrap_or(true);
            if !(stale || is_dead(&worker)) {
                continue;
            }
            let changed = self.rt.block_on(async {
                sqlx::query(
                    "UPDATE trials SET status = 'interrupted',
                        error = 'interrupted: worker ' || COALESCE(worker, '?') || ' stopped'
                     WHERE id = ? AND status = 'running' AND worker IS ?",
                )
                .bind(t.id)
                .bind(&t.worker)
                .execute(&self.pool)
                .await
                .map_err(self.q("recover stale trials"))
            })?;
            if changed.rows_affected() != 1 {
                continue;
            }
            if t.attempts >= max_attempts {
                self.give_up(t.id, max_attempts)?;
            } else {
                marked.push(t.id);
            }
        }
        Ok(marked)
    }

    /// An interrupted trial that has used up its attempts: failed, with
    /// every attempt's error (they stay in `trial_attempts` too).
    fn give_up(&self, trial_id: i64, max_attempts: i64) -> Result<(), StoreError> {
        let attempts = self.attempts(trial_id)?;
        let mut error = format!(
            "gave up after {} attempt(s) (max_attempts = {max_attempts}):",
            attempts.len()
        );
        for a in &attempts {
            error.push_str(&format!(
                " attempt {} on {}: {};",
                a.attempt,
                a.worker.as_deref().unwrap_or("?"),
                a.error.as_deref().unwrap_or(a.outcome.as_str())
            ));
        }
        let error = error.trim_end_matches(';').to_string();
        self.rt.block_on(async {
            sqlx::query(
                "UPDATE trials SET status = 'failed', error = ?, finished_at = ?
                 WHERE id = ? AND status = 'interrupted'",
            )
            .bind(&error)
            .bind(now_rfc3339())
            .bind(trial_id)
            .execute(&self.pool)
            .await
            .map_err(self.q("give up on a trial"))?;
            Ok(())
        })
    }

    /// Every finished attempt at a trial, in order.
    pub fn attempts(&self, trial_id: i64) -> Result<Vec<AttemptRow>, StoreError> {
        self.rt.block_on(async {
            sqlx::query_as(
                "SELECT attempt, worker, started_at, ended_at, outcome, error
                 FROM trial_attempts WHERE trial_id = ? ORDER BY attempt",
            )
            .bind(trial_id)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q("read attempts"))
        })
    }

    /// Trials waiting for a worker (`pending`, or `interrupted` and so to be
    /// run again), of one experiment or all, by id.
    pub fn runnable_trials(&self, experiment: Option<&str>) -> Result<Vec<TrialRow>, StoreError> {
        let mut out = Vec::new();
        for status in [TrialStatus::Pending, TrialStatus::Interrupted] {
            out.extend(self.trials(&TrialFilter {
                experiment: experiment.map(str::to_string),
                status: Some(status),
                include_reruns: true,
            })?);
        }
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    /// The spec a sweep ran: `(path, text, blake3)`.
    pub fn sweep_spec(
        &self,
        sweep_id: i64,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        self.rt.block_on(async {
            sqlx::query_as("SELECT spec_path, spec_text, spec_hash FROM sweeps WHERE id = ?")
                .bind(sweep_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.q("read sweep"))
        })
    }

    fn trials_with_status(&self, status: TrialStatus) -> Result<Vec<TrialRow>, StoreError> {
        self.trials(&TrialFilter {
            status: Some(status),
            include_reruns: true,
            ..TrialFilter::default()
        })
    }

    /// Atomically claims a `pending` or `interrupted` trial for `worker`.
    /// Returns false when another worker has it or it is finished. Rows of an
    /// earlier, interrupted attempt are removed.
    pub fn claim(&self, trial_id: i64, worker: &str) -> Result<bool, StoreError> {
        self.rt.block_on(async {
            let what = "claim trial";
            let mut tx = self.begin_immediate(what).await?;
            let now = now_rfc3339();
            let claimed = sqlx::query(
                "UPDATE trials SET status = 'running', worker = ?, heartbeat_at = ?,
                    started_at = ?, attempts = attempts + 1, error = NULL
                 WHERE id = ? AND status IN ('pending', 'interrupted')",
            )
            .bind(worker)
            .bind(&now)
            .bind(&now)
            .bind(trial_id)
            .execute(&mut *tx)
            .await
            .map_err(self.q(what))?
            .rows_affected()
                == 1;
            if claimed {
                for sql in [
                    "DELETE FROM trial_metrics WHERE trial_id = ?",
                    "DELETE FROM predictions WHERE trial_id = ?",
                    "DELETE FROM skipped_tracks WHERE trial_id = ?",
                    "DELETE FROM artifacts WHERE trial_id = ?",
                ] {
                    sqlx::query(sql)
                        .bind(trial_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(self.q(what))?;
                }
            }
            tx.commit().await.map_err(self.q(what))?;
            Ok(claimed)
        })
    }

    /// Records the provenance of a claimed trial (replacing an earlier
    /// attempt's).
    pub fn record_provenance(&self, trial_id: i64, p: &Provenance) -> Result<(), StoreError> {
        self.rt.block_on(async {
            sqlx::query(
                "INSERT INTO provenance (trial_id, spec_path, spec_text, spec_hash, config_json,
                    seeds_json, dataset_fingerprint, extractors_json, git_commit, git_dirty,
                    crate_version, rustc_version, host, os, threads, backend, recorded_at,
                    lock_hash, cpu_features)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(trial_id) DO UPDATE SET
                    spec_path = excluded.spec_path, spec_text = excluded.spec_text,
                    spec_hash = excluded.spec_hash, config_json = excluded.config_json,
                    seeds_json = excluded.seeds_json,
                    dataset_fingerprint = excluded.dataset_fingerprint,
                    extractors_json = excluded.extractors_json, git_commit = excluded.git_commit,
                    git_dirty = excluded.git_dirty, crate_version = excluded.crate_version,
                    rustc_version = excluded.rustc_version, host = excluded.host,
                    os = excluded.os, threads = excluded.threads, backend = excluded.backend,
                    recorded_at = excluded.recorded_at, lock_hash = excluded.lock_hash,
                    cpu_features = excluded.cpu_features",
            )
            .bind(trial_id)
            .bind(&p.spec_path)
            .bind(&p.spec_text)
            .bind(&p.spec_hash)
            .bind(&p.config_json)
            .bind(serde_json::to_string(&p.seeds).expect("seeds serialise"))
            .bind(&p.dataset_fingerprint)
            .bind(serde_json::to_string(&p.extractors).expect("strings serialise"))
            .bind(&p.git_commit)
            .bind(p.git_dirty)
            .bind(&p.crate_version)
            .bind(&p.rustc_version)
            .bind(&p.host)
            .bind(&p.os)
            .bind(p.threads)
            .bind(&p.backend)
            .bind(&p.recorded_at)
            .bind(&p.lock_hash)
            .bind(&p.cpu_features)
            .execute(&self.pool)
            .await
            .map_err(self.q("record provenance"))?;
            Ok(())
        })
    }

    /// Reads a trial's provenance.
    pub fn provenance(&self, trial_id: i64) -> Result<Option<Provenance>, StoreError> {
        self.rt.block_on(async {
            let what = "read provenance";
            let row = sqlx::query("SELECT * FROM provenance WHERE trial_id = ?")
                .bind(trial_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.q(what))?;
            let Some(r) = row else { return Ok(None) };
            let seeds: String = r.try_get("seeds_json").map_err(self.q(what))?;
            let extractors: String = r.try_get("extractors_json").map_err(self.q(what))?;
            let p = (|| {
                Ok::<_, sqlx::Error>(Provenance {
                    spec_path: r.try_get("spec_path")?,
                    spec_text: r.try_get("spec_text")?,
                    spec_hash: r.try_get("spec_hash")?,
                    config_json: r.try_get("config_json")?,
                    seeds: Vec::new(),
                    dataset_fingerprint: r.try_get("dataset_fingerprint")?,
                    extractors: Vec::new(),
                    git_commit: r.try_get("git_commit")?,
                    git_dirty: r.try_get("git_dirty")?,
                    crate_version: r.try_get("crate_version")?,
                    rustc_version: r.try_get("rustc_version")?,
                    host: r.try_get("host")?,
                    os: r.try_get("os")?,
                    threads: r.try_get("threads")?,
                    backend: r.try_get("backend")?,
                    recorded_at: r.try_get("recorded_at")?,
                    lock_hash: r.try_get("lock_hash")?,
                    cpu_features: r.try_get("cpu_features")?,
                })
            })()
            .map_err(self.q(what))?;
            Ok(Some(Provenance {
                seeds: serde_json::from_str(&seeds)
                    .map_err(|e| self.corrupt(what, format!("seeds_json: {e}")))?,
                extractors: serde_json::from_str(&extractors)
                    .map_err(|e| self.corrupt(what, format!("extractors_json: {e}")))?,
                ..p
            }))
        })
    }

    /// Refreshes the heartbeat of every trial `worker` is running.
    pub fn heartbeat(&self, worker: &str) -> Result<(), StoreError> {
        self.rt.block_on(async {
            sqlx::query(
                "UPDATE trials SET heartbeat_at = ? WHERE worker = ? AND status = 'running'",
            )
            .bind(now_rfc3339())
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(self.q("heartbeat"))?;
            Ok(())
        })
    }

    /// Records per-epoch metrics of a running trial (neural training curves).
    pub fn record_epoch_metrics(
        &self,
        trial_id: i64,
        metrics: &[MetricRow],
    ) -> Result<(), StoreError> {
        self.rt.block_on(async {
            let what = "record epoch metrics";
            let mut tx = self.begin_immediate(what).await?;
            insert_metrics(&mut tx, trial_id, metrics)
                .await
                .map_err(self.q(what))?;
            tx.commit().await.map_err(self.q(what))
        })
    }

    /// Writes a trial's results and marks it completed, in one transaction.
    /// Fails with [`StoreError::LostClaim`] (writing nothing) if `worker` no
    /// longer holds the trial.
    pub fn complete_trial(
        &self,
        trial_id: i64,
        worker: &str,
        result: &TrialResult,
    ) -> Result<(), StoreError> {
        self.rt.block_on(async {
            let what = "record trial result";
            let mut tx = self.begin_immediate(what).await?;
            let holder: Option<(String, Option<String>)> =
                sqlx::query_as("SELECT status, worker FROM trials WHERE id = ?")
                    .bind(trial_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(self.q(what))?;
            if holder != Some(("running".to_string(), Some(worker.to_string()))) {
                return Err(StoreError::LostClaim {
                    path: self.path.clone(),
                    trial: trial_id,
                    worker: worker.to_string(),
                });
            }
            if let Some((hash, manifest)) = &result.split {
                sqlx::query(
                    "INSERT INTO splits (hash, manifest_json, created_at) VALUES (?, ?, ?)
                     ON CONFLICT(hash) DO NOTHING",
                )
                .bind(hash)
                .bind(manifest)
                .bind(now_rfc3339())
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
            }
            insert_metrics(&mut tx, trial_id, &result.metrics)
                .await
                .map_err(self.q(what))?;
            for p in &result.predictions {
                let (y_pred, nonfinite) = encode_f64(p.y_pred);
                sqlx::query(
                    "INSERT INTO predictions (trial_id, fold, track_id, target, y_true, y_pred,
                        pred_nonfinite, scores_json, extra_json)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(trial_id)
                .bind(p.fold)
                .bind(&p.track_id)
                .bind(&p.target)
                .bind(p.y_true)
                .bind(y_pred)
                .bind(nonfinite)
                .bind(p.scores.as_ref().map(|s| scores_to_json(s)))
                .bind(p.extra.as_ref().map(|e| e.to_string()))
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
            }
            for s in &result.skipped {
                sqlx::query(
                    "INSERT INTO skipped_tracks (trial_id, track_id, stage, reason) VALUES (?, ?, ?, ?)
                     ON CONFLICT DO NOTHING",
                )
                .bind(trial_id)
                .bind(&s.track_id)
                .bind(&s.stage)
                .bind(&s.reason)
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
            }
            for a in &result.artifacts {
                sqlx::query(
                    "INSERT INTO artifacts (trial_id, fold, kind, path, sha256, bytes, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(trial_id)
                .bind(a.fold)
                .bind(&a.kind)
                .bind(&a.path)
                .bind(&a.sha256)
                .bind(a.bytes)
                .bind(now_rfc3339())
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
            }
            sqlx::query(
                "UPDATE trials SET status = 'completed', finished_at = ?, duration_s = ?,
                    classes_json = ?, split_hash = ?, heartbeat_at = ?
                 WHERE id = ?",
            )
            .bind(now_rfc3339())
            .bind(result.duration_s)
            .bind(
                result
                    .classes
                    .as_ref()
                    .map(|c| serde_json::to_string(c).expect("strings serialise")),
            )
            .bind(result.split.as_ref().map(|s| s.0.clone()))
            .bind(now_rfc3339())
            .bind(trial_id)
            .execute(&mut *tx)
            .await
            .map_err(self.q(what))?;
            tx.commit().await.map_err(self.q(what))
        })
    }

    /// Marks a trial failed with its error text. Rows of the failed attempt
    /// that were written while it ran (epoch curves) are kept for diagnosis.
    pub fn fail_trial(
        &self,
        trial_id: i64,
        worker: &str,
        error: &str,
        duration_s: f64,
    ) -> Result<(), StoreError> {
        self.rt.block_on(async {
            let done = sqlx::query(
                "UPDATE trials SET status = 'failed', error = ?, finished_at = ?, duration_s = ?
                 WHERE id = ? AND status = 'running' AND worker = ?",
            )
            .bind(error)
            .bind(now_rfc3339())
            .bind(duration_s)
            .bind(trial_id)
            .bind(worker)
            .execute(&self.pool)
            .await
            .map_err(self.q("record trial failure"))?;
            if done.rows_affected() != 1 {
                return Err(StoreError::LostClaim {
                    path: self.path.clone(),
                    trial: trial_id,
                    worker: worker.to_string(),
                });
            }
            Ok(())
        })
    }

    /// Marks every trial and sweep `worker` is running as interrupted
    /// (Ctrl-C). Returns the number of trials marked.
    pub fn interrupt_worker(&self, worker: &str) -> Result<u64, StoreError> {
        self.rt.block_on(async {
            let what = "interrupt trials";
            let mut tx = self.begin_immediate(what).await?;
            let r = sqlx::query(
                "UPDATE trials SET status = 'interrupted', error = 'interrupted by a signal (Ctrl-C, or SIGTERM from a scheduler)'
                 WHERE worker = ? AND status = 'running'",
            )
            .bind(worker)
            .execute(&mut *tx)
            .await
            .map_err(self.q(what))?;
            sqlx::query(
                "UPDATE sweeps SET status = 'interrupted', finished_at = ?
                 WHERE worker = ? AND status = 'running'",
            )
            .bind(now_rfc3339())
            .bind(worker)
            .execute(&mut *tx)
            .await
            .map_err(self.q(what))?;
            tx.commit().await.map_err(self.q(what))?;
            Ok(r.rows_affected())
        })
    }

    /// Runs raw SQL for tests that must break the contract on purpose (to
    /// prove the database refuses). Not for production paths.
    #[doc(hidden)]
    pub fn execute_raw_for_tests(&self, sql: &str) -> Result<u64, StoreError> {
        self.rt.block_on(async {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&self.pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(self.q("raw statement"))
        })
    }

    // ----- reads ----------------------------------------------------------

    /// One trial by id.
    pub fn trial(&self, id: i64) -> Result<TrialRow, StoreError> {
        self.rt.block_on(async {
            let what = "read trial";
            let row = sqlx::query(TRIAL_SELECT_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.q(what))?;
            match row {
                Some(r) => self.trial_from_row(&r),
                None => Err(StoreError::NoSuchTrial {
                    path: self.path.clone(),
                    query: id.to_string(),
                }),
            }
        })
    }

    /// Finds a trial by id (`42`) or by a unique prefix of its key (`3fa9c1`).
    pub fn find_trial(&self, query: &str) -> Result<TrialRow, StoreError> {
        if let Ok(id) = query.parse::<i64>()
            && let Ok(t) = self.trial(id)
        {
            return Ok(t);
        }
        let q = query.to_ascii_lowercase();
        if q.len() < 4 || !q.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NoSuchTrial {
                path: self.path.clone(),
                query: query.to_string(),
            });
        }
        let ids: Vec<i64> = self.rt.block_on(async {
            sqlx::query_scalar(
                "SELECT id FROM trials WHERE substr(key, 1, length(?1)) = ?1
                 AND origin_trial_id IS NULL ORDER BY id",
            )
            .bind(&q)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q("find trial"))
        })?;
        match ids.as_slice() {
            [] => Err(StoreError::NoSuchTrial {
                path: self.path.clone(),
                query: query.to_string(),
            }),
            [id] => self.trial(*id),
            many => Err(StoreError::AmbiguousTrial {
                path: self.path.clone(),
                query: query.to_string(),
                matches: many
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Every row of a trial key (its primary row and its re-runs), by id.
    pub fn trials_by_key(&self, key: &str) -> Result<Vec<TrialRow>, StoreError> {
        self.rt.block_on(async {
            let rows = sqlx::query(
                "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
                 FROM trials t JOIN experiments e ON e.id = t.experiment_id
                 JOIN datasets d ON d.id = t.dataset_id
                 WHERE t.key = ? ORDER BY t.id",
            )
            .bind(key)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q("find trials by key"))?;
            rows.iter().map(|r| self.trial_from_row(r)).collect()
        })
    }

    /// Trials matching a filter, by id.
    pub fn trials(&self, filter: &TrialFilter) -> Result<Vec<TrialRow>, StoreError> {
        if let Some(name) = &filter.experiment {
            self.experiment(name)?;
        }
        self.rt.block_on(async {
            let rows = sqlx::query(TRIAL_SELECT_FILTERED)
                .bind(filter.experiment.as_deref())
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.include_reruns)
                .fetch_all(&self.pool)
                .await
                .map_err(self.q("list trials"))?;
            rows.iter().map(|r| self.trial_from_row(r)).collect()
        })
    }

    /// The trials a report shows: for each key of the experiment, its latest
    /// completed row that is not a `mer rerun` check.
    pub fn report_trials(&self, experiment: &str) -> Result<Vec<TrialRow>, StoreError> {
        self.experiment(experiment)?;
        self.rt.block_on(async {
            let rows = sqlx::query(TRIAL_SELECT_REPORT)
                .bind(experiment)
                .fetch_all(&self.pool)
                .await
                .map_err(self.q("read report trials"))?;
            rows.iter().map(|r| self.trial_from_row(r)).collect()
        })
    }

    /// Final (non-epoch) metrics of every trial `report_trials` returns.
    pub fn report_metrics(&self, experiment: &str) -> Result<Vec<ExperimentMetric>, StoreError> {
        self.rt.block_on(async {
            let what = "read report metrics";
            let rows = sqlx::query(
                "SELECT m.trial_id, m.split, m.fold, m.name, m.value, m.nonfinite
                 FROM trial_metrics m
                 WHERE m.epoch IS NULL AND m.trial_id IN (SELECT id FROM report_trials_view WHERE experiment = ?)
                 ORDER BY m.trial_id, m.split, m.fold, m.name",
            )
            .bind(experiment)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q(what))?;
            rows.iter()
                .map(|r| {
                    let split: String = r.try_get("split").map_err(self.q(what))?;
                    Ok(ExperimentMetric {
                        trial_id: r.try_get("trial_id").map_err(self.q(what))?,
                        split: split.parse().map_err(|e: String| self.corrupt(what, e))?,
                        fold: r.try_get("fold").map_err(self.q(what))?,
                        name: r.try_get("name").map_err(self.q(what))?,
                        value: self.metric_value(r, "value", "nonfinite", what)?,
                    })
                })
                .collect()
        })
    }

    fn metric_value(
        &self,
        r: &SqliteRow,
        value: &str,
        nonfinite: &str,
        what: &'static str,
    ) -> Result<f64, StoreError> {
        let v: Option<f64> = r.try_get(value).map_err(self.q(what))?;
        let n: Option<String> = r.try_get(nonfinite).map_err(self.q(what))?;
        decode_f64(v, n.as_deref()).map_err(|e| self.corrupt(what, e))
    }

    /// Final test values of the named metrics for every trial:
    /// `(trial id, name, per-fold values)` (for listings).
    pub fn final_test_values(
        &self,
        names: &[&str],
    ) -> Result<Vec<(i64, String, Vec<f64>)>, StoreError> {
        self.rt.block_on(async {
            let what = "read final metrics";
            let rows = sqlx::query(
                "SELECT trial_id, name, value, nonfinite FROM trial_metrics
                 WHERE split = 'test' AND epoch IS NULL ORDER BY trial_id, name, fold",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(self.q(what))?;
            let mut out: Vec<(i64, String, Vec<f64>)> = Vec::new();
            for r in &rows {
                let name: String = r.try_get("name").map_err(self.q(what))?;
                if !names.contains(&name.as_str()) {
                    continue;
                }
                let id: i64 = r.try_get("trial_id").map_err(self.q(what))?;
                let v = self.metric_value(r, "value", "nonfinite", what)?;
                match out.last_mut() {
                    Some((i, n, vs)) if *i == id && *n == name => vs.push(v),
                    _ => out.push((id, name, vec![v])),
                }
            }
            Ok(out)
        })
    }

    /// All metrics of a trial (final and per epoch).
    pub fn metrics(&self, trial_id: i64) -> Result<Vec<MetricRow>, StoreError> {
        self.rt.block_on(async {
            let what = "read metrics";
            let rows = sqlx::query(
                "SELECT split, fold, epoch, name, value, nonfinite FROM trial_metrics
                 WHERE trial_id = ? ORDER BY split, fold, COALESCE(epoch, -1), name",
            )
            .bind(trial_id)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q(what))?;
            rows.iter()
                .map(|r| {
                    let split: String = r.try_get("split").map_err(self.q(what))?;
                    Ok(MetricRow {
                        split: split.parse().map_err(|e: String| self.corrupt(what, e))?,
                        fold: r.try_get("fold").map_err(self.q(what))?,
                        epoch: r.try_get("epoch").map_err(self.q(what))?,
                        name: r.try_get("name").map_err(self.q(what))?,
                        value: self.metric_value(r, "value", "nonfinite", what)?,
                    })
                })
                .collect()
        })
    }

    /// All predictions of a trial, by fold, track and target.
    pub fn predictions(&self, trial_id: i64) -> Result<Vec<PredictionRow>, StoreError> {
        self.rt.block_on(async {
            let what = "read predictions";
            let rows = sqlx::query(
                "SELECT fold, track_id, target, y_true, y_pred, pred_nonfinite, scores_json, extra_json
                 FROM predictions WHERE trial_id = ? ORDER BY fold, track_id, target",
            )
            .bind(trial_id)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q(what))?;
            rows.iter()
                .map(|r| {
                    let scores: Option<String> = r.try_get("scores_json").map_err(self.q(what))?;
                    let extra: Option<String> = r.try_get("extra_json").map_err(self.q(what))?;
                    Ok(PredictionRow {
                        fold: r.try_get("fold").map_err(self.q(what))?,
                        track_id: r.try_get("track_id").map_err(self.q(what))?,
                        target: r.try_get("target").map_err(self.q(what))?,
                        y_true: r.try_get("y_true").map_err(self.q(what))?,
                        y_pred: self.metric_value(r, "y_pred", "pred_nonfinite", what)?,
                        scores: scores
                            .map(|s| scores_from_json(&s))
                            .transpose()
                            .map_err(|e| self.corrupt(what, e))?,
                        extra: extra
                            .map(|s| serde_json::from_str(&s))
                            .transpose()
                            .map_err(|e| self.corrupt(what, format!("extra_json: {e}")))?,
                    })
                })
                .collect()
        })
    }

    /// Tracks a trial left out, and why.
    pub fn skipped_tracks(&self, trial_id: i64) -> Result<Vec<SkippedTrack>, StoreError> {
        self.rt.block_on(async {
            sqlx::query_as(
                "SELECT track_id, stage, reason FROM skipped_tracks WHERE trial_id = ?
                 ORDER BY stage, track_id",
            )
            .bind(trial_id)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q("read skipped tracks"))
        })
    }

    /// Artifacts of a trial.
    pub fn artifacts(&self, trial_id: i64) -> Result<Vec<ArtifactRow>, StoreError> {
        self.rt.block_on(async {
            sqlx::query_as(
                "SELECT fold, kind, path, sha256, bytes FROM artifacts WHERE trial_id = ? ORDER BY id",
            )
            .bind(trial_id)
            .fetch_all(&self.pool)
            .await
            .map_err(self.q("read artifacts"))
        })
    }

    /// The split manifest stored under `hash`.
    pub fn split_manifest(&self, hash: &str) -> Result<Option<String>, StoreError> {
        self.rt.block_on(async {
            sqlx::query_scalar("SELECT manifest_json FROM splits WHERE hash = ?")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.q("read split manifest"))
        })
    }

    fn trial_from_row(&self, r: &SqliteRow) -> Result<TrialRow, StoreError> {
        let what = "read trial";
        let get = || -> Result<TrialRow, sqlx::Error> {
            let seed: i64 = r.try_get("seed")?;
            Ok(TrialRow {
                id: r.try_get("id")?,
                key: r.try_get("key")?,
                experiment: r.try_get("experiment")?,
                sweep_id: r.try_get("sweep_id")?,
                dataset_fingerprint: r.try_get("fingerprint")?,
                origin_trial_id: r.try_get("origin_trial_id")?,
                reason: TrialReason::Sweep,
                modality: r.try_get("modality")?,
                architecture: r.try_get("architecture")?,
                labels: r.try_get("labels")?,
                task: r.try_get("task")?,
                seed: seed as u64,
                params_json: r.try_get("params_json")?,
                config_json: r.try_get("config_json")?,
                status: TrialStatus::Pending,
                attempts: r.try_get("attempts")?,
                worker: r.try_get("worker")?,
                heartbeat_at: r.try_get("heartbeat_at")?,
                created_at: r.try_get("created_at")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                duration_s: r.try_get("duration_s")?,
                error: r.try_get("error")?,
                classes: None,
                split_hash: r.try_get("split_hash")?,
            })
        };
        let mut t = get().map_err(self.q(what))?;
        let status: String = r.try_get("status").map_err(self.q(what))?;
        t.status = status.parse().map_err(|e: String| self.corrupt(what, e))?;
        let reason: String = r.try_get("reason").map_err(self.q(what))?;
        t.reason = reason.parse().map_err(|e: String| self.corrupt(what, e))?;
        let classes: Option<String> = r.try_get("classes_json").map_err(self.q(what))?;
        t.classes = classes
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(|e| self.corrupt(what, format!("classes_json: {e}")))?;
        Ok(t)
    }
}

const TRIAL_SELECT_BY_ID: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id WHERE t.id = ?";

const TRIAL_SELECT_FILTERED: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id
     WHERE (?1 IS NULL OR e.name = ?1) AND (?2 IS NULL OR t.status = ?2)
       AND (?3 OR t.reason != 'rerun')
     ORDER BY t.id";

const TRIAL_SELECT_SWEEP: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id
     WHERE t.sweep_id = ?
     ORDER BY t.id";

const TRIAL_SELECT_REPORT: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id
     WHERE t.id IN (SELECT id FROM report_trials_view WHERE experiment = ?)
     ORDER BY t.id";

async fn insert_metrics(
    tx: &mut Transaction<'static, Sqlite>,
    trial_id: i64,
    metrics: &[MetricRow],
) -> Result<(), sqlx::Error> {
    for m in metrics {
        let (value, nonfinite) = encode_f64(m.value);
        sqlx::query(
            "INSERT INTO trial_metrics (trial_id, split, fold, epoch, name, value, nonfinite)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(trial_id)
        .bind(m.split.as_str())
        .bind(m.fold)
        .bind(m.epoch)
        .bind(&m.name)
        .bind(value)
        .bind(nonfinite)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Scores are JSON arrays; non-finite entries are written as the strings
/// "nan", "inf" and "-inf" (JSON has no such numbers).
fn scores_to_json(scores: &[f64]) -> String {
    let values: Vec<serde_json::Value> = scores
        .iter()
        .map(|&s| match encode_f64(s) {
            (Some(v), _) => serde_json::json!(v),
            (None, Some(tag)) => serde_json::json!(tag),
            (None, None) => unreachable!("encode_f64 always returns one side"),
        })
        .collect();
    serde_json::Value::Array(values).to_string()
}

fn scores_from_json(s: &str) -> Result<Vec<f64>, String> {
    let values: Vec<serde_json::Value> =
        serde_json::from_str(s).map_err(|e| format!("scores_json: {e}"))?;
    values
        .iter()
        .map(|v| match v {
            serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| format!("score {n}")),
            serde_json::Value::String(tag) => decode_f64(None, Some(tag)),
            other => Err(format!("score {other}")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonfinite_values_round_trip_through_the_encoding() {
        for v in [0.0, -1.5, 1e300, f64::INFINITY, f64::NEG_INFINITY] {
            let (a, b) = encode_f64(v);
            assert_eq!(decode_f64(a, b).unwrap(), v);
        }
        let (a, b) = encode_f64(f64::NAN);
        assert!(decode_f64(a, b).unwrap().is_nan());
        assert!(decode_f64(Some(1.0), Some("nan")).is_err());
        assert!(decode_f64(None, None).is_err());
    }

    #[test]
    fn scores_json_keeps_nonfinite_entries() {
        let s = scores_to_json(&[0.25, f64::NAN, f64::INFINITY]);
        assert_eq!(s, r#"[0.25,"nan","inf"]"#);
        let back = scores_from_json(&s).unwrap();
        assert_eq!(back[0], 0.25);
        assert!(back[1].is_nan());
        assert_eq!(back[2], f64::INFINITY);
    }
}
