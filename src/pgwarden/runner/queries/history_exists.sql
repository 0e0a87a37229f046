-- Does the history table exist yet? (status must not create it)
SELECT to_regclass('pgwarden.migrations') IS NOT NULL
