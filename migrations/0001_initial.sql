-- mer results store, schema version 1.
--
-- Contract (see framework/src/store/mod.rs):
-- * a trial row is created `pending`, claimed `running` by one worker, and
--   ends `completed` or `failed`; a finished trial is immutable (triggers
--   below enforce it); a re-run is a new row linked to its origin;
-- * NaN and infinities are stored explicitly: `value` is NULL exactly when
--   `nonfinite` names the special value ('nan', 'inf', '-inf');
-- * times are UTC RFC 3339 strings with milliseconds, which sort as text.
--
-- Migrations are append-only: never edit this file once released.

CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE datasets (
    id           INTEGER PRIMARY KEY,
    fingerprint  TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    n_tracks     INTEGER NOT NULL,
    config_json  TEXT NOT NULL,
    summary_json TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE sweeps (
    id            INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments(id),
    spec_path     TEXT NOT NULL,
    spec_text     TEXT NOT NULL,
    spec_hash     TEXT NOT NULL,
    planned       INTEGER NOT NULL,
    worker        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL
        CHECK (status IN ('running', 'completed', 'failed', 'interrupted'))
);

CREATE TABLE splits (
    hash          TEXT PRIMARY KEY,
    manifest_json TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE trials (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL,
    experiment_id   INTEGER NOT NULL REFERENCES experiments(id),
    sweep_id        INTEGER REFERENCES sweeps(id),
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id),
    origin_trial_id INTEGER REFERENCES trials(id),
    reason          TEXT NOT NULL DEFAULT 'sweep'
        CHECK (reason IN ('sweep', 'force', 'retry', 'rerun')),
    modality        TEXT NOT NULL,
    architecture    TEXT NOT NULL,
    labels          TEXT NOT NULL,
    task            TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    params_json     TEXT NOT NULL,
    config_json     TEXT NOT NULL,
    status          TEXT NOT NULL
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'interrupted')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    worker          TEXT,
    heartbeat_at    TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    duration_s      REAL,
    error           TEXT,
    classes_json    TEXT,
    split_hash      TEXT REFERENCES splits(hash)
);

-- One primary row per trial key; re-runs (force, retry, rerun) link to it.
CREATE UNIQUE INDEX trials_primary_key ON trials(key) WHERE origin_trial_id IS NULL;
CREATE INDEX trials_by_experiment ON trials(experiment_id, status);
CREATE INDEX trials_by_worker ON trials(worker, status);
CREATE INDEX trials_by_key ON trials(key, status);

-- What reports show: per key, the latest completed row that is not a
-- `mer rerun` check (a `--force` re-run supersedes the original).
CREATE VIEW report_trials_view AS
SELECT t.id, e.name AS experiment
FROM trials t JOIN experiments e ON e.id = t.experiment_id
WHERE t.status = 'completed' AND t.reason != 'rerun'
  AND t.id = (SELECT MAX(t2.id) FROM trials t2
              WHERE t2.key = t.key AND t2.status = 'completed' AND t2.reason != 'rerun');

CREATE TRIGGER trials_finished_are_immutable
BEFORE UPDATE ON trials
WHEN OLD.status IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TRIGGER trials_finished_are_not_deleted
BEFORE DELETE ON trials
WHEN OLD.status IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TABLE provenance (
    trial_id            INTEGER PRIMARY KEY REFERENCES trials(id),
    spec_path           TEXT NOT NULL,
    spec_text           TEXT NOT NULL,
    spec_hash           TEXT NOT NULL,
    config_json         TEXT NOT NULL,
    seeds_json          TEXT NOT NULL,
    dataset_fingerprint TEXT NOT NULL,
    extractors_json     TEXT NOT NULL,
    git_commit          TEXT NOT NULL,
    git_dirty           INTEGER,
    crate_version       TEXT NOT NULL,
    rustc_version       TEXT NOT NULL,
    host                TEXT NOT NULL,
    os                  TEXT NOT NULL,
    threads             INTEGER NOT NULL,
    backend             TEXT NOT NULL,
    recorded_at         TEXT NOT NULL
);

CREATE TABLE trial_metrics (
    id        INTEGER PRIMARY KEY,
    trial_id  INTEGER NOT NULL REFERENCES trials(id),
    split     TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
    fold      INTEGER NOT NULL,
    epoch     INTEGER,
    name      TEXT NOT NULL,
    value     REAL,
    nonfinite TEXT CHECK (nonfinite IN ('nan', 'inf', '-inf')),
    CHECK ((value IS NULL) <> (nonfinite IS NULL))
);
-- epoch NULL is the fold's final model; the expression keeps it unique too.
CREATE UNIQUE INDEX trial_metrics_row
    ON trial_metrics(trial_id, split, fold, COALESCE(epoch, -1), name);

CREATE TABLE predictions (
    trial_id       INTEGER NOT NULL REFERENCES trials(id),
    fold           INTEGER NOT NULL,
    track_id       TEXT NOT NULL,
    target         TEXT NOT NULL,
    y_true         REAL NOT NULL,
    y_pred         REAL,
    pred_nonfinite TEXT CHECK (pred_nonfinite IN ('nan', 'inf', '-inf')),
    scores_json    TEXT,
    extra_json     TEXT,
    PRIMARY KEY (trial_id, fold, track_id, target),
    CHECK ((y_pred IS NULL) <> (pred_nonfinite IS NULL))
);

CREATE TABLE skipped_tracks (
    trial_id INTEGER NOT NULL REFERENCES trials(id),
    track_id TEXT NOT NULL,
    stage    TEXT NOT NULL,
    reason   TEXT NOT NULL,
    PRIMARY KEY (trial_id, track_id, stage)
);

CREATE TABLE artifacts (
    id         INTEGER PRIMARY KEY,
    trial_id   INTEGER NOT NULL REFERENCES trials(id),
    fold       INTEGER,
    kind       TEXT NOT NULL,
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX artifacts_by_trial ON artifacts(trial_id);

-- Rows belonging to a finished trial are as immutable as the trial.
CREATE TRIGGER trial_metrics_frozen_insert
BEFORE INSERT ON trial_metrics
WHEN (SELECT status FROM trials WHERE id = NEW.trial_id) IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TRIGGER predictions_frozen_insert
BEFORE INSERT ON predictions
WHEN (SELECT status FROM trials WHERE id = NEW.trial_id) IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TRIGGER trial_metrics_frozen_delete
BEFORE DELETE ON trial_metrics
WHEN (SELECT status FROM trials WHERE id = OLD.trial_id) IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TRIGGER predictions_frozen_delete
BEFORE DELETE ON predictions
WHEN (SELECT status FROM trials WHERE id = OLD.trial_id) IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;
