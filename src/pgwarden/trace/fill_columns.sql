-- Columns of the tables to fill: the SQL type to cast to, the base type under a domain (one
-- level) and under an array, NOT NULL, and whether the server fills the column itself
-- (identity, generated, serial default).
SELECT a.attrelid::int8,
       a.attname,
       format_type(a.atttypid, a.atttypmod) AS type_sql,
       bt.typname AS base_name,
       bt.typtype::text AS base_kind,
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
       et.typname AS elem_name,
       et.typtype::text AS elem_kind,
       CASE WHEN bt.typtype = 'e' THEN format_type(bt.oid, NULL)
            WHEN et.typtype = 'e' THEN format_type(et.oid, NULL) END AS enum_sql,
       a.attnotnull,
       a.atthasdef,
       a.attidentity <> '' OR a.attgenerated <> ''
           OR coalesce(left(pg_get_expr(d.adbin, d.adrelid), 8) = 'nextval(', false) AS server_filled
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY(%(oids)s::oid[])
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
