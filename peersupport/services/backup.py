"""User-made encrypted backups of the vault and restoring them (file format: docs/backup-format.md).

A backup is the whole SQLite database, taken with SQLite's backup API (a consistent copy even
while the vault is open), encrypted with ``peersupport.crypto.backup_file`` under the vault's
data key. Its header holds the key slots *read from that same copy*, so it opens with the
passphrase, or the recovery key, that the copied database itself accepts.

A restore reads and verifies the whole file before it writes anything: the data key must
unwrap from the chosen slot (else ``WrongSecretError``), every chunk must authenticate, and the
plaintext must be an SQLite database that passes ``integrity_check``, holds the vault named in
the header and the very key slots copied into the header (else ``TamperError``). Only then is
the database written next to the current one, fsync'ed and renamed over it.

What happens to the database being replaced: if it can be read and belongs to the same vault
under the same data key (its vault id and current key id equal the backup's), an encrypted copy
of it, with its own key slots, is written first as
``<data dir>/backups/replaced-before-restore-<time>.psbak`` (it opens with the passphrase the
replaced database accepted). Otherwise (another vault, or a file that cannot be read) we hold no
key for it, and it is kept as a byte copy ``replaced-before-restore-<time>.db`` in the same
private folder: its sealed fields stay encrypted under their own key, exactly as private as
the file it replaces. Nothing is ever deleted by a restore.

Stale write-ahead log: a ``-wal`` file left beside the old database would be replayed by SQLite
onto the restored file (SQLite does not tie a log to a particular database file) and corrupt
it. So before the rename the old database is checkpointed with ``wal_checkpoint(TRUNCATE)``
(its committed changes are folded into it, and therefore into the copy kept above), and its
``-wal``, ``-shm`` and ``-journal`` files are removed; if the checkpoint cannot complete (some
other process holds the file) the restore stops before replacing anything.

A restore refuses to run while the application holds the data folder's lock file (see
``app_is_running``).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sqlite3
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from peersupport.atomic import fsync_dir, write_atomic
from peersupport.crypto import backup_file, kdf, keyslots, recovery
from peersupport.crypto.backup_file import BackupHeader
from peersupport.crypto.errors import TamperError
from peersupport.crypto.secret import SecretKey
from peersupport.paths import DataDir, ensure
from peersupport.services.vault import VAULT_FORMAT_VERSION, UnlockedVault
from peersupport.store import engine as store_engine
from peersupport.store import snapshot, vault_meta

SUFFIX = ".psbak"
AUTO_PATTERN = re.compile(r"^peersupport-(\d{4}-\d{2}-\d{2}-\d{6})(?:-(\d{1,4}))?\.psbak$")
SQLITE_MAGIC = b"SQLite format 3\x00"
_SLOT_NAMES = (keyslots.SLOT_PASSPHRASE, keyslots.SLOT_RECOVERY)
_PREAMBLE = struct.Struct(">8sHI")


class BackupError(Exception):
    """A backup or restore that cannot go ahead (nothing was written)."""


class AppRunningError(BackupError):
    """The application is running for the data folder."""


class TargetNotEmptyError(BackupError):
    """``restore --target-dir`` into a folder that already holds files."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    vault_id: str
    database_size: int


@dataclass(frozen=True)
class RestoreInfo:
    vault_id: str
    database: Path
    database_size: int
    replaced_copy: Path | None  # what was kept of the replaced database, if there was one
    replaced_encrypted: bool


# -- reading a database held in memory ---------------------------------------------------------
@contextlib.contextmanager
def _memory_engine(database: bytes) -> Iterator[Engine]:
    """An engine over an in-memory copy of ``database`` (which may carry the WAL flag)."""
    if not database.startswith(SQLITE_MAGIC) or len(database) < 100:
        raise TamperError("the backup does not hold a database")
    raw = bytearray(database)
    raw[18] = raw[19] = 1  # WAL mode cannot be deserialized; reading needs no journal anyway
    con = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        try:
            con.deserialize(raw)  # any buffer: no further copy
        except sqlite3.DatabaseError as exc:
            raise TamperError("the backup does not hold a readable database") from exc
        del raw
        engine = create_engine("sqlite://", creator=lambda: con, poolclass=StaticPool)
        try:
            yield engine
        finally:
            engine.dispose()
    finally:
        con.close()


