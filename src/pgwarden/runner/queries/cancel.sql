-- Cancel the statement one of our own sessions is running (never anybody else's).
SELECT pg_cancel_backend(%(pid)s)
