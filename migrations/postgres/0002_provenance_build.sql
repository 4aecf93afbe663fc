-- mer results store on PostgreSQL, schema version 2: as ../0002_provenance_build.sql.
ALTER TABLE provenance ADD COLUMN lock_hash TEXT;
ALTER TABLE provenance ADD COLUMN cpu_features TEXT;

CREATE TRIGGER trial_metrics_frozen_update BEFORE UPDATE ON trial_metrics
FOR EACH ROW EXECUTE FUNCTION mer_refuse_rows_of_finished();
CREATE TRIGGER predictions_frozen_update BEFORE UPDATE ON predictions
FOR EACH ROW EXECUTE FUNCTION mer_refuse_rows_of_finished();
CREATE TRIGGER provenance_frozen_update BEFORE UPDATE ON provenance
FOR EACH ROW EXECUTE FUNCTION mer_refuse_rows_of_finished();

CREATE TABLE trial_attempts (
    trial_id    BIGINT NOT NULL REFERENCES trials(id),
    attempt     BIGINT NOT NULL,
    worker      TEXT,
    started_at  TEXT,
    ended_at    TEXT NOT NULL,
    outcome     TEXT NOT NULL
        CHECK (outcome IN ('completed', 'failed', 'interrupted', 'pending')),
    error       TEXT,
    PRIMARY KEY (trial_id, attempt)
);

CREATE FUNCTION mer_attempt_ends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO trial_attempts (trial_id, attempt, worker, started_at, ended_at, outcome, error)
    VALUES (NEW.id, NEW.attempts, OLD.worker, OLD.started_at,
            to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            NEW.status, NEW.error)
    ON CONFLICT (trial_id, attempt) DO UPDATE SET
        worker = EXCLUDED.worker, started_at = EXCLUDED.started_at,
        ended_at = EXCLUDED.ended_at, outcome = EXCLUDED.outcome, error = EXCLUDED.error;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trials_attempt_ends
AFTER UPDATE OF status ON trials
FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status <> 'running')
EXECUTE FUNCTION mer_attempt_ends();
