-- Sequential scans started in this transaction per user table (a full read of its rows).
SELECT relid::bigint, seq_scan FROM pg_stat_xact_user_tables
