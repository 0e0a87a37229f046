-- Sampled by a second session while another backend runs a non-transactional statement:
-- all of that backend's locks (relation locks are reported; an ungranted one shows a wait).
SELECT locktype, relation::int8, mode, granted
FROM pg_locks
WHERE pid = %(pid)s
