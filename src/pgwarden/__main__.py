"""`python -m pgwarden` runs the CLI."""

from pgwarden.cli.main import main

raise SystemExit(main())
