-- Timeouts for the next statement; is_local = SET LOCAL inside the migration's transaction.
-- A NULL statement_timeout keeps whatever is in force (server, role or the file's own SET).
SELECT set_config('lock_timeout', %(lock_timeout)s, %(local)s),
       set_config('statement_timeout',
                  coalesce(%(statement_timeout)s::text, current_setting('statement_timeout')),
                  %(local)s)
