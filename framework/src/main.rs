//! The `mer` command line: parse arguments, call the library, print the
//! error chain, map it to an exit code. No logic lives here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use mer::run::{self, SweepOptions};
use mer_report::listing::{self, Format};
use mer_spec::{self as spec, SpecError};
use mer_store::{Location, Store, TrialFilter, TrialStatus};

/// Exit codes (also listed in `mer --help`).
mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const INVALID_SPEC: u8 = 2;
    pub const TRIALS_FAILED: u8 = 3;
    pub const RERUN_DIFFERS: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Parser)]
#[command(
    name = "mer",
    version,
    about = "Music emotion recognition experiments: typed sweeps over audio, lyrics and \
             fusion models, recorded in SQLite or PostgreSQL, rendered as paper-ready reports.",
    after_help = "Typical use:\n  mer sweep experiments/quickstart.toml --report   run a sweep, then write its report\n  mer runs --experiment quickstart                 list its trials\n  mer show 12                                      one trial in detail\n  mer rerun 12                                     re-run it and compare\n\nExit status: 0 success; 1 error; 2 invalid spec or arguments; 3 some trials failed;\n4 a rerun did not reproduce its trial; 130 interrupted."
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Results database: a SQLite file (or `sqlite:///path` URL), created on
    /// first use; or a PostgreSQL URL for a cluster,
    /// `postgres://USER@HOST:5432/DB?sslmode=verify-full&sslrootcert=ca.pem`
    /// (the database must exist; mer creates its tables). Keep a password
    /// out of the command line: PGPASSWORD or ~/.pgpass are read.
    #[arg(long, global = true, env = "MER_DB", default_value = "results.db")]
    db: String,
    /// The parsed `--db`.
    #[arg(skip = Location::Sqlite(PathBuf::from("results.db")))]
    at: Location,
    /// Directory for trial artifacts (fitted models, network weights) that
    /// `mer predict` and `mer rerun` read later. Default: beside a SQLite
    /// file (`results.artifacts/`). Required with PostgreSQL: a directory
    /// every worker and reader shares.
    #[arg(long, global = true, env = "MER_ARTIFACTS")]
    artifacts: Option<PathBuf>,
    /// Cache for generated datasets and extracted features.
    #[arg(long, global = true, env = "MER_CACHE", default_value = ".mer-cache")]
    cache: PathBuf,
    /// Print no progress (errors and results still print).
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Where neural networks train and predict: `cpu`, or `cuda` / `cuda:N`
    /// (a build with `--features cuda`). Not part of a trial's identity;
    /// recorded in its provenance.
    #[arg(long, global = true, env = "MER_DEVICE", default_value = "cpu", value_parser = parse_device)]
    device: run::ComputeDevice,
}

