"""pgwarden: keep PostgreSQL schema migrations from taking production down."""

__version__ = "0.1.0"
