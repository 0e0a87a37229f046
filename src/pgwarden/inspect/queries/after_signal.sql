-- What became of signalled backends: still there? in which state? still blocking anyone?
-- Parameter: pids int[].
SELECT a.pid, a.state, a.xact_start IS NOT NULL AS in_transaction, a.wait_event,
       (SELECT count(*) FROM pg_locks w
        WHERE NOT w.granted AND w.pid IS NOT NULL
          AND a.pid = ANY (pg_blocking_pids(w.pid))) AS blocking
FROM pg_stat_activity a
WHERE a.pid = ANY (%(pids)s::int[])
