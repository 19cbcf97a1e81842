"""The SQLAlchemy engine. SQLite specifics live only in the connection hook below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

SQLITE_PRAGMAS = (
    "PRAGMA secure_delete=ON",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    engine = create_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def sqlite_engine(path: Path) -> Engine:
    return make_engine(f"sqlite:///{path}")


def checkpoint(engine: Engine) -> None:
    """Fold the write-ahead log into the database and truncate it to zero bytes."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def integrity_errors(engine: Engine) -> list[str]:
    """Problems the database engine finds in its own file; empty when healthy."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        rows = [str(r[0]) for r in conn.execute(text("PRAGMA integrity_check"))]
    return [] if rows == ["ok"] else rows


def vacuum(engine: Engine) -> None:
    """Rebuild the database file without its free pages (outside any transaction), so that
    bytes of removed values leave the file; then fold the log in and empty it."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
    checkpoint(engine)
