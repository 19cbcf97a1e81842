"""A consistent copy of the database file, for encrypted copies and backups: in memory
(``database_bytes``) or written to a new private file (``copy_to_file``)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

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


def copy_to_file(engine: Engine, target: Path) -> int:
    """Copy the database into ``target``, a new file created with mode 0600 (it must not
    exist), with SQLite's backup API in a single step (one read transaction on the source: a
    consistent copy even while the vault is written to); return its size in bytes.

    The copy is written without a journal and without fsync: it is a scratch file, read once
    and then removed by the caller (``target`` is removed here if the copy fails). Its pages
    are those ``database_bytes`` returns; only the header's change counter may differ."""
    if engine.dialect.name != "sqlite":
        raise NotImplementedError("snapshots are implemented for SQLite only")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    os.close(fd)
    try:
        raw = engine.raw_connection()
        try:
            source = raw.driver_connection
            assert isinstance(source, sqlite3.Connection)
            copy = sqlite3.connect(target)
            try:
                copy.execute("PRAGMA journal_mode=OFF")
                copy.execute("PRAGMA synchronous=OFF")
                source.backup(copy)  # pages=-1: every page in one step (measured: fastest)
            finally:
                copy.close()
        finally:
            raw.close()
        return target.stat().st_size
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        raise
