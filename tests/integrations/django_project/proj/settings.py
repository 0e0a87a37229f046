"""Minimal settings: one app, Postgres from PGWARDEN_TEST_DSN (a libpq conninfo string)."""

import json
import os

from psycopg.conninfo import conninfo_to_dict

_dsn = conninfo_to_dict(os.environ.get("PGWARDEN_TEST_DSN", "dbname=postgres"))

SECRET_KEY = "test-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["shop", "ledger", "pgwarden.contrib.django"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _dsn.get("dbname", "postgres"),
        "USER": _dsn.get("user", ""),
        "HOST": _dsn.get("host", ""),
        "PORT": _dsn.get("port", ""),
        "PASSWORD": _dsn.get("password", ""),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# pgwarden_migrate's lock policy; the tests override it through PGWARDEN_TEST_SETTINGS (JSON).
PGWARDEN = json.loads(
    os.environ.get("PGWARDEN_TEST_SETTINGS", '{"lock_timeout": "50ms", "max_wait": "60s"}')
)
