"""Crash safety (issue 7 §4): a worker process (tests/crash_worker.py) saves, changes the
passphrase or writes a backup in a loop and is killed with SIGKILL at random (seeded) moments;
then the vault is reopened and checked on disk. Also: a full disk and a read-only data folder
give a clear message and leave the database as it was.

What a kill may leave: the save (or key change) that was committed but not yet acknowledged is
either there completely or not at all; everything acknowledged is there. A backup's final file
is complete or absent (atomic rename); a killed backup may leave its temporary file
``.NAME.*.tmp`` beside it, which holds only encrypted bytes and is never taken for a backup.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from peersupport.crypto.errors import WrongSecretError
from peersupport.paths import DataDir
from peersupport.services import storage_errors
from peersupport.services.backup import AUTO_PATTERN, verify_backup
from peersupport.services.vault import UnlockedVault, VaultService
from tests._support import raw_query, sha256_file
from tests.conftest import FAST_TEST_PROFILE, NEW_PASSPHRASE, PASSPHRASE

REPO = Path(__file__).resolve().parent.parent
PASSPHRASES = (PASSPHRASE, NEW_PASSPHRASE)
LINE_TIMEOUT = 60.0  # seconds: generous, a loaded CI machine may start Python slowly


class Worker:
    """tests/crash_worker.py in a child process; its output lines arrive on a queue."""

    def __init__(self, root: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_worker", str(root), *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self) -> str:
        try:
            line = self.lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("the worker said nothing in time") from None
        if line is None:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"the worker ended early: {err[-2000:]}")
        return line

    def kill(self) -> list[str]:
        """SIGKILL, then every line it printed before dying (pipe contents survive it)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=LINE_TIMEOUT)
        self._reader.join(timeout=LINE_TIMEOUT)
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return rest

    def finish(self) -> list[str]:
        self.proc.wait(timeout=LINE_TIMEOUT)
        self._reader.join(timeout=LINE_TIMEOUT)
        out = []
        while (line := self.lines.get_nowait()) is not None:
            out.append(line)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return out


def integrity(db: Path) -> list[object]:
    """SQLite's own check, as a fresh process would see the file (the log is replayed)."""
    return [r[0] for r in raw_query(db, "PRAGMA integrity_check")]


def run_and_kill(root: Path, rng: random.Random, args: list[str], least: int) -> list[str]:
    """Start the worker, wait until it is ready and has acknowledged ``least`` operations,
    let it run a random little while more, kill it; return every acknowledgement."""
    worker = Worker(root, *args)
    assert worker.next_line() == "ready"
    acks = [worker.next_line() for _ in range(least)]
    time.sleep(rng.uniform(0.0, 0.03))  # the kill lands anywhere in an operation
    return acks + worker.kill()


@pytest.fixture
def root(vault: UnlockedVault) -> Path:
    vault.lock()
    return vault.data_dir.root


# -- saves ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_acknowledged_save_survives_sigkill(root: Path) -> None:
    rng = random.Random(7_2025)
    db = DataDir(root).database
    acknowledged: list[str] = []
    kills = 20
    for kill in range(kills):
        lines = run_and_kill(root, rng, ["saves", str(kill * 1000)], rng.randint(10, 14))
        assert all(line.startswith("saved ") for line in lines), lines
        acknowledged += [line.split()[1] for line in lines]
        assert integrity(db) == ["ok"], f"after kill {kill + 1}"
        stored = {r[0] for r in raw_query(db, "SELECT id FROM checkin")}
        assert set(acknowledged) <= stored, f"an acknowledged save is lost after kill {kill + 1}"
    assert len(acknowledged) >= 200

    vault = VaultService(DataDir(root), FAST_TEST_PROFILE).unlock(PASSPHRASE)
    try:
        report = vault.verify()
        assert report.ok, (report.integrity_problems, report.failures)
        stored_ids = [str(r[0]) for r in raw_query(db, "SELECT id FROM checkin")]
        # at most one save per kill was committed and not yet acknowledged
        assert len(stored_ids) - len(acknowledged) <= kills
        service = vault.checkins()
        for checkin_id in stored_ids:  # every row opens, with its officer: nothing half-written
            detail = service.get(checkin_id)
            assert detail.officer is not None
            assert detail.checkin.notes.startswith("Talked for a while")
        # each save wrote one officer, one check-in and its statistics record together
        officers = raw_query(db, "SELECT count(*) FROM officer")[0][0]
        assert officers == len(stored_ids)
        assert report.records.get("checkin", len(stored_ids)) == len(stored_ids)
    finally:
        vault.lock()


# -- passphrase changes -------------------------------------------------------------------------
def _opens(root: Path, passphrase: str) -> bool:
    try:
        VaultService(DataDir(root), FAST_TEST_PROFILE).unlock(passphrase).lock()
    except WrongSecretError:
        return False
    return True


@pytest.mark.slow
def test_a_killed_passphrase_change_leaves_exactly_one_passphrase(root: Path) -> None:
    """After a kill exactly one of the two passphrases opens the vault: the last one the
    worker acknowledged, or the one it was writing (committed, not yet acknowledged). Never
    both, never neither."""
    rng = random.Random(4_2025)
    db = DataDir(root).database
    current = 0
    for kill in range(15):
        lines = run_and_kill(root, rng, ["passphrase", str(current)], rng.randint(1, 6))
        assert lines and all(line.startswith("passphrase ") for line in lines), lines
        acknowledged = int(lines[-1].split()[1])
        assert integrity(db) == ["ok"], f"after kill {kill + 1}"
        opens = [_opens(root, p) for p in PASSPHRASES]
        assert opens.count(True) == 1, f"after kill {kill + 1}: {opens}"
        current = opens.index(True)
        assert current in (acknowledged, 1 - acknowledged)
    vault = VaultService(DataDir(root), FAST_TEST_PROFILE).unlock(PASSPHRASES[current])
    try:
        report = vault.verify()
        assert report.ok, (report.integrity_problems, report.failures)
    finally:
        vault.lock()


