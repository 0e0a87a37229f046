#!/usr/bin/env python
"""Test Django project for pgwarden's integration tests (database from PGWARDEN_TEST_DSN)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