def _contents(
    database: bytes, *, check: bool = True
) -> tuple[str, str, tuple[keyslots.WrappedKey, ...]]:
    """Vault id, current key id and key slots of a database file's bytes; with ``check``,
    SQLite's integrity_check must pass too."""
    try:
        with _memory_engine(database) as engine:
            if check:
                with engine.connect() as c:
                    result = [r[0] for r in c.exec_driver_sql("PRAGMA integrity_check")]
                if result != ["ok"]:
                    raise TamperError("the database in the backup is damaged")
            with Session(engine) as s:
                vault = vault_meta.read_vault(s)
                slots = tuple(
                    found[1] for name in _SLOT_NAMES
                    if (found := vault_meta.read_slot(s, name)) is not None
                )
                return vault.id, vault.current_key_id, slots
    except (DatabaseError, sqlite3.DatabaseError, vault_meta.VaultMissingError) as exc:
        raise TamperError("the backup does not hold a peersupport vault") from exc


# -- writing -------------------------------------------------------------------------------------
def _counted(
    pieces: Iterable[bytes], total: int, progress: Callable[[int, int], None] | None
) -> Iterator[bytes]:
    done = 0
    for piece in pieces:
        yield piece
        done += len(piece)
        if progress is not None:
            progress(min(done, total), total)


def header_for(database: bytes, chunk_size: int = backup_file.DEFAULT_CHUNK) -> BackupHeader:
    """A new backup header for a database file's bytes: its vault id and its own key slots."""
    vault_id, _key_id, slots = _contents(database, check=False)  # a snapshot SQLite just made
    return backup_file.new_header(vault_id, VAULT_FORMAT_VERSION, slots, chunk_size)


