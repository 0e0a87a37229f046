"""Collect the SQL Django would run for each migration, operation by operation (as sqlmigrate)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class CollectedOperation:
    index: int
    description: str
    statements: list[str]
    opaque: bool = False  # RunPython: code we cannot see into


@dataclass(slots=True)
class CollectedMigration:
    app_label: str
    name: str
    path: str
    atomic: bool
    applied: bool
    operations: list[CollectedOperation] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.name}"


def _norm(sql: str) -> str:
    return " ".join(sql.strip().rstrip(";").split())


def collect(
    connection: Any, app_label: str | None = None, migration_name: str | None = None
) -> list[CollectedMigration]:
    """Every migration in dependency order with its SQL; `applied` tells which already ran."""
    import inspect

    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(connection, replace_migrations=True)
    graph = loader.graph
    targets = [key for key in graph.leaf_nodes()]
    plan: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for target in targets:
        for key in graph.forwards_plan(target):
            if key not in seen:
                seen.add(key)
                plan.append(key)
    out: list[CollectedMigration] = []
    for key in plan:
        migration = loader.graph.nodes[key]
        state = loader.project_state(key, at_end=False)
        try:
            path = inspect.getsourcefile(type(migration)) or f"{key[0]}/migrations/{key[1]}.py"
        except TypeError:
            path = f"{key[0]}/migrations/{key[1]}.py"
        cm = CollectedMigration(
            key[0], key[1], path, bool(migration.atomic), key in loader.applied_migrations
        )
        # Deferred SQL (FK constraints, their indexes) runs when the editor exits; remember which
        # operation deferred each statement so findings point at it.
        deferred_owner: dict[str, int] = {}
        with connection.schema_editor(collect_sql=True, atomic=migration.atomic) as editor:
            for i, operation in enumerate(migration.operations):
                before = len(editor.collected_sql)
                deferred_before = len(editor.deferred_sql)
                old_state = state.clone()
                operation.state_forwards(key[0], state)
                if isinstance(operation, RunPython):
                    cm.operations.append(
                        CollectedOperation(i, operation.describe(), [], opaque=True)
                    )
                    continue
                operation.database_forwards(key[0], editor, old_state, state)
                sql = [s for s in editor.collected_sql[before:] if not s.lstrip().startswith("--")]
                cm.operations.append(CollectedOperation(i, operation.describe(), sql))
                for d in editor.deferred_sql[deferred_before:]:
                    deferred_owner.setdefault(_norm(str(d)), len(cm.operations) - 1)
            before = len(editor.collected_sql)
        for stmt in editor.collected_sql[before:]:
            if stmt.lstrip().startswith("--") or not cm.operations:
                continue
            owner = deferred_owner.get(_norm(stmt), len(cm.operations) - 1)
            cm.operations[owner].statements.append(stmt)
        out.append(cm)
    if app_label is not None:
        wanted = [
            m
            for m in out
            if m.app_label == app_label
            and (migration_name is None or m.name.startswith(migration_name))
        ]
        if not wanted:
            from pgwarden.errors import UsageError

            raise UsageError(f"no migration {app_label} {migration_name or ''}".strip())
    return out
