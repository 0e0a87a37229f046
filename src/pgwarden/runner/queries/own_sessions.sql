-- Sessions tagged with our application_name prefix (pgwarden run's child), still connected.
SELECT pid, coalesce(state, '')
FROM pg_stat_activity
WHERE starts_with(application_name, %(prefix)s::text) AND pid <> pg_backend_pid()
