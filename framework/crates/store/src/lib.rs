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
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Postgres, Row, Sqlite, Transaction};

/// How long a writer waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../../migrations");
/// The same schema in PostgreSQL's dialect, version for version.
static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../../migrations/postgres");

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
/// Where a results store lives: a SQLite file, or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created on first use).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://user:password@host:port/db?sslmode=...`),
    /// kept whole for connecting and shown only redacted.
    Postgres(String),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::fmt::Display for Location {
    /// The path, or the URL with its password replaced by `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl Location {
    /// Reads `--db` / `MER_DB`: a SQLite path, a `sqlite:` URL
    /// (`sqlite:///abs/results.db`, `sqlite://rel.db`, `sqlite:rel.db`) or a
    /// PostgreSQL URL (`postgres://` or `postgresql://`). Errors show the
    /// text with any password hidden.
    pub fn parse(text: &str) -> Result<Location, String> {
        for scheme in ["postgres://", "postgresql://"] {
            if text.starts_with(scheme) {
                return sqlx::postgres::PgConnectOptions::from_str(text)
                    .map(|_| Location::Postgres(text.to_string()))
                    .map_err(|e| format!("{}: not a valid PostgreSQL URL: {e}", redact_url(text)));
            }
        }
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() || path.contains('?') {
                return Err(format!(
                    "{text}: a sqlite URL names a file (sqlite:///abs/results.db or \
                     sqlite://results.db), without options"
                ));
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if text.contains("://") {
            return Err(format!(
                "{}: not a SQLite path, sqlite:// URL or postgres:// URL",
                redact_url(text)
            ));
        }
        Ok(Location::Sqlite(PathBuf::from(text)))
    }

    /// The path or redacted URL, as errors name the store.
    fn shown(&self) -> PathBuf {
        PathBuf::from(self.to_string())
    }
}

/// A URL with its password (`user:PASSWORD@`, `password=...`) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority_path, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let mut out = match authority_path.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => format!("{scheme}://{authority_path}"),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// A URL split into the URL without its password and the password, so a
/// generated script can carry the first and the environment the second.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let (authority_path, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let mut password = None;
    let mut out = match authority_path.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let (name, pw) = user.split_once(':').unwrap_or((user, ""));
            password = Some(pw.to_string());
            format!("{scheme}://{name}@{host}")
        }
        _ => format!("{scheme}://{authority_path}"),
    };
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| match pair.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case("password") => {
                    password = Some(v.to_string());
                    false
                }
                _ => true,
            })
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    (out, password)
}

