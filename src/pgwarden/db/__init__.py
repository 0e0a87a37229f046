"""The only module that talks to psycopg: connections, DSN resolution and redaction."""

from pgwarden.db.connect import connect, load_sql
from pgwarden.db.dsn import redact, resolve_dsn

__all__ = ["connect", "load_sql", "redact", "resolve_dsn"]