fn parse_device(s: &str) -> Result<run::ComputeDevice, String> {
    match s {
        "cpu" => Ok(run::ComputeDevice::Cpu),
        "cuda" | "gpu" => Ok(run::ComputeDevice::Cuda(0)),
        _ => s
            .strip_prefix("cuda:")
            .and_then(|i| i.parse().ok())
            .map(run::ComputeDevice::Cuda)
            .ok_or_else(|| format!("`{s}`: expected cpu, cuda or cuda:N")),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run every pending trial of a spec and record it in the database.
    ///
    /// Trials already completed are skipped, so running the same spec again
    /// runs nothing new; trials of a sweep that was killed are re-run. Several
    /// sweeps may share one database: each trial runs exactly once.
    Sweep(SweepArgs),
    /// Print the trials a spec expands to, without running anything.
    Plan {
        /// The experiment spec (TOML).
        spec: PathBuf,
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// List recorded trials.
    Runs {
        /// Only this experiment.
        #[arg(long, short)]
        experiment: Option<String>,
        /// Only trials in this state.
        #[arg(long, short, value_parser = parse_status)]
        status: Option<TrialStatus>,
        /// Include `mer rerun` checks.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Show one trial: config, provenance, metrics per fold, confusion matrix.
    Show {
        /// Trial id (`12`) or a unique prefix of its key (`3fa9c1`).
        trial: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Re-run recorded trials (one, or a whole experiment) and compare with
    /// what was recorded.
    ///
    /// Each stored resolved config runs again on the same data (checked by
    /// its fingerprint) and is recorded as a new trial linked to the
    /// original. With --experiment, every selected trial re-runs in parallel
    /// (--jobs) with a live count of identical / differing / failed ones; an
    /// interrupted reproduction resumes when the same command runs again;
    /// the reproduction report (per-trial verdicts, the paper table recorded
    /// vs re-run, provenance differences) is written to
    /// reports/<experiment>/reproduction.{md,html,csv}. Exits 0 only when
    /// every selected trial reproduces (4 when one differs).
    #[command(group(clap::ArgGroup::new("what").required(true).args(["trial", "experiment"])))]
    Rerun {
        /// Trial id or unique key prefix (one trial).
        trial: Option<String>,
        /// Re-run an experiment's trials: by default the ones its report
        /// shows (the latest completed run of each configuration). Its name,
        /// or a spec file naming it.
        #[arg(long, conflicts_with = "trial")]
        experiment: Option<String>,
        /// Only the trials this sweep registered (its id, see `mer runs`).
        #[arg(long, requires = "experiment")]
        sweep: Option<i64>,
        /// Only these trial ids (comma-separated).
        #[arg(long, requires = "experiment", value_delimiter = ',')]
        trials: Vec<i64>,
        /// Only trials in this state (default: completed; others have no
        /// results to compare and are listed as not re-run).
        #[arg(long, requires = "experiment")]
        status: Option<String>,
        /// Accept differences up to this absolute value (for runs where
        /// bit-identity is not expected: another CPU, a GPU); the report then
        /// says "within tolerance" and the largest difference.
        #[arg(long, value_name = "ABS")]
        tolerance: Option<f64>,
        /// Trials re-run in parallel (default: the number of CPUs).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Where the reproduction report goes (default:
        /// reports/<experiment>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Score new audio (and lyrics) with a stored trial's models.
    ///
    /// Each file goes through the trial's own feature settings and each
    /// fold's preprocessing; the folds' outputs are averaged. Prints the
    /// label and class probabilities (SVM: decision scores), or the
    /// valence/arousal values. Every fold's fitted model (network weights or
    /// classical model) was saved with the trial and is read back,
    /// sha256-checked, so the training data is not needed. (Classical trials
    /// recorded by a mer that saved no classical models are fitted again
    /// exactly as recorded, which needs their dataset on disk, unchanged.)
    Predict {
        /// Trial id or unique key prefix.
        #[arg(long)]
        trial: String,
        /// Audio files to score (none for a lyrics-only model).
        files: Vec<PathBuf>,
        /// Lyrics file of each audio file, in the same order (repeat the
        /// flag); a lyrics-only model takes only these.
        #[arg(long)]
        lyrics: Vec<PathBuf>,
        /// Use only this fold's network instead of averaging all folds.
        #[arg(long)]
        fold: Option<usize>,
        #[arg(long, value_enum, default_value_t = FeatFormat::Json)]
        format: FeatFormat,
    },
    /// Print the audio features of files, through the code path sweeps use.
    Features {
        /// Audio files (WAV, mp3, flac, ogg, au).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Feature set.
        #[arg(long, value_enum, default_value_t = SetArg::Seed37)]
        set: SetArg,
        #[arg(long, value_enum, default_value_t = FeatFormat::Json)]
        format: FeatFormat,
        /// Resample to this rate (Hz) before analysis.
        #[arg(long, default_value_t = 22050)]
        sample_rate: u32,
        /// Seconds to skip at the start of each file.
        #[arg(long, default_value_t = 0.0)]
        offset: f64,
        /// Seconds to analyse (default: to the end).
        #[arg(long)]
        duration: Option<f64>,
        /// Leave out (and report) files that cannot be decoded instead of failing.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Datasets: check that a spec's dataset reads, and summarise it.
    #[command(subcommand)]
    Data(DataCommand),
    /// The results database itself.
    #[command(subcommand)]
    Db(DbCommand),
    /// Write an experiment's report: tables (Markdown, LaTeX, CSV) with
    /// mean ± std, intervals and paired significance tests, figures (SVG and
    /// PNG) and an index.html.
    ///
    /// Regenerating from the same database gives byte-identical files. The
    /// experiment may also be a replication bundle (`E.mer.tar.zst`): its
    /// tables are regenerated from the rows it holds, re-running nothing.
    Report(ReportArgs),
    /// Claim and run the trials waiting in the database until none is left.
    ///
    /// Trials wait there after `mer sweep SPEC --enqueue`, or when a sweep
    /// stopped. Start as many workers as you like, on this host or others
    /// that share the database: each trial is claimed by exactly one; a
    /// worker that stops (crash, kill -9, a scheduler's time limit) is found
    /// by the others (on its host at once, elsewhere once its heartbeat is
    /// older than --stale-after) and its trial runs again, up to
    /// --max-attempts in all. The datasets and feature cache (--cache) must
    /// be readable by every worker. Exit status 3 when a trial failed.
    Worker {
        /// Only this experiment's trials.
        #[arg(long)]
        experiment: Option<String>,
        /// Stop after this many trials.
        #[arg(long)]
        max_trials: Option<usize>,
        /// With nothing to run, wait this many seconds for new trials
        /// before exiting.
        #[arg(long, default_value_t = 0)]
        idle_exit: u64,
        /// Trials run in parallel by this worker (default: the number of CPUs).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Seconds without a heartbeat after which another worker's trial
        /// counts as stopped.
        #[arg(long, default_value_t = 120)]
        stale_after: u64,
        /// Attempts a trial gets when its workers stop, before it fails.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i64).range(1..))]
        max_attempts: i64,
    },
    /// Queue a spec's trials and submit workers to a cluster scheduler.
    #[command(subcommand)]
    Submit(SubmitCommand),
    /// An experiment's progress: trials per status, workers alive, ETA.
    Status {
        /// Experiment name, or a spec file naming it.
        experiment: String,
        /// Seconds without a heartbeat after which a worker counts as gone.
        #[arg(long, default_value_t = 120)]
        stale_after: u64,
    },
    /// Write a replication bundle: one file another lab can check and re-run.
    ///
    /// It holds the experiment's specs, its rows (trials, metrics,
    /// predictions, splits, provenance) as a standalone SQLite database, the
    /// fitted models and weights, each dataset's files with a content
    /// fingerprint per file (the data itself only with --with-data, always
    /// for the generated benchmark), Cargo.lock, the mer version and commit,
    /// and a README for a reader. The data is read once to fingerprint it,
    /// and must be what the trials saw.
    Bundle {
        /// Experiment name, or a spec file naming it.
        experiment: String,
        /// The bundle to write (default: <experiment>.mer.tar.zst).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Include the datasets' files (audio, lyrics, annotations).
        #[arg(long)]
        with_data: bool,
    },
    /// Reproduce a replication bundle: check the data, re-run every trial,
    /// and write the reproduction report.
    ///
    /// The bundle is unpacked (paths and sizes checked first; nothing in it
    /// is executed) into --workdir; the data (bundled, or your copy under
    /// --data-root) is checked file by file against the bundle's
    /// fingerprints, naming every missing or changed file, and changed data
    /// is refused unless --allow-changed-data; then every trial re-runs as
    /// `mer rerun --experiment` does, into the unpacked database, and the
    /// report goes to reports/<experiment>/reproduction.{md,html,csv}. Run
    /// the same command again to resume. Exits 0 only if every trial
    /// reproduces (4 when one differs).
    Reproduce {
        /// The bundle (`E.mer.tar.zst`).
        bundle: PathBuf,
        /// Where your copy of the data lives (for a bundle without its data):
        /// the dataset's root folder, or `DIR/<i>` for dataset i when the
        /// bundle has several.
        #[arg(long)]
        data_root: Option<PathBuf>,
        /// Re-run even if the data differs from the bundle's fingerprints.
        #[arg(long)]
        allow_changed_data: bool,
        /// Accept differences up to this absolute value (another CPU, a GPU).
        #[arg(long, value_name = "ABS")]
        tolerance: Option<f64>,
        /// Trials re-run in parallel (default: the number of CPUs).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Where the bundle is unpacked and re-run (default:
        /// <bundle name>.reproduction/ here).
        #[arg(long)]
        workdir: Option<PathBuf>,
        /// Where the reproduction report goes (default: reports/<experiment>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Refuse bundles that unpack to more than this many bytes.
        #[arg(long, default_value_t = mer::bundle::DEFAULT_MAX_SIZE)]
        max_size: u64,
    },
    /// Explore a spec's dataset: class distribution, feature correlations,
    /// class-centroid distances per modality, top keywords per class, PCA
    /// and t-SNE projections and the valence-arousal plane.
    ///
    /// Uses the spec's [dataset], [features.audio] (a track-level set) and
    /// [features.text] settings; labels are fitted on every track. Writes
    /// index.html, eda.md and figures/ under reports/<experiment>/eda/.
    Eda {
        /// The experiment spec (TOML).
        spec: PathBuf,
        /// Label scheme to colour by (e.g. quadrants, grid16, kmeans4,
        /// categorical); defaults to the spec's first classification scheme.
        #[arg(long)]
        labels: Option<String>,
        /// Output folder; defaults to reports/<experiment>/eda/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Leave out the t-SNE projections (exact t-SNE: seconds for
        /// hundreds of tracks, a minute or more for a thousand).
        #[arg(long)]
        no_tsne: bool,
    },
}

#[derive(Args)]
struct ReportArgs {
    /// Experiment name, or a spec file naming it.
    experiment: String,
    /// Output folder; defaults to reports/<experiment>/.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Configuration every other one is compared with (paired tests on the
    /// same folds and seeds), as KEY=VALUE pairs, e.g.
    /// `modality=audio,architecture=svm`; default: the best of each column.
    #[arg(long)]
    baseline: Option<mer_report::ConfigSelector>,
    /// Significance level of the markers and of the critical difference.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Print the 95 % t-interval in every table cell.
    #[arg(long)]
    ci: bool,
    /// Extra pivot table `ROWS x COLS[:METRIC[:SPLIT]]`, e.g.
    /// `model.svm.c x modality:accuracy`; repeatable. Every group already
    /// gets `architecture x modality` on its headline metric.
    #[arg(long)]
    pivot: Vec<mer_report::PivotSpec>,
    /// Headline metric of classification tables and figures.
    #[arg(long, default_value = "macro_f1")]
    headline: String,
    /// Headline metric of regression tables and figures.
    #[arg(long, default_value = "r2")]
    headline_regression: String,
    /// Tables only: draw no figures.
    #[arg(long)]
    no_figures: bool,
}

impl ReportArgs {
    fn options(&self) -> Result<mer_report::ReportOptions> {
        anyhow::ensure!(
            self.alpha > 0.0 && self.alpha < 1.0,
            "--alpha must be between 0 and 1, got {}",
            self.alpha
        );
        Ok(mer_report::ReportOptions {
            baseline: self.baseline.clone(),
            alpha: self.alpha,
            ci: self.ci,
            pivots: self.pivot.clone(),
            headline_classification: self.headline.clone(),
            headline_regression: self.headline_regression.clone(),
            figures: !self.no_figures,
            ..Default::default()
        })
    }
}

#[derive(Subcommand)]
enum DbCommand {
    /// Bring an existing database's schema up to this mer's (in place, every
    /// recorded result kept). `mer runs`, `show`, `report` and `predict`
    /// only read, and ask for this when a database is older than they read.
    Upgrade,
    /// Copy experiments between databases of any kind: a cluster's
    /// PostgreSQL to a laptop's SQLite file for writing the paper, and back.
    /// Finished trials (completed, failed) move with everything they own,
    /// keeping their ids where the target has them free; queued and running
    /// trials stay behind. Safe to repeat: trials already there are not
    /// copied again. Artifact folders (fitted models, weights) are copied
    /// too when both sides have a directory for them.
    Copy {
        /// Source database (path or URL, like --db).
        #[arg(long)]
        from: String,
        /// Target database (created if it is a new SQLite file).
        #[arg(long)]
        to: String,
        /// Only these experiments (repeatable); default: all.
        #[arg(long)]
        experiment: Vec<String>,
        /// The source's artifacts directory (default: beside a SQLite file).
        #[arg(long)]
        from_artifacts: Option<PathBuf>,
        /// The target's artifacts directory (default: beside a SQLite file).
        #[arg(long)]
        to_artifacts: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Read the spec's dataset (generating the synthetic one if needed) and
    /// print a summary: tracks, classes, missing audio/lyrics, scale, and
    /// every problem the importer found.
    Check {
        /// The experiment spec (TOML).
        spec: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SetArg {
    Seed37,
    Extended,
}

#[derive(Clone, Copy, ValueEnum)]
enum FeatFormat {
    Json,
    Csv,
}

#[derive(Args)]
struct SweepArgs {
    /// The experiment spec (TOML).
    spec: PathBuf,
    /// Trials run in parallel; defaults to the number of CPUs.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Re-run trials that already completed (recorded as new trials).
    #[arg(long)]
    force: bool,
    /// Re-run trials that failed in an earlier sweep.
    #[arg(long)]
    retry_failed: bool,
    /// Seconds without a heartbeat after which another sweep's running
    /// trial counts as interrupted (dead processes on this host are detected
    /// at once).
    #[arg(long, default_value_t = 120)]
    stale_after: u64,
    /// Write the experiment's report when the sweep ends.
    #[arg(long, conflicts_with = "enqueue")]
    report: bool,
    /// Register the spec's trials (idempotently) and run none of them:
    /// `mer worker`s claim and run them, here or on other hosts sharing the
    /// database.
    #[arg(long)]
    enqueue: bool,
    /// A trial whose process stopped (crash, kill -9) runs again up to this
    /// many attempts in all, then fails with every attempt's error (default:
    /// no limit; `mer worker` defaults to 3).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    max_attempts: Option<i64>,
}

#[derive(Subcommand)]
enum SubmitCommand {
    /// Queue the spec's trials in the database (as `mer sweep --enqueue`)
    /// and submit a Slurm job array of `mer worker`s to run them.
    ///
    /// Writes an sbatch script (one array task per worker, `--array=0-(N-1)%K`),
    /// submits it with `sbatch --parsable` and prints the job id. The
    /// database, the cache (--cache) and the datasets must be reachable from
    /// every node (SQLite: one node's local disk, so one node; several
    /// nodes: a PostgreSQL --db and a shared --artifacts directory).
    /// Workers that are cancelled, preempted or time-limited (SIGTERM) mark
    /// their trial interrupted and the others pick it up.
    Slurm {
        /// The experiment spec (TOML).
        spec: PathBuf,
        /// Array tasks, one worker each.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        workers: u32,
        /// At most this many workers at once.
        #[arg(long)]
        max_running: Option<u32>,
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per worker, e.g. `04:00:00`.
        #[arg(long)]
        time: Option<String>,
        /// CPUs per worker (its --jobs).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        cpus_per_task: u32,
        /// Generic resources per worker, e.g. `gpu:1`.
        #[arg(long)]
        gres: Option<String>,
        /// Seconds a worker waits for more trials before it exits.
        #[arg(long, default_value_t = 30)]
        idle_exit: u64,
        /// Where the script and the workers' logs go.
        #[arg(long, default_value = "slurm-logs")]
        log_dir: PathBuf,
        /// Print the script; queue and submit nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Queue the spec's trials in the (PostgreSQL) database and write a
    /// Kubernetes Indexed Job of `mer worker` pods, for `kubectl apply -f`.
    ///
    /// The pods read the database URL from a Secret (`--secret`, key
    /// `--secret-key`), never from the manifest; create it once with
    /// `kubectl create secret generic mer-db --from-literal=url=postgres://...`.
    /// A shared volume (`--pvc`, ReadWriteMany) mounted at `--mount` holds
    /// the artifacts, the cache and the datasets (paths in the spec as the
    /// pods see them). Pods that are deleted or preempted get SIGTERM and
    /// hand their trial back.
    K8s {
        /// The experiment spec (TOML).
        spec: PathBuf,
        /// Worker pods in all (the Job's completions).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
        workers: u32,
        /// At most this many pods at once (the Job's parallelism).
        #[arg(long)]
        max_running: Option<u32>,
        /// Container image with `mer` on its PATH.
        #[arg(long)]
        image: String,
        /// Secret holding the database URL.
        #[arg(long, default_value = "mer-db")]
        secret: String,
        /// Key of the URL in the Secret.
        #[arg(long, default_value = "url")]
        secret_key: String,
        /// PersistentVolumeClaim shared by the pods (ReadWriteMany).
        #[arg(long)]
        pvc: Option<String>,
        /// Where the shared volume is mounted (artifacts in DIR/artifacts,
        /// cache in DIR/cache; the pods' working directory).
        #[arg(long, default_value = "/shared")]
        mount: String,
        #[arg(long)]
        namespace: Option<String>,
        /// CPUs per pod (its --jobs, request and limit).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        cpus_per_task: u32,
        /// Memory per pod (request and limit), e.g. `8Gi`.
        #[arg(long)]
        memory: Option<String>,
        /// GPUs per pod (`nvidia.com/gpu`).
        #[arg(long)]
        gpus: Option<u32>,
        /// Seconds a worker waits for more trials before it exits.
        #[arg(long, default_value_t = 30)]
        idle_exit: u64,
        /// Where to write the manifest (default `mer-EXPERIMENT.job.json`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the manifest; queue and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutFormat {
    Table,
    Csv,
    Json,
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Format {
        match f {
            OutFormat::Table => Format::Table,
            OutFormat::Csv => Format::Csv,
            OutFormat::Json => Format::Json,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowFormat {
    Text,
    Json,
}

fn parse_status(s: &str) -> Result<TrialStatus, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if let Some(spec_err) = e.downcast_ref::<SpecError>()
                && matches!(spec_err, SpecError::Invalid(_))
            {
                eprintln!("error: the spec is invalid:\n{spec_err}");
                return ExitCode::from(exit::INVALID_SPEC);
            }
            // Each cause once: wrappers often repeat their source's text.
            let mut shown = e.to_string();
            eprintln!("error: {shown}");
            for cause in e.chain().skip(1) {
                let text = cause.to_string();
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                    shown.push_str(&text);
                }
            }
            ExitCode::from(exit::ERROR)
        }
    }
}

fn open_store(g: &Global) -> Result<Store> {
    require_artifacts(g)?;
    Store::open_at(&g.at).with_context(|| format!("opening the results database {}", g.at))
}

fn open_existing(g: &Global) -> Result<Store> {
    require_artifacts(g)?;
    Ok(Store::open_existing_at(&g.at)?)
}

/// For the commands that only read: nothing created, migrated or locked.
fn open_read_only(g: &Global) -> Result<Store> {
    Ok(Store::open_read_only_at(&g.at)?)
}

/// A PostgreSQL store has no file for artifacts to sit beside.
fn require_artifacts(g: &Global) -> Result<()> {
    anyhow::ensure!(
        !matches!(g.at, Location::Postgres(_)) || g.artifacts.is_some(),
        "--db {}: with a PostgreSQL store, trial artifacts (fitted models, network \
         weights) go to a directory every worker and reader shares: pass --artifacts DIR \
         or set MER_ARTIFACTS",
        g.at
    );
    Ok(())
}

fn db_upgrade(g: &Global) -> Result<u8> {
    // Migrating writes no artifacts: no --artifacts needed.
    let store = Store::open_existing_at(&g.at)?;
    println!(
        "{}: schema version {}",
        store.path().display(),
        Store::schema_version()
    );
    Ok(exit::OK)
}

fn db_copy(
    from: &str,
    to: &str,
    experiments: &[String],
    from_artifacts: Option<&Path>,
    to_artifacts: Option<&Path>,
) -> Result<u8> {
    let parse =
        |flag: &str, text: &str| Location::parse(text).map_err(|e| anyhow::anyhow!("--{flag} {e}"));
    let (from_at, to_at) = (parse("from", from)?, parse("to", to)?);
    anyhow::ensure!(
        from_at != to_at,
        "--from and --to are the same database ({from_at})"
    );
    let src = Store::open_read_only_at(&from_at)?;
    let dst = Store::open_at(&to_at)?;
    let names: Vec<String> = if experiments.is_empty() {
        src.experiments()?.into_iter().map(|e| e.name).collect()
    } else {
        experiments.to_vec()
    };
    let root = |store: &Store, explicit: Option<&Path>| -> Option<PathBuf> {
        explicit
            .map(Path::to_path_buf)
            .or_else(|| match store.location() {
                Location::Sqlite(_) => Some(run::artifacts_root(store)),
                Location::Postgres(_) => None,
            })
    };
    let (src_root, dst_root) = (root(&src, from_artifacts), root(&dst, to_artifacts));
    for name in &names {
        let s = src
            .copy_experiment(name, &dst)
            .with_context(|| format!("copying experiment {name}"))?;
        let mut folders = 0;
        if let (Some(a), Some(b)) = (&src_root, &dst_root) {
            folders = copy_artifact_folders(&src, name, &s, a, b)?;
        }
        println!(
            "{name}: {} trial(s) copied, {} already in {to_at}, {} not finished (left behind){}",
            s.trials_copied,
            s.trials_present,
            s.trials_unfinished,
            if folders > 0 {
                format!(", {folders} artifact folder(s) copied")
            } else {
                String::new()
            }
        );
        for (old, new) in &s.renumbered {
            println!("  trial {old} is trial {new} in {to_at} (its id was taken there)");
        }
        for (key, id) in &s.conflicts {
            println!(
                "  NOT copied: trial {id} ({key}): {to_at} has another row for this trial key"
            );
        }
    }
    if src_root.is_some() != dst_root.is_some() {
        println!(
            "note: artifact folders not copied: pass --from-artifacts / --to-artifacts for the \
             PostgreSQL side"
        );
    }
    Ok(exit::OK)
}

/// Copies each finished trial's artifact folder `<a>/<id>` to `<b>/<id'>`
/// (its id in the target), unless the target has it already. Returns the
/// number of folders copied.
fn copy_artifact_folders(
    src: &Store,
    experiment: &str,
    s: &mer_store::CopySummary,
    a: &Path,
    b: &Path,
) -> Result<usize> {
    let renumbered: std::collections::HashMap<i64, i64> = s.renumbered.iter().copied().collect();
    let mut n = 0;
    for t in src.trials(&TrialFilter {
        experiment: Some(experiment.to_string()),
        status: None,
        include_reruns: true,
    })? {
        let from = a.join(t.id.to_string());
        let id = renumbered.get(&t.id).copied().unwrap_or(t.id);
        let to = b.join(id.to_string());
        if !t.status.is_finished() || !from.is_dir() || to.exists() {
            continue;
        }
        let tmp = b.join(format!(".{id}.copying"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        for entry in
            std::fs::read_dir(&from).with_context(|| format!("reading {}", from.display()))?
        {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), tmp.join(entry.file_name()))
                    .with_context(|| format!("copying {}", entry.path().display()))?;
            }
        }
        std::fs::rename(&tmp, &to).with_context(|| format!("creating {}", to.display()))?;
        n += 1;
    }
    Ok(n)
}

fn dispatch(mut cli: Cli) -> Result<u8> {
    cli.global.at = Location::parse(&cli.global.db).map_err(|e| anyhow::anyhow!("--db {e}"))?;
    if let Some(dir) = &cli.global.artifacts {
        run::set_artifacts_root(dir.clone());
    }
    let g = &cli.global;
    match &cli.command {
        Command::Sweep(a) => sweep(g, a),
        Command::Plan { spec, format } => plan(spec, *format),
        Command::Runs {
            experiment,
            status,
            all,
            format,
        } => runs(g, experiment.clone(), *status, *all, *format),
        Command::Show { trial, format } => show(g, trial, *format),
        Command::Rerun {
            trial,
            experiment,
            sweep,
            trials,
            status,
            tolerance,
            jobs,
            out,
        } => {
            let opts = rerun_options(g, *jobs, *tolerance)?;
            match (trial, experiment) {
                (Some(trial), _) => rerun(g, trial, &opts, *tolerance),
                (None, Some(experiment)) => {
                    let sel = run::Selection {
                        experiment: experiment_name(experiment)?,
                        sweep: *sweep,
                        trials: trials.clone(),
                        status: status
                            .as_deref()
                            .map(str::parse::<mer_store::TrialStatus>)
                            .transpose()
                            .map_err(|e| anyhow::anyhow!("--status: {e}"))?,
                    };
                    rerun_experiment(g, &sel, &opts, *tolerance, out.as_deref())
                }
                (None, None) => unreachable!("clap requires a trial or --experiment"),
            }
        }
        Command::Features {
            files,
            set,
            format,
            sample_rate,
            offset,
            duration,
            skip_bad,
        } => {
            let cfg = mer_audio::AudioFeatureConfig {
                sample_rate: *sample_rate,
                offset_s: *offset,
                duration_s: *duration,
                set: match set {
                    SetArg::Seed37 => mer_audio::FeatureSet::Seed37,
                    SetArg::Extended => mer_audio::FeatureSet::Extended,
                },
                on_bad_audio: if *skip_bad {
                    mer_audio::OnBadAudio::Skip
                } else {
                    mer_audio::OnBadAudio::Fail
                },
            };
            features(files, &cfg, *format)
        }
        Command::Data(DataCommand::Check { spec }) => data_check(g, spec),
        Command::Db(DbCommand::Upgrade) => db_upgrade(g),
        Command::Db(DbCommand::Copy {
            from,
            to,
            experiment,
            from_artifacts,
            to_artifacts,
        }) => db_copy(
            from,
            to,
            experiment,
            from_artifacts.as_deref(),
            to_artifacts.as_deref(),
        ),
        Command::Report(a) => report(g, a),
        Command::Worker {
            experiment,
            max_trials,
            idle_exit,
            jobs,
            stale_after,
            max_attempts,
        } => {
            let mut opts = rerun_options(g, *jobs, None)?;
            opts.stale_after = std::time::Duration::from_secs(*stale_after);
            opts.max_attempts = *max_attempts;
            let w = run::WorkerOptions {
                experiment: experiment.as_deref().map(experiment_name).transpose()?,
                max_trials: *max_trials,
                idle_exit: std::time::Duration::from_secs(*idle_exit),
            };
            worker(g, &opts, &w)
        }
        Command::Submit(SubmitCommand::K8s {
            spec,
            workers,
            max_running,
            image,
            secret,
            secret_key,
            pvc,
            mount,
            namespace,
            cpus_per_task,
            memory,
            gpus,
            idle_exit,
            out,
            dry_run,
        }) => {
            let plan = spec::load_plan(spec)?;
            let job = mer::submit::K8sJob {
                experiment: plan.experiment.name.clone(),
                workers: *workers as usize,
                max_running: max_running.map(|k| k as usize),
                image: image.clone(),
                secret: secret.clone(),
                secret_key: secret_key.clone(),
                volume_claim: pvc.clone(),
                mount: mount.clone(),
                namespace: namespace.clone(),
                cpus_per_task: *cpus_per_task as usize,
                memory: memory.clone(),
                gpus: gpus.map(|g| g as usize),
                idle_exit: *idle_exit,
                grace_s: 60,
            };
            submit_k8s(g, &plan, &job, out.as_deref(), *dry_run)
        }
        Command::Submit(SubmitCommand::Slurm {
            spec,
            workers,
            max_running,
            partition,
            time,
            cpus_per_task,
            gres,
            idle_exit,
            log_dir,
            dry_run,
        }) => {
            let plan = spec::load_plan(spec)?;
            let abs = |p: &Path| -> Result<PathBuf> {
                Ok(if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    std::env::current_dir()?.join(p)
                })
            };
            let job = mer::submit::SlurmJob {
                experiment: plan.experiment.name.clone(),
                workers: *workers as usize,
                max_running: max_running.map(|k| k as usize),
                partition: partition.clone(),
                time: time.clone(),
                cpus_per_task: *cpus_per_task as usize,
                gres: gres.clone(),
                idle_exit: *idle_exit,
                mer: std::env::current_exe()?,
                db: match &g.at {
                    Location::Sqlite(p) => abs(p)?.display().to_string(),
                    Location::Postgres(url) => mer_store::split_password(url).0,
                },
                artifacts: g.artifacts.as_deref().map(abs).transpose()?,
                cache: abs(&g.cache)?,
                log_dir: abs(log_dir)?,
            };
            submit_slurm(g, &plan, &job, *dry_run)
        }
        Command::Status {
            experiment,
            stale_after,
        } => status(g, experiment, *stale_after),
        Command::Bundle {
            experiment,
            out,
            with_data,
        } => bundle(g, experiment, out.as_deref(), *with_data),
        Command::Reproduce {
            bundle,
            data_root,
            allow_changed_data,
            tolerance,
            jobs,
            workdir,
            out,
            max_size,
        } => {
            let mut opts = rerun_options(g, *jobs, *tolerance)?;
            opts.allow_changed_data = *allow_changed_data;
            reproduce(
                bundle,
                data_root.as_deref(),
                workdir.as_deref(),
                out.as_deref(),
                *max_size,
                opts,
                *tolerance,
            )
        }
        Command::Predict {
            trial,
            files,
            lyrics,
            fold,
            format,
        } => predict(g, trial, files, lyrics, *fold, *format),
        Command::Eda {
            spec,
            labels,
            out,
            no_tsne,
        } => eda(g, spec, labels.as_deref(), out.clone(), *no_tsne),
    }
}

fn plan(spec: &Path, format: OutFormat) -> Result<u8> {
    let plan = spec::load_plan(spec)?;
    print!("{}", listing::plan_listing(&plan, format.into()));
    Ok(exit::OK)
}

fn runs(
    g: &Global,
    experiment: Option<String>,
    status: Option<TrialStatus>,
    all: bool,
    format: OutFormat,
) -> Result<u8> {
    let store = open_read_only(g)?;
    let trials = store.trials(&TrialFilter {
        experiment,
        status,
        include_reruns: all,
    })?;
    let mut headline = BTreeMap::new();
    for (id, name, values) in store.final_test_values(&["macro_f1", "r2"])? {
        headline.insert(id, format!("{name}={}", mer_report::mean_std(&values)));
    }
    print!(
        "{}",
        listing::runs_listing(&trials, &headline, format.into())
    );
    Ok(exit::OK)
}

fn show(g: &Global, trial: &str, format: ShowFormat) -> Result<u8> {
    let store = open_read_only(g)?;
    let t = store.find_trial(trial)?;
    let detail = listing::TrialDetail {
        provenance: store.provenance(t.id)?,
        metrics: store.metrics(t.id)?,
        predictions: store.predictions(t.id)?,
        skipped: store.skipped_tracks(t.id)?,
        artifacts: store.artifacts(t.id)?,
        attempts: store.attempts(t.id)?,
        trial: t,
    };
    match format {
        ShowFormat::Text => print!("{}", listing::show_trial(&detail)),
        ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&detail)?),
    }
    Ok(exit::OK)
}

fn rerun(g: &Global, trial: &str, opts: &SweepOptions, tolerance: Option<f64>) -> Result<u8> {
    let store = open_existing(g)?;
    install_interrupt_handler(&g.at);
    let report = run::rerun(&store, trial, opts, tolerance)?;
    print!("{}", listing::rerun_listing(&report));
    Ok(if report.reproduces() {
        exit::OK
    } else {
        exit::RERUN_DIFFERS
    })
}

fn rerun_experiment(
    g: &Global,
    sel: &run::Selection,
    opts: &SweepOptions,
    tolerance: Option<f64>,
    out: Option<&Path>,
) -> Result<u8> {
    let store = open_existing(g)?;
    install_interrupt_handler(&g.at);
    let repro = run::rerun_experiment(&store, sel, opts, tolerance)?;
    write_reproduction(&repro, out)
}

/// The options `mer rerun` and `mer reproduce` share.
fn rerun_options(g: &Global, jobs: Option<usize>, tolerance: Option<f64>) -> Result<SweepOptions> {
    if let Some(t) = tolerance {
        anyhow::ensure!(
            t.is_finite() && t >= 0.0,
            "--tolerance {t}: must be a finite number >= 0"
        );
    }
    let mut opts = SweepOptions::new(g.cache.clone());
    opts.device = g.device;
    opts.progress = !g.quiet;
    if let Some(j) = jobs {
        anyhow::ensure!(j >= 1, "--jobs must be at least 1");
        opts.jobs = j;
    }
    Ok(opts)
}

/// Writes a reproduction report (to `out`, or reports/<experiment>),
/// prints its summary and each trial that did not reproduce, and says which
/// exit status it means.
fn write_reproduction(repro: &mer_report::Reproduction, out: Option<&Path>) -> Result<u8> {
    let dir = out.map_or_else(
        || Path::new("reports").join(&repro.experiment),
        Path::to_path_buf,
    );
    let files = repro
        .write(&dir)
        .with_context(|| format!("writing the reproduction report into {}", dir.display()))?;
    println!("{}", repro.summary());
    for (t, why) in &repro.not_rerun {
        println!("not re-run: trial {}: {why}", t.id);
    }
    for r in repro.trials.iter().filter(|r| !r.reproduces()) {
        let what = match (&r.rerun_error, r.largest_difference()) {
            (Some(e), _) => format!("failed: {e}"),
            (None, Some((m, d))) => format!(
                "differs: {} metric(s), largest |difference| {d:.3e} in {}; {} prediction(s)",
                r.differing_metrics().len(),
                m.label(),
                r.differing_predictions
            ),
            (None, None) => format!("differs: {} prediction(s)", r.differing_predictions),
        };
        println!("trial {} (re-run {}) {what}", r.origin.id, r.rerun_id);
    }
    println!("reproduction report: {}", files[0].display());
    Ok(if repro.reproduced() {
        exit::OK
    } else {
        exit::RERUN_DIFFERS
    })
}

fn features(
    files: &[PathBuf],
    cfg: &mer_audio::AudioFeatureConfig,
    format: FeatFormat,
) -> Result<u8> {
    let format = match format {
        FeatFormat::Json => mer_audio::OutputFormat::Json,
        FeatFormat::Csv => mer_audio::OutputFormat::Csv,
    };
    let mut out = std::io::stdout().lock();
    let summary = mer_audio::features_command(files, cfg, format, &mut out)?;
    for e in &summary.skipped {
        eprintln!("skipped: {e}");
    }
    Ok(exit::OK)
}

fn data_check(g: &Global, spec: &Path) -> Result<u8> {
    let spec = spec::Spec::load(spec)?;
    let mut cfg = spec.settings.dataset.clone();
    cfg.resolve_paths(&std::env::current_dir()?);
    let ctx = mer_data::LoadContext {
        cache_dir: g.cache.clone(),
    };
    print!("{}", mer_data::check(&cfg, &ctx)?);
    Ok(exit::OK)
}

fn report(g: &Global, a: &ReportArgs) -> Result<u8> {
    let bundle_path = Path::new(&a.experiment);
    if mer::bundle::is_bundle(bundle_path) {
        return report_bundle(a, bundle_path);
    }
    anyhow::ensure!(
        !a.experiment.ends_with(".mer.tar.zst"),
        "{}: no such bundle",
        a.experiment
    );
    let store = open_read_only(g)?;
    let name = experiment_name(&a.experiment)?;
    write_report(a, &store, &name, "")
}

/// Writes `name`'s report (to --out, or reports/<name>) and says where.
fn write_report(a: &ReportArgs, store: &Store, name: &str, from: &str) -> Result<u8> {
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(name));
    let files = mer_report::write_report_with(store, name, &dir, &a.options()?)?;
    println!(
        "report of `{name}`{from} ({} trials): {} files in {}",
        files.trials,
        files.files.len(),
        files.dir.display()
    );
    print_entry_points(&files);
    Ok(exit::OK)
}

/// `mer report E.mer.tar.zst`: the tables from the bundle's own rows,
/// unpacked (checked) into a temporary folder that is removed after.
fn report_bundle(a: &ReportArgs, bundle: &Path) -> Result<u8> {
    let tmp = std::env::temp_dir().join(format!(
        "mer-report-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let result = (|| -> Result<u8> {
        let manifest = mer::bundle::extract(bundle, &tmp, mer::bundle::DEFAULT_MAX_SIZE)?;
        let store = Store::open_read_only(&tmp.join("results.db"))?;
        write_report(
            a,
            &store,
            &manifest.experiment,
            &format!(" from {}", bundle.display()),
        )
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn submit_slurm(
    g: &Global,
    plan: &spec::Plan,
    job: &mer::submit::SlurmJob,
    dry_run: bool,
) -> Result<u8> {
    let script = mer::submit::sbatch_script(job);
    if dry_run {
        print!("{script}");
        return Ok(exit::OK);
    }
    let store = open_store(g)?;
    let mut opts = SweepOptions::new(g.cache.clone());
    opts.enqueue = true;
    opts.progress = !g.quiet;
    let queued = run::sweep(plan, &store, &opts)?;
    println!("{queued}");
    std::fs::create_dir_all(&job.log_dir)
        .with_context(|| format!("creating {}", job.log_dir.display()))?;
    let path = job.log_dir.join(format!(
        "mer-{}.sbatch",
        plan.experiment.name.replace('/', "_")
    ));
    std::fs::write(&path, &script).with_context(|| format!("writing {}", path.display()))?;
    let password = match &g.at {
        Location::Postgres(url) => mer_store::split_password(url).1,
        Location::Sqlite(_) => None,
    };
    let id = mer::submit::sbatch(&path, password.as_deref()).map_err(anyhow::Error::msg)?;
    println!(
        "submitted Slurm job {id}: {} worker(s) running {} (script {}, logs in {})
         watch: mer status {} (or squeue -j {id}); cancel: scancel {id}",
        job.workers,
        plan.experiment.name,
        path.display(),
        job.log_dir.display(),
        plan.experiment.name
    );
    Ok(exit::OK)
}

fn submit_k8s(
    g: &Global,
    plan: &spec::Plan,
    job: &mer::submit::K8sJob,
    out: Option<&Path>,
    dry_run: bool,
) -> Result<u8> {
    let manifest = serde_json::to_string_pretty(&mer::submit::k8s_manifest(job))?;
    if dry_run {
        println!("{manifest}");
        return Ok(exit::OK);
    }
    anyhow::ensure!(
        matches!(g.at, Location::Postgres(_)),
        "--db {}: pods on a Kubernetes cluster share the queue through PostgreSQL; pass \
         --db postgres://... (the same database the Secret `{}` names)",
        g.at,
        job.secret
    );
    // Only queued here: the artifacts are written by the pods, under the
    // shared volume.
    let store = Store::open_at(&g.at)?;
    let mut opts = SweepOptions::new(g.cache.clone());
    opts.enqueue = true;
    opts.progress = !g.quiet;
    let queued = run::sweep(plan, &store, &opts)?;
    println!("{queued}");
    let path = out.map_or_else(
        || {
            PathBuf::from(format!(
                "mer-{}.job.json",
                plan.experiment.name.replace('/', "_")
            ))
        },
        Path::to_path_buf,
    );
    std::fs::write(&path, format!("{manifest}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    let (url, _) = match &g.at {
        Location::Postgres(url) => mer_store::split_password(url),
        Location::Sqlite(_) => unreachable!("checked above"),
    };
    println!(
        "wrote {}: an Indexed Job of {} worker pod(s) running {} (image {})\n\
         next:  kubectl create secret generic {} --from-literal={}='{url}'  \
         (once; add the password to the URL there, or give the pods PGPASSWORD)\n       \
         kubectl apply -f {}\n\
         watch: mer status {} (or kubectl get pods -l mer.experiment={})",
        path.display(),
        job.workers,
        plan.experiment.name,
        job.image,
        job.secret,
        job.secret_key,
        path.display(),
        plan.experiment.name,
        plan.experiment.name,
    );
    Ok(exit::OK)
}

fn status(g: &Global, experiment: &str, stale_after: u64) -> Result<u8> {
    let store = open_read_only(g)?;
    let name = experiment_name(experiment)?;
    store.experiment(&name)?;
    let trials = store.trials(&mer_store::TrialFilter {
        experiment: Some(name.clone()),
        status: None,
        include_reruns: true,
    })?;
    print!(
        "{}",
        listing::status_listing(&name, &trials, std::time::Duration::from_secs(stale_after))
    );
    Ok(exit::OK)
}

fn worker(g: &Global, opts: &SweepOptions, w: &run::WorkerOptions) -> Result<u8> {
    let store = open_existing(g)?;
    install_interrupt_handler(&g.at);
    if let Some(e) = &w.experiment {
        store.experiment(e)?;
    }
    let s = run::work(&store, opts, w)?;
    println!("{s}");
    Ok(if s.failures.is_empty() {
        exit::OK
    } else {
        exit::TRIALS_FAILED
    })
}

fn bundle(g: &Global, experiment: &str, out: Option<&Path>, with_data: bool) -> Result<u8> {
    require_artifacts(g)?;
    let store = open_read_only(g)?;
    let name = experiment_name(experiment)?;
    let out = out.map_or_else(
        || PathBuf::from(format!("{name}.mer.tar.zst")),
        Path::to_path_buf,
    );
    if !g.quiet {
        eprintln!("bundling `{name}`: reading its rows, models and data fingerprints");
    }
    let w = mer::bundle::write(&store, &name, &out, with_data, &g.cache)?;
    let data_files: usize = w.manifest.datasets.iter().map(|d| d.files.len()).sum();
    println!(
        "bundle of `{name}`: {} trials, {} files ({} data files fingerprinted{}), {:.1} MB in {}",
        w.manifest.trials,
        w.manifest.files.len() + 1,
        data_files,
        if w.manifest.datasets.iter().all(|d| d.bundled) {
            ", included"
        } else if w.manifest.datasets.iter().any(|d| d.bundled) {
            ", some included"
        } else {
            ", not included"
        },
        w.bytes as f64 / 1e6,
        w.path.display()
    );
    Ok(exit::OK)
}

fn reproduce(
    bundle: &Path,
    data_root: Option<&Path>,
    workdir: Option<&Path>,
    out: Option<&Path>,
    max_size: u64,
    mut opts: SweepOptions,
    tolerance: Option<f64>,
) -> Result<u8> {
    let workdir = workdir.map_or_else(
        || {
            let name = bundle
                .file_name()
                .map_or_else(|| "bundle".into(), |n| n.to_string_lossy().into_owned());
            let stem = name
                .strip_suffix(".mer.tar.zst")
                .unwrap_or(&name)
                .to_string();
            PathBuf::from(format!("{stem}.reproduction"))
        },
        Path::to_path_buf,
    );
    let manifest = mer::bundle::unpack(bundle, &workdir, max_size)?;
    println!(
        "bundle of `{}`: {} trials, written by mer {} (git {})",
        manifest.experiment,
        manifest.trials,
        manifest.mer_version,
        &manifest.git_commit[..12.min(manifest.git_commit.len())]
    );
    let cache = workdir.join("cache");
    let (checks, overrides) = mer::bundle::place_data(&manifest, &workdir, data_root, &cache)?;
    let mut changed = 0;
    for c in &checks {
        if c.problems.is_empty() {
            println!(
                "dataset {} ({}): every file matches the bundle ({})",
                c.index,
                c.kind,
                c.root.display()
            );
        } else {
            changed += c.problems.len();
            println!(
                "dataset {} ({}): {} file(s) differ from the bundle under {}:",
                c.index,
                c.kind,
                c.problems.len(),
                c.root.display()
            );
            for p in &c.problems {
                println!("  {p}");
            }
        }
    }
    if changed > 0 && !opts.allow_changed_data {
        anyhow::bail!(
            "{changed} data file(s) are missing or changed (listed above); refusing to re-run on              other data (pass --data-root DIR for your copy, or --allow-changed-data to re-run anyway)"
        );
    }
    let store = Store::open(&workdir.join("results.db"))?;
    install_interrupt_handler(store.location());
    opts.cache_dir = cache;
    opts.dataset_override = overrides;
    opts.file_override = mer::bundle::placed_inputs(&manifest, &workdir);
    let sel = run::Selection {
        experiment: manifest.experiment.clone(),
        sweep: None,
        trials: Vec::new(),
        status: None,
    };
    let repro = run::rerun_experiment(&store, &sel, &opts, tolerance)?;
    write_reproduction(&repro, out)
}

fn predict(
    g: &Global,
    trial: &str,
    files: &[PathBuf],
    lyrics: &[PathBuf],
    fold: Option<usize>,
    format: FeatFormat,
) -> Result<u8> {
    require_artifacts(g)?;
    let store = open_read_only(g)?;
    if !files.is_empty() && !lyrics.is_empty() && lyrics.len() != files.len() {
        anyhow::bail!(
            "{} audio file(s) but {} --lyrics file(s): give one lyrics file per audio file, in the same order",
            files.len(),
            lyrics.len()
        );
    }
    let n = files.len().max(lyrics.len());
    anyhow::ensure!(
        n > 0,
        "nothing to score: give audio files and/or --lyrics files"
    );
    let tracks: Vec<run::predict::NewTrack> = (0..n)
        .map(|i| run::predict::NewTrack {
            audio: files.get(i).cloned(),
            lyrics: lyrics.get(i).cloned(),
        })
        .collect();
    let p = run::predict::predict(&store, trial, &tracks, fold, g.device, &g.cache)?;
    match format {
        FeatFormat::Json => println!("{}", serde_json::to_string_pretty(&p.to_json())?),
        FeatFormat::Csv => print!("{}", p.to_csv()),
    }
    Ok(exit::OK)
}

fn eda(
    g: &Global,
    spec: &Path,
    labels: Option<&str>,
    out: Option<PathBuf>,
    no_tsne: bool,
) -> Result<u8> {
    let spec = spec::Spec::load(spec)?;
    let labels = labels
        .map(|l| {
            l.parse::<mer_data::labels::LabelScheme>()
                .map_err(|e| anyhow::anyhow!("--labels: {e}"))
        })
        .transpose()?;
    let opts = run::eda_input::EdaOptions {
        labels,
        cache_dir: g.cache.clone(),
        progress: !g.quiet,
        tsne: !no_tsne,
    };
    let input = run::eda_input::eda_input(&spec, &opts)?;
    let dir = out.unwrap_or_else(|| {
        Path::new("reports")
            .join(&spec.settings.experiment.name)
            .join("eda")
    });
    let files = mer_report::eda::write_eda(&input, &dir)?;
    println!(
        "EDA of {}: {} files in {}",
        input.dataset,
        files.files.len(),
        files.dir.display()
    );
    print_entry_points(&files);
    Ok(exit::OK)
}

/// The files a reader opens first: index.html and the Markdown/LaTeX
/// tables (figures are linked from index.html).
fn print_entry_points(files: &mer_report::ReportFiles) {
    for f in &files.files {
        let top_level = f
            .strip_prefix(&files.dir)
            .map(|r| r.components().count() == 1)
            .unwrap_or(true);
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if top_level && matches!(ext, "html" | "md" | "tex" | "csv") {
            println!("  {}", f.display());
        }
    }
}

/// An experiment name, or the name inside a spec file.
fn experiment_name(arg: &str) -> Result<String> {
    let p = Path::new(arg);
    if arg.ends_with(".toml") || p.is_file() {
        return Ok(spec::Spec::load(p)?.settings.experiment.name);
    }
    Ok(arg.to_string())
}

fn sweep(g: &Global, a: &SweepArgs) -> Result<u8> {
    let plan = spec::load_plan(&a.spec)?;
    let created = matches!(&g.at, Location::Sqlite(p) if !p.exists());
    let store = open_store(g)?;
    install_interrupt_handler(&g.at);
    let mut opts = SweepOptions::new(g.cache.clone());
    opts.device = g.device;
    if let Some(j) = a.jobs {
        anyhow::ensure!(j >= 1, "--jobs must be at least 1");
        opts.jobs = j;
    }
    opts.force = a.force;
    opts.retry_failed = a.retry_failed;
    opts.stale_after = std::time::Duration::from_secs(a.stale_after);
    opts.progress = !g.quiet;
    opts.enqueue = a.enqueue;
    if let Some(m) = a.max_attempts {
        opts.max_attempts = m;
    }
    let s = match run::sweep(&plan, &store, &opts) {
        Ok(s) => s,
        Err(e) => {
            if created {
                discard_if_empty(store);
            }
            return Err(e.into());
        }
    };
    println!("{s}");
    if a.report {
        match mer_report::write_report(
            &store,
            &s.experiment,
            &Path::new("reports").join(&s.experiment),
        ) {
            Ok(files) => {
                println!(
                    "report: {} files in {}",
                    files.files.len(),
                    files.dir.display()
                );
                print_entry_points(&files);
            }
            Err(e) => eprintln!("warning: no report: {e}"),
        }
    }
    Ok(if s.failures.is_empty() {
        exit::OK
    } else {
        exit::TRIALS_FAILED
    })
}

/// A database this sweep created and that holds no trial (it failed before
/// registering any: a dataset that does not load) is removed, with its side
/// files, so a failed first sweep leaves nothing behind.
fn discard_if_empty(store: Store) {
    let Location::Sqlite(db) = store.location().clone() else {
        return;
    };
    let empty = store
        .trials(&TrialFilter {
            include_reruns: true,
            ..TrialFilter::default()
        })
        .is_ok_and(|t| t.is_empty());
    drop(store);
    if empty {
        for suffix in ["", "-wal", "-shm", ".lock"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// On Ctrl-C, SIGTERM (a scheduler's cancel, preemption or time limit) or
/// SIGHUP, mark this process's running trials interrupted (the next sweep or
/// any worker runs them again at once) and exit 130.
fn install_interrupt_handler(db: &Location) {
    let db = db.clone();
    let _ = ctrlc::set_handler(move || {
        eprintln!("\ninterrupted: marking running trials as interrupted");
        if let Ok(store) = Store::open_existing_at(&db) {
            let _ = run::interrupt(&store);
        }
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}
