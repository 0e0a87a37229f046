-- Relations in user schemas (what a form's setup created) and the storage each one uses now;
-- pg_relation_filenode() is NULL for relations without storage or dropped in this transaction.
SELECT c.oid::bigint, n.nspname, c.relname, c.relkind::text, pg_relation_filenode(c.oid)::bigint
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND c.relkind <> 'c'
ORDER BY c.oid
