"""`python -m pgwarden` runs the CLI."""

from pgwarden.cli.main import entry

entry()
