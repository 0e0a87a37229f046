-- Sequential scans counted in this session and not yet flushed to the shared statistics;
-- inside a transaction block nothing is flushed, so a before/after difference is exact.
SELECT relid::int8, seq_scan
FROM pg_stat_xact_user_tables
WHERE seq_scan > 0
