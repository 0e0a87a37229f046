-- Relation locks this backend holds or awaits in the current database (pg_locks.mode names).
SELECT l.relation::bigint, l.mode, l.granted
FROM pg_locks l
WHERE l.locktype = 'relation'
  AND l.pid = %(pid)s
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
