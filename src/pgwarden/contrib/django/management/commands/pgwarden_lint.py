"""`manage.py pgwarden_lint [app_label [migration_name]]`: lint the SQL Django would run."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Lint the SQL of unapplied (or the named) migrations with pgwarden's lock model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("app_label", nargs="?")
        parser.add_argument("migration_name", nargs="?")
        parser.add_argument("--database", default="default")
        parser.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
        parser.add_argument("--pg-version", default=None)
        parser.add_argument("--all", action="store_true", help="also lint applied migrations")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.conf import settings
        from django.db import connections

        from pgwarden.config import LintConfig, load_config, parse_pg_version
        from pgwarden.contrib.django.lint import lint_django
        from pgwarden.errors import PgwardenError
        from pgwarden.report import render

        conf = getattr(settings, "PGWARDEN", {}) or {}
        version = opts["pg_version"] or conf.get("pg_version")
        where = "--pg-version" if opts["pg_version"] else "settings.PGWARDEN['pg_version']"
        conn = connections[opts["database"]]
        if version is None:
            conn.ensure_connection()
            version = conn.pg_version // 10000
        try:
            cfg: LintConfig = load_config()
            cfg = cfg.with_overrides(
                pg_version=parse_pg_version(version, where),
                ignore=frozenset(conf.get("ignore", ())) or None,
                runner_timeouts=conf.get("runner_timeouts"),
                cache=False,
            )
            result = lint_django(conn, opts["app_label"], opts["migration_name"], cfg, opts["all"])
        except PgwardenError as exc:
            # The exit status `pgwarden lint` gives the same error (2: usage or config).
            raise CommandError(str(exc), returncode=exc.exit_code) from None
        render(result, opts["format"], self.stdout)
        for err in result.errors:
            self.stderr.write(str(err))
        if result.exit_code:
            sys.exit(result.exit_code)
