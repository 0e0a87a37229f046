-- Close a session of our own that outlived its client (pgwarden run after an abort).
SELECT pg_terminate_backend(%(pid)s)
