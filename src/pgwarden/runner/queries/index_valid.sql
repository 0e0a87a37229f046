-- Is this index valid? No row: it does not exist.
SELECT i.indisvalid
FROM pg_index i
WHERE i.indexrelid = to_regclass(%(index)s)
