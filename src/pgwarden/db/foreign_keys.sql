-- Foreign keys of the given tables, once per logical constraint: the clones PostgreSQL keeps
-- for each partition of a referenced partitioned table (same conrelid as their parent
-- constraint) are skipped. `ref_types`: the referenced columns' types; `parent_leaves`: the
-- tables holding the referenced rows. Shared by `trace --rows` and `rehearse` sampling.
-- (`%%`: this query takes parameters, so a literal percent sign is doubled.)
SELECT con.conrelid::int8 AS child,
       con.confrelid::int8 AS parent,
       pn.nspname AS parent_schema,
       pc.relname AS parent_name,
       format('%%I.%%I', pn.nspname, pc.relname) AS parent_qualified,
       con.conname,
       ARRAY(
           SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
           ORDER BY k.ord
       ) AS columns,
       ARRAY(
           SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
           ORDER BY k.ord
       ) AS ref_columns,
       ARRAY(
           SELECT format_type(a.atttypid, a.atttypmod)
           FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
           ORDER BY k.ord
       ) AS ref_types,
       -- pg_partition_tree() returns no rows for a plain table: it is its own only leaf.
       CASE WHEN pc.relkind = 'p' THEN ARRAY(
           SELECT pt.relid::oid::int8 FROM pg_partition_tree(con.confrelid) AS pt WHERE pt.isleaf
       ) ELSE ARRAY[con.confrelid::int8] END AS parent_leaves
FROM pg_constraint con
JOIN pg_class pc ON pc.oid = con.confrelid
JOIN pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN pg_constraint up ON up.oid = con.conparentid
WHERE con.contype = 'f'
  AND con.conrelid = ANY(%(oids)s::oid[])
  AND (con.conparentid = 0 OR up.conrelid IS DISTINCT FROM con.conrelid)
ORDER BY con.conrelid, con.conname
