-- Relation locks of this session (the migration's backend), user relations only:
-- one row per mode held, since pg_locks lists each mode of a relation separately.
SELECT relation::int8, mode, granted
FROM pg_locks
WHERE pid = pg_backend_pid()
  AND locktype = 'relation'
  AND relation >= 16384
