"""Alembic migrations, run in-process when a vault is opened."""
