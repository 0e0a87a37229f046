"""`manage.py pgwarden_migrate [migrate args]`: Django's migrate under pgwarden's lock policy."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands.migrate import Command as MigrateCommand


class Command(MigrateCommand):
    help = (
        "Django's migrate under pgwarden's lock policy (settings.PGWARDEN): waits out long "
        "lock holders without queueing, short lock_timeout with retries, a watchdog, clean "
        "abort on SIGINT/SIGTERM. pgwarden's own events go to stderr."
    )

    _dj: Any = None
    _line_open = False

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--pgwarden-format",
            choices=("text", "json"),
            default="text",
            help="pgwarden's events on stderr: text lines (default) or JSON lines",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["plan"] or options["check_unapplied"]:
            super().handle(*args, **options)  # changes nothing: no policy needed
            return
        from django.conf import settings
        from django.db import DatabaseError, connections

        from pgwarden.contrib.django.migrate import LINT_KEYS, DjangoGuard
        from pgwarden.contrib.driver import db_error, dsn_of
        from pgwarden.contrib.guard import Guard
        from pgwarden.contrib.policy import policy_from
        from pgwarden.errors import PgwardenError
        from pgwarden.report.runner_text import make_sink
        from pgwarden.runner.signals import Abort, handle_signals

        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError(
                f"database {options['database']!r} is {connection.vendor}: "
                "pgwarden_migrate needs PostgreSQL (use migrate)"
            )
        guard = None
        try:
            conf = getattr(settings, "PGWARDEN", None)
            policy = policy_from(conf, "settings.PGWARDEN", other_keys=LINT_KEYS)
            connection.ensure_connection()
            abort = Abort()
            # The raw stream: Django's stderr wrapper would colour every line as an error.
            out = getattr(self.stderr, "_out", sys.stderr)
            sink = make_sink(options["pgwarden_format"], out, live=False)
            guard = Guard(
                dsn_of(connection.connection), connection.pg_version, policy, emit=sink, abort=abort
            )
            with handle_signals(abort), sink, guard, DjangoGuard(connection, guard) as dj:
                self._dj = dj
                guard.run(lambda: self._attempt(*args, **options))
        except PgwardenError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from None
        except DatabaseError as exc:
            found = db_error(exc)
            where = f"{guard.current}: " if guard is not None and guard.current else ""
            what = f"{found[0]}: {found[1]}" if found else str(exc)
            raise CommandError(f"{where}{what}", returncode=1) from exc
        finally:
            self._dj = None

    def _attempt(self, *args: Any, **options: Any) -> None:
        self._line_open = False
        try:
            super().handle(*args, **options)
        except Exception:
            if self._line_open:
                self.stdout.write("")  # end Django's "  Applying x..." line
            raise

    def migration_progress_callback(
        self, action: str, migration: Any = None, fake: bool = False
    ) -> None:
        starting = action in ("apply_start", "unapply_start")
        if self._dj is not None and starting:
            self._dj.progress(action, migration, fake)  # waits before Django says "Applying"
        super().migration_progress_callback(action, migration, fake)
        self._line_open = starting and self.verbosity >= 1
        if self._dj is not None and not starting:
            self._dj.progress(action, migration, fake)
