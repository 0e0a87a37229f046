-- Tables whose rows a rehearsal copies (leaf tables with storage: partitions are copied through
-- their leaves), with the planner's size estimates, the real size of the main fork and the
-- columns COPY can write (generated columns are computed by the copy itself).
-- Also run on the copy, after VACUUM ANALYZE, to size what the migrations run against.
SELECT c.oid::int8,
       n.nspname,
       c.relname,
       c.reltuples::float8,
       c.relpages::int8,
       pg_relation_size(c.oid)::int8 AS size_bytes,
       ARRAY(
           SELECT a.attname FROM pg_attribute a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attgenerated = ''
           ORDER BY a.attnum
       ) AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND c.oid >= 16384
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname
