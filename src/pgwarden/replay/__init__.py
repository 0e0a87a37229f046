"""Incident replay: app load, a real blocker and a migration under each strategy, measured."""
