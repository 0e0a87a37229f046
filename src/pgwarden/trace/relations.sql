-- Every user relation (oid >= FirstNormalObjectId) with its storage file number: names the
-- relations in pg_locks and, compared before/after a statement, shows rewrites.
SELECT c.oid::int8, n.nspname, c.relname, c.relkind::text, c.relfilenode::int8
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid >= 16384
  AND n.nspname <> 'information_schema'
