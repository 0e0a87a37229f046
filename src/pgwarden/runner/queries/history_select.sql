-- Every recorded migration.
SELECT version, name, checksum, started_at, finished_at, duration_ms, attempts, outcome,
       error, progress, progress_checksum, run_id
FROM pgwarden.migrations
ORDER BY version
