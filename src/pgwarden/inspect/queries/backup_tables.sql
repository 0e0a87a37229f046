-- The tables each of these backup sessions holds ACCESS SHARE on, with their size estimates:
-- what a pg_dump locked up front and keeps until it ends, hence what its progress is counted
-- against. Read once per backup transaction (it reads pg_locks, which copies the shared lock
-- table). Same tables as snapshot.sql keeps for a dump: user tables in this database.
-- Parameter: pids int[].
SELECT l.pid,
       n.nspname || '.' || c.relname,
       c.reltuples,
       c.relpages,
       pg_stat_get_live_tuples(c.oid)
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation'
  AND l.granted
  AND l.mode = 'AccessShareLock'
  AND l.pid = ANY (%(pids)s::int[])
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
