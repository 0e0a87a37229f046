-- The tables holding the rows of the relations the migrations touch, named as the lock model
-- names them (`schema.name`, unquoted): plain tables as they are, partitioned tables through
-- their leaves. A name the lock model put in `public` (the migration did not qualify it) that
-- is not there is looked up along the source's search_path, as the migration would find it.
WITH wanted AS (
    SELECT w.ord,
           coalesce(
               (SELECT c.oid FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname || '.' || c.relname = w.relation
                LIMIT 1),
               CASE WHEN w.relation LIKE 'public.%%'
                    THEN to_regclass(quote_ident(substr(w.relation, 8)))::oid END
           ) AS oid
    FROM unnest(%(relations)s::text[]) WITH ORDINALITY AS w(relation, ord)
)
SELECT w.ord::int8, c.oid::int8
FROM wanted w
JOIN pg_class c ON c.oid = w.oid
WHERE c.relkind = 'r'
UNION ALL
SELECT w.ord::int8, pt.relid::oid::int8
FROM wanted w
JOIN pg_class c ON c.oid = w.oid
CROSS JOIN LATERAL pg_partition_tree(c.oid::regclass) AS pt
WHERE c.relkind = 'p' AND pt.isleaf
ORDER BY 1, 2
