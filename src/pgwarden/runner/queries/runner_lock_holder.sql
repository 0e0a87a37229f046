-- Who holds the runner lock? A bigint advisory key shows as classid (high 32 bits), objid
-- (low 32 bits) and objsubid 1 in pg_locks.
SELECT l.pid, coalesce(a.application_name, ''), a.backend_start
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = %(hi)s::oid
  AND l.objid = %(lo)s::oid
  AND l.objsubid = 1
LIMIT 1
