"""Live inspection of a running database: what would block a migration, and who blocks whom now."""
