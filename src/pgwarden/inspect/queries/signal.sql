-- Cancel the running query of a backend, or terminate the backend. Returns false when the pid
-- is not a backend any more; raises insufficient_privilege when the role may not signal it.
-- Parameters: pid int, terminate boolean.
SELECT CASE WHEN %(terminate)s THEN pg_terminate_backend(%(pid)s)
            ELSE pg_cancel_backend(%(pid)s) END
