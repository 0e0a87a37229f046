"""`python -m pgwarden` runs the CLI."""

from pgwarden.cli.start import entry

entry()
