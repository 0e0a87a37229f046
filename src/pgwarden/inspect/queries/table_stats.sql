-- Activity counters of the migration's tables, read twice around a short sleep to get rates.
-- The pg_stat_get_* functions read the cumulative statistics without locking the tables.
-- Parameter: oids oid[].
SELECT c.oid,
       extract(epoch FROM clock_timestamp()) AS at,
       pg_stat_get_numscans(c.oid)
         + coalesce((SELECT sum(pg_stat_get_numscans(i.indexrelid))
                     FROM pg_index i WHERE i.indrelid = c.oid), 0) AS scans,
       pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_tuples_updated(c.oid)
         + pg_stat_get_tuples_deleted(c.oid) AS writes
FROM pg_class c
WHERE c.oid = ANY (%(oids)s::oid[])
