-- PG 14+: while a statement runs, check every so often that the client is still there, so a
-- SIGKILLed runner's statement (and its locks) do not outlive it. Linux and a few others only.
SELECT set_config('client_connection_check_interval', %(interval)s, false)
