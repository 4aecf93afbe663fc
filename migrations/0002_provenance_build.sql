-- mer results store, schema version 2: reproduction provenance, rows frozen
-- for updates, and the history of attempts.
--
-- What a reproduction report needs to put a suspect on a difference: the
-- hash of the Cargo.lock mer was built with (every dependency's exact
-- version) and the CPU features the process ran with. NULL for trials
-- recorded before this migration.
ALTER TABLE provenance ADD COLUMN lock_hash TEXT;
ALTER TABLE provenance ADD COLUMN cpu_features TEXT;

-- Schema 1 froze inserts and deletes of a finished trial's rows but not
-- updates: a recorded metric, prediction or provenance could be rewritten
-- in place. They are as immutable as the trial now.
CREATE TRIGGER trial_metrics_frozen_update
BEFORE UPDATE ON trial_metrics
WHEN (SELECT status FROM trials WHERE id = OLD.trial_id) IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TRIGGER predictions_frozen_update
BEFORE UPDATE ON predictions
WHEN (SELECT status FROM trials WHERE id = OLD.trial_id) IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

CREATE TRIGGER provenance_frozen_update
BEFORE UPDATE ON provenance
WHEN (SELECT status FROM trials WHERE id = OLD.trial_id) IN ('completed', 'failed')
BEGIN
    SELECT RAISE(ABORT, 'finished trials are immutable');
END;

-- Every attempt at a trial, kept when the trial leaves `running` (completed,
-- failed, interrupted by the user or reaped after its worker stopped), so a
-- trial that gave up after several crashes shows each attempt's error.
CREATE TABLE trial_attempts (
    trial_id    INTEGER NOT NULL REFERENCES trials(id),
    attempt     INTEGER NOT NULL,
    worker      TEXT,
    started_at  TEXT,
    ended_at    TEXT NOT NULL,
    outcome     TEXT NOT NULL
        CHECK (outcome IN ('completed', 'failed', 'interrupted', 'pending')),
    error       TEXT,
    PRIMARY KEY (trial_id, attempt)
);

CREATE TRIGGER trials_attempt_ends
AFTER UPDATE OF status ON trials
WHEN OLD.status = 'running' AND NEW.status != 'running'
BEGIN
    INSERT OR REPLACE INTO trial_attempts
        (trial_id, attempt, worker, started_at, ended_at, outcome, error)
    VALUES (NEW.id, NEW.attempts, OLD.worker, OLD.started_at,
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NEW.status, NEW.error);
END;
