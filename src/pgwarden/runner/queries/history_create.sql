-- The runner's history table, created on first run (under the runner's advisory lock).
-- One row per migration version; a failed or aborted row is overwritten when it finally applies.
CREATE SCHEMA IF NOT EXISTS pgwarden;
CREATE TABLE IF NOT EXISTS pgwarden.migrations (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    duration_ms bigint,
    attempts integer NOT NULL DEFAULT 0,
    outcome text NOT NULL CHECK (outcome IN ('applied', 'failed', 'aborted', 'running')),
    error text,
    -- Non-transactional files commit statement by statement: how many units are done, and a
    -- hash of their text so a re-run resumes only if those statements did not change.
    progress integer NOT NULL DEFAULT 0,
    progress_checksum text,
    run_id text
);
