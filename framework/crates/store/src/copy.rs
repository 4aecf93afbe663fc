//! Copying an experiment between stores of any backends (`mer db copy`):
//! cluster PostgreSQL -> a laptop's SQLite file and back.
//!
//! What is copied: the experiment, its sweeps, and every *finished* trial
//! (completed or failed) with everything it owns (provenance, metrics per
//! fold and epoch, predictions, skipped tracks, artifact rows, attempts,
//! split manifest, dataset row). Pending, running and interrupted trials are
//! the source's queue, not results, and stay behind (counted).
//!
//! Idempotent: a trial is the same trial in both stores when its key,
//! reason and creation time agree; such a trial is not copied again. Ids are
//! kept where the destination has them free (so artifact folders keyed by
//! trial id and reports that show ids stay the same), and new ones are given
//! otherwise. Each trial is copied in one transaction: an interrupted copy
//! leaves whole trials, and running it again finishes the rest.

use std::collections::HashMap;

use crate::{BackendPool, Pool, Store, StoreError, TrialFilter, TrialRow};
use sqlx::Row;

/// `Some($id)` when no row of the table (named in `$exists`, a
/// `SELECT EXISTS (...)` of it) has that id yet, so a copied row can keep it.
macro_rules! id_if_free {
    ($tx:expr, $exists:literal, $id:expr) => {
        async {
            let taken: bool = sqlx::query_scalar($exists)
                .bind($id)
                .fetch_one(&mut *$tx)
                .await?;
            Ok::<Option<i64>, sqlx::Error>((!taken).then_some($id))
        }
    };
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopySummary {
    /// Finished trials written to the destination.
    pub trials_copied: usize,
    /// Finished trials the destination already had.
    pub trials_present: usize,
    /// Trials left behind because they are not finished.
    pub trials_unfinished: usize,
    /// Trials left behind because the destination has another primary row
    /// for the same trial key (recorded by another run): `(key, source id)`.
    pub conflicts: Vec<(String, i64)>,
    /// Trials whose id changed (taken in the destination): `(source, destination)`.
    pub renumbered: Vec<(i64, i64)>,
}

#[derive(sqlx::FromRow)]
struct SweepRecord {
    id: i64,
    spec_path: String,
    spec_text: String,
    spec_hash: String,
    planned: i64,
    worker: String,
    started_at: String,
    finished_at: Option<String>,
    status: String,
}

#[derive(sqlx::FromRow)]
struct DatasetRecord {
    fingerprint: String,
    name: String,
    kind: String,
    n_tracks: i64,
    config_json: String,
    summary_json: String,
    created_at: String,
}

impl Store {
    /// Copies `experiment`'s finished trials into `dest` (see the module
    /// documentation). Safe to repeat.
    pub fn copy_experiment(
        &self,
        experiment: &str,
        dest: &Store,
    ) -> Result<CopySummary, StoreError> {
        let exp = self.experiment(experiment)?;
        let mut summary = CopySummary::default();
        let dest_exp =
            dest.copy_experiment_row(&exp.name, &exp.description, &exp.created_at, exp.id)?;
        dest.advance_sequences()?;

        let sweeps: Vec<SweepRecord> = with_pool!(self, pool, async {
            sqlx::query_as(
                "SELECT id, spec_path, spec_text, spec_hash, planned, worker, started_at,
                        finished_at, status FROM sweeps WHERE experiment_id = $1 ORDER BY id",
            )
            .bind(exp.id)
            .fetch_all(pool)
            .await
            .map_err(self.q("read sweeps"))
        })?;
        let mut sweep_ids = HashMap::new();
        for s in &sweeps {
            sweep_ids.insert(s.id, dest.copy_sweep_row(dest_exp, s)?);
        }
        dest.advance_sequences()?;

        let trials = self.trials(&TrialFilter {
            experiment: Some(exp.name.clone()),
            status: None,
            include_reruns: true,
        })?;
        let mut dataset_ids: HashMap<String, i64> = HashMap::new();
        let mut trial_ids: HashMap<i64, i64> = HashMap::new();
        for t in &trials {
            if !t.status.is_finished() {
                summary.trials_unfinished += 1;
                continue;
            }
            if let Some(id) = dest.same_trial(t)? {
                trial_ids.insert(t.id, id);
                summary.trials_present += 1;
                continue;
            }
            let dataset_id = match dataset_ids.get(&t.dataset_fingerprint) {
                Some(&id) => id,
                None => {
                    let d = self.dataset_record(&t.dataset_fingerprint)?;
                    let id = dest.copy_dataset_row(&d)?;
                    dataset_ids.insert(t.dataset_fingerprint.clone(), id);
                    id
                }
            };
            let origin = match t.origin_trial_id {
                None => None,
                Some(o) => match trial_ids.get(&o) {
                    Some(&id) => Some(id),
                    // The origin did not come across (not finished, or a
                    // key conflict): a re-run cannot be linked to nothing.
                    None => {
                        summary.conflicts.push((t.key.clone(), t.id));
                        continue;
                    }
                },
            };
            let split = match &t.split_hash {
                Some(h) => self.split_manifest(h)?.map(|m| (h.clone(), m)),
                None => None,
            };
            let owned = Owned {
                provenance: self.provenance(t.id)?,
                metrics: self.metrics(t.id)?,
                predictions: self.predictions(t.id)?,
                skipped: self.skipped_tracks(t.id)?,
                artifacts: self.artifacts(t.id)?,
                attempts: self.attempts(t.id)?,
                split,
            };
            let ids = Ids {
                experiment: dest_exp,
                dataset: dataset_id,
                sweep: t.sweep_id.and_then(|s| sweep_ids.get(&s).copied()),
                origin,
            };
            let inserted = dest.insert_copied_trial(t, &ids, &owned)?;
            // At once, not at the end: a copy that is interrupted must not
            // leave a sequence behind ids it wrote.
            dest.advance_sequences()?;
            match inserted {
                Some(id) => {
                    if id != t.id {
                        summary.renumbered.push((t.id, id));
                    }
                    trial_ids.insert(t.id, id);
                    summary.trials_copied += 1;
                }
                None => summary.conflicts.push((t.key.clone(), t.id)),
            }
        }
        Ok(summary)
    }

    fn dataset_record(&self, fingerprint: &str) -> Result<DatasetRecord, StoreError> {
        with_pool!(self, pool, async {
            sqlx::query_as(
                "SELECT fingerprint, name, kind, n_tracks, config_json, summary_json, created_at
                 FROM datasets WHERE fingerprint = $1",
            )
            .bind(fingerprint)
            .fetch_one(pool)
            .await
            .map_err(self.q("read dataset"))
        })
    }

    /// The experiment `name` in this store, created with `wanted_id` if that
    /// id is free.
    fn copy_experiment_row(
        &self,
        name: &str,
        description: &str,
        created_at: &str,
        wanted_id: i64,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool, async {
            let what = "copy experiment";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM experiments WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(self.q(what))?;
            let id = match found {
                Some(id) => id,
                None => {
                    let free = id_if_free!(
                        tx,
                        "SELECT EXISTS (SELECT 1 FROM experiments WHERE id = $1)",
                        wanted_id
                    )
                    .await
                    .map_err(self.q(what))?;
                    let row = sqlx::query(
                        "INSERT INTO experiments (id, name, description, created_at)
                         VALUES (COALESCE($1, (SELECT COALESCE(MAX(id), 0) + 1 FROM experiments)), $2, $3, $4)
                         RETURNING id",
                    )
                    .bind(free)
                    .bind(name)
                    .bind(description)
                    .bind(created_at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(self.q(what))?;
                    row.try_get::<i64, _>(0).map_err(self.q(what))?
                }
            };
            tx.commit().await.map_err(self.q(what))?;
            Ok(id)
        })
    }

    fn copy_sweep_row(&self, experiment_id: i64, s: &SweepRecord) -> Result<i64, StoreError> {
        with_pool!(self, pool, async {
            let what = "copy sweep";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM sweeps WHERE experiment_id = $1 AND spec_hash = $2 AND started_at = $3",
            )
            .bind(experiment_id)
            .bind(&s.spec_hash)
            .bind(&s.started_at)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.q(what))?;
            let id = match found {
                Some(id) => id,
                None => {
                    let free = id_if_free!(
                        tx,
                        "SELECT EXISTS (SELECT 1 FROM sweeps WHERE id = $1)",
                        s.id
                    )
                    .await
                    .map_err(self.q(what))?;
                    let row = sqlx::query(
                        "INSERT INTO sweeps (id, experiment_id, spec_path, spec_text, spec_hash, planned,
                            worker, started_at, finished_at, status)
                         VALUES (COALESCE($1, (SELECT COALESCE(MAX(id), 0) + 1 FROM sweeps)),
                                 $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         RETURNING id",
                    )
                    .bind(free)
                    .bind(experiment_id)
                    .bind(&s.spec_path)
                    .bind(&s.spec_text)
                    .bind(&s.spec_hash)
                    .bind(s.planned)
                    .bind(&s.worker)
                    .bind(&s.started_at)
                    .bind(&s.finished_at)
                    .bind(&s.status)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(self.q(what))?;
                    row.try_get::<i64, _>(0).map_err(self.q(what))?
                }
            };
            tx.commit().await.map_err(self.q(what))?;
            Ok(id)
        })
    }

    fn copy_dataset_row(&self, d: &DatasetRecord) -> Result<i64, StoreError> {
        let new = crate::NewDataset {
            fingerprint: d.fingerprint.clone(),
            name: d.name.clone(),
            kind: d.kind.clone(),
            n_tracks: d.n_tracks,
            config_json: d.config_json.clone(),
            summary_json: d.summary_json.clone(),
        };
        self.ensure_dataset_created(&new, &d.created_at)
    }

    /// The id of this store's copy of `t` (same key, reason and creation time).
    fn same_trial(&self, t: &TrialRow) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool, async {
            sqlx::query_scalar(
                "SELECT id FROM trials WHERE key = $1 AND reason = $2 AND created_at = $3
                 ORDER BY id LIMIT 1",
            )
            .bind(&t.key)
            .bind(t.reason.as_str())
            .bind(&t.created_at)
            .fetch_optional(pool)
            .await
            .map_err(self.q("find copied trial"))
        })
    }

    /// Writes one finished trial and what it owns, in one transaction: the
    /// row is inserted `running` (so the triggers that freeze a finished
    /// trial's rows let them in), then flipped to its status, then its
    /// attempts are written as recorded. `None` when this store has another
    /// primary row for the key.
    fn insert_copied_trial(
        &self,
        t: &TrialRow,
        ids: &Ids,
        o: &Owned,
    ) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool, async {
            let what = "copy trial";
            let mut tx = pool.begin_write().await.map_err(self.q(what))?;
            if t.origin_trial_id.is_none() {
                let other: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM trials WHERE key = $1 AND origin_trial_id IS NULL",
                )
                .bind(&t.key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(self.q(what))?;
                if other.is_some() {
                    return Ok(None);
                }
            }
            if let Some((hash, manifest)) = &o.split {
                insert_split!(tx, hash, manifest, &t.created_at)
                    .await
                    .map_err(self.q(what))?;
            }
            let free = id_if_free!(
                tx,
                "SELECT EXISTS (SELECT 1 FROM trials WHERE id = $1)",
                t.id
            )
            .await
            .map_err(self.q(what))?;
            let row = sqlx::query(
                "INSERT INTO trials (id, key, experiment_id, sweep_id, dataset_id, origin_trial_id,
                    reason, modality, architecture, labels, task, seed, params_json, config_json,
                    status, attempts, worker, heartbeat_at, created_at, started_at, finished_at,
                    duration_s, error, classes_json, split_hash)
                 VALUES (COALESCE($1, (SELECT COALESCE(MAX(id), 0) + 1 FROM trials)),
                    $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'running', $15,
                    $16, $17, $18, $19, $20, $21, $22, $23, $24)
                 RETURNING id",
            )
            .bind(free)
            .bind(&t.key)
            .bind(ids.experiment)
            .bind(ids.sweep)
            .bind(ids.dataset)
            .bind(ids.origin)
            .bind(t.reason.as_str())
            .bind(&t.modality)
            .bind(&t.architecture)
            .bind(&t.labels)
            .bind(&t.task)
            .bind(t.seed as i64)
            .bind(&t.params_json)
            .bind(&t.config_json)
            .bind(t.attempts)
            .bind(&t.worker)
            .bind(&t.heartbeat_at)
            .bind(&t.created_at)
            .bind(&t.started_at)
            .bind(&t.finished_at)
            .bind(t.duration_s)
            .bind(&t.error)
            .bind(
                t.classes
                    .as_ref()
                    .map(|c| serde_json::to_string(c).expect("strings serialise")),
            )
            .bind(&t.split_hash)
            .fetch_one(&mut *tx)
            .await
            .map_err(self.q(what))?;
            let id: i64 = row.try_get(0).map_err(self.q(what))?;
            if let Some(p) = &o.provenance {
                insert_provenance!(tx, id, p).await.map_err(self.q(what))?;
            }
            insert_metrics!(tx, id, &o.metrics)
                .await
                .map_err(self.q(what))?;
            for p in &o.predictions {
                insert_prediction!(tx, id, p).await.map_err(self.q(what))?;
            }
            for s in &o.skipped {
                insert_skipped!(tx, id, s).await.map_err(self.q(what))?;
            }
            let created = t.finished_at.as_deref().unwrap_or(&t.created_at);
            for a in &o.artifacts {
                insert_artifact!(tx, id, a, created)
                    .await
                    .map_err(self.q(what))?;
            }
            sqlx::query("UPDATE trials SET status = $1 WHERE id = $2")
                .bind(t.status.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
            sqlx::query("DELETE FROM trial_attempts WHERE trial_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
            for a in &o.attempts {
                sqlx::query(
                    "INSERT INTO trial_attempts (trial_id, attempt, worker, started_at, ended_at, outcome, error)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(a.attempt)
                .bind(&a.worker)
                .bind(&a.started_at)
                .bind(&a.ended_at)
                .bind(&a.outcome)
                .bind(&a.error)
                .execute(&mut *tx)
                .await
                .map_err(self.q(what))?;
            }
            tx.commit().await.map_err(self.q(what))?;
            Ok(Some(id))
        })
    }

    /// PostgreSQL's identity columns do not see explicit ids: move each
    /// sequence past the largest id, so later inserts do not collide
    /// (`setval` is not transactional, so it is run after each copied row).
    fn advance_sequences(&self) -> Result<(), StoreError> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(());
        };
        self.rt.block_on(async {
            for table in ["experiments", "sweeps", "datasets", "trials"] {
                let sql = format!(
                    // Never backwards (a concurrent worker may hold a
                    // value it has not committed yet): nextval is a floor.
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                   GREATEST((SELECT COALESCE(MAX(id), 0) + 1 FROM {table}),
                                            nextval(pg_get_serial_sequence('{table}', 'id'))),
                                   false)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(pool)
                    .await
                    .map_err(self.q("advance id sequences"))?;
            }
            Ok(())
        })
    }
}

struct Ids {
    experiment: i64,
    dataset: i64,
    sweep: Option<i64>,
    origin: Option<i64>,
}

struct Owned {
    provenance: Option<crate::Provenance>,
    metrics: Vec<crate::MetricRow>,
    predictions: Vec<crate::PredictionRow>,
    skipped: Vec<crate::SkippedTrack>,
    artifacts: Vec<crate::ArtifactRow>,
    attempts: Vec<crate::AttemptRow>,
    split: Option<(String, String)>,
}
