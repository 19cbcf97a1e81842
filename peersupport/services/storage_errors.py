"""Recognise the storage failures a user can fix: a full disk and a read-only data folder.

SQLite reports them as its own error codes (``SQLITE_FULL``, ``SQLITE_READONLY``), wrapped in
SQLAlchemy's ``OperationalError``; a write the operating system refused for another reason
(``EFBIG``, ``EIO``) is ``SQLITE_IOERR`` ("disk I/O error"), as SQLite does not say which.
Plain file writes (backups, settings) raise ``OSError`` with ``ENOSPC``, ``EFBIG``, ``EDQUOT``,
``EIO``, ``EROFS`` or ``EACCES``. Either way a failed write has changed nothing: SQLite rolls
the transaction back, and our file writes go to a temporary file renamed only when complete.
"""

from __future__ import annotations

import errno
import sqlite3

FULL = "full"
READ_ONLY = "read-only"
WRITE_FAILED = "write-failed"  # the disk refused a write: full, over a quota, or failing

_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FAILED_ERRNOS = {errno.EIO}
# sqlite3 error codes (primary code: the low byte of the extended one)
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL = 3, 8, 10, 13


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 10:
        found.append(current)
        orig = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's
        current = orig if isinstance(orig, BaseException) else (
            current.__cause__ or current.__context__)
    return found


def storage_problem(exc: BaseException) -> str | None:
    """``FULL``, ``READ_ONLY``, ``WRITE_FAILED`` or None (some other error) for an exception
    raised by a write to the vault or to a file."""
    for cause in _causes(exc):
        if isinstance(cause, OSError):
            if cause.errno in _FULL_ERRNOS:
                return FULL
            if cause.errno in _READ_ONLY_ERRNOS:
                return READ_ONLY
            if cause.errno in _FAILED_ERRNOS:
                return WRITE_FAILED
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            primary = code & 0xFF if isinstance(code, int) else None
            text = str(cause).lower()
            if primary == _SQLITE_FULL or "disk is full" in text:
                return FULL
            if primary in (_SQLITE_READONLY, _SQLITE_PERM) or "readonly database" in text:
                return READ_ONLY
            if primary == _SQLITE_IOERR or "disk i/o error" in text:
                return WRITE_FAILED
    return None


MESSAGES = {
    FULL: "the disk is full: nothing was saved. Free some space and try again",
    READ_ONLY: "the data folder is read-only: nothing was saved. Check the folder's "
    "permissions, or that its disk is not mounted read-only",
    WRITE_FAILED: "the disk refused the write (it may be full or failing): nothing was saved",
}


def storage_message(exc: BaseException) -> str | None:
    """One plain sentence (no record data) for a storage failure, or None for other errors."""
    problem = storage_problem(exc)
    return None if problem is None else MESSAGES[problem]
