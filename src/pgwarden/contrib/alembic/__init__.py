"""Alembic integration: the runner's lock policy for env.py, lint-safe session settings.

In `env.py`, the whole policy (wait without queueing, retries, watchdog, clean abort)::

    import pgwarden.contrib.alembic as pgwarden

    def run_migrations_online():
        connectable = engine_from_config(...)
        pgwarden.run_migrations_online(connectable, target_metadata=target_metadata)

or only the session settings (fail fast, no retries)::

    from pgwarden.contrib.alembic import configure_session, session_statements

    def run_migrations_offline():
        context.configure(url=..., literal_binds=True)
        for statement in session_statements(lock_timeout="50ms"):
            context.execute(statement)
        with context.begin_transaction():
            context.run_migrations()

    def run_migrations_online():
        with connectable.connect() as connection:
            configure_session(connection, lock_timeout="50ms")
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()

Lint the offline SQL with `alembic upgrade head --sql | pgwarden lint -`. See
docs/integrations/alembic.md.
"""

from pgwarden.contrib.alembic.online import run_migrations_online
from pgwarden.contrib.alembic.session import configure_session, session_statements

__all__ = ["configure_session", "run_migrations_online", "session_statements"]
