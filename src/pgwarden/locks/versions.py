"""PostgreSQL majors the lock model knows, kept apart so that reading the config stays light."""

DEFAULT_PG_VERSION = 17
SUPPORTED_VERSIONS = range(12, 19)