/// The connection pool of one backend.
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` (a future) on the store's runtime with `$pool` bound to the
/// backend's pool (`&SqlitePool` or `&PgPool`): the same SQL, compiled once
/// per backend with that backend's native types.
macro_rules! with_pool {
    ($self:ident, $pool:ident, $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($pool) => $self.rt.block_on($body),
            Pool::Postgres($pool) => $self.rt.block_on($body),
        }
    };
}

/// Inserts metric rows inside a write transaction `$tx` of either backend
/// (a macro: the statement is compiled once per backend).
macro_rules! insert_metrics {
    ($tx:expr, $trial_id:expr, $metrics:expr) => {
        async {
            for m in $metrics {
                let (value, nonfinite) = $crate::encode_f64(m.value);
                sqlx::query(
                    "INSERT INTO trial_metrics (trial_id, split, fold, epoch, name, value, nonfinite)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind($trial_id)
                .bind(m.split.as_str())
                .bind(m.fold)
                .bind(m.epoch)
                .bind(&m.name)
                .bind(value)
                .bind(nonfinite)
                .execute(&mut *$tx)
                .await?;
            }
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// Inserts (or, for a re-claimed trial, replaces) a trial's provenance
/// inside a write transaction `$tx` of either backend.
macro_rules! insert_provenance {
    ($tx:expr, $trial_id:expr, $p:expr) => {
        async {
                sqlx::query(
                    "INSERT INTO provenance (trial_id, spec_path, spec_text, spec_hash, config_json,
                        seeds_json, dataset_fingerprint, extractors_json, git_commit, git_dirty,
                        crate_version, rustc_version, host, os, threads, backend, recorded_at,
                        lock_hash, cpu_features)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
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
                .bind($trial_id)
                .bind(&$p.spec_path)
                .bind(&$p.spec_text)
                .bind(&$p.spec_hash)
                .bind(&$p.config_json)
                .bind(serde_json::to_string(&$p.seeds).expect("seeds serialise"))
                .bind(&$p.dataset_fingerprint)
                .bind(serde_json::to_string(&$p.extractors).expect("strings serialise"))
                .bind(&$p.git_commit)
                .bind($p.git_dirty)
                .bind(&$p.crate_version)
                .bind(&$p.rustc_version)
                .bind(&$p.host)
                .bind(&$p.os)
                .bind($p.threads)
                .bind(&$p.backend)
                .bind(&$p.recorded_at)
                .bind(&$p.lock_hash)
                .bind(&$p.cpu_features)
                .execute(&mut *$tx)
                .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// Inserts one prediction row inside a write transaction `$tx`.
macro_rules! insert_prediction {
    ($tx:expr, $trial_id:expr, $p:expr) => {
        async {
            let (y_pred, nonfinite) = $crate::encode_f64($p.y_pred);
            sqlx::query(
                "INSERT INTO predictions (trial_id, fold, track_id, target, y_true, y_pred,
                    pred_nonfinite, scores_json, extra_json)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind($trial_id)
            .bind($p.fold)
            .bind(&$p.track_id)
            .bind(&$p.target)
            .bind($p.y_true)
            .bind(y_pred)
            .bind(nonfinite)
            .bind($p.scores.as_ref().map(|s| $crate::scores_to_json(s)))
            .bind($p.extra.as_ref().map(|e| e.to_string()))
            .execute(&mut *$tx)
            .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// Records a split manifest (shared by trials; kept if already there)
/// inside a write transaction `$tx`.
macro_rules! insert_split {
    ($tx:expr, $hash:expr, $manifest:expr, $created_at:expr) => {
        async {
            sqlx::query(
                "INSERT INTO splits (hash, manifest_json, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT(hash) DO NOTHING",
            )
            .bind($hash)
            .bind($manifest)
            .bind($created_at)
            .execute(&mut *$tx)
            .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// Inserts one skipped-track row inside a write transaction `$tx`.
macro_rules! insert_skipped {
    ($tx:expr, $trial_id:expr, $s:expr) => {
        async {
            sqlx::query(
                "INSERT INTO skipped_tracks (trial_id, track_id, stage, reason) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind($trial_id)
            .bind(&$s.track_id)
            .bind(&$s.stage)
            .bind(&$s.reason)
            .execute(&mut *$tx)
            .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// Inserts one artifact row inside a write transaction `$tx`.
macro_rules! insert_artifact {
    ($tx:expr, $trial_id:expr, $a:expr, $created_at:expr) => {
        async {
            sqlx::query(
                "INSERT INTO artifacts (trial_id, fold, kind, path, sha256, bytes, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind($trial_id)
            .bind($a.fold)
            .bind(&$a.kind)
            .bind(&$a.path)
            .bind(&$a.sha256)
            .bind($a.bytes)
            .bind($created_at)
            .execute(&mut *$tx)
            .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// What differs between the backends' pools, inside a `with_pool!` body.
trait BackendPool {
    type Db: sqlx::Database;
    /// A transaction for a multi-statement write. SQLite: `BEGIN IMMEDIATE`
    /// (writers queue for the one write lock). PostgreSQL: `BEGIN` (row
    /// locks; statements that read before they write say `FOR UPDATE`).
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>, sqlx::Error>;
    /// Picks the statement written for this backend's dialect.
    fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str;
}

impl BackendPool for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
    fn pick(&self, sqlite: &'static str, _: &'static str) -> &'static str {
        sqlite
    }
}

impl BackendPool for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
    fn pick(&self, _: &'static str, postgres: &'static str) -> &'static str {
        postgres
    }
}

/// A value both backends decode natively.
trait Column:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
{
}
impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
{
}

/// A row of either backend, for the helpers that decode rows.
trait RowExt {
    fn col<T: Column>(&self, name: &str) -> Result<T, sqlx::Error>;
}
impl RowExt for SqliteRow {
    fn col<T: Column>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.try_get(name)
    }
}
impl RowExt for PgRow {
    fn col<T: Column>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.try_get(name)
    }
}

/// The store: a handle on a SQLite file or a PostgreSQL database, with its
/// own small runtime so callers stay synchronous.
pub struct Store {
    rt: tokio::runtime::Runtime,
    pool: Pool,
    /// The file, or the redacted URL: what errors name.
    path: PathBuf,
    location: Location,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("at", &self.location).finish()
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

/// How a store is opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Create if missing, migrate.
    Create,
    /// Must exist; migrate.
    Existing,
    /// Must exist at this build's schema; nothing written.
    ReadOnly,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and brings
    /// its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_with(path, true)
    }

    /// Opens an existing SQLite database; a missing file is an error, not a
    /// new store.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        Self::open_with(path, false)
    }

    /// Opens the store at `location`, creating it (SQLite) or its tables
    /// (PostgreSQL: the database itself must exist) if needed, and brings
    /// its schema up to date.
    pub fn open_at(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(p) => Self::open(p),
            Location::Postgres(url) => Self::open_postgres(url, Mode::Create),
        }
    }

    /// [`Store::open_existing`] for any location: a PostgreSQL database
    /// without mer's tables is "missing" too.
    pub fn open_existing_at(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(p) => Self::open_existing(p),
            Location::Postgres(url) => Self::open_postgres(url, Mode::Existing),
        }
    }

    /// [`Store::open_read_only`] for any location. On PostgreSQL the
    /// session is read-only (`default_transaction_read_only`).
    pub fn open_read_only_at(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(p) => Self::open_read_only(p),
            Location::Postgres(url) => Self::open_postgres(url, Mode::ReadOnly),
        }
    }

    /// Where this store is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// True for a PostgreSQL store.
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    fn open_postgres(url: &str, mode: Mode) -> Result<Store, StoreError> {
        let location = Location::Postgres(url.to_string());
        let path = location.shown();
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut options = sqlx::postgres::PgConnectOptions::from_str(url)
            .map_err(open_err)?
            .application_name("mer");
        if mode == Mode::ReadOnly {
            options = options.options([("default_transaction_read_only", "on")]);
        }
        let rt = runtime()?;
        // One plain connection first: a server that is down, a wrong
        // password or a TLS mismatch is reported at once with its cause
        // (the pool would retry until its timeout and say only that).
        rt.block_on(async {
            use sqlx::Connection as _;
            let first =
                tokio::time::timeout(BUSY_TIMEOUT, sqlx::PgConnection::connect_with(&options))
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)??;
            first.close().await
        })
        .map_err(open_err)?;
        let pool = rt
            .block_on(
                PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(BUSY_TIMEOUT)
                    .connect_with(options),
            )
            .map_err(open_err)?;
        let store = Store {
            rt,
            pool: Pool::Postgres(pool),
            path,
            location,
        };
        store.check_ours()?;
        let tables = store.table_names()?;
        if mode != Mode::Create && !tables.iter().any(|t| t == "trials") {
            return Err(StoreError::Missing {
                path: store.path.clone(),
            });
        }
        if mode == Mode::ReadOnly {
            store.check_version()?;
        } else {
            store.migrate()?;
        }
        Ok(store)
    }

    /// Opens an existing SQLite database for reading only: nothing is
    /// created, migrated or switched to WAL, and no lock file is written. A
    /// database that is not mer's, or whose schema is older or newer than
    /// this build's, is refused untouched.
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
        let store = Store {
            rt,
            pool: Pool::Sqlite(pool),
            location: Location::Sqlite(path.clone()),
            path,
        };
        if store.table_names()?.is_empty() {
            return Err(StoreError::Missing {
                path: store.path.clone(),
            });
        }
        store.check_ours()?;
        store.check_version()?;
        Ok(store)
    }

    /// Refuses a schema older or newer than this build's.
    fn check_version(&self) -> Result<(), StoreError> {
        let found: i64 = with_pool!(
            self,
            pool,
            sqlx::query_scalar(
                "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
            )
            .fetch_one(pool)
        )
        .map_err(self.q("reading the schema version"))?;
        let latest = Self::schema_version();
        if found > latest {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                version: found,
            });
        }
        if found < latest {
            return Err(StoreError::OldSchema {
                path: self.path.clone(),
                found,
                latest,
            });
        }
        Ok(())
    }

    /// The names of the tables in the database (PostgreSQL: in the
    /// connection's schema).
    fn table_names(&self) -> Result<Vec<String>, StoreError> {
        with_pool!(
            self,
            pool,
            sqlx::query_scalar(pool.pick(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 ORDER BY table_name",
            ))
            .fetch_all(pool)
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
        let applied: Vec<(i64, Vec<u8>)> = with_pool!(
            self,
            pool,
            sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations").fetch_all(pool)
        )
        .map_err(self.q("reading the migrations"))?;
        for (version, checksum) in applied {
            if let Some(m) = self.migrator().iter().find(|m| m.version == version)
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

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.pool {
            Pool::Sqlite(_) => &MIGRATOR,
            Pool::Postgres(_) => &PG_MIGRATOR,
        }
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
        let store = Store {
            rt,
            pool: Pool::Sqlite(pool),
            location: Location::Sqlite(path.clone()),
            path,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies pending migrations so that processes opening a fresh store
    /// together do not race: SQLite under an exclusive lock on `<db>.lock`,
    /// PostgreSQL under sqlx's advisory lock.
    fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.pool {
            Pool::Sqlite(pool) => {
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
                let result = self.rt.block_on(MIGRATOR.run(pool));
                let _ = lock.unlock();
                result
            }
            Pool::Postgres(pool) => self.rt.block_on(PG_MIGRATOR.run(pool)),
        };
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

    /// The database file (SQLite), or the redacted URL (PostgreSQL).
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

    /// `PRAGMA integrity_check` on SQLite: `"ok"` for a healthy database.
    /// PostgreSQL checks its own pages (checksums, WAL); there the answer is
    /// `"ok"` once the server answers a query.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        with_pool!(self, pool, async {
            let rows: Vec<String> =
                sqlx::query_scalar(pool.pick("PRAGMA integrity_check", "SELECT 'ok'::text"))
                    .fetch_all(pool)
                    .await
                    .map_err(self.q("integrity check"))?;
            Ok(rows.join("\n"))
        })
    }

    // ----- experiments, datasets, sweeps ---------------------------------

    /// Returns the id of the experiment `name`, creating it if new. The
    /// description is updated to the latest spec's.
    pub fn ensure_experiment(&self, name: &str, description: &str) -> Result<i64, StoreError> {
        with_pool!(self, pool, async {
            let what = "register experiment";
            let row = sqlx::query(
                "INSERT INTO experiments (name, description, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT(name) DO UPDATE SET description = excluded.description
                 RETURNING id",
            )
            .bind(name)
            .bind(description)
            .bind(now_rfc3339())
            .fetch_one(pool)
            .await
            .map_err(self.q(what))?;
            row.try_get::<i64, _>(0).map_err(self.q(what))
        })
    }

    /// Returns the id of the dataset with this fingerprint, recording it if new.
    pub fn ensure_dataset(&self, d: &NewDataset) -> Result<i64, StoreError> {
        self.ensure_dataset_created(d, &now_rfc3339())
    }

    /// [`Store::ensure_dataset`] with the creation time of a copied row.
    fn ensure_dataset_created(&self, d: &NewDataset, created_at: &str) -> Result<i64, StoreError> {
        with_pool!(self, pool, async {
            let what = "register dataset";
            let row = sqlx::query(
                "INSERT INTO datasets (fingerprint, name, kind, n_tracks, config_json, summary_json, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT(fingerprint) DO UPDATE SET fingerprint = excluded.fingerprint
                 RETURNING id",
            )
            .bind(&d.fingerprint)
            .bind(&d.name)
            .bind(&d.kind)
            .bind(d.n_tracks)
            .bind(&d.config_json)
            .bind(&d.summary_json)
            .bind(created_at)
            .fetch_one(pool)
            .await
            .map_err(self.q(what))?;
            row.try_get::<i64, _>(0).map_err(self.q(what))
        })
    }

    /// Records the start of a sweep run.
    pub fn begin_sweep(&self, s: &NewSweep) -> Result<i64, StoreError> {
        with_pool!(self, pool, async {
            let what = "record sweep";
            let row = sqlx::query(
                "INSERT INTO sweeps (experiment_id, spec_path, spec_text, spec_hash, planned, worker, started_at, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'running') RETURNING id",
            )
            .bind(s.experiment_id)
            .bind(&s.spec_path)
            .bind(&s.spec_text)
            .bind(&s.spec_hash)
            .bind(s.planned)
            .bind(&s.worker)
            .bind(now_rfc3339())
            .fetch_one(pool)
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
        with_pool!(self, pool, async {
            sqlx::query("UPDATE sweeps SET status = $1, finished_at = $2 WHERE id = $3")
                .bind(status)
                .bind(now_rfc3339())
                .bind(sweep_id)
                .execute(pool)
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
        with_pool!(self, pool, async {
            sqlx::query_scalar(
                "SELECT id FROM sweeps
                 WHERE experiment_id = $1 AND spec_path = $2 AND spec_hash = $3
                   AND status IN ('running', 'interrupted')
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(experiment_id)
            .bind(spec_path)
            .bind(spec_hash)
            .fetch_optional(pool)
            .await
            .map_err(self.q("find unfinished sweep"))
        })
    }

    /// Every trial row a sweep created or registered, by id.
    pub fn sweep_trials(&self, sweep_id: i64) -> Result<Vec<TrialRow>, StoreError> {
        with_pool!(self, pool, async {
            let rows = sqlx::query(TRIAL_SELECT_SWEEP)
                .bind(sweep_id)
                .fetch_all(pool)
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
        if self.is_postgres() {
            let n = self.copy_experiment(experiment, &out)?.trials_copied;
            drop(out);
            leave_wal(dest)?;
            return Ok(n);
        }
        let Pool::Sqlite(out_pool) = &out.pool else {
            unreachable!("Store::open opens SQLite")
        };
        let src = self.path.to_string_lossy().into_owned();
        let n = out.rt.block_on(async {
            let what = "export experiment";
            let mut conn = out_pool.acquire().await.map_err(out.q(what))?;
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
                "INSERT INTO main.experiments SELECT * FROM src.experiments WHERE id = $1",
                "INSERT INTO main.datasets SELECT * FROM src.datasets
                 WHERE id IN (SELECT dataset_id FROM src.trials WHERE experiment_id = $1)",
                "INSERT INTO main.sweeps SELECT * FROM src.sweeps WHERE experiment_id = $1",
                "INSERT INTO main.splits SELECT * FROM src.splits
                 WHERE hash IN (SELECT split_hash FROM src.trials WHERE experiment_id = $1)",
                "INSERT INTO main.trials SELECT * FROM src.trials WHERE experiment_id = $1",
                "INSERT INTO main.provenance SELECT * FROM src.provenance
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = $1)",
                "INSERT INTO main.trial_metrics SELECT * FROM src.trial_metrics
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = $1)",
                "INSERT INTO main.predictions SELECT * FROM src.predictions
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = $1)",
                "INSERT INTO main.skipped_tracks SELECT * FROM src.skipped_tracks
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = $1)",
                "INSERT INTO main.artifacts SELECT * FROM src.artifacts
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = $1)",
                "INSERT INTO main.trial_attempts SELECT * FROM src.trial_attempts
                 WHERE trial_id IN (SELECT id FROM src.trials WHERE experiment_id = $1)",
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
        leave_wal(dest)?;
        Ok(n)
    }

    /// Experiments with their trial counts, by name.
    pub fn experiments(&self) -> Result<Vec<ExperimentRow>, StoreError> {
        with_pool!(self, pool, async {
            sqlx::query_as(
                "SELECT e.id, e.name, e.description, e.created_at,
                        COUNT(t.id) AS trials,
                        COUNT(CASE WHEN t.status = 'completed' THEN 1 END) AS completed,
                        COUNT(CASE WHEN t.status = 'failed' THEN 1 END) AS failed
                 FROM experiments e LEFT JOIN trials t
                   ON t.experiment_id = e.id AND t.reason != 'rerun'
                 GROUP BY e.id ORDER BY e.name",
            )
            .fetch_all(pool)
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
        let ids = with_pool!(self, pool, async {
            let what = "register trials";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            let now = now_rfc3339();
            let mut ids = Vec::with_capacity(trials.len());
            for t in trials {
                sqlx::query(
                    "INSERT INTO trials (key, experiment_id, sweep_id, dataset_id, reason,
                        modality, architecture, labels, task, seed, params_json, config_json,
                        status, created_at)
                     VALUES ($1, $2, $3, $4, 'sweep', $5, $6, $7, $8, $9, $10, $11, 'pending', $12)
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
                    "SELECT id FROM trials WHERE key = $1 AND origin_trial_id IS NULL",
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
        let id = with_pool!(self, pool, async {
            let what = "register re-run";
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO trials (key, experiment_id, sweep_id, dataset_id, origin_trial_id, reason,
                    modality, architecture, labels, task, seed, params_json, config_json,
                    status, created_at)
                 SELECT key, experiment_id, $1, dataset_id, $2, $3, modality, architecture, labels,
                        task, seed, params_json, config_json, 'pending', $4
                 FROM trials WHERE id = $5
                 RETURNING id",
            )
            .bind(sweep_id)
            .bind(primary)
            .bind(reason.as_str())
            .bind(now_rfc3339())
            .bind(origin.id)
            .fetch_one(pool)
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
            let changed = with_pool!(self, pool, async {
                sqlx::query(
                    "UPDATE trials SET status = 'interrupted',
                        error = 'interrupted: worker ' || COALESCE(worker, '?') || ' stopped'
                     WHERE id = $1 AND status = 'running' AND worker IS NOT DISTINCT FROM $2",
                )
                .bind(t.id)
                .bind(&t.worker)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(self.q("recover stale trials"))
            })?;
            if changed != 1 {
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
        with_pool!(self, pool, async {
            sqlx::query(
                "UPDATE trials SET status = 'failed', error = $1, finished_at = $2
                 WHERE id = $3 AND status = 'interrupted'",
            )
            .bind(&error)
            .bind(now_rfc3339())
            .bind(trial_id)
            .execute(pool)
            .await
            .map_err(self.q("give up on a trial"))?;
            Ok(())
        })
    }

    /// Every finished attempt at a trial, in order.
    pub fn attempts(&self, trial_id: i64) -> Result<Vec<AttemptRow>, StoreError> {
        with_pool!(self, pool, async {
            sqlx::query_as(
                "SELECT attempt, worker, started_at, ended_at, outcome, error
                 FROM trial_attempts WHERE trial_id = $1 ORDER BY attempt",
            )
            .bind(trial_id)
            .fetch_all(pool)
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
        with_pool!(self, pool, async {
            sqlx::query_as("SELECT spec_path, spec_text, spec_hash FROM sweeps WHERE id = $1")
                .bind(sweep_id)
                .fetch_optional(pool)
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
        with_pool!(self, pool, async {
            let what = "claim trial";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            let now = now_rfc3339();
            // PostgreSQL: the row is locked with SKIP LOCKED, so a worker
            // never waits behind another one claiming the same trial; it
            // moves on. SQLite: BEGIN IMMEDIATE already serialises claims.
            let claimed = sqlx::query(pool.pick(
                "UPDATE trials SET status = 'running', worker = $1, heartbeat_at = $2,
                    started_at = $3, attempts = attempts + 1, error = NULL
                 WHERE id = $4 AND status IN ('pending', 'interrupted')",
                "UPDATE trials SET status = 'running', worker = $1, heartbeat_at = $2,
                    started_at = $3, attempts = attempts + 1, error = NULL
                 WHERE id = (SELECT id FROM trials
                             WHERE id = $4 AND status IN ('pending', 'interrupted')
                             FOR UPDATE SKIP LOCKED)",
            ))
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
                    "DELETE FROM trial_metrics WHERE trial_id = $1",
                    "DELETE FROM predictions WHERE trial_id = $1",
                    "DELETE FROM skipped_tracks WHERE trial_id = $1",
                    "DELETE FROM artifacts WHERE trial_id = $1",
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
        with_pool!(self, pool, async {
            let what = "record provenance";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            insert_provenance!(tx, trial_id, p)
                .await
                .map_err(self.q(what))?;
            tx.commit().await.map_err(self.q(what))
        })
    }

    /// Reads a trial's provenance.
    pub fn provenance(&self, trial_id: i64) -> Result<Option<Provenance>, StoreError> {
        with_pool!(self, pool, async {
            let what = "read provenance";
            let row = sqlx::query("SELECT * FROM provenance WHERE trial_id = $1")
                .bind(trial_id)
                .fetch_optional(pool)
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
        with_pool!(self, pool, async {
            sqlx::query(
                "UPDATE trials SET heartbeat_at = $1 WHERE worker = $2 AND status = 'running'",
            )
            .bind(now_rfc3339())
            .bind(worker)
            .execute(pool)
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
        with_pool!(self, pool, async {
            let what = "record epoch metrics";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            insert_metrics!(tx, trial_id, metrics)
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
        with_pool!(self, pool, async {
            let what = "record trial result";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            // PostgreSQL: FOR UPDATE holds the row until commit, so no
            // reaper can interrupt the trial between this check and the
            // final UPDATE.
            let holder: Option<(String, Option<String>)> = sqlx::query_as(pool.pick(
                "SELECT status, worker FROM trials WHERE id = $1",
                "SELECT status, worker FROM trials WHERE id = $1 FOR UPDATE",
            ))
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
                insert_split!(tx, hash, manifest, now_rfc3339())
                    .await
                    .map_err(self.q(what))?;
            }
            insert_metrics!(tx, trial_id, &result.metrics)
                .await
                .map_err(self.q(what))?;
            for p in &result.predictions {
                insert_prediction!(tx, trial_id, p)
                    .await
                    .map_err(self.q(what))?;
            }
            for s in &result.skipped {
                insert_skipped!(tx, trial_id, s)
                    .await
                    .map_err(self.q(what))?;
            }
            let now = now_rfc3339();
            for a in &result.artifacts {
                insert_artifact!(tx, trial_id, a, &now)
                    .await
                    .map_err(self.q(what))?;
            }
            sqlx::query(
                "UPDATE trials SET status = 'completed', finished_at = $1, duration_s = $2,
                    classes_json = $3, split_hash = $4, heartbeat_at = $5
                 WHERE id = $6",
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
        with_pool!(self, pool, async {
            let done = sqlx::query(
                "UPDATE trials SET status = 'failed', error = $1, finished_at = $2, duration_s = $3
                 WHERE id = $4 AND status = 'running' AND worker = $5",
            )
            .bind(error)
            .bind(now_rfc3339())
            .bind(duration_s)
            .bind(trial_id)
            .bind(worker)
            .execute(pool)
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
        with_pool!(self, pool, async {
            let what = "interrupt trials";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            let r = sqlx::query(
                "UPDATE trials SET status = 'interrupted', error = 'interrupted by a signal (Ctrl-C, or SIGTERM from a scheduler)'
                 WHERE worker = $1 AND status = 'running'",
            )
            .bind(worker)
            .execute(&mut *tx)
            .await
            .map_err(self.q(what))?;
            sqlx::query(
                "UPDATE sweeps SET status = 'interrupted', finished_at = $1
                 WHERE worker = $2 AND status = 'running'",
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
        with_pool!(self, pool, async {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(self.q("raw statement"))
        })
    }

    // ----- reads ----------------------------------------------------------

    /// One trial by id.
    pub fn trial(&self, id: i64) -> Result<TrialRow, StoreError> {
        with_pool!(self, pool, async {
            let what = "read trial";
            let row = sqlx::query(TRIAL_SELECT_BY_ID)
                .bind(id)
                .fetch_optional(pool)
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
        let ids: Vec<i64> = with_pool!(self, pool, async {
            sqlx::query_scalar(
                "SELECT id FROM trials WHERE substr(key, 1, length($1)) = $1
                 AND origin_trial_id IS NULL ORDER BY id",
            )
            .bind(&q)
            .fetch_all(pool)
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
        with_pool!(self, pool, async {
            let rows = sqlx::query(
                "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
                 FROM trials t JOIN experiments e ON e.id = t.experiment_id
                 JOIN datasets d ON d.id = t.dataset_id
                 WHERE t.key = $1 ORDER BY t.id",
            )
            .bind(key)
            .fetch_all(pool)
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
        with_pool!(self, pool, async {
            let rows = sqlx::query(TRIAL_SELECT_FILTERED)
                .bind(filter.experiment.as_deref())
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.include_reruns)
                .fetch_all(pool)
                .await
                .map_err(self.q("list trials"))?;
            rows.iter().map(|r| self.trial_from_row(r)).collect()
        })
    }

    /// The trials a report shows: for each key of the experiment, its latest
    /// completed row that is not a `mer rerun` check.
    pub fn report_trials(&self, experiment: &str) -> Result<Vec<TrialRow>, StoreError> {
        self.experiment(experiment)?;
        with_pool!(self, pool, async {
            let rows = sqlx::query(TRIAL_SELECT_REPORT)
                .bind(experiment)
                .fetch_all(pool)
                .await
                .map_err(self.q("read report trials"))?;
            rows.iter().map(|r| self.trial_from_row(r)).collect()
        })
    }

    /// Final (non-epoch) metrics of every trial `report_trials` returns.
    pub fn report_metrics(&self, experiment: &str) -> Result<Vec<ExperimentMetric>, StoreError> {
        with_pool!(self, pool, async {
            let what = "read report metrics";
            let rows = sqlx::query(
                "SELECT m.trial_id, m.split, m.fold, m.name, m.value, m.nonfinite
                 FROM trial_metrics m
                 WHERE m.epoch IS NULL AND m.trial_id IN (SELECT id FROM report_trials_view WHERE experiment = $1)
                 ORDER BY m.trial_id, m.split, m.fold, m.name",
            )
            .bind(experiment)
            .fetch_all(pool)
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
        r: &impl RowExt,
        value: &str,
        nonfinite: &str,
        what: &'static str,
    ) -> Result<f64, StoreError> {
        let v: Option<f64> = r.col(value).map_err(self.q(what))?;
        let n: Option<String> = r.col(nonfinite).map_err(self.q(what))?;
        decode_f64(v, n.as_deref()).map_err(|e| self.corrupt(what, e))
    }

    /// Final test values of the named metrics for every trial:
    /// `(trial id, name, per-fold values)` (for listings).
    pub fn final_test_values(
        &self,
        names: &[&str],
    ) -> Result<Vec<(i64, String, Vec<f64>)>, StoreError> {
        with_pool!(self, pool, async {
            let what = "read final metrics";
            let rows = sqlx::query(
                "SELECT trial_id, name, value, nonfinite FROM trial_metrics
                 WHERE split = 'test' AND epoch IS NULL ORDER BY trial_id, name, fold",
            )
            .fetch_all(pool)
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
        with_pool!(self, pool, async {
            let what = "read metrics";
            let rows = sqlx::query(
                "SELECT split, fold, epoch, name, value, nonfinite FROM trial_metrics
                 WHERE trial_id = $1 ORDER BY split, fold, COALESCE(epoch, -1), name",
            )
            .bind(trial_id)
            .fetch_all(pool)
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
        with_pool!(self, pool, async {
            let what = "read predictions";
            let rows = sqlx::query(
                "SELECT fold, track_id, target, y_true, y_pred, pred_nonfinite, scores_json, extra_json
                 FROM predictions WHERE trial_id = $1 ORDER BY fold, track_id, target",
            )
            .bind(trial_id)
            .fetch_all(pool)
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
        with_pool!(self, pool, async {
            sqlx::query_as(
                "SELECT track_id, stage, reason FROM skipped_tracks WHERE trial_id = $1
                 ORDER BY stage, track_id",
            )
            .bind(trial_id)
            .fetch_all(pool)
            .await
            .map_err(self.q("read skipped tracks"))
        })
    }

    /// Artifacts of a trial.
    pub fn artifacts(&self, trial_id: i64) -> Result<Vec<ArtifactRow>, StoreError> {
        with_pool!(self, pool, async {
            sqlx::query_as(
                "SELECT fold, kind, path, sha256, bytes FROM artifacts WHERE trial_id = $1 ORDER BY id",
            )
            .bind(trial_id)
            .fetch_all(pool)
            .await
            .map_err(self.q("read artifacts"))
        })
    }

    /// The split manifest stored under `hash`.
    pub fn split_manifest(&self, hash: &str) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool, async {
            sqlx::query_scalar("SELECT manifest_json FROM splits WHERE hash = $1")
                .bind(hash)
                .fetch_optional(pool)
                .await
                .map_err(self.q("read split manifest"))
        })
    }

    fn trial_from_row(&self, r: &impl RowExt) -> Result<TrialRow, StoreError> {
        let what = "read trial";
        let get = || -> Result<TrialRow, sqlx::Error> {
            let seed: i64 = r.col("seed")?;
            Ok(TrialRow {
                id: r.col("id")?,
                key: r.col("key")?,
                experiment: r.col("experiment")?,
                sweep_id: r.col("sweep_id")?,
                dataset_fingerprint: r.col("fingerprint")?,
                origin_trial_id: r.col("origin_trial_id")?,
                reason: TrialReason::Sweep,
                modality: r.col("modality")?,
                architecture: r.col("architecture")?,
                labels: r.col("labels")?,
                task: r.col("task")?,
                seed: seed as u64,
                params_json: r.col("params_json")?,
                config_json: r.col("config_json")?,
                status: TrialStatus::Pending,
                attempts: r.col("attempts")?,
                worker: r.col("worker")?,
                heartbeat_at: r.col("heartbeat_at")?,
                created_at: r.col("created_at")?,
                started_at: r.col("started_at")?,
                finished_at: r.col("finished_at")?,
                duration_s: r.col("duration_s")?,
                error: r.col("error")?,
                classes: None,
                split_hash: r.col("split_hash")?,
            })
        };
        let mut t = get().map_err(self.q(what))?;
        let status: String = r.col("status").map_err(self.q(what))?;
        t.status = status.parse().map_err(|e: String| self.corrupt(what, e))?;
        let reason: String = r.col("reason").map_err(self.q(what))?;
        t.reason = reason.parse().map_err(|e: String| self.corrupt(what, e))?;
        let classes: Option<String> = r.col("classes_json").map_err(self.q(what))?;
        t.classes = classes
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(|e| self.corrupt(what, format!("classes_json: {e}")))?;
        Ok(t)
    }
}

const TRIAL_SELECT_BY_ID: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id WHERE t.id = $1";

const TRIAL_SELECT_FILTERED: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id
     WHERE ($1 IS NULL OR e.name = $1) AND ($2 IS NULL OR t.status = $2)
       AND ($3 OR t.reason != 'rerun')
     ORDER BY t.id";

const TRIAL_SELECT_SWEEP: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id
     WHERE t.sweep_id = $1
     ORDER BY t.id";

const TRIAL_SELECT_REPORT: &str = "SELECT t.*, e.name AS experiment, d.fingerprint AS fingerprint
     FROM trials t JOIN experiments e ON e.id = t.experiment_id
     JOIN datasets d ON d.id = t.dataset_id
     WHERE t.id IN (SELECT id FROM report_trials_view WHERE experiment = $1)
     ORDER BY t.id";

/// Makes the SQLite file at `dest` self-contained: its WAL folded in and
/// switched off by the only connection left, its lock file removed.
fn leave_wal(dest: &Path) -> Result<(), StoreError> {
    use sqlx::Connection as _;
    let what = "export experiment: leave WAL mode";
    let q = |source| StoreError::Query {
        path: dest.to_path_buf(),
        what,
        source,
    };
    runtime()?.block_on(async {
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

// After the macros it uses (macro_rules! scope is textual).
mod copy;
pub use copy::CopySummary;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_accepts_paths_sqlite_and_postgres_urls_and_hides_a_password() {
        let p = Location::parse;
        let sqlite = |s: &str| Location::Sqlite(PathBuf::from(s));
        assert_eq!(p("results.db").unwrap(), sqlite("results.db"));
        assert_eq!(p("sqlite:///abs/r.db").unwrap(), sqlite("/abs/r.db"));
        assert_eq!(p("sqlite://rel/r.db").unwrap(), sqlite("rel/r.db"));
        assert_eq!(p("sqlite:r.db").unwrap(), sqlite("r.db"));
        assert!(p("sqlite://r.db?mode=ro").is_err());
        let url = "postgres://mer:s3cret@db.example:5432/results?sslmode=require";
        let at = p(url).unwrap();
        assert_eq!(at, Location::Postgres(url.to_string()));
        assert_eq!(
            at.to_string(),
            "postgres://mer:***@db.example:5432/results?sslmode=require"
        );
        assert_eq!(format!("{at:?}"), at.to_string());
        assert_eq!(
            redact_url("postgresql://h/db?user=u&password=pw&sslmode=verify-full"),
            "postgresql://h/db?user=u&password=***&sslmode=verify-full"
        );
        let e = p("postgres://mer:s3cret@db.example:notaport/results").unwrap_err();
        assert!(
            e.contains("mer:***@db.example") && !e.contains("s3cret"),
            "{e}"
        );
        let e = p("mysql://root:pw@h/x").unwrap_err();
        assert!(!e.contains("pw@") && e.contains("root:***@h"), "{e}");
        assert_eq!(
            split_password("postgres://mer:s3cret@h:5432/db?sslmode=require"),
            (
                "postgres://mer@h:5432/db?sslmode=require".to_string(),
                Some("s3cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://h/db?password=x"),
            ("postgres://h/db".to_string(), Some("x".to_string()))
        );
        assert_eq!(
            split_password("postgres://mer@h/db"),
            ("postgres://mer@h/db".to_string(), None)
        );
    }

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

/// For tests of every crate: fresh PostgreSQL databases on the test server
/// named by `MER_TEST_POSTGRES_URL` (started by `tools/pg-test-server`).
#[doc(hidden)]
pub mod testing {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static NEXT: AtomicUsize = AtomicUsize::new(0);

    /// A new, empty database on the test server, as a URL; `None` when no
    /// server is configured. With `MER_REQUIRE_POSTGRES=1` (CI) a missing
    /// server is a panic, so the PostgreSQL half of a test never goes
    /// silently unrun.
    pub fn fresh_postgres() -> Option<String> {
        let Ok(admin) = std::env::var("MER_TEST_POSTGRES_URL") else {
            if std::env::var("MER_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("MER_REQUIRE_POSTGRES=1 but MER_TEST_POSTGRES_URL is not set");
            }
            return None;
        };
        let name = format!(
            "mer_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async {
            use sqlx::Connection as _;
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("MER_TEST_POSTGRES_URL: cannot connect: {e}"));
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create a test database");
        });
        let (base, query) = match admin.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (admin.as_str(), None),
        };
        let (server, _) = base.rsplit_once('/').expect("a URL with a database name");
        Some(match query {
            Some(q) => format!("{server}/{name}?{q}"),
            None => format!("{server}/{name}"),
        })
    }
}
