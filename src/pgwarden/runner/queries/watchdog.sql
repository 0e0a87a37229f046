-- The watchdog's poll: for each of our sessions, its state, and when it waits for a lock, the
-- sessions queued behind it and the sessions it waits for. pg_blocking_pids() reads the lock
-- manager, so it only runs for our sessions that actually wait on a lock. The watchdog and
-- `run`'s control connection carry the prefix too and are left out.
SELECT t.pid,
       coalesce(t.state, ''),
       CASE WHEN t.wait_event_type = 'Lock' THEN
           ARRAY(SELECT w.pid FROM pg_stat_activity w
                 WHERE w.wait_event_type = 'Lock' AND w.pid <> t.pid
                   AND t.pid = ANY (pg_blocking_pids(w.pid)))
       END AS queued,
       CASE WHEN t.wait_event_type = 'Lock' THEN pg_blocking_pids(t.pid) END AS blockers
FROM pg_stat_activity t
WHERE t.pid = ANY (%(pids)s::int[])
   OR (%(prefix)s::text <> '' AND starts_with(t.application_name, %(prefix)s::text)
       AND t.pid <> pg_backend_pid() AND t.pid <> ALL (%(exclude)s::int[]))
