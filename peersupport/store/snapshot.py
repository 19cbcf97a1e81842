"""A consistent in-memory copy of the database file, for encrypted copies and backups."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine


def database_bytes(engine: Engine) -> bytes:
    if engine.dialect.name != "sqlite":
        raise NotImplementedError("snapshots are implemented for SQLite only")
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        memory = sqlite3.connect(":memory:")
        try:
            source.backup(memory)
            return memory.serialize()
        finally:
            memory.close()
    finally:
        raw.close()
