"""Integrations with migration frameworks (Django, Alembic); each imports its framework lazily."""
