"""Django AppConfig for pgwarden's management commands."""

from __future__ import annotations

from django.apps import AppConfig


class PgwardenConfig(AppConfig):
    name = "pgwarden.contrib.django"
    label = "pgwarden"
    verbose_name = "pgwarden"
