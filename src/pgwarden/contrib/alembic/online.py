"""`run_migrations_online()` for env.py: Alembic's migrations under the runner's lock policy.

Alembic has no hook before a revision runs, so the guard works at the statement level, through
SQLAlchemy's connection events: before the first traffic-blocking statement of a transaction
it waits out long-lived holders without queueing; a later one that finds such a holder gives
the attempt up. Each revision runs in its own transaction (`transaction_per_migration=True`)
and Alembic records it in `alembic_version` as it commits, so when a revision loses a race for
a lock (lock_timeout, deadlock, a watchdog cancel) it rolls back alone and `upgrade` runs
again from there, after the blocker has gone or after a jittered backoff.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pgwarden.contrib.driver import dsn_of, run_raw
from pgwarden.contrib.guard import Guard
from pgwarden.contrib.policy import policy_from
from pgwarden.errors import PgwardenError, UsageError
from pgwarden.runner.errors import RunAborted
from pgwarden.runner.events import EventSink, discard
from pgwarden.runner.policy import Policy

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

OUTPUTS = ("text", "json", "none")


class _Hooks:
    """SQLAlchemy connection events and Alembic's on_version_apply, feeding one Guard."""

    def __init__(self, guard: Guard, connection: Connection, script: Any, upgrade: bool):
        self.guard = guard
        self.connection = connection
        self.script = script
        self.upgrade = upgrade
        self.heads: tuple[str, ...] = ()

    def label(self) -> str:
        """The revision about to run: the one after the current heads (upgrades only)."""
        heads = self.heads
        if self.upgrade:
            try:
                nexts = (
                    set(self.script.get_bases())
                    if not heads
                    else {n for h in heads for n in self.script.get_revision(h).nextrev}
                )
            except Exception:  # an unusual history: name it by where it starts
                nexts = set()
            if len(nexts) == 1:
                return str(nexts.pop())
        return f"after {','.join(heads) or 'base'}"

    def _raw(self) -> Any:
        return self.connection.connection.dbapi_connection

    def before(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if self.guard.current is None:
            self.guard.begin_migration(self.label(), announce=False)
        raw = self._raw()

        def execute(sql: str, p: Mapping[str, Any]) -> None:
            run_raw(raw, sql, p)

        self.guard.before_statement(statement, execute, in_transaction=not raw.autocommit)

    def after(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        self.guard.after_statement(statement, in_transaction=not self._raw().autocommit)

    def begin(self, conn: Any) -> None:
        self.guard.transaction_begun()

    def commit(self, conn: Any) -> None:
        self.guard.transaction_committed()

    def rollback(self, conn: Any) -> None:
        self.guard.transaction_begun()

    def applied(self, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        """Alembic's on_version_apply: inside the revision's transaction, just before COMMIT."""
        self.heads = tuple(sorted(heads))
        rev = str(step.up_revision_id)
        self.guard.end_migration(rev if step.is_upgrade else f"{rev} (downgrade)")

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        from sqlalchemy import event

        pairs: list[tuple[str, Callable[..., Any]]] = [
            ("before_cursor_execute", self.before),
            ("after_cursor_execute", self.after),
            ("begin", self.begin),
            ("commit", self.commit),
            ("rollback", self.rollback),
        ]
        for name, fn in pairs:
            event.listen(self.connection, name, fn)
        try:
            yield
        finally:
            for name, fn in pairs:
                event.remove(self.connection, name, fn)


def _sink(output: str, events: EventSink | None) -> Any:
    if events is not None:
        return contextlib.nullcontext(events)
    if output not in OUTPUTS:
        raise UsageError(f"output={output!r}: use one of {', '.join(OUTPUTS)}")
    if output == "none":
        return contextlib.nullcontext(discard)
    from pgwarden.report.runner_text import make_sink

    return make_sink(output, sys.stderr, live=False)


@contextlib.contextmanager
def _connected(connectable: Engine | Connection) -> Iterator[Connection]:
    from sqlalchemy.engine import Connection

    if isinstance(connectable, Connection):
        yield connectable
    else:
        with connectable.connect() as connection:
            yield connection


def _counts(
    script: Any, heads: tuple[str, ...], destination: Any, upgrade: bool
) -> tuple[int, int]:
    """(pending, applied) revisions for the start line; 0 where Alembic cannot say simply."""
    try:
        applied = {r.revision for h in heads for r in script.iterate_revisions(h, "base")}
        if not upgrade or not isinstance(destination, str) or len(heads) > 1:
            return 0, len(applied)
        between = script.iterate_revisions(destination, heads[0] if heads else "base")
        return len([r for r in between if r.revision not in applied]), len(applied)
    except Exception:  # the count is decoration; Alembic itself reports bad arguments
        return 0, 0


def run_migrations_online(
    connectable: Engine | Connection,
    *,
    policy: Mapping[str, Any] | Policy | None = None,
    output: str = "text",
    events: EventSink | None = None,
    **configure: Any,
) -> None:
    """Configure Alembic on a guarded connection and run the migrations; call it from env.py.

    `policy` takes the keys of `settings.PGWARDEN` (lock_timeout, max_wait, max_queue,
    statement_timeout, long_statement_timeout, idle_timeout, backoff_base, backoff_cap; as
    "50ms"-style strings or seconds) or a Policy. pgwarden's events go to stderr as text
    lines (`output="json"`: JSON lines; "none": nothing), or to `events`. Everything else is
    passed to `context.configure()`; `transaction_per_migration` defaults to True so that a
    revision that loses a lock rolls back alone.

    Exits 130/143 on SIGINT/SIGTERM (the statement in flight is cancelled, the revision rolls
    back); gives up at max_wait with alembic's CommandError naming every blocker seen.
    """
    from alembic import context
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from pgwarden.runner.signals import Abort, handle_signals

    try:
        pol = policy_from(policy, "pgwarden policy")
        sink = _sink(output, events)
    except PgwardenError as exc:
        raise CommandError(str(exc)) from None
    configure.setdefault("transaction_per_migration", True)
    user_callbacks = configure.pop("on_version_apply", None) or []
    if callable(user_callbacks):
        user_callbacks = [user_callbacks]
    abort = Abort()
    with _connected(connectable) as connection:
        if connection.in_transaction():
            raise CommandError(
                "run_migrations_online() needs a connection outside a transaction: Alembic "
                "would treat an open one as the caller's and never commit the revisions"
            )
        raw: Any = connection.connection.dbapi_connection
        script = ScriptDirectory.from_config(context.config)
        destination = context.get_revision_argument()
        upgrade = not (isinstance(destination, str) and destination.startswith(("-", "base")))
        try:
            with handle_signals(abort), sink as emit:
                guard = Guard(dsn_of(raw), raw.info.server_version, pol, emit=emit, abort=abort)
                with guard:
                    guard.setup_session(raw)
                    hooks = _Hooks(guard, connection, script, upgrade)
                    configure["on_version_apply"] = (hooks.applied, *user_callbacks)
                    context.configure(connection=connection, **configure)
                    hooks.heads = tuple(sorted(context.get_context().get_current_heads()))
                    guard.started(*_counts(script, hooks.heads, destination, upgrade))
                    guard.preflight(None)  # the tables are unknown before the SQL is sent

                    def upgrade_once() -> None:
                        with context.begin_transaction():
                            context.run_migrations()

                    with hooks.listening():
                        guard.run(upgrade_once)
        except RunAborted as exc:
            print(f"pgwarden: {exc}", file=sys.stderr)
            raise SystemExit(exc.exit_code) from None
        except PgwardenError as exc:
            raise CommandError(str(exc)) from None