def _encrypted_file(
    database: bytes, data_key: SecretKey, chunk_size: int = backup_file.DEFAULT_CHUNK
) -> tuple[BackupHeader, int, Iterator[bytes]]:
    header = header_for(database, chunk_size)
    chunks = max(1, -(-len(database) // chunk_size))
    preamble = _PREAMBLE.size + len(header.encode())
    total = preamble + len(database) + chunks * (4 + 16)
    return header, total, backup_file.encrypt(header, data_key, database)


def write_backup(
    vault: UnlockedVault, target: Path,
    progress: Callable[[int, int], None] | None = None,
    *, chunk_size: int = backup_file.DEFAULT_CHUNK,
) -> BackupInfo:
    """Write an encrypted backup of the open vault to ``target`` (atomically, mode 0600).

    ``progress(done, total)`` is called after each piece of the file (the header, then every
    chunk) with the bytes written so far and the file's final size."""
    database = snapshot.database_bytes(vault._live_engine())  # the live engine; same package
    header, total, pieces = _encrypted_file(database, vault.data_key, chunk_size)
    if header.vault_id != vault.vault_id:
        raise TamperError("the database does not belong to the open vault")
    write_atomic(target, _counted(pieces, total, progress))
    return BackupInfo(target, target.stat().st_size, header.vault_id, len(database))


def _auto_key(path: Path) -> tuple[str, int] | None:
    found = AUTO_PATTERN.match(path.name)
    if found is None:
        return None
    return found.group(1), int(found.group(2) or 1)


def peek_header(path: Path) -> BackupHeader:
    """The header of a backup file, reading only its preamble (no key needed)."""
    with open(path, "rb") as handle:
        head = handle.read(_PREAMBLE.size)
        if len(head) == _PREAMBLE.size:
            length = min(_PREAMBLE.unpack(head)[2], backup_file.MAX_HEADER)
            head += handle.read(length)
    return backup_file.read_header(head)[0]


def automatic_backup(
    vault: UnlockedVault, folder: Path, keep: int, now: datetime | None = None
) -> Path:
    """Write ``peersupport-YYYY-MM-DD-HHMMSS.psbak`` (UTC) in ``folder`` and keep only the
    newest ``keep`` automatic backups of this vault. Files whose name this app does not use
    for automatic backups, and automatic backups of other vaults, are never touched."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d-%H%M%S")
    target = folder / f"peersupport-{stamp}{SUFFIX}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"peersupport-{stamp}-{n}{SUFFIX}"
    write_backup(vault, target)
    ours: list[tuple[tuple[str, int], Path]] = []
    for path in folder.iterdir():
        key = _auto_key(path)
        if key is None or not path.is_file():
            continue
        try:
            if peek_header(path).vault_id != vault.vault_id:
                continue
        except (OSError, TamperError):
            continue  # not a backup we can read: leave it alone
        ours.append((key, path))
    ours.sort()
    for _key, old in ours[:-keep]:
        old.unlink(missing_ok=True)
    fsync_dir(folder)
    return target


# -- verifying ----------------------------------------------------------------------------------
def _slot(header: BackupHeader, name: str) -> keyslots.WrappedKey:
    found = [s for s in header.slots if s.slot == name]
    if len(found) != 1:
        raise TamperError(f"the backup has no {name} key slot")
    return found[0]


@dataclass
class _Opened:
    header: BackupHeader
    database: bytes
    key_id: str
    data_key: SecretKey


def _unwrap(
    header: BackupHeader, passphrase: str | None, recovery_text: str | None,
    profile: kdf.KdfProfile,
) -> SecretKey:
    if (passphrase is None) == (recovery_text is None):
        raise ValueError("give a passphrase or a recovery key")
    if recovery_text is not None:
        recovery_key = recovery.parse(recovery_text)
        try:
            return keyslots.unwrap_with_recovery(
                _slot(header, keyslots.SLOT_RECOVERY), recovery_key, header.vault_id,
                header.schema_version,
            )
        finally:
            recovery_key.wipe()
    assert passphrase is not None
    return keyslots.unwrap_with_passphrase(
        _slot(header, keyslots.SLOT_PASSPHRASE), passphrase, profile, header.vault_id,
        header.schema_version,
    )


def _open(
    data: bytes, passphrase: str | None, recovery_text: str | None, profile: kdf.KdfProfile
) -> _Opened:
    """Everything verify_backup checks; the caller must wipe the returned data key."""
    header, _offset = backup_file.read_header(data)
    data_key = _unwrap(header, passphrase, recovery_text, profile)
    try:
        database = backup_file.decrypt(data, data_key)
        vault_id, key_id, slots = _contents(database)
        if vault_id != header.vault_id:
            raise TamperError("the database in the backup belongs to another vault")
        if sorted(slots, key=lambda s: s.slot) != sorted(header.slots, key=lambda s: s.slot):
            raise TamperError("the key slots in the backup do not match its database")
    except BaseException:
        data_key.wipe()
        raise
    return _Opened(header, database, key_id, data_key)


def verify_backup(
    data: bytes, *, passphrase: str | None = None, recovery_text: str | None = None,
    profile: kdf.KdfProfile = kdf.PRODUCTION,
) -> tuple[BackupHeader, bytes]:
    """Open and check a whole backup in memory; return its header and the database bytes.

    Exactly one of ``passphrase`` and ``recovery_text``. Raises WrongSecretError (the secret
    does not unwrap the data key), MalformedRecoveryKeyError, WeakParametersError (a
    TamperError: a passphrase slot below the profile's floor) or TamperError (anything else:
    not a backup, truncated, reordered, missing or altered chunks, an edited header, a payload
    that is not a sound database of the vault named in the header, with the header's key
    slots). Writes nothing."""
    opened = _open(data, passphrase, recovery_text, profile)
    opened.data_key.wipe()
    return opened.header, opened.database


# -- restoring ----------------------------------------------------------------------------------
def app_is_running(data_dir: DataDir) -> bool:
    """Whether a peersupport window holds the folder's lock file (``ui.single_instance``).

    Qt's QLockFile creates the file and, on Unix, holds an exclusive ``flock`` on it while
    the app runs; the file holds the owner's process id and host name. Without Qt: the lock
    is held when the flock cannot be taken, or when the file names a live process on this
    host (file systems without flock, and Windows). A lock left by a crashed app (dead
    process) does not count, as for Qt itself (stale lock time 0)."""
    path = data_dir.lock_file
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        if sys.platform != "win32":
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            except OSError:
                pass  # no flock on this file system: fall back to the process id
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
        lines = os.read(fd, 4096).decode("utf-8", "replace").splitlines()
    finally:
        os.close(fd)
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return False
    host = lines[2] if len(lines) > 2 else ""
    if host and host != socket.gethostname():
        return True  # another computer's lock (a shared folder): assume it is in use
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d-%H%M%S")


def _sidecars(db: Path) -> list[Path]:
    return [Path(f"{db}{s}") for s in ("-wal", "-shm", "-journal")]


def _keep_replaced(data_dir: DataDir, opened: _Opened) -> Path:
    """Copy the database about to be replaced into the backups folder (see the module
    docstring) after folding its write-ahead log into it; return the copy's path."""
    folder = ensure(data_dir.root).backups
    engine = store_engine.sqlite_engine(data_dir.database)
    try:
        with engine.connect() as c:
            busy = c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy is None or busy[0] != 0:
            raise BackupError("the current vault is in use by another program; close it first")
        try:
            current = snapshot.database_bytes(engine)
            vault_id, key_id, _slots = _contents(current)
        except (TamperError, DatabaseError, sqlite3.DatabaseError):
            current, vault_id, key_id = b"", "", ""
    except (DatabaseError, sqlite3.DatabaseError):
        current, vault_id, key_id = b"", "", ""  # not a database: kept byte for byte below
    finally:
        engine.dispose()
    stamp = _stamp()
    if current and vault_id == opened.header.vault_id and key_id == opened.key_id:
        target = folder / f"replaced-before-restore-{stamp}{SUFFIX}"
        _header, _total, pieces = _encrypted_file(current, opened.data_key)
        write_atomic(target, pieces)
    else:
        target = folder / f"replaced-before-restore-{stamp}.db"
        with open(data_dir.database, "rb") as handle:
            write_atomic(target, iter(lambda: handle.read(1 << 20), b""))
    return target


def restore_backup(
    source: Path, data_dir: DataDir, *, passphrase: str | None = None,
    recovery_text: str | None = None, profile: kdf.KdfProfile = kdf.PRODUCTION,
    target_dir: DataDir | None = None,
) -> RestoreInfo:
    """Verify the whole backup, then put its database in place (see the module docstring).

    With ``target_dir`` the database goes into that folder instead, which must be new or hold
    no file at all; ``data_dir`` is then not touched. Raises WrongSecretError,
    MalformedRecoveryKeyError, TamperError, AppRunningError, TargetNotEmptyError or
    BackupError before writing anything."""
    opened = _open(source.read_bytes(), passphrase, recovery_text, profile)
    try:
        return _put_in_place(opened, target_dir or data_dir, target_dir is not None)
    finally:
        opened.data_key.wipe()


def _put_in_place(opened: _Opened, destination: DataDir, must_be_empty: bool) -> RestoreInfo:
    if app_is_running(destination):
        raise AppRunningError(f"Peer Support is running for {destination.root}; quit it first")
    if must_be_empty and destination.root.exists() and any(
        p.is_file() or p.is_symlink() for p in destination.root.rglob("*")
    ):
        raise TargetNotEmptyError(f"{destination.root} is not empty")
    destination = ensure(destination.root)
    final = destination.database
    replaced: Path | None = None
    if final.exists():
        replaced = _keep_replaced(destination, opened)
    tmp = final.with_name(final.name + ".restoring")
    for leftover in (tmp, *_sidecars(tmp)):
        leftover.unlink(missing_ok=True)
    write_atomic(tmp, [opened.database])
    for stale in _sidecars(final):  # never let SQLite replay an old log onto the new file
        stale.unlink(missing_ok=True)
    os.replace(tmp, final)
    fsync_dir(final.parent)
    return RestoreInfo(
        opened.header.vault_id, final, len(opened.database), replaced,
        replaced is not None and replaced.suffix == SUFFIX,
    )

