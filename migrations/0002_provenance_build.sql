-- mer results store, schema version 2.
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
