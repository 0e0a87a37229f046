"""Alembic environment for pgwarden's test project: offline SQL for `pgwarden lint`, online runs
under pgwarden's lock policy.

Online, `-x pgwarden=guard` (the default) runs the revisions with
`pgwarden.contrib.alembic.run_migrations_online` (wait without queueing, retries, watchdog,
clean abort); `-x pgwarden=session` only puts the session settings on the connection
(`configure_session`: fail fast, no retries). `-x lock_timeout=2s` and `-x max_wait=1s` set the
policy, `-x pgwarden_output=json` prints pgwarden's events as JSON lines.
"""

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

import pgwarden.contrib.alembic as pgwarden

config = context.config
target_metadata = None

X = context.get_x_argument(as_dictionary=True)
SESSION = {"lock_timeout": X.get("lock_timeout", "50ms")}
POLICY = {k: v for k, v in X.items() if k in ("lock_timeout", "max_wait", "max_queue")}


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: write the SQL, starting with the same SET statements."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    for statement in pgwarden.session_statements(**SESSION):
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    section = config.get_section(config.config_ini_section, {})
    if "DATABASE_URL" in os.environ:
        section["sqlalchemy.url"] = os.environ["DATABASE_URL"]
    connectable = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    if X.get("pgwarden", "guard") == "guard":
        pgwarden.run_migrations_online(
            connectable,
            policy=POLICY,
            output=X.get("pgwarden_output", "text"),
            target_metadata=target_metadata,
        )
        return
    with connectable.connect() as connection:
        pgwarden.configure_session(connection, **SESSION)
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