# -- backups ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_killed_backup_leaves_a_complete_file_or_none(root: Path, tmp_path: Path) -> None:
    rng = random.Random(9_2025)
    folder = tmp_path / "auto"
    folder.mkdir()
    target = folder / "peersupport-2025-01-01-120000.psbak"
    for kill in range(10):
        target.unlink(missing_ok=True)
        lines = run_and_kill(root, rng, ["backup", str(target)], rng.randint(1, 3))
        assert lines and all(line.startswith("backup ") for line in lines), lines
        assert target.exists()  # one was acknowledged: its rename happened
        _header, database = verify_backup(
            target.read_bytes(), passphrase=PASSPHRASE, profile=FAST_TEST_PROFILE
        )
        assert database.startswith(b"SQLite format 3\x00"), f"after kill {kill + 1}"
        for path in folder.iterdir():
            if path != target:  # a temporary file a kill left: hidden, never a backup's name
                assert path.name.startswith(f".{target.name}.") and path.suffix == ".tmp"
                assert AUTO_PATTERN.match(path.name) is None
    assert integrity(DataDir(root).database) == ["ok"]


# -- a full disk and a read-only folder -------------------------------------------------------
@pytest.mark.parametrize(("how", "problem"), [
    ("fsize", storage_errors.WRITE_FAILED),  # the file-size limit: a write fails (EFBIG)
    ("pages", storage_errors.FULL),  # SQLite itself finds no room (SQLITE_FULL)
])
def test_a_save_on_a_full_disk_fails_clearly_and_saves_nothing(
    root: Path, how: str, problem: str
) -> None:
    db = DataDir(root).database
    opened = VaultService(DataDir(root), FAST_TEST_PROFILE).unlock(PASSPHRASE)
    opened.vacuum()  # no free pages left: a save has to grow the file
    opened.lock()
    before = sha256_file(db)
    lines = Worker(root, "full", how).finish()
    assert lines[0] == "ready" and lines[-1] == f"error OperationalError {problem}", lines[-3:]
    acknowledged = [line.split()[1] for line in lines[1:-1]]
    assert all(line.startswith("saved ") for line in lines[1:-1])
    if how == "fsize":  # the very first save failed; the worker checkpointed before it
        assert not acknowledged
        assert sha256_file(db) == before
    else:
        assert acknowledged  # the room left in the file's pages took some saves
    # whatever the failed write left in the log is not a committed transaction
    assert integrity(db) == ["ok"]
    vault = VaultService(DataDir(root), FAST_TEST_PROFILE).unlock(PASSPHRASE)
    try:
        service = vault.checkins()
        assert service.count() == len(acknowledged)  # the failed save left nothing
        for checkin_id in acknowledged:
            assert service.get(checkin_id).officer is not None
        assert raw_query(db, "SELECT count(*) FROM officer")[0][0] == len(acknowledged)
        assert vault.verify().ok
    finally:
        vault.lock()


def _chmod_restricts(folder: Path) -> bool:
    probe = folder / "probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return True
    probe.unlink()
    return False


def test_a_read_only_data_folder_fails_clearly_and_changes_nothing(root: Path) -> None:
    db = DataDir(root).database
    before = sha256_file(db)
    db.chmod(0o400)
    root.chmod(0o500)
    try:
        if not _chmod_restricts(root):
            pytest.skip("file modes do not restrict this user (root)")
        lines = Worker(root, "readonly").finish()
        assert len(lines) == 1 and lines[0].startswith("error ")
        assert lines[0].split()[-1] in (storage_errors.READ_ONLY, "None"), lines
    finally:
        root.chmod(0o700)
        db.chmod(0o600)
    assert sha256_file(db) == before
    assert integrity(db) == ["ok"]


def test_storage_failures_are_recognised_from_real_errors(tmp_path: Path) -> None:
    """The classifier against errors SQLite and the OS really raise (whoever runs the tests)."""
    import errno

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    db = tmp_path / "x.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    engine = create_engine(f"sqlite:///file:{db}?mode=ro&uri=true")
    try:
        with pytest.raises(OperationalError) as read_only, engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    assert storage_errors.storage_problem(read_only.value) == storage_errors.READ_ONLY
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert storage_errors.storage_problem(full) == storage_errors.FULL
    assert storage_errors.storage_message(full) is not None
    assert "nothing was saved" in (storage_errors.storage_message(read_only.value) or "")
    assert storage_errors.storage_problem(ValueError("x")) is None
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = OSError(errno.EROFS, "read-only file system")
    assert storage_errors.storage_problem(wrapped) == storage_errors.READ_ONLY


def test_the_command_line_says_the_disk_is_full(root: Path, monkeypatch, capsys) -> None:
    """A full disk during a command: one clear line, exit code 1, no traceback."""
    from sqlalchemy.exc import OperationalError

    from peersupport import cli

    def no_room(*_a: object, **_k: object) -> None:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(cli, "_run", no_room)
    code = cli.main(["--data-dir", str(root), "officer", "list"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == "peersupport: the disk is full: nothing was saved. Free some space and try " \
        "again\n"

