"""Alembic environment for pgwarden's test project: offline SQL for `pgwarden lint`, online runs
with pgwarden's session settings (short lock_timeout) on the migration connection."""

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

from pgwarden.contrib.alembic import configure_session, session_statements

config = context.config
target_metadata = None

# `alembic -x lock_timeout=2s upgrade head` overrides the default for one run.
SESSION = {"lock_timeout": context.get_x_argument(as_dictionary=True).get("lock_timeout", "50ms")}


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: write the SQL, starting with the same SET statements."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    for statement in session_statements(**SESSION):
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    section = config.get_section(config.config_ini_section, {})
    if "DATABASE_URL" in os.environ:
        section["sqlalchemy.url"] = os.environ["DATABASE_URL"]
    connectable = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        configure_session(connection, **SESSION)
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
