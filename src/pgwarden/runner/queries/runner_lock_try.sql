-- One runner per database: a session-level advisory lock on a fixed key, held by a dedicated
-- connection for the whole run (released when that connection closes, even on SIGKILL).
SELECT pg_try_advisory_lock(%(key)s)
