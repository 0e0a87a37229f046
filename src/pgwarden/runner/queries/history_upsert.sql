-- Record a migration's outcome; finished_at is the server clock at the time of writing.
INSERT INTO pgwarden.migrations AS m
    (version, name, checksum, started_at, finished_at, duration_ms, attempts, outcome, error,
     progress, progress_checksum, run_id)
VALUES (%(version)s, %(name)s, %(checksum)s, %(started_at)s,
        CASE WHEN %(outcome)s = 'running' THEN NULL ELSE clock_timestamp() END,
        %(duration_ms)s, %(attempts)s, %(outcome)s, %(error)s, %(progress)s,
        %(progress_checksum)s, %(run_id)s)
ON CONFLICT (version) DO UPDATE SET
    name = EXCLUDED.name,
    checksum = EXCLUDED.checksum,
    started_at = EXCLUDED.started_at,
    finished_at = EXCLUDED.finished_at,
    duration_ms = EXCLUDED.duration_ms,
    attempts = EXCLUDED.attempts,
    outcome = EXCLUDED.outcome,
    error = EXCLUDED.error,
    progress = EXCLUDED.progress,
    progress_checksum = EXCLUDED.progress_checksum,
    run_id = EXCLUDED.run_id
