"""Django app: `pgwarden_lint` and `pgwarden_migrate` management commands.

Add "pgwarden.contrib.django" to INSTALLED_APPS; configure with `settings.PGWARDEN` (a dict).
"""
