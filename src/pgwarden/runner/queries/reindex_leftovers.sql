-- INVALID transient indexes a failed REINDEX CONCURRENTLY leaves on a table (_ccnew, _ccold).
SELECT format('%%I.%%I', n.nspname, c.relname)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = to_regclass(%(table)s)
  AND NOT i.indisvalid
  AND c.relname ~ '_cc(new|old)[0-9]*$'
