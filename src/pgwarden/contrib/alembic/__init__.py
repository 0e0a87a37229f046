"""Alembic integration: lint-safe session settings for env.py, revisions named in findings.

In `env.py`::

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

from pgwarden.contrib.alembic.session import configure_session, session_statements

__all__ = ["configure_session", "session_statements"]
