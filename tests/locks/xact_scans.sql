-- Sequential scans started so far by this backend per relation (pending statistics, read
-- before and after the statement: the difference is what the statement read in full).
SELECT o::bigint, pg_stat_get_xact_numscans(o::oid)
FROM unnest(%(oids)s::bigint[]) AS o
