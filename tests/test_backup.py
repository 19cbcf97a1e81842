"""User-made encrypted backups and restore (services.backup, ``peersupport backup|restore``):
records come back exactly, by passphrase or recovery key; every damaged or altered file and
every wrong secret is refused before anything is written; no record text in any backup; the
app's lock is honoured; an old write-ahead log is never replayed onto a restored database;
and the golden backup restores."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport import cli
from peersupport.crypto import backup_file, kdf, keyslots
from peersupport.crypto.errors import TamperError, WrongSecretError
from peersupport.domain.follow_request import ROUTINE, VIA_FORM, OfficerRequest
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir, ensure
from peersupport.services import demo
from peersupport.services.backup import (
    AppRunningError,
    TargetNotEmptyError,
    app_is_running,
    automatic_backup,
    peek_header,
    restore_backup,
    verify_backup,
    write_backup,
)
from peersupport.services.requests import RequestDrop
from peersupport.services.vault import UnlockedVault, VaultService
from tests._support import (
    CLI_PASSPHRASE,
    FLOOR,
    GOLDEN_OFFICER,
    GOLDEN_PASSPHRASE,
    GOLDEN_RECOVERY,
    GOLDEN_VAULT_ID,
    Run,
    golden_copy,
    raw_query,
    scan,
    scan_bytes,
)
from tests.conftest import FAST_TEST_PROFILE, NEW_PASSPHRASE, PASSPHRASE

REPO = Path(__file__).resolve().parent.parent
GOLDEN_BACKUP = REPO / "tests" / "golden" / "golden-backup-v1.psbak"
# Pinned: a silently regenerated golden backup must fail loudly.
GOLDEN_BACKUP_SHA256 = "1ae912fdfe7cce8f303e9039f3f02b1bcf6cd23c4dd09003ea3a0be167637572"
NOW = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)


def canary(label: str) -> str:
    return f"CNRY{label}{uuid.uuid4().hex[:12].upper()}"


def digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` and its SHA-256: 'nothing was written' made observable."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


@dataclass
class Records:
    officers: list[Any]
    checkins: list[Any]
    plans: list[Any]
    requests: list[Any]


def records(vault: UnlockedVault) -> Records:
    """Everything a user sees, read through the services."""
    summaries, damaged = vault.checkins().summaries()
    assert damaged == []
    inbox = vault.requests().inbox()
    assert inbox.damaged == []
    plans, _ = vault.followups().all_plans()
    return Records(
        sorted(vault.list_officers().officers, key=lambda o: o.id),
        [vault.checkins().get(s.id).checkin for s in summaries],
        sorted(plans, key=lambda p: p.id),
        inbox.requests,
    )


def fill(vault: UnlockedVault, data_dir: DataDir) -> list[str]:
    """Officers, check-ins, follow-up plans and one request; returns the canaries used."""
    c = [canary(x) for x in ("ALIAS", "NAME", "NOTES", "MSG")]
    vault.add_officer(Officer(alias=c[0], full_name=f"Sgt. {c[1]}", contact="x@example.invalid",
                              notes=f"talked. {c[2]}"))
    demo.fill(vault, 40, seed=7, now=NOW)
    RequestDrop(data_dir).submit(OfficerRequest(
        urgency=ROUTINE, address_as="Ofc. Reed", contact_method="email",
        contact="reed@example.invalid", best_times="evenings", message=f"Rough week. {c[3]}",
        submitted_at=NOW - timedelta(minutes=30), via=VIA_FORM,
    ))
    assert len(vault.requests().receive_pending().opened) == 1
    return c


@pytest.fixture
def filled(vault: UnlockedVault, data_dir: DataDir) -> tuple[UnlockedVault, Records, list[str]]:
    canaries = fill(vault, data_dir)
    return vault, records(vault), canaries


def unlock(data_dir: DataDir, passphrase: str = PASSPHRASE) -> UnlockedVault:
    return VaultService(data_dir, FAST_TEST_PROFILE).unlock(passphrase)


def assert_same_records(got: Records, want: Records) -> None:
    assert got.officers == want.officers
    assert got.checkins == want.checkins
    assert got.plans == want.plans
    assert [r.request for r in got.requests] == [r.request for r in want.requests]
    assert [r.id for r in got.requests] == [r.id for r in want.requests]
    assert len(want.checkins) == 40 and want.plans and len(want.requests) == 1


# -- backup and restore give the same records -----------------------------------------------------
def test_backup_then_restore_gives_the_same_records(
    filled: tuple[UnlockedVault, Records, list[str]], data_dir: DataDir, tmp_path: Path,
) -> None:
    vault, before, _ = filled
    seen: list[tuple[int, int]] = []
    info = write_backup(vault, tmp_path / "b.psbak", lambda d, t: seen.append((d, t)))
    assert info.size == (tmp_path / "b.psbak").stat().st_size
    assert oct((tmp_path / "b.psbak").stat().st_mode & 0o777) == "0o600"
    assert seen and seen[-1] == (info.size, info.size)  # the promised total was exact
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # changes after the backup: these must be gone after the restore
    vault.add_officer(Officer(alias="After the backup"))
    vault.checkins().delete(before.checkins[0].id)
    vault.lock()

    result = restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                            profile=FAST_TEST_PROFILE)
    assert result.vault_id == vault.vault_id
    # the database replaced was kept, encrypted, and opens with the same passphrase
    assert result.replaced_copy is not None and result.replaced_encrypted
    assert result.replaced_copy.parent == data_dir.backups
    _, kept = verify_backup(result.replaced_copy.read_bytes(), passphrase=PASSPHRASE,
                            profile=FAST_TEST_PROFILE)
    assert kept.startswith(b"SQLite format 3\x00")

    restored = unlock(data_dir)
    try:
        assert_same_records(records(restored), before)
        assert restored.verify().ok
    finally:
        restored.lock()


def test_restore_by_recovery_key_then_new_passphrase(
    filled: tuple[UnlockedVault, Records, list[str]], data_dir: DataDir, tmp_path: Path,
    recovery: tuple[Any, str],
) -> None:
    vault, before, _ = filled
    write_backup(vault, tmp_path / "b.psbak")
    vault.lock()
    target = DataDir(tmp_path / "elsewhere")
    restore_backup(tmp_path / "b.psbak", data_dir, recovery_text=recovery[1],
                   target_dir=target, profile=FAST_TEST_PROFILE)
    restored = VaultService(target, FAST_TEST_PROFILE).unlock_with_recovery(
        recovery[1], NEW_PASSPHRASE)
    try:
        assert_same_records(records(restored), before)
    finally:
        restored.lock()


def test_restore_into_target_dir_leaves_the_current_vault_byte_identical(
    filled: tuple[UnlockedVault, Records, list[str]], data_dir: DataDir, tmp_path: Path,
) -> None:
    vault, before, _ = filled
    write_backup(vault, tmp_path / "b.psbak")
    vault.lock()
    unchanged = digest(data_dir.root)
    target = DataDir(tmp_path / "inspect")
    result = restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                            target_dir=target, profile=FAST_TEST_PROFILE)
    assert result.database == target.database and result.replaced_copy is None
    assert digest(data_dir.root) == unchanged
    restored = unlock(target)
    try:
        assert_same_records(records(restored), before)
    finally:
        restored.lock()
    # a target that holds anything is refused, and stays as it was
    busy = DataDir(tmp_path / "busy")
    busy.root.mkdir()
    (busy.root / "notes.txt").write_text("mine")
    with pytest.raises(TargetNotEmptyError):
        restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                       target_dir=busy, profile=FAST_TEST_PROFILE)
    assert digest(busy.root) == {"notes.txt": hashlib.sha256(b"mine").hexdigest()}


# -- refused before anything is written -----------------------------------------------------------
def split(data: bytes) -> tuple[bytes, list[bytes]]:
    """The preamble and every chunk record (length prefix included)."""
    _, offset = backup_file.read_header(data)
    preamble, chunks = data[:offset], []
    while offset < len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        chunks.append(data[offset : offset + 4 + length])
        offset += 4 + length
    return preamble, chunks


def flip_header(data: bytes) -> bytes:
    pre, chunks = split(data)
    at = pre.index(b'"chunk_size":1024') + len('"chunk_size":102')
    return pre[:at] + b"5" + pre[at + 1 :] + b"".join(chunks)  # still canonical JSON


def flip_header_salt(data: bytes) -> bytes:
    pre, chunks = split(data)
    at = pre.index(b'"body_salt":"') + 13
    new = b"0" if pre[at : at + 1] != b"0" else b"1"
    return pre[:at] + new + pre[at + 1 :] + b"".join(chunks)


def truncated(data: bytes) -> bytes:
    return data[: len(data) - 700]


def reordered(data: bytes) -> bytes:
    pre, c = split(data)
    return pre + b"".join([c[0], c[2], c[1], *c[3:]])


def missing_chunk(data: bytes) -> bytes:
    pre, c = split(data)
    return pre + b"".join([*c[:2], *c[3:]])


def missing_last_chunk(data: bytes) -> bytes:
    pre, c = split(data)
    return pre + b"".join(c[:-1])


def flipped_body_bit(data: bytes) -> bytes:
    out = bytearray(data)
    out[-40] ^= 0x01
    return bytes(out)


def appended(data: bytes) -> bytes:
    _pre, c = split(data)
    return data + c[-1]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "flipped header byte": flip_header, "edited body salt": flip_header_salt,
    "truncated": truncated, "reordered chunk pair": reordered,
    "missing chunk": missing_chunk, "missing last chunk": missing_last_chunk,
    "flipped body bit": flipped_body_bit, "last chunk duplicated": appended,
}


@pytest.fixture
def small_chunks(vault: UnlockedVault, data_dir: DataDir, tmp_path: Path) -> bytes:
    fill(vault, data_dir)
    write_backup(vault, tmp_path / "small.psbak", chunk_size=1024)
    vault.lock()
    data = (tmp_path / "small.psbak").read_bytes()
    assert len(split(data)[1]) > 10
    return data


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damaged_backups_are_refused_before_anything_is_written(
    small_chunks: bytes, data_dir: DataDir, tmp_path: Path, damage: str
) -> None:
    # control: the undamaged file verifies
    verify_backup(small_chunks, passphrase=PASSPHRASE, profile=FAST_TEST_PROFILE)
    bad = DAMAGE[damage](small_chunks)
    assert bad != small_chunks
    (tmp_path / "bad.psbak").write_bytes(bad)
    before = digest(data_dir.root)
    target = DataDir(tmp_path / "target")
    for into in (None, target):
        with pytest.raises(TamperError):
            restore_backup(tmp_path / "bad.psbak", data_dir, passphrase=PASSPHRASE,
                           profile=FAST_TEST_PROFILE, target_dir=into)
    assert digest(data_dir.root) == before
    assert not target.root.exists()


def test_wrong_passphrase_is_refused_with_nothing_written(
    small_chunks: bytes, data_dir: DataDir, tmp_path: Path
) -> None:
    (tmp_path / "b.psbak").write_bytes(small_chunks)
    before = digest(data_dir.root)
    with pytest.raises(WrongSecretError):
        restore_backup(tmp_path / "b.psbak", data_dir, passphrase=NEW_PASSPHRASE,
                       profile=FAST_TEST_PROFILE)
    with pytest.raises(WrongSecretError):
        restore_backup(tmp_path / "b.psbak", data_dir,
                       recovery_text="KRFG-RPKV-7N1E-H9P0-Y79E-7D55-JT70",
                       profile=FAST_TEST_PROFILE)
    assert digest(data_dir.root) == before


def test_a_backup_of_another_vault_with_its_own_valid_header_is_refused(
    vault: UnlockedVault, tmp_path: Path
) -> None:
    """A well-formed file whose header names a different vault than its database."""
    write_backup(vault, tmp_path / "b.psbak", chunk_size=1024)
    data = (tmp_path / "b.psbak").read_bytes()
    header, _ = backup_file.read_header(data)
    database = backup_file.decrypt(data, vault.data_key)
    other_id = str(uuid.uuid4())
    slot = keyslots.wrap_with_passphrase(  # made by someone holding the data key
        vault.data_key, PASSPHRASE, kdf.new_params(FAST_TEST_PROFILE), other_id, 1)
    other = backup_file.BackupHeader(
        other_id, header.schema_version, header.chunk_size, header.body_salt, (slot,))
    forged = b"".join(backup_file.encrypt(other, vault.data_key, database))
    with pytest.raises(TamperError, match="another vault"):
        verify_backup(forged, passphrase=PASSPHRASE, profile=FAST_TEST_PROFILE)
    # the header's slots copied unchanged under another vault id do not even unwrap
    copied = backup_file.BackupHeader(
        other_id, header.schema_version, header.chunk_size, header.body_salt, header.slots)
    with pytest.raises(WrongSecretError):
        verify_backup(b"".join(backup_file.encrypt(copied, vault.data_key, database)),
                      passphrase=PASSPHRASE, profile=FAST_TEST_PROFILE)


def test_restore_refuses_while_the_app_holds_the_lock(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path
) -> None:
    from PySide6.QtCore import QLockFile

    write_backup(vault, tmp_path / "b.psbak")
    vault.lock()
    assert not app_is_running(data_dir)
    lock = QLockFile(str(data_dir.lock_file))  # exactly what ui.single_instance holds
    lock.setStaleLockTime(0)
    assert lock.tryLock(100)
    try:
        assert app_is_running(data_dir)
        before = digest(data_dir.root)
        with pytest.raises(AppRunningError):
            restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                           profile=FAST_TEST_PROFILE)
        assert digest(data_dir.root) == before
    finally:
        lock.unlock()
    assert not app_is_running(data_dir)


def test_a_lock_left_by_a_dead_process_does_not_block_restore(data_dir: DataDir) -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(proc.stdout)
    import socket

    data_dir.lock_file.write_text(f"{dead}\npeersupport\n{socket.gethostname()}\n")
    assert not app_is_running(data_dir)
    data_dir.lock_file.write_text(f"{os.getppid()}\npeersupport\n{socket.gethostname()}\n")
    assert app_is_running(data_dir)  # a live process named in the file, no flock: held


def test_an_old_write_ahead_log_is_not_replayed_onto_the_restored_database(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path
) -> None:
    vault.add_officer(Officer(alias="In the backup"))
    write_backup(vault, tmp_path / "b.psbak")
    vault.add_officer(Officer(alias="After the backup"))
    vault.lock()
    # leave a real, uncheckpointed WAL beside the database, as a crash would
    marker = "wal-only row"
    saved: dict[str, bytes] = {}
    import sqlite3

    con = sqlite3.connect(data_dir.database)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("UPDATE vault SET notice_text = ?", (marker,))
    con.commit()
    for s in ("-wal", "-shm"):
        saved[s] = Path(f"{data_dir.database}{s}").read_bytes()
    con.close()  # checkpoints and removes the log; put it back as the crash left it
    for s, b in saved.items():
        Path(f"{data_dir.database}{s}").write_bytes(b)
    assert len(saved["-wal"]) > 0

    result = restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                            profile=FAST_TEST_PROFILE)
    assert not Path(f"{data_dir.database}-wal").exists()
    assert data_dir.database.read_bytes() == verify_backup(
        (tmp_path / "b.psbak").read_bytes(), passphrase=PASSPHRASE, profile=FAST_TEST_PROFILE
    )[1]
    assert raw_query(data_dir.database, "PRAGMA integrity_check") == [("ok",)]
    assert raw_query(data_dir.database, "SELECT notice_text FROM vault") != [(marker,)]
    # the replaced database, with its log folded in, was kept
    assert result.replaced_copy is not None
    _, kept = verify_backup(result.replaced_copy.read_bytes(), passphrase=PASSPHRASE,
                            profile=FAST_TEST_PROFILE)
    assert marker.encode() in kept
    restored = unlock(data_dir)
    try:
        aliases = {o.alias for o in restored.list_officers().officers}
        assert "In the backup" in aliases and "After the backup" not in aliases
        assert restored.verify().ok
    finally:
        restored.lock()


def test_a_log_left_without_its_database_is_not_replayed(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path
) -> None:
    """The database file was deleted but its -wal and -shm stayed: restoring must not let
    SQLite apply that log to the restored file (it would, and corrupt or change it)."""
    import sqlite3

    write_backup(vault, tmp_path / "b.psbak")
    vault.lock()
    con = sqlite3.connect(data_dir.database)
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("UPDATE vault SET notice_text = 'from the old log'")
    con.commit()
    saved = {s: Path(f"{data_dir.database}{s}").read_bytes() for s in ("-wal", "-shm")}
    con.close()
    data_dir.database.unlink()
    for s, b in saved.items():
        Path(f"{data_dir.database}{s}").write_bytes(b)
    result = restore_backup(tmp_path / "b.psbak", data_dir, passphrase=PASSPHRASE,
                            profile=FAST_TEST_PROFILE)
    assert result.replaced_copy is None
    assert not Path(f"{data_dir.database}-wal").exists()
    assert raw_query(data_dir.database, "SELECT notice_text FROM vault") != [
        ("from the old log",)]
    restored = unlock(data_dir)
    try:
        assert restored.verify().ok
    finally:
        restored.lock()


def test_restoring_over_another_vault_keeps_it_as_a_byte_copy(
    vault: UnlockedVault, tmp_path: Path, recovery: tuple[Any, str]
) -> None:
    write_backup(vault, tmp_path / "b.psbak")
    vault.lock()
    other = ensure(tmp_path / "other")
    VaultService(other, FAST_TEST_PROFILE).create(NEW_PASSPHRASE, recovery[0]).lock()
    old = other.database.read_bytes()
    result = restore_backup(tmp_path / "b.psbak", other, passphrase=PASSPHRASE,
                            profile=FAST_TEST_PROFILE)
    assert result.replaced_copy is not None and not result.replaced_encrypted
    assert result.replaced_copy.read_bytes() == old
    unlock(other).lock()  # now the backed-up vault


# -- nothing readable in a backup, automatic backups ----------------------------------------------
def test_no_record_text_in_backups(
    filled: tuple[UnlockedVault, Records, list[str]], data_dir: DataDir, tmp_path: Path
) -> None:
    vault, _, canaries = filled
    info = write_backup(vault, tmp_path / "out" / "b.psbak")
    automatic_backup(vault, data_dir.backups, keep=3)
    vault.lock()
    assert scan_bytes(info.path.read_bytes(), canaries) == []
    assert scan(tmp_path / "out", canaries) == []
    assert scan(data_dir.backups, canaries) == []
    # control: the decrypted payload does hold what the scanner looks for, in some form?
    # (sealed fields stay sealed inside the database, so the plaintext is scanned too)
    _, database = verify_backup(info.path.read_bytes(), passphrase=PASSPHRASE,
                                profile=FAST_TEST_PROFILE)
    assert scan_bytes(database, canaries) == []
    assert scan_bytes(b"x" + canaries[0].encode() + b"x", canaries)


def test_automatic_backups_keep_the_last_n_of_this_vault(
    vault: UnlockedVault, data_dir: DataDir, tmp_path: Path, recovery: tuple[Any, str]
) -> None:
    folder = tmp_path / "auto"
    folder.mkdir()
    (folder / "peersupport-notes.txt").write_text("not ours")
    other = ensure(tmp_path / "other")
    other_vault = VaultService(other, FAST_TEST_PROFILE).create(NEW_PASSPHRASE, recovery[0])
    foreign = automatic_backup(other_vault, folder, keep=5, now=NOW - timedelta(days=30))
    other_vault.lock()
    made = [automatic_backup(vault, folder, keep=2, now=NOW + timedelta(days=i))
            for i in range(4)]
    same_second = automatic_backup(vault, folder, keep=2, now=NOW + timedelta(days=3))
    assert same_second.name == "peersupport-2026-02-13-150000-2.psbak"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [made[3].name, same_second.name, foreign.name, "peersupport-notes.txt"])
    assert made[0].name == "peersupport-2026-02-10-150000.psbak"
    assert peek_header(same_second).vault_id == vault.vault_id
    assert oct(same_second.stat().st_mode & 0o777) == "0o600"


# -- the reader never fails with anything but TamperError -----------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_reader_on_arbitrary_bytes(data: bytes) -> None:
    from peersupport.crypto.secret import SecretKey

    for blob in (data, b"PSBACKUP" + data, b"PSBACKUP\x00\x01" + data):
        try:
            backup_file.read_header(blob)
        except TamperError:
            pass
        with pytest.raises(TamperError):
            backup_file.decrypt(blob, SecretKey(b"k" * 32))


_MUTATE: dict[str, bytes] = {}


def _sample_backup() -> tuple[bytes, Any]:
    """A small real backup and its data key, made once for the property test."""
    if not _MUTATE:
        import tempfile

        from peersupport.crypto.recovery import generate

        with tempfile.TemporaryDirectory() as tmp:
            data_dir = ensure(Path(tmp) / "v")
            v = VaultService(data_dir, FAST_TEST_PROFILE).create(PASSPHRASE, generate())
            v.add_officer(Officer(alias="Prop"))
            write_backup(v, Path(tmp) / "b.psbak", chunk_size=1024)
            _MUTATE["data"] = (Path(tmp) / "b.psbak").read_bytes()
            _MUTATE["key"] = v.data_key.raw()
            v.lock()
    from peersupport.crypto.secret import SecretKey

    return _MUTATE["data"], SecretKey(_MUTATE["key"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_reader_on_mutated_backups(draw: st.DataObject) -> None:
    data, key = _sample_backup()
    kind = draw.draw(st.sampled_from(["flip", "cut", "insert", "splice"]))
    at = draw.draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        bad = data[:at] + bytes([data[at] ^ draw.draw(st.integers(1, 255))]) + data[at + 1 :]
    elif kind == "cut":
        bad = data[:at]
    elif kind == "insert":
        bad = data[:at] + draw.draw(st.binary(min_size=1, max_size=8)) + data[at:]
    else:
        end = draw.draw(st.integers(at + 1, len(data)))
        bad = data[:at] + data[end:]
    with pytest.raises(TamperError):
        backup_file.decrypt(bad, key)
    assert backup_file.decrypt(data, key)  # the original still opens


# -- the command line -----------------------------------------------------------------------------
@pytest.fixture
def floor_vault(tmp_path: Path) -> DataDir:
    """A vault the command line accepts (production parameters at their floor)."""
    from peersupport.crypto.recovery import generate

    data_dir = ensure(tmp_path / "cli-vault")
    v = VaultService(data_dir, FLOOR).create(CLI_PASSPHRASE, generate())
    v.add_officer(Officer(alias="Cli officer"))
    v.lock()
    return data_dir


def run_in_process(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> Run:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    code = cli.main(args, out=out)
    return Run(code, out.getvalue(), capsys.readouterr().err)


def test_cli_backup_and_restore_exit_codes(
    floor_vault: DataDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    d = ["--data-dir", str(floor_vault.root)]
    out = tmp_path / "cli.psbak"
    ok = run_in_process([*d, "backup", str(out), "--passphrase-stdin"], CLI_PASSPHRASE + "\n",
                        monkeypatch, capsys)
    assert ok.code == 0 and out.is_file(), ok
    assert f"size: {out.stat().st_size:,} bytes" in ok.out
    assert peek_header(out).vault_id in ok.out
    first = out.read_bytes()

    again = run_in_process([*d, "backup", str(out), "--passphrase-stdin"], CLI_PASSPHRASE + "\n",
                           monkeypatch, capsys)
    assert again.code == 2 and "--force" in again.one_line_error()
    assert out.read_bytes() == first
    forced = run_in_process([*d, "backup", str(out), "--force", "--passphrase-stdin"],
                            CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    assert forced.code == 0 and out.read_bytes() != first

    wrong = run_in_process([*d, "backup", str(tmp_path / "w.psbak"), "--passphrase-stdin"],
                           "not the passphrase\n", monkeypatch, capsys)
    assert wrong.code == 3 and not (tmp_path / "w.psbak").exists()

    before = digest(floor_vault.root)
    bad = tmp_path / "bad.psbak"
    bad.write_bytes(out.read_bytes()[:-10])
    tampered = run_in_process([*d, "restore", str(bad), "--passphrase-stdin"],
                              CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    assert tampered.code == 4 and "integrity failure" in tampered.one_line_error()
    wrong = run_in_process([*d, "restore", str(out), "--passphrase-stdin"],
                           "not the passphrase\n", monkeypatch, capsys)
    assert wrong.code == 3
    wrong_key = run_in_process([*d, "restore", str(out), "--recovery-key", "--passphrase-stdin"],
                               GOLDEN_RECOVERY + "\n", monkeypatch, capsys)
    assert wrong_key.code == 3
    missing = run_in_process([*d, "restore", str(tmp_path / "nope.psbak"),
                              "--passphrase-stdin"], CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    assert missing.code == 2
    with pytest.raises(SystemExit) as usage:  # argparse exits while parsing
        run_in_process([*d, "restore"], "", monkeypatch, capsys)
    assert usage.value.code == 2
    capsys.readouterr()
    assert digest(floor_vault.root) == before

    from PySide6.QtCore import QLockFile

    lock = QLockFile(str(floor_vault.lock_file))
    assert lock.tryLock(100)
    try:
        running = run_in_process([*d, "restore", str(out), "--passphrase-stdin"],
                                 CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    finally:
        lock.unlock()
    assert running.code == 1 and "running" in running.one_line_error()
    assert digest(floor_vault.root) == before

    target = tmp_path / "inspect"
    restored = run_in_process([*d, "restore", str(out), "--target-dir", str(target),
                               "--passphrase-stdin"], CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    assert restored.code == 0, restored
    assert "Backup verified" in restored.out and str(target) in restored.out
    assert digest(floor_vault.root) == before
    not_empty = run_in_process([*d, "restore", str(out), "--target-dir", str(target),
                                "--passphrase-stdin"], CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    assert not_empty.code == 2
    in_place = run_in_process([*d, "restore", str(out), "--passphrase-stdin"],
                              CLI_PASSPHRASE + "\n", monkeypatch, capsys)
    assert in_place.code == 0 and "encrypted copy" in in_place.out
    reopened = VaultService(floor_vault, FLOOR).unlock(CLI_PASSPHRASE)
    try:
        assert [o.alias for o in reopened.list_officers().officers] == ["Cli officer"]
    finally:
        reopened.lock()


def test_cli_restore_in_a_subprocess(tmp_path: Path) -> None:
    """The installed entry point, end to end: golden backup restored by recovery key into a
    new folder; a truncated one refused with exit code 4."""
    env = {k: v for k, v in os.environ.items() if k != "PEERSUPPORT_HOME"}
    env.update(HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")

    def run(*args: str, stdin: str) -> Run:
        proc = subprocess.run(
            [sys.executable, "-m", "peersupport", *args], input=stdin, capture_output=True,
            text=True, cwd=REPO, env=env, timeout=120, check=False)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    root = tmp_path / "vault"
    ok = run("--data-dir", str(root), "restore", str(GOLDEN_BACKUP), "--recovery-key",
             "--passphrase-stdin", stdin=GOLDEN_RECOVERY + "\n")
    assert ok.code == 0, ok
    assert GOLDEN_VAULT_ID in ok.out and ok.err == ""
    cut = tmp_path / "cut.psbak"
    cut.write_bytes(GOLDEN_BACKUP.read_bytes()[:-1])
    before = digest(root)
    bad = run("--data-dir", str(root), "restore", str(cut), "--passphrase-stdin",
              stdin=GOLDEN_PASSPHRASE + "\n")
    assert bad.code == 4 and bad.one_line_error().startswith("peersupport: integrity failure")
    assert digest(root) == before


# -- the golden backup ----------------------------------------------------------------------------
def test_the_golden_backup_is_the_pinned_file() -> None:
    assert hashlib.sha256(GOLDEN_BACKUP.read_bytes()).hexdigest() == GOLDEN_BACKUP_SHA256
    header = peek_header(GOLDEN_BACKUP)
    assert header.vault_id == GOLDEN_VAULT_ID
    assert {s.slot for s in header.slots} == {"passphrase", "recovery"}


@pytest.mark.parametrize("how", ["passphrase", "recovery key"])
def test_the_golden_backup_restores(tmp_path: Path, how: str) -> None:
    from peersupport.crypto import kdf

    data_dir = DataDir(tmp_path / "golden")
    secret = {"passphrase": GOLDEN_PASSPHRASE} if how == "passphrase" else {
        "recovery_text": GOLDEN_RECOVERY}
    info = restore_backup(GOLDEN_BACKUP, data_dir, profile=kdf.PRODUCTION, **secret)
    assert info.vault_id == GOLDEN_VAULT_ID
    # the payload is the golden vault's database itself
    assert raw_query(data_dir.database, "SELECT id FROM vault") == [(GOLDEN_VAULT_ID,)]
    service = VaultService(data_dir, kdf.PRODUCTION)
    if how == "passphrase":
        opened = service.unlock(GOLDEN_PASSPHRASE)
    else:
        opened = service.unlock_with_recovery(GOLDEN_RECOVERY, NEW_PASSPHRASE)
    try:
        officers = opened.list_officers().officers
        assert officers == [GOLDEN_OFFICER]
        assert opened.verify().ok
    finally:
        opened.lock()


def test_the_golden_backup_matches_the_golden_vault(tmp_path: Path) -> None:
    """Decrypted, it is the golden database exactly as SQLite's backup API copies it."""
    from peersupport.crypto import kdf
    from peersupport.store import engine as store_engine
    from peersupport.store import snapshot

    _, database = verify_backup(GOLDEN_BACKUP.read_bytes(), passphrase=GOLDEN_PASSPHRASE,
                                profile=kdf.PRODUCTION)
    engine = store_engine.sqlite_engine(golden_copy(tmp_path / "g").database)
    try:
        assert database == snapshot.database_bytes(engine)
    finally:
        engine.dispose()
