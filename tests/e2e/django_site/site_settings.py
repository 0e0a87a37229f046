"""Settings: one app, Postgres from E2E_DSN (a libpq conninfo string); nothing else installed."""

import os

from psycopg.conninfo import conninfo_to_dict

_dsn = conninfo_to_dict(os.environ.get("E2E_DSN", "dbname=postgres"))

SECRET_KEY = "test-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["ledger"]
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
