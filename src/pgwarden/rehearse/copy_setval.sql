-- Move one sequence of the copy to the source's position.
SELECT setval(c.oid, %(value)s)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relname = %(name)s AND c.relkind = 'S'
