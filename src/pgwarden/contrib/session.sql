-- A framework's migration session under the runner's policy (Django, Alembic): a short
-- lock_timeout, the configured statement_timeout (NULL keeps the server's), an
-- idle_in_transaction_session_timeout so a dead process's locks go, and the application_name
-- the watchdog and `pgwarden blockers` know it by (NULL keeps the current one). set_config
-- returns the value now in force: the second column is the session's statement_timeout.
SELECT set_config('lock_timeout', %(lock_timeout)s, false),
       set_config('statement_timeout',
                  coalesce(%(statement_timeout)s::text, current_setting('statement_timeout')),
                  false),
       set_config('idle_in_transaction_session_timeout', %(idle)s, false),
       set_config('application_name',
                  coalesce(%(application_name)s::text, current_setting('application_name')),
                  false)
