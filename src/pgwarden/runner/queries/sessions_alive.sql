-- The waiter's cheap poll: which of these sessions are still in the same transaction?
-- Reads backend status only (no lock manager), so it can run every few milliseconds.
SELECT pid, coalesce(xact_start::text, '')
FROM pg_stat_activity
WHERE pid = ANY (%(pids)s::int[])
