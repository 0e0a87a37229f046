-- Pre-flight when the tables are unknown (`pgwarden run`): sessions of this database in a
-- transaction older than the threshold, and backups whatever their age.
SELECT pid,
       coalesce(application_name, ''),
       coalesce(backend_type, ''),
       coalesce(state, ''),
       extract(epoch FROM clock_timestamp() - xact_start)::float8,
       extract(epoch FROM clock_timestamp() - query_start)::float8,
       left(coalesce(query, ''), 300),
       coalesce(xact_start::text, '')
FROM pg_stat_activity
WHERE datname = current_database()
  AND pid <> pg_backend_pid()
  AND xact_start IS NOT NULL
  AND NOT starts_with(coalesce(application_name, ''), %(own_prefix)s::text)
  AND (clock_timestamp() - xact_start > make_interval(secs => %(min_age)s)
       OR application_name ~* '(pg_dump|pg_basebackup|backup)')
ORDER BY xact_start
