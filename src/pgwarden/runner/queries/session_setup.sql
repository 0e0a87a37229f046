-- Session settings of the migration connection: if the runner dies (even SIGKILL) inside a
-- transaction, the server ends it after this long and releases its locks.
SELECT set_config('idle_in_transaction_session_timeout', %(idle)s, false),
       set_config('lock_timeout', %(lock_timeout)s, false)
