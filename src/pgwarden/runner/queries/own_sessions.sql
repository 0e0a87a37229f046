-- Sessions tagged with our application_name prefix (pgwarden run's child), still connected;
-- not the watchdog itself nor the run's control connection, which carry the prefix too.
SELECT pid, coalesce(state, '')
FROM pg_stat_activity
WHERE starts_with(application_name, %(prefix)s::text) AND pid <> pg_backend_pid()
  AND pid <> ALL (%(exclude)s::int[])
