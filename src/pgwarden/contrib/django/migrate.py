"""Django's `migrate` under the runner's policy: the hooks behind `manage.py pgwarden_migrate`.

Django runs the migrations; pgwarden.contrib.guard supplies the policy. The hooks are Django's
own: `connection_created` puts every new session of the database under the policy, the
`pre_migrate` signal hands over the plan (modelled through the schema editor as
`pgwarden_lint` does, for the pre-flight and for what to wait for), the executor's progress
callback marks where each migration starts and ends, and an execute wrapper gives every
statement its timeouts (and the waiter's say) before Django sends it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pgwarden.catalog import QualifiedName
from pgwarden.config import LintConfig
from pgwarden.contrib.driver import run_raw
from pgwarden.contrib.guard import Guard
from pgwarden.errors import PgwardenError
from pgwarden.locks.modes import is_dangerous
from pgwarden.runner.events import Notice
from pgwarden.runner.script import Target, model_version

if TYPE_CHECKING:
    from pgwarden.inspect.needs import Needs

# What `settings.PGWARDEN` may hold besides the lock policy: pgwarden_lint's settings.
LINT_KEYS = ("pg_version", "ignore", "runner_timeouts")


@dataclass(frozen=True, slots=True)
class PlannedMigration:
    """What the lock model says about one pending migration, from its SQL."""

    label: str  # app_label.name
    path: str
    atomic: bool
    statements: int
    targets: tuple[Target, ...]  # existing relations it locks in a traffic-blocking mode
    line: int  # line in the migration module of the first operation taking such a lock


def _relation(text: str) -> QualifiedName:
    schema, _, name = text.partition(".")
    return QualifiedName(schema, name) if name else QualifiedName("public", schema)


def model_plan(
    connection: Any, keys: set[tuple[str, str]], config: LintConfig
) -> tuple[dict[tuple[str, str], PlannedMigration], Needs]:
    """Model the pending migrations `keys`; earlier migrations build the schema they see."""
    from pgwarden.contrib.django.collect import collect
    from pgwarden.contrib.django.lint import file_line, lint_migrations
    from pgwarden.inspect.needs import needs_from_lint
    from pgwarden.lint import LintResult

    migrations = collect(connection)
    linted, _ = lint_migrations(migrations, lambda m: (m.app_label, m.name) in keys, config)
    out: dict[tuple[str, str], PlannedMigration] = {}
    for m, fo, spans in linted:
        needs = needs_from_lint(LintResult([fo]))
        dangerous = [n for n in needs.needs if is_dangerous(n.mode)]
        first = min((int(n.where.rsplit(":", 1)[1]) for n in dangerous), default=0)
        out[(m.app_label, m.name)] = PlannedMigration(
            m.label,
            m.path,
            m.atomic,
            sum(len(op.statements) for op in m.operations),
            tuple(Target(_relation(n.relation), n.mode) for n in dangerous),
            file_line(m, spans, first) if first else 0,
        )
    # A migration whose SQL does not parse (errors) has no targets; the others still count.
    return out, needs_from_lint(LintResult([fo for _, fo, _ in linted]))


class DjangoGuard:
    """Wires a Guard into one Django database connection for the duration of a migrate."""

    def __init__(self, connection: Any, guard: Guard, lint_config: LintConfig | None = None):
        self.connection = connection
        self.guard = guard
        self.lint_config = lint_config or LintConfig(cache=False)
        self.planned: dict[tuple[str, str], PlannedMigration] = {}
        self._started = False
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> DjangoGuard:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import pre_migrate

        uid = f"pgwarden-{self.guard.run_id}"
        connection_created.connect(self._on_connect, dispatch_uid=uid)
        pre_migrate.connect(self._on_pre_migrate, dispatch_uid=uid)
        self._stack.callback(connection_created.disconnect, dispatch_uid=uid)
        self._stack.callback(pre_migrate.disconnect, dispatch_uid=uid)
        self._stack.enter_context(self.connection.execute_wrapper(self._wrap))
        if self.connection.connection is not None:
            self._setup(self.connection)  # opened before us (system checks)
        else:
            self.connection.ensure_connection()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()
        if not self.connection.in_atomic_block:
            # Whoever uses the connection next (call_command in a test suite) gets a fresh
            # session, without our lock_timeout and application_name.
            self.connection.close()

    # -- Django's hooks ----------------------------------------------------------------------
    def _on_connect(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.alias == self.connection.alias:
            self._setup(connection)

    def _setup(self, connection: Any) -> None:
        raw = connection.connection
        if not connection.get_autocommit():
            raise PgwardenError(
                f"database {connection.alias!r} is not in autocommit mode "
                "(AUTOCOMMIT = False): pgwarden_migrate needs Django's default"
            )
        self.guard.setup_session(raw)

    def _on_pre_migrate(self, sender: Any, plan: Any = None, using: str = "", **kw: Any) -> None:
        if using != self.connection.alias or plan is None:
            return
        keys = {(mig.app_label, mig.name) for mig, backwards in plan if not backwards}
        todo = keys - self.planned.keys()
        if not self._started:
            from django.db.migrations.recorder import MigrationRecorder

            applied = len(MigrationRecorder(self.connection).applied_migrations())
            self.guard.started(len(plan), applied)
        needs: Callable[[], Needs] | None = None
        if todo:
            try:
                found, all_needs = model_plan(self.connection, todo, self._config())
            except Exception as exc:  # the model informs the waiter; it must not stop migrate
                self.guard.emit(
                    Notice(
                        "could not model the pending migrations' SQL "
                        f"({type(exc).__name__}: {exc}); no waiting ahead of each migration, "
                        "lock timeouts, the watchdog and retries still apply"
                    )
                )
            else:
                self.planned.update(found)

                def needs() -> Needs:
                    return all_needs

        if not self._started:
            self._started = True
            if keys:
                targets = [t for k in keys if k in self.planned for t in self.planned[k].targets]
                self.guard.preflight(needs, targets)

    def _config(self) -> LintConfig:
        server = self.connection.pg_version
        return self.lint_config.with_overrides(pg_version=model_version(server), cache=False)

    def progress(self, action: str, migration: Any = None, fake: bool = False) -> None:
        """The executor's progress callback (before Django's own, which prints)."""
        if action in ("apply_start", "unapply_start") and not fake:
            key = (migration.app_label, migration.name)
            label = f"{migration.app_label}.{migration.name}"
            p = self.planned.get(key) if action == "apply_start" else None
            self.guard.begin_migration(
                label if action == "apply_start" else f"{label} (unapply)",
                name=migration.name,
                path=p.path if p else "",
                statements=p.statements if p else 0,
                atomic=bool(migration.atomic),
                targets=p.targets if p else (),
                line=p.line if p else 0,
            )
        elif action in ("apply_success", "unapply_success") and not fake:
            self.guard.end_migration()

    def _wrap(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: Mapping[str, Any],
    ) -> Any:
        text = str(sql)
        connection = self.connection
        in_tx = not connection.get_autocommit()
        raw = connection.connection

        def on_connection(q: str, p: Mapping[str, Any]) -> None:
            run_raw(raw, q, p)

        self.guard.before_statement(text, on_connection, in_transaction=in_tx)
        result = execute(sql, params, many, context)
        self.guard.after_statement(text, in_transaction=in_tx)
        return result
