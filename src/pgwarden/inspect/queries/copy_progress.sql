-- Before PostgreSQL 14 there is no pg_stat_progress_copy (copy_progress_pg14.sql): no rows, so
-- progress comes from the dump order alone (the table named in the COPY statement).
SELECT NULL::int, NULL::text, NULL::real, NULL::int, NULL::bigint, NULL::text, NULL::text,
       NULL::bigint, NULL::bigint, NULL::bigint
WHERE false
