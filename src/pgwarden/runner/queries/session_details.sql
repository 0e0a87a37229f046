-- Who these sessions are: application, how old their transaction and query are, what they run.
SELECT pid,
       coalesce(application_name, ''),
       coalesce(backend_type, ''),
       coalesce(state, ''),
       extract(epoch FROM clock_timestamp() - xact_start)::float8,
       extract(epoch FROM clock_timestamp() - query_start)::float8,
       left(coalesce(query, ''), 300),
       coalesce(xact_start::text, '')
FROM pg_stat_activity
WHERE pid = ANY (%(pids)s::int[])
