"""Persistence: SQLAlchemy tables, the engine and its pragmas, repositories, migrations."""
