-- One inspection pass (PostgreSQL 14+): every session with the locks that matter and the pids it
-- waits for, COPY and VACUUM progress, prepared transactions, replication slots and facts about
-- the relations involved. One statement, so pg_locks is read once: each read of pg_locks copies
-- the whole shared lock table, the cost that grows with the number of locks held.
-- Parameters: schemas text[], names text[] (the migration's relations), query_len int.
-- No function here takes a relation lock (pg_relation_size would queue behind an ALTER).
WITH
lk AS MATERIALIZED (
    SELECT l.locktype, l.database, l.relation, l.pid, l.mode, l.granted, l.virtualtransaction,
           l.transactionid, l.waitstart,
           concat(l.locktype, '|', l.database, '|', l.relation, '|', l.page, '|', l.tuple, '|',
                  l.virtualxid, '|', l.transactionid, '|', l.classid, '|', l.objid, '|',
                  l.objsubid) AS lock_key
    FROM pg_locks l
),
me AS (SELECT oid AS dboid FROM pg_database WHERE datname = current_database()),
targets AS (
    SELECT c.oid
    FROM unnest(%(schemas)s::text[], %(names)s::text[]) AS t(nspname, relname)
    JOIN pg_namespace n ON n.nspname = t.nspname
    JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.relname
),
waited AS (SELECT DISTINCT lock_key FROM lk WHERE NOT granted),
act AS MATERIALIZED (
    SELECT a.*,
           -- pg_dump locks every table it dumps up front: keep all its table locks (dump order)
           (a.application_name IN ('pg_dump', 'pg_dumpall')
            OR a.query ~* '^\s*copy\M.*\mto\s+stdout') AS dumps
    FROM pg_stat_activity a
    WHERE a.pid <> pg_backend_pid()
      AND (a.datid IS NOT NULL OR a.usesysid IS NOT NULL)  -- not auxiliary processes
),
kept AS (
    SELECT lk.*,
           (NOT lk.granted OR lk.relation IN (SELECT oid FROM targets)
            OR lk.lock_key IN (SELECT lock_key FROM waited)) AS wanted
    FROM lk
    WHERE NOT lk.granted
       OR lk.relation IN (SELECT oid FROM targets)
       OR lk.lock_key IN (SELECT lock_key FROM waited)
       OR (lk.locktype = 'relation' AND lk.pid IN (SELECT pid FROM act WHERE dumps))
),
named AS (
    SELECT k.*, c.relkind, n.nspname, c.relname,
           json_build_object(
               'locktype', k.locktype, 'mode', k.mode, 'granted', k.granted, 'oid', k.relation,
               'relation', CASE WHEN c.relname IS NOT NULL THEN n.nspname || '.' || c.relname END,
               'relkind', c.relkind, 'key', k.lock_key,
               'waiting', extract(epoch FROM now() - k.waitstart)) AS j
    FROM kept k
    LEFT JOIN pg_class c
           ON c.oid = k.relation AND k.database IN (0, (SELECT dboid FROM me))
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE k.wanted
       OR (c.relkind IN ('r', 'p')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))
),
held AS (
    SELECT pid, json_agg(j ORDER BY granted, nspname, relname, locktype) AS locks
    FROM named WHERE pid IS NOT NULL GROUP BY pid
),
counts AS (SELECT pid, count(*) AS n FROM lk WHERE pid IS NOT NULL GROUP BY pid),
waiting AS (SELECT DISTINCT pid FROM lk WHERE NOT granted AND pid IS NOT NULL),
sessions AS (
    SELECT json_agg(json_build_object(
        'pid', a.pid, 'leader_pid', a.leader_pid, 'database', a.datname, 'user', a.usename,
        'application', a.application_name, 'client', host(a.client_addr),
        'backend_type', a.backend_type, 'state', a.state,
        'wait_event_type', a.wait_event_type, 'wait_event', a.wait_event,
        'backend_age', extract(epoch FROM now() - a.backend_start),
        'xact_age', extract(epoch FROM now() - a.xact_start),
        'query_age', extract(epoch FROM now() - a.query_start),
        'state_age', extract(epoch FROM now() - a.state_change),
        'query', left(a.query, %(query_len)s),
        'xmin_age', age(a.backend_xmin),
        'superuser', r.rolsuper,
        -- pg_blocking_pids() takes its own lock-table snapshot: only call it for waiters
        'blocked_by', CASE WHEN w.pid IS NOT NULL THEN pg_blocking_pids(a.pid) END,
        'lock_count', coalesce(c.n, 0),
        'locks', coalesce(h.locks, '[]'::json)) ORDER BY a.pid) AS j
    FROM act a
    LEFT JOIN pg_roles r ON r.oid = a.usesysid
    LEFT JOIN waiting w ON w.pid = a.pid
    LEFT JOIN counts c ON c.pid = a.pid
    LEFT JOIN held h ON h.pid = a.pid
),
copies AS (
    SELECT json_agg(json_build_object(
        'pid', p.pid, 'relid', nullif(p.relid, 0), 'command', p.command, 'type', p.type,
        'bytes_processed', p.bytes_processed, 'bytes_total', p.bytes_total,
        'tuples_processed', p.tuples_processed)) AS j
    FROM pg_stat_progress_copy p WHERE p.datid = (SELECT dboid FROM me)
),
vacuums AS (
    SELECT json_agg(json_build_object(
        'pid', v.pid, 'relid', v.relid, 'phase', v.phase, 'heap_blks_total', v.heap_blks_total,
        'heap_blks_scanned', v.heap_blks_scanned)) AS j
    FROM pg_stat_progress_vacuum v WHERE v.datid = (SELECT dboid FROM me)
),
prepared AS (
    SELECT json_agg(json_build_object(
        'gid', p.gid, 'xid', p.transaction::text, 'owner', p.owner, 'database', p.database,
        'age', extract(epoch FROM now() - p.prepared),
        'locks', coalesce((SELECT json_agg(k.j) FROM named k
                           WHERE k.pid IS NULL AND k.virtualtransaction = x.virtualtransaction),
                          '[]'::json))) AS j
    FROM pg_prepared_xacts p
    LEFT JOIN lk x
           ON x.pid IS NULL AND x.locktype = 'transactionid' AND x.transactionid = p.transaction
),
slots AS (
    SELECT json_agg(json_build_object(
        'name', s.slot_name, 'type', s.slot_type, 'database', s.database, 'active', s.active,
        'active_pid', s.active_pid, 'wal_status', s.wal_status,
        'retained_bytes', pg_wal_lsn_diff(
            CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                 ELSE pg_current_wal_lsn() END,
            s.restart_lsn))) AS j
    FROM pg_replication_slots s
),
rels AS (
    SELECT oid FROM targets
    UNION SELECT relation FROM named WHERE relname IS NOT NULL
    UNION SELECT relid FROM pg_stat_progress_copy WHERE datid = (SELECT dboid FROM me)
    UNION SELECT relid FROM pg_stat_progress_vacuum WHERE datid = (SELECT dboid FROM me)
),
relations AS (
    SELECT json_agg(json_build_object(
        'oid', c.oid, 'relation', n.nspname || '.' || c.relname, 'relkind', c.relkind,
        'reltuples', c.reltuples, 'relpages', c.relpages,
        'live_tuples', pg_stat_get_live_tuples(c.oid),
        'frozen_age', CASE WHEN c.relkind IN ('r', 'm', 't') THEN age(c.relfrozenxid) END,
        'freeze_max_age', (SELECT o.option_value FROM pg_options_to_table(c.reloptions) o
                           WHERE o.option_name = 'autovacuum_freeze_max_age'),
        'target', c.oid IN (SELECT oid FROM targets))) AS j
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid IN (SELECT oid FROM rels)
)
SELECT
    json_build_object(
        'now', extract(epoch FROM now()),
        'version_num', current_setting('server_version_num')::int,
        'database', current_database(),
        'pid', pg_backend_pid(),
        'user', current_user,
        'superuser', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
        'read_all_stats', pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),
        'signal_backend', pg_has_role(current_user, 'pg_signal_backend', 'USAGE'),
        'in_recovery', pg_is_in_recovery(),
        'freeze_max_age', current_setting('autovacuum_freeze_max_age')::bigint,
        'lock_rows', (SELECT count(*) FROM lk)) AS meta,
    coalesce((SELECT j FROM sessions), '[]'::json) AS sessions,
    coalesce((SELECT j FROM relations), '[]'::json) AS relations,
    coalesce((SELECT j FROM copies), '[]'::json) AS copies,
    coalesce((SELECT j FROM vacuums), '[]'::json) AS vacuums,
    coalesce((SELECT j FROM prepared), '[]'::json) AS prepared,
    coalesce((SELECT j FROM slots), '[]'::json) AS slots
