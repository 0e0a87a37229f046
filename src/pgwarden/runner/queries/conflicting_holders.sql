-- Sessions other than ours that hold, or are queued for, a lock conflicting with what the
-- migration is about to take. The caller expands each target into (relation, conflicting
-- mode) pairs from the lock model's conflict matrix; a partitioned table brings its partitions.
WITH wanted AS (
    SELECT DISTINCT x.relid, w.mode
    FROM unnest(%(qualified)s::text[], %(unqualified)s::text[], %(modes)s::text[])
        AS w(qualified, unqualified, mode)
    CROSS JOIN LATERAL (
        SELECT coalesce(to_regclass(w.qualified), to_regclass(w.unqualified)) AS oid
    ) r
    CROSS JOIN LATERAL (
        SELECT r.oid AS relid
        UNION
        SELECT t.relid FROM pg_partition_tree(r.oid) t
    ) x
    WHERE x.relid IS NOT NULL
)
SELECT coalesce(l.pid, 0),
       coalesce(a.application_name, CASE WHEN l.pid IS NULL THEN 'prepared transaction' END, ''),
       coalesce(a.backend_type, ''),
       coalesce(a.state, ''),
       l.relation::regclass::text,
       l.mode,
       l.granted,
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8,
       extract(epoch FROM clock_timestamp() - a.query_start)::float8,
       left(coalesce(a.query, ''), 300),
       coalesce(a.xact_start::text, '')
FROM wanted w
JOIN pg_locks l ON l.locktype = 'relation' AND l.relation = w.relid AND l.mode = w.mode
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND (l.pid IS NULL OR l.pid <> ALL (%(own)s::int[]))
ORDER BY a.xact_start NULLS FIRST, l.pid
