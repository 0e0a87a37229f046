-- Where these sessions' COPY commands are (pg_stat_progress_copy, PostgreSQL 14+), with the
-- size estimates of the table being copied (NULL for `COPY (query) TO`). Backend status and
-- pg_class only, no lock manager: cheap enough to poll every second.
-- Parameter: pids int[].
SELECT p.pid,
       n.nspname || '.' || c.relname,
       c.reltuples,
       c.relpages,
       pg_stat_get_live_tuples(c.oid),
       p.command,
       p.type,
       p.bytes_processed,
       p.bytes_total,
       p.tuples_processed
FROM pg_stat_progress_copy p
LEFT JOIN pg_class c ON c.oid = nullif(p.relid, 0)
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE p.pid = ANY (%(pids)s::int[])
