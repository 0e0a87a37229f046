-- Current storage of the given relations, read inside the statement's own transaction.
SELECT o::bigint, pg_relation_filenode(o::oid)::bigint
FROM unnest(%(oids)s::bigint[]) AS o
