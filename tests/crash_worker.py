"""A child process for tests/test_crash_safety.py (not a test module: pytest collects only
test_*.py). It opens a vault with the fast test profile and repeats one operation, printing a
line (flushed) only after the operation has committed, so that the parent may SIGKILL it at any
moment and then check that everything acknowledged survived.

    python -m tests.crash_worker DATA_DIR saves [START]
    python -m tests.crash_worker DATA_DIR passphrase CURRENT_INDEX
    python -m tests.crash_worker DATA_DIR backup TARGET
    python -m tests.crash_worker DATA_DIR full fsize|pages
    python -m tests.crash_worker DATA_DIR readonly

Lines: ``ready`` once the vault is open; then ``saved <check-in id>`` (saves),
``passphrase <index now valid>`` (passphrase), ``backup <n>`` (backup); ``full`` saves (and
acknowledges) until the simulated full disk refuses one, then prints ``error <class>
<storage problem>``; ``readonly`` prints the same for an unlock of a read-only folder.
"""

from __future__ import annotations

import resource
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir
from peersupport.services.storage_errors import storage_problem
from peersupport.services.vault import UnlockedVault, VaultService
from tests.conftest import FAST_TEST_PROFILE, NEW_PASSPHRASE, PASSPHRASE

PASSPHRASES = (PASSPHRASE, NEW_PASSPHRASE)
NOTE = "Talked for a while about the night shift; will call again next week."


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def checkin(n: int) -> tuple[CheckIn, Officer]:
    """Check-in number ``n`` with its own new officer: two records in one transaction."""
    officer = Officer(alias=f"Officer {n}", contact=f"555-{n:04d}")
    when = datetime(2025, 1, 1, 12, 0, tzinfo=UTC) + timedelta(minutes=n)
    made = CheckIn(
        occurred_at=when, officer_id=officer.id, incident_category="fatal_collision",
        contact_type="in_person", initiated_by="peer_outreach", recipient_class="sworn",
        duration_minutes=1 + n % 90, notes=f"{NOTE} #{n}",
    )
    return made, officer


def _saves(vault: UnlockedVault, start: int) -> None:
    service = vault.checkins()
    n = start
    while True:
        made, officer = checkin(n)
        saved = service.save(made, [officer])
        say(f"saved {saved}")
        n += 1


def _passphrase(vault: UnlockedVault, current: int) -> None:
    while True:
        new = 1 - current
        vault.change_passphrase(PASSPHRASES[current], PASSPHRASES[new])
        current = new
        say(f"passphrase {current}")


def _backup(vault: UnlockedVault, target: Path) -> None:
    from peersupport.services.backup import write_backup

    n = 0
    while True:
        write_backup(vault, target)
        n += 1
        say(f"backup {n}")


def _report(exc: BaseException) -> None:
    say(f"error {type(exc).__name__} {storage_problem(exc)}")


def _full(vault: UnlockedVault, how: str) -> None:
    """A save on a disk that is out of room, simulated two ways. ``fsize``: fold the log into
    the database, then allow no file to grow past 1 KiB, so the save cannot write its log
    frames (the write fails with EFBIG: SQLite says SQLITE_IOERR_WRITE). ``pages``: SQLite's
    own limit on the database's size is set to its current size (SQLITE_FULL, as on a full
    disk) and saves go on until the free room in its pages is used up."""
    vault.checkpoint()
    if how == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a dead process
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))
    else:
        engine = vault._live_engine()
        engine.dispose()  # the limit is set on every connection opened from now on

        @event.listens_for(engine, "connect")
        def _no_room(dbapi_connection: Any, _record: Any) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count={int(pages)}")

    service = vault.checkins()
    for n in range(500):  # until the disk is full
        made, officer = checkin(n)
        try:
            saved = service.save(made, [officer])
        except Exception as exc:
            _report(exc)
            return
        say(f"saved {saved}")
    say("no error")


def main(argv: list[str]) -> int:
    data_dir = DataDir(Path(argv[0]))
    mode = argv[1]
    service = VaultService(data_dir, FAST_TEST_PROFILE)
    if mode == "readonly":
        try:
            service.unlock(PASSPHRASE).lock()
        except Exception as exc:
            _report(exc)
        else:
            say("no error")
        return 0
    current = int(argv[2]) if mode == "passphrase" else 0
    vault = service.unlock(PASSPHRASES[current])
    say("ready")
    if mode == "saves":
        _saves(vault, int(argv[2]) if len(argv) > 2 else 0)
    elif mode == "passphrase":
        _passphrase(vault, current)
    elif mode == "backup":
        _backup(vault, Path(argv[2]))
    elif mode == "full":
        _full(vault, argv[2])
        return 0
    else:
        raise SystemExit(f"unknown mode {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
